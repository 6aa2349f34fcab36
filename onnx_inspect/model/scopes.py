"""Scope paths for nodes: the collapsible groups of the graph view.

Three sources, best first: the PyTorch dynamo exporter's per-node ``namespace`` metadata,
``/``-separated node names (TorchScript exporter, tf2onnx), and for flat graphs automatic blocks
cut where a single activation tensor carries all the data (a ResNet falls into its residual blocks).
"""

from __future__ import annotations

import ast
import heapq
from collections.abc import Sequence
from itertools import chain, compress, repeat
from operator import itemgetter

import numpy as np
import onnx

from .index import Edges

# Group sizes that keep every level of the graph view readable and every layout call small.
MAX_CHILDREN = 60  # groups per level before a level of super-groups is added
CHAIN_CHUNK = 12  # nodes per block when a straight chain has no structure to cut at
MAX_BLOCK = 200  # blocks larger than this are split into consecutive chunks
MIN_NAMED_SHARE = 0.5  # share of nodes that must carry '/' names before names are trusted as scopes
MAX_SCOPE_DEPTH = 32  # deeper levels are folded into the last one (a hostile name can have 1,000 levels)
FOLD = "\u2215"  # DIVISION SLASH: joins folded levels, looks like '/' but does not open a group


def _join(levels: list[str]) -> str:
    """Scope path of ``levels``, with levels beyond MAX_SCOPE_DEPTH folded into the last one."""
    if len(levels) > MAX_SCOPE_DEPTH:
        levels = [*levels[: MAX_SCOPE_DEPTH - 1], FOLD.join(levels[MAX_SCOPE_DEPTH - 1 :])]
    return "/".join(levels)


def namespace_scope(node: onnx.NodeProto) -> str | None:
    """Scope from the dynamo exporter's metadata, e.g. 'layers/layers.0/fc', or None if absent.

    The exporter writes the module path of each node: ``pkg.torch.onnx.name_scopes`` is a list
    (root '', then one dotted module path per level, then the node itself) and ``namespace`` is
    ``': Root/layers: Sequential/layers.0: Block/.../linear: aten.linear.default'``.
    """
    props = {p.key: p.value for p in getattr(node, "metadata_props", ())}
    levels: list[str] | None = None
    scopes = props.get("pkg.torch.onnx.name_scopes")
    if scopes:
        try:
            parts = ast.literal_eval(scopes)
        except (ValueError, SyntaxError):
            parts = None
        if isinstance(parts, (list, tuple)) and all(isinstance(p, str) for p in parts):
            levels = [p for p in parts[:-1] if p]
    if levels is None and "namespace" in props:
        segs = [seg.split(":", 1)[0].strip() for seg in props["namespace"].split("/")]
        levels = [s for s in segs[:-1] if s]
    if levels is None:
        return None
    return _join(_relative_names(levels))


def _relative_names(paths: list[str]) -> list[str]:
    """['layers', 'layers.0', 'layers.0.fc'] -> ['layers', 'layers.0', 'fc'] (TorchScript-style levels)."""
    out: list[str] = []
    prev = ""
    for p in paths:
        rel = p[len(prev) + 1 :] if prev and p.startswith(prev + ".") else p
        if rel.isdigit() and prev:
            rel = f"{prev.rsplit('.', 1)[-1]}.{rel}"
        out.append(rel)
        prev = p
    return out


def name_scope(name: str) -> str:
    """'/encoder/layer.1/Add' -> 'encoder/layer.1'; names without '/' are at the top ('')."""
    if "/" not in name:
        return ""
    parts = [p for p in name.split("/")[:-1] if p]
    return _join(parts)


def _name_scopes(names: Sequence[str]) -> list[str]:
    """``name_scope`` of every name, computed once per distinct scope prefix (a layer's nodes share it)."""
    heads = list(map(itemgetter(0), map(str.rpartition, names, repeat("/"))))
    scope_of = {head: _join([p for p in head.split("/") if p]) for head in set(heads)}
    return list(map(scope_of.__getitem__, heads))


