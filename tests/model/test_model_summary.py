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


def test_tensor_rows_find_a_few_ids_without_the_full_map_and_agree_with_it() -> None:
    from onnx_inspect import testing

    m = oi.load(testing.transformer_like(layers=40))  # 1,100+ tensors
    ids = [m.tensors.index[5], "no such tensor", m.tensors.index[-1], m.tensors.index[5]]
    few = m.tensor_rows(ids)
    assert "_tensor_pos" not in m.__dict__  # a few ids: no 300k-entry dict for them
    assert few.tolist() == [5, -1, len(m.tensors) - 1, 5]
    many = m.tensor_rows(m.tensors.index.tolist())  # many: the cached map
    assert many.tolist() == list(range(len(m.tensors)))
    assert m.tensor_rows(ids).tolist() == few.tolist()
