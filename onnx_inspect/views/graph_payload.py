"""The graph payload: everything the graph view draws, built once from an ``oi.Model`` and sent once.

Compact on purpose (a 50k-node model must stay well under 5 MB of JSON and 0.5 s to build): one
front-coded string table, then columnar integer arrays that refer to it. The front end
(``js/src/payload.ts``) decodes it; overlays and selection travel separately, so repainting never
resends the graph. Model text is carried as data only; the front end never parses it as markup.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..model import Model
from ..model.plumbing import plumbing_mask

FORMAT = "onnx-inspect/graph"
VERSION = 1

# Tensor kind codes (payload["tensor_kinds"] lists the names in this order).
TENSOR_KINDS = ("intermediate", "input", "output", "initializer", "constant", "outer")
# io row kinds: a graph input box, a graph output box, a box for a value read from an enclosing graph.
IO_INPUT, IO_OUTPUT, IO_OUTER = 0, 1, 2


_PLAIN_DIM = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*|-?[0-9]+")


def dim_label(d: Any) -> str:
    """One dim: '224', 'batch', '?' when unknown; a symbolic expression in brackets, '(h/32)',
    so that '1×(h/32)' cannot be misread as '(1×h)/32'."""
    if d is None:
        return "?"
    s = str(d)
    return s if _PLAIN_DIM.fullmatch(s) else f"({s})"


def shape_label(shape: tuple[Any, ...] | None) -> str:
    """'1×3×224×224' for a shape, '?' for an unknown dim, 'scalar' for (), '' when the rank is unknown;
    symbolic expressions are bracketed: 'batch×(seq*2)'. Memoised: tables show a few shapes many times."""
    if shape is None or (shape.__class__ is tuple and all(d.__class__ in _PLAIN_TYPES for d in shape)):
        return _shape_label_cached(shape)  # (only exact int/str/None dims: 1 == 1.0 == True as cache keys)
    return _shape_label(shape)


def _shape_label(shape: tuple[Any, ...] | None) -> str:
    if shape is None:
        return ""
    if len(shape) == 0:
        return "scalar"
    return "×".join(dim_label(d) for d in shape)


_shape_label_cached = functools.lru_cache(maxsize=8192)(_shape_label)
_PLAIN_TYPES = (int, str, type(None))


def string_table(columns: list[list[str]]) -> tuple[dict[str, list[Any]], list[np.ndarray]]:
    """Sorted, front-coded table of every distinct string in ``columns``, and each column as indices."""
    lengths = [len(c) for c in columns]
    flat: list[str] = [s for c in columns for s in c]
    codes, uniques = pd.factorize(np.asarray(flat, dtype=object), sort=True)
    strings: list[str] = list(uniques)
    prefix, wide = _prefix_lengths(strings)
    suffix = [s[p:] for s, p in zip(strings, prefix, strict=True)]
    # JS slices strings in UTF-16 code units; convert where a string is not plain ASCII
    for k in wide:
        s = strings[k]
        if prefix[k] and not s.isascii():
            prefix[k] = len(s[: prefix[k]].encode("utf-16-le", "surrogatepass")) // 2
    out: list[np.ndarray] = []
    start = 0
    for n in lengths:
        out.append(codes[start : start + n])
        start += n
    return {"prefix": prefix, "suffix": suffix}, out


def _prefix_lengths(strings: list[str], width: int = 64) -> tuple[list[int], list[int]]:
    """Common-prefix length (code points) of each string with the one before it, vectorised on
    the first ``width`` characters, exact beyond that for the rare longer shared prefixes; and the
    positions of the strings whose shared prefix may hold a non-ASCII character."""
    n = len(strings)
    if n == 0:
        return [], []
    arr = np.array([s[:width] for s in strings], dtype=f"<U{width}").view(np.uint32).reshape(n, width)
    same = arr[1:] == arr[:-1]
    # first differing position (width when the first `width` chars agree); padding is NUL, and a
    # shorter string's NUL against a longer one's char counts as a difference, which is right
    diff_at = np.where(same.all(axis=1), width, np.argmin(same, axis=1))
    prefix = [0, *diff_at.tolist()]
    for k in np.flatnonzero(diff_at == width).tolist():
        a, b = strings[k], strings[k + 1]
        prefix[k + 1] = _common_prefix(a, b)
    # a NUL character inside a name would look like padding: clamp to the real lengths
    lens = np.fromiter(map(len, strings), dtype=np.int64, count=n)
    limit = np.minimum(lens[1:], lens[:-1])
    out = np.concatenate(([0], np.minimum(np.asarray(prefix[1:], dtype=np.int64), limit)))
    wide = (arr > 127).any(axis=1) | (out >= width)
    return out.tolist(), np.flatnonzero(wide).tolist()


def _common_prefix(a: str, b: str) -> int:
    """Length (in code points) of the common prefix of a and b, by bisection on C-level compares."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def encode_ints(col: list[int] | np.ndarray) -> list[int] | dict[str, list[int]]:
    """Plain list when short, run-length pairs {"rle": [v, n, ...]} when mostly constant, else
    {"delta": [v0, v1-v0, ...]} (small numbers: index columns mostly step by little)."""
    n = len(col)
    a = np.asarray(col, dtype=np.int64)
    if n < 64:
        return a.tolist()
    changes = np.flatnonzero(a[1:] != a[:-1])
    if 2 * (len(changes) + 1) <= n // 4:
        starts = np.concatenate(([0], changes + 1))
        lengths = np.diff(np.append(starts, n))
        return {"rle": np.column_stack((a[starts], lengths)).ravel().tolist()}
    return {"delta": np.diff(a, prepend=0).tolist()}