def graph_scopes(
    names: Sequence[str],
    ins: Sequence[tuple[str, ...]],
    outs: Sequence[tuple[str, ...]],
    meta: dict[int, onnx.NodeProto],
    constants: set[str],
    graph_outputs: set[str],
    edges: Edges | None = None,
) -> tuple[list[str], str]:
    """Scope path per node and the method used ('namespace', 'names', 'auto', or 'none').

    ``edges``: the index's arrays for this graph (``GraphEntry.edges``), else they are computed here."""
    n = len(names)
    if n == 0:
        return [], "none"
    if len(meta) >= MIN_NAMED_SHARE * n:
        ns = {i: namespace_scope(nd) for i, nd in meta.items()}
        if sum(v is not None for v in ns.values()) >= MIN_NAMED_SHARE * n:
            return [ns.get(i) or "" for i in range(n)], "namespace"
    if sum(map(str.__contains__, names, repeat("/"))) >= MIN_NAMED_SHARE * n:
        return _name_scopes(names), "names"
    if edges is None:
        edges = Edges.of(list(ins), list(outs), constants)
    order = topo_order(edges)
    const = constant_nodes(order, edges)
    if n - int(const.sum()) <= CHAIN_CHUNK * 2:
        return [""] * n, "none"
    return auto_blocks(order, edges, const, graph_outputs), "auto"


