"""The first-view rule (DESIGN.md) on the real-model corpus, measured in Chromium from the DOM.

Before any click, the graph view shows the graph's entry at a legible scale: at least 6 boxes or
group headers fully inside the pane (none under the minimap), each box >= 16 px tall, its title
text >= 10 px as rendered; Fit keeps that; a graph not all in view has an overview (the minimap).
Checked on every corpus model (``tests.corpus.corpus_models()``) in a 560 px pane and a 1400 px one,
light and dark, for the graph view's front end (the code the GraphView, the Inspector's pane and
reports share), and in real reports of a few models (the report's pane is the same view at other
widths; tests/browser/test_graphview_browser.py and test_inspector_browser.py check it in JupyterLab).

One Chromium and one local page server for the module, one page per pane width: each model's
payload is mounted into the same page in turn, and the dark theme is JupyterLab's switch (the
``data-jp-theme-light`` attribute and the theme's variables on <body>) over the same layout.

With ``OI_GALLERY_DIR`` set, a JPEG of every first view and an index page are written there
(``OI_GALLERY_DIR=docs/gallery`` regenerates the README's gallery).
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.corpus import CorpusModel, corpus_models

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "onnx_inspect" / "static"
READY = "#host .oi-graph[data-oi-state=ready]"
MIN_BOXES = 6
MIN_BOX_PX = 16
MIN_TEXT_PX = 10
PANES = {"narrow": 560, "wide": 1400}
PANE_H = 600
# JupyterLab's dark theme values for the variables the graph view reads
DARK = {
    "--jp-layout-color0": "#111111",
    "--jp-layout-color1": "#212121",
    "--jp-layout-color2": "#424242",
    "--jp-ui-font-color1": "rgba(255, 255, 255, 0.87)",
    "--jp-ui-font-color2": "rgba(255, 255, 255, 0.54)",
    "--jp-border-color1": "#616161",
    "--jp-border-color2": "#424242",
    "--jp-brand-color1": "#64b5f6",
}
MODELS: dict[str, CorpusModel] = {cm.name: cm for cm in corpus_models()}
# the report's graph pane is the same view at other widths, in a page with a details panel beside
# (wide) or below (narrow): checked on a transformer from each torch exporter, a YOLO, an OCR
# detector, a CNN whose weights are plumbing and a model with If
REPORT_MODELS = [
    n
    for n in (
        "bert_mlm_torchscript",
        "gpt2_lm_dynamo",
        "yolov8n_nudenet_320",
        "paddleocr_det_v4",
        "light_resnet50",
        "silero_vad_v6",
    )
    if n in MODELS
]


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", s).strip("-")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


_PANE_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="graphview.css"><style>
body {{ margin: 0; padding: 10px; background: #ffffff; }}
body[data-jp-theme-light="false"] {{ background: #111111; {dark} }}
#host {{ width: {width}px; }}
</style></head><body data-jp-theme-light="true"><div id="host"></div>
<script type="module">
import {{ mount }} from "./graphview.js";
const host = document.getElementById("host");
let current = null;
let cleanup = null;
// mount the payload at `url` in place of the view shown so far
window.__show = async (url) => {{
  if (current) current.view.destroy();
  if (cleanup) cleanup();
  current = null; cleanup = null;
  host.replaceChildren();
  const text = await (await fetch(url)).text();
  current = mount(host, text, {{ height: "{height}px" }});
}};
// render the wire form at `url` as JupyterLab does (the widget's render, with a model holding the bytes):
// the layout workers inflate it and build the group tree
window.__showWire = async (url) => {{
  if (current) current.view.destroy();
  if (cleanup) cleanup();
  current = null; cleanup = null;
  host.replaceChildren();
  const buf = await (await fetch(url)).arrayBuffer();
  const values = {{ _payload: new DataView(buf), selected: [], overlay: {{}}, height: "{height}px", _want_snapshot: false }};
  const model = {{ get: (k) => values[k], on() {{}}, off() {{}}, set() {{}}, save_changes() {{}}, send() {{}} }};
  const mod = await import("./graphview.js");
  cleanup = await mod.default.render({{ model, el: host }});
}};
window.__theme = (dark) => document.body.setAttribute("data-jp-theme-light", dark ? "false" : "true");
window.__loaded = true;
</script></body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A local page server for the module: the built front end, one page per pane width, payloads."""
    root = tmp_path_factory.mktemp("first-view-site")
    for f in ("graphview.js", "graphview.css"):
        shutil.copy(STATIC / f, root / f)
    dark = " ".join(f"{k}: {v};" for k, v in DARK.items())
    for pane, width in PANES.items():
        (root / f"pane-{pane}.html").write_text(
            _PANE_PAGE.format(width=width, height=PANE_H, dark=dark), encoding="utf-8"
        )
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(chromium_browser: Any) -> Any:
    """The session's headless Chromium (no JupyterLab: the view is mounted on plain pages). Playwright's
    sync API allows one driver per process, so this module shares conftest's."""
    return chromium_browser


