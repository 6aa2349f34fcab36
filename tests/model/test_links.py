"""model/links.py: node inputs and outputs as tensor rows, on every corpus model and hand-built edge
cases, against a plain per-name walk of ``m.nodes`` / ``m.tensors``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import onnx_inspect as oi
from onnx_inspect import testing as T
from onnx_inspect.model.links import _build, links
from tests.corpus import corpus_model, corpus_models


def expected(m: oi.Model) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """Inputs and outputs resolved by name in each node's graph (-1 for '', -2 unknown), and producers."""
    rows: dict[tuple[str, str], int] = {}
    for k, (g, name) in enumerate(zip(m.tensors["graph"], m.tensors["name"], strict=True)):
        rows[(g, name)] = k  # the last row of a repeated name wins

    def row(g: str, name: str) -> int:
        return -1 if name == "" else rows.get((g, name), -2)

    ins = [[row(g, n) for n in names] for g, names in zip(m.nodes["graph"], m.nodes["inputs"], strict=True)]
    outs = [[row(g, n) for n in names] for g, names in zip(m.nodes["graph"], m.nodes["outputs"], strict=True)]
    node_row = {nid: k for k, nid in enumerate(m.nodes.index)}
    producer = [node_row[p] if p is not None else -1 for p in m.tensors["producer"]]
    return ins, outs, producer


def check(m: oi.Model) -> None:
    L = links(m)
    assert L.from_index  # a loaded model's tables are in its index's order: no name is hashed again
    ins, outs, producer = expected(m)
    for got in (L, _build(m, by_name=True)):  # the index's rows, and the by-name build they stand for
        assert [got.ins[a:b].tolist() for a, b in zip(got.in_ptr[:-1], got.in_ptr[1:], strict=True)] == ins
        assert [
            got.outs[a:b].tolist() for a, b in zip(got.out_ptr[:-1], got.out_ptr[1:], strict=True)
        ] == outs
        assert got.producer.tolist() == producer
    by_name = _build(m, by_name=True)
    assert not by_name.from_index
    # the lookups agree on every tensor name of every graph
    graphs, names = L.tensor_graph.tolist(), m.tensors["name"].tolist()
    assert L.resolve(graphs, names).tolist() == by_name.resolve(graphs, names).tolist()
    assert links(m) is L  # built once per model


@pytest.mark.parametrize("name", [e.name for e in corpus_models()])
def test_corpus_models(name: str) -> None:
    check(oi.load(corpus_model(name).path))


@pytest.mark.parametrize("make", [T.control_flow, T.with_function, T.constant_weights, T.hostile_text_model])
def test_bodies_functions_and_hostile_names(make: Callable[[], onnx.ModelProto]) -> None:
    check(oi.load(make()))


def test_omitted_and_unknown_inputs_and_resolve() -> None:
    g = helper.make_graph(
        [
            helper.make_node("Clip", ["x", "", "hi"], ["y"], name="clip"),  # '' = omitted min
            helper.make_node("Relu", ["y"], ["z"], name="relu"),
            # '' = an output left out, before and after one that is kept
            helper.make_node("LSTM", ["z3", "w", "r"], ["", "h", ""], name="lstm", hidden_size=1),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])],
        [
            helper.make_tensor("hi", TensorProto.FLOAT, [], [6.0]),
            helper.make_tensor("z3", TensorProto.FLOAT, [1, 1, 2], [1.0, 2.0]),
            helper.make_tensor("w", TensorProto.FLOAT, [1, 4, 2], [0.5] * 8),
            helper.make_tensor("r", TensorProto.FLOAT, [1, 4, 1], [0.5] * 4),
        ],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    check(m)
    L = links(m)
    assert L.ins[L.in_ptr[0] + 1] == -1
    lstm = L.outs[L.out_ptr[2] : L.out_ptr[3]].tolist()
    assert lstm[0] == lstm[2] == -1 and m.tensors["name"].iloc[lstm[1]] == "h"
    rows = L.resolve([0, 0, 0], ["x", "", "nope"])
    assert rows[0] == m.tensors["name"].tolist().index("x") and rows[1:].tolist() == [-1, -2]
    assert L.resolve(np.zeros(0, dtype=int), []).tolist() == []


@pytest.mark.parametrize("flip", ["nodes", "tensors", "both"])
def test_tables_out_of_the_index_order_are_resolved_by_name(flip: str) -> None:
    m = oi.load(T.control_flow())
    if flip in ("nodes", "both"):
        m.nodes = m.nodes.iloc[::-1]
    if flip in ("tensors", "both"):
        m.tensors = m.tensors.iloc[::-1]
    L = links(m)
    assert not L.from_index
    ins, outs, producer = expected(m)
    assert [L.ins[a:b].tolist() for a, b in zip(L.in_ptr[:-1], L.in_ptr[1:], strict=True)] == ins
    assert [L.outs[a:b].tolist() for a, b in zip(L.out_ptr[:-1], L.out_ptr[1:], strict=True)] == outs
    assert L.producer.tolist() == producer
