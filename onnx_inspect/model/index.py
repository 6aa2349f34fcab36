"""Walk a ModelProto once and index every node, value and (sub)graph as flat columns.

One recursive pass covers the main graph, If/Loop/Scan bodies at any depth and model-local
functions. Node and tensor ids are derived from names and positions only, so they are stable
across loads and match what onnxruntime's profiler calls unnamed nodes (``<OpType>_<index>``).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from typing import Any, cast

import numpy as np
import onnx

from ..errors import GraphError
from .dtypes import dtype_name, element_bits

SEP = "::"
_SOURCES = np.array(
    [None, "declared", "inferred"], dtype=object
)  # shape_source by code 0/1/2  # joins graph paths and local ids; never produced by exporters' naming schemes

Shape = tuple[int | str | None, ...] | None
#: graph ordinal (walk order) -> value name -> serialized declared TypeProto
Declared = dict[int, dict[str, bytes]]


@dataclass
class GraphEntry:
    """A graph or function body found during the walk."""

    path: str
    proto: onnx.GraphProto | onnx.FunctionProto
    owner: str | None
    attribute: str | None
    parent: str | None
    ordinal: int
    node_ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    ins: list[tuple[str, ...]] = field(default_factory=list)
    outs: list[tuple[str, ...]] = field(default_factory=list)
    meta: dict[int, onnx.NodeProto] = field(default_factory=dict)  # nodes carrying metadata_props
    constants: set[str] = field(default_factory=set)  # initializers and values known without running
    edges: Edges | None = None  # the data edges as arrays, for passes over the whole graph (scopes.py)


@dataclass
class Edges:
    """A graph's data edges as arrays: every input name of every node (node by node) with the node that
    reads it and the value it reads, so whole-graph passes run in numpy instead of per name."""

    ins: list[tuple[str, ...]]
    outs: list[tuple[str, ...]]
    values: list[str]  # the graph's values: inputs and initializers, then node outputs
    made_by: np.ndarray  # producing node position per value (-1: an input or initializer)
    known: np.ndarray  # per value: a constant (initializer, or computed from constants only)
    flat: list[str]  # every input name, node by node
    reader: np.ndarray  # reading node position per input
    value: np.ndarray  # position in ``values`` per input (-1: '' or a value of an enclosing graph)
    pos: dict[str, int]  # value name -> position in ``values``

    @classmethod
    def of(cls, ins: list[tuple[str, ...]], outs: list[tuple[str, ...]], constants: set[str]) -> Edges:
        """Edges of a bare node list (the index builds them on its walk; this is for other callers)."""
        n = len(ins)
        values = list(chain.from_iterable(outs))
        made_by = np.repeat(np.arange(n, dtype=np.int64), np.fromiter(map(len, outs), np.int64, n))
        if "" in values:
            keep = np.fromiter(map(bool, values), bool, len(values))
            values, made_by = list(compress(values, keep.tolist())), made_by[keep]
        at = dict(zip(values, range(len(values)), strict=True))  # (a name produced twice: the last one)
        extra = [c for c in constants if c not in at]
        at.update(zip(extra, range(len(values), len(values) + len(extra)), strict=True))
        values += extra
        made_by = np.concatenate([made_by, np.full(len(extra), -1, dtype=np.int64)])
        known = np.fromiter(map(constants.__contains__, values), bool, len(values))
        flat = list(chain.from_iterable(ins))
        reader = np.repeat(np.arange(n, dtype=np.int64), np.fromiter(map(len, ins), np.int64, n))
        value = np.fromiter(map(at.get, flat, repeat(-1)), np.int64, len(flat))
        return cls(ins, outs, values, made_by, known, flat, reader, value, at)

    def source(self) -> np.ndarray:
        """Producing node position per input (-1 where none)."""
        return np.where(self.value >= 0, self.made_by[self.value], -1)


class ProtoRefs(Mapping[str, Any]):
    """Id -> a proto inside the model (a node, an initializer), kept as its container and position and
    read when asked: pointing every reference at the inferred copy of the model then costs one
    assignment per graph (``seqs``, shared by every ProtoRefs of an index), not one per node."""

    __slots__ = ("_at", "_pos", "_seq", "seqs")

    def __init__(self, seqs: list[Any]) -> None:
        self.seqs = seqs  # the graphs' repeated fields (node, initializer, sparse_initializer)
        self._at: dict[str, int] = {}
        self._seq: list[int] = []
        self._pos: list[int] = []

    def add(self, keys: list[str], seq: int | list[int], pos: Iterable[int]) -> None:
        """Ids ``keys`` are the items at positions ``pos`` of container(s) ``seq`` (a later add wins)."""
        base = len(self._seq)
        self._at.update(zip(keys, range(base, base + len(keys)), strict=True))
        self._seq.extend([seq] * len(keys) if isinstance(seq, int) else seq)
        self._pos.extend(pos)

    def __getitem__(self, key: str) -> Any:
        k = self._at[key]
        return self.seqs[self._seq[k]][self._pos[k]]

    def get(self, key: str, default: Any = None) -> Any:
        k = self._at.get(key)
        return default if k is None else self.seqs[self._seq[k]][self._pos[k]]

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


class _Ids(Mapping[str, str]):
    """Value name -> tensor id of one graph, read from the walk's positions and id list (no dict per id)."""

    __slots__ = ("pos", "tids")

    def __init__(self, pos: dict[str, int], tids: list[str]) -> None:
        self.pos, self.tids = pos, tids

    def __getitem__(self, name: str) -> str:
        return self.tids[self.pos[name]]

    def get(self, name: str, default: Any = None) -> Any:
        k = self.pos.get(name)
        return default if k is None else self.tids[k]

    def __contains__(self, name: object) -> bool:
        return name in self.pos

    def __iter__(self) -> Iterator[str]:
        return iter(self.pos)

    def __len__(self) -> int:
        return len(self.pos)


