"""Join onnxruntime profile events to the model's node ids.

At optimization "disabled" onnxruntime runs the model's own nodes, so event names match node names
1:1 (unnamed nodes are ``<OpType>_<index>``). At higher levels it folds constants, fuses nodes
(``FusedConv`` keeps the Conv's name), rewrites layouts (NCHWc nodes named ``<output>_nchwc``) and
inserts ``ReorderInput``/``ReorderOutput``/``Memcpy*`` nodes. Given the optimized graph onnxruntime
saved, each executed node is mapped back to the model nodes it replaced through the values it
consumes and produces: the model nodes between its inputs and outputs that no other executed node
exposes. Without that graph, names and a few naming rules are used and the rest is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import onnx

SEP = "::"

#: onnxruntime ops that only move or re-layout data; they never stand for a model node.
LAYOUT_OPS = frozenset({"ReorderInput", "ReorderOutput", "MemcpyFromHost", "MemcpyToHost"})
#: prefix of the Casts onnxruntime inserts around kernels it lacks for a type (float16 on the CPU: the kernel
#: runs in float32); the kernels between them keep their names behind the same prefix.
CAST_PREFIX = "InsertedPrecisionFreeCast_"
#: ops whose events enclose the events of their bodies.
CONTROL_OPS = frozenset({"If", "Loop", "Scan", "SequenceMap", "BeamSearch", "GreedySearch", "Sampling",
                         "WhisperBeamSearch"})  # fmt: skip
#: when several model nodes fuse into one kernel, the first of these names the kernel.
HEAVY_OPS = frozenset({
    "Conv", "ConvTranspose", "MatMul", "Gemm", "MatMulInteger", "QLinearConv", "QLinearMatMul", "ConvInteger",
    "Attention", "MultiHeadAttention", "GroupQueryAttention", "LSTM", "GRU", "RNN", "Einsum", "MatMulNBits",
    "LayerNormalization", "SkipLayerNormalization", "BatchNormalization", "Softmax",
})  # fmt: skip
#: providers that compile whole subgraphs into one engine (one event for many model nodes).
COMPILING_PROVIDERS = frozenset({
    "TensorrtExecutionProvider", "NvTensorRTRTXExecutionProvider", "OpenVINOExecutionProvider",
    "MIGraphXExecutionProvider", "CoreMLExecutionProvider", "QNNExecutionProvider", "VitisAIExecutionProvider",
    "NnapiExecutionProvider", "DnnlExecutionProvider", "ACLExecutionProvider", "ArmNNExecutionProvider",
    "RknpuExecutionProvider", "VSINPUExecutionProvider", "WebNNExecutionProvider", "XnnpackExecutionProvider",
})  # fmt: skip
_RANDOM_OPS = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
                         "Bernoulli"})  # fmt: skip
_TRAILING_INT = re.compile(r"_(\d+)$")

# Mapping kinds written to the events table. "charged": a layout kernel (ReorderInput/Output, Memcpy*)
# charged to the model node it serves (the consumer of the value it re-lays out).
NAME, FUSED, REWRITTEN, ENGINE, INSERTED, UNMATCHED, CHARGED = (
    "name",
    "fused",
    "rewritten",
    "engine",
    "inserted",
    "unmatched",
    "charged",
)
_SPLIT = re.compile(r"[/_]")
#: ops that are layout-only when they turn one holder of a model value into another holder of the same value.
_RELAYOUT_OPS = frozenset({"Transpose", "Reshape"})


@dataclass(frozen=True)
class Match:
    """What one executed node stands for: its main model node, all model nodes it covers, and how."""

    node_id: str | None
    model_nodes: tuple[str, ...]
    kind: str


_INSERTED = Match(None, (), INSERTED)
_UNMATCHED = Match(None, (), UNMATCHED)


@dataclass
class GraphInfo:
    """One model graph (main or body) in the shape the join needs."""

    path: str
    ids: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    inputs: list[tuple[str, ...]] = field(default_factory=list)
    outputs: list[tuple[str, ...]] = field(default_factory=list)
    subgraphs: list[tuple[str, ...]] = field(default_factory=list)
    lookup: dict[str, int] = field(default_factory=dict)  # profiler name -> position
    producer: dict[str, int] = field(default_factory=dict)
    values: set[str] = field(default_factory=set)  # every value name usable in this graph
    constant_values: set[str] = field(default_factory=set)
    constant: list[bool] = field(default_factory=list)
    _users: dict[str, list[int]] | None = field(default=None, repr=False)

    def finish(self) -> None:
        """Derive producers and which nodes only compute from weights (folded by the optimizer)."""
        for i, outs in enumerate(self.outputs):
            for o in outs:
                if o:
                    self.producer[o] = i
                    self.values.add(o)
        const = self.constant_values
        for i, (op, ins) in enumerate(zip(self.ops, self.inputs, strict=True)):
            real = [x for x in ins if x]
            is_const = (op == "Constant") or (
                bool(real)
                and op not in _RANDOM_OPS
                and not self.subgraphs[i]
                and all(x in const for x in real)
            )
            self.constant.append(is_const)
            if is_const:
                const.update(o for o in self.outputs[i] if o)

    def users(self, value: str) -> list[int]:
        """Positions of the nodes that read ``value`` (built on first use)."""
        if self._users is None:
            users: dict[str, list[int]] = {}
            for i, ins in enumerate(self.inputs):
                for x in ins:
                    if x:
                        users.setdefault(x, []).append(i)
            self._users = users
        return self._users.get(value, [])

    def find(self, name: str) -> int | None:
        """Position of the node the profiler calls ``name`` (node name, local id or ``<Op>_<index>``)."""
        return self.lookup.get(name)

    def find_carried(self, name: str) -> int | None:
        """Position of the model node whose name a runtime-made kernel name carries before a suffix, or None.

        onnxruntime names many fused kernels after the node they replace plus a suffix
        (``/model.2/act/Mul/QuickGeluFusion/``, ``<name>_fused_<act>``, ``<name>_token_3``): the longest
        prefix, cut at a ``/`` or ``_``, that is a model node name.
        """
        for m in reversed(list(_SPLIT.finditer(name))):
            cut = m.start()
            if cut < 2:
                break
            p = self.lookup.get(name[:cut])
            if p is not None:
                return p
        return None


def build_graphs(nodes: Any, tensors: Any) -> dict[str, GraphInfo]:
    """GraphInfo for every graph of a model, from ``m.nodes`` and ``m.tensors``."""
    graphs: dict[str, GraphInfo] = {}
    cols = zip(
        nodes.index.tolist(), nodes["graph"].tolist(), nodes["op_type"].tolist(), nodes["inputs"].tolist(),
        nodes["outputs"].tolist(), nodes["ort_name"].tolist(), nodes["subgraphs"].tolist(), nodes["index"].tolist(),
        strict=True,
    )  # fmt: skip
    rows = sorted(cols, key=lambda r: (r[1], r[7]))
    for nid, path, op, ins, outs, ort_name, subs, _ in rows:
        g = graphs.get(path)
        if g is None:
            g = graphs[path] = GraphInfo(path)
        pos = len(g.ids)
        g.ids.append(nid)
        g.ops.append(op)
        g.inputs.append(tuple(ins))
        g.outputs.append(tuple(outs))
        g.subgraphs.append(tuple(subs or ()))
        g.lookup.setdefault(ort_name, pos)  # a name two nodes answer to (rare) goes to the first
        local = nid[len(path) + len(SEP) :] if path else nid
        g.lookup[local] = pos
        g.lookup[nid] = pos  # oi.profile names every node by its id (unnamed nodes too) for the session
    for tname, tgraph, kind in zip(
        tensors["name"].tolist(), tensors["graph"].tolist(), tensors["kind"].tolist(), strict=True
    ):
        g = graphs.get(tgraph)
        if g is None:
            continue
        g.values.add(tname)
        if kind in ("initializer", "constant"):
            g.constant_values.add(tname)
    for g in graphs.values():
        g.finish()
    return graphs


def _topo(og: onnx.GraphProto) -> list[int]:
    """Node positions of an optimized graph in dependency order (saved graphs usually are already)."""
    producer: dict[str, int] = {}
    for i, n in enumerate(og.node):
        for o in n.output:
            if o:
                producer[o] = i
    indeg = [0] * len(og.node)
    users: list[list[int]] = [[] for _ in og.node]
    for i, n in enumerate(og.node):
        for x in n.input:
            p = producer.get(x)
            if p is not None and p != i:
                users[p].append(i)
                indeg[i] += 1
    ready = [i for i in range(len(og.node)) if indeg[i] == 0][::-1]
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for u in reversed(users[i]):
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    if len(order) != len(og.node):  # a cycle cannot come from onnxruntime; keep file order then
        return list(range(len(og.node)))
    return order


class OptimizedJoin:
    """Map the nodes of one optimized graph back to the nodes of the matching model graph."""

    def __init__(self, g: GraphInfo, og: onnx.GraphProto) -> None:
        self.g = g
        self.og = og
        self._users: dict[str, list[int]] | None = None
        self.layout: set[int] = set()  # positions of layout-only kernels (set by _match_all)
        self.by_name: dict[str, int] = {}
        self.unnamed: dict[str, list[int]] = {}
        for i, n in enumerate(og.node):
            if n.name:
                self.by_name.setdefault(n.name, i)
            else:
                self.unnamed.setdefault(n.op_type, []).append(i)
        self.matches = self._match_all()

    def _aliases(self) -> dict[str, str]:
        """Optimized value name -> model value name it holds (same data, perhaps another layout)."""
        g, og = self.g, self.og
        alias: dict[str, str] = {}
        for name in [vi.name for vi in og.input] + [t.name for t in og.initializer]:
            if name in g.values:
                alias[name] = name
        for n in og.node:
            for x in (*n.input, *n.output):
                if x in g.values:
                    alias[x] = x
        for i in _topo(og):  # kept, layout-only and NCHWc-rewritten nodes hold model values under new names
            n = og.node[i]
            name = strip_cast_prefix(n.name)
            same = g.find(name) if name else None
            if (
                same is not None
                and n.op_type in (g.ops[same], "QLinear" + g.ops[same])
                and len(g.outputs[same]) == len(n.output)
            ):
                for o, mo in zip(n.output, g.outputs[same], strict=True):
                    if o and mo and o not in alias:
                        alias[o] = quantized_value(g, mo, n.op_type)
            elif is_layout(n.name, n.op_type):
                src = alias.get(n.input[0]) if n.input else None
                for o in n.output:
                    if o and o not in alias and src is not None:
                        alias[o] = src
            elif n.output and n.output[0] not in alias:
                base = nchwc_value(g, name)
                if base is not None:
                    alias[n.output[0]] = nchwc_fused_value(g, base, n)
                    continue
                # A fused kernel named after the node it replaces (``<node>/QuickGeluFusion/``) computes
                # that node's outputs, perhaps in another layout (NCHWc values get new names).
                carried = g.find_carried(name) if name else None
                if carried is not None and len(g.outputs[carried]) == len(n.output):
                    for o, mo in zip(n.output, g.outputs[carried], strict=True):
                        if o and mo and o not in alias:
                            alias[o] = quantized_value(g, mo, n.op_type)
        return alias

    def _match_all(self) -> list[Match]:
        g, og = self.g, self.og
        alias = self._aliases()
        visible = set(alias.values())
        # Layout kernels: the runtime's own (Reorder*, Memcpy*, inserted Casts), and Transposes/Reshapes that
        # only re-lay out a value another kernel already holds (the NHWC rewrite of quantized kernels).
        self.layout = {
            i for i, n in enumerate(og.node) if is_layout(n.name, n.op_type) or self._relayout(n, alias)
        }
        matches: list[Match | None] = [None] * len(og.node)
        for i, n in enumerate(og.node):
            if i in self.layout:
                matches[i] = _INSERTED  # charged to the node it serves once the others are matched
                continue
            produced = [alias[o] for o in n.output if o in alias and alias[o] in g.producer]
            claimed: dict[int, None] = {}
            stack = [g.producer[t] for t in reversed(produced)]
            while stack:
                p = stack.pop()
                if p in claimed:
                    continue
                claimed[p] = None
                for x in g.inputs[p]:
                    if not x or x in visible:
                        continue
                    q = g.producer.get(x)
                    if q is not None and not g.constant[q] and q not in claimed:
                        stack.append(q)
            named = g.find(n.name) if n.name else None
            if not claimed:
                if named is not None:
                    matches[i] = Match(
                        g.ids[named], (g.ids[named],), NAME if g.ops[named] == n.op_type else REWRITTEN
                    )
                continue  # decided below from its consumers
            order = list(claimed)
            primary = named if named in claimed else _primary(g, order, n.op_type)
            ids = tuple(g.ids[p] for p in sorted(order))
            if len(order) > 1:
                kind = FUSED
            elif named == primary and g.ops[primary] == n.op_type:
                kind = NAME
            else:
                kind = REWRITTEN
            matches[i] = Match(g.ids[primary], ids, kind)
        self._from_consumers(matches, alias)
        self._charge_layout(matches)
        return [m if m is not None else _INSERTED for m in matches]

    def _relayout(self, n: onnx.NodeProto, alias: dict[str, str]) -> bool:
        """A Transpose/Reshape the runtime added to re-lay out a model value: it turns one holder of the
        value into another, or it is no model node and makes a value no model node computes."""
        if n.op_type not in _RELAYOUT_OPS or not n.input or len(n.output) != 1 or n.input[0] not in alias:
            return False
        out = alias.get(n.output[0])
        if out is not None:
            return out == alias[n.input[0]]
        name = strip_cast_prefix(n.name)
        return not name or (self.g.find(name) is None and self.g.find_carried(name) is None)

    def _consumers(self) -> dict[str, list[int]]:
        if self._users is None:
            users: dict[str, list[int]] = {}
            for i, n in enumerate(self.og.node):
                for x in n.input:
                    users.setdefault(x, []).append(i)
            self._users = users
        return self._users

    def _served(self, i: int, matches: list[Match | None]) -> list[str]:
        """Model node ids that consume node ``i``'s outputs, looking through layout kernels in between."""
        og, users = self.og, self._consumers()
        out: dict[str, None] = {}
        seen = {i}
        stack = [i]
        while stack:
            k = stack.pop()
            for o in og.node[k].output:
                for c in users.get(o, ()):
                    if c in seen:
                        continue
                    seen.add(c)
                    if c in self.layout:
                        stack.append(c)
                    elif (mc := matches[c]) is not None and mc.node_id is not None:
                        out[mc.node_id] = None
        return list(out)

    def _charge_layout(self, matches: list[Match | None]) -> None:
        """Charge each layout kernel to the model node it serves: the first consumer of the value it
        re-lays out (in graph order), else (a graph output) the node that produced that value."""
        og = self.og
        producer = {o: k for k, n in enumerate(og.node) for o in n.output if o}
        pos: dict[str, int] = {}
        for r, k in enumerate(_topo(og)):
            m = matches[k]
            if m is not None and m.node_id is not None:
                pos.setdefault(m.node_id, r)
        for i, n in enumerate(og.node):
            if i not in self.layout:
                continue
            served = self._served(i, matches)
            owner = None
            if served:
                owner = min(served, key=lambda nid: pos.get(nid, 0))
            else:
                j = producer.get(n.input[0]) if n.input else None
                hops = 0
                while j is not None and j in self.layout and hops < 16:
                    j = producer.get(og.node[j].input[0]) if og.node[j].input else None
                    hops += 1
                if j is not None and (mj := matches[j]) is not None and mj.node_id is not None:
                    owner = mj.node_id
            if owner is not None:
                matches[i] = Match(owner, (owner,), CHARGED)

    def _from_consumers(self, matches: list[Match | None], alias: dict[str, str]) -> None:
        """An executed node that exposes no model value is part of the model node its outputs feed."""
        og = self.og
        consumers: dict[str, list[int]] = {}
        for i, n in enumerate(og.node):
            for x in n.input:
                consumers.setdefault(x, []).append(i)
        g = self.g
        for i in reversed(_topo(og)):
            if matches[i] is not None:
                continue
            owners = set()
            for o in og.node[i].output:
                if o in alias:
                    continue
                for c in consumers.get(o, ()):
                    m = matches[c]
                    if c in self.layout:
                        owners.update(self._served(c, matches))
                    elif m is not None and m.node_id is not None:
                        owners.add(m.node_id)
            if len(owners) == 1:
                (owner,) = owners
                pos = g.lookup.get(owner)
                owner_op = g.ops[pos] if pos is not None else ""
                # A heavy kernel (Conv, MatMul, ...) is never a hidden part of another standard op: that
                # would chain whole unexplained stretches of the graph onto one far node.
                if og.node[i].op_type in HEAVY_OPS and owner_op != og.node[i].op_type and _standard(owner_op):
                    continue
                matches[i] = Match(owner, (owner,), REWRITTEN)

    def match(self, name: str, op: str, order_hint: dict[tuple[str, str], int]) -> Match | None:
        """The Match of the optimized node an event names, None if the optimized graph lacks it."""
        i = self.by_name.get(name)
        if i is None:
            # onnxruntime names unnamed nodes <Op>_<index> by an index the saved graph does not keep:
            # pair them in order of first execution with the unnamed nodes of that op.
            cands = self.unnamed.get(op)
            k = order_hint.get((self.g.path, name))
            if cands and k is not None and k < len(cands):
                i = cands[k]
        return None if i is None else self.matches[i]

    def subgraph(self, name: str, label: str) -> onnx.GraphProto | None:
        """Body ``label`` of the optimized node named ``name``."""
        i = self.by_name.get(name)
        if i is None:
            return None
        for a in self.og.node[i].attribute:
            if a.type == onnx.AttributeProto.GRAPH and a.name == label:
                return a.g
            if a.type == onnx.AttributeProto.GRAPHS:
                for k, body in enumerate(a.graphs):
                    if f"{a.name}[{k}]" == label:
                        return body
        return None


