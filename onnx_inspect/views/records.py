"""The one record of node facts: JSON-ready dicts the front end renders in the Inspector and in reports.

``node_record`` / ``node_records`` (header, attributes with defaults, inputs/outputs, weight ids and the
``sections`` that fact sources add), ``weight_record(s)`` (where a weight lives and, when read, the
statistics of ``views.tensors.tensor_stats``) and ``summary_record`` (the Model tab and report header).
Field names follow ``/js/src/records.ts`` (see docs/architecture.md). ``views.details``'s DataFrames
are derived from these records; ``pack_*`` / ``expand_*`` are the report's compact encoding.
Model text is kept as is (unescaped): whoever shows it escapes it.
"""

from __future__ import annotations

import decimal
import math
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypedDict, cast

import numpy as np
import onnx
import pandas as pd

from ..errors import InspectError, UnknownNameError
from ..model import Model
from . import details as D
from .graph_payload import shape_label
from .tensors import EXACT_VALUES, dtype_family, tensor_stats

#: Longest doc string / metadata value kept per node (the renderer folds long text).
MAX_DOC_CHARS = 4000
MAX_META_CHARS = 2000
#: Consumers listed per output; ``more_consumers`` counts the rest.
MAX_CONSUMERS = 32
#: Weight records list this many leading values (``head``).
PREVIEW_VALUES = 8
#: A report summarises at most this many values exactly, over all weights and runs; beyond that, tensors
#: bigger than ``views.tensors.SAMPLE_VALUES`` are sampled (and say so).
REPORT_EXACT_VALUES = 1 << 27
#: Significant digits of the floats in records (float32 round-trips; float64 stats are display numbers).
DIGITS = 9


class AttrRow(TypedDict):
    """One attribute: set on the node, a schema default, required but missing, or the function body."""

    name: str
    type: str
    value: str
    source: str
    ref: str | None


class IoRow(TypedDict):
    """One input or output slot of a node."""

    slot: str
    name: str
    tensor: str | None
    dtype: str
    shape: str
    shape_source: str
    kind: str
    producer: str | None
    consumers: list[str]
    more_consumers: int


class Section(TypedDict, total=False):
    """A table of extra per-node facts added by a fact source (costs, quantization, accuracy, profile)."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[str | float | int | None]]
    units: list[str | None]
    note: str


class NodeRecord(TypedDict):
    """Everything shown about one node (see RECORD.md)."""

    id: str
    op: str
    domain: str
    opset: int | None
    name: str
    graph: str
    scope: str
    ort: str | None
    doc: str
    doc_url: str | None
    meta: list[dict[str, str]]
    bodies: list[str]
    attrs: list[AttrRow]
    inputs: list[IoRow]
    outputs: list[IoRow]
    weights: list[str]
    sections: list[Section]


#: A fact source: ``(m, node_ids) -> {node_id: [Section, ...]}`` (ids without facts may be left out).
FactSource = Callable[[Model, Sequence[str]], Mapping[str, Sequence[Mapping[str, Any]]]]


# -- JSON-safe numbers and values ---------------------------------------------------------------------


def jsonable(v: Any, inf_text: bool = False) -> Any:
    """``v`` with numpy scalars/arrays as Python values, dict keys as text, and NaN as None; ±Inf become
    None too, or "inf"/"-inf" with ``inf_text`` (where an infinite value means something, e.g. an exact
    match's SQNR). What a widget trait or a report can carry; anything else becomes its text."""
    if isinstance(v, Mapping):
        return {str(k): jsonable(x, inf_text) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x, inf_text) for x in v]
    if isinstance(v, np.ndarray):
        return [jsonable(x, inf_text) for x in v.tolist()]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isfinite(f):
            return f
        return ("inf" if f > 0 else "-inf") if inf_text and not math.isnan(f) else None
    if v is None or isinstance(v, str):
        return v
    return str(v)


