"""``oi.report``: one self-contained HTML file with the graph, every node's details, weights, runs and profile.

The file opens offline in any browser and makes no network request. It is the template
``static/report.html`` (built from ``js/src/report.html``) filled in: the page's ES module
(``js/src/report.ts``: the graph view and ``details.ts``, the renderer the Inspector's panel uses too) is
embedded as a string and imported from a Blob URL; plotly.js is packed in only when a profile's figures
need it. All data travels as JSON inside ``<script type="application/json">`` (``<``, ``>`` and ``&``
escaped; the report data and plotly.js deflated and base64-encoded, see ``pack_data``), and the page
builds its DOM with ``textContent`` and attribute setters only, so model text (names, doc strings,
metadata, attribute strings) can never become markup. A Content-Security-Policy meta tag forbids every
fetch and any script but the page's own.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
import os
import re
import secrets
import stat
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from .errors import InspectError
from .model import Model, load
from .views import details as D
from .views.graph_payload import graph_payload
from .views.tensors import EXACT_VALUES, tensor_stats

STATIC = Path(__file__).resolve().parent / "static"
#: The report page, built from js/ (``npm run build``): the template (js/src/report.html), the page's
#: ES module (js/src/report.ts: graph view + details.ts, the Inspector's renderer) and its styles.
TEMPLATE = STATIC / "report.html"
ESM = STATIC / "report.js"
CSS = STATIC / "report.css"

FORMAT = "onnx-inspect/report"
VERSION = 1
#: A report summarises at most this many values exactly, over all weights and runs; beyond that, tensors
#: bigger than ``views.tensors.SAMPLE_VALUES`` are sampled (and say so).
REPORT_EXACT_VALUES = 1 << 27
#: Weight and run previews list this many leading values.
PREVIEW_VALUES = 8
#: Longest doc string / metadata value / consumer list embedded per node.
MAX_DOC_CHARS = 4000
MAX_META_CHARS = 2000
MAX_CONSUMERS = 32
#: Overlays a profile adds to the report's overlay switch (metric -> menu label).
PROFILE_OVERLAYS = {"mean_us": "latency (mean us per run)", "provider": "execution provider"}


def content_security_policy(nonce: str) -> str:
    """The report's CSP: no fetch of any kind; scripts only inline with ``nonce`` or from blob: URLs."""
    return "; ".join(
        [
            "default-src 'none'",
            "connect-src 'none'",
            f"script-src 'nonce-{nonce}' blob:",
            "worker-src blob:",
            "style-src 'unsafe-inline'",
            "img-src data: blob:",
            "font-src data:",
            "media-src 'none'",
            "object-src 'none'",
            "frame-src 'none'",
            "manifest-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def json_for_script(obj: Any) -> str:
    """Compact JSON that is safe as the text of a ``<script type="application/json">`` element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


#: How the page's ``oi-data`` is packed: compact JSON, raw deflate (RFC 1951), base64. The page unpacks it
#: with the browser's built-in ``DecompressionStream('deflate-raw')`` (no network, no eval); per-node
#: details, the bulk of a large model's report, shrink about tenfold.
DATA_ENCODING = "deflate-raw+base64"


def pack_data(data: Mapping[str, Any]) -> dict[str, str]:
    """The report data as the ``oi-data`` script's JSON: ``{"encoding": DATA_ENCODING, "data": base64}``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    z = zlib.compressobj(6, zlib.DEFLATED, -15)  # negative wbits: raw deflate, no zlib header
    return {"encoding": DATA_ENCODING, "data": base64.b64encode(z.compress(text) + z.flush()).decode("ascii")}


def unpack_data(packed: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`pack_data` (for tools and tests that read a written report)."""
    if packed.get("encoding") != DATA_ENCODING:
        raise InspectError(f"report data encoding {packed.get('encoding')!r} is not {DATA_ENCODING!r}")
    return json.loads(zlib.decompress(base64.b64decode(packed["data"]), -15).decode("utf-8"))


def plotly_js() -> str:
    """plotly.js (minified, from the installed plotly package)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


_PLOTLY_PACKED: dict[str, str] = {}


def packed_plotly_js() -> dict[str, str]:
    """plotly.js packed as :func:`pack_data` packs the data (about a third of its 4.8 MB); the page unpacks
    it and starts it from a blob: URL. Computed once per process."""
    if not _PLOTLY_PACKED:
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw = plotly_js().encode("utf-8")
        _PLOTLY_PACKED.update(
            encoding=DATA_ENCODING, data=base64.b64encode(z.compress(raw) + z.flush()).decode()
        )
    return _PLOTLY_PACKED


# -- small converters ---------------------------------------------------------------------------------


def _num(v: Any) -> float | int | None:
    """A JSON-safe number: None for NaN/Inf/missing, int for integers."""
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
    return f if math.isfinite(f) else None


def _text(v: Any, limit: int | None = None) -> str:
    s = "" if v is None else str(v)
    return D.cut(s, limit) if limit is not None else s


def _tensor_block(value: Any, exact_values: int = EXACT_VALUES) -> dict[str, Any]:
    """Statistics, histogram bins and the first few values of an array, from ``views.tensors.tensor_stats``
    (the numbers the Inspector shows for the same tensor)."""
    s = tensor_stats(value, exact_values=exact_values)
    stats: dict[str, Any] = {k: _num(s[k]) for k in _STAT_NUMBERS}
    for k in ("min", "max"):  # exact integers beyond 2**53 travel as text (a JS number would round them)
        if isinstance(s[k], int) and abs(s[k]) > 2**53:
            stats[k] = f"{s[k]:,}"
    stats.update(
        dtype=s["dtype"], shape=list(s["shape"]), family=s["family"], basis=s["basis"], note=s["note"],
        sampled=bool(s["sampled"]),
    )  # fmt: skip
    hist = s["hist"]
    if hist is not None:
        hist = (
            {"labels": [str(x) for x in hist["labels"]], "counts": [int(c) for c in hist["counts"]]}
            if "labels" in hist
            else {"edges": [_num(e) for e in hist["edges"]], "counts": [int(c) for c in hist["counts"]]}
        )
        hist.update(sampled=bool(s["sampled"]), magnitude=s["family"] == "complex")
    return {"stats": stats, "hist": hist, "head": _preview(value)}


_STAT_NUMBERS = (
    "size", "summarised", "min", "max", "mean", "std", "nan", "inf", "finite", "zero_fraction", "unique",
)  # fmt: skip


def _preview(value: Any) -> list[Any]:
    a = np.asarray(value)
    flat = np.asarray(a.flat[:PREVIEW_VALUES]) if a.size else a.reshape(-1)  # never copies all of ``a``
    if a.dtype.kind == "b":
        return [bool(x) for x in flat]
    if a.dtype.kind in "iu":  # exact: ints beyond 2**53 as text (a JS number would round them)
        return [int(x) if abs(int(x)) <= 2**53 else f"{int(x):,}" for x in flat]
    if a.dtype.kind == "f" or a.dtype.kind not in "cOUSb":
        try:
            return [_num(x) for x in flat.astype(np.float64)]
        except (TypeError, ValueError):
            pass
    return [_text(x, 60) for x in flat.tolist()]


class _Budget:
    """Values a report may summarise exactly in all (:data:`REPORT_EXACT_VALUES`); once spent, big
    tensors are sampled, so a report's work is bounded whatever the model holds."""

    def __init__(self, values: int | None = None) -> None:
        self.left = REPORT_EXACT_VALUES if values is None else values

    def block(self, value: Any) -> dict[str, Any]:
        size = int(getattr(value, "size", 0) or 0)
        exact = EXACT_VALUES if size <= self.left else 0
        out = _tensor_block(value, exact)
        self.left -= min(size, self.left) if not out["stats"]["sampled"] else 0
        return out


# -- model, nodes and weights ------------------------------------------------------------------------


def _summary_json(m: Model) -> dict[str, Any]:
    s = m.summary()
    return {
        "file": m.path.name if m.path is not None else None,
        "producer": s["producer"],
        "ir_version": s["ir_version"],
        "opsets": [[d, int(v)] for d, v in s["opsets"].items()],
        "graph_name": s["graph_name"],
        "domain": s["domain"],
        "model_version": s["model_version"],
        "doc_string": _text(s["doc_string"], MAX_DOC_CHARS),
        "metadata": [[_text(k, 200), _text(v, MAX_META_CHARS)] for k, v in s["metadata"].items()],
        "n_nodes": s["n_nodes"],
        "n_nodes_total": s["n_nodes_total"],
        "n_subgraphs": s["n_subgraphs"],
        "n_functions": s["n_functions"],
        "n_params": _num(s["n_params"]),
        "param_bytes": _num(s["param_bytes"]),
        "inputs": [[r["name"], r["dtype"] or "?", D.shape_text(r["shape"])] for r in s["inputs"]],
        "outputs": [[r["name"], r["dtype"] or "?", D.shape_text(r["shape"])] for r in s["outputs"]],
        "op_types": [[k, int(v)] for k, v in s["op_types"].items()],
        "warnings": [str(w) for w in s["warnings"]],
    }


class _Index:
    """Column dicts of ``m.nodes``/``m.tensors`` and per-op schema facts, so that every node's details
    cost a few dict lookups. Same meaning as ``views.details`` (``io_table``, ``attribute_table``,
    ``node_info``, ``weight_info``), which builds one small DataFrame per call instead (tests compare)."""

    def __init__(self, m: Model) -> None:
        self.m = m
        t = m.tensors
        ids = t.index.tolist()
        self.tensor_cols = {
            c: dict(zip(ids, t[c].tolist(), strict=True))
            for c in ("name", "graph", "dtype", "shape", "shape_source", "kind", "producer", "consumers",
                      "nbytes", "outer_ref")
        }  # fmt: skip
        self._opsets: dict[str, int | None] = {}
        self._schemas: dict[tuple[str, str], Any] = {}
        self._slots: dict[tuple[str, str, str, int], list[str]] = {}
        self._defaults: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}
        self._external: dict[str, frozenset[str]] = {}

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
            got = []
            for i in range(n):
                j = min(i, len(formals) - 1)
                if i < len(formals) and _option(formals[i]) != "variadic":
                    got.append(formals[i].name)
                elif formals and _option(formals[j]) == "variadic":
                    got.append(f"{formals[j].name}[{i - j}]")
                else:
                    got.append(f"#{i}")
            self._slots[key] = got
        return got

    def defaults(self, op: str, domain: str) -> list[tuple[str, str, str, str]]:
        """(name, type, value, source) of every attribute the op's schema defines, sorted by name."""
        key = (op, domain)
        got = self._defaults.get(key)
        if got is None:
            s = self.schema(op, domain)
            got = []
            for name, a in sorted((s.attributes if s is not None else {}).items()):
                dv = a.default_value
                text = (
                    ""
                    if dv is None or dv.type == onnx.AttributeProto.UNDEFINED
                    else D.format_attribute(dv)["value"]
                )
                kind = _ATTR_TYPES.get(int(a.type), str(a.type)).lower()
                if a.required:
                    got.append((name, kind, "(required, missing)", "missing"))
                else:
                    got.append((name, kind, text or "(not set)", "default"))
            self._defaults[key] = got
        return got

    def resolve_outer(self, tid: str) -> str:
        """Follow a body's reference to an enclosing graph's value up to the value itself."""
        kind, ref_of = self.tensor_cols["kind"], self.tensor_cols["outer_ref"]
        seen = set()
        while kind[tid] == "outer" and ref_of[tid] and tid not in seen:
            seen.add(tid)
            ref = ref_of[tid]
            if ref not in kind:
                break
            tid = ref
        return tid

    def external(self, graph: str) -> frozenset[str]:
        got = self._external.get(graph)
        if got is None:
            try:
                inits = getattr(self.m.graph_proto(graph), "initializer", ())
            except InspectError:
                inits = ()
            got = frozenset(i.name for i in inits if i.data_location == onnx.TensorProto.EXTERNAL)
            self._external[graph] = got
        return got


_ATTR_TYPES = {int(v): k.lower() for k, v in onnx.AttributeProto.AttributeType.items()}
_OPTIONS = {"Single": "", "Optional": "optional", "Variadic": "variadic"}


def _option(p: Any) -> str:
    return _OPTIONS.get(str(p.option).rsplit(".", 1)[-1], str(p.option))


def _io(ix: _Index, node_id: str, row: Mapping[str, Any], which: str) -> list[list[Any]]:
    """Rows [slot, name, tensor id, dtype, shape text, shape source, kind, producer | consumers]."""
    cols = ix.tensor_cols
    names = list(row[which])
    slots = ix.slots(row["op_type"], row["domain"], which, len(names))
    if which == "inputs":
        implicit = list(row["implicit_inputs"])
        slots = [*slots, *(["(implicit)"] * len(implicit))]
        names += implicit
    out = []
    for slot, name in zip(slots, names, strict=True):
        if not name:
            out.append([slot, "", None, "", "", "", "omitted", None if which == "inputs" else []])
            continue
        try:
            tid = ix.m.tensor_id(name, row["graph"])
        except InspectError:
            out.append([slot, name, None, "", "", "", "unknown", None if which == "inputs" else []])
            continue
        src = ix.resolve_outer(tid)
        kind = cols["kind"][tid]
        if slot == "(implicit)":
            kind = f"implicit {cols['kind'][src]}"
        elif kind == "outer":
            kind = f"outer {cols['kind'][src]}"
        if which == "inputs":
            link: Any = cols["producer"][src]
        else:
            cons = [c for c in cols["consumers"][tid] if c != node_id]
            more = [f"… (+{len(cons) - MAX_CONSUMERS})"] if len(cons) > MAX_CONSUMERS else []
            link = cons[:MAX_CONSUMERS] + more
        out.append(
            [slot, name, tid, cols["dtype"][tid] or "", D.shape_text(cols["shape"][tid]),
             cols["shape_source"][tid] or "", kind, link]
        )  # fmt: skip
    return out


def _attrs(ix: _Index, node_id: str, node: onnx.NodeProto, op: str, domain: str) -> list[list[str]]:
    rows = [
        [a.name, f["type"], _text(f["value"]), "set"]
        for a in node.attribute
        for f in [D.format_attribute(a, node_id)]
    ]
    fn = f"@{domain}:{op}"
    if fn in ix.m.graphs.index:
        n = int(ix.m.graphs.at[fn, "n_nodes"])
        rows.append(["(function body)", "function", f"model-local function, {n} nodes", "model"])
    have = {a.name for a in node.attribute}
    rows += [list(d) for d in ix.defaults(op, domain) if d[0] not in have]
    return rows


def node_records(m: Model) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Details of every node as JSON-ready dicts (header, attributes, inputs, outputs, weight ids),
    and the ids of all weights they refer to (in first-use order)."""
    ix = _Index(m)
    fn_paths = {p for p in m.graphs.index if str(p).startswith("@")}
    out: dict[str, dict[str, Any]] = {}
    weights: dict[str, None] = {}
    nodes = m.nodes
    cols = ["op_type", "domain", "name", "graph", "scope", "ort_name", "inputs", "outputs", "implicit_inputs",
            "subgraphs"]  # fmt: skip
    for nid, *vals in zip(nodes.index.tolist(), *(nodes[c].tolist() for c in cols), strict=True):
        row = dict(zip(cols, vals, strict=True))
        node = m.node(nid)
        op, domain = row["op_type"], row["domain"]
        ins = _io(ix, nid, row, "inputs")
        outs = _io(ix, nid, row, "outputs")
        w = list(dict.fromkeys(r[2] for r in (*ins, *outs) if r[2] is not None and _is_weight_kind(r[6])))
        weights.update(dict.fromkeys(w))
        fn = f"@{domain}:{op}"
        out[nid] = {
            "op": op,
            "domain": domain or "ai.onnx",
            "opset": ix.opset(domain),
            "name": row["name"],
            "graph": row["graph"],
            "scope": row["scope"],
            "ort": row["ort_name"],
            "doc": _text(node.doc_string, MAX_DOC_CHARS),
            "meta": [[_text(p.key, 200), _text(p.value, MAX_META_CHARS)] for p in node.metadata_props],
            "bodies": list(dict.fromkeys((*row["subgraphs"], *((fn,) if fn in fn_paths else ())))),
            "attrs": _attrs(ix, nid, node, op, domain),
            "ins": ins,
            "outs": outs,
            "w": w,
        }
    return out, list(weights)


def _is_weight_kind(kind: str) -> bool:
    return kind.rsplit(" ", 1)[-1] in ("initializer", "constant")


def weight_records(
    m: Model, tensor_ids: Iterable[str], read: bool = True, budget: _Budget | None = None
) -> dict[str, dict[str, Any]]:
    """What the report shows of each weight: name, dtype, shape, bytes, where it lives, and (with
    ``read``) statistics, histogram bin counts and first values; a read failure becomes ``error``.
    ``budget`` bounds the values summarised exactly (big weights beyond it are sampled)."""
    ix = _Index(m)
    budget = budget if budget is not None else _Budget()
    cols = ix.tensor_cols
    out = {}
    for tid in tensor_ids:
        if tid not in cols["kind"]:
            raise InspectError(
                f"weight_records: {tid!r} is not a tensor id of this model (see m.tensors.index)"
            )
        src = ix.resolve_outer(tid)
        kind, name, graph = cols["kind"][src], cols["name"][src], cols["graph"][src]
        where = "initializer" if kind == "initializer" else f"output of node {cols['producer'][src]}"
        if kind == "initializer" and name in ix.external(graph):
            where += ", external data file (read when shown)"
        rec: dict[str, Any] = {
            "name": name,
            "graph": graph,
            "dtype": cols["dtype"][src] or "",
            "shape": D.shape_text(cols["shape"][src]),
            "nbytes": _num(cols["nbytes"][src]),
            "kind": kind,
            "where": where,
        }
        if read:
            try:
                rec.update(budget.block(m.weight(name, graph)))
            except InspectError as exc:
                rec["error"] = str(exc)
        out[tid] = rec
    return out


# -- profile and runs --------------------------------------------------------------------------------


def _figure_json(fig: Any) -> dict[str, Any]:
    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=False), parse_constant=lambda _c: None)


def _clean_overlay(o: Mapping[str, Any], ids: frozenset[str]) -> dict[str, Any]:
    values: dict[str, float | str] = {}
    for k, v in dict(o.get("values") or {}).items():
        if str(k) not in ids or v is None:
            continue
        if isinstance(v, str):
            values[str(k)] = v
        else:
            f = _num(v)
            if f is not None:
                values[str(k)] = float(f)
    return {
        "values": values,
        "label": str(o.get("label") or "value"),
        "kind": o.get("kind")
        or ("categorical" if any(isinstance(v, str) for v in values.values()) else "numeric"),
        "scale": o.get("scale") or "linear",
        "aggregate": o.get("aggregate") or "sum",
        "unit": str(o.get("unit") or ""),
    }


def profile_record(m: Model, p: Any) -> dict[str, Any]:
    """The profile part of a report: summary, warnings, figures (plotly JSON), overlays, per-node times."""
    from .runtime import Profile

    if not isinstance(p, Profile):
        raise InspectError(
            f"profile must be an oi.Profile (from oi.profile or Profile.from_json), not {type(p).__name__}"
        )
    ids = frozenset(m.nodes.index)
    bn = p.by_node()
    known = [nid for nid in bn.index if nid in ids]
    if len(bn) and not known:
        raise InspectError(
            "the profile's node ids match no node of this model (e.g. "
            f"{bn.index[0]!r}); pass the model the profile was made from"
        )
    s = p.summary()
    figures = [("op_types", p.figure_op_types()), ("top_nodes", p.figure_top_nodes())]
    if p.n_runs:
        figures.append(("timeline", p.figure_timeline(0)))
    nodes = {}
    for nid in known:
        r = bn.loc[nid]
        nodes[str(nid)] = {
            "mean_us": _num(r["mean_us"]), "p50_us": _num(r["p50_us"]), "p90_us": _num(r["p90_us"]),
            "share": _num(r["share"]), "calls": _num(r["calls"]), "provider": _text(r["provider"]),
            "kernel": _text(r["kernel"]), "mapping": _text(r["mapping"]),
            "fused_with": [str(x) for x in r["fused_with"]],
        }  # fmt: skip
    return {
        "summary": {
            "runs": s["runs"],
            "mean_run_us": _num(s["mean_run_us"]),
            "mean_kernel_us": _num(s["mean_kernel_us"]),
            "coverage": _num(s["coverage"]),
            "optimization": _text(s["optimization"]) if s["optimization"] else "",
            "providers": [str(x) for x in (s["providers"] or [])],
            "source": _text(p.meta.get("source") or ""),
        },
        "warnings": [str(w) for w in s["warnings"]],
        "figures": [{"id": k, "fig": _figure_json(f)} for k, f in figures],
        "overlays": {  # moved to the report's top-level "overlays" by report_data
            k: {**_clean_overlay(p.overlay(k), ids), "menu": label} for k, label in PROFILE_OVERLAYS.items()
        },
        "nodes": nodes,
        "unmatched_nodes": len(bn) - len(known),
    }


RunsArg = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


def normalise_runs(runs: RunsArg) -> list[tuple[str, dict[str, Any]]]:
    """``runs`` as (label, {name: array}) pairs: one dict of arrays is one run; a list of ``oi.run``
    results is labelled 'run 0', 'run 1', ...; a dict of such dicts keeps its keys as labels."""
    if runs is None:
        return []
    if isinstance(runs, Mapping):
        if runs and all(isinstance(v, Mapping) for v in runs.values()):
            return [(str(k), dict(v)) for k, v in runs.items()]
        if any(isinstance(v, Mapping) for v in runs.values()):
            raise InspectError(
                "runs mixes arrays and dicts; pass {name: array} for one run or {label: {name: array}} for several"
            )
        return [("run", dict(runs))]
    if isinstance(runs, (list, tuple)):
        out = []
        for i, r in enumerate(runs):
            if not isinstance(r, Mapping):
                raise InspectError(
                    f"runs[{i}] is a {type(r).__name__}; each run must be a dict {{name: array}} as oi.run returns"
                )
            out.append((f"run {i}", dict(r)))
        return out
    raise InspectError(
        f"runs must be a dict {{name: array}}, a list of oi.run results or None, not {type(runs).__name__}"
    )


def _tensor_id_of(m: Model, key: str) -> str | None:
    if key in m.tensors.index:
        return key
    try:
        return m.tensor_id(key)
    except InspectError:
        return None


def runs_record(m: Model, runs: RunsArg, budget: _Budget | None = None) -> list[dict[str, Any]]:
    """Tensor summaries (statistics, histogram bin counts, first values) of each run's tensors."""
    budget = budget if budget is not None else _Budget()
    out = []
    for label, values in normalise_runs(runs):
        rows = []
        for key, v in values.items():
            try:
                block = budget.block(np.asarray(v))
            except (TypeError, ValueError) as exc:
                raise InspectError(
                    f"runs[{label!r}][{key!r}] is not an array ({exc}); pass numpy arrays"
                ) from exc
            tid = _tensor_id_of(m, str(key))
            producer = m.tensors.at[tid, "producer"] if tid is not None else None
            rows.append({"name": str(key), "tid": tid, "producer": producer, **block})
        out.append({"label": label, "tensors": rows})
    return out


# -- the page ----------------------------------------------------------------------------------------


def _overlay_choice(
    overlay: str | Mapping[str, Any] | None, prof: dict[str, Any] | None, ids: frozenset[str]
) -> tuple[str, dict[str, Any] | None]:
    """(initial overlay key, a custom overlay to add to the menu or None)."""
    if isinstance(overlay, Mapping):
        if not overlay or not overlay.get("values"):
            return "none", None
        return "custom", {
            **_clean_overlay(overlay, ids),
            "menu": str(overlay.get("label") or "custom overlay"),
        }
    if overlay is None:
        return ("mean_us" if prof else "none"), None
    if overlay == "none":
        return "none", None
    if prof is None or overlay not in prof["overlays"]:
        have = ["none", *(prof["overlays"] if prof else [])]  # before report_data moves them
        raise InspectError(
            f"overlay={overlay!r} is not available in this report; use one of {have} or an overlay dict"
        )
    return overlay, None


def report_data(
    m: Model,
    profile: Any = None,
    runs: RunsArg = None,
    *,
    title: str | None = None,
    selected: Iterable[str] = (),
    overlay: str | Mapping[str, Any] | None = None,
    weights: bool = True,
) -> dict[str, Any]:
    """Everything a report shows, as one JSON-ready dict (the page's ``oi-data`` script)."""
    from . import __version__

    ids = frozenset(m.nodes.index)
    sel = [str(s) for s in ([selected] if isinstance(selected, str) else selected)]
    bad = [s for s in sel if s not in ids]
    if bad:
        raise InspectError(f"selected: {bad[0]!r} is not a node id of this model; use ids from m.nodes.index")
    nodes, weight_ids = node_records(m)
    prof = profile_record(m, profile) if profile is not None else None
    start, custom = _overlay_choice(overlay, prof, ids)
    overlays: dict[str, Any] = prof.pop("overlays") if prof else {}
    if custom is not None:
        overlays["custom"] = custom
    name = m.path.name if m.path is not None else (m.proto.graph.name or "model")
    budget = _Budget()
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": title if title is not None else f"{name}: onnx-inspect report",
        "generator": f"onnx-inspect {__version__}",
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "summary": _summary_json(m),
        "payload": graph_payload(m),
        "nodes": nodes,
        "weights": weight_records(m, weight_ids, read=weights, budget=budget),
        "weights_read": bool(weights),
        "profile": prof,
        "overlays": overlays,
        "overlay": start,
        "runs": runs_record(m, runs, budget),
        "selected": sel,
    }


def _bundle() -> tuple[str, str, str]:
    """The built page: (template, ES module, CSS)."""
    if not all(p.is_file() for p in (TEMPLATE, ESM, CSS)):
        raise InspectError(
            f"the report's front end is not built: {ESM} is missing. Reinstall onnx-inspect with pip, "
            "or run `npm ci && npm run build` in the js/ folder of a source checkout."
        )
    return tuple(p.read_text(encoding="utf-8") for p in (TEMPLATE, ESM, CSS))  # type: ignore[return-value]


def _needs_plotly(data: Mapping[str, Any]) -> bool:
    """plotly.js is packed in only for the profile's figures (histograms are drawn by the page itself)."""
    return bool(data["profile"])


def _css_safe(css: str) -> str:
    return css.replace("</", "<\\/")


def _fill(template: str, values: Mapping[str, str]) -> str:
    """The template with each ``{{key}}`` replaced once, in one pass (a value never gets re-read)."""
    return re.sub(r"\{\{(\w+)\}\}", lambda mt: values[mt.group(1)], template)


def report_html(
    m: Model | str | os.PathLike[str] | bytes | Any,
    profile: Any = None,
    runs: RunsArg = None,
    *,
    title: str | None = None,
    selected: Iterable[str] = (),
    overlay: str | Mapping[str, Any] | None = None,
    weights: bool = True,
) -> str:
    """The report as one HTML string (see :func:`report`)."""
    model = m if isinstance(m, Model) else load(m)
    template, esm, css = _bundle()
    data = report_data(model, profile, runs, title=title, selected=selected, overlay=overlay, weights=weights)
    nonce = secrets.token_urlsafe(18)
    plotly = (
        f"<script type='application/json' id='oi-plotly'>{json_for_script(packed_plotly_js())}</script>\n"
        if _needs_plotly(data)
        else ""
    )
    return _fill(
        template,
        {
            "csp": content_security_policy(nonce),
            "generator": html.escape(data["generator"], quote=True),
            "title": html.escape(data["title"]),
            "css": _css_safe(css),
            "data": json_for_script(pack_data(data)),
            "esm": json_for_script(esm),
            "plotly": plotly,
            "nonce": nonce,
        },
    )


def report(
    m: Model | str | os.PathLike[str] | bytes | Any,
    path: str | os.PathLike[str],
    profile: Any = None,
    runs: RunsArg = None,
    *,
    title: str | None = None,
    selected: Iterable[str] = (),
    overlay: str | Mapping[str, Any] | None = None,
    weights: bool = True,
) -> Path:
    """Write a self-contained HTML report of ``m`` to ``path`` (opens offline, makes no requests).

    It has the interactive graph, every node's details and weight statistics (histograms on click),
    with ``profile`` (an ``oi.Profile``) its figures and a latency/provider overlay switch, and with
    ``runs`` ({name: array}, a list of ``oi.run`` results, or {label: {name: array}}) tensor summaries.
    ``selected`` preselects node ids; ``overlay`` is the first overlay shown ('mean_us', 'provider',
    'none', or a ``GraphView.overlay`` dict); ``weights=False`` reads no weight.
    """
    out = _report_path(path)
    text = report_html(m, profile, runs, title=title, selected=selected, overlay=overlay, weights=weights)
    _write_report(out, text)
    return out


def _shown(path: str) -> str:
    """A path as quoted one-line text, cut to a readable length."""
    return repr(D.cut(path, 200))


def _report_path(path: Any) -> Path:
    """``path`` checked before any work: a file name (str or PathLike) without NUL, in an existing
    folder, not a folder, fifo or device. Raises ``oi.InspectError`` naming the path otherwise."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise InspectError(
            f"report path must be a file name (str or pathlib.Path), not {type(path).__name__}; "
            "e.g. oi.report(m, 'model.html')"
        )
    try:
        text = os.fspath(path)
    except TypeError as exc:
        raise InspectError(
            f"report path {path!r} is not a file name ({exc}); pass a str or pathlib.Path"
        ) from None
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if "\0" in text:
        raise InspectError(f"report path {_shown(text)} contains a NUL character; pass a plain file name")
    out = Path(text)
    try:
        st = out.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InspectError(
            f"cannot write the report to {_shown(text)}: {exc.strerror or exc}; pass a shorter path to a "
            "file in a folder you can write to"
        ) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InspectError(
            f"report path {_shown(text)} is a folder; pass a file name such as {_shown(str(out / 'report.html'))}"
        )
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise InspectError(
            f"report path {_shown(text)} is not a regular file (a fifo, socket or device); "
            "pass the name of a new or existing .html file"
        )
    if st is None and not out.parent.is_dir():
        raise InspectError(
            f"cannot write the report to {_shown(text)}: folder {_shown(str(out.parent))} does not exist"
        )
    return out


def _write_report(out: Path, text: str) -> None:
    """Write ``text`` to ``out``; never blocks (a fifo is refused, not opened for a reader to come)."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(out, flags, 0o666)
    except OSError as exc:
        raise InspectError(
            f"cannot write the report to {_shown(str(out))}: {exc.strerror or exc}; "
            "pass a path to a file in a folder you can write to"
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InspectError(
                f"report path {_shown(str(out))} is not a regular file (a fifo, socket or device); "
                "pass the name of a new or existing .html file"
            )
        os.ftruncate(fd, 0)
        with os.fdopen(fd, "w", encoding="utf-8", closefd=False) as f:
            f.write(text)
    except OSError as exc:
        raise InspectError(
            f"cannot write the report to {_shown(str(out))}: {exc.strerror or exc}; "
            "free some disk space or pass another path"
        ) from None
    finally:
        os.close(fd)


__all__ = [
    "content_security_policy",
    "json_for_script",
    "node_records",
    "normalise_runs",
    "pack_data",
    "packed_plotly_js",
    "profile_record",
    "report",
    "report_data",
    "report_html",
    "runs_record",
    "unpack_data",
    "weight_records",
]