class ByName(Mapping[tuple[str, str], str]):
    """(graph path, value name) -> tensor id, kept as the walk's own per-graph dicts (no tuple per value)."""

    def __init__(self) -> None:
        self._graphs: dict[str, list[Mapping[str, str]]] = {}
        self.outer = False  # whether any graph reads values of an enclosing graph

    def add(self, path: str, ids: Mapping[str, str]) -> None:
        """Value name -> tensor id of graph ``path`` (shared, not copied: the walk owns it)."""
        self._graphs.setdefault(path, []).append(ids)

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            path, name = key
        except (TypeError, ValueError):
            return default
        for ids in self._graphs.get(path, ()):
            tid = ids.get(name)
            if tid is not None:
                return tid
        return default

    def __getitem__(self, key: tuple[str, str]) -> str:
        tid: str | None = self.get(key)
        if tid is None:
            raise KeyError(key)
        return tid

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for path, maps in self._graphs.items():
            for ids in maps:
                for name in ids:
                    yield path, name

    def __len__(self) -> int:
        return sum(len(ids) for maps in self._graphs.values() for ids in maps)


@dataclass
class Index:
    """Column lists for the node and tensor tables plus lookups the Model needs."""

    nodes: dict[str, list[Any]]
    tensors: dict[str, list[Any]]
    graphs: dict[str, GraphEntry]
    node_protos: ProtoRefs  # node id -> NodeProto
    weights: ProtoRefs  # tensor id -> Tensor/SparseTensorProto (initializer) or NodeProto (Constant...)
    by_name: ByName  # (graph path, value name) -> tensor id
    untyped: _Walker | None = field(default=None, repr=False)  # the walk, until ``type_values`` ran

    def type_values(self, model: onnx.ModelProto) -> None:
        """Fill the tensors' dtype, shape, shape_source and nbytes from ``model``: the indexed model or
        its shape-inferred copy (then every proto lookup points into the copy). Once per index."""
        if self.untyped is None:
            raise RuntimeError("Index.type_values: the index is already typed")
        self.untyped.type_values(model)
        self.untyped = None


class StructureChanged(Exception):
    """The model given to ``Index.type_values`` does not have the indexed model's graphs."""


def type_info(tp: onnx.TypeProto) -> tuple[str | None, Shape]:
    """(dtype name, shape) of a TypeProto; shape None when the rank is unknown."""
    which = tp.WhichOneof("value")
    if which == "tensor_type" or which == "sparse_tensor_type":
        tt = tp.tensor_type if which == "tensor_type" else tp.sparse_tensor_type
        dtype = dtype_name(tt.elem_type)
        if not tt.HasField("shape"):
            return dtype, None
        dims: list[int | str | None] = []
        for d in tt.shape.dim:
            v = d.dim_value
            if v:
                dims.append(v)
            else:
                param = d.dim_param
                if param:
                    # onnx names dims it cannot resolve 'unk__N': those are unknown, not symbols of the model
                    dims.append(None if param.startswith("unk__") else param)
                else:
                    dims.append(0 if d.HasField("dim_value") else None)
        return dtype, tuple(dims)
    if which == "sequence_type":
        inner, _ = type_info(tp.sequence_type.elem_type)
        return f"seq({inner})", None
    if which == "optional_type":
        inner, _ = type_info(tp.optional_type.elem_type)
        return f"optional({inner})", None
    if which == "map_type":
        val, _ = type_info(tp.map_type.value_type)
        return f"map({dtype_name(tp.map_type.key_type)},{val})", None
    return None, None


def nbytes_of(dtype_elem: int | None, shape: Shape) -> int | None:
    """Bytes a dense tensor of this element type and static shape takes, else None."""
    if dtype_elem is None or shape is None:
        return None
    count = 1
    for d in shape:
        if d.__class__ is not int:
            return None
        count *= d
    bits = element_bits(dtype_elem)
    if bits is None or count * bits >= 2**66:  # over 2**63 bytes: a damaged or absurd shape, not a size
        return None
    return (count * bits + 7) // 8


def subgraph_attrs(node: onnx.NodeProto) -> list[tuple[str, onnx.GraphProto]]:
    """(label, body) for each graph-valued attribute of a node, in attribute order."""
    out: list[tuple[str, onnx.GraphProto]] = []
    for a in node.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            out.append((a.name, a.g))
        elif a.type == onnx.AttributeProto.GRAPHS:
            out.extend((f"{a.name}[{k}]", g) for k, g in enumerate(a.graphs))
    return out


# Standard ops that carry graph attributes; other domains may too (e.g. com.microsoft BeamSearch).
BODY_OPS = frozenset({"If", "Loop", "Scan", "SequenceMap"})


def may_have_body(op_type: str, domain: str) -> bool:
    """Cheap pre-check before scanning a node's attributes for subgraphs."""
    return op_type in BODY_OPS or domain not in ("", "ai.onnx")


def declared_names(
    model: onnx.ModelProto, watch: frozenset[str] = frozenset(), max_dim: int | None = None
) -> tuple[
    Declared,
    list[tuple[onnx.GraphProto | onnx.FunctionProto, onnx.NodeProto]],
    str | None,
]:
    """graph ordinal -> value name -> serialized declared type, for every value the model types itself.

    The same walk also returns the nodes whose op_type is in ``watch`` (with their graph) and the first
    declared dim above ``max_dim`` (for the shape-inference risk scan, so a load walks the model once).
    """
    found: Declared = {}
    hits: list[tuple[onnx.GraphProto | onnx.FunctionProto, onnx.NodeProto]] = []
    big: list[str] = []
    counter = [0]

    def visit(g: onnx.GraphProto | onnx.FunctionProto) -> None:
        here = found[counter[0]] = {}
        counter[0] += 1
        if isinstance(g, onnx.GraphProto):
            for vi in (*g.input, *g.output, *g.value_info):
                tp = vi.type
                if tp.WhichOneof("value") is not None:
                    here[vi.name] = tp.SerializeToString()
                    if max_dim is not None and not big:
                        for d in tp.tensor_type.shape.dim:
                            if d.dim_value > max_dim or d.dim_value < 0:
                                big.append(f"value '{vi.name}' declares a dim of {d.dim_value}")
                                break
        else:
            for vi in g.value_info:
                here[vi.name] = vi.type.SerializeToString()
        nodes = list(g.node)
        ops = [n.op_type for n in nodes]
        domains = [n.domain for n in nodes]
        if not BODY_OPS.intersection(ops) and set(domains) <= {"", "ai.onnx"}:  # no bodies: column-wise
            hits.extend((g, nodes[i]) for i in compress(range(len(ops)), map(watch.__contains__, ops)))
            return
        for n, op, domain in zip(nodes, ops, domains, strict=True):
            if op in watch:
                hits.append((g, n))
            if op in BODY_OPS or domain not in ("", "ai.onnx"):
                for _, body in subgraph_attrs(n):
                    visit(body)

    visit(model.graph)
    for f in model.functions:
        visit(f)
    return found, hits, big[0] if big else None


