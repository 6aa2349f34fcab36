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
import os
import re
import secrets
import stat
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InspectError
from .model import Model, ModelLike, load
from .views import details as D
from .views.graph_payload import graph_payload
from .views.overlay import normalise_overlay
from .views.records import (
    Budget,
    FactSource,
    expand_node_record,
    expand_weight_record,
    fact_sections,
    node_records,
    num,
    pack_node_record,
    pack_weight_record,
    summary_record,
    weight_records,
)

if TYPE_CHECKING:
    from .runtime.profile import Metric

STATIC = Path(__file__).resolve().parent / "static"
#: The report page, built from js/ (``npm run build``): the template (js/src/report.html), the page's
#: ES module (js/src/report.ts: graph view + details.ts, the Inspector's renderer) and its styles.
TEMPLATE = STATIC / "report.html"
ESM = STATIC / "report.js"
CSS = STATIC / "report.css"

FORMAT = "onnx-inspect/report"
VERSION = 2  # 2: named-field records (views/records.py), packed without defaults
#: Node records are built and packed this many at a time.
RECORDS_CHUNK = 10_000
#: Overlays a profile adds to the report's overlay switch (metric -> menu label).
PROFILE_OVERLAYS: dict[Metric, str] = {
    "mean_us": "latency (mean us per run)",
    "provider": "execution provider",
}


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
    z = zlib.compressobj(9, zlib.DEFLATED, -15)  # negative wbits: raw deflate, no zlib header
    return {"encoding": DATA_ENCODING, "data": base64.b64encode(z.compress(text) + z.flush()).decode("ascii")}