def num(v: Any, digits: int = DIGITS) -> float | int | None:
    """A JSON-safe number: None for NaN/Inf/missing, int for integers, floats to ``digits`` significant."""
    if v is None or v is np.ma.masked:
        return None
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return float(f"{f:.{digits}g}")


def _edges(edges: Sequence[Any]) -> Sequence[float | None]:
    """Histogram edges as :func:`_edge` makes them from the rounded first and last edge, with the fewest
    significant digits (6..9) that keep distinct edges distinct (a report stores only range and digits)."""
    exact = [float(e) for e in edges]
    if len(exact) < 2 or not all(map(math.isfinite, exact)):
        return [num(e, 17) for e in exact]
    n = len(exact) - 1
    for digits in (6, 7, 8, DIGITS):
        lo, hi = _round(exact[0], digits), _round(exact[-1], digits)
        out = _edge_list(lo, hi, n, digits)
        if all(a < b or x == y for a, b, x, y in zip(out, out[1:], exact, exact[1:], strict=False)):
            return list(out)
    return [num(e, 17) for e in exact]


def _edge(lo: float, hi: float, k: int, n: int, digits: int) -> float:
    """Edge ``k`` of ``n`` bins from ``lo`` to ``hi`` at ``digits`` significant digits
    (JS: ``Number((lo + (hi - lo) * k / n).toPrecision(digits))``, the same double)."""
    return _round(lo + (hi - lo) * k / n, digits)


def _edge_list(lo: float, hi: float, n: int, digits: int) -> list[float]:
    """All ``n + 1`` edges :func:`_edge` makes from ``lo`` to ``hi``."""
    span = hi - lo
    return [_round(lo + span * k / n, digits) for k in range(n + 1)]


def _round(x: float, digits: int) -> float:
    """``x`` to ``digits`` significant digits as JS's ``toPrecision`` does (exact ties away from zero).

    Formatting rounds ties to even; it is right unless ``x`` is exactly a tie, whose ``digits + 1``
    significant digits end in 5: only then is the exact value rounded half up by ``decimal``."""
    s = f"{x:.{digits}e}"  # digits + 1 significant digits
    if s[s.find("e") - 1] == "5":  # maybe an exact tie: decide exactly
        return float(decimal.Context(prec=digits, rounding=decimal.ROUND_HALF_UP).create_decimal(x))
    return float(f"{x:.{digits - 1}e}")