NODE_COLUMNS = (
    "id",
    "name",
    "op_type",
    "domain",
    "graph",
    "inputs",
    "outputs",
    "index",
    "ort_name",
    "subgraphs",
    "implicit_inputs",
)
TENSOR_COLUMNS = (
    "id",
    "name",
    "graph",
    "dtype",
    "shape",
    "shape_source",
    "kind",
    "producer",
    "consumers",
    "nbytes",
    "outer_ref",
)


@dataclass
class _Graph:
    """What one graph defines and reads, shared by the per-construct steps of ``_Walker.walk``."""

    entry: GraphEntry
    where: str  # "main graph" or "graph '<path>'", for error messages
    prefix: str  # prepended to local names to make ids
    is_graph: bool  # GraphProto (True) or FunctionProto (False)
    protos: list[onnx.NodeProto]
    domains: list[str]
    ids: list[str] = field(default_factory=list)
    ort_names: list[str] = field(default_factory=list)  # name, else '<OpType>_<index>'
    inits: dict[str, Any] = field(default_factory=dict)
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    # inputs and initializers (first seen order), then node outputs in node order: the tensor rows
    defined: list[str] = field(default_factory=list)
    n_pre: int = 0  # how many of ``defined`` are inputs and initializers (the rest are node outputs)
    owner: list[int] = field(default_factory=list)  # producing node position of defined[n_pre + k]
    pos: dict[str, int] = field(default_factory=dict)  # value name -> position in ``defined``
    tids: list[str] = field(default_factory=list)  # tensor id per ``defined``
    local_ids: Mapping[str, str] = field(default_factory=dict)  # value name -> tensor id
    consumers: list[tuple[str, ...]] = field(default_factory=list)  # reader node ids, per ``defined``
    free: dict[str, list[str]] = field(default_factory=dict)  # outer value name -> readers in this graph
    row: int = 0  # this graph's first row in the tensor columns
    # the initializers' (rows, dtypes, shapes, sizes) and tensor ids; rows of constant node outputs
    init_types: tuple[slice | list[int], list[Any], list[Any], list[Any]] | None = None
    init_tids: list[str] = field(default_factory=list)
    init_seq: list[int] = field(default_factory=list)  # per initializer: its container (see _initializers)
    init_pos: list[int] = field(default_factory=list)  # and its position there
    n_inits: tuple[int, int] = (0, 0)  # dense and sparse initializers in the graph
    seq: int = 0  # where this graph's containers start in the walk's ``seqs``
    const_at: list[int] = field(default_factory=list)


