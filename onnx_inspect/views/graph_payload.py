"""The graph payload: everything the graph view draws, built once from an ``oi.Model`` and sent once.

Compact on purpose (a 50k-node model must stay well under 5 MB of JSON and 0.5 s to build): one
front-coded string table, then columnar integer arrays that refer to it. The front end
(``js/src/payload.ts``) decodes it; overlays and selection travel separately, so repainting never
resends the graph. Model text is carried as data only; the front end never parses it as markup.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import struct
import zlib
from typing import Any

import numpy as np
import pandas as pd

from ..model import Model
from ..model.links import Links, links
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


class _Table:
    """The payload's string table, built by appending columns: a column whose values are known to be
    distinct goes in whole, others as their distinct values (hash-based, first seen first, no sorting).
    A string may appear more than once (e.g. as a node id and as a tensor name): codes stay exact."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add_distinct(self, values: np.ndarray) -> np.ndarray:
        """Append values that are distinct (or where repeats cost little); their codes."""
        codes = np.arange(self.size, self.size + len(values), dtype=np.int64)
        self.parts.append(np.asarray(values, dtype=object))
        self.size += len(values)
        return codes

    def add(self, values: np.ndarray | list[Any]) -> np.ndarray:
        """Append the distinct values of a column; the column's codes (None and NaN are '')."""
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))  # (None, NaN: code -1)
        if not len(codes):
            return codes.astype(np.int64)
        if codes.min() < 0:  # the last code stands for ''
            uniques = np.append(np.asarray(uniques, dtype=object), "")
        return self.add_distinct(np.asarray(uniques, dtype=object))[codes]

    def strings(self) -> list[str]:
        return np.concatenate(self.parts).tolist() if self.parts else []


def _scope_rows(
    m: Model, node_graph: np.ndarray, graph_paths: list[str]
) -> tuple[list[int], list[str], list[int], np.ndarray]:
    """Scope rows (graph, path, parent): a root "" per graph, then every (graph, scope) of a node,
    its missing ancestors first (outermost first), in first-seen order; and each node's scope row."""
    n_g = len(graph_paths)
    # path -> scope row, one dict per graph (no tuple keys: millions of tracked objects make the
    # collector's first full pass after a big load expensive, and tuples would feed it)
    scope_row: list[dict[str, int]] = [{"": g} for g in range(n_g)]
    s_graph: list[int] = list(range(n_g))
    s_path: list[str] = [""] * n_g
    s_parent: list[int] = [-1] * n_g
    s_codes, s_uniques = pd.factorize(m.nodes["scope"].to_numpy(dtype=object))  # None, NaN: -1
    paths = [*s_uniques.tolist(), ""]  # (code -1: no scope)
    width = len(paths)
    k_codes, k_uniques = pd.factorize(np.maximum(node_graph, 0) * width + s_codes % width)
    rows: list[int] = []
    for k in k_uniques.tolist():
        g = k // width
        path, known = paths[k % width], scope_row[g]
        row = known.get(path)
        if row is None:
            missing = []
            p = path
            while row is None:  # the graph's root "" always is there
                missing.append(p)
                p = p.rpartition("/")[0]
                row = known.get(p)
            for q in reversed(missing):
                s_graph.append(g)
                s_path.append(q)
                s_parent.append(row)
                row = known[q] = len(s_graph) - 1
        rows.append(row)
    node_scope = np.asarray(rows, dtype=np.int64)[k_codes] if len(k_codes) else np.zeros(0, dtype=np.int64)
    return s_graph, s_path, s_parent, node_scope


def _shape_labels(m: Model) -> tuple[np.ndarray, np.ndarray]:
    """Each tensor's shape label (``shape_label``) as (codes, labels): computed once per distinct shape."""
    shapes = m.tensor_column("shape")
    if not set(map(type, shapes)) <= {tuple, type(None)}:  # (lists are not hashable)
        shapes = [sh if sh is None or sh.__class__ is tuple else tuple(sh) for sh in shapes]
    codes, uniques = pd.factorize(np.fromiter(shapes, dtype=object, count=len(shapes)))  # (tuples stay whole)
    labels = np.asarray([*(shape_label(u) for u in uniques), ""], dtype=object)  # code -1: None
    return codes, labels


