"""The Inspector in real JupyterLab + Chromium on onnx's real SqueezeNet: details, weights, run, profile.

Clicks go through the page (graph boxes, tabs, buttons, the node list); Python-side state is read
back through a second client of the notebook's kernel. Screenshots for the README land in $OI_SCREENSHOT_DIR.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
# README pictures: written to $OI_SCREENSHOT_DIR (OI_SCREENSHOT_DIR=docs/img regenerates them), else to a
# temp dir, so running the tests leaves the checkout clean
IMG = Path(os.environ.get("OI_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="oi-screenshots-"))
EVIL = '<img src=x onerror="window.__oi_xss=1">'

SETUP = """
import os, onnx
import onnx_inspect as oi
from onnx_inspect.widgets import inspect
LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
m = oi.load(os.path.join(LIGHT, "light_squeezenet.onnx"))
insp = inspect(m, height="560px")
insp
"""


def css_attr(name: str, value: str) -> str:
    return f"[{name}={json.dumps(value, ensure_ascii=False)}]"


@pytest.fixture(scope="module")
def nb(open_notebook):
    nb = open_notebook("inspector.ipynb", [SETUP])
    nb.run_all(timeout=120)
    nb.output(0).locator(".oi-graph[data-oi-state=ready]").wait_for(timeout=60_000)
    return nb


@pytest.fixture
def ui(nb):
    """Locators of the Inspector's parts: .widget (all of it), .graph, .details (the tabbed panel)."""
    out = nb.output(0)
    return SimpleNamespace(
        widget=out.locator(".oi-inspector"),
        graph=out.locator(".oi-graph"),
        details=out.locator(".oi-details"),
    )


def tab(details, name: str) -> None:
    details.locator(".lm-TabBar-tab", has_text=name).click()


def drawn_bars(figure, timeout: float = 30, bars: str = ".barlayer .point path") -> int:
    """Number of bars with a non-empty box inside ``figure`` (waits until there is one): plotly's by
    default, ``rect.oi-bar`` for the histograms details.ts draws as SVG from bin counts."""
    deadline = time.monotonic() + timeout
    while True:
        n = figure.locator(bars).evaluate_all(
            "els => els.filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length"
        )
        if n or time.monotonic() > deadline:
            return n
        time.sleep(0.2)


def svg_bars(hist) -> int:
    return drawn_bars(hist, bars="rect.oi-bar")


def shot(widget, name: str) -> Path:
    IMG.mkdir(parents=True, exist_ok=True)
    path = IMG / f"inspector-{name}.png"
    widget.page.mouse.move(2, 2)  # no hover tooltip over the picture
    widget.screenshot(path=str(path), animations="disabled")
    assert path.stat().st_size > 10_000
    return path


def test_graph_pane_first_view_is_legible(nb, ui):
    """The Inspector's graph pane (about 560 px beside the tabs) follows the first-view rule."""
    from .test_first_view_browser import _MEASURE, _check

    ui.graph.scroll_into_view_if_needed()
    _check(ui.graph.evaluate(_MEASURE), "SqueezeNet in the Inspector's graph pane")


def test_click_a_node_shows_op_type_shapes_and_links(nb, ui):
    from playwright.sync_api import expect

    conv = ui.graph.locator(css_attr("data-node-id", "n0"))
    conv.click()
    assert nb.kernel.wait_for("insp.selected", lambda v: v == ["n0"]) == ["n0"]
    node = ui.details.locator(".oi-node-panel")
    expect(node).to_be_visible()  # the click switched the panel to the Node tab
    expect(node.locator(".oi-node-title")).to_contain_text("Conv")
    text = node.inner_text()
    for want in ("1×3×224×224", "64×3×3×3", "1×64×111×111", "kernel_shape"):
        assert want in text, want
    expect(ui.details.locator(".oi-node-tab")).to_contain_text("since opset 1")  # the schema, below
    link = node.locator(".oi-node-title a")
    assert link.get_attribute("href") == "https://onnx.ai/onnx/operators/onnx__Conv.html"
    shot(ui.widget, "node")
    # a consumer reference moves the selection, in Python and on the graph
    node.locator(".oi-io.oi-outputs button" + css_attr("data-node-id", "n1")).click()
    assert nb.kernel.wait_for("insp.selected", lambda v: v == ["n1"]) == ["n1"]
    expect(ui.graph.locator(css_attr("data-node-id", "n1"))).to_have_class(re.compile(r"\boi-selected\b"))
    expect(node.locator(".oi-node-title")).to_contain_text("Relu")


