"""oi.input_dims: every free input dim, the size a run uses and where it comes from."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto as T
from onnx import helper as h

import onnx_inspect as oi


def _model(inputs: list, meta: dict | None = None) -> oi.Model:  # type: ignore[type-arg]
    """Identity per input (x -> x_out), with optional metadata_props."""
    nodes = [h.make_node("Identity", [vi.name], [vi.name + "_out"]) for vi in inputs]
    outs = [h.make_tensor_value_info(vi.name + "_out", vi.type.tensor_type.elem_type, None) for vi in inputs]
    m = h.make_model(h.make_graph(nodes, "g", inputs, outs), opset_imports=[h.make_opsetid("", 17)])
    if meta:
        h.set_model_props(m, meta)
    return oi.load(m)


def _vi(name: str, shape: list | None, elem: int = T.FLOAT) -> object:  # type: ignore[type-arg]
    vi = h.make_tensor_value_info(name, elem, shape)
    return vi


def test_ultralytics_imgsz_sizes_height_and_width_nchw_and_nhwc() -> None:
    m = _model([_vi("images", ["batch", 3, "height", "width"])], {"imgsz": "[640, 480]", "batch": "2"})
    t = oi.input_dims(m)
    assert t.loc["height", "value"] == 640 and t.loc["width", "value"] == 480 and t.loc["batch", "value"] == 2
    assert set(t["source"]) == {"metadata"}
    assert oi.run(m)["images_out"].shape == (2, 3, 640, 480)
    nhwc = _model([_vi("x", ["n", "h", "w", 3])], {"imgsz": "320"})
    t = oi.input_dims(nhwc)
    assert t.loc["h", "value"] == 320 and t.loc["w", "value"] == 320
    # dims= wins over the metadata; garbage metadata is ignored
    assert oi.input_dims(m, {"height": 32}).loc["height", ("value", "source")].tolist() == [32, "dims"]
    odd = _model([_vi("images", [1, 3, "height", "width"])], {"imgsz": "__import__('os')"})
    assert set(oi.input_dims(odd)["source"]) == {"unset"}


def test_unknown_dims_are_keyed_by_input_and_axis() -> None:
    vi = _vi("x", [None, 3, "?", 5])
    vi.type.tensor_type.shape.dim[0].dim_value = -1  # Paddle writes -1 for unknown
    m = _model([vi])
    t = oi.input_dims(m)
    assert list(t.index) == ["x[0]", "x[2]"] and t.loc["x[0]", "source"] == "default"
    assert t.loc["x[2]", "source"] == "unset" and t.loc["x[2]", "inputs"] == (("x", 2),)
    with pytest.raises(oi.FeedError, match="'x\\[2\\]' \\('x' axis 2\\).*dims=\\{'x\\[2\\]': N\\}"):
        oi.run(m)
    assert oi.run(m, dims={"x[2]": 4})["x_out"].shape == (1, 3, 4, 5)
    with pytest.raises(oi.FeedError, match="no free dim at axis 1"):
        oi.run(m, dims={"x[1]": 4})


def test_kv_cache_and_sequences_default_to_one_and_shared_names_are_one_dim() -> None:
    ids = _vi("input_ids", ["batch", "seq"], T.INT64)
    past = _vi("past_key_values.0.key", ["batch", 4, "past", 8])
    m = _model([ids, past])
    t = oi.input_dims(m)
    assert t.loc["batch", "inputs"] == (("input_ids", 0), ("past_key_values.0.key", 0))
    assert set(t["source"]) == {"default"} and set(t["value"]) == {1}
    out = oi.run(m, dims={"seq": 7})
    assert out["input_ids_out"].shape == (1, 7) and out["past_key_values.0.key_out"].shape == (1, 4, 1, 8)


def test_rank_unknown_input_needs_a_full_shape() -> None:
    m = _model([_vi("x", None)])
    t = oi.input_dims(m)
    assert t.loc["x", "source"] == "unset" and t.loc["x", "inputs"] == (("x", -1),)
    with pytest.raises(oi.FeedError, match="'x' has no declared shape"):
        oi.run(m)
    assert oi.run(m, dims={"x": (2, 2)})["x_out"].shape == (2, 2)
    assert oi.input_dims(m, feeds={"x": np.zeros(1)}).empty


def test_default_sizes_are_named_when_onnxruntime_fails() -> None:
    # Reshape to [4, -1] fails on a 1-element default input: the error says which defaults were used.
    shape = h.make_tensor("s", T.INT64, [2], [4, -1])
    g = h.make_graph(
        [h.make_node("Reshape", ["x", "s"], ["y"])], "g", [_vi("x", ["n"])], [_vi("y", None)], [shape]
    )
    m = oi.load(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]))
    with pytest.raises(oi.RuntimeFailure, match="default sizes n=1: set them with dims=") as exc:
        oi.run(m)
    assert "\n" not in str(exc.value)
    assert oi.run(m, dims={"n": 8})["y"].shape == (4, 2)