def _io_rows(
    m: Model, L: Links, kind: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per graph: its inputs (not initializers), the outer values it reads, then its outputs; and
    for every tensor the item it comes from (its producer node row, n_nodes + an input / outer-value
    box row, or -1)."""
    graphs = m.graphs
    n_g = len(graphs)
    init_code, outer_code = TENSOR_KINDS.index("initializer"), TENSOR_KINDS.index("outer")
    ins_g = [g for g, names in enumerate(graphs["inputs"]) for _ in names]
    in_rows = L.resolve(ins_g, [name for names in graphs["inputs"] for name in names])
    outs_g = [g for g, names in enumerate(graphs["outputs"]) for _ in names]
    out_rows = L.resolve(outs_g, [name for names in graphs["outputs"] for name in names])
    in_g = np.asarray(ins_g, dtype=np.int64)
    ok = in_rows >= 0
    ok[ok] = kind[in_rows[ok]] != init_code  # (an input that is also an output has kind 'output')
    in_g, in_rows = in_g[ok], in_rows[ok]
    if len(in_rows):  # a value listed twice as an input gets one box
        _, first = np.unique(in_rows, return_index=True)
        keep = np.zeros(len(in_rows), dtype=bool)
        keep[first] = True
        in_g, in_rows = in_g[keep], in_rows[keep]
    outer = np.flatnonzero((kind == outer_code) & (L.tensor_graph >= 0))
    out_g = np.asarray(outs_g, dtype=np.int64)
    ok = out_rows >= 0
    out_g, out_rows = out_g[ok], out_rows[ok]
    # rows ordered by graph, then inputs, outer values, outputs, each in its own order
    g = np.concatenate([in_g, L.tensor_graph[outer], out_g])
    k = np.concatenate(
        [np.full(len(in_g), IO_INPUT), np.full(len(outer), IO_OUTER), np.full(len(out_g), IO_OUTPUT)]
    ).astype(np.int64)
    t = np.concatenate([in_rows, outer, out_rows]).astype(np.int64)
    order = (
        np.lexsort((np.arange(len(g)), np.asarray([0, 2, 1])[k], g)) if n_g else np.zeros(0, dtype=np.int64)
    )
    g, k, t = g[order], k[order], t[order]
    src_of = np.where(L.producer >= 0, L.producer, -1)
    boxes = np.flatnonzero(k != IO_OUTPUT)
    src_of[t[boxes]] = n_nodes + boxes
    return g, k, t, src_of


def _edges(
    m: Model, L: Links, io_kind: np.ndarray, io_tensor: np.ndarray, src_of: np.ndarray, ins: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges (src, dst, tensor) producer -> consumer: explicit inputs, values bodies read (they flow
    into the owning node), and producer -> graph output box."""
    n_nodes = len(L.node_graph)
    dst = np.repeat(np.arange(n_nodes), np.diff(L.in_ptr))
    ok = ins >= 0
    src = np.where(ok, src_of[np.where(ok, ins, 0)], -1)
    keep = src >= 0
    implicit = m.nodes["implicit_inputs"].tolist()
    counts = np.fromiter(map(len, implicit), dtype=np.int64, count=n_nodes)
    imp_dst = np.repeat(np.arange(n_nodes), counts)
    imp_t = L.resolve(L.node_graph[imp_dst], [name for names in implicit if names for name in names])
    imp_src = np.where(imp_t >= 0, src_of[np.maximum(imp_t, 0)], -1)
    imp_keep = imp_src >= 0
    outs = np.flatnonzero(io_kind == IO_OUTPUT)
    out_src = src_of[io_tensor[outs]]
    out_keep = out_src >= 0
    return (
        np.concatenate([src[keep], imp_src[imp_keep], out_src[out_keep]]),
        np.concatenate([dst[keep], imp_dst[imp_keep], n_nodes + outs[out_keep]]),
        np.concatenate([ins[keep], imp_t[imp_keep], io_tensor[outs][out_keep]]),
    )


def _body_rows(m: Model, graph_row: dict[str, int]) -> tuple[list[int], list[int]]:
    """(node row, graph row) for each body a node opens: subgraphs it owns, model-local functions it calls."""
    b_node: list[int] = []
    b_graph: list[int] = []
    subgraphs = m.nodes["subgraphs"].tolist()
    for i in itertools.compress(range(len(subgraphs)), subgraphs):  # (the few nodes that open a body)
        for p in subgraphs[i]:
            gi = graph_row.get(p)
            if gi is not None:
                b_node.append(i)
                b_graph.append(gi)
    return b_node, b_graph


def graph_columns(m: Model) -> dict[str, Any]:
    """The payload with its integer columns as numpy arrays (``graph_payload`` and ``payload_bytes``
    encode it for JSON and for the widget)."""
    nodes: pd.DataFrame = m.nodes
    tensors: pd.DataFrame = m.tensors
    L = links(m)
    n_nodes = len(nodes)
    graphs = m.graphs
    g_paths = [str(p) for p in graphs.index]
    graph_row = {p: i for i, p in enumerate(g_paths)}
    node_row = nodes.index
    owner = np.asarray(
        [node_row.get_loc(o) if isinstance(o, str) and o in node_row else -1 for o in graphs["owner"]],
        dtype=np.int64,
    )
    parent = [graph_row.get(p, -1) if p is not None else -1 for p in graphs["parent"]]
    attr = np.asarray([a if isinstance(a, str) else "" for a in graphs["attribute"]], dtype=object)
    s_graph, s_path, s_parent, n_scope = _scope_rows(m, L.node_graph, g_paths)
    kind_codes, kind_names = pd.factorize(tensors["kind"].to_numpy(dtype=object))
    known = {k: i for i, k in enumerate(TENSOR_KINDS)}
    kind = np.asarray([*(known.get(k, 0) for k in kind_names), 0], dtype=np.int64)[kind_codes]  # -1: 0
    io_graph, io_kind, io_tensor, src_of = _io_rows(m, L, kind, n_nodes)
    ins, outs = np.maximum(L.ins, -1), np.maximum(L.outs, -1)
    edge_src, edge_dst, edge_tensor = _edges(m, L, io_kind, io_tensor, src_of, ins)
    b_node, b_graph = _body_rows(m, graph_row)
    table = _Table()
    head = table.add_distinct(np.asarray(["", m.title, *g_paths], dtype=object))
    g_attr = table.add(attr)
    s_path_i = table.add_distinct(np.asarray(s_path, dtype=object))
    ids = nodes.index.to_numpy(dtype=object)
    n_id = table.add_distinct(ids)  # node ids are unique
    names = nodes["name"].to_numpy(dtype=object)  # (text: the index refuses other names)
    n_name = n_id.copy()  # a node's name is usually its id
    other = np.flatnonzero(names != ids)
    n_name[other] = table.add(names[other])
    n_op = table.add(nodes["op_type"].to_numpy(dtype=object))
    n_domain = table.add(nodes["domain"].to_numpy(dtype=object))
    # tensor names: distinct within a graph (bodies may repeat an outer graph's names)
    t_names = tensors["name"].to_numpy(dtype=object)
    t_name = table.add_distinct(t_names) if len(g_paths) == 1 else table.add(t_names)
    shape_codes, shape_labels = _shape_labels(m)
    t_shape = table.add_distinct(shape_labels)[shape_codes]
    t_dtype = table.add(m.tensor_column("dtype"))
    strings = table.strings()
    return {
        "format": FORMAT,
        "version": VERSION,
        "strings": strings,
        "tensor_kinds": list(TENSOR_KINDS),
        "model": {"name": int(head[1]), "n_nodes": n_nodes},
        "graphs": {"path": head[2:], "owner": owner, "attr": g_attr, "parent": np.asarray(parent, dtype=np.int64)},
        "scopes": {"graph": np.asarray(s_graph, dtype=np.int64), "path": s_path_i, "parent": np.asarray(s_parent, dtype=np.int64)},
        "nodes": {
            "id": n_id,
            "name": n_name,
            "op": n_op,
            "domain": n_domain,
            "graph": L.node_graph,
            "scope": n_scope,
            "in_ptr": L.in_ptr,
            "in": ins,
            "out_ptr": L.out_ptr,
            "out": outs,
            # 1 for parameter plumbing (computes only from weights/constants): listed, not drawn
            "plumbing": plumbing_mask(m).astype(np.int64),
        },
        "tensors": {"name": t_name, "shape": t_shape, "dtype": t_dtype, "kind": kind},
        "io": {"graph": io_graph, "kind": io_kind, "tensor": io_tensor},
        "edges": {"src": edge_src, "dst": edge_dst, "tensor": edge_tensor},
        "bodies": {"node": np.asarray(b_node, dtype=np.int64), "graph": np.asarray(b_graph, dtype=np.int64)},
    }  # fmt: skip


def graph_payload(m: Model) -> dict[str, Any]:
    """Build the graph view's payload from a loaded model (JSON-serialisable dict of lists; the
    report embeds it, the widget sends the same columns as ``payload_bytes``). Strings are
    front-coded in table order, which roughly halves the deflated report's share of them."""
    p = _map_columns(graph_columns(m), encode_ints)
    p["strings"] = front_code(p["strings"])
    return p


def front_code(strings: list[str], width: int = 64) -> dict[str, list[Any]]:
    """{"prefix": [...], "suffix": [...]}: each string as the length of the prefix it shares with the one
    before it (UTF-16 code units, as the front end slices) and the rest. Vectorised on the first
    ``width`` UTF-8 bytes; exact per string where those are not ASCII or the shared part is longer."""
    n = len(strings)
    if n == 0:
        return {"prefix": [], "suffix": []}
    u = (
        np.array([s.encode("utf-8")[:width] for s in strings], dtype=f"S{width}")
        .view(np.uint8)
        .reshape(n, width)
    )
    same = u[1:] == u[:-1]
    shared = np.concatenate(([0], np.where(same.all(axis=1), width, np.argmin(same, axis=1))))
    lens = np.fromiter(map(len, strings), dtype=np.int64, count=n)
    # a shorter string's NUL padding can match a NUL character: no prefix is longer than either string
    shared[1:] = np.minimum(shared[1:], np.minimum(lens[1:], lens[:-1]))
    wide: np.ndarray = np.asarray((u > 127).any(axis=1), dtype=bool)
    after_wide = np.zeros(n, dtype=bool)
    after_wide[1:] = wide[:-1]
    exact = np.flatnonzero((shared >= width) | wide | after_wide)
    prefix = shared.tolist()
    cut = list(prefix)  # the same prefix in code points, for slicing here
    for k in exact.tolist():
        if k == 0:
            continue
        a, b = strings[k - 1], strings[k]
        p = _common_prefix(a, b)
        cut[k] = p
        prefix[k] = p if a[:p].isascii() else len(a[:p].encode("utf-16-le", "surrogatepass")) // 2
    return {"prefix": prefix, "suffix": [s[c:] for s, c in zip(strings, cut, strict=True)]}


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


def _map_columns(p: dict[str, Any], f: Any) -> dict[str, Any]:
    """``p`` with ``f`` applied to each integer column (the tables' values)."""
    return {k: {c: f(v) for c, v in p[k].items()} if k in _TABLES else v for k, v in p.items()}


_TABLES = ("graphs", "scopes", "nodes", "tensors", "io", "edges", "bodies")

#: The widget's wire form (``payload_bytes``): MAGIC, the length of the first part (uint32 LE), then two
#: parts, each raw deflate (RFC 1951). The first holds the header's length (uint32 LE), the header (UTF-8
#: JSON: the payload with each integer column replaced by {"i32": [at, n]} or, delta-coded, {"d32": [at,
#: n]}, and the string table by {"d32": [at, n], "utf8": nbytes, "split": k}: each string's length in
#: UTF-16 code units), spaces up to a multiple of 4 bytes, the int32 LE data the columns point into
#: (``at``, ``n`` in int32 units; the strings' lengths come last), then the UTF-8 bytes (``nbytes``) of
#: the table's first ``k`` strings: those the group tree needs (graph paths and attributes, scope paths).
#: The second part holds the UTF-8 bytes of the other strings. The front end inflates the two with the
#: browser's ``DecompressionStream`` in its two layout workers at once (js/src/offthread.ts): the first
#: builds the group tree meanwhile. OLD_MAGIC: one deflate stream, the table a JSON list in the header.
MAGIC = b"OIG2"
OLD_MAGIC = b"OIGZ"


def _int32(a: np.ndarray, what: str) -> tuple[str, np.ndarray]:
    """("d32", deltas) when they are smaller in total, else ("i32", a); checked to fit in int32."""
    d = np.diff(a, prepend=0)
    delta = len(a) > 2 and int(np.abs(d).sum()) < int(np.abs(a).sum())
    out = d if delta else a
    if len(out) and (out.min() < -(2**31) or out.max() >= 2**31):
        raise ValueError(f"graph payload column {what} does not fit in int32")
    return ("d32" if delta else "i32"), out


def _utf16_lengths(strings: list[str], lens: np.ndarray) -> np.ndarray:
    """Each string's length in UTF-16 code units (what the front end slices by), from their lengths in
    code points (``lens``, changed in place where a string is not ASCII)."""
    ascii_ = np.fromiter(map(str.isascii, strings), dtype=bool, count=len(strings))
    for k in np.flatnonzero(~ascii_).tolist():
        lens[k] = len(strings[k].encode("utf-16-le", "surrogatepass")) // 2
    return lens


def payload_bytes(p: dict[str, Any]) -> bytes:
    """The wire form of ``graph_columns(m)`` (see MAGIC): a few percent of the JSON's size."""
    header: dict[str, Any] = {k: v for k, v in p.items() if k not in _TABLES and k != "strings"}
    chunks: list[bytes] = []
    at = 0
    for table in _TABLES:
        cols: dict[str, Any] = {}
        for col, values in p[table].items():
            code, out = _int32(np.asarray(values, dtype=np.int64), f"{table}.{col}")
            cols[col] = {code: [at, len(out)]}
            chunks.append(out.astype("<i4").tobytes())
            at += len(out)
        header[table] = cols
    strings: list[str] = list(p["strings"])
    lens = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    # the strings the group tree reads (string codes of graph paths and attributes, scope paths) go first
    tree_codes = (p["graphs"].get("path", []), p["graphs"].get("attr", []), p["scopes"].get("path", []))
    split = min(
        len(strings), 1 + max(int(np.max(np.asarray(c, dtype=np.int64), initial=-1)) for c in tree_codes)
    )
    first = "".join(strings[:split]).encode("utf-8")
    rest = "".join(strings[split:]).encode("utf-8")
    if len(first) + len(rest) != int(lens.sum()):  # some string is not ASCII
        lens = _utf16_lengths(strings, lens)
    header["strings"] = {"d32": [at, len(lens)], "utf8": len(first), "split": split}
    chunks.append(lens.astype("<i4").tobytes())  # lengths: the d32 of the end offsets
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    pad = b" " * (-(4 + len(head)) % 4)
    z = zlib.compressobj(1, zlib.DEFLATED, -15)  # level 1: most of the gain, a fraction of the time
    parts = [z.compress(struct.pack("<I", len(head))), z.compress(head + pad)]
    parts += [z.compress(c) for c in chunks]
    parts += [z.compress(first), z.flush()]
    part1 = b"".join(parts)
    z = zlib.compressobj(1, zlib.DEFLATED, -15)
    return MAGIC + struct.pack("<I", len(part1)) + part1 + z.compress(rest) + z.flush()


def decode_payload(data: bytes) -> dict[str, Any]:
    """``payload_bytes`` read back into ``graph_payload``'s JSON form (integer columns as lists)."""
    if data.startswith(MAGIC):
        (n1,) = struct.unpack_from("<I", data, len(MAGIC))
        at = len(MAGIC) + 4
        body = zlib.decompress(data[at : at + n1], -15)
        rest = zlib.decompress(data[at + n1 :], -15)
    elif data.startswith(OLD_MAGIC):
        body, rest = zlib.decompress(data[len(OLD_MAGIC) :], -15), b""
    else:
        raise ValueError("not an onnx-inspect graph payload (no OIG2 or OIGZ header)")
    (n,) = struct.unpack_from("<I", body)
    header = json.loads(body[4 : 4 + n].decode("utf-8"))
    base = 4 + n + (-(4 + n) % 4)
    table = header["strings"]
    n_ints = (len(body) - base) // 4 if isinstance(table, list) else sum(table["d32"])  # lengths come last
    ints = np.frombuffer(body, dtype="<i4", offset=base, count=n_ints)

    def column(spec: dict[str, list[int]]) -> list[int]:
        ((code, (at, size)),) = ((k, v) for k, v in spec.items() if k in ("i32", "d32"))
        a = ints[at : at + size].astype(np.int64)
        return (np.cumsum(a) if code == "d32" else a).tolist()

    out = {k: {c: column(v) for c, v in header[k].items()} if k in _TABLES else v for k, v in header.items()}
    if isinstance(table, dict):  # UTF-8 bytes after the lengths (the last int32 column), and in part 2
        start = base + 4 * n_ints
        text = body[start : start + table["utf8"]] + rest
        units = text.decode("utf-8").encode("utf-16-le", "surrogatepass")
        ends = column(table)
        out["strings"] = [
            units[2 * a : 2 * b].decode("utf-16-le", "surrogatepass")
            for a, b in zip([0, *ends[:-1]], ends, strict=True)
        ]
    return out


def decode_strings(table: list[str] | dict[str, list[Any]]) -> list[str]:
    """The string table of a payload: a plain list, or front-coded (payloads before issue 15)."""
    if isinstance(table, list):
        return table
    out: list[str] = []
    prev16 = b""
    for p, suf in zip(table["prefix"], table["suffix"], strict=True):
        cur16 = prev16[: 2 * p] + suf.encode("utf-16-le", "surrogatepass")
        out.append(cur16.decode("utf-16-le", "surrogatepass"))
        prev16 = cur16
    return out
