"""Compare two models tensor by tensor (fp32 vs fp16, float vs quantized, original vs optimized).

Tensors are matched by name first; where a transformation renamed values or inserted nodes
(QuantizeLinear/DequantizeLinear pairs, Cast to and from fp16, QLinear* operators) they are matched by
producer structure: a node of ``b`` of the same operator family (``Conv`` ~ ``QLinearConv``) whose
activation inputs, looked at through the inserted Q/DQ/Cast nodes, are the matched values of a node of
``a``. Nothing is guessed: a tensor with no such match or more than one candidate is listed as unmatched.
``first_divergence`` walks the matched tensors in chunks (compare, drop, next chunk) so it never holds all
intermediates of both models at once.

Values inside bodies come just before their owner's outputs and are matched by id. Those in If branches
(nested Ifs too) are fetched the way ``oi.run`` fetches them: the branch the feeds take is run on its own; a
branch not taken is listed with that reason. A Loop/Scan body value is a new tensor every iteration:
``lifted_values`` carries it out of the body as an extra scan output, so it is compared stacked over the
iterations. Bodies of other ops (SequenceMap, contrib ops) are listed as ``unmatched`` with a ``reason``;
their owner's outputs are compared.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
import pandas as pd

from ..errors import FeedError, InspectError, UnknownNameError
from ..model.quant import dequantize, params, quantization
from .diff import BLOCK, DIFF_COLUMNS, tensor_diff
from .feeds import DEFAULT_MAX_BYTES, DimsArg, RangesArg
from .session import DEFAULT_TIME_BUDGET, lean_sessions, release_memory

#: Ops a conversion inserts without changing what a value means: looked through when matching.
TRANSPARENT = frozenset(
    {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "Cast", "CastLike", "Identity"}
)
#: Extra members of an operator family beyond the ``QLinear<op>`` / ``Q<op>`` / ``<op>Integer`` names.
_FAMILY = {
    "MatMul": {"DynamicQuantizeMatMul", "MatMulIntegerToFloat", "MatMulNBits", "MatMulInteger"},
    "Conv": {"ConvInteger"},
    "Gemm": {"QGemm"},
}
ACCURACY_COLUMNS = ["tensor_b", "match", "node", "op_type", *DIFF_COLUMNS, "cosine", "reason"]
#: ``reason`` of an unmatched row of the main graph / of a body (If, Loop, Scan).
NO_MATCH = "no value of b matches it by name or by producer structure"
IN_BODY = (
    "inside a body of {op} node '{owner}': its values cannot be carried out of the body (only If, Loop and "
    "Scan bodies can), so {owner}'s outputs are compared instead"
)
#: Ops whose graphs ``oi.run`` fetches values from (the branch the feeds take).
FETCHABLE_BODY_OPS = frozenset({"If"})
#: Ops whose body values are carried out as extra outputs (``lifted_values``): a Loop/Scan's stacked over
#: iterations, an If's when its branch runs.
LIFTABLE_BODY_OPS = frozenset({"If", "Loop", "Scan"})
_FLOAT_CASTS = {"float16", "float32", "float64", "bfloat16"}


def _same_family(op_a: str, op_b: str) -> bool:
    if op_a == op_b:
        return True
    for x, y in ((op_a, op_b), (op_b, op_a)):
        if y in (f"QLinear{x}", f"Q{x}", f"{x}Integer") or y in _FAMILY.get(x, ()):
            return True
    return False


def is_model_like(x: Any) -> bool:
    """Whether ``x`` names a model (an oi.Model, ModelProto, bytes, a path object or a ``.onnx`` path string:
    a missing file then gets load's error naming it, not a "no such tensor" one)."""
    from ..model import Model

    if isinstance(x, (Model, onnx.ModelProto, bytes, bytearray, os.PathLike)):
        return True
    return isinstance(x, str) and (x.lower().endswith(".onnx") or os.path.isfile(x))


# -- matching -----------------------------------------------------------------------------------------


@dataclass
class _Graph:
    """Main-graph lookups of one model used by matching: producers, activation inputs, order."""

    m: Any
    producer: dict[str, str] = field(default_factory=dict)  # tensor -> node id
    order: list[str] = field(default_factory=list)  # node outputs in topological order
    dtype: dict[str, str] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)  # main-graph node ids in graph order
    ops: dict[str, str] = field(default_factory=dict)
    ins: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    consumers: dict[str, list[str]] = field(default_factory=dict)  # tensor -> node ids reading it

    @classmethod
    def build(cls, m: Any) -> _Graph:
        g = cls(m)
        t = m.tensors
        main = t[t["graph"] == ""]
        g.dtype = dict(zip(main.index, main["dtype"], strict=True))
        g.kind = dict(zip(main.index, main["kind"], strict=True))
        nodes = m.nodes[m.nodes["graph"] == ""].sort_values("index")
        g.ids = list(nodes.index)
        g.ops = dict(zip(nodes.index, nodes["op_type"], strict=True))
        g.ins = dict(zip(nodes.index, nodes["inputs"], strict=True))
        g.outs = dict(zip(nodes.index, nodes["outputs"], strict=True))
        for nid, ins, outs in zip(nodes.index, nodes["inputs"], nodes["outputs"], strict=True):
            for o in outs:
                if o:
                    g.producer[o] = nid
                    if g.kind.get(o) in ("intermediate", "output"):  # Constant outputs: nothing to compare
                        g.order.append(o)
            for x in dict.fromkeys(ins):
                if x:
                    g.consumers.setdefault(x, []).append(nid)
        return g

    def dequantized(self, name: str) -> str:
        """The DequantizeLinear output that stands for ``name`` when its only consumer is a Q/DQ pair.

        In QDQ models the consumers read DQ(Q(x)), not x: that is the value to compare (and where an
        absorbed Relu takes effect, through the quantized range).
        """
        users = self.consumers.get(name, [])
        if len(users) == 1 and self.op(users[0]) == "QuantizeLinear":
            q_out = [o for o in self.outs[users[0]] if o]
            dq = (
                [u for u in self.consumers.get(q_out[0], []) if self.op(u) == "DequantizeLinear"]
                if q_out
                else []
            )
            if dq:
                return str(self.outs[dq[0]][0])
        return name

    def op(self, nid: str) -> str:
        return self.ops[nid]

    def root(self, name: str) -> str:
        """The value ``name`` stands for, looking back through Q/DQ/Cast/Identity nodes."""
        seen = 0
        while name in self.producer and self.op(self.producer[name]) in TRANSPARENT and seen < 64:
            ins = self.ins[self.producer[name]]
            if not ins or not ins[0]:
                break
            name, seen = ins[0], seen + 1
        return name

    def weights(self, nid: str) -> frozenset[str]:
        """Names of the initializers/constants a node reads (through Q/DQ/Cast), to tell apart look-alike nodes."""
        return frozenset(
            r
            for r in (self.root(x) for x in self.ins[nid] if x)
            if self.kind.get(r) in ("initializer", "constant")
        )

    def activations(self, nid: str) -> tuple[str, ...]:
        """Distinct roots of a node's inputs that are computed values or graph inputs (not weights)."""
        out: dict[str, None] = {}
        for x in self.ins[nid]:
            if not x:
                continue
            r = self.root(x)
            if self.kind.get(r) in ("input", "intermediate", "output"):
                out[r] = None
        return tuple(sorted(out))