class _Walker:
    """State of one indexing pass; ``walk`` indexes one graph by constructs: nodes, values, subgraphs,
    functions (each a method, so the recursion and the hot loops stay readable and measurable).

    The hot steps work column-wise: per-node and per-value Python work is limited to reading protobuf
    fields; lookups run as ``map`` over dicts and edges as numpy arrays."""

    def __init__(
        self,
        model: onnx.ModelProto,
        declared: Declared | None,
        scan_metadata: bool = True,
    ) -> None:
        self.model = model
        self.scan_metadata = scan_metadata
        self.declared = declared
        self.ordinal = 0
        self.nodes: dict[str, list[Any]] = {k: [] for k in NODE_COLUMNS}
        self.tensors: dict[str, list[Any]] = {k: [] for k in TENSOR_COLUMNS}
        self.graphs: dict[str, GraphEntry] = {}
        self.seqs: list[Any] = []  # per graph, in walk order: its node, initializer, sparse_initializer
        self.node_protos = ProtoRefs(self.seqs)
        self.weights = ProtoRefs(self.seqs)
        self.by_name = ByName()
        self.used_node_ids: set[str] = set()
        self.used_tensor_ids: set[str] = set()
        # serialized TypeProto -> dtype, shape, nbytes (a model has few distinct types); (elem, shape) -> nbytes
        self.type_dtype: dict[bytes | None, str | None] = {None: None}
        self.type_shape: dict[bytes | None, Shape] = {None: None}
        self.type_nbytes: dict[bytes | None, int | None] = {None: None}
        self.nbytes_cache: dict[tuple[int | None, Shape], Any] = {}
        self.functions = {(f.domain, f.name, getattr(f, "overload", "")): f for f in model.functions}
        self.walked: list[_Graph] = []  # every graph walked, in walk order (``type_values`` reads them)

    @staticmethod
    def _unique(wanted: str, used: set[str], index: int) -> str:
        out = wanted
        k = 0
        while out in used:
            out = f"{wanted}#{index}" if k == 0 else f"{wanted}#{index}.{k}"
            k += 1
        used.add(out)
        return out

    def walk(
        self,
        g: onnx.GraphProto | onnx.FunctionProto,
        path: str,
        env: ChainMap[str, str],
        owner: str | None,
        attribute: str | None,
        parent: str | None,
    ) -> list[str]:
        """Index graph ``g``; return the names it reads from enclosing graphs (its free names)."""
        entry = GraphEntry(path, g, owner, attribute, parent, self.ordinal)
        self.ordinal += 1
        self.graphs[path] = entry
        gw = self._read_nodes(g, entry)
        self.walked.append(gw)  # (before its bodies: walk order, parents first)
        self._define_values(g, gw)
        implicit_of, subgraphs_of, ordered = self._link(gw, env)
        if not ordered:  # rare: exporters write nodes in topological order
            _check_acyclic(entry.ops, gw.ids, _local_deps(gw, implicit_of), gw.where)
        self._node_rows(gw, implicit_of, subgraphs_of)
        self._value_rows(gw)
        self._outer_rows(gw, env)
        return list(gw.free)

    # -- nodes -----------------------------------------------------------------------------------------
    def _read_nodes(self, g: onnx.GraphProto | onnx.FunctionProto, entry: GraphEntry) -> _Graph:
        """Read every node's fields from protobuf once, column by column, and give each node its id."""
        path = entry.path
        where = "main graph" if not path else f"graph '{path}'"
        protos = list(g.node)
        names = [n.name for n in protos]
        ops = [n.op_type for n in protos]
        domains = [n.domain for n in protos]
        # a repeated field's slice is a list made in C: twice as fast as iterating the container
        ins = [tuple(n.input[:]) for n in protos]
        outs = [tuple(n.output[:]) for n in protos]
        _require_text(where, "node name", names)
        _require_text(where, "op type", ops)
        _require_text(where, "domain", domains)
        for groups in (ins, outs):
            if not set(map(type, chain.from_iterable(groups))) <= {str}:
                _require_text(where, "value name", list(chain.from_iterable(groups)))
        if self.scan_metadata:
            entry.meta = {i: n for i, n in enumerate(protos) if n.metadata_props}
        entry.names, entry.ops, entry.ins, entry.outs = names, ops, ins, outs
        gw = _Graph(
            entry, where, f"{path}{SEP}" if path else "", isinstance(g, onnx.GraphProto), protos, domains
        )
        if any(names):
            gw.ort_names = names if all(names) else [name or f"{ops[i]}_{i}" for i, name in enumerate(names)]
        else:  # an unnamed graph: formatted in C
            gw.ort_names = list(map("{}_{}".format, ops, range(len(ops))))
        gw.ids = entry.node_ids = self._node_ids(gw.prefix, gw.ort_names)
        gw.seq = len(self.seqs)
        self.seqs.extend(_containers(g))
        return gw

    def _node_ids(self, prefix: str, locals_: list[str]) -> list[str]:
        """Stable node ids: the name, else ``OpType_index``; duplicates get ``#index`` appended."""
        used_nodes = self.used_node_ids
        nids = [prefix + x for x in locals_] if prefix else locals_
        if len(set(locals_)) == len(locals_) and used_nodes.isdisjoint(nids):  # the common case
            used_nodes.update(nids)
            return nids
        ids: list[str] = []
        seen_local: set[str] = set()
        for i, local in enumerate(locals_):
            if local in seen_local:
                local = f"{local}#{i}"
            seen_local.add(local)
            nid = prefix + local
            if nid in used_nodes:
                nid = self._unique(nid, used_nodes, i)
            else:
                used_nodes.add(nid)
            ids.append(nid)
        return ids

    def _node_rows(
        self, gw: _Graph, implicit_of: list[tuple[str, ...]], subgraphs_of: list[tuple[str, ...]]
    ) -> None:
        """Append this graph's rows to the node columns."""
        e = gw.entry
        n = len(gw.protos)
        cols = self.nodes
        cols["id"].extend(gw.ids)
        cols["name"].extend(e.names)
        cols["op_type"].extend(e.ops)
        cols["domain"].extend(gw.domains)
        cols["graph"].extend([e.path] * n)
        cols["inputs"].extend(e.ins)
        cols["outputs"].extend(e.outs)
        cols["index"].extend(range(n))
        cols["ort_name"].extend(gw.ort_names)
        cols["subgraphs"].extend(subgraphs_of)
        cols["implicit_inputs"].extend(implicit_of)
        self.node_protos.add(gw.ids, gw.seq, range(n))

    # -- values ----------------------------------------------------------------------------------------
    def _define_values(self, g: onnx.GraphProto | onnx.FunctionProto, gw: _Graph) -> None:
        """What this graph defines (inputs, initializers, node outputs), each with a unique tensor id."""
        where = gw.where
        inits: dict[str, Any] = {}
        input_names: list[str]
        output_names: list[str]
        if isinstance(g, onnx.GraphProto):  # (gw.is_graph, spelled so the type checker narrows g)
            inits, gw.init_seq, gw.init_pos = _initializers(g)
            gw.n_inits = (len(g.initializer), len(g.sparse_initializer))
            input_names = [vi.name for vi in g.input]
            output_names = [vi.name for vi in g.output]
        else:  # a FunctionProto names its inputs and outputs; it has no initializers
            input_names, output_names = list(g.input), list(g.output)
        _require_text(where, "graph input", input_names)
        _require_text(where, "graph output", output_names)
        _require_text(where, "initializer name", list(inits))
        for kind, names_ in (("input", input_names), ("output", output_names)):
            if "" in names_:
                raise GraphError(
                    f"{where}: graph {kind} #{names_.index('')} has no name; ONNX values must be named"
                )
        outs = gw.entry.outs
        every = list(chain.from_iterable(outs))
        owner = np.repeat(np.arange(len(outs)), np.fromiter(map(len, outs), np.int64, len(outs))).tolist()
        if "" in every:  # optional outputs left out
            keep = list(map(bool, every))
            every, owner = list(compress(every, keep)), list(compress(owner, keep))
        defined = list(dict.fromkeys([*input_names, *inits.keys()]))
        n_pre = len(defined)
        defined += every
        pos = dict(zip(defined, range(len(defined)), strict=True))
        if len(pos) != len(defined):  # a node output that is also an input, initializer or another output
            _produced_twice(gw, set(input_names) | inits.keys())
        used_tensors = self.used_tensor_ids
        prefix = gw.prefix
        tids = [prefix + name for name in defined] if prefix else defined
        if used_tensors.isdisjoint(tids):  # the common case: every id is free (names are unique here)
            used_tensors.update(tids)
        else:
            tids = list(tids)
            for k, tid in enumerate(tids):
                if tid in used_tensors:
                    tids[k] = self._unique(tid, used_tensors, len(used_tensors))
                else:
                    used_tensors.add(tid)
        gw.local_ids = _Ids(pos, tids)
        self.by_name.add(gw.entry.path, gw.local_ids)
        gw.inits, gw.input_names, gw.output_names = inits, input_names, output_names
        gw.defined, gw.n_pre, gw.owner, gw.pos, gw.tids = defined, n_pre, owner, pos, tids

    def _value_rows(self, gw: _Graph) -> None:
        """Append a tensor row per value this graph defines: kind, producer and readers. Types (dtype,
        shape, where the shape came from, size) come later, in ``_type_rows``: they may be read from the
        inferred copy of the model, which shape inference builds meanwhile."""
        inits, protos, ops, ids = gw.inits, gw.protos, gw.entry.ops, gw.ids
        const_values = _constant_values(protos, ops, gw.entry.ins, gw.entry.outs, inits)
        gw.entry.constants = const_values | inits.keys()
        defined, pos, n_pre = gw.defined, gw.pos, gw.n_pre
        n = len(defined)
        c_kind = ["input"] * n_pre + ["intermediate"] * (n - n_pre)
        c_prod = [None] * n_pre + list(map(ids.__getitem__, gw.owner))
        gw.init_types = self._initializer_types(gw, c_kind)
        gw.const_at = const_at = sorted(pos[name] for name in const_values)
        if gw.entry.edges is not None:
            known = gw.entry.edges.known
            known[np.fromiter(map(pos.__getitem__, inits), np.int64, len(inits))] = True
            known[const_at] = True
        for k in const_at:
            c_kind[k] = "constant"
        self.weights.add([gw.tids[k] for k in const_at], gw.seq, [gw.owner[k - n_pre] for k in const_at])
        for name in set(gw.output_names):
            at = pos.get(name)
            if at is not None and c_kind[at] in ("intermediate", "input"):
                c_kind[at] = "output"
        t = self.tensors
        gw.row = len(t["id"])
        t["id"].extend(gw.tids)
        t["name"].extend(defined)
        t["graph"].extend([gw.entry.path] * n)
        for key in ("dtype", "shape", "shape_source", "nbytes"):  # (filled by ``_type_rows``)
            t[key].extend([None] * n)
        t["kind"].extend(c_kind)
        t["producer"].extend(c_prod)
        t["consumers"].extend(gw.consumers)
        t["outer_ref"].extend([None] * n)

    def _type_rows(self, g: onnx.GraphProto | onnx.FunctionProto, gw: _Graph) -> None:
        """Fill this graph's rows' dtype, shape, shape source and size from ``g`` (the walked graph, or
        its inferred copy): the value's TypeProto, else the initializer's or Constant's own tensor."""
        nodes, ops = self.seqs[gw.seq], gw.entry.ops  # (the nodes of ``g``: see ``_repoint``)
        # value name -> serialized declared TypeProto (a model has few distinct ones: each is read once)
        vis = list(g.value_info)
        ser_of = dict(zip([vi.name for vi in vis], [vi.type.SerializeToString() for vi in vis], strict=True))
        if isinstance(g, onnx.GraphProto):  # (gw.is_graph, spelled so the type checker narrows g)
            for vi in g.output:
                if vi.type.WhichOneof("value") is not None or vi.name not in ser_of:
                    ser_of[vi.name] = vi.type.SerializeToString()
            for vi in g.input:
                ser_of[vi.name] = vi.type.SerializeToString()
        decl = None if self.declared is None else self.declared.get(gw.entry.ordinal, {})
        defined, n_pre = gw.defined, gw.n_pre
        n = len(defined)
        # column-wise: every value typed by its TypeProto, then the initializers and constants fixed up
        # each value's type as a number (0: untyped), and per number its dtype, shape and size
        kinds = list(dict.fromkeys([None, *ser_of.values()]))
        number = dict(zip(kinds, range(len(kinds)), strict=True))
        codes = np.fromiter(map(number.__getitem__, map(ser_of.get, defined)), np.int64, n)
        t_dtype, t_shape, t_nbytes = self.type_dtype, self.type_shape, self.type_nbytes
        for ser in set(kinds) - t_dtype.keys():  # (None is in t_dtype: an untyped value)
            assert ser is not None
            tp = onnx.TypeProto.FromString(ser)
            t_dtype[ser], t_shape[ser] = dtype, shape = type_info(tp)
            t_nbytes[ser] = self._nbytes(tp.tensor_type.elem_type if shape is not None else None, shape)
        c_dtype = _objects(map(t_dtype.__getitem__, kinds), len(kinds))[codes].tolist()
        c_shape = _objects(map(t_shape.__getitem__, kinds), len(kinds))[codes].tolist()
        c_nbytes = _objects(map(t_nbytes.__getitem__, kinds), len(kinds))[codes].tolist()
        # shape source: None (no shape), 'declared' (the file's own type) or 'inferred'
        shaped = np.fromiter((t_shape[k] is not None for k in kinds), bool, len(kinds))[codes]
        if decl is None:
            code = shaped.astype(np.int8)
        else:  # declared: the type the file itself gives (an untyped value is 'declared' untyped)
            same = codes == 0
            pos = gw.pos
            for name, ser in decl.items():
                k = pos.get(name)
                if k is not None:
                    same[k] = ser == ser_of.get(name)
            code = shaped * (2 - same.astype(np.int8))
        c_src = _SOURCES[code].tolist()
        if gw.init_types is not None:
            at, dtypes, shapes, nbytes = gw.init_types
            m = len(dtypes)
            if isinstance(at, slice):
                c_dtype[at], c_shape[at], c_src[at], c_nbytes[at] = dtypes, shapes, ["declared"] * m, nbytes
            else:
                for k, dtype, shape, nb in zip(at, dtypes, shapes, nbytes, strict=True):
                    c_dtype[k], c_shape[k], c_src[k], c_nbytes[k] = dtype, shape, "declared", nb
        for k in gw.const_at:
            j = gw.owner[k - n_pre]
            if c_shape[k] is None and ops[j] == "Constant":
                dtype, c_shape[k], elem = _constant_type(nodes[j])
                c_dtype[k], c_nbytes[k] = dtype, self._nbytes(elem, c_shape[k])
                if c_shape[k] is not None:
                    before = decl.get(defined[k]) if decl is not None else None
                    ser = ser_of.get(defined[k])
                    ok = decl is None or (before is not None and (ser is None or before == ser))
                    c_src[k] = "declared" if ok else "inferred"
        span = slice(gw.row, gw.row + n)
        t = self.tensors
        t["dtype"][span], t["shape"][span], t["shape_source"][span], t["nbytes"][span] = (
            c_dtype,
            c_shape,
            c_src,
            c_nbytes,
        )

    def _initializer_types(
        self, gw: _Graph, c_kind: list[Any]
    ) -> tuple[slice | list[int], list[Any], list[Any], list[Any]] | None:
        """Mark the initializers' rows in ``c_kind``; return their (rows, dtypes, shapes, sizes), read
        from the tensors (None when the graph has no initializers)."""
        inits = gw.inits
        if not inits:
            return None
        tensors = list(inits.values())
        elems = [
            t.values.data_type if isinstance(t, onnx.SparseTensorProto) else t.data_type for t in tensors
        ]
        shapes = [tuple(t.dims[:]) for t in tensors]  # (a slice is a list made in C: faster than iterating)
        names = {e: dtype_name(e) for e in set(elems)}
        dtypes = list(map(names.__getitem__, elems))
        keys = list(zip(elems, shapes, strict=True))
        cache = self.nbytes_cache
        for key in set(keys) - cache.keys():
            cache[key] = nbytes_of(*key)
        nbytes = list(map(cache.__getitem__, keys))
        m = len(tensors)
        first = gw.n_pre - m  # where the initializers sit when none is also a graph input
        at: slice | list[int]
        if gw.defined[first : gw.n_pre] == list(inits):
            at = slice(first, gw.n_pre)
            c_kind[at] = ["initializer"] * m
        else:
            at = list(map(gw.pos.__getitem__, inits))
            for k in at:
                c_kind[k] = "initializer"
        gw.init_tids = list(map(gw.local_ids.__getitem__, inits))
        self.weights.add(gw.init_tids, [gw.seq + f for f in gw.init_seq], gw.init_pos)
        return at, dtypes, shapes, nbytes

    def _nbytes(self, elem: int | None, shape: Shape) -> int | None:
        """``nbytes_of``, memoised: most values share a few (type, shape) pairs."""
        key = (elem, shape)
        cache = self.nbytes_cache
        nb = cache.get(key, cache)
        if nb is cache:
            nb = cache[key] = nbytes_of(elem, shape)
        return nb

    def _outer_rows(self, gw: _Graph, env: ChainMap[str, str]) -> None:
        """Rows for values read from enclosing graphs (dtype and shape are copied from the defining
        row once every graph is walked, see ``copy_outer_types``)."""
        if not gw.free:
            return
        t = self.tensors
        path, prefix, used_tensors = gw.entry.path, gw.prefix, self.used_tensor_ids
        outer: dict[str, str] = {}
        for name, readers in gw.free.items():
            tid = self._unique(prefix + name, used_tensors, len(used_tensors))
            for key, v in zip(
                TENSOR_COLUMNS,
                (tid, name, path, None, None, None, "outer", None, tuple(readers), None, env[name]),
                strict=True,
            ):
                t[key].append(v)
            outer[name] = tid
        self.by_name.add(path, outer)
        self.by_name.outer = True

    def type_values(self, model: onnx.ModelProto) -> None:
        """Second pass: every row's dtype, shape, shape source and size, read from ``model``: the walked
        model, or its inferred copy (same graphs, more types), whose protos then replace the walked ones
        in every lookup (node protos, weights, graph entries)."""
        if model is not self.model:
            self._repoint(model)
        for gw in self.walked:
            self._type_rows(gw.entry.proto, gw)
        self.copy_outer_types()
        self.walked = []  # (they hold the walked model's nodes)

    def _repoint(self, model: onnx.ModelProto) -> None:
        """Point the lookups at ``model``'s protos, graph by graph in walk order (a body's owner node is
        repointed before its body); StructureChanged when a graph does not match the walked one."""
        functions = iter(model.functions)
        for gw in self.walked:
            e = gw.entry
            g: onnx.GraphProto | onnx.FunctionProto | None
            if e.owner is None:
                g = model.graph if not e.path else next(functions, None)
                if isinstance(g, onnx.FunctionProto) and _function_path(g) != e.path:
                    g = None
            else:
                g = dict(subgraph_attrs(self.node_protos[e.owner])).get(e.attribute or "")
            if (
                g is None
                or len(g.node) != len(gw.ids)
                or (
                    isinstance(g, onnx.GraphProto)
                    and (len(g.initializer), len(g.sparse_initializer)) != gw.n_inits
                )
            ):
                raise StructureChanged(f"graph '{e.path}' differs from the one indexed")
            e.proto = g
            self.seqs[gw.seq : gw.seq + 3] = _containers(g)
            if e.meta:
                e.meta = {i: g.node[i] for i in e.meta}

    def copy_outer_types(self) -> None:
        """Give every 'outer' row the dtype and shape of the value it refers to."""
        t = self.tensors
        if not self.by_name.outer:  # no graph reads a value of an enclosing graph
            return
        row_of = dict(zip(t["id"], range(len(t["id"])), strict=True))
        for row, ref in enumerate(t["outer_ref"]):
            if ref is not None:
                src = row_of[ref]
                for key in ("dtype", "shape", "shape_source", "nbytes"):
                    t[key][row] = t[key][src]

    # -- edges, subgraphs and functions ----------------------------------------------------------------
    def _link(
        self, gw: _Graph, env: ChainMap[str, str]
    ) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], bool]:
        """Connect every node to what it reads (local values, or values of enclosing graphs), walking
        its subgraphs on the way. Returns (implicit inputs, bodies, whether file order is topological).

        Local reads are resolved as arrays; only names from enclosing graphs (or errors) and nodes
        with bodies or functions take the per-node path, in node order."""
        e = gw.entry
        ids, ops, ins, protos, domains = gw.ids, e.ops, e.ins, gw.protos, gw.domains
        n, nv = len(protos), len(gw.defined)
        implicit_of: list[tuple[str, ...]] = [()] * n
        subgraphs_of: list[tuple[str, ...]] = [()] * n
        flat = list(chain.from_iterable(ins))
        reader = np.repeat(np.arange(n, dtype=np.int64), np.fromiter(map(len, ins), np.int64, n))
        vpos = np.fromiter(map(gw.pos.get, flat, repeat(-1)), np.int64, len(flat))
        if "" in gw.pos:  # an initializer named '': an empty input name still means 'left out'
            vpos[~np.fromiter(map(bool, flat), bool, len(flat))] = -1
        made_by = np.full(nv, -1, dtype=np.int64)  # producing node position per value (-1: none)
        made_by[gw.n_pre :] = gw.owner
        e.edges = Edges(
            ins, e.outs, gw.defined, made_by, np.zeros(nv, dtype=bool), flat, reader, vpos, gw.pos
        )
        local = vpos >= 0
        ordered = not bool(np.any(made_by[vpos[local]] >= reader[local]))
        # the per-node path: reads not defined here, nodes with bodies or model-local functions
        events: dict[int, list[str]] = {}
        for k in np.flatnonzero(~local).tolist():
            if flat[k]:
                events.setdefault(int(reader[k]), []).append(flat[k])
        functions = self.functions
        if BODY_OPS.intersection(ops) or set(domains) - {"", "ai.onnx"} or functions:
            for i in range(n):
                if ops[i] in BODY_OPS or domains[i] not in ("", "ai.onnx") or functions:
                    events.setdefault(i, [])
        extra: list[int] = []  # value position * n + node position, for implicit reads of local values
        ids_here = cast(MutableMapping[str, str], gw.local_ids)  # (ChainMap's typing; the walk only reads)
        inner_env = env.new_child(ids_here) if gw.is_graph else ChainMap(ids_here)
        for i in sorted(events):
            nid = ids[i]
            for name in events[i]:
                self._resolve_outer(gw, env, name, nid, f"node '{nid}' ({ops[i]})")
            op = ops[i]
            bodies: list[str] = []
            if op in BODY_OPS or domains[i] not in ("", "ai.onnx"):
                found = subgraph_attrs(protos[i])
                if found:
                    implicit_of[i] = implicit = self._subgraphs(gw, env, inner_env, i, found, bodies)
                    for name in implicit:
                        k = gw.pos.get(name)
                        if k is not None:
                            extra.append(k * n + i)
                            if made_by[k] >= i:
                                ordered = False
            if functions:
                fn = functions.get((domains[i], op, getattr(protos[i], "overload", "")))
                if fn is not None:
                    bodies.append(_function_path(fn))
            if bodies:
                subgraphs_of[i] = tuple(bodies)
        # consumers: per value, the nodes reading it (explicitly or in a body), once each, in node order
        gw.consumers = _group(
            np.concatenate([vpos[local] * n + reader[local], np.asarray(extra, np.int64)]), n, nv, ids
        )
        for name in gw.output_names:
            if name and name not in gw.pos:
                if not (gw.is_graph and name in env):
                    raise GraphError(
                        f"{gw.where}: graph output '{name}' is produced by no node, input or initializer"
                    )
                gw.free.setdefault(name, [])
        return implicit_of, subgraphs_of, ordered

    def _subgraphs(
        self,
        gw: _Graph,
        env: ChainMap[str, str],
        inner_env: ChainMap[str, str],
        i: int,
        found: list[tuple[str, onnx.GraphProto]],
        bodies: list[str],
    ) -> tuple[str, ...]:
        """Walk node ``i``'s bodies (If/Loop/Scan...); the values they read from here become the
        node's implicit inputs. Returns those names; appends the body paths to ``bodies``."""
        nid, path = gw.ids[i], gw.entry.path
        implicit: list[str] = []
        for label, body in found:
            bpath = f"{nid}{SEP}{label}"
            bodies.append(bpath)
            for name in self.walk(body, bpath, inner_env, nid, label, path):
                if name not in implicit:
                    implicit.append(name)
        label = f"a subgraph of node '{nid}' ({gw.entry.ops[i]})"
        for name in implicit:
            if name not in gw.pos:
                self._resolve_outer(gw, env, name, nid, label)
        return tuple(implicit)

    def _resolve_outer(self, gw: _Graph, env: ChainMap[str, str], name: str, nid: str, label: str) -> None:
        """Node ``nid`` reads ``name``, which this graph does not define: a value of an enclosing graph
        (bodies only; functions see nothing outside), else the model is mis-wired."""
        if gw.is_graph and name in env:
            readers = gw.free.setdefault(name, [])
            if not readers or readers[-1] != nid:
                readers.append(nid)
            return
        raise GraphError(
            f"{gw.where}: {label} reads '{name}', which no node, input or initializer produces; "
            "the model is incomplete or its nodes are mis-wired"
        )


