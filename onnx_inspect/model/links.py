"""The graph as row numbers: each node's input and output names resolved to rows of ``m.tensors`` in
the node's own graph, and each tensor's producer as a row of ``m.nodes``; built once per model, for
the graph payload and the plumbing rule.

The index already resolved every input name on its walk (``GraphEntry.edges``: positions among the
values a graph defines), and a graph's tensor rows are those values in that order, then the values it
reads from enclosing graphs: so rows are offsets, with no name hashed again. A model whose tables do
not line up with its index that way is resolved by name (``_by_name``), with the same result.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .model import Model


class _GraphRows(Mapping[str, int]):
    """Value name -> tensor row in one graph, read from the index's positions (no dict per value)."""

    __slots__ = ("outer", "pos", "start")

    def __init__(self, pos: Mapping[str, int], start: int, outer: dict[str, int]) -> None:
        self.pos, self.start, self.outer = pos, start, outer

    def get(self, name: str, default: Any = None) -> Any:
        k = self.pos.get(name)
        return self.start + k if k is not None else self.outer.get(name, default)

    def __getitem__(self, name: str) -> int:
        row: int | None = self.get(name)
        if row is None:
            raise KeyError(name)
        return row

    def __iter__(self) -> Iterator[str]:
        return itertools.chain(self.pos, self.outer)

    def __len__(self) -> int:
        return len(self.pos) + len(self.outer)


@dataclass(frozen=True)
class Links:
    """Node and tensor rows of a model, and a (graph row, name) -> tensor row lookup."""

    #: row of ``m.graphs`` of each node / each tensor
    node_graph: np.ndarray
    tensor_graph: np.ndarray
    #: CSR of each node's inputs / outputs as tensor rows (-1: an omitted '' input, -2: an unknown name)
    in_ptr: np.ndarray
    ins: np.ndarray
    out_ptr: np.ndarray
    outs: np.ndarray
    #: tensor row -> row of the node that produces it, or -1
    producer: np.ndarray
    #: per graph row: value name -> tensor row (the last row when a name repeats in a graph)
    rows: list[Mapping[str, int]]
    #: whether the rows came from the index's edge arrays (else by name: tables not in the index's order)
    from_index: bool

    def resolve(self, graph_rows: np.ndarray | Sequence[int], names: Sequence[str]) -> np.ndarray:
        """Tensor row of each (graph row, value name); -1 for '' (an omitted input), -2 for an unknown name."""
        return _resolve(self.rows, graph_rows, names)


def _resolve(
    rows: Sequence[Mapping[str, int]], graph_rows: Iterable[int], names: Sequence[str]
) -> np.ndarray:
    """``Links.resolve`` on per-graph name -> row maps: -1 for '', -2 for a name the graph lacks."""
    return np.fromiter(
        (-1 if name == "" else rows[g].get(name, -2) for g, name in zip(graph_rows, names, strict=True)),
        dtype=np.int64,
        count=len(names),
    )


_CACHE: weakref.WeakKeyDictionary[Model, Links] = weakref.WeakKeyDictionary()


def links(m: Model) -> Links:
    """The model's ``Links`` (built on first use, then cached for the model's life)."""
    got = _CACHE.get(m)
    if got is None:
        got = _CACHE[m] = _build(m)
    return got


def _ptr(lists: list[tuple[str, ...]]) -> np.ndarray:
    """CSR offsets of a column of tuples."""
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    return np.concatenate(([0], np.cumsum(counts)))


def _build(m: Model, by_name: bool = False) -> Links:
    """``Links`` from the index's resolved edges, or by name where the tables do not line up with it."""
    if len(m.graphs) == 1:  # (most big models: no name to look up)
        node_graph, tensor_graph = np.zeros(len(m.nodes), np.int64), np.zeros(len(m.tensors), np.int64)
    else:
        graph_index = pd.Index(m.graphs.index, dtype=object)
        node_graph = graph_index.get_indexer(m.nodes["graph"].to_numpy(dtype=object)).astype(np.int64)
        tensor_graph = graph_index.get_indexer(m.tensors["graph"].to_numpy(dtype=object)).astype(np.int64)
    got = None if by_name else _from_index(m, node_graph, tensor_graph)
    from_index = got is not None
    if got is None:
        got = _by_name(m, node_graph, tensor_graph)
    in_ptr, ins, out_ptr, outs, rows = got
    # the producer column as node rows: each node output's row gets that node (a graph defines a
    # value once, so this is m.tensors["producer"]; tests/model/test_links.py checks it)
    producer = np.full(len(tensor_graph), -1, dtype=np.int64)
    made = outs >= 0
    producer[outs[made]] = np.repeat(np.arange(len(node_graph)), np.diff(out_ptr))[made]
    return Links(node_graph, tensor_graph, in_ptr, ins, out_ptr, outs, producer, rows, from_index)


def _blocks(graph: np.ndarray, n_graphs: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(first row, row count) of each graph, when each graph's rows are one contiguous run; else None."""
    count = np.bincount(graph[graph >= 0], minlength=n_graphs) if len(graph) else np.zeros(n_graphs, np.int64)
    start = np.zeros(n_graphs, dtype=np.int64)
    if len(graph):
        if (graph < 0).any():
            return None
        at = np.flatnonzero(np.diff(graph, prepend=-1))
        if len(np.unique(graph[at])) != len(at):  # a graph's rows in two runs
            return None
        start[graph[at]] = at
    return start, count


_Rows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[Mapping[str, int]]]


