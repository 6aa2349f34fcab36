"""``oi.report``: one self-contained HTML file with the graph, every node's details, weights, runs and profile.

The file opens offline in any browser and makes no network request: the graph front end (the same
``static/graphview.js`` the widget uses) is embedded as a string and imported from a Blob URL, then
driven through a tiny in-page stand-in for the anywidget model; plotly's JS is inlined once, only
when a figure can be shown. All data travels as JSON inside ``<script type="application/json">``
(``<``, ``>`` and ``&`` escaped; the report data deflated and base64-encoded, see ``pack_data``), and the page builds its DOM with ``textContent`` and attribute
setters only, so model text (names, doc strings, metadata, attribute strings) can never become
markup. A Content-Security-Policy meta tag forbids every fetch and any script but the page's own.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import secrets
import stat
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InspectError
from .model import Model, load
from .views import details as D
from .views.graph_payload import graph_payload
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

STATIC = Path(__file__).resolve().parent / "static"
ESM = STATIC / "graphview.js"
CSS = STATIC / "graphview.css"

FORMAT = "onnx-inspect/report"
VERSION = 2  # 2: named-field records (views/records.py), packed without defaults
#: Node records are built and packed this many at a time.
RECORDS_CHUNK = 10_000
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
    z = zlib.compressobj(9, zlib.DEFLATED, -15)  # negative wbits: raw deflate, no zlib header
    return {"encoding": DATA_ENCODING, "data": base64.b64encode(z.compress(text) + z.flush()).decode("ascii")}


def unpack_data(packed: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`pack_data` (for tools and tests that read a written report)."""
    if packed.get("encoding") != DATA_ENCODING:
        raise InspectError(f"report data encoding {packed.get('encoding')!r} is not {DATA_ENCODING!r}")
    return json.loads(zlib.decompress(base64.b64decode(packed["data"]), -15).decode("utf-8"))


def expand_records(data: Mapping[str, Any]) -> dict[str, Any]:
    """The report data with its packed node and weight records expanded to the full records of
    ``views.records`` (what the page's decoder does; for tools and tests that read a written report)."""
    return {
        **data,
        "nodes": {nid: expand_node_record(nid, r) for nid, r in data["nodes"].items()},
        "weights": {tid: expand_weight_record(tid, r) for tid, r in data["weights"].items()},
    }


def plotly_js() -> str:
    """plotly.js (minified, from the installed plotly package), made safe to inline in a script element."""
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    # an end tag or comment opener inside would end or confuse the script element
    return js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT").replace("<!--", "<\\!--")


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
    sources: Iterable[FactSource] = (),
) -> dict[str, Any]:
    """Everything a report shows, as one JSON-ready dict (the page's ``oi-data`` script); ``sources``
    add per-node ``sections`` (costs, quantization, ...) to the node records."""
    from . import __version__

    ids = frozenset(m.nodes.index)
    sel = [str(s) for s in ([selected] if isinstance(selected, str) else selected)]
    bad = [s for s in sel if s not in ids]
    if bad:
        raise InspectError(f"selected: {bad[0]!r} is not a node id of this model; use ids from m.nodes.index")
    budget = Budget()
    nodes, weight_recs = report_records(m, weights, budget, sources)
    prof = profile_record(m, profile) if profile is not None else None
    start, custom = _overlay_choice(overlay, prof, ids)
    overlays: dict[str, Any] = prof.pop("overlays") if prof else {}
    if custom is not None:
        overlays["custom"] = custom
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
        "overlays": overlays,
        "overlay": start,
        "runs": runs_record(m, runs, budget),
        "selected": sel,
    }


def _bundle() -> tuple[str, str]:
    if not (ESM.is_file() and CSS.is_file()):
        raise InspectError(
            f"the graph view's front end is not built: {ESM} is missing. Reinstall onnx-inspect with pip, "
            "or run `npm ci && npm run build` in the js/ folder of a source checkout."
        )
    return ESM.read_text(encoding="utf-8"), CSS.read_text(encoding="utf-8")


def _needs_plotly(data: Mapping[str, Any]) -> bool:
    return bool(data["profile"] or data["runs"] or any(w.get("hist") for w in data["weights"].values()))