class OptimizedJoins:
    """The OptimizedJoin of every model graph: the main graph's, and each body's found (on first use) inside
    its owner's optimized node. The one place that pairs model graphs with optimized graphs (profiles use
    it to join kernels, ``oi.optimized`` to link the two graphs)."""

    def __init__(self, graphs: dict[str, GraphInfo], optimized: onnx.GraphProto, model: Any) -> None:
        self.graphs = graphs
        self.model = model
        self.joins: dict[str, OptimizedJoin | None] = {}
        #: model body path -> (its parent's path, position of the owner in the parent's optimized graph, attribute)
        self.owner_slot: dict[str, tuple[str, int, str]] = {}
        if "" in graphs:
            self.joins[""] = OptimizedJoin(graphs[""], optimized)

    def get(self, path: str) -> OptimizedJoin | None:
        """The join of model graph ``path``, None when the optimized model has no such graph."""
        if path in self.joins:
            return self.joins[path]
        join = None
        model = self.model
        if path and model is not None and path in self.graphs and path in model.graphs.index:
            row = model.graphs.loc[path]
            owner, parent, label = row["owner"], row["parent"], row["attribute"]
            up = self.get(parent) if parent is not None else None
            if up is not None and owner is not None:
                local = owner[len(parent) + len(SEP) :] if parent else owner
                names = [local, owner]  # the owner's name: its local id, its full id (profiles), ort_name
                if owner in model.nodes.index:
                    names.append(model.nodes.at[owner, "ort_name"])
                for name in names:
                    body = up.subgraph(name, label)
                    if body is not None:
                        join = OptimizedJoin(self.graphs[path], body)
                        self.owner_slot[path] = (parent, up.by_name[name], label)
                        break
        self.joins[path] = join
        return join