def _objects(values: Iterable[Any], n: int) -> np.ndarray:
    """An object array of ``n`` values (tuples stay whole: not a 2-D array)."""
    out = np.empty(n, dtype=object)
    for k, v in enumerate(values):
        out[k] = v
    return out


def _initializers(g: onnx.GraphProto) -> tuple[dict[str, Any], list[int], list[int]]:
    """A graph's initializers by name (a sparse initializer is the dense tensor it stands for: its name
    is its values' name), with each one's container (1: initializer, 2: sparse_initializer; see
    ``_containers``) and position there."""
    tensors = list(g.initializer)
    names = [t.name for t in tensors]
    inits: dict[str, Any] = dict(zip(names, tensors, strict=True))
    at = dict(zip(names, range(len(names)), strict=True))  # (a name given twice: its last tensor, as inits)
    sparse: dict[str, int] = {}
    for k, sp in enumerate(g.sparse_initializer):
        name = sp.values.name
        if name not in inits:
            inits[name], sparse[name] = sp, k
    if not sparse:
        return inits, [1] * len(inits), list(map(at.__getitem__, inits))
    where = [(2, sparse[name]) if name in sparse else (1, at[name]) for name in inits]
    return inits, [w for w, _ in where], [k for _, k in where]


def _containers(g: onnx.GraphProto | onnx.FunctionProto) -> list[Any]:
    """A graph's node, initializer and sparse_initializer fields (a function has only nodes)."""
    if isinstance(g, onnx.GraphProto):
        return [g.node, g.initializer, g.sparse_initializer]
    return [g.node, (), ()]