def decode_ints(col: list[int] | dict[str, list[int]]) -> list[int]:
    """Inverse of encode_ints."""
    if isinstance(col, list):
        return col
    if "rle" in col:
        pairs = col["rle"]
        return [v for k in range(0, len(pairs), 2) for v in [pairs[k]] * pairs[k + 1]]
    return np.cumsum(np.asarray(col["delta"], dtype=np.int64)).tolist()


@dataclass
class _Graphs:
    """Graph rows (row 0 is the main graph "") and the node rows they index."""

    paths: list[str]
    row: dict[str, int]
    owner: list[int]
    parent: list[int]
    attr: list[str]
    node_ids: list[str]
    node_row: dict[str, int]
    node_graph_paths: list[str]
    node_graph_rows: list[int]


@dataclass
class _Tensors:
    """Tensor columns, one per ``m.tensors`` row, and the per-graph name -> row lookup."""

    names: list[str]
    graphs: list[str]
    kind: list[int]
    shape: list[str]
    dtype: list[str]
    producers: list[str | None]
    rows_in: dict[str, dict[str, int]]


@dataclass
class _Io:
    """Graph input, outer-value and output boxes, and where each tensor comes from."""

    graph: list[int]
    kind: list[int]
    tensor: list[int]
    src_of: np.ndarray  # tensor row -> producer node row, n_nodes + io row, or -1


def _graph_rows(m: Model) -> _Graphs:
    """Graph rows with their owner node, parent graph and attribute, plus node-row lookups."""
    graphs, nodes = m.graphs, m.nodes
    paths = list(graphs.index)
    row = {p: i for i, p in enumerate(paths)}
    node_ids = list(nodes.index)
    node_row = dict(zip(node_ids, range(len(node_ids)), strict=True))
    node_graph_paths = nodes["graph"].tolist()
    return _Graphs(
        paths,
        row,
        [node_row.get(o, -1) if o is not None else -1 for o in graphs["owner"]],
        [row.get(p, -1) if p is not None else -1 for p in graphs["parent"]],
        [a if isinstance(a, str) else "" for a in graphs["attribute"]],
        node_ids,
        node_row,
        node_graph_paths,
        [row[g] for g in node_graph_paths] if len(paths) > 1 else [0] * len(node_ids),
    )