def _standard(op: str) -> bool:
    """Whether ``op`` is a standard ONNX op (not a model-local function's name)."""
    try:
        return bool(op) and onnx.defs.has(op)
    except Exception:  # a lookup failure only means "not known to be standard"
        return False


def _primary(g: GraphInfo, order: list[int], op: str) -> int:
    """The model node that names a fused kernel: same op, else the heaviest op, else the output's producer."""
    base = op[len("Fused") :] if op.startswith("Fused") and len(op) > 5 else op
    for p in order:
        if g.ops[p] == base:
            return p
    for p in order:
        if g.ops[p] in HEAVY_OPS:
            return p
    return order[0]


def match_by_name(g: GraphInfo, name: str, op: str) -> Match:
    """Best match without the optimized graph: names, the ``_nchwc`` rule, inserted ops; else unmatched."""
    p = g.find(name)
    if p is not None and (not op or g.ops[p] == op):
        return Match(g.ids[p], (g.ids[p],), NAME)
    if p is not None and g.ops[p] in op:  # kept its name: FusedConv, QLinearConv, MatMulNBits, ...
        return Match(g.ids[p], (g.ids[p],), REWRITTEN)
    if is_layout(name, op):
        return _INSERTED  # charged to a neighbouring kernel's node by the caller
    stripped = strip_cast_prefix(name)
    if stripped != name:  # a node run in another precision
        mt = match_by_name(g, stripped, op)
        return Match(mt.node_id, mt.model_nodes, REWRITTEN) if mt.kind == NAME else mt
    base = nchwc_value(g, name)
    if base is not None:
        q = g.producer.get(base)
        chain: list[int] = []
        base = op[len("Fused") :] if op.startswith("Fused") else op
        while q is not None and len(chain) < 4:
            chain.append(q)
            if g.ops[q] == base:
                break
            first = next((x for x in g.inputs[q] if x), None)
            q = g.producer.get(first) if first else None
        if chain:
            primary = _primary(g, chain, op)
            ids = tuple(g.ids[c] for c in sorted(chain))
            return Match(g.ids[primary], ids, FUSED if len(ids) > 1 else REWRITTEN)
    carried = g.find_carried(name)
    if carried is not None:
        return Match(g.ids[carried], (g.ids[carried],), REWRITTEN)
    return _UNMATCHED


