"""``Model.summary`` is computed once and kept: a later ``fill_shapes`` shows up, callers' edits do not."""

from __future__ import annotations

from onnx import TensorProto, helper

import onnx_inspect as oi


def test_summary_follows_filled_shapes_and_returns_a_copy() -> None:
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    s = m.summary()
    assert s["inputs"] == [{"name": "x", "dtype": "float32", "shape": (None, 3)}]
    assert s["op_types"] == {"Relu": 1}
    s["op_types"].clear()
    s["inputs"].clear()
    assert m.summary()["op_types"] == {"Relu": 1}  # the caller's edits stay in the caller's copy
    assert m.fill_shapes({"x": (2, 3), "y": (2, 3)}) == 2
    after = m.summary()
    assert after["inputs"][0]["shape"] == (2, 3) and after["outputs"][0]["shape"] == (2, 3)
