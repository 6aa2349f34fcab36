"""The index (model/index.py) against facts recomputed independently from its own node table and
the protobuf, on every model of the real-model corpus: producers, consumers, ids, graphs, kinds."""

from __future__ import annotations

from collections import defaultdict

import onnx
import pytest

import onnx_inspect as oi
from tests.corpus import corpus_model, corpus_models

NAMES = [cm.name for cm in corpus_models()]


@pytest.fixture(scope="module", params=NAMES)
def model(request: pytest.FixtureRequest) -> oi.Model:
    try:
        return oi.load(corpus_model(request.param).path)
    except oi.InspectError as exc:  # the manifest says which models are refused, test_corpus checks that
        pytest.skip(f"refused: {exc}")


def test_ids_are_unique_and_graphs_complete(model: oi.Model) -> None:
    nodes, tensors = model.nodes, model.tensors
    assert nodes.index.is_unique and tensors.index.is_unique
    for path, row in model.graphs.iterrows():
        proto = model.graph_proto(path)
        in_graph = nodes[nodes["graph"] == path]
        assert len(in_graph) == len(proto.node) == row["n_nodes"]
        assert in_graph.sort_values("index")["op_type"].tolist() == [n.op_type for n in proto.node]
        assert in_graph.sort_values("index")["inputs"].tolist() == [tuple(n.input) for n in proto.node]


def test_producers_and_consumers_match_the_node_table(model: oi.Model) -> None:
    nodes, tensors = model.nodes, model.tensors
    producer: dict[tuple[str, str], str] = {}
    readers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for nid, g, ins, outs, implicit in zip(
        nodes.index, nodes["graph"], nodes["inputs"], nodes["outputs"], nodes["implicit_inputs"], strict=True
    ):
        for o in outs:
            if o:
                producer[(g, o)] = nid
        for name in dict.fromkeys((*ins, *implicit)):
            if name:
                readers[(g, name)].append(nid)
    for tid, g, name, prod, cons, kind in zip(
        tensors.index,
        tensors["graph"],
        tensors["name"],
        tensors["producer"],
        tensors["consumers"],
        tensors["kind"],
        strict=True,
    ):
        assert prod == producer.get((g, name)), tid
        assert sorted(cons) == sorted(readers.get((g, name), [])), tid
        assert model.tensor_id(name, g) == tid
        if kind in ("input", "initializer", "outer"):
            assert prod is None, tid
        if kind == "intermediate":
            assert prod is not None, tid


def test_kinds_follow_the_proto(model: oi.Model) -> None:
    g = model.proto.graph
    t = model.tensors
    main = t[t["graph"] == ""].set_index("name")
    for init in g.initializer:
        assert main.loc[init.name, "kind"] == "initializer"
        assert main.loc[init.name, "dtype"] is not None
    inits = {i.name for i in g.initializer}
    for vi in g.input:
        if vi.name not in inits:
            assert main.loc[vi.name, "kind"] in ("input", "output")
    for vi in g.output:
        assert vi.name in main.index
    outer = t[t["kind"] == "outer"]
    for ref, dtype in zip(outer["outer_ref"], outer["dtype"], strict=True):
        assert t.loc[ref, "dtype"] == dtype
    body_paths = set(model.graphs.index[model.graphs["kind"] == "body"])
    owners = set(model.graphs.loc[list(body_paths), "owner"]) if body_paths else set()
    for owner in owners:
        assert isinstance(model.node(owner), onnx.NodeProto)