def is_layout(name: str, op: str) -> bool:
    """Whether a kernel only moves or converts data onnxruntime's way (re-layout, device copy, inserted Cast)."""
    return (
        op in LAYOUT_OPS
        or (op in ("Cast", "") and name.startswith(CAST_PREFIX))
        or (not op and name.startswith(("ReorderInput", "ReorderOutput", "Memcpy")))
    )


def strip_cast_prefix(name: str) -> str:
    """A kernel name without the prefix onnxruntime adds when it runs a node in another precision."""
    while name.startswith(CAST_PREFIX):
        name = name[len(CAST_PREFIX) :]
    return name


def nchwc_value(g: GraphInfo, name: str) -> str | None:
    """Model value an NCHWc kernel computes, from its name: ``<value>_nchwc``, or ``<value>_bn_nchwc`` /
    ``<value>_mul_nchwc`` / ... when it replaced a BatchNormalization, Mul or Add by a Conv."""
    if not name.endswith("_nchwc"):
        return None
    base = name[: -len("_nchwc")]
    for _ in range(3):
        if base in g.values:
            return base
        cut = base.rfind("_")
        if cut <= 0:
            break
        base = base[:cut]
    return None


#: ops an NCHWc Conv's ``activation`` attribute stands for.
_ACTIVATIONS = frozenset({"Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish"})


