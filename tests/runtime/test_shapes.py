"""onnxruntime's symbolic shape inference fills what onnx inference leaves unknown."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect.runtime import symbolic_shapes


def dynamic_reshape() -> onnx.ModelProto:
    """x[batch, seq, 8] reshaped to [batch*seq, 8] through Shape/Gather/Mul/Concat: onnx cannot follow it."""
    ints = {"i0": 0, "i1": 1}
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "i0"], ["b"], axis=0),
        helper.make_node("Gather", ["s", "i1"], ["q"], axis=0),
        helper.make_node("Mul", ["b", "q"], ["bq"]),
        helper.make_node("Unsqueeze", ["bq", "ax0"], ["bq1"]),
        helper.make_node("Concat", ["bq1", "c8"], ["newshape"], axis=0),
        helper.make_node("Reshape", ["x", "newshape"], ["flat"]),
        helper.make_node("Relu", ["flat"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in ints.items()]
    inits += [
        numpy_helper.from_array(np.array([0], np.int64), "ax0"),
        numpy_helper.from_array(np.array([8], np.int64), "c8"),
    ]
    g = helper.make_graph(
        nodes,
        "dynamic_reshape",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_symbolic_inference_fills_the_gap_onnx_leaves() -> None:
    m = oi.load(dynamic_reshape())
    # onnx inference knows the rank and the last dim but not batch*seq (it would call it unk__0)
    assert m.tensors.loc["flat", "shape"] == (None, 8)
    filled = symbolic_shapes(m, timeout=180)  # correctness, not speed: a loaded machine takes > 20 s
    assert filled >= 2
    assert m.tensors.loc["flat", "shape"] == ("batch*seq", 8)
    assert m.tensors.loc["flat", "shape_source"] == "symbolic"
    assert m.tensors.loc["y", "shape"] == ("batch*seq", 8)
    # known shapes keep their source
    assert m.tensors.loc["x", "shape_source"] == "declared"


def test_timeout_is_a_clear_error() -> None:
    m = oi.load(dynamic_reshape())
    with pytest.raises(oi.InspectError, match="did not finish in 0.001 s"):
        symbolic_shapes(m, timeout=0.001)
    assert m.tensors.loc["flat", "shape"] == (None, 8)
