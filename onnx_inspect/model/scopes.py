"""Scope paths for nodes: the collapsible groups of the graph view.

Three sources, best first: the PyTorch dynamo exporter's per-node ``namespace`` metadata,
``/``-separated node names (TorchScript exporter, tf2onnx), and for flat graphs automatic blocks
cut where a single activation tensor carries all the data (a ResNet falls into its residual blocks).
"""

from __future__ import annotations

import ast
import heapq
from collections.abc import Sequence

import onnx

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
    cache: dict[str, str] = {}
    out: list[str] = []
    for nm in names:
        head = nm.rpartition("/")[0]
        sc = cache.get(head)
        if sc is None:
            sc = cache[head] = _join([p for p in head.split("/") if p])
        out.append(sc)
    return out


def graph_scopes(
    names: Sequence[str],
    ins: Sequence[tuple[str, ...]],
    outs: Sequence[tuple[str, ...]],
    meta: dict[int, onnx.NodeProto],
    constants: set[str],
    graph_outputs: set[str],
) -> tuple[list[str], str]:
    """Scope path per node and the method used ('namespace', 'names', 'auto', or 'none')."""
    n = len(names)
    if n == 0:
        return [], "none"
    if len(meta) >= MIN_NAMED_SHARE * n:
        ns = {i: namespace_scope(nd) for i, nd in meta.items()}
        if sum(v is not None for v in ns.values()) >= MIN_NAMED_SHARE * n:
            return [ns.get(i) or "" for i in range(n)], "namespace"
    if sum("/" in nm for nm in names) >= MIN_NAMED_SHARE * n:
        return _name_scopes(names), "names"
    order = topo_order(ins, outs)
    const_nodes = constant_nodes(order, ins, outs, constants)
    if n - len(const_nodes) <= CHAIN_CHUNK * 2:
        return [""] * n, "none"
    return auto_blocks(order, ins, outs, const_nodes, graph_outputs), "auto"


def auto_blocks(
    order: Sequence[int],
    ins: Sequence[tuple[str, ...]],
    outs: Sequence[tuple[str, ...]],
    const_nodes: set[int],
    graph_outputs: set[str],
) -> list[str]:
    """Cut the graph where one activation tensor carries everything, then size the pieces."""
    order = [i for i in order if i not in const_nodes]
    m = len(order)
    producer_pos: dict[str, int] = {}
    for p, i in enumerate(order):
        for o in outs[i]:
            if o:
                producer_pos[o] = p
    last_use: dict[str, int] = {}
    for p, i in enumerate(order):
        for name in ins[i]:
            if name in producer_pos:
                last_use[name] = p
    # crossing[g] = live activation tensors across the gap between positions g and g+1
    diff = [0] * (m + 1)
    for name, start in producer_pos.items():
        end = m - 1 if name in graph_outputs else last_use.get(name, start)
        if end > start:
            diff[start] += 1
            diff[end] -= 1
    segments: list[list[int]] = []
    cur: list[int] = []
    live = 0
    for p in range(m):
        cur.append(p)
        live += diff[p]
        if p == m - 1 or live <= 1:
            segments.append(cur)
            cur = []
    blocks = _size_blocks(segments)
    labels = _hierarchy_labels(len(blocks))
    scopes = [""] * len(ins)
    for b, blk in enumerate(blocks):
        lab = labels[b]
        for p in blk:
            scopes[order[p]] = lab
    # Constant producers sit with their first consumer.
    first_reader: dict[str, int] = {}
    for i in order:
        for name in ins[i]:
            first_reader.setdefault(name, i)
    for i in sorted(const_nodes, reverse=True):
        for o in outs[i]:
            if o in first_reader:
                scopes[i] = scopes[first_reader[o]]
                for name in ins[i]:
                    first_reader.setdefault(name, first_reader[o])
                break
    return scopes


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
    labels = [f"block_{b:0{width}d}" for b in range(count)]
    spans: list[int] = []
    span = MAX_CHILDREN
    while count > span:
        spans.append(span)
        span *= MAX_CHILDREN
    for span in spans:  # smallest first, so the widest grouping ends up outermost
        labels = [
            f"blocks_{(b // span) * span:0{width}d}-{min((b // span + 1) * span, count) - 1:0{width}d}/{lab}"
            for b, lab in enumerate(labels)
        ]
    return labels


def topo_order(ins: Sequence[tuple[str, ...]], outs: Sequence[tuple[str, ...]]) -> list[int]:
    """Node positions in a topological order, keeping file order where it already is one."""
    producer: dict[str, int] = {}
    for i, os_ in enumerate(outs):
        for o in os_:
            if o:
                producer[o] = i
    sorted_already = True
    for i, xs in enumerate(ins):
        for x in xs:
            if producer.get(x, -1) >= i:
                sorted_already = False
                break
        if not sorted_already:
            break
    if sorted_already:
        return list(range(len(ins)))
    indeg = [0] * len(ins)
    users: list[list[int]] = [[] for _ in ins]
    for i, xs in enumerate(ins):
        for x in xs:
            j = producer.get(x)
            if j is not None and j != i:
                users[j].append(i)
                indeg[i] += 1
    heap = [i for i in range(len(ins)) if indeg[i] == 0]
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


def constant_nodes(
    order: Sequence[int], ins: Sequence[tuple[str, ...]], outs: Sequence[tuple[str, ...]], constants: set[str]
) -> set[int]:
    """Positions of nodes whose every input is a known constant (they compute weights, not activations)."""
    known = set(constants)
    out: set[int] = set()
    for i in order:  # one pass in topological order reaches the fixpoint
        xs = ins[i]
        ok = True
        for x in xs:
            if x and x not in known:
                ok = False
                break
        if ok:
            out.add(i)
            known.update(outs[i])
    return out
