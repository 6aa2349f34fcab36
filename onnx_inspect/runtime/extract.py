"""Cut a graph down to what some outputs need, optionally starting from intermediate values.

The result is a small ModelProto that keeps external-data references as they are (no weights are
read), marks the wanted intermediates as graph outputs (untyped: onnxruntime infers their types) and
turns fed intermediates into graph inputs. value_info is left out: onnxruntime infers types itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import onnx

from ..errors import FeedError, GraphError
from ..model.index import subgraph_attrs


def subgraphs(node: onnx.NodeProto) -> list[onnx.GraphProto]:
    """Graph-valued attributes of a node (If branches, Loop/Scan bodies), in attribute order."""
    return [g for _, g in subgraph_attrs(node)]


def free_names(g: onnx.GraphProto, _memo: dict[int, list[str]] | None = None) -> list[str]:
    """Names a graph reads from enclosing graphs (its outer-scope values), nested bodies included."""
    memo = {} if _memo is None else _memo
    key = id(g)
    if key in memo:
        return memo[key]
    defined = {vi.name for vi in g.input} | {t.name for t in g.initializer}
    defined |= {t.values.name for t in g.sparse_initializer}
    for n in g.node:
        defined.update(o for o in n.output if o)
    free: dict[str, None] = {}
    for n in g.node:
        for name in n.input:
            if name and name not in defined:
                free[name] = None
        for body in subgraphs(n):
            for name in free_names(body, memo):
                if name not in defined:
                    free[name] = None
    for vi in g.output:
        if vi.name and vi.name not in defined:
            free[vi.name] = None
    memo[key] = list(free)
    return memo[key]


@dataclass
class GraphIndex:
    """Lookups over one graph, built once per graph and reused for every cut of it."""

    graph: onnx.GraphProto
    producer: dict[str, int]
    inits: dict[str, int]  # initializer name -> position (dense), sparse ones use -1 - position
    inputs: dict[str, onnx.ValueInfoProto]  # every graph input (IR < 4 lists initializers here too)
    real_inputs: list[str]  # graph inputs that are not initializers
    reads: list[tuple[str, ...]]  # per node: its inputs plus outer-scope names its bodies read
    outputs: list[str]
    value_info: dict[str, onnx.ValueInfoProto]

    @classmethod
    def build(cls, g: onnx.GraphProto) -> GraphIndex:
        """Index a GraphProto (main graph or a body)."""
        inits = {t.name: i for i, t in enumerate(g.initializer)}
        for i, sp in enumerate(g.sparse_initializer):
            inits.setdefault(sp.values.name, -1 - i)
        producer: dict[str, int] = {}
        memo: dict[int, list[str]] = {}
        reads: list[tuple[str, ...]] = []
        for i, n in enumerate(g.node):
            for o in n.output:
                if o:
                    producer[o] = i
            names = [x for x in n.input if x]
            for body in subgraphs(n):
                names.extend(x for x in free_names(body, memo) if x not in names)
            reads.append(tuple(names))
        inputs = {vi.name: vi for vi in g.input}
        vinfo = {vi.name: vi for vi in g.value_info}
        return cls(
            graph=g,
            producer=producer,
            inits=inits,
            inputs=inputs,
            real_inputs=[n for n in inputs if n not in inits],
            reads=reads,
            outputs=[vi.name for vi in g.output],
            value_info=vinfo,
        )

    def defines(self, name: str) -> bool:
        """Whether the value is an input, initializer or node output of this graph."""
        return name in self.producer or name in self.inits or name in self.inputs


@dataclass
class Cut:
    """What part of a graph a set of outputs needs, given values fed at some tensors."""

    outputs: tuple[str, ...]
    nodes: list[int]  # node positions, in graph order
    inputs: list[str]  # real graph inputs needed
    fed: list[str]  # fed intermediates/initializers that replace their producers
    inits: list[str]  # initializers needed
    outer: list[str]  # names neither defined here nor fed (outer scope of a body)
    reader: dict[str, int] = field(default_factory=dict)  # value -> a node that reads it (for messages)
    cause: dict[int, str] = field(default_factory=dict)  # node -> the needed value it produces

    def path_to(self, name: str) -> list[int]:
        """Node positions on one path from a wanted output back to value ``name`` (output side first)."""
        path: list[int] = []
        seen: set[int] = set()
        while name in self.reader and self.reader[name] not in seen:
            i = self.reader[name]
            seen.add(i)
            path.append(i)
            name = self.cause.get(i, "")
        return path[::-1]

    def is_whole(self, gi: GraphIndex) -> bool:
        """True when the cut is the unchanged graph (same outputs, nothing fed at intermediates)."""
        return not self.fed and list(self.outputs) == gi.outputs


def plan(gi: GraphIndex, outputs: Sequence[str], fed: Iterable[str] = ()) -> Cut:
    """Walk back from ``outputs`` to graph inputs, initializers or fed values; collect the nodes between."""
    fed_set = set(fed)
    nodes: set[int] = set()
    inputs: set[str] = set()
    used_fed: set[str] = set()
    inits: set[str] = set()
    outer: dict[str, None] = {}
    reader: dict[str, int] = {}
    cause: dict[int, str] = {}
    stack = list(outputs)
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in fed_set:
            used_fed.add(name)
        elif name in gi.inputs and name not in gi.inits:
            inputs.add(name)
        elif name in gi.inits:
            inits.add(name)
        elif name in gi.producer:
            i = gi.producer[name]
            if i not in nodes:
                nodes.add(i)
                cause[i] = name
                for x in gi.reads[i]:
                    reader.setdefault(x, i)
                    stack.append(x)
        else:
            outer[name] = None
    return Cut(
        outputs=tuple(outputs),
        nodes=sorted(nodes),
        inputs=[n for n in gi.real_inputs if n in inputs],
        fed=sorted(used_fed),
        inits=sorted(inits, key=lambda n: gi.inits[n] if gi.inits[n] >= 0 else 10**12 - gi.inits[n]),
        outer=list(outer),
        reader=reader,
        cause=cause,
    )


def check_sufficient(
    cut: Cut,
    gi: GraphIndex,
    available: Iterable[str],
    node_label: Callable[[int], str],
    middle: bool,
) -> None:
    """Raise FeedError naming the first input the outputs need that no feed provides."""
    have = set(available)
    missing = [n for n in cut.inputs if n not in have]
    if not missing:
        return
    name = missing[0]
    via = cut.reader.get(name)
    via_text = f" (read by node {node_label(via)})" if via is not None else ""
    outs = ", ".join(f"'{o}'" for o in cut.outputs[:5]) + (" ..." if len(cut.outputs) > 5 else "")
    if middle:
        path = [node_label(i) for i in cut.path_to(name)]
        if len(path) > 6:
            path = [*path[:3], "...", *path[-3:]]
        raise FeedError(
            f"the fed tensors {cut.fed} do not cut {outs} off the model input '{name}': a path avoids them "
            f"({' <- '.join(path)} <- '{name}'); feed '{name}' too, or feed tensors that every path "
            f"crosses (missing: {missing})"
        )
    raise FeedError(f"input '{name}' is missing from feeds{via_text}; {outs} need it. Missing: {missing}")


def _typed_input(name: str, elem_type: int, rank: int | None) -> onnx.ValueInfoProto:
    shape = None if rank is None else [None] * rank
    return onnx.helper.make_tensor_value_info(name, elem_type, shape)


def build_model(
    model: onnx.ModelProto,
    gi: GraphIndex,
    cut: Cut,
    fed_types: Mapping[str, tuple[int, int | None]],
    *,
    session_outputs: Sequence[str],
) -> onnx.ModelProto:
    """A new model holding only the cut: needed nodes and initializers, fed values as typed inputs.

    ``fed_types`` gives (ONNX element type, rank) for every fed value and every outer-scope value.
    Initializers keep their external-data references, so no weight is read or copied.
    """
    g = gi.graph
    out = onnx.ModelProto()
    out.ir_version = model.ir_version
    out.opset_import.extend(model.opset_import)
    out.producer_name = model.producer_name
    out.producer_version = model.producer_version
    out.domain = model.domain
    out.model_version = model.model_version
    out.functions.extend(model.functions)
    ng = out.graph
    ng.name = g.name or "graph"
    ng.node.extend(g.node[i] for i in cut.nodes)
    for name in cut.inits:
        pos = gi.inits[name]
        if pos >= 0:
            ng.initializer.append(g.initializer[pos])
        else:
            ng.sparse_initializer.append(g.sparse_initializer[-1 - pos])
    listed = set(cut.inputs)
    if model.ir_version < 4:
        listed |= {n for n in cut.inits if n in gi.inputs}  # IR 3 lists initializers as inputs
    ng.input.extend(vi for name, vi in gi.inputs.items() if name in listed)
    for name in (*cut.fed, *cut.outer):
        if name not in fed_types:
            raise GraphError(f"no type known for fed value '{name}'")
        elem, rank = fed_types[name]
        ng.input.append(_typed_input(name, elem, rank))
    declared = {vi.name: vi for vi in g.output}
    for name in session_outputs:
        ng.output.append(declared[name] if name in declared else onnx.ValueInfoProto(name=name))
    # No value_info: the model index's copy carries shapes from onnx inference, and onnxruntime
    # infers its own; a stale or over-eager inferred shape must not make a cut fail where the model runs.
    return out
