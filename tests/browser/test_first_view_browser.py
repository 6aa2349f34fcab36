"""The first-view rule (DESIGN.md) on real models, measured in Chromium from the DOM.

Before any click, the graph view shows the graph's entry at a legible scale: at least 6 boxes or
group headers fully inside the pane (none under the minimap), each box >= 16 px tall, its title
text >= 10 px as rendered; Fit keeps that; a graph not all in view has an overview (the minimap).
Checked on every corpus model (``tests.corpus.corpus_models()``; until that exists, ONNX's light
models, this repository's exports and anything in the corpus cache), in a 560 px pane and a
1400 px one, light and dark, for the graph view's front end (the code the GraphView, the
Inspector's pane and reports share) mounted on a plain page, and in a real report.

With ``OI_GALLERY_DIR`` set, a JPEG of every first view and an index page are written there
(``OI_GALLERY_DIR=docs/gallery`` regenerates the README's gallery).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .jlab import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "onnx_inspect" / "static"
READY = ".oi-graph[data-oi-state=ready]"
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


def _models() -> list[tuple[str, Path]]:
    """(name, path) of every model the rule is checked on."""
    try:
        from tests.corpus import corpus_models  # type: ignore[import-not-found]
    except ImportError:
        corpus_models = None
    if corpus_models is not None:
        return [(e.name, Path(e.path)) for e in corpus_models()]
    from tests.conftest import LIGHT_MODELS

    out = [(p.stem.removeprefix("light_"), p) for p in LIGHT_MODELS]
    out += [(p.stem, p) for p in sorted((REPO / "tests" / "data").glob("*.onnx"))]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "onnx-inspect" / "corpus"
    extra = sorted(cache.rglob("*.onnx")) if cache.is_dir() else []
    # OI_FIRST_VIEW_MODELS: more models, as a glob (e.g. exports of your own)
    pattern = os.environ.get("OI_FIRST_VIEW_MODELS")
    if pattern:
        extra += sorted(Path("/").glob(pattern.lstrip("/")))
    for p in extra:
        # corpus cache paths look like pip/<package>-<version>/.../<model>.onnx: name them package-model
        parts = p.relative_to(cache).parts if p.is_relative_to(cache) else ()
        name = p.stem
        if len(parts) > 2:
            package = parts[1].rsplit("-", 1)[0]
            name = package if p.stem == "model" else f"{package}-{p.stem}"
        out.append((name, p))
    return out


MODELS = _models()


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", s).strip("-")


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless Chromium for this module (no JupyterLab: the view is mounted on plain pages)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def gallery() -> Iterator[Path | None]:
    """The gallery folder ($OI_GALLERY_DIR) or None; its index page is written at the end."""
    raw = os.environ.get("OI_GALLERY_DIR")
    if not raw:
        yield None
        return
    out = Path(raw)
    out.mkdir(parents=True, exist_ok=True)
    yield out
    _write_index(out)


def _write_index(out: Path) -> None:
    rows: dict[str, dict[str, str]] = {}
    for p in sorted(out.glob("*.jpg")):
        m = re.fullmatch(r"(.+)-(graphview|report)-(narrow|wide)-(light|dark)", p.stem)
        if m:
            rows.setdefault(m[1], {})[f"{m[2]}-{m[3]}-{m[4]}"] = p.name
    cols = ["graphview-narrow-light", "graphview-narrow-dark", "graphview-wide-light", "report-narrow-light"]
    lines = [
        "# First-view gallery",
        "",
        "What each model shows before any click, in a 560 px pane (narrow) and a 1400 px one (wide),",
        "light and dark. Written by `OI_GALLERY_DIR=docs/gallery pytest tests/browser/test_first_view_browser.py`;",
        "the same test asserts the first-view rule of DESIGN.md on every picture. Under each picture: the",
        "boxes and group headers fully inside the pane and legible (>= 16 px tall, text >= 10 px), of all drawn.",
        "",
        "| model | " + " | ".join(c.replace("-", " ") for c in cols) + " |",
        "| --- | " + " | ".join("---" for _ in cols) + " |",
    ]
    f = out / "counts.json"
    counts = json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}
    for name, shots in sorted(rows.items()):
        cells = []
        for c in cols:
            if c not in shots:
                cells.append("")
                continue
            n = counts.get(name, {}).get(c)
            note = f"<br>{n[0]} of {n[1]} legible" if n else ""
            cells.append(f"[<img src='{html.escape(shots[c])}' width='180'>]({html.escape(shots[c])}){note}")
        lines.append(f"| {html.escape(name)} | " + " | ".join(cells) + " |")
    others = sorted(
        {f for s in rows.values() for f in s.values()} - {s.get(c) for s in rows.values() for c in cols}
    )
    if others:
        lines += ["", "Also: " + ", ".join(f"[{f}]({f})" for f in others)]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def payloads() -> dict[str, Path]:
    """Payload files built so far, by model name."""
    return {}


def _payload_file(name: str, path: Path, cache: dict[str, Path], tmp: Path) -> Path:
    """The graph payload of a model as a JSON file (built once per model)."""
    if name not in cache:
        import onnx_inspect as oi
        from onnx_inspect.views.graph_payload import graph_payload

        m = oi.load(path)
        out = tmp / f"{_slug(name)}.json"
        out.write_text(
            json.dumps(graph_payload(m), separators=(",", ":"), ensure_ascii=False), encoding="utf-8"
        )
        cache[name] = out
    return cache[name]


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>{css}
body {{ margin: 0; padding: 10px; background: {bg}; }}
#host {{ width: {width}px; {vars} }}
</style></head><body><div id="host"></div>
<script type="application/json" id="esm">{esm}</script>
<script type="application/json" id="payload">{payload}</script>
<script type="module">
const src = JSON.parse(document.getElementById("esm").textContent);
const mod = await import(URL.createObjectURL(new Blob([src], {{ type: "text/javascript" }})));
const payload = document.getElementById("payload").textContent;
window.__oi = mod.mount(document.getElementById("host"), payload, {{ height: "{height}px" }});
</script></body></html>"""