def _group(keys: np.ndarray, n: int, nv: int, ids: list[str]) -> list[tuple[str, ...]]:
    """Per value (0..nv-1), the ids of the nodes reading it, once each, in node order, from keys
    ``value * n + node``; tuples are made in C (a value mostly has one reader)."""
    if not len(keys):
        return [()] * nv
    keys = np.sort(keys)
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    value, node = np.divmod(keys, n)
    rid = list(map(ids.__getitem__, node.tolist()))
    count = np.bincount(value, minlength=nv)
    start = np.cumsum(count) - count
    # pick each value's tuple from: 1-tuples of every read, then the longer tuples, then ()
    pool: list[tuple[str, ...]] = list(zip(rid))
    many = np.flatnonzero(count > 1)
    pool += [tuple(rid[a : a + c]) for a, c in zip(start[many].tolist(), count[many].tolist(), strict=True)]
    pool.append(())
    pick = np.where(count == 1, start, len(pool) - 1)
    pick[many] = len(rid) + np.arange(len(many))
    return list(map(pool.__getitem__, pick.tolist()))


def _require_text(where: str, what: str, values: list[Any]) -> None:
    """Protobuf returns bytes for strings that are not valid UTF-8: such a file is damaged."""
    if set(map(type, values)) <= {str}:  # the common case, checked in C
        return
    for v in values:
        if v.__class__ is not str:
            raise GraphError(f"{where}: a {what} is not valid UTF-8 ({bytes(v)[:40]!r}); the file is damaged")