class _Pane:
    """A page holding one pane width, into which models are mounted one after another."""

    def __init__(self, browser: Any, base: str, pane: str) -> None:
        self.width = PANES[pane]
        self.page = browser.new_page(viewport={"width": self.width + 20, "height": PANE_H + 80})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(f"{base}/pane-{pane}.html")
        self.page.wait_for_function("window.__loaded === true")

    def show(self, payload: str, dark: bool = False) -> None:
        self.errors.clear()
        self.page.evaluate("(dark) => window.__theme(dark)", dark)
        self.page.evaluate("(url) => window.__show(url)", payload)
        self.page.locator(READY).wait_for(timeout=60_000)

    def show_wire(self, payload: str) -> None:
        self.errors.clear()
        self.page.evaluate("(url) => window.__showWire(url)", payload)
        self.page.locator(READY).wait_for(timeout=60_000)

    def theme(self, dark: bool) -> None:
        self.page.evaluate("(dark) => window.__theme(dark)", dark)


@pytest.fixture(scope="module")
def panes(browser: Any, site: tuple[str, Path]) -> Iterator[dict[str, _Pane]]:
    out = {pane: _Pane(browser, site[0], pane) for pane in PANES}
    try:
        yield out
    finally:
        for p in out.values():
            p.page.close()


@pytest.fixture(scope="module")
def gallery() -> Iterator[dict[str, Any] | None]:
    """The gallery ($OI_GALLERY_DIR): its folder and the legible-box counts, written at the end."""
    raw = os.environ.get("OI_GALLERY_DIR")
    if not raw:
        yield None
        return
    out = Path(raw)
    out.mkdir(parents=True, exist_ok=True)
    g: dict[str, Any] = {"dir": out, "counts": {}}
    yield g
    f = out / "counts.json"
    old = json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}
    for name, c in g["counts"].items():
        old.setdefault(name, {}).update(c)
    f.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _write_index(out)


COLUMNS = [
    "graphview-narrow-light",
    "graphview-narrow-dark",
    "graphview-wide-light",
    "graphview-wide-dark",
    "report-narrow-light",
]


