"""Shape inference beside the index: a big known-good model is inferred in a child process while the
index is built, then its types are read from the inferred model and every proto lookup points into it.

The child path must give exactly what the in-process path gives (tables, ``m.proto``, warnings, the
protos the index hands out); it is forced here with ``BESIDE_NODES = 0`` on small real models.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto
from onnx import helper as h

import onnx_inspect as oi
from fuzz import hostile as H
from onnx_inspect import testing
from onnx_inspect.model import infer as inference
from onnx_inspect.model.index import StructureChanged, build_index
from tests.model.test_index_tables import table_digest

MODELS: dict[str, Callable[[], onnx.ModelProto]] = {
    "scoped": lambda: testing.transformer_like(layers=4),
    "control_flow": testing.control_flow,  # If/Loop/Scan bodies: their inferred value_info
    "with_function": testing.with_function,
    "constant_weights": testing.constant_weights,
    "flatten_64": lambda: H.flatten_then_add(64),  # a Reshape to 1-D: checked in process first
}


@pytest.fixture
def beside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inference, "BESIDE_NODES", 0)


def _load_both(make: Callable[[], onnx.ModelProto], as_file: Path | None) -> tuple[oi.Model, oi.Model]:
    src: onnx.ModelProto | Path = make()
    if as_file is not None:
        onnx.save(src, as_file)
        src = as_file
    here = oi.load(src)
    old = inference.BESIDE_NODES
    inference.BESIDE_NODES = 0
    try:
        there = oi.load(src)
    finally:
        inference.BESIDE_NODES = old
    return here, there


@pytest.mark.parametrize("from_file", [True, False], ids=["path", "ModelProto"])
@pytest.mark.parametrize("name", list(MODELS))
def test_beside_child_gives_what_in_process_inference_gives(
    name: str, from_file: bool, tmp_path: Path
) -> None:
    here, there = _load_both(MODELS[name], tmp_path / "m.onnx" if from_file else None)
    assert (here.inferred_in, there.inferred_in) == ("process", "child")
    assert table_digest(there) == table_digest(here)
    assert there.warnings == here.warnings
    assert there.proto.SerializeToString(deterministic=True) == here.proto.SerializeToString(
        deterministic=True
    )
    # every proto the index hands out is the inferred model's, bodies with their inferred value_info
    for path in there.graphs.index:
        assert there.graph_proto(path).SerializeToString() == here.graph_proto(path).SerializeToString()
    for nid in there.nodes.index:
        assert there.node(nid).SerializeToString() == here.node(nid).SerializeToString()
    for tid in there._index.weights:
        assert there._index.weights[tid].SerializeToString() == here._index.weights[tid].SerializeToString()


def test_index_protos_are_parts_of_the_inferred_model(beside: None) -> None:
    m = oi.load(testing.control_flow())
    assert m.inferred_in == "child"
    g = m.proto.graph
    assert m.graph_proto("") is g or m.graph_proto("").SerializeToString() == g.SerializeToString()
    main = m.nodes.index[m.nodes["graph"] == ""]
    for nid, n in zip(main, g.node, strict=True):
        assert m.node(nid).SerializeToString() == n.SerializeToString()
    bodies = [p for p, kind in m.graphs["kind"].items() if kind == "body"]
    assert bodies and any(len(m.graph_proto(p).value_info) > 0 for p in bodies)  # inferred inside bodies


def test_a_crash_in_the_beside_child_is_a_warning_not_a_dead_kernel() -> None:
    proto = H.untyped_first_input("LabelEncoder")  # SIGSEGVs onnx's C++ inference
    got = inference.infer(proto, proto.SerializeToString(), None, beside=True)
    assert got.where == "child" and got.proto is proto
    assert got.warnings == [
        "onnx shape inference crashed (SIGSEGV) in onnx's C++ code; only declared shapes are shown"
    ]


def test_risky_models_inferred_beside_keep_their_warnings() -> None:
    m = oi.load(H.untyped_first_input("TreeEnsemble").SerializeToString())  # the guarded child, in a thread
    assert m.inferred_in == "child"
    assert any("crashed (SIGSEGV)" in w and "declared shapes" in w for w in m.warnings), m.warnings
    m = oi.load(H.huge_declared_add().SerializeToString())
    assert any("ran out of memory" in w for w in m.warnings) and m.tensors.loc["y", "shape"] == (2**31,)


def _miswired() -> onnx.ModelProto:
    x = h.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = h.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = h.make_graph([h.make_node("Add", ["x", "nowhere"], ["y"], name="add")], "g", [x], [y])
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17)])


def test_no_thread_outlives_a_load(beside: None) -> None:
    before = set(threading.enumerate())
    oi.load(testing.transformer_like(layers=2))
    with pytest.raises(oi.GraphError, match="nowhere"):  # the index refuses while inference runs
        oi.load(_miswired())
    assert set(threading.enumerate()) == before


def test_types_are_read_only_from_a_model_of_the_same_graphs() -> None:
    index = build_index(testing.transformer_like(layers=2), None, typed=False)
    assert set(index.tensors["dtype"]) == {None}  # nothing typed before type_values
    with pytest.raises(StructureChanged):
        index.type_values(testing.transformer_like(layers=3))
    index = build_index(testing.transformer_like(layers=2), None, typed=False)
    index.type_values(onnx.shape_inference.infer_shapes(testing.transformer_like(layers=2)))
    assert None not in index.tensors["dtype"]
    with pytest.raises(RuntimeError, match="already typed"):
        index.type_values(testing.transformer_like(layers=2))