def _constant_values(
    protos: list[onnx.NodeProto],
    ops: list[str],
    ins: list[tuple[str, ...]],
    outs: list[tuple[str, ...]],
    inits: dict[str, Any],
) -> set[str]:
    """Outputs whose value is known without running: Constant, and ConstantOfShape of a constant."""
    out: set[str] = set()
    for i in compress(range(len(ops)), map("Constant".__eq__, ops)):
        if protos[i].domain in ("", "ai.onnx"):
            out.update(outs[i])
    for i in compress(range(len(ops)), map("ConstantOfShape".__eq__, ops)):
        if ins[i] and (ins[i][0] in inits or ins[i][0] in out):
            out.update(outs[i])
    return out


def _constant_type(n: onnx.NodeProto) -> tuple[str | None, Shape, int | None]:
    """(dtype, shape, elem type) of a Constant node's value, read from its attribute."""
    for a in n.attribute:
        if a.name == "value" and a.type == onnx.AttributeProto.TENSOR:
            return dtype_name(a.t.data_type), tuple(int(d) for d in a.t.dims), a.t.data_type
        if a.name == "sparse_value":
            elem = a.sparse_tensor.values.data_type
            return dtype_name(elem), tuple(a.sparse_tensor.dims), elem
        if a.name == "value_float":
            return "float32", (), onnx.TensorProto.FLOAT
        if a.name == "value_int":
            return "int64", (), onnx.TensorProto.INT64
        if a.name == "value_floats":
            return "float32", (len(a.floats),), onnx.TensorProto.FLOAT
        if a.name == "value_ints":
            return "int64", (len(a.ints),), onnx.TensorProto.INT64
        if a.name == "value_string":
            return "str", (), None
        if a.name == "value_strings":
            return "str", (len(a.strings),), None
    return None, None, None