def _value_text(x: Any) -> str:
    """Display text of one tensor value (``head``): 6 significant digits for floats, exact ints."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    if isinstance(x, (complex, np.complexfloating)):
        z = complex(x)
        return f"{z.real:.6g}{z.imag:+.6g}j"
    if isinstance(x, bytes):
        x = x.decode("utf-8", "replace")
    return D.cut(str(x), 60)


def head_values(value: Any, n: int = PREVIEW_VALUES) -> list[str]:
    """The first ``n`` values of an array as display text (never copies all of it)."""
    a = np.asarray(value)
    flat = np.asarray(a.flat[:n]) if a.size else a.reshape(-1)
    if flat.dtype.kind == "V":  # bfloat16/float8/int4 (ml_dtypes): show as numbers
        try:
            flat = flat.astype(np.float64 if dtype_family(flat.dtype) == "float" else np.int64)
        except (TypeError, ValueError):
            return [D.cut(str(x), 60) for x in flat.tolist()]
    return [_value_text(x) for x in flat.tolist()]


_STAT_KEYS = (
    "dtype", "shape", "family", "basis", "size", "summarised", "finite", "nan", "inf", "min", "max", "mean",
    "std", "zero_fraction", "unique", "sampled", "note",
)  # fmt: skip


def tensor_block(value: Any, exact_values: int = EXACT_VALUES) -> dict[str, Any]:
    """``stats``, ``hist`` (bin counts) and ``head`` of an array, JSON-safe, from ``tensor_stats`` (the
    numbers the Inspector shows for the same tensor)."""
    s = tensor_stats(value, exact_values=exact_values)
    stats: dict[str, Any] = {}
    for k in _STAT_KEYS:
        v = s[k]
        if k == "shape":
            stats[k] = [int(d) for d in v]
        elif isinstance(v, str):
            stats[k] = v
        elif isinstance(v, (bool, np.bool_)):
            stats[k] = bool(v)
        elif k in ("min", "max") and isinstance(v, int) and abs(v) > 2**53:
            stats[k] = f"{v:,}"  # exact integers beyond 2**53 travel as text (a JS number would round them)
        else:  # derived statistics to 6 significant digits (shown with 4); values (min/max) to 9
            stats[k] = num(v, 6 if k in ("mean", "std", "zero_fraction") else DIGITS)
    hist = s["hist"]
    if hist is not None:
        hist = (
            {"labels": [str(x) for x in hist["labels"]], "counts": [int(c) for c in hist["counts"]]}
            if "labels" in hist
            else {"edges": _edges(hist["edges"]), "counts": [int(c) for c in hist["counts"]]}
        )
        hist.update(sampled=bool(s["sampled"]), magnitude=s["family"] == "complex")
    return {"stats": stats, "hist": hist, "head": head_values(value)}


class Budget:
    """Values a report may summarise exactly in all (:data:`REPORT_EXACT_VALUES`); once spent, big
    tensors are sampled, so a report's work is bounded whatever the model holds."""

    def __init__(self, values: int | None = None) -> None:
        self.left = REPORT_EXACT_VALUES if values is None else values

    def block(self, value: Any) -> dict[str, Any]:
        """:func:`tensor_block` of ``value``, exact while the budget lasts."""
        size = int(getattr(value, "size", 0) or 0)
        exact = EXACT_VALUES if size <= self.left else 0
        out = tensor_block(value, exact)
        self.left -= min(size, self.left) if not out["stats"]["sampled"] else 0
        return out


# -- per-model lookups (cached) -----------------------------------------------------------------------