def _css_safe(css: str) -> str:
    return css.replace("</", "<\\/")


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
    esm, css = _bundle()
    data = report_data(model, profile, runs, title=title, selected=selected, overlay=overlay, weights=weights)
    nonce = secrets.token_urlsafe(18)
    plotly = f"<script nonce='{nonce}'>{plotly_js()}</script>\n" if _needs_plotly(data) else ""
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<meta http-equiv='Content-Security-Policy' content=\"{content_security_policy(nonce)}\">\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        "<meta name='referrer' content='no-referrer'>\n"
        f"<meta name='generator' content='{html.escape(data['generator'], quote=True)}'>\n"
        f"<title>{html.escape(data['title'])}</title>\n"
        f"<style>{_css_safe(css)}</style>\n<style>{_css_safe(_REPORT_CSS)}</style>\n"
        "</head>\n<body>\n"
        "<noscript><p class='oi-noscript'>This onnx-inspect report needs JavaScript to show the model.</p></noscript>\n"
        f"{_BODY}\n"
        f"<script type='application/json' id='oi-data'>{json_for_script(pack_data(data))}</script>\n"
        f"<script type='application/json' id='oi-graphview-esm'>{json_for_script(esm)}</script>\n"
        f"{plotly}"
        f"<script nonce='{nonce}'>{_REPORT_JS}</script>\n"
        "</body>\n</html>\n"
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


_BODY = """<div class='oi-report' data-oi-report='loading'>
<header class='oi-report-head'><h1 class='oi-report-title'></h1><div class='oi-report-sub'></div></header>
<nav class='oi-report-nav'></nav>
<section class='oi-report-section' id='oi-graph-section'>
<div class='oi-report-bar'><label class='oi-overlay-label'>overlay <select class='oi-overlay-select'></select></label>
<span class='oi-report-hint'>Click a node for its details; double-click a group to expand it.</span></div>
<div class='oi-report-split'><div class='oi-report-graph'></div><aside class='oi-details'></aside></div>
</section>
<section class='oi-report-section' id='oi-profile-section' hidden><h2>Profile</h2><div class='oi-profile'></div></section>
<section class='oi-report-section' id='oi-runs-section' hidden><h2>Runs</h2><div class='oi-runs'></div></section>
<section class='oi-report-section' id='oi-model-section'><h2>Model</h2><div class='oi-model'></div></section>
<footer class='oi-report-foot'></footer>
</div>"""


_REPORT_CSS = """
body { margin: 0; background: #fff; color: rgba(0,0,0,.87);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.oi-report { max-width: 1800px; margin: 0 auto; padding: 0 16px 24px; }
.oi-report-head { padding: 12px 0 4px; }
.oi-report-title { font-size: 20px; margin: 0; word-break: break-all; }
.oi-report-sub, .oi-report-foot, .oi-note, .oi-report-hint { color: rgba(0,0,0,.54); }
.oi-report-nav { display: flex; gap: 14px; padding: 4px 0 8px; border-bottom: 1px solid #e0e0e0; }
.oi-report-nav a { color: #1976d2; text-decoration: none; }
.oi-report-section h2 { font-size: 16px; margin: 18px 0 8px; }
.oi-report-bar { display: flex; gap: 16px; align-items: center; padding: 8px 0; flex-wrap: wrap; }
.oi-report-split { display: grid; grid-template-columns: minmax(0, 1fr) minmax(360px, 38%); gap: 12px; }
.oi-report-graph { min-width: 0; }
.oi-details { border: 1px solid #e0e0e0; border-radius: 4px; padding: 8px 10px; height: 680px;
  overflow: auto; box-sizing: border-box; }
.oi-details h3 { font-size: 15px; margin: 2px 0 6px; word-break: break-all; }
.oi-details h4 { font-size: 13px; margin: 12px 0 4px; }
.oi-table { border-collapse: collapse; margin: 2px 0 6px; font-size: 12px; }
.oi-table th, .oi-table td { border-bottom: 1px solid #eee; padding: 2px 6px; text-align: left;
  vertical-align: top; }
.oi-table td { overflow-wrap: break-word; }
.oi-table td.oi-num { white-space: nowrap; }
.oi-table td.oi-mono, .oi-table td.oi-wrap, .oi-kv td, .oi-meta td, .oi-meta th { overflow-wrap: anywhere; }
.oi-table thead th { border-bottom: 1px solid #bbb; }
.oi-table .oi-num { text-align: right; font-variant-numeric: tabular-nums; }
.oi-default td, .oi-default th { color: rgba(0,0,0,.5); }
.oi-mono, .oi-table td.oi-mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.oi-doc { white-space: pre-wrap; background: #f7f7f7; padding: 6px; border-radius: 3px; margin: 4px 0;
  max-height: 200px; overflow: auto; }
.oi-link { background: none; border: none; padding: 0; color: #1976d2; cursor: pointer; font: inherit;
  text-align: left; white-space: normal; overflow-wrap: anywhere; }
.oi-link:hover { text-decoration: underline; }
.oi-btn-small { font: inherit; font-size: 11px; padding: 1px 6px; cursor: pointer; }
.oi-weight { border-top: 1px solid #eee; padding: 4px 0; }
.oi-hist { width: 100%; height: 260px; }
.oi-run-hist .oi-hist { width: min(900px, 90vw); }
.oi-fig { width: 100%; min-height: 300px; margin-bottom: 8px; }
.oi-warning { color: #8a5300; }
.oi-error { color: #d32f2f; }
.oi-section-note { margin: 4px 0; }
@media (max-width: 900px) { .oi-report-split { grid-template-columns: 1fr; } }
"""