def test_node_tab_is_what_a_report_shows_for_the_same_record(nb, ui):
    """The Node tab's DOM (DetailsView in JupyterLab) equals the report bundle's panel for the same record."""
    from onnx_inspect.reporting import ESM as REPORT_JS

    nb.kernel.execute("insp.select('n3')")
    node = ui.details.locator(".oi-node-panel" + css_attr("data-node-id", "n3"))
    node.wait_for(state="attached")
    rec = nb.kernel.eval_json("insp._node_view.node")
    assert rec["id"] == "n3" and rec["op"] == "Conv"
    report_html = nb.page.evaluate(
        """async ([src, rec]) => {
          const R = await import(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
          const noop = { select() {}, showGraph() {}, showWeight() {} };
          return R.renderNodePanel(document.createElement("aside"), rec, noop).outerHTML;
        }""",
        [REPORT_JS.read_text(encoding="utf-8"), rec],
    )
    assert node.evaluate("(e) => e.outerHTML") == report_html


def test_node_table_filters_and_selects(nb, ui):
    from playwright.sync_api import expect

    tab(ui.details, "Model")
    ui.details.locator(".oi-filter input").fill("concat")
    select = ui.details.locator(".oi-node-list select")
    expected = nb.kernel.eval_json("[i for i in m.nodes.index if m.nodes.op_type[i] == 'Concat']")
    nb.kernel.wait_for("[v for _, v in insp._list.options]", lambda v: v == expected)
    assert len(expected) == 8
    expect(select.locator("option")).to_have_count(8)
    label = nb.kernel.eval_json("insp._list.options[3][0]")
    assert label.startswith(f"{expected[3]} · Concat")
    select.select_option(label=label)
    assert nb.kernel.wait_for("insp.selected", lambda v: v == [expected[3]]) == [expected[3]]


def test_weights_tab_draws_a_histogram(nb, ui):
    from playwright.sync_api import expect

    nb.kernel.execute("insp.select('n3')")
    tab(ui.details, "Weights")
    weights = ui.details.locator(".oi-weights")
    cards = weights.locator(".oi-card")
    expect(cards).to_have_count(2)
    first = cards.first
    expect(first).to_contain_text("fire2/squeeze1x1_w_0")
    expect(first).to_contain_text("16×64×1×1")
    assert svg_bars(first.locator(".oi-histogram")) >= 1
    box = first.locator(".oi-histogram svg").first.bounding_box()
    assert box and box["height"] > 60 and box["width"] > 200, box
    expect(first.locator(".oi-stats")).to_contain_text("mean")
    expect(first.locator(".oi-preview")).to_be_visible()
    bias = cards.nth(1)  # an initializer with spread-out values: many bars
    expect(bias).to_contain_text("fire2/squeeze1x1_b_0")
    bias.locator(".oi-histogram").scroll_into_view_if_needed()
    assert svg_bars(bias.locator(".oi-histogram")) >= 5
    shot(ui.widget, "weights")


def test_run_to_selection_shows_the_tensor_summary(nb, ui):
    from playwright.sync_api import expect

    nb.kernel.execute("insp.select('n3')")
    tab(ui.details, "Run")
    ui.details.locator("button.oi-run").click()
    summary = ui.details.locator(".oi-run-summary")
    expect(summary).to_contain_text("Outputs of n3 on CPU", timeout=60_000)
    expect(summary).to_contain_text("1×16×55×55")
    assert svg_bars(ui.details.locator(".oi-run-result .oi-histogram").first) >= 10
    assert nb.kernel.eval_json("{k: list(v.shape) for k, v in insp.last_run.items()}") == {
        "r3": [1, 16, 55, 55]
    }
    summary.scroll_into_view_if_needed()
    shot(ui.widget, "run")