def _scope_rows(m: Model, g: _Graphs) -> tuple[list[int], list[str], list[int], list[int]]:
    """Scope rows (graph, path, parent): every (graph, scope) of a node plus its ancestors, and a
    root "" per graph; and each node's scope row."""
    scope_row: dict[tuple[str, str], int] = {}
    s_graph: list[int] = []
    s_path: list[str] = []
    s_parent: list[int] = []

    def scope(graph: str, path: str) -> int:
        key = (graph, path)
        row = scope_row.get(key)
        if row is not None:
            return row
        parent = -1 if path == "" else scope(graph, path.rpartition("/")[0])
        row = len(s_graph)
        scope_row[key] = row
        s_graph.append(g.row[graph])
        s_path.append(path)
        s_parent.append(parent)
        return row

    for path in g.paths:
        scope(path, "")
    node_scopes = m.nodes["scope"].tolist()
    if len(g.paths) == 1:  # one graph: one row per distinct scope, in first-seen order, parents first
        codes, uniques = pd.factorize(np.asarray(node_scopes, dtype=object))
        path_row = {path: row for (_, path), row in scope_row.items()}
        rows = []
        for s in uniques:
            row = path_row.get(s)
            if row is None:
                missing = []
                p = s
                while p not in path_row:  # "" (the root) always is
                    missing.append(p)
                    p = p.rpartition("/")[0]
                row = path_row[p]
                for q in reversed(missing):  # outermost first, as scope() would add them
                    s_parent.append(row)
                    row = path_row[q] = len(s_graph)
                    s_graph.append(0)
                    s_path.append(q)
            rows.append(row)
        n_scope = np.asarray(rows, dtype=np.int64)[codes].tolist() if len(codes) else []
    else:
        n_scope = []
        for key in zip(g.node_graph_paths, node_scopes, strict=True):
            row = scope_row.get(key)
            n_scope.append(row if row is not None else scope(*key))
    return s_graph, s_path, s_parent, n_scope


def _tensor_rows(m: Model, g: _Graphs) -> _Tensors:
    """Tensor names, kinds, shape and dtype labels, producers, and the name -> row lookup per graph."""
    tensors = m.tensors
    names = tensors["name"].tolist()
    graphs = tensors["graph"].tolist()
    kind_code = {k: i for i, k in enumerate(TENSOR_KINDS)}
    kind = tensors["kind"].map(kind_code).fillna(0).astype(np.int64).tolist()
    rows_in: dict[str, dict[str, int]] = {p: {} for p in g.paths}
    if len(g.paths) == 1:
        rows_in[""] = dict(zip(names, range(len(names)), strict=True))
    else:
        for i, (gp, name) in enumerate(zip(graphs, names, strict=True)):
            rows_in.setdefault(gp, {})[name] = i
    shapes = [sh if sh is None or sh.__class__ is tuple else tuple(sh) for sh in tensors["shape"].tolist()]
    codes, uniques = pd.factorize(np.asarray([*shapes, None], dtype=object)[:-1])  # (tuples stay whole)
    labels = np.asarray([*(shape_label(u) for u in uniques), ""], dtype=object)  # code -1: None
    shape = labels[codes].tolist()
    dtype = [d if d.__class__ is str else "" for d in tensors["dtype"].tolist()]
    return _Tensors(names, graphs, kind, shape, dtype, tensors["producer"].tolist(), rows_in)