def match_tensors(a: Any, b: Any) -> pd.DataFrame:
    """Which tensor of ``b`` holds each main-graph value of ``a``: by name, else by producer structure.

    Indexed by ``a``'s tensor ids in topological order; ``tensor_b`` (None when unmatched), ``match``
    (``"name"``, ``"structure"`` or ``"unmatched"``), ``node`` and ``op_type`` (``a``'s producer) and
    ``value_a``: the value of ``a`` compared (the DQ output where ``a`` itself is a QDQ model, else the tensor),
    ``reason`` why a row is unmatched. Values computed inside If/Loop/Scan bodies are rows too, matched by id
    and placed just before their main-graph owner's outputs (other ops' bodies: unmatched with the reason).
    ``df.attrs["unmatched_b"]``: computed values of ``b`` that nothing in ``a`` matched (Q/DQ/Cast
    outputs left out: they are conversions, not values of their own).
    """
    from ..model import as_model

    ga, gb = _Graph.build(as_model(a)), _Graph.build(as_model(b))
    quant_b = quantization(gb.m)
    a2b: dict[str, str] = {}
    how: dict[str, str] = {}
    for n in ga.order:
        if n in gb.dtype and gb.kind.get(n) in ("intermediate", "output"):
            a2b[n], how[n] = n, "name"
    b2a = {v: k for k, v in a2b.items()}
    for n in ga.m.main_inputs():
        if n in gb.dtype:
            b2a.setdefault(n, n)
    # structure: b nodes indexed by each of their activation roots; a's values -> the b values standing for them
    used_b: set[str] = {gb.producer[v] for v in a2b.values() if v in gb.producer}
    keys_b: dict[str, tuple[str, ...]] = {}
    by_root: dict[str, list[str]] = {}
    no_act: dict[str, list[str]] = {}  # op -> b nodes that read only weights/constants
    for nid in gb.ids:
        if nid in used_b:
            continue
        keys_b[nid] = gb.activations(nid)
        for r in keys_b[nid]:
            by_root.setdefault(r, []).append(nid)
        if not keys_b[nid]:
            no_act.setdefault(gb.op(nid), []).append(nid)
    in_b: dict[str, set[str]] = {}
    for vb, va in b2a.items():
        in_b.setdefault(va, set()).add(vb)
    for nid in ga.ids:
        outs = [o for o in ga.outs[nid] if o]
        if all(o in a2b for o in outs):
            continue
        op = ga.op(nid)
        key_a = ga.activations(nid)
        cands: list[str] = []
        if not key_a or op in TRANSPARENT:
            # nothing to anchor a family match on (constants, shape arithmetic, a Cast): only an exact copy
            pool = (
                no_act.get(op, [])
                if not key_a
                else [x for vb in in_b.get(key_a[0], ()) for x in by_root.get(vb, ())]
            )
            cands = [x for x in pool if x not in used_b and _same_node(ga, nid, gb, x, b2a)][:1]
        else:
            # b nodes reading a counterpart of key_a[0] whose activation roots, mapped to a, are exactly key_a
            for vb in sorted(in_b.get(key_a[0], ())):
                for x in by_root.get(vb, ()):
                    kb = keys_b[x]
                    if (
                        x not in used_b
                        and x not in cands
                        and gb.op(x) not in TRANSPARENT
                        and len(kb) == len(key_a)
                        and tuple(sorted(b2a.get(y, "\0") for y in kb)) == key_a
                        and _same_family(op, gb.op(x))
                    ):
                        cands.append(x)
        if len(cands) > 1:
            # copies of this very node (same op, attributes and inputs in the same slots: three Shape(input_ids)
            # of an export) compute the same value, so the first unused one is it; else the weights decide
            # (q/k/v projections reading one value)
            exact = [x for x in cands if _same_node(ga, nid, gb, x, b2a)]
            wa = ga.weights(nid)
            cands = exact[:1] if exact else [x for x in cands if wa and gb.weights(x) == wa]
        if len(cands) != 1:
            continue
        nb = cands[0]
        outs_b = [o for o in gb.outs[nb] if o]
        if len(outs_b) < len(outs):
            continue
        used_b.add(nb)
        for oa, ob in zip(outs, outs_b, strict=False):
            if oa not in a2b and ob not in b2a:
                oa = _absorbed(ga, oa, ob, quant_b)
                a2b[oa], how[oa] = ob, "structure"
                b2a[ob] = oa
                in_b.setdefault(oa, set()).add(ob)
    rows = []
    bodies = _body_rows(ga.m, gb.m)
    for n in ga.order:
        nid = ga.producer[n]
        rows += bodies.pop(nid, [])  # a body's values come before the outputs of the node that runs it
        mapped = a2b.get(n)
        rows.append((
            n, None if mapped is None else gb.dequantized(mapped), how.get(n, "unmatched"), nid, ga.op(nid),
            ga.dequantized(n), None if n in how else NO_MATCH,
        ))  # fmt: skip
    for left in bodies.values():  # owners without a computed output (cannot happen in a valid model)
        rows += left
    df = pd.DataFrame(
        rows, columns=["tensor", "tensor_b", "match", "node", "op_type", "value_a", "reason"], dtype=object
    )
    df = df.set_index("tensor")
    matched_b = set(a2b.values()) | {gb.root(v) for v in a2b.values()}
    df.attrs["unmatched_b"] = [
        n
        for n in gb.order
        if n not in matched_b and gb.op(gb.producer[n]) not in TRANSPARENT and gb.root(n) == n
    ]
    return df