class _Lookups:
    """Column dicts of ``m.tensors`` and per-op schema facts, so a node's record costs a few dict lookups.

    Shapes are re-read when ``m.shapes_version`` changes (``fill_shapes``); the rest is fixed at load.
    """

    @property
    def m(self) -> Model:
        m = self._model()
        assert m is not None, "the model of these lookups was freed"
        return m

    def __init__(self, m: Model) -> None:
        self._model = weakref.ref(m)  # _CACHE's value: a strong reference would keep its key alive forever
        t = m.tensors
        ids = t.index.tolist()
        self.ids = ids
        self.kind = dict(zip(ids, t["kind"].tolist(), strict=True))
        self.producer = dict(zip(ids, t["producer"].tolist(), strict=True))
        self.consumers = dict(zip(ids, t["consumers"].tolist(), strict=True))
        self.name = dict(zip(ids, t["name"].tolist(), strict=True))
        self.graph = dict(zip(ids, t["graph"].tolist(), strict=True))
        self.nbytes = dict(zip(ids, t["nbytes"].tolist(), strict=True))
        self.by_name = m._index.by_name
        self.version = -1
        self.refresh()
        self._opsets: dict[str, int | None] = {}
        self._schemas: dict[tuple[str, str], Any] = {}
        self._slots: dict[tuple[str, str, str, int], list[str]] = {}
        self._defaults: dict[tuple[str, str], list[AttrRow]] = {}
        self._fn_nodes: dict[str, int] = {}
        self._shape_text: dict[Any, str] = {}
        self._doc_urls: dict[tuple[str, str], str | None] = {}

    def refresh(self) -> None:
        """Re-read dtype/shape columns if ``fill_shapes`` changed them since the last call."""
        if self.version == self.m.shapes_version:
            return
        t, ids = self.m.tensors, self.ids
        self.dtype = dict(zip(ids, t["dtype"].tolist(), strict=True))
        self.shape = dict(zip(ids, t["shape"].tolist(), strict=True))
        self.shape_source = dict(zip(ids, t["shape_source"].tolist(), strict=True))
        self.version = self.m.shapes_version

    def text_of_shape(self, tid: str) -> str:
        shape = self.shape[tid]
        got = self._shape_text.get(shape)
        if got is None:
            got = self._shape_text[shape] = shape_label(shape)
        return got

    def doc_url(self, op: str, domain: str) -> str | None:
        key = (op, domain)
        if key not in self._doc_urls:
            self._doc_urls[key] = D.doc_url(op, domain)
        return self._doc_urls[key]

    def tensor_id(self, name: str, graph: str) -> str | None:
        tid = self.by_name.get((graph, name))
        if tid is None and name in self.kind:
            tid = name
        return tid

    def opset(self, domain: str) -> int | None:
        if domain not in self._opsets:
            self._opsets[domain] = D.opset_version(self.m, domain)
        return self._opsets[domain]

    def schema(self, op: str, domain: str) -> Any:
        key = (op, domain)
        if key not in self._schemas:
            self._schemas[key] = D.op_schema(op, domain, self.opset(domain))
        return self._schemas[key]

    def slots(self, op: str, domain: str, which: str, n: int) -> list[str]:
        """Schema names of a node's first ``n`` inputs/outputs: 'X', 'inputs[2]' (variadic), '#3' (none)."""
        key = (op, domain, which, n)
        got = self._slots.get(key)
        if got is None:
            s = self.schema(op, domain)
            formals = list(s.inputs if which == "inputs" else s.outputs) if s is not None else []
            got = self._slots[key] = D.slot_names(formals, n)
        return got

    def defaults(self, op: str, domain: str) -> list[AttrRow]:
        """Rows of every attribute the op's schema defines (default value or required), sorted by name."""
        key = (op, domain)
        got = self._defaults.get(key)
        if got is None:
            s = self.schema(op, domain)
            got = []
            for name, a in sorted((s.attributes if s is not None else {}).items()):
                kind = D.attr_type_name(a.type)
                if a.required:
                    got.append(
                        AttrRow(name=name, type=kind, value="(required, missing)", source="missing", ref=None)
                    )
                else:
                    dv = D.attr_default(a)
                    got.append(
                        AttrRow(name=name, type=kind, value=dv or "(not set)", source="default", ref=None)
                    )
            self._defaults[key] = got
        return got

    def function_nodes(self, path: str) -> int:
        if path not in self._fn_nodes:
            self._fn_nodes[path] = int(cast("int", self.m.graphs.at[path, "n_nodes"]))
        return self._fn_nodes[path]


_CACHE: weakref.WeakKeyDictionary[Model, _Lookups] = weakref.WeakKeyDictionary()


def _lookups(m: Model) -> _Lookups:
    got = _CACHE.get(m)
    if got is None:
        got = _CACHE[m] = _Lookups(m)
    got.refresh()
    return got


# -- node records -------------------------------------------------------------------------------------


def _io_rows(
    lk: _Lookups,
    node_id: str,
    graph: str,
    slots: list[str],
    names: Sequence[str],
    which: str,
    max_consumers: int | None,
) -> list[IoRow]:
    rows: list[IoRow] = []
    outer = lk.m.resolve_outer
    for slot, name in zip(slots, names, strict=True):
        tid = lk.tensor_id(name, graph) if name else None
        if tid is None:
            rows.append(
                IoRow(slot=slot, name=name, tensor=None, dtype="", shape="", shape_source="",
                      kind="unknown" if name else "omitted", producer=None, consumers=[], more_consumers=0)
            )  # fmt: skip
            continue
        kind = lk.kind[tid]
        src = outer(tid) if kind == "outer" else tid
        if slot == "(implicit)":
            kind = f"implicit {lk.kind[src]}"
        elif kind == "outer":
            kind = f"outer {lk.kind[src]}"
        consumers: list[str] = []
        more = 0
        if which == "outputs":
            consumers = [c for c in lk.consumers[tid] if c != node_id]
            if max_consumers is not None and len(consumers) > max_consumers:
                more = len(consumers) - max_consumers
                consumers = consumers[:max_consumers]
        rows.append(
            IoRow(slot=slot, name=name, tensor=tid, dtype=lk.dtype[tid] or "", shape=lk.text_of_shape(tid),
                  shape_source=lk.shape_source[tid] or "", kind=kind,
                  producer=lk.producer[src] if which == "inputs" else None,
                  consumers=consumers, more_consumers=more)
        )  # fmt: skip
    return rows