def function_path(domain: str, name: str, overload: str = "") -> str:
    """Graph path of a model-local function: '@domain:name', with '[overload]' when it has one."""
    return f"@{domain}:{name}" + (f"[{overload}]" if overload else "")


def _function_path(f: onnx.FunctionProto) -> str:
    return function_path(f.domain, f.name, getattr(f, "overload", ""))


def _produced_twice(gw: _Graph, taken: set[str]) -> None:
    """Raise for the first value with two producers (nodes, or a node and a graph input/initializer)."""
    producer: dict[str, int] = {}
    ids, ops = gw.ids, gw.entry.ops
    for i, os_ in enumerate(gw.entry.outs):
        for o in os_:
            if not o:
                continue
            if o in producer or o in taken:
                first = f"node '{ids[producer[o]]}'" if o in producer else "a graph input or initializer"
                raise GraphError(
                    f"{gw.where}: value '{o}' is produced twice, by {first} and by node '{ids[i]}' "
                    f"({ops[i]}); ONNX values must have one producer"
                )
            producer[o] = i


def _local_deps(gw: _Graph, implicit_of: list[tuple[str, ...]]) -> list[list[int]]:
    """Per node, the positions of the local nodes it reads from (explicit and implicit inputs)."""
    producer = dict(zip(gw.defined[gw.n_pre :], gw.owner, strict=True))
    return [
        [j for name in (*ins, *implicit) if (j := producer.get(name)) is not None]
        for ins, implicit in zip(gw.entry.ins, implicit_of, strict=True)
    ]


def _check_acyclic(ops: list[str], ids: list[str], deps: list[list[int]], where: str) -> None:
    """Kahn's algorithm over local edges; a cycle names one node on it."""
    # Fast path: exporters write nodes in topological order, and then every edge points backwards.
    if all(d < i for i, ds in enumerate(deps) for d in ds):
        return
    n = len(deps)
    indeg = [0] * n
    users: list[list[int]] = [[] for _ in range(n)]
    for i, ds in enumerate(deps):
        for d in ds:
            if d != i:
                users[d].append(i)
                indeg[i] += 1
            else:
                raise GraphError(f"{where}: node '{ids[i]}' reads its own output; the graph has a cycle")
    stack = [i for i in range(n) if indeg[i] == 0]
    seen = 0
    while stack:
        i = stack.pop()
        seen += 1
        for u in users[i]:
            indeg[u] -= 1
            if indeg[u] == 0:
                stack.append(u)
    if seen != n:
        stuck = next(i for i in range(n) if indeg[i] > 0)
        raise GraphError(
            f"{where}: the graph has a cycle through node '{ids[stuck]}' ({ops[stuck]}); "
            "ONNX graphs must be acyclic"
        )


def build_index(
    model: onnx.ModelProto, declared: Declared | None, scan_metadata: bool = True, typed: bool = True
) -> Index:
    """Index the main graph, every subgraph at any depth and every model-local function.

    ``scan_metadata=False`` skips reading per-node metadata_props (when the bytes show there is none).
    ``typed=False`` leaves the tensors' dtype, shape, shape_source and nbytes None until
    ``Index.type_values`` reads them (from the inferred model, which may still be being built).
    """
    w = _Walker(model, declared, scan_metadata)
    w.walk(model.graph, "", ChainMap(), None, None, None)
    for f in model.functions:
        w.walk(f, _function_path(f), ChainMap(), None, None, None)
    for gw in w.walked:  # the walked nodes' and initializers' wrappers: freed now, before the inference waits
        gw.protos, gw.inits = [], {}
    index = Index(w.nodes, w.tensors, w.graphs, w.node_protos, w.weights, w.by_name, w)
    if typed:
        index.type_values(model)
    return index
