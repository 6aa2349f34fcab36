"""Walk a ModelProto once and index every node, value and (sub)graph as flat columns.

One recursive pass covers the main graph, If/Loop/Scan bodies at any depth and model-local
functions. Node and tensor ids are derived from names and positions only, so they are stable
across loads and match what onnxruntime's profiler calls unnamed nodes (``<OpType>_<index>``).
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import onnx

from ..errors import GraphError
from .dtypes import dtype_name, element_bits

SEP = "::"  # joins graph paths and local ids; never produced by exporters' naming schemes

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


@dataclass
class Index:
    """Column lists for the node and tensor tables plus lookups the Model needs."""

    nodes: dict[str, list[Any]]
    tensors: dict[str, list[Any]]
    graphs: dict[str, GraphEntry]
    node_protos: dict[str, onnx.NodeProto]
    weights: dict[str, Any]  # tensor id -> Tensor/SparseTensorProto (initializer) or NodeProto (Constant...)
    by_name: dict[tuple[str, str], str]  # (graph path, value name) -> tensor id


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
        for n in g.node:
            op = n.op_type
            if op in watch:
                hits.append((g, n))
            if op in BODY_OPS or n.domain not in ("", "ai.onnx"):
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
    inits: dict[str, Any] = field(default_factory=dict)
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    producer: dict[str, int] = field(default_factory=dict)  # value name -> node position
    defined: list[str] = field(default_factory=list)  # inputs, initializers, node outputs (first seen order)
    local_ids: dict[str, str] = field(default_factory=dict)  # value name -> tensor id
    consumers: dict[str, list[str]] = field(default_factory=dict)  # value name -> reader node ids
    free: dict[str, list[str]] = field(default_factory=dict)  # outer value name -> readers in this graph


class _Walker:
    """State of one indexing pass; ``walk`` indexes one graph by constructs: nodes, values, subgraphs,
    functions (each a method, so the recursion and the hot loops stay readable and measurable)."""

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
        self.node_protos: dict[str, onnx.NodeProto] = {}
        self.weights: dict[str, Any] = {}
        self.by_name: dict[tuple[str, str], str] = {}
        self.used_node_ids: set[str] = set()
        self.used_tensor_ids: set[str] = set()
        self.row_of_tensor: dict[str, int] = {}
        # serialized TypeProto -> (dtype, shape, elem type, nbytes); (elem type, shape) -> nbytes
        self.type_cache: dict[bytes, tuple[str | None, Shape, int | None, int | None]] = {}
        self.nbytes_cache: dict[tuple[int | None, Shape], Any] = {}
        self.functions = {(f.domain, f.name, getattr(f, "overload", "")): f for f in model.functions}

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
        self._define_values(g, gw)
        implicit_of, subgraphs_of, ordered = self._link(gw, env)
        if not ordered:  # rare: exporters write nodes in topological order
            _check_acyclic(entry.ops, gw.ids, _local_deps(gw, implicit_of), gw.where)
        self._node_rows(gw, implicit_of, subgraphs_of)
        self._value_rows(g, gw)
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
        gw.ids = entry.node_ids = self._node_ids(gw.prefix, names, ops)
        return gw

    def _node_ids(self, prefix: str, names: list[str], ops: list[str]) -> list[str]:
        """Stable node ids: the name, else ``OpType_index``; duplicates get ``#index`` appended."""
        used_nodes = self.used_node_ids
        locals_ = [name or f"{ops[i]}_{i}" for i, name in enumerate(names)]
        nids = [prefix + x for x in locals_] if prefix else locals_
        if len(set(locals_)) == len(locals_) and used_nodes.isdisjoint(nids):  # the common case
            used_nodes.update(nids)
            return nids
        ids: list[str] = []
        seen_local: set[str] = set()
        for i, name in enumerate(names):
            local = name or f"{ops[i]}_{i}"
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
        names, ops, n = e.names, e.ops, len(gw.protos)
        cols = self.nodes
        cols["id"].extend(gw.ids)
        cols["name"].extend(names)
        cols["op_type"].extend(ops)
        cols["domain"].extend(gw.domains)
        cols["graph"].extend([e.path] * n)
        cols["inputs"].extend(e.ins)
        cols["outputs"].extend(e.outs)
        cols["index"].extend(range(n))
        cols["ort_name"].extend([names[i] or f"{ops[i]}_{i}" for i in range(n)])
        cols["subgraphs"].extend(subgraphs_of)
        cols["implicit_inputs"].extend(implicit_of)
        self.node_protos.update(zip(gw.ids, gw.protos, strict=True))

    # -- values ----------------------------------------------------------------------------------------
    def _define_values(self, g: onnx.GraphProto | onnx.FunctionProto, gw: _Graph) -> None:
        """What this graph defines (inputs, initializers, node outputs), each with a unique tensor id."""
        where = gw.where
        inits: dict[str, Any] = {}
        if isinstance(g, onnx.GraphProto):  # (gw.is_graph)
            inits = {t.name: t for t in g.initializer}
            for sp in g.sparse_initializer:  # a sparse initializer is the dense tensor it stands for
                inits.setdefault(sp.values.name, sp)  # (its name is its values' name)
            input_names = [vi.name for vi in g.input]
            output_names = [vi.name for vi in g.output]
        else:
            input_names, output_names = list(g.input), list(g.output)
        _require_text(where, "graph input", input_names)
        _require_text(where, "graph output", output_names)
        _require_text(where, "initializer name", list(inits))
        for kind, names_ in (("input", input_names), ("output", output_names)):
            if "" in names_:
                raise GraphError(
                    f"{where}: graph {kind} #{names_.index('')} has no name; ONNX values must be named"
                )
        taken = set(input_names) | inits.keys()
        outs = gw.entry.outs
        producer = {o: i for i, os_ in enumerate(outs) for o in os_ if o}
        every = list(chain.from_iterable(outs))
        if len(producer) != len(every) - every.count("") or not taken.isdisjoint(producer):
            _produced_twice(gw, taken)
        defined = list(dict.fromkeys([*input_names, *inits.keys(), *producer.keys()]))
        used_tensors = self.used_tensor_ids
        path, prefix = gw.entry.path, gw.prefix
        tids = [prefix + name for name in defined] if prefix else defined
        if used_tensors.isdisjoint(tids):  # the common case: every id is free (names are unique here)
            used_tensors.update(tids)
            local_ids = dict(zip(defined, tids, strict=True))
        else:
            local_ids = {}
            for name, tid in zip(defined, tids, strict=True):
                if tid in used_tensors:
                    tid = self._unique(tid, used_tensors, len(used_tensors))
                else:
                    used_tensors.add(tid)
                local_ids[name] = tid
        self.by_name.update({(path, name): tid for name, tid in local_ids.items()})
        gw.inits, gw.input_names, gw.output_names = inits, input_names, output_names
        gw.producer, gw.defined, gw.local_ids = producer, defined, local_ids
        gw.consumers = {name: [] for name in defined}

    def _value_rows(self, g: onnx.GraphProto | onnx.FunctionProto, gw: _Graph) -> None:
        """Append a tensor row per value this graph defines: kind, dtype, shape and where it came from."""
        inits, producer, protos = gw.inits, gw.producer, gw.protos
        ops, ids = gw.entry.ops, gw.ids
        types: dict[str, onnx.TypeProto] = {}
        if isinstance(g, onnx.GraphProto):  # (gw.is_graph)
            for vi in g.value_info:
                types[vi.name] = vi.type
            for vi in g.output:
                if vi.type.WhichOneof("value") is not None or vi.name not in types:
                    types[vi.name] = vi.type
            for vi in g.input:
                types[vi.name] = vi.type
        else:
            for vi in g.value_info:
                types[vi.name] = vi.type
        outputs_set = set(gw.output_names)
        const_values = _constant_values(protos, ops, gw.entry.ins, gw.entry.outs, producer, inits)
        gw.entry.constants = const_values | inits.keys()
        decl = None if self.declared is None else self.declared.get(gw.entry.ordinal, {})
        weights = self.weights
        type_cache = self.type_cache
        defined, local_ids = gw.defined, gw.local_ids
        # column-wise: every value as an intermediate or input typed by its TypeProto (each distinct
        # TypeProto read once, by its bytes), then the few initializers, constants and outputs fixed up
        prods = list(map(producer.get, defined))
        c_prod = [None if j is None else ids[j] for j in prods]
        tps = list(map(types.get, defined))
        sers = [None if tp is None else tp.SerializeToString() for tp in tps]
        for ser, tp in dict(zip(sers, tps, strict=True)).items():
            if ser is not None and tp is not None and ser not in type_cache:  # (ser is None iff tp is)
                type_cache[ser] = self._type_entry(tp)
        untyped = (None, None, None, None)
        got = [untyped if ser is None else type_cache[ser] for ser in sers]
        c_dtype = [e[0] for e in got]
        c_shape: list[Shape] = [e[1] for e in got]
        c_nbytes = [e[3] for e in got]
        c_kind = ["input" if j is None else "intermediate" for j in prods]

        def source_of(name: str, shape: Shape, ser: bytes | None) -> str | None:
            if shape is None:
                return None
            if decl is None:
                return "declared"
            before = decl.get(name)
            return "declared" if before is not None and (ser is None or before == ser) else "inferred"

        if decl is None:
            c_src = [None if sh is None else "declared" for sh in c_shape]
        else:
            c_src = list(map(source_of, defined, c_shape, sers))
        pos = dict(zip(defined, range(len(defined)), strict=True))
        for name, init in inits.items():  # (before every node output in `defined`, in order)
            k = pos[name]
            elem = init.values.data_type if isinstance(init, onnx.SparseTensorProto) else init.data_type
            shape: Shape = tuple(init.dims)
            c_kind[k], c_dtype[k], c_shape[k], c_src[k] = "initializer", dtype_name(elem), shape, "declared"
            c_nbytes[k] = self._nbytes(elem, shape)
            weights[local_ids[name]] = init
        for k in sorted(pos[name] for name in const_values):
            name = defined[k]
            j = producer[name]  # (= prods[k]: a constant is a node's output)
            c_kind[k] = "constant"
            weights[local_ids[name]] = protos[j]
            if c_shape[k] is None and ops[j] == "Constant":
                dtype, shape, elem = _constant_type(protos[j])
                c_dtype[k], c_shape[k], c_nbytes[k] = dtype, shape, self._nbytes(elem, shape)
                c_src[k] = source_of(name, shape, sers[k])
        for name in outputs_set:
            at = pos.get(name)
            if at is not None and c_kind[at] in ("intermediate", "input"):
                c_kind[at] = "output"
        t = self.tensors
        n = len(defined)
        row = len(t["id"])
        tids = list(local_ids.values())  # in `defined` order
        self.row_of_tensor.update(zip(tids, range(row, row + n), strict=True))
        t["id"].extend(tids)
        t["name"].extend(defined)
        t["graph"].extend([gw.entry.path] * n)
        t["dtype"].extend(c_dtype)
        t["shape"].extend(c_shape)
        t["shape_source"].extend(c_src)
        t["kind"].extend(c_kind)
        t["producer"].extend(c_prod)
        t["consumers"].extend(map(tuple, gw.consumers.values()))  # also in `defined` order
        t["nbytes"].extend(c_nbytes)
        t["outer_ref"].extend([None] * n)

    def _type_entry(self, tp: onnx.TypeProto) -> tuple[str | None, Shape, int | None, int | None]:
        """(dtype, shape, elem type, nbytes) of a value's TypeProto (cached by its bytes by the caller)."""
        dtype, shape = type_info(tp)
        elem = tp.tensor_type.elem_type if shape is not None else None
        return dtype, shape, elem, self._nbytes(elem, shape)

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
        t = self.tensors
        path, prefix, used_tensors = gw.entry.path, gw.prefix, self.used_tensor_ids
        for name, readers in gw.free.items():
            tid = self._unique(prefix + name, used_tensors, len(used_tensors))
            self.row_of_tensor[tid] = len(t["id"])
            for key, v in zip(
                TENSOR_COLUMNS,
                (tid, name, path, None, None, None, "outer", None, tuple(readers), None, env[name]),
                strict=True,
            ):
                t[key].append(v)
            self.by_name[(path, name)] = tid

    def copy_outer_types(self) -> None:
        """Give every 'outer' row the dtype and shape of the value it refers to."""
        t = self.tensors
        for row, ref in enumerate(t["outer_ref"]):
            if ref is not None:
                src = self.row_of_tensor[ref]
                for key in ("dtype", "shape", "shape_source", "nbytes"):
                    t[key][row] = t[key][src]

    # -- edges, subgraphs and functions ----------------------------------------------------------------
    def _link(
        self, gw: _Graph, env: ChainMap[str, str]
    ) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], bool]:
        """Connect every node to what it reads (local values, or values of enclosing graphs), walking
        its subgraphs on the way. Returns (implicit inputs, bodies, whether file order is topological)."""
        e = gw.entry
        ids, ops, ins, protos = gw.ids, e.ops, e.ins, gw.protos
        consumers, producer = gw.consumers, gw.producer
        n = len(protos)
        implicit_of: list[tuple[str, ...]] = [()] * n
        subgraphs_of: list[tuple[str, ...]] = [()] * n
        ordered = True
        inner_env = env.new_child(gw.local_ids) if gw.is_graph else ChainMap(gw.local_ids)
        functions = self.functions
        domains = gw.domains
        for i in range(n):
            nid = ids[i]
            for name in ins[i]:
                if not name:
                    continue
                lst = consumers.get(name)
                if lst is None:  # a value of an enclosing graph, or an error
                    self._resolve_outer(gw, env, name, nid, f"node '{nid}' ({ops[i]})")
                    continue
                if not lst or lst[-1] != nid:  # a node reading a value twice (Mul(x, x)) consumes it once
                    lst.append(nid)
                if producer.get(name, -1) >= i:  # an edge that does not point backwards
                    ordered = False
            op = ops[i]
            bodies: list[str] = []
            if op in BODY_OPS or domains[i] not in ("", "ai.onnx"):
                found = subgraph_attrs(protos[i])
                if found:
                    implicit_of[i] = implicit = self._subgraphs(gw, env, inner_env, i, found, bodies)
                    if any(producer.get(name, -1) >= i for name in implicit):
                        ordered = False
            if functions:
                fn = functions.get((domains[i], op, getattr(protos[i], "overload", "")))
                if fn is not None:
                    bodies.append(_function_path(fn))
            if bodies:
                subgraphs_of[i] = tuple(bodies)
        for name in gw.output_names:
            if name and name not in consumers:
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
            lst = gw.consumers.get(name)
            if lst is None:
                self._resolve_outer(gw, env, name, nid, label)
                continue
            if not lst or lst[-1] != nid:
                lst.append(nid)
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
    producer: dict[str, int],
    inits: dict[str, Any],
) -> set[str]:
    """Outputs whose value is known without running: Constant, and ConstantOfShape of a constant."""
    out: set[str] = set()
    for i, op in enumerate(ops):
        if op == "Constant" and protos[i].domain in ("", "ai.onnx"):
            out.update(outs[i])
    for i, op in enumerate(ops):
        if op == "ConstantOfShape" and ins[i] and (ins[i][0] in inits or ins[i][0] in out):
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
    producer = gw.producer
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


def build_index(model: onnx.ModelProto, declared: Declared | None, scan_metadata: bool = True) -> Index:
    """Index the main graph, every subgraph at any depth and every model-local function.

    ``scan_metadata=False`` skips reading per-node metadata_props (when the bytes show there is none).
    """
    w = _Walker(model, declared, scan_metadata)
    w.walk(model.graph, "", ChainMap(), None, None, None)
    for f in model.functions:
        w.walk(f, _function_path(f), ChainMap(), None, None, None)
    w.copy_outer_types()
    return Index(w.nodes, w.tensors, w.graphs, w.node_protos, w.weights, w.by_name)