def _body_rows(m: Any, mb: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Main-graph owner id -> match rows of the values computed inside its bodies, in execution order (a
    nested body's values before its owner's). Values whose owners up to the main graph are all If, Loop or
    Scan nodes are matched to the value of ``mb`` with the same id; the others are unmatched with the reason."""
    nodes = m.nodes
    body = nodes[nodes["graph"] != ""].sort_values("index")
    if not len(body):
        return {}
    t, tb = m.tensors, mb.tensors
    computed = set(t.index[t["kind"].isin(["intermediate", "output"]) & (t["graph"] != "")])
    computed_b = set(tb.index[tb["kind"].isin(["intermediate", "output"]) & (tb["graph"] != "")])
    in_graph: dict[str, list[str]] = {}
    for nid, graph in zip(body.index, body["graph"], strict=True):
        in_graph.setdefault(graph, []).append(nid)
    graphs = m.graphs
    owned: dict[str, list[str]] = {}  # node id -> the bodies it runs (then/else, body, ...)
    for path, owner in zip(graphs.index, graphs["owner"], strict=True):
        if isinstance(owner, str) and path in in_graph:
            owned.setdefault(owner, []).append(path)

    def liftable(nid: str) -> bool:
        return str(nodes.at[nid, "op_type"]) in LIFTABLE_BODY_OPS and nodes.at[nid, "domain"] in (
            "",
            "ai.onnx",
        )

    def walk(owner: str, top: str, ok: bool, rows: list[tuple[Any, ...]], depth: int = 0) -> None:
        ok = ok and liftable(owner)
        reason = IN_BODY.format(op=nodes.at[top, "op_type"], owner=top)
        for path in owned.get(owner, ()) if depth < 64 else ():
            for nid in in_graph[path]:
                # the first owner (from the main graph down) that cannot be lifted through names the reason
                walk(nid, top if not ok or liftable(nid) else nid, ok, rows, depth + 1)
                for o in nodes.at[nid, "outputs"]:
                    tid = m.tensor_id(o, path) if o else None
                    if tid is None or tid not in computed:
                        continue
                    op = nodes.at[nid, "op_type"]
                    if not ok:
                        rows.append((tid, None, "unmatched", nid, op, None, reason))
                    elif tid in computed_b:
                        rows.append((tid, tid, "name", nid, op, tid, None))
                    else:
                        rows.append((tid, None, "unmatched", nid, op, None, NO_MATCH))

    out: dict[str, list[tuple[Any, ...]]] = {}
    for nid in nodes.index[nodes["graph"] == ""]:
        if nid in owned:
            walk(nid, nid, True, out.setdefault(nid, []))
    return out


def _in_loop(m: Any, path: str) -> bool:
    """Whether graph ``path`` runs inside a Loop or Scan (at any depth)."""
    graphs, nodes = m.graphs, m.nodes
    for _ in range(64):
        if not path or path not in graphs.index:
            return False
        owner = graphs.at[path, "owner"]
        if not isinstance(owner, str) or owner not in nodes.index:
            return False
        if nodes.at[owner, "op_type"] in ("Loop", "Scan"):
            return True
        path = str(nodes.at[owner, "graph"])
    return False


def lifted_values(
    m: Any,
    tids: Sequence[str],
    feeds: Mapping[str, Any],
    *,
    providers: Any = None,
    optimization: str = "all",
    time_budget: float | None = DEFAULT_TIME_BUDGET,
) -> dict[str, Any]:
    """Values of body tensors ``tids`` (ids in ``m.tensors``) in one run of a copy of ``m`` where each is
    carried out as an extra output through every owner up to the main graph: a Loop/Scan gives it stacked
    over iterations (axis 0), an If gives it when that branch runs (an empty tensor when the other one does).
    Owners must be standard If/Loop/Scan nodes."""
    from onnx import helper

    from ..model.index import subgraph_attrs
    from .providers import resolve_providers
    from .session import check_budget, create_session, external_folder, named_copy, run_session

    proto = named_copy(m)  # nodes named by their ids: owners are found by id
    by_id: dict[str, onnx.NodeProto] = {}

    def visit(g: onnx.GraphProto) -> None:
        for n in g.node:
            by_id[n.name] = n
            for _, sub in subgraph_attrs(n):
                visit(sub)

    visit(proto.graph)
    t, graphs, nodes = m.tensors, m.graphs, m.nodes
    out_of: dict[str, str] = {}
    for k, tid in enumerate(tids):
        name, path = str(t.at[tid, "name"]), str(t.at[tid, "graph"])
        elem = helper.np_dtype_to_tensor_dtype(np.dtype(str(t.at[tid, "dtype"])))
        depth = 0
        while path:
            owner, attr = str(graphs.at[path, "owner"]), str(graphs.at[path, "attribute"])
            node = by_id[owner]
            if node.op_type not in LIFTABLE_BODY_OPS:
                raise InspectError(
                    f"'{tid}' is inside {node.op_type} node '{owner}', whose body values cannot be lifted"
                )
            inner, outer = f"oi.lift.{k}.{depth}.in", f"oi.lift.{k}.{depth}"
            for label, body in subgraph_attrs(node):
                if label == attr:
                    body.node.append(helper.make_node("Identity", [name], [inner]))
                else:  # the If's other branch: an empty tensor of the same type
                    empty = helper.make_tensor(f"{inner}.empty", elem, [0], [])
                    body.node.append(helper.make_node("Constant", [], [inner], value=empty))
                body.output.append(helper.make_tensor_value_info(inner, elem, None))
            if node.op_type == "Scan":
                for a in node.attribute:
                    if a.name in ("scan_output_axes", "scan_output_directions"):
                        a.ints.append(0)
            node.output.append(outer)
            name, path, depth = outer, str(nodes.at[owner, "graph"]), depth + 1
        proto.graph.output.append(helper.make_tensor_value_info(name, elem, None))
        out_of[tid] = name
    names, opts = resolve_providers(providers)
    label = f"{_name(m)} with {len(tids)} body value(s) as outputs"
    sess = create_session(proto, label=label, providers=names, provider_options=opts, optimization=optimization,
                          ext_dir=external_folder(m), model=m.proto)  # fmt: skip
    wanted = list(out_of.values())
    given = {i.name: feeds[i.name] for i in sess.get_inputs() if i.name in feeds}
    got = run_session(sess, wanted, given, label=label, budget=check_budget(time_budget))
    return {tid: v for tid, v in zip(out_of, got, strict=True)}


def _same_node(ga: _Graph, na: str, gb: _Graph, nb: str, b2a: Mapping[str, str]) -> bool:
    """Whether b's node computes exactly a's: same op, attributes, and the same value in every input slot."""
    if ga.ops[na] != gb.ops[nb] or len(ga.ins[na]) != len(gb.ins[nb]):
        return False
    for xa, xb in zip(ga.ins[na], gb.ins[nb], strict=True):
        ra, rb = ga.root(xa) if xa else "", gb.root(xb) if xb else ""
        if b2a.get(rb, rb) != ra:
            return False
    return list(ga.m.node(na).attribute) == list(gb.m.node(nb).attribute)


def _absorbed(ga: _Graph, oa: str, ob: str, quant_b: pd.DataFrame) -> str:
    """``a``'s Relu/Clip output when quantization absorbed it into ``ob`` (its range starts at 0), else ``oa``.

    onnxruntime's quantizer drops a Relu (or Clip) after a quantized op whose output range starts at
    zero: the quantized value is the activation's output, not the op's.
    """
    users = ga.consumers.get(oa, [])
    if len(users) != 1 or ga.op(users[0]) not in ("Relu", "Clip") or ob not in quant_b.index:
        return oa
    zp, lo = quant_b.at[ob, "zero_point"], quant_b.at[ob, "qmin"]
    if zp is None or lo is None or float(str(zp)) != float(str(lo)):
        return oa
    outs = [o for o in ga.outs[users[0]] if o]
    return outs[0] if outs else oa


# -- feeds --------------------------------------------------------------------------------------------


def _feeds_for_both(
    a: Any, b: Any, feeds: Any, dims: DimsArg, ranges: RangesArg, seed: int, max_bytes: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Feeds for ``a`` (given or generated), and the same values for ``b`` (float inputs cast to its dtype)."""
    from .feeds import make_feeds, model_inputs, read_feeds

    if feeds is None:
        fa = make_feeds(a, dims=dims, ranges=ranges, seed=seed, max_bytes=max_bytes)
    elif isinstance(feeds, Mapping):
        fa = {str(k): np.asarray(v) for k, v in feeds.items()}
    else:
        fa = read_feeds(a, feeds, max_bytes=max_bytes)
    specs_b = model_inputs(b).values()
    fb: dict[str, np.ndarray] = {}
    la, lb = _name(a), _name(b)
    for spec in specs_b:
        if spec.name not in fa:
            raise FeedError(
                f"{lb} has input '{spec.name}', which {la} does not have (its inputs: {list(fa)}): the two "
                "models must take the same inputs; give both in feeds= or compare models with matching inputs"
            )
        v = fa[spec.name]
        want = b.tensors.at[b.tensor_id(spec.name), "dtype"] if spec.name in b.tensors.index else None
        if want and want != v.dtype.name:
            if want in _FLOAT_CASTS and v.dtype.name in _FLOAT_CASTS:
                v = v.astype(want)
            else:
                raise FeedError(
                    f"input '{spec.name}' is {v.dtype.name} in {la} but {want} in {lb}; only float inputs are "
                    "cast between the models: compare models whose inputs have the same type"
                )
        fb[spec.name] = v
    return fa, fb


def _name(m: Any) -> str:
    return f"model '{m.path.name}'" if getattr(m, "path", None) is not None else "the in-memory model"


# -- comparing ----------------------------------------------------------------------------------------


def cosine(x: np.ndarray, y: np.ndarray) -> float:
    """Cosine similarity of two tensors flattened (1.0 when both are all zeros, NaN when not comparable)."""
    if x.shape != y.shape or x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        return float("nan")
    fx, fy = x.reshape(-1), y.reshape(-1)
    xx = yy = xy = 0.0
    for i in range(0, fx.size, BLOCK):  # float64 copies of one block at a time, not of the whole tensor
        xf, yf = fx[i : i + BLOCK].astype(np.float64), fy[i : i + BLOCK].astype(np.float64)
        ok = np.isfinite(xf) & np.isfinite(yf)
        xf, yf = xf[ok], yf[ok]
        xx, yy, xy = xx + float(np.dot(xf, xf)), yy + float(np.dot(yf, yf)), xy + float(np.dot(xf, yf))
    nx, ny = float(np.sqrt(xx)), float(np.sqrt(yy))
    if nx == 0.0 and ny == 0.0:
        return 1.0
    if nx == 0.0 or ny == 0.0:
        return 0.0
    return xy / (nx * ny)


#: Group of ``_Pair.values`` for tensors inside Loop/Scan bodies (fetched by ``lifted_values``).
LIFTED = "\0lifted"


@dataclass
class _Pair:
    """Two loaded models, their matching, shared feeds and run options."""

    a: Any
    b: Any
    match: pd.DataFrame
    feeds_a: dict[str, np.ndarray]
    feeds_b: dict[str, np.ndarray]
    run_kw: dict[str, Any]
    quant_b: pd.DataFrame
    providers_b: Any = None  # b's providers when they differ from a's (one model on two providers)

    unfetched: dict[str, str] = field(default_factory=dict)  # a tensor -> why it could not be fetched

    def values(self, names_a: Sequence[str]) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """(a tensor, a value, b value) for matched tensors, in the order given; b's quantized values
        dequantized. Values in If branches are fetched per branch; a branch the feeds do not take (in either
        model) leaves its values out, with the reason in ``self.unfetched``."""
        graph = self.a.tensors["graph"]
        groups: dict[str, list[str]] = {}
        for n in names_a:
            path = str(graph.get(n, ""))
            groups.setdefault(LIFTED if path and _in_loop(self.a, path) else path, []).append(n)
        va: dict[str, Any] = {}
        vb: dict[str, Any] = {}
        # a cut's session serves this chunk only: built lean (no arena to keep the run's peak, not cached
        # with its folded weights), so it is freed before the other model runs and only the values stay;
        # what the previous chunk and session freed goes back to the OS before the next session is built
        with lean_sessions():
            for path, names in groups.items():
                try:
                    got_a, got_b = self._lifted(names) if path == LIFTED else self._fetch(names)
                except InspectError as exc:
                    if path == "":
                        raise
                    if path == LIFTED and len(names) > 1:  # one value that cannot be stacked (its shape
                        self._one_by_one(names, va, vb)  # changes between iterations) must not hide the rest
                    else:
                        self.unfetched.update(dict.fromkeys(names, _line(exc)))
                    continue
                va.update(got_a)
                vb.update(got_b)
        for n in names_a:
            if n in self.unfetched:
                continue
            nb = str(self.match.at[n, "tensor_b"])
            # run() gives arrays, or lists/dicts for sequence and map outputs (ai.onnx.ml)
            x: Any = va[str(self.match.at[n, "value_a"])]
            y: Any = vb[nb]
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
                yield n, x, y  # sequences and maps (ai.onnx.ml): compared for equality
                continue
            if x.dtype.kind == "f" and y.dtype.kind in "iu" and nb in self.quant_b.index:
                p = params(self.quant_b, nb, self.b)
                if p is not None:
                    y = dequantize(y, *p).astype(x.dtype)
            yield n, x, y

    def _one_by_one(self, names_a: Sequence[str], va: dict[str, Any], vb: dict[str, Any]) -> None:
        for n in names_a:
            try:
                got_a, got_b = self._lifted([n])
            except InspectError as exc:
                self.unfetched[n] = _line(exc)
                continue
            va.update(got_a)
            vb.update(got_b)

    def _lifted(self, names_a: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Values of Loop/Scan body tensors from both models, stacked over iterations (``lifted_values``)."""
        kw = {k: self.run_kw[k] for k in ("providers", "optimization", "time_budget") if k in self.run_kw}
        release_memory()
        va = lifted_values(self.a, names_a, self.feeds_a, **kw)
        release_memory()
        kw_b = kw if self.providers_b is None else {**kw, "providers": self.providers_b}
        names_b = [str(self.match.at[n, "tensor_b"]) for n in names_a]
        vb = lifted_values(self.b, names_b, self.feeds_b, **kw_b)
        return va, {nb: vb[nb] for nb in names_b}

    def _fetch(self, names_a: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Values of one graph's tensors from both models (``names_a`` in ``a``'s ids, b's from the match)."""
        from .run import run

        fetch_a = list(dict.fromkeys(str(self.match.at[n, "value_a"]) for n in names_a))
        fetch_b = list(dict.fromkeys(str(self.match.at[n, "tensor_b"]) for n in names_a))
        release_memory()
        va = run(self.a, fetch_a, self.feeds_a, **self.run_kw)
        release_memory()
        kw_b = self.run_kw if self.providers_b is None else {**self.run_kw, "providers": self.providers_b}
        return va, run(self.b, fetch_b, self.feeds_b, **kw_b)


def _line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _pair(a: Any, b: Any, feeds: Any, dims: DimsArg, ranges: RangesArg, seed: int, max_bytes: int,
          run_kw: dict[str, Any]) -> _Pair:  # fmt: skip
    from ..model import as_model

    ma, mb = as_model(a), as_model(b)
    fa, fb = _feeds_for_both(ma, mb, feeds, dims, ranges, seed, max_bytes)
    match = match_tensors(ma, mb)
    return _Pair(ma, mb, match, fa, fb, {**run_kw, "max_bytes": max_bytes}, quantization(mb))


def _wanted(p: _Pair, outputs: str | Sequence[str] | None) -> list[str]:
    order = list(p.match.index)
    if outputs is None:
        return [n for n in p.a.main_outputs() if n in p.match.index]
    if isinstance(outputs, str) and outputs == "all":
        return order
    names = [outputs] if isinstance(outputs, str) else list(outputs)
    for n in names:
        if n not in p.match.index:
            raise UnknownNameError(
                f"'{n}' is not a value computed in {_name(p.a)}; compare takes its intermediate and output "
                "tensor ids (m.tensors.index)"
            )
    return [n for n in order if n in set(names)]


def _row(p: _Pair, n: str, x: Any, y: Any, rtol: float, atol: float) -> dict[str, Any]:
    row: dict[str, Any] = {c: p.match.at[n, c] for c in ("tensor_b", "match", "node", "op_type", "reason")}
    if x is None or y is None:
        row.update({c: np.nan for c in DIFF_COLUMNS}, shape_a=None, shape_b=None, nan_mismatch=0)
        row.update(dtype=p.a.tensors.at[n, "dtype"] or "", allclose=False, cosine=np.nan)
        return row
    if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
        row.update({c: np.nan for c in DIFF_COLUMNS}, shape_a=None, shape_b=None, nan_mismatch=0)
        row.update(dtype=type(x).__name__, allclose=_same(x, y), cosine=np.nan)
        return row
    row.update(tensor_diff(x, y, rtol=rtol, atol=atol))
    row["cosine"] = cosine(x, y)
    return row


def _same(x: Any, y: Any) -> bool:
    """Exact equality of sequences/maps of values (what ai.onnx.ml operators return), arrays included."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and bool(np.array_equal(x, y))
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(_same(u, v) for u, v in zip(x, y, strict=True))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    return bool(x == y)


def _frame(rows: dict[str, dict[str, Any]], p: _Pair, rtol: float, atol: float) -> pd.DataFrame:
    df = pd.DataFrame(
        [[r.get(c) for c in ACCURACY_COLUMNS] for r in rows.values()],
        columns=ACCURACY_COLUMNS,
        index=pd.Index(list(rows), name="tensor", dtype=object),
        dtype=object,  # None stays None in text columns (unmatched tensor_b)
    )
    for c in ("max_abs_diff", "max_rel_diff", "mean_abs_diff", "mismatch", "cosine"):
        df[c] = df[c].astype(float)
    df["nan_mismatch"] = df["nan_mismatch"].astype(int)
    df["allclose"] = df["allclose"].astype(bool)
    df.attrs.update(
        labels=(_name(p.a), _name(p.b)), rtol=rtol, atol=atol, unmatched_b=p.match.attrs["unmatched_b"]
    )
    return df


def compare_models(
    a: Any,
    b: Any,
    outputs: str | Sequence[str] | None = "all",
    feeds: Any = None,
    *,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    providers: Any = None,
    optimization: str = "all",
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_budget: float | None = DEFAULT_TIME_BUDGET,
) -> pd.DataFrame:
    """Run the same feeds through models ``a`` and ``b``; one row per value of ``a`` in topological order.

    Columns: ``tensor_b`` and ``match`` (how it was matched; ``"unmatched"`` rows have NaN differences and a
    ``reason``: no counterpart in ``b``, an If branch the feeds do not take, or a body onnxruntime cannot give
    values of), values of Loop/Scan bodies stacked over the iterations,
    ``node``/``op_type`` (producer in ``a``), the difference columns of ``oi.compare`` and ``cosine``.
    Quantized values of ``b`` matched to float values of ``a`` are dequantized first. Float inputs are
    cast to ``b``'s input dtype (fp16 models). ``df.attrs``: labels, rtol, atol, ``unmatched_b``.
    """
    run_kw = {"providers": providers, "optimization": optimization, "time_budget": time_budget}
    p = _pair(a, b, feeds, dims, ranges, seed, max_bytes, run_kw)
    wanted = _wanted(p, outputs)
    matched = [n for n in wanted if p.match.at[n, "tensor_b"] is not None]
    got = {n: (x, y) for n, x, y in p.values(matched)} if matched else {}
    rows = {
        n: _row(p, n, *got[n], rtol, atol) if n in got else _row(p, n, None, None, rtol, atol) for n in wanted
    }
    for n, why in p.unfetched.items():  # an If branch the feeds do not take: nothing to compare
        if n in rows:
            rows[n].update(match="unmatched", reason=why)
    return _frame(rows, p, rtol, atol)


def iter_compare(
    a: Any,
    b: Any,
    feeds: Any = None,
    *,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    providers: Any = None,
    optimization: str = "all",
    chunk: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_budget: float | None = DEFAULT_TIME_BUDGET,
    providers_b: Any = None,
) -> Generator[tuple[str, dict[str, Any]], None, None]:
    """``(tensor of a, row)`` for every matched tensor in topological order, computed ``chunk`` tensors at
    a time (default: an eighth of them, at least 8) and dropped after: memory-bounded, and a caller (a
    progress bar, a Stop button) can stop at any row. Rows have the columns of ``compare``'s table; values
    of If branches the feeds do not take are left out (``compare`` lists them with the reason).
    ``providers_b``: run ``b`` on other providers than ``a`` (``iter_compare(m, m, providers=["CUDAExecutionProvider"],
    providers_b=["CPUExecutionProvider"])`` compares one model on two providers, chunk by chunk).
    """
    if chunk is not None and (not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1):
        raise InspectError(f"chunk must be a positive number of tensors, not {chunk!r}")
    run_kw = {"providers": providers, "optimization": optimization, "time_budget": time_budget}
    p = _pair(a, b, feeds, dims, ranges, seed, max_bytes, run_kw)
    p.providers_b = providers_b
    matched = [n for n in p.match.index if p.match.at[n, "tensor_b"] is not None]
    size = chunk or max(8, -(-len(matched) // 8))
    for start in range(0, len(matched), size):
        for n, x, y in p.values(matched[start : start + size]):
            yield n, _row(p, n, x, y, rtol, atol)
            del x, y


def first_divergence(
    a: Any,
    b: Any,
    feeds: Any = None,
    *,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    providers: Any = None,
    optimization: str = "all",
    chunk: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_budget: float | None = DEFAULT_TIME_BUDGET,
    providers_b: Any = None,
) -> str | None:
    """Id (in ``a``) of the first matched tensor, in topological order, that is not allclose (None: none).

    Every tensor it depends on comes earlier in that order, so all of them that could be matched are
    allclose. Values in the If branches the feeds take and in Loop/Scan bodies (stacked over iterations) are
    compared too. Tensors are fetched ``chunk`` at a time from both models (see ``iter_compare``), compared
    and dropped, so both models' intermediates are never held at once. ``first_divergence(m, m,
    providers=[...], providers_b=[...])``: where one model starts to differ on two providers.
    """
    rows = iter_compare(a, b, feeds, rtol=rtol, atol=atol, dims=dims, ranges=ranges, seed=seed,
                        providers=providers, optimization=optimization, chunk=chunk, max_bytes=max_bytes,
                        time_budget=time_budget, providers_b=providers_b)  # fmt: skip
    for n, row in rows:
        if not row["allclose"]:
            rows.close()
            return n
    return None


__all__ = [
    "ACCURACY_COLUMNS",
    "compare_models",
    "cosine",
    "first_divergence",
    "is_model_like",
    "iter_compare",
    "match_tensors",
]