def unpack_data(packed: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`pack_data` (for tools and tests that read a written report)."""
    if packed.get("encoding") != DATA_ENCODING:
        raise InspectError(f"report data encoding {packed.get('encoding')!r} is not {DATA_ENCODING!r}")
    return json.loads(zlib.decompress(base64.b64decode(packed["data"]), -15).decode("utf-8"))


#: The report data keys that travel in the page's second packed script, ``oi-records``: per-node and
#: per-weight details, the bulk of a large model's report. The page draws the graph from ``oi-data`` first
#: and parses these after the first view is ready (a 200k-node model's records are ~200 MB of JSON).
RECORD_KEYS = ("nodes", "weights")

_SCRIPT = re.compile(r"<script type='application/json' id='(oi-data|oi-records)'>(.*?)</script>", re.S)


def read_report(text: str) -> dict[str, Any]:
    """The report data of a written report's HTML (``oi-data`` and ``oi-records`` unpacked and joined; the
    records stay packed as the page stores them, see :func:`expand_records`); for tools and tests."""
    found = {k: unpack_data(json.loads(body)) for k, body in _SCRIPT.findall(text)}
    if "oi-data" not in found:
        raise InspectError("this HTML has no onnx-inspect report data (no 'oi-data' script); is it a report?")
    return {**found["oi-data"], **found.get("oi-records", {})}


def expand_records(data: Mapping[str, Any]) -> dict[str, Any]:
    """The report data with its packed node and weight records expanded to the full records of
    ``views.records`` (what the page's decoder does; for tools and tests that read a written report)."""
    return {
        **data,
        "nodes": {nid: expand_node_record(nid, r) for nid, r in data["nodes"].items()},
        "weights": {tid: expand_weight_record(tid, r) for tid, r in data["weights"].items()},
    }


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

_num = num  # JSON-safe numbers: one rule (views.records.num)


def _text(v: Any, limit: int | None = None) -> str:
    s = "" if v is None else str(v)
    return D.cut(s, limit) if limit is not None else s


# -- model, nodes and weights (the records of views/records.py, packed: see pack_node_record) ----------


def report_records(
    m: Model, weights: bool = True, budget: Budget | None = None, sources: Iterable[FactSource] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every node's record and every weight's record (read when ``weights``), packed for the report
    (built in chunks, so only the packed form of a big model is held at once)."""
    ids = m.nodes.index.tolist()
    facts = fact_sections(m, sources, ids)  # each source once, for every node
    nodes: dict[str, Any] = {}
    weight_ids: dict[str, None] = {}
    for start in range(0, len(ids), RECORDS_CHUNK):
        for nid, r in node_records(m, ids=ids[start : start + RECORDS_CHUNK]).items():
            r["sections"] = facts.get(nid, [])
            weight_ids.update(dict.fromkeys(r["weights"]))
            nodes[nid] = pack_node_record(r)
    packed = {
        tid: pack_weight_record(r)
        for tid, r in weight_records(m, weight_ids, read=weights, budget=budget).items()
    }
    return nodes, packed


# -- profile and runs --------------------------------------------------------------------------------


def figure_json(fig: Any) -> dict[str, Any]:
    """A plotly figure (or its dict) as JSON-safe plotly JSON (NaN -> null), as the page embeds it."""
    import plotly.io as pio

    if isinstance(fig, Mapping):
        return json.loads(json.dumps(fig, default=str), parse_constant=lambda _c: None)

    return json.loads(pio.to_json(fig, validate=False), parse_constant=lambda _c: None)


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
        "figures": [{"id": k, "fig": figure_json(f)} for k, f in figures],
        "overlays": {  # moved to the report's top-level "overlays" by report_data
            k: {**normalise_overlay(p.overlay(k), ids, unknown="drop"), "menu": label}
            for k, label in PROFILE_OVERLAYS.items()
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


def runs_record(m: Model, runs: RunsArg, budget: Budget | None = None) -> list[dict[str, Any]]:
    """Tensor summaries (statistics, histogram bin counts, first values) of each run's tensors."""
    budget = budget if budget is not None else Budget()
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


# -- extra overlays and analyses (report_facts.py builds them from the Inspector tabs' inputs) --------


def extra_overlays(overlays: Mapping[str, Mapping[str, Any]] | None, ids: frozenset[str]) -> dict[str, Any]:
    """``{key: spec}`` checked by ``normalise_overlay`` (unknown node ids dropped), each with its
    ``menu`` label (the spec's label when absent); empty overlays are left out of the switch."""
    if overlays is None:
        return {}
    if not isinstance(overlays, Mapping):
        raise InspectError(
            f"overlays must be a dict {{key: overlay spec}}, not {type(overlays).__name__}; "
            "e.g. {'macs': {'values': {...}, 'label': 'MACs'}}"
        )
    out: dict[str, Any] = {}
    for key, spec in overlays.items():
        if key in ("none", "custom", *PROFILE_OVERLAYS) or not isinstance(spec, Mapping):
            raise InspectError(
                f"overlays[{str(key)!r}]: keys 'none', 'custom', {list(PROFILE_OVERLAYS)} are taken and each "
                "value must be an overlay spec dict; rename it or pass a dict with 'values'"
            )
        body = {k: v for k, v in spec.items() if k != "menu"}
        norm = normalise_overlay(body, ids, unknown="drop")
        if norm.get("values"):
            out[str(key)] = {**norm, "menu": str(spec.get("menu") or norm.get("label") or key)}
    return out


def analyses_record(analyses: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The analyses as the page shows them, checked JSON-safe (tables are record Sections, figures plotly JSON)."""
    out = []
    for k, a in enumerate(analyses):
        if not isinstance(a, Mapping) or "title" not in a:
            raise InspectError(
                f"analyses[{k}] is not an analysis dict; build it with onnx_inspect.report_facts.analysis(...)"
            )
        rec = {
            "id": str(a.get("id") or f"analysis{k}"),
            "title": str(a["title"]),
            "note": str(a.get("note") or ""),
            "tables": [dict(t) for t in a.get("tables", ())],
            "figures": [figure_json(f) for f in a.get("figures", ())],
        }
        try:
            json.dumps(rec, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InspectError(
                f"analysis {rec['title']!r} is not JSON-safe ({exc}); build its tables with report_facts.table_section"
            ) from None
        out.append(rec)
    return out


# -- the page ----------------------------------------------------------------------------------------


def _overlay_choice(
    overlay: str | Mapping[str, Any] | None,
    prof: dict[str, Any] | None,
    ids: frozenset[str],
    extra: Mapping[str, Any] | None = None,
) -> tuple[str, dict[str, Any] | None]:
    """(initial overlay key, a custom overlay to add to the menu or None); ``extra``: the other overlays
    of the menu (keys ``overlay`` may name)."""
    extra = extra or {}
    if isinstance(overlay, Mapping):
        if not overlay or not overlay.get("values"):
            return "none", None
        return "custom", {
            **normalise_overlay(overlay, ids, unknown="drop"),
            "menu": str(overlay.get("label") or "custom overlay"),
        }
    if overlay is None:
        return ("mean_us" if prof else "none"), None
    if overlay == "none":
        return "none", None
    if isinstance(overlay, str) and overlay in extra:
        return overlay, None
    if prof is None or overlay not in prof["overlays"]:
        have = ["none", *(prof["overlays"] if prof else []), *extra]  # before report_data moves them
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
    sources: Iterable[FactSource] = (),
    overlays: Mapping[str, Mapping[str, Any]] | None = None,
    analyses: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Everything a report shows, as one JSON-ready dict (the page's ``oi-data`` script); ``sources``
    add per-node ``sections`` (costs, quantization, ...) to the node records, ``overlays``
    ({key: spec}, ``menu`` the switch's label) join the overlay switch, ``analyses``
    (``report_facts.analysis``: titled tables and figures) get the page's Analyses section."""
    from . import __version__

    ids = frozenset(m.nodes.index)
    sel = [str(s) for s in ([selected] if isinstance(selected, str) else selected)]
    bad = [s for s in sel if s not in ids]
    if bad:
        raise InspectError(f"selected: {bad[0]!r} is not a node id of this model; use ids from m.nodes.index")
    budget = Budget()
    nodes, weight_recs = report_records(m, weights, budget, sources)
    prof = profile_record(m, profile) if profile is not None else None
    extra = extra_overlays(overlays, ids)
    start, custom = _overlay_choice(overlay, prof, ids, extra)
    menu: dict[str, Any] = prof.pop("overlays") if prof else {}
    menu.update(extra)
    if custom is not None:
        menu["custom"] = custom
    name = m.path.name if m.path is not None else (m.proto.graph.name or "model")
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": title if title is not None else f"{name}: onnx-inspect report",
        "generator": f"onnx-inspect {__version__}",
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "summary": summary_record(m),
        "payload": graph_payload(m),
        "nodes": nodes,
        "weights": weight_recs,
        "weights_read": bool(weights),
        "profile": prof,
        "overlays": menu,
        "overlay": start,
        "analyses": analyses_record(analyses),
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
    """plotly.js is packed in only for figures: the profile's and the analyses' (histograms are drawn by
    the page itself)."""
    return bool(data["profile"]) or any(a["figures"] for a in data.get("analyses", ()))


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
    sources: Iterable[FactSource] = (),
    overlays: Mapping[str, Mapping[str, Any]] | None = None,
    analyses: Sequence[Mapping[str, Any]] = (),
    costs: bool | Mapping[str, Any] | None = None,
    compare: Any = None,
    quantization: Any = None,
    optimized: Any = None,
) -> str:
    """The report as one HTML string (see :func:`report`)."""
    from .report_facts import report_facts

    model = m if isinstance(m, Model) else load(m)
    template, esm, css = _bundle()
    facts = report_facts(model, costs=costs, compare=compare, quantization=quantization, optimized=optimized)
    data = report_data(
        model, profile, runs, title=title, selected=selected, overlay=overlay, weights=weights,
        sources=[*sources, *facts.sources], overlays={**facts.overlays, **(overlays or {})},
        analyses=[*facts.analyses, *analyses],
    )  # fmt: skip
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
            "data": json_for_script(pack_data({k: v for k, v in data.items() if k not in RECORD_KEYS})),
            "records": json_for_script(pack_data({k: data[k] for k in RECORD_KEYS})),
            "esm": json_for_script(esm),
            "plotly": plotly,
            "nonce": nonce,
        },
    )