def _io_rows(m: Model, g: _Graphs, t: _Tensors) -> _Io:
    """Per graph: its inputs (not initializers), the outer values it reads, then its outputs; and
    for every tensor the row it comes from (its producer node, or an input / outer-value box)."""
    io_graph: list[int] = []
    io_kind: list[int] = []
    io_tensor: list[int] = []
    io_of_tensor: dict[int, int] = {}
    input_code, outer_code = TENSOR_KINDS.index("input"), TENSOR_KINDS.index("outer")
    outer_rows: dict[str, list[int]] = {}
    for i, (gp, k) in enumerate(zip(t.graphs, t.kind, strict=True)):
        if k == outer_code:
            outer_rows.setdefault(gp, []).append(i)
    graphs = m.graphs
    for gi, (gp, ins, outs) in enumerate(zip(g.paths, graphs["inputs"], graphs["outputs"], strict=True)):
        lookup = t.rows_in[gp]
        for name in ins:
            r = lookup.get(name)
            if r is not None and t.kind[r] == input_code and r not in io_of_tensor:
                io_of_tensor[r] = len(io_graph)
                io_graph.append(gi)
                io_kind.append(IO_INPUT)
                io_tensor.append(r)
        for r in outer_rows.get(gp, ()):
            io_of_tensor[r] = len(io_graph)
            io_graph.append(gi)
            io_kind.append(IO_OUTER)
            io_tensor.append(r)
        for name in outs:
            r = lookup.get(name)
            if r is not None:
                io_graph.append(gi)
                io_kind.append(IO_OUTPUT)
                io_tensor.append(r)
    n_nodes = len(g.node_ids)
    src_of = np.full(len(t.names), -1, dtype=np.int64)
    node_row = g.node_row
    for r, p in enumerate(t.producers):
        if p is not None:
            src_of[r] = node_row[p]
    for r, io in io_of_tensor.items():
        src_of[r] = n_nodes + io
    return _Io(io_graph, io_kind, io_tensor, src_of)