def nchwc_fused_value(g: GraphInfo, base: str, n: onnx.NodeProto) -> str:
    """The model value an NCHWc Conv named after ``base`` really outputs: past the Add/Sum it took in as its
    fourth input, and past the activation its ``activation`` attribute names (residual blocks of a ResNet)."""
    steps: list[frozenset[str]] = []
    if len(n.input) >= 4 and n.input[3]:
        steps.append(frozenset({"Add", "Sum"}))
    if any(a.name == "activation" for a in n.attribute):
        steps.append(_ACTIVATIONS)
    for ops in steps:
        users = [i for i in g.users(base) if g.ops[i] in ops and len(g.outputs[i]) == 1]
        if len(users) != 1:
            break
        base = g.outputs[users[0]][0]
    return base


#: quantized kernels onnxruntime makes from QDQ groups (their output is the QuantizeLinear's, not the float one).
_QUANTIZED_OPS = frozenset({"QGemm", "QAttention", "QEmbedLayerNormalization"})


def quantized_value(g: GraphInfo, value: str, op: str) -> str:
    """The model value a quantized kernel (QLinearConv, QLinearAdd, QGemm, ...) named after a float node
    outputs: the output of the one QuantizeLinear that reads the float node's ``value``, else ``value``."""
    if not (op.startswith("QLinear") or op in _QUANTIZED_OPS):
        return value
    q = [i for i in g.users(value) if g.ops[i] == "QuantizeLinear" and g.outputs[i] and g.outputs[i][0]]
    return g.outputs[q[0]][0] if len(q) == 1 else value