# The page's own script: unpacks the oi-data JSON (see DATA_ENCODING), boots the graph bundle from a Blob URL with a small
# anywidget-model stand-in, and builds every panel with textContent/attribute setters (no innerHTML).
_REPORT_JS = r"""
(async () => {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const root = $(".oi-report");
  /** oi-data is {encoding: "deflate-raw+base64", data}: unpacked with the browser's own DecompressionStream. */
  async function readData() {
    const packed = JSON.parse(document.getElementById("oi-data").textContent);
    if (packed.encoding !== "deflate-raw+base64") throw new Error(`unknown report data encoding ${packed.encoding}`);
    if (typeof DecompressionStream === "undefined") throw new Error("this browser has no DecompressionStream; open the report in a current Chrome, Firefox, Safari or Edge");
    const bin = atob(packed.data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return JSON.parse(await new Response(stream).text());
  }
  let data;
  try {
    data = await readData();
  } catch (err) {
    const p = document.createElement("p");
    p.className = "oi-error";
    p.textContent = `This report's data could not be read: ${err && err.message ? err.message : err}`;
    root.prepend(p);
    root.setAttribute("data-oi-report", "error");
    return;
  }

  function h(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return String(v);
      if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString("en-US");
      const a = Math.abs(v);
      if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
      return String(Number(v.toPrecision(4)));
    }
    return String(v);
  }
  function fmtBytes(n) {
    if (n === null || n === undefined) return "?";
    const units = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
  }
  function pct(v) { return v === null || v === undefined ? "" : `${(100 * v).toFixed(1)}%`; }
  /** A table; a cell is text, a number (right-aligned), a DOM node, or {text, cls}. */
  function table(head, rows, cls) {
    const t = h("table", `oi-table ${cls || ""}`);
    if (head) {
      const tr = h("tr");
      for (const c of head) tr.appendChild(h("th", "", c));
      t.appendChild(h("thead")).appendChild(tr);
    }
    const body = t.appendChild(h("tbody"));
    for (const row of rows) {
      const tr = body.appendChild(h("tr", row.cls || ""));
      (row.cells || row).forEach((c, k) => {
        const td = h(k === 0 && row.th ? "th" : "td");
        if (c instanceof Node) td.appendChild(c);
        else if (c && typeof c === "object") { td.textContent = c.text === undefined ? "" : String(c.text); if (c.cls) td.className = c.cls; }
        else if (typeof c === "number") { td.textContent = fmt(c); td.className = "oi-num"; }
        else td.textContent = c === null || c === undefined ? "" : String(c);
        tr.appendChild(td);
      });
    }
    return t;
  }
  function kv(pairs) {
    const shown = pairs.filter((p) => p[1] !== null && p[1] !== undefined && p[1] !== "");
    return table(null, shown.map((p) => ({ th: true, cells: [p[0], { text: fmt(p[1]) }] })), "oi-kv");
  }

  // ---- the graph: bundle from a Blob URL, driven by a minimal anywidget model ----
  function makeModel(state) {
    const listeners = new Map();
    return {
      get: (k) => state[k],
      set(k, v) {
        const old = state[k];
        state[k] = v;
        if (old !== v) for (const cb of [...(listeners.get(`change:${k}`) || [])]) cb();
      },
      on(ev, cb) { if (!listeners.has(ev)) listeners.set(ev, []); listeners.get(ev).push(cb); },
      off(ev, cb) { const l = listeners.get(ev); if (l && cb) l.splice(l.indexOf(cb) >>> 0, 1); else listeners.delete(ev); },
      save_changes() {},
      send() {},
    };
  }
  const overlays = data.overlays || {};
  const model = makeModel({
    _payload: data.payload,
    selected: data.selected || [],
    overlay: data.overlay && overlays[data.overlay] ? overlays[data.overlay] : {},
    height: "680px",
  });
  const select = (ids) => model.set("selected", ids);

  async function bootGraph() {
    const host = $(".oi-report-graph");
    try {
      const src = JSON.parse(document.getElementById("oi-graphview-esm").textContent);
      const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
      const mod = await import(url);
      mod.default.render({ model, el: host });
    } catch (err) {
      const box = h("div", "oi-graph oi-error", `onnx-inspect graph view could not start: ${err}`);
      box.setAttribute("data-oi-state", "error");
      host.appendChild(box);
    }
  }

  // ---- overlay switch ----
  function setupOverlay() {
    const sel = $(".oi-overlay-select");
    const keys = Object.keys(overlays);
    if (keys.length === 0) { $(".oi-overlay-label").hidden = true; return; }
    sel.appendChild(new Option("none", "none"));
    for (const k of keys) sel.appendChild(new Option(overlays[k].menu || overlays[k].label || k, k));
    sel.value = data.overlay && overlays[data.overlay] ? data.overlay : "none";
    sel.addEventListener("change", () => { model.set("overlay", overlays[sel.value] || {}); });
  }

  // ---- plots ----
  const plotConfig = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };
  function histPlot(el, hist) {
    if (!window.Plotly) { el.textContent = "plotly is not included in this report"; return; }
    let trace, xaxis = { title: { text: "value" } };
    if (hist.labels) {  // bool (false/true) or the most frequent strings: one bar each
      // plotly reads a subset of HTML in tick and hover text: model strings go in as entities
      const esc = (t) => String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
      trace = { type: "bar", x: hist.labels.map(esc), y: hist.counts, hovertemplate: "%{x}: %{y}<extra></extra>" };
      xaxis = { type: "category", title: { text: "value" } };
    } else if (hist.edges.length === 2 && hist.edges[0] === hist.edges[1]) {  // a constant: one labelled bar
      trace = { type: "bar", x: [fmt(hist.edges[0])], y: hist.counts, hovertemplate: "%{x}: %{y}<extra></extra>" };
      xaxis = { type: "category", title: { text: "value" } };
    } else {
      const e = hist.edges, x = [], w = [], cd = [];
      for (let i = 0; i + 1 < e.length; i++) { x.push(e[i] / 2 + e[i + 1] / 2); w.push(e[i + 1] - e[i]); cd.push([e[i], e[i + 1]]); }
      trace = { type: "bar", x, y: hist.counts, width: w, marker: { line: { width: 0 } }, customdata: cd,
        hovertemplate: "[%{customdata[0]:.4g}, %{customdata[1]:.4g}): %{y}<extra></extra>" };
    }
    if (hist.magnitude) xaxis.title.text = "|z|";
    window.Plotly.newPlot(el, [trace], {
      bargap: xaxis.type === "category" ? 0.2 : 0, height: 260, margin: { l: 50, r: 10, t: 10, b: 40 }, template: "plotly_white",
      xaxis, yaxis: { title: { text: hist.sampled ? "count (sample)" : "count" } },
    }, plotConfig);
  }
  function histToggle(hist) {
    const wrap = h("div");
    if (!hist) { wrap.appendChild(h("span", "oi-note", "no finite values to plot")); return wrap; }
    const btn = h("button", "oi-btn-small oi-hist-btn", "histogram");
    btn.type = "button";
    const plot = h("div", "oi-hist");
    plot.hidden = true;
    btn.addEventListener("click", () => {
      plot.hidden = !plot.hidden;
      if (!plot.hidden && !plot.dataset.drawn) { plot.dataset.drawn = "1"; histPlot(plot, hist); }
    });
    wrap.append(btn, plot);
    return wrap;
  }
  /** A number cell; integers too big for a JS number arrive as exact text. */
  function numCell(v) { return typeof v === "string" ? { text: v, cls: "oi-num" } : v; }
  function statsTable(s, hist) {
    if (s.family === "bool" && hist && hist.labels) return table(hist.labels, [hist.counts], "oi-stats");
    if (s.family === "string") {
      const t = table(["values", "distinct"], [[s.size, s.unique]], "oi-stats");
      if (!hist || !hist.labels) return t;
      const wrap = h("div");
      wrap.append(t, table(["value", "count"], hist.labels.map((l, k) => [{ text: l, cls: "oi-mono" }, hist.counts[k]]), "oi-top"));
      return wrap;
    }
    if (s.family === "other" || !s.size) return h("span");
    return table(["min", "max", "mean", "std", "NaN", "Inf", "zeros"],
      [[numCell(s.min), numCell(s.max), s.mean, s.std, s.nan, s.inf, { text: pct(s.zero_fraction), cls: "oi-num" }]], "oi-stats");
  }
  function headText(vals) { return vals && vals.length ? `first values: ${vals.map(fmt).join(", ")}` : ""; }
  function tensorBlock(title, rec, facts) {
    const box = h("div", "oi-weight");
    box.appendChild(h("div", "oi-mono", title));
    if (facts) box.appendChild(h("div", "oi-note", facts));
    if (rec.error) { box.appendChild(h("div", "oi-error", rec.error)); return box; }
    if (rec.stats) {
      box.appendChild(statsTable(rec.stats, rec.hist));
      if (rec.stats.note) box.appendChild(h("div", "oi-note oi-stats-note", rec.stats.note));
      const ht = headText(rec.head);
      if (ht) box.appendChild(h("div", "oi-note oi-mono", ht));
      box.appendChild(histToggle(rec.hist));
    }
    return box;
  }

  // ---- node details ----
  const details = $(".oi-details");
  const runIndex = (data.runs || []).map((r) => {
    const m = new Map();
    for (const t of r.tensors) { m.set(t.name, t); if (t.tid) m.set(t.tid, t); }
    return m;
  });
  function nodeLink(id) {
    if (!data.nodes[id]) return h("span", "oi-mono", id);
    const b = h("button", "oi-link oi-mono", id);
    b.type = "button";
    b.title = "select this node";
    b.addEventListener("click", () => select([id]));
    return b;
  }
  function linkList(ids) {
    const span = h("span");
    (ids || []).forEach((id, k) => { if (k) span.appendChild(document.createTextNode(", ")); span.appendChild(nodeLink(id)); });
    return span;
  }
  function ioTable(rows, which) {
    return table(["slot", "name", "dtype", "shape", "kind", which === "ins" ? "producer" : "consumers"],
      rows.map((r) => [r[0], { text: r[1] || "(omitted)", cls: "oi-mono" }, r[3], { text: r[4] + (r[5] && r[5] !== "declared" ? ` (${r[5]})` : ""), cls: "oi-wrap" }, r[6],
        which === "ins" ? (r[7] ? nodeLink(r[7]) : "") : linkList(r[7])]), `oi-io oi-${which}`);
  }
  function showDetails() {
    const ids = model.get("selected") || [];
    details.replaceChildren();
    if (ids.length === 0) {
      details.appendChild(h("p", "oi-note", "Click a node in the graph to see its attributes, inputs, outputs and weights."));
      return;
    }
    const id = ids[0];
    const n = data.nodes[id];
    if (!n) { details.appendChild(h("p", "oi-error", `unknown node ${id}`)); return; }
    details.setAttribute("data-node-id", id);
    const title = h("h3", "oi-node-title", n.op);
    if (ids.length > 1) title.appendChild(h("span", "oi-note", ` (+${ids.length - 1} more selected)`));
    details.appendChild(title);
    details.appendChild(kv([["id", id], ["name", n.name || "(unnamed)"], ["domain", `${n.domain}${n.opset ? ` (opset ${n.opset})` : ""}`],
      ["graph", n.graph], ["scope", n.scope || "(top)"], ["profiler name", n.ort !== id ? n.ort : ""],
      ["bodies", n.bodies.join(", ")]]));
    if (n.doc) details.appendChild(h("div", "oi-doc", n.doc));
    if (n.meta.length) details.appendChild(table(["metadata", "value"], n.meta.map((p) => ({ th: true, cells: p })), "oi-meta"));
    const prof = data.profile && data.profile.nodes[id];
    if (prof) {
      details.appendChild(h("h4", "", "Profile"));
      details.appendChild(kv([["mean", `${fmt(prof.mean_us)} us/run`], ["p50 / p90", `${fmt(prof.p50_us)} / ${fmt(prof.p90_us)} us`],
        ["share", pct(prof.share)], ["calls per run", fmt(prof.calls)], ["provider", prof.provider], ["kernel", prof.kernel],
        ["fused with", prof.fused_with.join(", ")]]));
    } else if (data.profile) {
      details.appendChild(h("p", "oi-note", "No profiled kernel time on this node (fused into another, or not run)."));
    }
    details.appendChild(h("h4", "", "Attributes"));
    if (n.attrs.length) {
      details.appendChild(table(["attribute", "type", "value"], n.attrs.map((a) => ({
        th: true, cls: a[3] === "set" ? "" : "oi-default",
        cells: [a[0], a[1], { text: a[3] === "default" ? `${a[2]} (default)` : a[2], cls: "oi-mono" }],
      })), "oi-attrs"));
    } else details.appendChild(h("p", "oi-note", "no attributes"));
    details.appendChild(h("h4", "", "Inputs"));
    details.appendChild(ioTable(n.ins, "ins"));
    details.appendChild(h("h4", "", "Outputs"));
    details.appendChild(ioTable(n.outs, "outs"));
    if (n.w.length) {
      details.appendChild(h("h4", "", "Weights"));
      for (const tid of n.w) {
        const w = data.weights[tid];
        if (!w) continue;
        const facts = `${w.dtype}[${w.shape}], ${fmtBytes(w.nbytes)}, ${w.where}`;
        const block = tensorBlock(w.name, w, facts);
        block.setAttribute("data-tensor-id", tid);
        details.appendChild(block);
      }
      if (!data.weights_read) details.appendChild(h("p", "oi-note", "Weight values were left out of this report (weights=False)."));
    }
    const runRows = [];
    (data.runs || []).forEach((r, k) => {
      for (const o of n.outs) {
        const t = o[2] && (runIndex[k].get(o[2]) || runIndex[k].get(o[1]));
        if (t) runRows.push([r.label, t]);
      }
    });
    if (runRows.length) {
      details.appendChild(h("h4", "", "Values from runs"));
      for (const [label, t] of runRows) {
        details.appendChild(tensorBlock(`${t.name} (${label})`, t, `${t.stats.dtype}[${t.stats.shape.join("×")}]`));
      }
    }
  }

  // ---- profile, runs and model sections ----
  function renderProfile() {
    const p = data.profile;
    if (!p) return;
    const sec = $("#oi-profile-section");
    sec.hidden = false;
    const box = $(".oi-profile");
    const s = p.summary;
    box.appendChild(kv([["runs", fmt(s.runs)], ["mean run", `${fmt(s.mean_run_us)} us`], ["kernel time per run", `${fmt(s.mean_kernel_us)} us`],
      ["on model nodes", pct(s.coverage)], ["providers", s.providers.join(", ")], ["optimization", s.optimization], ["source", s.source]]));
    if (p.unmatched_nodes) box.appendChild(h("p", "oi-warning", `${p.unmatched_nodes} profiled node id(s) are not nodes of this model and are left out.`));
    for (const w of p.warnings) box.appendChild(h("p", "oi-warning", w));
    for (const f of p.figures) {
      const div = h("div", `oi-fig oi-fig-${f.id}`);
      box.appendChild(div);
      if (window.Plotly) window.Plotly.newPlot(div, f.fig.data || [], f.fig.layout || {}, plotConfig);
    }
  }
  function renderRuns() {
    if (!data.runs || !data.runs.length) return;
    $("#oi-runs-section").hidden = false;
    const box = $(".oi-runs");
    const head = ["tensor", "producer", "dtype", "shape", "min", "max", "mean", "std", "NaN", "Inf", "zeros", ""];
    for (const r of data.runs) {
      box.appendChild(h("h3", "", r.label));
      const rows = r.tensors.map((t) => {
        const s = t.stats;
        return [{ text: t.name, cls: "oi-mono" }, t.producer ? nodeLink(t.producer) : "", s.dtype,
          (s.shape.join("×") || "scalar") + (s.note ? ` (${s.note})` : ""),
          numCell(s.min), numCell(s.max), s.mean, s.std, s.nan, s.inf, { text: pct(s.zero_fraction), cls: "oi-num" }, ""];
      });
      const tbl = table(head, rows, "oi-run");
      tbl.querySelectorAll("tbody tr").forEach((tr, k) => {
        const hist = r.tensors[k].hist;
        const cell = tr.lastElementChild;
        if (!hist) { cell.appendChild(h("span", "oi-note", "no finite values")); return; }
        const btn = cell.appendChild(h("button", "oi-btn-small oi-hist-btn", "histogram"));
        btn.type = "button";
        let extra = null;
        btn.addEventListener("click", () => {
          if (extra) { extra.hidden = !extra.hidden; return; }
          extra = h("tr", "oi-run-hist");
          const td = extra.appendChild(h("td"));
          td.colSpan = head.length;
          const plot = td.appendChild(h("div", "oi-hist"));
          tr.after(extra);
          histPlot(plot, hist);
        });
      });
      box.appendChild(tbl);
    }
  }
  function renderModel() {
    const s = data.summary;
    const box = $(".oi-model");
    box.appendChild(kv([["file", s.file || "(in-memory model)"], ["producer", s.producer || "?"], ["IR version", s.ir_version],
      ["opsets", s.opsets.map((o) => `${o[0]} ${o[1]}`).join(", ")], ["graph", s.graph_name], ["domain", s.domain],
      ["model version", s.model_version || ""],
      ["nodes", `${fmt(s.n_nodes)} in the main graph, ${fmt(s.n_nodes_total)} in all`],
      ["bodies / functions", s.n_subgraphs || s.n_functions ? `${s.n_subgraphs} / ${s.n_functions}` : ""],
      ["parameters", `${fmt(s.n_params)} (${fmtBytes(s.param_bytes)})`]]));
    if (s.doc_string) box.appendChild(h("div", "oi-doc", s.doc_string));
    for (const w of s.warnings) box.appendChild(h("p", "oi-warning", w));
    if (s.metadata.length) { box.appendChild(h("h3", "", "Metadata")); box.appendChild(table(["key", "value"], s.metadata.map((p) => ({ th: true, cells: p })), "oi-meta")); }
    box.appendChild(h("h3", "", "Inputs and outputs"));
    box.appendChild(table(["kind", "name", "dtype", "shape"], [...s.inputs.map((r) => ["input", ...r]), ...s.outputs.map((r) => ["output", ...r])], "oi-model-io"));
    box.appendChild(h("h3", "", "Op types"));
    box.appendChild(table(["op type", "count"], s.op_types, "oi-ops"));
  }
  function renderChrome() {
    $(".oi-report-title").textContent = data.title;
    const s = data.summary;
    $(".oi-report-sub").textContent = `${fmt(s.n_nodes_total)} nodes · ${fmt(s.n_params)} parameters · ${data.generator} · ${data.created}`;
    const nav = $(".oi-report-nav");
    const links = [["#oi-graph-section", "Graph"], ["#oi-profile-section", "Profile", !!data.profile], ["#oi-runs-section", "Runs", (data.runs || []).length > 0], ["#oi-model-section", "Model"]];
    for (const [href, text, on] of links) {
      if (on === false) continue;
      const a = h("a", "", text);
      a.setAttribute("href", href);
      nav.appendChild(a);
    }
    $(".oi-report-foot").textContent = "Self-contained report: it makes no network requests.";
  }

  renderChrome();
  setupOverlay();
  model.on("change:selected", showDetails);
  showDetails();
  renderModel();
  renderRuns();
  renderProfile();
  bootGraph().finally(() => root.setAttribute("data-oi-report", "ready"));
})();
"""


__all__ = [
    "content_security_policy",
    "expand_records",
    "json_for_script",
    "normalise_runs",
    "pack_data",
    "profile_record",
    "report",
    "report_data",
    "report_html",
    "report_records",
    "runs_record",
    "unpack_data",
]
