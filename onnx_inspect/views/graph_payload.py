"""The graph payload: everything the graph view draws, built once from an ``oi.Model`` and sent once.

Compact on purpose (a 50k-node model must stay well under 5 MB of JSON and 0.5 s to build): one
front-coded string table, then columnar integer arrays that refer to it. The front end
(``js/src/payload.ts``) decodes it; overlays and selection travel separately, so repainting never
resends the graph. Model text is carried as data only; the front end never parses it as markup.
"""

from __future__ import annotations

import re
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
    symbolic expressions are bracketed: 'batch×(seq*2)'."""
    if shape is None:
        return ""
    if len(shape) == 0:
        return "scalar"
    return "×".join(dim_label(d) for d in shape)


def string_table(columns: list[list[str]]) -> tuple[dict[str, list[Any]], list[np.ndarray]]:
    """Sorted, front-coded table of every distinct string in ``columns``, and each column as indices."""
    lengths = [len(c) for c in columns]
    flat: list[str] = [s for c in columns for s in c]
    codes, uniques = pd.factorize(np.asarray(flat, dtype=object), sort=True)
    strings: list[str] = list(uniques)
    prefix = _prefix_lengths(strings)
    suffix = [s[p:] for s, p in zip(strings, prefix, strict=True)]
    # JS slices strings in UTF-16 code units; convert where a string is not plain ASCII
    for k, s in enumerate(strings):
        if prefix[k] and not s.isascii():
            prefix[k] = len(s[: prefix[k]].encode("utf-16-le", "surrogatepass")) // 2
    out: list[np.ndarray] = []
    start = 0
    for n in lengths:
        out.append(codes[start : start + n])
        start += n
    return {"prefix": prefix, "suffix": suffix}, out


def _prefix_lengths(strings: list[str], width: int = 64) -> list[int]:
    """Common-prefix length (code points) of each string with the one before it, vectorised on
    the first ``width`` characters, exact beyond that for the rare longer shared prefixes."""
    n = len(strings)
    if n == 0:
        return []
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
    return [0, *np.minimum(np.asarray(prefix[1:], dtype=np.int64), limit).tolist()]


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


def graph_payload(m: Model) -> dict[str, Any]:
    """Build the graph view's payload from a loaded model (JSON-serialisable dict of lists)."""
    nodes: pd.DataFrame = m.nodes
    tensors: pd.DataFrame = m.tensors
    graphs: pd.DataFrame = m.graphs

    # graphs (row 0 is the main graph "")
    graph_paths = list(graphs.index)
    graph_row = {p: i for i, p in enumerate(graph_paths)}
    node_ids = list(nodes.index)
    n_nodes = len(node_ids)
    node_row = {nid: i for i, nid in enumerate(node_ids)}
    g_owner = [node_row.get(o, -1) if o is not None else -1 for o in graphs["owner"]]
    g_parent = [graph_row.get(p, -1) if p is not None else -1 for p in graphs["parent"]]
    g_attr = [a if isinstance(a, str) else "" for a in graphs["attribute"]]

    # scopes: every (graph, scope) of a node plus its ancestors, and a root "" per graph
    node_graph_paths = nodes["graph"].tolist()
    node_scopes = nodes["scope"].tolist()
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
        s_graph.append(graph_row[graph])
        s_path.append(path)
        s_parent.append(parent)
        return row

    for g in graph_paths:
        scope(g, "")
    n_scope = []
    for key in zip(node_graph_paths, node_scopes, strict=True):
        row = scope_row.get(key)
        n_scope.append(row if row is not None else scope(*key))

    # tensors: one row per m.tensors row
    t_names = tensors["name"].tolist()
    t_graphs = tensors["graph"].tolist()
    t_kinds = tensors["kind"].tolist()
    kind_code = {k: i for i, k in enumerate(TENSOR_KINDS)}
    t_kind = [kind_code.get(k, 0) for k in t_kinds]
    rows_in: dict[str, dict[str, int]] = {g: {} for g in graph_paths}  # graph -> name -> tensor row
    for i, (g, name) in enumerate(zip(t_graphs, t_names, strict=True)):
        rows_in.setdefault(g, {})[name] = i
    shape_cache: dict[Any, str] = {}
    t_shape: list[str] = []
    for sh in tensors["shape"].tolist():
        shape = sh if sh is None else tuple(sh)
        label = shape_cache.get(shape)
        if label is None:
            label = shape_cache[shape] = shape_label(shape)
        t_shape.append(label)
    t_dtype = [d if isinstance(d, str) else "" for d in tensors["dtype"].tolist()]
    producers = tensors["producer"].tolist()

    # io rows: per graph, inputs (not initializers), outer values read, then outputs
    io_graph: list[int] = []
    io_kind: list[int] = []
    io_tensor: list[int] = []
    io_of_tensor: dict[int, int] = {}
    input_code, outer_code = kind_code["input"], kind_code["outer"]
    outer_rows: dict[str, list[int]] = {}
    for i, (g, k) in enumerate(zip(t_graphs, t_kind, strict=True)):
        if k == outer_code:
            outer_rows.setdefault(g, []).append(i)
    for gi, (g, ins, outs) in enumerate(zip(graph_paths, graphs["inputs"], graphs["outputs"], strict=True)):
        for name in ins:
            t = rows_in[g].get(name)
            if t is not None and t_kind[t] == input_code and t not in io_of_tensor:
                io_of_tensor[t] = len(io_graph)
                io_graph.append(gi)
                io_kind.append(IO_INPUT)
                io_tensor.append(t)
        for t in outer_rows.get(g, ()):
            io_of_tensor[t] = len(io_graph)
            io_graph.append(gi)
            io_kind.append(IO_OUTER)
            io_tensor.append(t)
        for name in outs:
            t = rows_in[g].get(name)
            if t is not None:
                io_graph.append(gi)
                io_kind.append(IO_OUTPUT)
                io_tensor.append(t)

    # where each tensor comes from: its producer node row, an io row (input / outer value), or -1
    src_of = np.full(len(t_names), -1, dtype=np.int64)
    for t, p in enumerate(producers):
        if p is not None:
            src_of[t] = node_row[p]
    for t, io in io_of_tensor.items():
        src_of[t] = n_nodes + io

    # node input/output tensor rows (CSR), resolved per graph
    def resolve(lists: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        ptr = np.concatenate(([0], np.cumsum(counts)))
        flat = [name for tup in lists for name in tup]
        out = np.full(len(flat), -1, dtype=np.int64)
        if single_graph:
            lookup = rows_in.get("", {})
            out[:] = [lookup.get(name, -1) if name else -1 for name in flat]
        else:
            flat_graphs = np.repeat(np.asarray(node_graph_rows), counts)
            for gi, g in enumerate(graph_paths):
                idx = np.flatnonzero(flat_graphs == gi)
                if len(idx):
                    lookup = rows_in.get(g, {})
                    out[idx] = [lookup.get(flat[k], -1) if flat[k] else -1 for k in idx.tolist()]
        return ptr, out

    node_graph_rows = [graph_row[g] for g in node_graph_paths]
    single_graph = len(graph_paths) == 1
    in_ptr, ins_flat = resolve(nodes["inputs"].tolist())
    out_ptr, outs_flat = resolve(nodes["outputs"].tolist())

    # edges producer -> consumer: explicit inputs, values bodies read (they flow into the owning
    # node), and producer -> graph output box
    dst = np.repeat(np.arange(n_nodes), np.diff(in_ptr))
    ok = ins_flat >= 0
    src = np.where(ok, src_of[np.where(ok, ins_flat, 0)], -1)
    keep = src >= 0
    e_src, e_dst, e_tensor = [src[keep]], [dst[keep]], [ins_flat[keep]]
    extra_src: list[int] = []
    extra_dst: list[int] = []
    extra_t: list[int] = []
    for i, (g, implicit) in enumerate(zip(node_graph_paths, nodes["implicit_inputs"].tolist(), strict=True)):
        for name in implicit:
            t = rows_in[g].get(name, -1)
            if t >= 0 and src_of[t] >= 0:
                extra_src.append(int(src_of[t]))
                extra_dst.append(i)
                extra_t.append(t)
    for r, t in enumerate(io_tensor):
        if io_kind[r] == IO_OUTPUT and src_of[t] >= 0:
            extra_src.append(int(src_of[t]))
            extra_dst.append(n_nodes + r)
            extra_t.append(t)
    edge_src = np.concatenate([*e_src, np.asarray(extra_src, dtype=np.int64)])
    edge_dst = np.concatenate([*e_dst, np.asarray(extra_dst, dtype=np.int64)])
    edge_tensor = np.concatenate([*e_tensor, np.asarray(extra_t, dtype=np.int64)])

    # bodies a node opens: subgraphs it owns and model-local functions it calls
    b_node: list[int] = []
    b_graph: list[int] = []
    for i, subs in enumerate(nodes["subgraphs"].tolist()):
        for p in subs:
            body = graph_row.get(p)
            if body is not None:
                b_node.append(i)
                b_graph.append(body)

    model_name = m.title
    table, coded = string_table(
        [
            graph_paths, g_attr, s_path, node_ids, nodes["name"].tolist(), nodes["op_type"].tolist(),
            nodes["domain"].tolist(), t_names, t_shape, t_dtype, [model_name],
        ]
    )  # fmt: skip
    g_path, g_attr_i, s_path_i, n_id, n_name, n_op, n_domain, t_name, t_shape_i, t_dtype_i, m_name = coded

    def e(col: list[int] | np.ndarray) -> list[int] | dict[str, list[int]]:
        return encode_ints(col)

    return {
        "format": FORMAT,
        "version": VERSION,
        "strings": table,
        "tensor_kinds": list(TENSOR_KINDS),
        "model": {"name": int(m_name[0]), "n_nodes": n_nodes},
        "graphs": {"path": e(g_path), "owner": e(g_owner), "attr": e(g_attr_i), "parent": e(g_parent)},
        "scopes": {"graph": e(s_graph), "path": e(s_path_i), "parent": e(s_parent)},
        "nodes": {
            "id": e(n_id),
            "name": e(n_name),
            "op": e(n_op),
            "domain": e(n_domain),
            "graph": e(node_graph_rows),
            "scope": e(n_scope),
            "in_ptr": e(in_ptr),
            "in": e(ins_flat),
            "out_ptr": e(out_ptr),
            "out": e(outs_flat),
            # 1 for parameter plumbing (computes only from weights/constants): listed, not drawn
            "plumbing": e(plumbing_mask(m).astype(np.int64)),
        },
        "tensors": {"name": e(t_name), "shape": e(t_shape_i), "dtype": e(t_dtype_i), "kind": e(t_kind)},
        "io": {"graph": e(io_graph), "kind": e(io_kind), "tensor": e(io_tensor)},
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