def report(
    m: ModelLike,
    path: str | os.PathLike[str],
    profile: Any = None,
    runs: RunsArg = None,
    *,
    title: str | None = None,
    selected: Iterable[str] = (),
    overlay: str | Mapping[str, Any] | None = None,
    weights: bool = True,
    sources: Iterable[FactSource] = (),
    overlays: Mapping[str, Mapping[str, Any]] | None = None,
    analyses: Sequence[Mapping[str, Any]] = (),
    costs: bool | Mapping[str, Any] | None = None,
    compare: Any = None,
    quantization: Any = None,
    optimized: Any = None,
) -> Path:
    """Write a self-contained HTML report of ``m`` to ``path`` (opens offline, makes no requests).

    It has the interactive graph, every node's details and weight statistics (histograms on click),
    with ``profile`` (an ``oi.Profile``) its figures and a latency/provider overlay switch, and with
    ``runs`` ({name: array}, a list of ``oi.run`` results, or {label: {name: array}}) tensor summaries.
    ``selected`` preselects node ids; ``overlay`` is the first overlay shown ('mean_us', 'provider',
    'none', a key of the overlays, or a ``GraphView.overlay`` dict); ``weights=False`` reads no weight.

    What the Inspector's Costs / Accuracy / Optimized tabs show comes along with ``costs=True`` (or a dims
    dict), ``compare=oi.compare(m, other)``, ``quantization=True`` (or a ``quantization_error`` table) and
    ``optimized=oi.optimized(m, level)``: sections in each node's details, overlays in the switch, tables
    and figures in an Analyses section. ``sources`` (FactSources), ``overlays`` ({key: spec}) and
    ``analyses`` (``report_facts.analysis``) add your own.
    """
    out = _report_path(path)
    text = report_html(
        m, profile, runs, title=title, selected=selected, overlay=overlay, weights=weights, sources=sources,
        overlays=overlays, analyses=analyses, costs=costs, compare=compare, quantization=quantization,
        optimized=optimized,
    )  # fmt: skip
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
    "analyses_record",
    "content_security_policy",
    "expand_records",
    "extra_overlays",
    "figure_json",
    "json_for_script",
    "normalise_runs",
    "pack_data",
    "packed_plotly_js",
    "profile_record",
    "report",
    "report_data",
    "report_html",
    "report_records",
    "runs_record",
    "unpack_data",
]
