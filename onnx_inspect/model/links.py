"""The graph as row numbers: each node's input and output names resolved to rows of ``m.tensors`` in
the node's own graph, and each tensor's producer as a row of ``m.nodes``; built column-wise (pandas
hashing, numpy lookups) once per model, for the graph payload and the plumbing rule.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import Model


@dataclass(frozen=True)
class Links:
    """Node and tensor rows of a model, and a (graph row, name) -> tensor row lookup."""

    #: every distinct tensor, input and output name; a name's code is its position here
    names: pd.Index
    #: row of ``m.graphs`` of each node / each tensor
    node_graph: np.ndarray
    tensor_graph: np.ndarray
    #: name code of each tensor
    tensor_name: np.ndarray
    #: CSR of each node's inputs / outputs as tensor rows (-1: an omitted '' input, -2: an unknown name)
    in_ptr: np.ndarray
    ins: np.ndarray
    out_ptr: np.ndarray
    outs: np.ndarray
    #: tensor row -> row of the node that produces it, or -1
    producer: np.ndarray
    _keys: np.ndarray  # sorted (graph row, name code) keys of the tensors
    _rows: np.ndarray  # the tensor row of each key (the last row when a name repeats in a graph)

    def _lookup(self, graph_rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Rows of (graph row, name code) pairs; code -1 is '' (-> -1), anything not found -> -2."""
        width = len(self.names) + 1
        q = graph_rows.astype(np.int64) * width + codes
        if len(self._keys) == 0:
            return np.where(codes == -1, -1, -2).astype(np.int64)
        pos = np.minimum(np.searchsorted(self._keys, q), len(self._keys) - 1)
        hit = (self._keys[pos] == q) & (codes >= 0)
        return np.where(hit, self._rows[pos], np.where(codes == -1, -1, -2))

    def resolve(self, graph_rows: np.ndarray | Sequence[int], names: Sequence[str]) -> np.ndarray:
        """Tensor row of each (graph row, value name); -1 for '' (an omitted input), -2 for an unknown name."""
        if len(names) == 0:
            return np.zeros(0, dtype=np.int64)
        arr = np.asarray(names, dtype=object)
        codes = self.names.get_indexer(pd.Index(arr, dtype=object))
        codes = np.where(codes < 0, -2, codes)
        codes[arr == ""] = -1
        return self._lookup(np.asarray(graph_rows, dtype=np.int64), codes)


_CACHE: weakref.WeakKeyDictionary[Model, Links] = weakref.WeakKeyDictionary()


def links(m: Model) -> Links:
    """The model's ``Links`` (built on first use, then cached for the model's life)."""
    got = _CACHE.get(m)
    if got is None:
        got = _CACHE[m] = _build(m)
    return got


def _flat(lists: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = np.empty(int(counts.sum()), dtype=object)
    flat[:] = list(itertools.chain.from_iterable(lists))
    return np.concatenate(([0], np.cumsum(counts))), flat


def _build(m: Model) -> Links:
    nodes, tensors = m.nodes, m.tensors
    graph_index = pd.Index(m.graphs.index, dtype=object)
    node_graph = graph_index.get_indexer(nodes["graph"].to_numpy(dtype=object)).astype(np.int64)
    tensor_graph = graph_index.get_indexer(tensors["graph"].to_numpy(dtype=object)).astype(np.int64)
    in_ptr, in_names = _flat(nodes["inputs"].tolist())
    out_ptr, out_names = _flat(nodes["outputs"].tolist())
    t_names = tensors["name"].to_numpy(dtype=object)
    codes, uniques = pd.factorize(np.concatenate([t_names, in_names, out_names]))
    names = pd.Index(uniques, dtype=object)
    empty = np.flatnonzero(uniques == "")  # (names.get_indexer would hash every name once more)
    if len(empty):  # an omitted optional input is no tensor, even beside a value named ''
        codes[codes == empty[0]] = -1
    n_t, n_in = len(t_names), len(in_names)
    t_codes = codes[:n_t]
    width = len(names) + 1
    keys = tensor_graph * width + t_codes
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    last = np.ones(len(keys), dtype=bool)  # the last row of each run of equal keys wins, as a dict would
    last[:-1] = sorted_keys[1:] != sorted_keys[:-1]
    prelim = Links(
        names, node_graph, tensor_graph, t_codes, in_ptr, np.zeros(0), out_ptr, np.zeros(0),
        np.zeros(0), sorted_keys[last], order[last].astype(np.int64),
    )  # fmt: skip
    ins = prelim._lookup(np.repeat(node_graph, np.diff(in_ptr)), codes[n_t : n_t + n_in])
    outs = prelim._lookup(np.repeat(node_graph, np.diff(out_ptr)), codes[n_t + n_in :])
    # the producer column as node rows: each node output's row gets that node (the index defines a
    # value once per graph, so this is m.tensors["producer"]; tests/model/test_links.py checks it)
    producer = np.full(n_t, -1, dtype=np.int64)
    made = outs >= 0
    producer[outs[made]] = np.repeat(np.arange(len(nodes)), np.diff(out_ptr))[made]
    return Links(
        names,
        node_graph,
        tensor_graph,
        t_codes,
        in_ptr,
        ins,
        out_ptr,
        outs,
        producer,
        prelim._keys,
        prelim._rows,
    )