def _script_json(text: str) -> str:
    return text.replace("</", "<\\/")


def _page_html(payload: Path, width: int, theme: str) -> str:
    esm = (STATIC / "graphview.js").read_text(encoding="utf-8")
    css = (STATIC / "graphview.css").read_text(encoding="utf-8")
    dark = theme == "dark"
    return _PAGE.format(
        css=css,
        bg="#111111" if dark else "#ffffff",
        width=width,
        vars=" ".join(f"{k}: {v};" for k, v in DARK.items()) if dark else "",
        esm=_script_json(json.dumps(esm)),
        payload=_script_json(payload.read_text(encoding="utf-8")),
        height=PANE_H,
    )


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


def _measure(page: Any) -> dict[str, Any]:
    graph = page.locator(READY)
    graph.wait_for(timeout=60_000)
    page.wait_for_timeout(50)
    return graph.evaluate(_MEASURE)


def _record(gallery: Path | None, name: str, variant: str, m: dict[str, Any]) -> None:
    """Note the number of legible boxes of a first view for the gallery's index."""
    if gallery is None:
        return
    f = gallery / "counts.json"
    counts = json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}
    counts.setdefault(name, {})[variant] = [len(m["inside"]), m["total"]]
    f.write_text(json.dumps(counts, indent=1, sort_keys=True), encoding="utf-8")


def _shot(page: Any, locator: str, gallery: Path | None, name: str) -> None:
    if gallery is None:
        return
    page.mouse.move(1, 1)
    page.locator(locator).screenshot(
        path=str(gallery / f"{_slug(name)}.jpg"), type="jpeg", quality=55, animations="disabled"
    )


@pytest.mark.parametrize("pane", list(PANES))
@pytest.mark.parametrize(("name", "path"), MODELS, ids=[n for n, _ in MODELS])
def test_graph_view_first_view(
    browser, gallery, payloads, tmp_path_factory, name: str, path: Path, pane: str
) -> None:
    payload = _payload_file(name, path, payloads, tmp_path_factory.mktemp("fv"))
    width = PANES[pane]
    for theme in ("light", "dark"):
        page = browser.new_page(viewport={"width": width + 20, "height": PANE_H + 80})
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        try:
            html_file = payload.with_name(f"{payload.stem}-{pane}-{theme}.html")
            html_file.write_text(_page_html(payload, width, theme), encoding="utf-8")
            page.goto(html_file.as_uri())
            where = f"{name} graph view, {pane} ({width} px), {theme}"
            first = _measure(page)
            _record(gallery, name, f"graphview-{pane}-{theme}", first)
            if pane == "narrow" or theme == "light":  # the gallery's columns (keeps it small)
                _shot(page, ".oi-graph", gallery, f"{name}-graphview-{pane}-{theme}")
            _check(first, where)
            page.click(".oi-fit")
            _check(_measure(page), f"{where}, after Fit")
            assert not errors, f"{where}: page errors {errors}"
        finally:
            page.close()


@pytest.mark.parametrize("pane", list(PANES))
@pytest.mark.parametrize(("name", "path"), MODELS, ids=[n for n, _ in MODELS])
def test_report_first_view(browser, gallery, tmp_path_factory, name: str, path: Path, pane: str) -> None:
    import onnx_inspect as oi

    out = tmp_path_factory.mktemp("report") / f"{_slug(name)}.html"
    oi.report(oi.load(path), out)
    # a 560 px pane: the page stacks graph over details below 900 px; a wide window splits them
    width = {"narrow": PANES["narrow"] + 32, "wide": PANES["wide"]}[pane]
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(out.as_uri())
        where = f"{name} report, {pane} window ({width} px)"
        first = _measure(page)
        _record(gallery, name, f"report-{pane}-light", first)
        if pane == "narrow":
            _shot(page, ".oi-report-graph .oi-graph", gallery, f"{name}-report-{pane}-light")
        _check(first, where)
    finally:
        page.close()


def _open(browser: Any, payload: Path, width: int = PANES["narrow"], theme: str = "light") -> Any:
    """A page with the graph view of `payload` mounted in a `width` px pane, once it is ready."""
    page = browser.new_page(viewport={"width": width + 20, "height": PANE_H + 80})
    html_file = payload.with_name(f"{payload.stem}-{width}-{theme}-probe.html")
    html_file.write_text(_page_html(payload, width, theme), encoding="utf-8")
    page.goto(html_file.as_uri())
    page.locator(READY).wait_for(timeout=60_000)
    return page


def test_if_node_offers_both_branches(browser, tmp_path) -> None:
    from playwright.sync_api import expect

    import onnx_inspect as oi
    from onnx_inspect import testing as T
    from onnx_inspect.views.graph_payload import graph_payload

    payload = tmp_path / "control_flow.json"
    payload.write_text(json.dumps(graph_payload(oi.load(T.control_flow()))), encoding="utf-8")
    page = _open(browser, payload)
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


def test_plumbing_toggle_and_minimap(browser, payloads, tmp_path_factory, resnet50: Path) -> None:
    """ResNet50's weights are ConstantOfShape nodes: listed inside the boxes, drawn on demand; the
    minimap moves the view."""
    from playwright.sync_api import expect

    payload = _payload_file("resnet50", resnet50, payloads, tmp_path_factory.mktemp("fv"))
    page = _open(browser, payload)
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