def _attr_rows(
    lk: _Lookups, node_id: str, node: onnx.NodeProto, op: str, outputs: list[IoRow], fn: str | None
) -> list[AttrRow]:
    rows: list[AttrRow] = []
    for a in node.attribute:
        f = D.format_attribute(a, node_id)
        ref = f["ref"]
        if isinstance(ref, list):  # GRAPHS: the first body (all are in ``bodies``)
            ref = ref[0] if ref else None
        if f["ref_kind"] == "tensor":  # a Constant's value is its output, shown as a weight
            ref = None
            if op in ("Constant", "ConstantOfShape"):
                ref = next((r["tensor"] for r in outputs if r["tensor"] is not None), None)
        rows.append(AttrRow(name=a.name, type=f["type"], value=str(f["value"]), source="set", ref=ref))
    if fn is not None:
        rows.append(
            AttrRow(name="(function body)", type="function",
                    value=f"model-local function, {lk.function_nodes(fn)} nodes", source="model", ref=fn)
        )  # fmt: skip
    have = {a.name for a in node.attribute}
    # copies: lk caches the default rows
    rows += [AttrRow(**d) for d in lk.defaults(op, node.domain) if d["name"] not in have]
    return rows


def _is_weight_kind(kind: str) -> bool:
    return kind.rsplit(" ", 1)[-1] in ("initializer", "constant")


def _build(
    m: Model, ids: Sequence[str] | None, max_consumers: int | None = MAX_CONSUMERS
) -> dict[str, NodeRecord]:
    """Records of nodes ``ids`` (None: all), one pass over the node table's columns."""
    lk = _lookups(m)
    nodes = m.nodes
    protos = m._index.node_protos
    cols = ("op_type", "domain", "name", "graph", "scope", "ort_name", "inputs", "outputs", "implicit_inputs",
            "subgraphs")  # fmt: skip
    frame = nodes if ids is None else nodes.loc[list(ids)]
    out: dict[str, NodeRecord] = {}
    for nid, op, domain, name, graph, scope, ort, ins, outs, implicit, subs in zip(
        frame.index.tolist(), *(frame[c].tolist() for c in cols), strict=True
    ):
        node = protos[nid]
        in_slots = lk.slots(op, domain, "inputs", len(ins))
        if implicit:
            in_slots = [*in_slots, *(["(implicit)"] * len(implicit))]
            ins = (*ins, *implicit)
        inputs = _io_rows(lk, nid, graph, in_slots, ins, "inputs", None)
        outputs = _io_rows(lk, nid, graph, lk.slots(op, domain, "outputs", len(outs)), outs, "outputs",
                           max_consumers)  # fmt: skip
        weights = list(
            dict.fromkeys(
                r["tensor"] for r in (*inputs, *outputs) if r["tensor"] and _is_weight_kind(r["kind"])
            )
        )
        fn = m.function_path(op, domain, getattr(node, "overload", ""))
        doc = node.doc_string
        out[nid] = NodeRecord(
            id=nid,
            op=op,
            domain=domain or "ai.onnx",
            opset=lk.opset(domain),
            name=name,
            graph=graph,
            scope=scope,
            ort=ort if ort != name else None,
            doc=D.cut(doc, MAX_DOC_CHARS) if doc else "",
            doc_url=lk.doc_url(op, domain),
            meta=[
                {"key": D.cut(p.key, 200), "value": D.cut(p.value, MAX_META_CHARS)}
                for p in node.metadata_props
            ],
            bodies=list(dict.fromkeys((*subs, *((fn,) if fn else ())))),
            attrs=_attr_rows(lk, nid, node, op, outputs, fn),
            inputs=inputs,
            outputs=outputs,
            weights=weights,
            sections=[],
        )
    return out