def _from_index(m: Model, node_graph: np.ndarray, tensor_graph: np.ndarray) -> _Rows | None:
    """(in_ptr, ins, out_ptr, outs, rows) from the index's edge arrays (per graph: its value positions
    plus the graph's first tensor row), after checking that the tables hold each graph's nodes and
    values in the index's order; None where they do not."""
    entries = list(m._index.graphs.values())
    paths = m.graphs.index
    if len(entries) != len(paths) or any(
        e.path != p or e.edges is None for e, p in zip(entries, paths, strict=True)
    ):
        return None
    n_g = len(entries)
    nb, tb = _blocks(node_graph, n_g), _blocks(tensor_graph, n_g)
    if nb is None or tb is None:
        return None
    # (lists: their == compares the same str objects by identity, without a pass per character)
    node_ids: list[str] = m.nodes.index.tolist()
    t_names: list[str] = m.tensors["name"].tolist()
    n_in = np.zeros(len(node_ids), dtype=np.int64)
    n_out = np.zeros(len(node_ids), dtype=np.int64)
    for g, e in enumerate(entries):  # the tables hold each graph's nodes and values as the walk did
        edges = e.edges
        assert edges is not None  # (checked above)
        n0, n = int(nb[0][g]), int(nb[1][g])
        t0, nv = int(tb[0][g]), len(edges.values)
        if n != len(e.node_ids) or tb[1][g] < nv or len(e.outs) != n:
            return None
        if node_ids[n0 : n0 + n] != e.node_ids or t_names[t0 : t0 + nv] != edges.values:
            return None
        n_in[n0 : n0 + n] = np.bincount(edges.reader, minlength=n)
        n_out[n0 : n0 + n] = np.fromiter(map(len, e.outs), dtype=np.int64, count=n)
    in_ptr = np.concatenate(([0], np.cumsum(n_in)))
    out_ptr = np.concatenate(([0], np.cumsum(n_out)))
    ins = np.empty(int(in_ptr[-1]), dtype=np.int64)
    outs = np.full(int(out_ptr[-1]), -1, dtype=np.int64)
    rows: list[Mapping[str, int]] = []
    for g, e in enumerate(entries):
        edges = e.edges
        assert edges is not None
        n0, n = int(nb[0][g]), int(nb[1][g])
        t0, nt, nv = int(tb[0][g]), int(tb[1][g]), len(edges.values)
        a, b = int(in_ptr[n0]), int(in_ptr[n0 + n])
        c, d = int(out_ptr[n0]), int(out_ptr[n0 + n])
        outer = dict(zip(t_names[t0 + nv : t0 + nt], range(t0 + nv, t0 + nt), strict=True))
        rows.append(_GraphRows(edges.pos, t0, outer))
        # inputs: the walk's value positions; -1 there is '' or a value of an enclosing graph
        value = edges.value
        ins[a:b] = np.where(value >= 0, value + t0, -1)
        for k in np.flatnonzero(value < 0).tolist():
            name = edges.flat[k]
            ins[a + k] = -1 if name == "" else outer.get(name, -2)
        # outputs: a graph's node outputs are its last values, in node order ('' is no value): the
        # producing node of those values is each node once per output
        made_by = edges.made_by
        n_made = int((made_by >= 0).sum())
        if n_made == d - c:  # no output left out
            made = None
            owner = np.repeat(np.arange(n), n_out[n0 : n0 + n])
        else:
            flat = list(itertools.chain.from_iterable(e.outs))
            made = np.fromiter(map(bool, flat), dtype=bool, count=len(flat))
            owner = np.repeat(np.arange(n), n_out[n0 : n0 + n])[made]
        if len(owner) != n_made or n_made > nv or not np.array_equal(made_by[nv - n_made :], owner):
            return None
        at = t0 + nv - n_made + np.arange(n_made)
        if made is None:
            outs[c:d] = at
        else:
            outs[c:d][made] = at
    return in_ptr, ins, out_ptr, outs, rows


def _by_name(m: Model, node_graph: np.ndarray, tensor_graph: np.ndarray) -> _Rows:
    """(in_ptr, ins, out_ptr, outs, rows) by name: one dict per graph, name -> tensor row (the last row wins)."""
    rows: list[dict[str, int]] = [{} for _ in range(len(m.graphs))]
    for k, (g, name) in enumerate(zip(tensor_graph.tolist(), m.tensors["name"].tolist(), strict=True)):
        rows[g][name] = k  # (every tensor's graph is a row of m.graphs)

    def resolve(column: str) -> tuple[np.ndarray, np.ndarray]:
        lists = m.nodes[column].tolist()
        ptr = _ptr(lists)
        graph = np.repeat(node_graph, np.diff(ptr)).tolist()
        return ptr, _resolve(rows, graph, list(itertools.chain.from_iterable(lists)))

    return (*resolve("inputs"), *resolve("outputs"), list(rows))