def _node_tensors(g: _Graphs, t: _Tensors, lists: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """CSR (pointers, tensor rows) of the nodes' input or output names, resolved in each node's graph;
    -1 for an omitted ('') or unknown name."""
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    ptr = np.concatenate(([0], np.cumsum(counts)))
    flat = [name for tup in lists for name in tup]
    out = np.full(len(flat), -1, dtype=np.int64)
    if len(g.paths) == 1 and flat:
        index = pd.Index(t.names, dtype=object)
        if index.is_unique:
            out[:] = index.get_indexer(np.asarray(flat, dtype=object))
            if (
                "" in t.rows_in[""]
            ):  # an omitted optional input is no tensor, even beside an initializer named ''
                out[np.asarray(flat, dtype=object) == ""] = -1
        else:
            lookup = t.rows_in[""]
            out[:] = [lookup.get(name, -1) if name else -1 for name in flat]
    else:
        flat_graphs = np.repeat(np.asarray(g.node_graph_rows), counts)
        for gi, gp in enumerate(g.paths):
            idx = np.flatnonzero(flat_graphs == gi)
            if len(idx):
                lookup = t.rows_in.get(gp, {})
                out[idx] = [lookup.get(flat[k], -1) if flat[k] else -1 for k in idx.tolist()]
    return ptr, out


def _edges(
    m: Model, g: _Graphs, t: _Tensors, io: _Io, in_ptr: np.ndarray, ins_flat: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges (src, dst, tensor) producer -> consumer: explicit inputs, values bodies read (they flow
    into the owning node), and producer -> graph output box."""
    n_nodes = len(g.node_ids)
    src_of = io.src_of
    dst = np.repeat(np.arange(n_nodes), np.diff(in_ptr))
    ok = ins_flat >= 0
    src = np.where(ok, src_of[np.where(ok, ins_flat, 0)], -1)
    keep = src >= 0
    extra_src: list[int] = []
    extra_dst: list[int] = []
    extra_t: list[int] = []
    implicit_inputs = m.nodes["implicit_inputs"].tolist()
    for i, implicit in enumerate(implicit_inputs):
        if implicit:
            lookup = t.rows_in[g.node_graph_paths[i]]
            for name in implicit:
                r = lookup.get(name, -1)
                if r >= 0 and src_of[r] >= 0:
                    extra_src.append(int(src_of[r]))
                    extra_dst.append(i)
                    extra_t.append(r)
    for k, r in enumerate(io.tensor):
        if io.kind[k] == IO_OUTPUT and src_of[r] >= 0:
            extra_src.append(int(src_of[r]))
            extra_dst.append(n_nodes + k)
            extra_t.append(r)
    return (
        np.concatenate([src[keep], np.asarray(extra_src, dtype=np.int64)]),
        np.concatenate([dst[keep], np.asarray(extra_dst, dtype=np.int64)]),
        np.concatenate([ins_flat[keep], np.asarray(extra_t, dtype=np.int64)]),
    )


def _body_rows(m: Model, g: _Graphs) -> tuple[list[int], list[int]]:
    """(node row, graph row) for each body a node opens: subgraphs it owns, model-local functions it calls."""
    b_node: list[int] = []
    b_graph: list[int] = []
    for i, subs in enumerate(m.nodes["subgraphs"].tolist()):
        for p in subs:
            gi = g.row.get(p)
            if gi is not None:
                b_node.append(i)
                b_graph.append(gi)
    return b_node, b_graph


def graph_payload(m: Model) -> dict[str, Any]:
    """Build the graph view's payload from a loaded model (JSON-serialisable dict of lists)."""
    nodes: pd.DataFrame = m.nodes
    g = _graph_rows(m)
    s_graph, s_path, s_parent, n_scope = _scope_rows(m, g)
    t = _tensor_rows(m, g)
    io = _io_rows(m, g, t)
    in_ptr, ins_flat = _node_tensors(g, t, nodes["inputs"].tolist())
    out_ptr, outs_flat = _node_tensors(g, t, nodes["outputs"].tolist())
    edge_src, edge_dst, edge_tensor = _edges(m, g, t, io, in_ptr, ins_flat)
    b_node, b_graph = _body_rows(m, g)
    table, coded = string_table(
        [
            g.paths, g.attr, s_path, g.node_ids, nodes["name"].tolist(), nodes["op_type"].tolist(),
            nodes["domain"].tolist(), t.names, t.shape, t.dtype, [m.title],
        ]
    )  # fmt: skip
    g_path, g_attr_i, s_path_i, n_id, n_name, n_op, n_domain, t_name, t_shape_i, t_dtype_i, m_name = coded
    e = encode_ints
    return {
        "format": FORMAT,
        "version": VERSION,
        "strings": table,
        "tensor_kinds": list(TENSOR_KINDS),
        "model": {"name": int(m_name[0]), "n_nodes": len(g.node_ids)},
        "graphs": {"path": e(g_path), "owner": e(g.owner), "attr": e(g_attr_i), "parent": e(g.parent)},
        "scopes": {"graph": e(s_graph), "path": e(s_path_i), "parent": e(s_parent)},
        "nodes": {
            "id": e(n_id),
            "name": e(n_name),
            "op": e(n_op),
            "domain": e(n_domain),
            "graph": e(g.node_graph_rows),
            "scope": e(n_scope),
            "in_ptr": e(in_ptr),
            "in": e(ins_flat),
            "out_ptr": e(out_ptr),
            "out": e(outs_flat),
            # 1 for parameter plumbing (computes only from weights/constants): listed, not drawn
            "plumbing": e(plumbing_mask(m).astype(np.int64)),
        },
        "tensors": {"name": e(t_name), "shape": e(t_shape_i), "dtype": e(t_dtype_i), "kind": e(t.kind)},
        "io": {"graph": e(io.graph), "kind": e(io.kind), "tensor": e(io.tensor)},
        "edges": {"src": e(edge_src), "dst": e(edge_dst), "tensor": e(edge_tensor)},
        "bodies": {"node": e(b_node), "graph": e(b_graph)},
    }


def decode_strings(table: dict[str, list[Any]]) -> list[str]:
    """Inverse of the front coding (for tests and for Python code reading a payload back)."""
    out: list[str] = []
    prev16 = b""
    for p, suf in zip(table["prefix"], table["suffix"], strict=True):
        cur16 = prev16[: 2 * p] + suf.encode("utf-16-le", "surrogatepass")
        out.append(cur16.decode("utf-16-le", "surrogatepass"))
        prev16 = cur16
    return out