def test_bad_input_shows_a_readable_error(nb, ui):
    from playwright.sync_api import expect

    tab(ui.details, "Run")
    ui.details.locator(".widget-toggle-button", has_text="variable").click()
    ui.details.locator(".oi-run-status").evaluate("(e) => e.scrollIntoView()")
    name = ui.details.locator(".widget-text", has_text="variable").locator("input")
    name.fill(EVIL)
    nb.kernel.wait_for("insp._variable.value", lambda v: v == EVIL)
    ui.details.locator("button.oi-run").click()
    error = ui.details.locator(".oi-run-status .oi-error")
    expect(error).to_contain_text("the notebook has no variable named", timeout=30_000)
    assert EVIL in error.inner_text()  # shown as text
    assert "Traceback" not in error.inner_text()
    assert nb.page.evaluate("() => window.__oi_xss === undefined")
    ui.details.locator(".widget-toggle-button", has_text="generated").click()


def test_small_profile_draws_bars_and_recolours_the_graph(nb, ui):
    from playwright.sync_api import expect

    nb.kernel.execute("insp.select('n3')")
    node = ui.graph.locator(css_attr("data-node-id", "n3"))
    plain = node.locator(".oi-box").first.evaluate("(e) => getComputedStyle(e).fill")
    tab(ui.details, "Profile")
    runs = ui.details.locator(".widget-text", has_text="runs").locator("input")
    runs.fill("3")
    runs.press("Enter")
    nb.kernel.wait_for("insp._p_runs.value", lambda v: v == 3)
    ui.details.locator("button.oi-profile-run").click()
    assert drawn_bars(ui.details.locator(".oi-fig-op-types"), timeout=90) >= 3  # Conv, MaxPool, Concat, ...
    assert drawn_bars(ui.details.locator(".oi-fig-top-nodes")) >= 3
    ui.details.locator(".oi-fig-timeline .main-svg").first.wait_for()
    assert nb.kernel.eval_json("insp.profile.n_runs") == 3
    expect(node).to_have_class(re.compile(r"\boi-painted\b"))
    assert node.locator(".oi-box").first.evaluate("(e) => getComputedStyle(e).fill") != plain
    assert ui.graph.locator(".oi-painted").count() >= 20
    expect(ui.graph.locator(".oi-legend")).to_contain_text("time per run")
    shot(ui.widget, "profile")
    # the switch paints providers instead (categorical legend), then clears the graph
    ui.details.locator(".oi-profile-paint .widget-toggle-button", has_text="provider").click()
    expect(ui.graph.locator(".oi-legend")).to_contain_text("CPU")
    ui.details.locator(".widget-toggle-button", has_text="off").click()
    expect(ui.graph.locator(".oi-painted")).to_have_count(0)
    ui.details.locator(".widget-toggle-button", has_text="latency").click()
    expect(node).to_have_class(re.compile(r"\boi-painted\b"))


def test_dark_theme(nb, ui):
    """The panel follows JupyterLab's theme (text and backgrounds from its CSS variables)."""
    colours = {}
    try:
        for theme, name in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
            nb.set_theme(theme)
            colours[name] = ui.details.evaluate(
                "(e) => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
            )
        ui.details.locator(".oi-fig-op-types").scroll_into_view_if_needed()
        tick = ui.details.locator(".oi-fig-op-types .ytick text").first
        dark_tick = tick.evaluate("(e) => getComputedStyle(e).fill")
        shot(ui.widget, "profile-dark")
    finally:
        nb.set_theme("JupyterLab Light")
    light_tick = tick.evaluate("(e) => getComputedStyle(e).fill")
    assert colours["light"] != colours["dark"], colours
    assert dark_tick != light_tick, "plotly axis labels did not follow the theme"