def _cell(c: Any) -> str | float | int | None:
    """A section cell as JSON: text and None as is, numbers via :func:`num`, bools and the rest as text."""
    if c is None or isinstance(c, str):
        return c
    if isinstance(c, (bool, np.bool_)):
        return str(bool(c))
    if isinstance(c, (int, float, np.integer, np.floating)):
        return num(c)
    return str(c)


def _check_section(source: Any, nid: str, sec: Any) -> Section:
    """A fact source's section, checked and made JSON-safe (see :func:`_cell`)."""
    name = getattr(source, "__name__", repr(source))
    if not isinstance(sec, Mapping) or not all(k in sec for k in ("id", "title", "columns", "rows")):
        raise InspectError(
            f"fact source {name} returned a section for node '{nid}' that is not a dict with id, title, "
            "columns and rows; see views.records.Section"
        )
    columns = [str(c) for c in sec["columns"]]
    rows = []
    for r in sec["rows"]:
        cells = list(r)
        if len(cells) != len(columns):
            raise InspectError(
                f"fact source {name}: section '{sec['id']}' of node '{nid}' has a row of {len(cells)} cells "
                f"for {len(columns)} columns"
            )
        rows.append([_cell(c) for c in cells])
    out = Section(id=str(sec["id"]), title=str(sec["title"]), columns=columns, rows=rows)
    if sec.get("units") is not None:
        out["units"] = [None if u is None else str(u) for u in sec["units"]]
    if sec.get("note"):
        out["note"] = str(sec["note"])
    return out


def fact_sections(m: Model, sources: Iterable[FactSource], ids: Sequence[str]) -> dict[str, list[Section]]:
    """The checked, JSON-safe sections each source gives for nodes ``ids`` (each source called once)."""
    out: dict[str, list[Section]] = {}
    known = set(ids)
    for source in sources:
        for nid, secs in source(m, ids).items():
            if nid in known:
                out.setdefault(nid, []).extend(_check_section(source, nid, s) for s in secs)
    return out


def _add_sections(m: Model, records: dict[str, NodeRecord], sources: Iterable[FactSource]) -> None:
    for nid, secs in fact_sections(m, sources, list(records)).items():
        records[nid]["sections"].extend(secs)


def node_record(
    m: Model, node_id: str, sources: Iterable[FactSource] = (), max_consumers: int | None = MAX_CONSUMERS
) -> NodeRecord:
    """Everything shown about one node, JSON-ready (see RECORD.md); ``sources`` add ``sections``."""
    if node_id not in m._index.node_protos:
        raise UnknownNameError(m._unknown("node", node_id, m.nodes.index))
    records = _build(m, [node_id], max_consumers)
    _add_sections(m, records, sources)
    return records[node_id]


def node_records(
    m: Model, sources: Iterable[FactSource] = (), ids: Sequence[str] | None = None
) -> dict[str, NodeRecord]:
    """Records of every node (or of ``ids``; id -> record, in ``m.nodes`` order), built column-wise from
    cached lookups."""
    if ids is not None:
        unknown = [i for i in ids if i not in m._index.node_protos]
        if unknown:
            raise UnknownNameError(m._unknown("node", unknown[0], m.nodes.index))
    records = _build(m, ids)
    _add_sections(m, records, sources)
    return records


# -- weight records -----------------------------------------------------------------------------------