def is_engine(name: str, op: str, provider: str | None) -> bool:
    """Whether an event is a compiled engine (TensorRT, OpenVINO, ...) standing for a whole subgraph."""
    return provider in COMPILING_PROVIDERS or "TRTKernel" in op or "TRTKernel" in name


def engine_components(g: GraphInfo, covered: set[str]) -> list[list[int]]:
    """Connected groups of the graph's runtime nodes that no other event covers, in graph order."""
    cand = [i for i, nid in enumerate(g.ids) if nid not in covered and not g.constant[i]]
    cset = set(cand)
    parent = {i: i for i in cand}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in cand:
        for x in g.inputs[i]:
            p = g.producer.get(x) if x else None
            if p is not None and p in cset:
                a, b = root(i), root(p)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in cand:
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda c: c[0])


def engine_matches(g: GraphInfo, engine_ops: list[str], covered: set[str]) -> list[Match]:
    """Matches for one run's engine events (in event order) over the nodes left uncovered."""
    comps = engine_components(g, covered)
    if not comps:
        return [_UNMATCHED] * len(engine_ops)
    if len(engine_ops) == 1:
        comps = [[i for c in comps for i in c]]
    # Engines are numbered in partition order; components are in graph order.
    keyed = sorted(range(len(engine_ops)), key=lambda k: _engine_number(engine_ops[k], k))
    out: list[Match] = [_UNMATCHED] * len(engine_ops)
    for k, comp in zip(keyed, comps, strict=False):
        primary = _primary(g, comp, "")
        out[k] = Match(g.ids[primary], tuple(g.ids[i] for i in comp), ENGINE)
    return out


def _engine_number(op: str, fallback: int) -> tuple[int, int]:
    m = _TRAILING_INT.search(op)
    return (int(m.group(1)), fallback) if m else (1 << 30, fallback)


def choose_body(bodies: Iterable[str], graphs: dict[str, GraphInfo], child_names: list[str]) -> str | None:
    """The body (of an If's then/else, a Loop's body, ...) whose node names best explain the children."""
    best, best_score = None, -1
    for b in bodies:
        g = graphs.get(b)
        if g is None:
            continue
        score = sum(1 for c in child_names if c in g.lookup) - sum(
            1 for c in child_names if c not in g.lookup
        )
        if score > best_score:
            best, best_score = b, score
    return best