def _write_index(out: Path) -> None:
    rows: dict[str, dict[str, str]] = {}
    for p in sorted(out.glob("*.jpg")):
        m = re.fullmatch(r"(.+)-(graphview|report)-(narrow|wide)-(light|dark)", p.stem)
        if m:
            rows.setdefault(m[1], {})[f"{m[2]}-{m[3]}-{m[4]}"] = p.name
    f = out / "counts.json"
    counts = json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}
    lines = [
        "# First-view gallery",
        "",
        "What each model of the real-model corpus (`tests/corpus/manifest.yaml`) shows before any click, in a",
        "560 px pane (narrow) and a 1400 px one (wide), light and dark; for a few models, also a real report",
        "in a 592 px window. Written by `OI_GALLERY_DIR=docs/gallery pytest tests/browser/test_first_view_browser.py`;",
        "the same test asserts the first-view rule of DESIGN.md on every picture. Under each picture: the",
        "boxes and group headers fully inside the pane and legible (>= 16 px tall, text >= 10 px), of all drawn.",
        "",
        "| model | exporter | " + " | ".join(c.replace("-", " ") for c in COLUMNS) + " |",
        "| --- | --- | " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    for name, shots in sorted(rows.items()):
        cells = []
        for c in COLUMNS:
            if c not in shots:
                cells.append("")
                continue
            n = counts.get(name, {}).get(c)
            note = f"<br>{n[0]} of {n[1]} legible" if n else ""
            cells.append(f"[<img src='{html.escape(shots[c])}' width='160'>]({html.escape(shots[c])}){note}")
        cm = MODELS.get(name)
        exporter = html.escape(cm.exporter) if cm is not None else ""
        lines.append(f"| {html.escape(name)} | {exporter} | " + " | ".join(cells) + " |")
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def payloads() -> dict[str, str]:
    """Payload files written to the page server so far: model name -> URL path."""
    return {}


def _payload_url(name: str, path: Path, cache: dict[str, str], root: Path) -> str:
    """The graph payload of a model as a JSON file on the page server (built once per model)."""
    if name not in cache:
        import onnx_inspect as oi
        from onnx_inspect.views.graph_payload import graph_payload

        out = root / f"{_slug(name)}.json"
        out.write_text(
            json.dumps(graph_payload(oi.load(path)), separators=(",", ":"), ensure_ascii=False),
            encoding="utf-8",
        )
        cache[name] = out.name
    return cache[name]


# Measured in the page: boxes and open-group headers fully inside the canvas and not under the
# minimap, with their rendered height and title font size (computed size x the view's scale).
_MEASURE = """(graph) => {
  const canvas = graph.querySelector('.oi-canvas').getBoundingClientRect();
  const mm = graph.querySelector('.oi-minimap');
  const mr = mm && !mm.hidden ? mm.getBoundingClientRect() : null;
  const vp = graph.querySelector('.oi-viewport');
  const k = vp.getCTM().a;
  const items = [
    ...[...graph.querySelectorAll('[data-node-id], [data-group-id]')].map((e) => [e, e.querySelector('.oi-box'), e.querySelector('.oi-title')]),
    ...[...graph.querySelectorAll('[data-expanded-group-id]')].map((e) => [e, e.querySelector('.oi-frame-head-bg'), e.querySelector('.oi-frame-title')]),
  ];
  const inside = [];
  for (const [e, box, title] of items) {
    const r = box.getBoundingClientRect();
    if (r.left < canvas.left - 0.5 || r.right > canvas.right + 0.5 || r.top < canvas.top - 0.5 || r.bottom > canvas.bottom + 0.5) continue;
    if (mr && r.left < mr.right && r.right > mr.left && r.top < mr.bottom && r.bottom > mr.top) continue;
    inside.push({
      id: e.getAttribute('data-node-id') ?? e.getAttribute('data-group-id') ?? e.getAttribute('data-expanded-group-id'),
      op: title ? title.textContent : '',
      h: r.height,
      font: parseFloat(getComputedStyle(title).fontSize) * k,
    });
  }
  return { inside, total: items.length, k, minimap: !!mr, canvasW: canvas.width, canvasH: canvas.height };
}"""


def _check(m: dict[str, Any], where: str) -> None:
    need = min(MIN_BOXES, m["total"])
    assert len(m["inside"]) >= need, (
        f"{where}: {len(m['inside'])} of {m['total']} boxes fully inside the "
        f"{m['canvasW']:.0f}x{m['canvasH']:.0f} pane at scale {m['k']:.2f} (want >= {need})"
    )
    small = [b for b in m["inside"] if b["h"] < MIN_BOX_PX - 0.01 or b["font"] < MIN_TEXT_PX - 0.01]
    assert not small, (
        f"{where}: boxes too small to read (want >= {MIN_BOX_PX} px tall, text >= {MIN_TEXT_PX} px): {small[:3]}"
    )
    # what is not all in view has an overview to navigate
    assert m["minimap"] or len(m["inside"]) == m["total"], f"{where}: graph not all in view and no minimap"


def _measure(page: Any, selector: str = READY) -> dict[str, Any]:
    graph = page.locator(selector)
    graph.wait_for(timeout=60_000)
    return graph.evaluate(_MEASURE)


def _record(gallery: dict[str, Any] | None, name: str, variant: str, m: dict[str, Any]) -> None:
    """Note the number of legible boxes of a first view for the gallery's index."""
    if gallery is not None:
        gallery["counts"].setdefault(name, {})[variant] = [len(m["inside"]), m["total"]]


def _shot(page: Any, locator: str, gallery: dict[str, Any] | None, name: str) -> None:
    if gallery is None:
        return
    page.mouse.move(1, 1)
    page.locator(locator).screenshot(
        path=str(gallery["dir"] / f"{_slug(name)}.jpg"), type="jpeg", quality=50, animations="disabled"
    )


@pytest.mark.parametrize("pane", list(PANES))
@pytest.mark.parametrize("name", list(MODELS))
def test_graph_view_first_view(panes, site, gallery, payloads, name: str, pane: str) -> None:
    url = _payload_url(name, MODELS[name].path, payloads, site[1])
    p = panes[pane]
    p.show(url)
    where = f"{name} graph view, {pane} ({p.width} px)"
    first = _measure(p.page)
    _record(gallery, name, f"graphview-{pane}-light", first)
    _shot(p.page, READY, gallery, f"{name}-graphview-{pane}-light")
    _check(first, f"{where}, light")
    kind = MODELS[name].kind
    if "transformer" in kind and "int-input" in kind:
        # a language model opens on its embeddings or first layer, not on size plumbing
        ops = [b["op"] for b in first["inside"]]
        layers = {"Gather", "LayerNormalization", "MatMul", "Gemm"}
        assert layers & set(ops) and not {"Shape", "Range"} & set(ops), f"{where}: first view shows {ops}"
    # JupyterLab's theme switch: same layout, dark colours (the minimap repaints)
    p.theme(True)
    dark = _measure(p.page)
    _record(gallery, name, f"graphview-{pane}-dark", dark)
    _shot(p.page, READY, gallery, f"{name}-graphview-{pane}-dark")
    _check(dark, f"{where}, dark")
    p.theme(False)
    p.page.click(".oi-fit")
    _check(_measure(p.page), f"{where}, after Fit")
    assert not p.errors, f"{where}: page errors {p.errors}"


# models whose wire form is also rendered: dynamo scopes, If bodies, a YOLO, a TorchScript Loop
WIRE_MODELS = [
    n
    for n in ("gpt2_lm_dynamo", "silero_vad_16k_op15", "yolov8n_nudenet_320", "scripted_loop")
    if n in MODELS
]


@pytest.mark.parametrize("name", WIRE_MODELS)
def test_wire_form_first_view_is_the_json_one(panes, site, payloads, name: str) -> None:
    """What JupyterLab receives (the compressed wire form, unpacked by the layout workers) draws the same
    first view as the JSON payload reports embed: same boxes, titles and sizes."""
    import onnx_inspect as oi
    from onnx_inspect.views.graph_payload import graph_columns, payload_bytes

    p = panes["narrow"]
    p.show(_payload_url(name, MODELS[name].path, payloads, site[1]))
    from_json = _measure(p.page)
    wire = site[1] / f"{_slug(name)}.wire"
    wire.write_bytes(payload_bytes(graph_columns(oi.load(MODELS[name].path))))
    p.show_wire(wire.name)
    from_wire = _measure(p.page)
    assert not p.errors, f"{name}: page errors {p.errors}"
    assert from_wire["total"] == from_json["total"] > 0
    assert from_wire["inside"] == from_json["inside"], (
        f"{name}: the wire form's first view differs from the JSON one"
    )
    p.show(
        _payload_url(name, MODELS[name].path, payloads, site[1])
    )  # leave the pane as the other tests expect


@pytest.fixture(scope="module")
def report_pages(browser: Any) -> Iterator[dict[str, Any]]:
    """One page per report window width, navigated from report to report."""
    # a 560 px pane: the page stacks graph over details below 900 px; a wide window splits them
    widths = {"narrow": PANES["narrow"] + 32, "wide": PANES["wide"]}
    out = {pane: browser.new_page(viewport={"width": w, "height": 900}) for pane, w in widths.items()}
    try:
        yield out
    finally:
        for page in out.values():
            page.close()


@pytest.mark.parametrize("pane", list(PANES))
@pytest.mark.parametrize("name", REPORT_MODELS)
def test_report_first_view(report_pages, gallery, tmp_path_factory, name: str, pane: str) -> None:
    import onnx_inspect as oi

    out = tmp_path_factory.mktemp("report") / f"{_slug(name)}.html"
    # the graph pane does not depend on weights: weights=False keeps the report quick to write
    oi.report(oi.load(MODELS[name].path), out, weights=False)
    page = report_pages[pane]
    errors: list[str] = []

    def on_error(e: Any) -> None:
        errors.append(str(e))

    page.on("pageerror", on_error)
    try:
        page.goto(out.as_uri())
        where = f"{name} report, {pane} window ({page.viewport_size['width']} px)"
        first = _measure(page, ".oi-report-graph .oi-graph[data-oi-state=ready]")
        _record(gallery, name, f"report-{pane}-light", first)
        if pane == "narrow":
            _shot(page, ".oi-report-graph .oi-graph", gallery, f"{name}-report-{pane}-light")
        _check(first, where)
        assert not errors, f"{where}: page errors {errors}"
    finally:
        page.remove_listener("pageerror", on_error)


def _open(browser: Any, site: tuple[str, Path], payload: str) -> Any:
    """A fresh page with the graph view of `payload` (a file on the page server) in a 560 px pane."""
    pane = _Pane(browser, site[0], "narrow")
    pane.show(payload)
    return pane.page


def test_if_node_offers_both_branches(browser, site) -> None:
    from playwright.sync_api import expect

    import onnx_inspect as oi
    from onnx_inspect import testing as T
    from onnx_inspect.views.graph_payload import graph_payload

    payload = site[1] / "control_flow.json"
    payload.write_text(json.dumps(graph_payload(oi.load(T.control_flow()))), encoding="utf-8")
    page = _open(browser, site, payload.name)
    try:
        page.locator("[data-node-id='branch']").dblclick()
        menu = page.locator(".oi-body-menu")
        expect(menu).to_be_visible()
        choices = menu.locator(".oi-body-choice")
        assert sorted(choices.all_inner_texts()) == ["else_branch", "then_branch"]
        menu.locator("[data-graph='branch::else_branch']").click()
        expect(menu).to_be_hidden()
        page.locator("[data-node-id='branch::else_branch::else_mul']").wait_for()
        expect(page.locator(".oi-crumb[data-graph='branch::else_branch']")).to_be_visible()
        # back, and the then branch from the same menu
        page.locator(".oi-crumb[data-graph='']").click()
        page.locator("[data-node-id='branch']").dblclick()
        page.locator(".oi-body-menu [data-graph='branch::then_branch']").click()
        page.locator("[data-node-id='branch::then_branch::loop']").wait_for()
    finally:
        page.close()


def test_plumbing_toggle_and_minimap(browser, site, payloads, resnet50: Path) -> None:
    """ResNet50's weights are ConstantOfShape nodes: listed inside the boxes, drawn on demand; the
    minimap moves the view."""
    from playwright.sync_api import expect

    page = _open(browser, site, _payload_url("resnet50", resnet50, payloads, site[1]))
    try:
        graph = page.locator(READY)
        ops = "els => els.map((e) => e.querySelector('.oi-title').textContent)"
        before = graph.locator("[data-node-id]").evaluate_all(ops)
        assert before and "ConstantOfShape" not in before
        # the first Conv lists its weight inside its box
        assert graph.locator("[data-node-id] .oi-weight").count() > 0
        toggle = page.locator("button.oi-plumbing")
        expect(toggle).to_have_text(re.compile(r"\+\d+ params"))
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        graph = page.locator(READY)
        graph.wait_for()
        expect(graph.locator("[data-node-id] .oi-title", has_text="ConstantOfShape").first).to_be_attached()
        _check(graph.evaluate(_MEASURE), "resnet50 with plumbing shown")
        toggle.click()
        page.locator(READY).wait_for()
        expect(page.locator("[data-node-id] .oi-title", has_text="ConstantOfShape")).to_have_count(0)
        # the overview: a click low in the minimap moves the view down the graph
        mm = page.locator(".oi-minimap")
        expect(mm).to_be_visible()
        vp = page.locator(".oi-viewport")
        t0 = vp.get_attribute("transform")
        box = mm.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.9)
        assert vp.get_attribute("transform") != t0
    finally:
        page.close()