def weight_record(
    m: Model, tensor_id: str, read: bool = True, budget: Budget | None = None
) -> dict[str, Any]:
    """What is shown of a weight: name, dtype, shape text, bytes, where it lives and, with ``read``, the
    statistics, histogram bin counts and first values (a read failure becomes ``error``)."""
    lk = _lookups(m)
    if tensor_id not in lk.kind:
        raise UnknownNameError(m._unknown("tensor", tensor_id, lk.ids))
    src = m.resolve_outer(tensor_id)
    kind = lk.kind[src]
    name, graph = lk.name[src], lk.graph[src]
    where = "initializer" if kind == "initializer" else f"output of node {lk.producer[src]}"
    external = m.is_external(src)
    if external:
        where += ", external data file (read when shown)"
    rec: dict[str, Any] = {
        "id": tensor_id,
        "source": src,
        "name": name,
        "graph": graph,
        "dtype": lk.dtype[src] or "",
        "shape": lk.text_of_shape(src),
        "nbytes": None if lk.nbytes[src] is pd.NA else num(lk.nbytes[src]),
        "kind": kind,
        "where": where,
        "external": external,
    }
    if read:
        try:
            block = (budget if budget is not None else Budget()).block(m.weight(name, graph))
        except InspectError as exc:
            rec["error"] = str(exc)
        else:
            for k in ("dtype", "shape"):  # the record's own dtype / shape say it
                del block["stats"][k]
            rec.update(block)
    return rec


def weight_records(
    m: Model, tensor_ids: Iterable[str], read: bool = True, budget: Budget | None = None
) -> dict[str, dict[str, Any]]:
    """:func:`weight_record` of each id (one shared ``budget`` bounds the values summarised exactly)."""
    budget = budget if budget is not None else Budget()
    return {tid: weight_record(m, tid, read, budget) for tid in tensor_ids}


# -- model summary ------------------------------------------------------------------------------------