def auto_blocks(
    order: Sequence[int],
    edges: Edges,
    const: np.ndarray,
    graph_outputs: set[str],
) -> list[str]:
    """Cut the graph where one activation tensor carries everything, then size the pieces."""
    n = len(edges.ins)
    kept = np.asarray(order, dtype=np.int64)
    kept = kept[~const[kept]]
    m = len(kept)
    p_of = np.full(n, -1, dtype=np.int64)  # position in the non-constant order, per node
    p_of[kept] = np.arange(m)
    # per value produced by a non-constant node: its position, and the position of its last reader
    start = np.where(edges.made_by >= 0, p_of[edges.made_by], -1)
    end = start.copy()
    src = edges.value
    rp = p_of[edges.reader]
    read = (src >= 0) & (rp >= 0)
    read[read] = start[src[read]] >= 0
    np.maximum.at(end, src[read], rp[read])
    if graph_outputs:
        end[[edges.pos[o] for o in graph_outputs if o in edges.pos]] = m - 1
    live_span = (start >= 0) & (end > start)
    diff = np.bincount(start[live_span], minlength=m + 1) - np.bincount(end[live_span], minlength=m + 1)
    # crossing[p] = live activation tensors across the gap between positions p and p+1
    crossing = np.cumsum(diff[:m])
    cuts = crossing <= 1
    cuts[m - 1] = True
    ends = (np.flatnonzero(cuts) + 1).tolist()
    positions = list(range(m))
    segments = [positions[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
    blocks = _size_blocks(segments)
    labels = _hierarchy_labels(len(blocks))
    block_of = np.empty(m, dtype=np.int64)
    block_of[np.fromiter(chain.from_iterable(blocks), np.int64, m)] = np.repeat(
        np.arange(len(blocks)), [len(b) for b in blocks]
    )
    scopes_arr = np.full(n, "", dtype=object)
    scopes_arr[kept] = np.asarray(labels, dtype=object)[block_of]
    scopes: list[str] = scopes_arr.tolist()
    if m == n:
        return scopes
    # Constant producers sit with their first consumer.
    first_reader = _first_readers(edges, p_of)
    ins, outs = edges.ins, edges.outs
    for i in np.flatnonzero(const)[::-1].tolist():
        for o in outs[i]:
            if o in first_reader:
                scopes[i] = scopes[first_reader[o]]
                for name in ins[i]:
                    first_reader.setdefault(name, first_reader[o])
                break
    return scopes


def _first_readers(edges: Edges, p_of: np.ndarray) -> dict[str, int]:
    """Input name -> the first non-constant node (in topological order) that reads it."""
    rp = p_of[edges.reader]
    mine = np.flatnonzero(rp >= 0)
    mine = mine[np.argsort(rp[mine], kind="stable")]  # by position, then input order within a node
    names = list(map(edges.flat.__getitem__, mine.tolist()))
    # (reversed: the dict keeps the last write, i.e. each name's first reader)
    return dict(zip(reversed(names), reversed(edges.reader[mine].tolist()), strict=True))


def _size_blocks(segments: list[list[int]]) -> list[list[int]]:
    """Merge single-node segments into their structural neighbours; chunk chains and giants."""
    blocks: list[list[int]] = []
    chain: list[int] = []

    def flush_chain(attach_to_prev: bool) -> None:
        nonlocal chain
        if not chain:
            return
        if attach_to_prev and blocks and len(chain) <= 3:
            blocks[-1].extend(chain)
        else:
            for k in range(0, len(chain), CHAIN_CHUNK):
                piece = chain[k : k + CHAIN_CHUNK]
                if blocks and len(piece) < CHAIN_CHUNK // 3 and k > 0:
                    blocks[-1].extend(piece)
                else:
                    blocks.append(piece)
        chain = []

    for seg in segments:
        if len(seg) >= 3:
            if chain and len(chain) <= 3 and not blocks:
                seg = chain + seg  # a short stem joins the first block
                chain = []
            flush_chain(attach_to_prev=True)
            for k in range(0, len(seg), MAX_BLOCK):
                blocks.append(seg[k : k + MAX_BLOCK])
        else:
            chain.extend(seg)
    flush_chain(attach_to_prev=True)
    return blocks


def _hierarchy_labels(count: int) -> list[str]:
    """Scope path per block; adds super-group levels so no level holds more than MAX_CHILDREN."""
    width = len(str(max(count - 1, 0)))
    labels = ["block_" + b for b in map(str.zfill, map(str, range(count)), repeat(width))]
    spans: list[int] = []
    span = MAX_CHILDREN
    while count > span:
        spans.append(span)
        span *= MAX_CHILDREN
    for span in spans:  # smallest first, so the widest grouping ends up outermost
        heads = [
            f"blocks_{g * span:0{width}d}-{min((g + 1) * span, count) - 1:0{width}d}/"
            for g in range(-(-count // span))
        ]
        labels = [heads[b // span] + lab for b, lab in enumerate(labels)]
    return labels


def topo_order(edges: Edges) -> list[int]:
    """Node positions in a topological order, keeping file order where it already is one."""
    n = len(edges.ins)
    src = edges.source()
    if not np.any(src >= edges.reader):
        return list(range(n))
    indeg = [0] * n
    users: list[list[int]] = [[] for _ in range(n)]
    for j, i in zip(src.tolist(), edges.reader.tolist(), strict=True):
        if j >= 0 and j != i:
            users[j].append(i)
            indeg[i] += 1
    heap = [i for i in range(n) if indeg[i] == 0]
    heapq.heapify(heap)
    out: list[int] = []
    while heap:
        i = heapq.heappop(heap)
        out.append(i)
        for u in users[i]:
            indeg[u] -= 1
            if indeg[u] == 0:
                heapq.heappush(heap, u)
    return out


MAX_CONST_ROUNDS = 16  # constant_nodes: array rounds before the per-node pass takes over


def constant_nodes(order: Sequence[int], edges: Edges) -> np.ndarray:
    """Per node, whether every input is a known constant (it computes weights, not activations).

    Rounds over the edge arrays (a round settles one more level of constant subgraphs); a deep
    constant chain finishes in one pass in topological order."""
    n = len(edges.ins)
    flat, src, reader, value = edges.flat, edges.source(), edges.reader, edges.value
    ok_name = np.zeros(len(flat), dtype=bool)
    ok_name[value >= 0] = edges.known[value[value >= 0]]
    if "" in flat:  # a left-out optional input
        ok_name |= ~np.fromiter(map(bool, flat), bool, len(flat))
    in_order = np.zeros(n, dtype=bool)
    in_order[np.asarray(order, dtype=np.int64)] = True
    has_src = src >= 0
    const = np.zeros(n, dtype=bool)
    for _ in range(MAX_CONST_ROUNDS):
        ok = ok_name.copy()
        ok[has_src] |= const[src[has_src]]
        new = (np.bincount(reader[~ok], minlength=n) == 0) & in_order
        if np.array_equal(new, const):
            return const
        const = new
    known = set(compress(edges.values, edges.known.tolist()))
    out = np.zeros(n, dtype=bool)
    ins, outs = edges.ins, edges.outs
    for i in order:  # one pass in topological order reaches the fixpoint
        if all(not x or x in known for x in ins[i]):
            out[i] = True
            known.update(outs[i])
    return out