def summary_record(m: Model) -> dict[str, Any]:
    """What the Model tab and a report's header show: producer, IR, opsets, metadata, I/O, op counts."""
    s = m.summary()

    def io(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
        return [
            {"name": r["name"], "dtype": r["dtype"] or "", "shape": shape_label(r["shape"])} for r in rows
        ]

    return {
        "file": m.path.name if m.path is not None else None,
        "title": m.title,
        "producer": s["producer"],
        "ir_version": int(s["ir_version"]),
        "opsets": {d: int(v) for d, v in s["opsets"].items()},
        "graph_name": s["graph_name"],
        "domain": s["domain"],
        "model_version": int(s["model_version"]),
        "doc": D.cut(s["doc_string"], MAX_DOC_CHARS),
        "metadata": [
            {"key": D.cut(k, 200), "value": D.cut(v, MAX_META_CHARS)} for k, v in s["metadata"].items()
        ],
        "n_nodes": s["n_nodes"],
        "n_nodes_total": s["n_nodes_total"],
        "n_subgraphs": s["n_subgraphs"],
        "n_functions": s["n_functions"],
        "n_params": int(s["n_params"]),
        "param_bytes": int(s["param_bytes"]),
        "inputs": io(s["inputs"]),
        "outputs": io(s["outputs"]),
        "op_types": [{"op": k, "count": int(v)} for k, v in s["op_types"].items()],
        "warnings": [str(w) for w in s["warnings"]],
    }


# -- the report's compact encoding (/work/wt/_notes/RECORD-encoding.md) --------------------------------

_NODE_DEFAULTS: dict[str, Any] = {
    "domain": "ai.onnx", "opset": None, "graph": "", "scope": "", "ort": None, "doc": "",
    "doc_url": None, "meta": [], "bodies": [], "attrs": [], "inputs": [], "outputs": [], "weights": [],
    "sections": [],
}  # fmt: skip
_IO_DEFAULTS: dict[str, Any] = {
    "slot": "", "name": "", "dtype": "", "shape": "", "shape_source": "", "kind": "intermediate",
    "producer": None, "consumers": [], "more_consumers": 0,
}  # fmt: skip
_ATTR_DEFAULTS: dict[str, Any] = {"type": "", "value": "", "source": "set", "ref": None}
_WEIGHT_DEFAULTS: dict[str, Any] = {
    "graph": "", "dtype": "", "shape": "", "nbytes": None, "kind": "initializer", "where": "initializer",
    "external": False,
}  # fmt: skip


def _omit(rec: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k not in defaults or v != defaults[k]}


def pack_node_record(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A node record without its id, its name when that equals the id, and default-valued fields (the
    report stores it under its id)."""
    out = _omit(rec, _NODE_DEFAULTS)
    if out.pop("id") == out["name"]:  # named nodes: the id is the name
        del out["name"]
    for key in ("inputs", "outputs"):
        if key in out:
            rows = []
            for r in out[key]:
                p = _omit(r, _IO_DEFAULTS)
                if p.get("tensor", 0) == (r["name"] or None):
                    del p["tensor"]
                rows.append(p)
            out[key] = rows
    if "attrs" in out:
        out["attrs"] = [_omit(a, _ATTR_DEFAULTS) for a in out["attrs"]]
    return out


def expand_node_record(node_id: str, packed: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`pack_node_record` (the front end's decoder, in Python)."""

    def io(r: Mapping[str, Any]) -> dict[str, Any]:
        return {**_IO_DEFAULTS, **r, "tensor": r["tensor"] if "tensor" in r else (r.get("name") or None)}

    return {
        **_NODE_DEFAULTS,
        "id": node_id,
        "name": node_id,
        **packed,
        "inputs": [io(r) for r in packed.get("inputs", [])],
        "outputs": [io(r) for r in packed.get("outputs", [])],
        "attrs": [{**_ATTR_DEFAULTS, **a} for a in packed.get("attrs", [])],
    }


_STATS_DEFAULTS: dict[str, Any] = {
    "basis": "", "size": 0, "summarised": 0, "finite": 0, "nan": 0, "inf": 0, "min": None, "max": None,
    "mean": None, "std": None, "zero_fraction": None, "unique": None, "sampled": False, "note": "",
}  # fmt: skip


def _pack_hist(hist: Mapping[str, Any]) -> dict[str, Any]:
    """Edges made by :func:`_edge` become ``range`` + ``digits`` (the decoder recomputes them exactly)."""
    out = {k: v for k, v in hist.items() if v is not False}
    edges = hist.get("edges")
    if edges and len(edges) >= 2 and all(isinstance(e, float) for e in edges):
        lo, hi, n = edges[0], edges[-1], len(edges) - 1
        for digits in (6, 7, 8, DIGITS):
            if all(a == e for a, e in zip(_edge_list(lo, hi, n, digits), edges, strict=True)):
                del out["edges"]
                out["range"], out["digits"] = [lo, hi], digits
                break
    return out


def pack_weight_record(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A weight record without its id, default-valued fields and statistics, equally spaced edges as a range."""
    out = _omit(rec, _WEIGHT_DEFAULTS)
    tid = out.pop("id")
    for key in ("source", "name"):
        if out[key] == tid:
            del out[key]
    if out.get("stats"):
        out["stats"] = _omit(out["stats"], _STATS_DEFAULTS)
    if out.get("hist"):
        out["hist"] = _pack_hist(out["hist"])
    return out


def expand_weight_record(tensor_id: str, packed: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`pack_weight_record` (the front end's decoder, in Python)."""
    out = {**_WEIGHT_DEFAULTS, "id": tensor_id, "source": tensor_id, "name": tensor_id, **packed}
    if "stats" in packed:
        out["stats"] = {**_STATS_DEFAULTS, **packed["stats"]}
    hist = packed.get("hist")
    if hist:
        h = {**hist, "sampled": hist.get("sampled", False), "magnitude": hist.get("magnitude", False)}
        if "range" in h:
            (lo, hi), digits, n = h.pop("range"), h.pop("digits"), len(h["counts"])
            h["edges"] = _edge_list(lo, hi, n, digits)
        out["hist"] = h
    return out


__all__ = [
    "MAX_CONSUMERS",
    "AttrRow",
    "Budget",
    "FactSource",
    "IoRow",
    "NodeRecord",
    "Section",
    "expand_node_record",
    "expand_weight_record",
    "fact_sections",
    "head_values",
    "node_record",
    "node_records",
    "num",
    "pack_node_record",
    "pack_weight_record",
    "summary_record",
    "tensor_block",
    "weight_record",
    "weight_records",
]
