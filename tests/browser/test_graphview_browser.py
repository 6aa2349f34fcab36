"""GraphView in real JupyterLab + Chromium: rendering, selection both ways, groups, overlay, search, themes.

One notebook shows two widgets: `w`, ONNX's real Inception v1 (onnx backend test data) loaded with
oi.load, and `w2`, a 24-layer encoder built in the notebook with PyTorch-style "/encoder/layer.N/..."
names (so it opens with collapsed scope groups) plus a node whose name is an HTML injection attempt.
Python-side values are read through a second client of the notebook's own kernel.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
READY = ".oi-graph[data-oi-state=ready]"
EVIL = '<img src=x onerror="window.__oi_xss=1">'

SETUP = """
import os, onnx
import onnx_inspect as oi
from onnx_inspect.widgets import GraphView
LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
m = oi.load(os.path.join(LIGHT, "light_inception_v1.onnx"))
w = GraphView(m, height="520px")
w
"""

SCOPED = f"""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

def encoder(n_layers=24, d=8):
    nodes, inits, x = [], [], "x"
    def lin(scope, name, inp):
        wn = f"{{scope}}/{{name}}.weight"
        inits.append(numpy_helper.from_array(np.full((d, d), 0.01, np.float32), wn))
        out = f"{{scope}}/{{name}}/MatMul_output_0"
        nodes.append(helper.make_node("MatMul", [inp, wn], [out], name=f"{{scope}}/{{name}}/MatMul"))
        return out
    def op(scope, op_type, inputs, **kw):
        out = f"{{scope}}/{{op_type}}_{{len(nodes)}}_output_0"
        nodes.append(helper.make_node(op_type, inputs, [out], name=f"{{scope}}/{{op_type}}_{{len(nodes)}}", **kw))
        return out
    scale = numpy_helper.from_array(np.ones(d, np.float32), "ln.scale")
    inits.append(scale)
    for i in range(n_layers):
        s = f"/encoder/layer.{{i}}"
        a = f"{{s}}/attention"
        h = op(s, "LayerNormalization", [x, "ln.scale"])
        q, k, v = (lin(a, n, h) for n in ("query", "key", "value"))
        kt = op(a, "Transpose", [k], perm=[1, 0])
        p = op(a, "Softmax", [op(a, "MatMul", [q, kt])], axis=-1)
        ctx = op(a, "MatMul", [p, v])
        x = op(s, "Add", [x, lin(a, "output", op(a, "Relu", [ctx]))])
        h = op(s, "LayerNormalization", [x, "ln.scale"])
        mlp = f"{{s}}/mlp"
        x = op(s, "Add", [x, lin(mlp, "fc2", op(mlp, "Relu", [lin(mlp, "fc1", h)]))])
    nodes.append(helper.make_node("Identity", [x], ["y"], name={EVIL!r}))
    g = helper.make_graph(nodes, "encoder", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, d])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, d])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])

m2 = oi.load(encoder())
w2 = GraphView(m2, height="520px")
w2
"""


def css_attr(name: str, value: str) -> str:
    """A CSS attribute selector matching `value` exactly (JSON string escaping is valid CSS escaping here)."""
    return f"[{name}={json.dumps(value, ensure_ascii=False)}]"


def ids_of(graph, attr: str = "data-node-id") -> list[str]:
    return graph.locator(f"[{attr}]").evaluate_all(f"els => els.map((e) => e.getAttribute('{attr}'))")


def wait_ready(graph) -> None:
    from playwright.sync_api import expect

    expect(graph).to_have_attribute("data-oi-state", "ready")


def box_fill(node) -> str:
    return node.locator(".oi-box").first.evaluate("(e) => getComputedStyle(e).fill")


@pytest.fixture(scope="module")
def gv(open_notebook):
    nb = open_notebook("graphview.ipynb", [SETUP, SCOPED])
    nb.run_all(timeout=180)
    for i in (0, 1):
        nb.output(i).locator(READY).wait_for(timeout=60_000)
    return nb


@pytest.fixture
def real(gv):
    """The Inception v1 view with nothing selected and no overlay."""
    gv.kernel.execute("w.selected = []; w.clear_overlay()")
    g = gv.output(0).locator(".oi-graph")
    wait_ready(g)
    return g


@pytest.fixture
def scoped(gv):
    gv.kernel.execute("w2.selected = []; w2.clear_overlay()")
    g = gv.output(1).locator(".oi-graph")
    wait_ready(g)
    return g


def test_real_model_renders_its_node_ids(gv, real):
    shown = ids_of(real)
    model_ids = set(gv.kernel.eval_json("list(m.nodes.index)"))
    assert len(model_ids) == 237
    assert shown, "no [data-node-id] element in the rendered Inception v1 graph"
    assert set(shown) <= model_ids, f"ids not in m.nodes: {sorted(set(shown) - model_ids)[:5]}"
    assert len(shown) == len(set(shown)), "a node is drawn twice"
    assert real.locator("svg").count() >= 1
    # the graph has inputs/outputs drawn and edges with shape labels
    assert real.locator("[data-io-id]").count() >= 2
    assert re.search(r"\d+×\d+", real.inner_text()), "no tensor shape label on any edge"


def test_first_view_rule_in_jupyterlab(gv, real, scoped):
    """Before any click both widgets show >= 6 legible boxes (DESIGN.md's first-view rule), measured
    as in test_first_view_browser.py, and what is not all in view has a minimap."""
    from .test_first_view_browser import _MEASURE, _check

    for name, graph in (("Inception v1", real), ("24-layer encoder", scoped)):
        graph.scroll_into_view_if_needed()
        _check(graph.evaluate(_MEASURE), f"{name} GraphView in JupyterLab")


def test_screenshots_light_and_dark(gv, scoped):
    """Pictures for the README (first look at the encoder, overlay on); both themes must differ.

    Written to $OI_SCREENSHOT_DIR (OI_SCREENSHOT_DIR=docs/img regenerates the README's), else to a
    temp dir, so running the tests leaves the checkout clean."""
    out = Path(os.environ.get("OI_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="oi-screenshots-"))
    out.mkdir(parents=True, exist_ok=True)
    gv.kernel.execute(
        """
        cost = {"MatMul": 4.0, "Softmax": 2.5, "LayerNormalization": 1.5, "Add": 0.6}
        ms = {i: cost.get(op, 0.3) for i, op in m2.nodes.op_type.items()}
        w2.set_overlay(ms, label="latency", unit="ms", aggregate="max")
        """
    )
    colours = {}
    try:
        for theme, name in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
            gv.set_theme(theme)
            wait_ready(scoped)
            scoped.scroll_into_view_if_needed()
            gv.page.mouse.move(1, 1)  # no tooltip, no hover
            scoped.screenshot(path=str(out / f"graphview-{name}.png"), animations="disabled")
            colours[name] = scoped.evaluate(
                """(g) => [getComputedStyle(g).backgroundColor,
                           getComputedStyle(g.querySelector('.oi-elabel')).fill]"""
            )
    finally:
        gv.set_theme("JupyterLab Light")
        gv.kernel.execute("w2.clear_overlay()")
    assert colours["light"][0] != colours["dark"][0], f"background ignores the theme: {colours}"
    assert colours["light"][1] != colours["dark"][1], f"edge labels ignore the theme: {colours}"
    for name in ("light", "dark"):
        assert (out / f"graphview-{name}.png").stat().st_size > 10_000


def _on_screen(graph, attr: str = "data-node-id") -> list[str]:
    """Values of `attr` for boxes fully inside the graph's canvas (so a real click can reach them)."""
    return graph.locator(".oi-canvas").evaluate(
        """(canvas, attr) => {
          const c = canvas.getBoundingClientRect();
          return [...canvas.querySelectorAll(`[${attr}]`)].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 8 && r.height > 8 && r.left >= c.left && r.top >= c.top
                   && r.right <= c.right && r.bottom <= c.bottom;
          }).map((e) => e.getAttribute(attr));
        }""",
        attr,
    )


def _pan_until(graph, attr: str, pred, tries: int = 15) -> list[str]:
    """Drag the canvas upwards (a real pointer pan) until a box with `attr` matching `pred` is on screen."""
    graph.scroll_into_view_if_needed()
    mouse = graph.page.mouse
    for _ in range(tries):
        found = [v for v in _on_screen(graph, attr) if pred(v)]
        if found:
            return found
        box = graph.locator(".oi-canvas").bounding_box()
        x = box["x"] + box["width"] - 12  # right margin: pan on the background, not on a box or the minimap
        mouse.move(x, box["y"] + box["height"] * 0.85)
        mouse.down()
        mouse.move(x, box["y"] + box["height"] * 0.15, steps=6)
        mouse.up()
    pytest.fail(f"no box with {attr} matching the test's condition came on screen after {tries} pans")


def _pick_nodes(graph, n: int) -> list[str]:
    ids = _on_screen(graph)
    if len(ids) < n:
        pytest.fail(f"only {len(ids)} node boxes are fully on screen in the fitted view; need {n}")
    return ids[:n]


def test_click_selects_and_shift_click_adds(gv, real):
    a, b = _pick_nodes(real, 2)
    real.locator(css_attr("data-node-id", a)).click()
    assert gv.kernel.wait_for("w.selected", lambda v: v == [a]) == [a]
    real.locator(css_attr("data-node-id", b)).click(modifiers=["Shift"])
    got = gv.kernel.wait_for("w.selected", lambda v: len(v) == 2)
    assert sorted(got) == sorted([a, b])
    for i in (a, b):
        assert "oi-selected" in real.locator(css_attr("data-node-id", i)).get_attribute("class").split()


def test_selection_from_python_is_shown(gv, real):
    from playwright.sync_api import expect

    a, b = _pick_nodes(real, 2)
    gv.kernel.execute(f"w.selected = [{a!r}]")
    expect(real.locator(css_attr("data-node-id", a))).to_have_class(re.compile(r"\boi-selected\b"))
    gv.kernel.execute(f"w.selected = [{b!r}]")
    expect(real.locator(css_attr("data-node-id", b))).to_have_class(re.compile(r"\boi-selected\b"))
    expect(real.locator(css_attr("data-node-id", a))).not_to_have_class(re.compile(r"\boi-selected\b"))
    assert real.locator(".oi-selected").count() == 1


def _collapsed_node(gv, graph, skip: int = 0) -> tuple[str, str]:
    """(group key, node id) for a node that is inside a currently collapsed scope group."""
    groups = ids_of(graph, "data-group-id")
    scoped_groups = [g for g in groups if g.startswith("encoder/layer.")]
    if len(scoped_groups) <= skip:
        pytest.fail(f"the 24-layer encoder shows only {len(scoped_groups)} collapsed groups: {groups}")
    key = scoped_groups[skip]
    nid = gv.kernel.eval_json(f"[i for i in m2.nodes.index if m2.nodes.scope[i].startswith({key!r})][-1]")
    assert graph.locator(css_attr("data-node-id", nid)).count() == 0, f"{nid} drawn though {key} is collapsed"
    return key, nid


def test_selecting_a_hidden_node_from_python_reveals_it(gv, scoped):
    from playwright.sync_api import expect

    _, nid = _collapsed_node(gv, scoped)
    gv.kernel.execute(f"w2.selected = [{nid!r}]")
    expect(scoped.locator(css_attr("data-node-id", nid))).to_have_class(re.compile(r"\boi-selected\b"))


def test_scoped_model_opens_collapsed_and_dblclick_expands(gv, scoped):
    from playwright.sync_api import expect

    # The first view opens the first layers and starts at the top; collapsed layers lie ~15,000 px below.
    scoped.locator("button.oi-fit").click()
    key = _pan_until(scoped, "data-group-id", lambda g: g.startswith("encoder/layer."), tries=80)[0]
    before = ids_of(scoped)
    scoped.locator(css_attr("data-group-id", key)).dblclick()
    expect(scoped.locator(css_attr("data-group-id", key))).to_have_count(0)
    wait_ready(scoped)
    after = ids_of(scoped)
    assert len(after) > len(before), f"{len(before)} nodes before expanding {key!r}, {len(after)} after"
    new = set(after) - set(before)
    assert new and all(i.startswith(f"/{key}/") for i in new), sorted(new)[:5]
    # the expanded frame is drawn, and a double-click on its header collapses it again
    frame = scoped.locator(css_attr("data-expanded-group-id", key))
    expect(frame).to_have_count(1)
    # (on the label at the header's left end: edges may cross the middle of the header)
    frame.locator(".oi-frame-head").first.dblclick(position={"x": 30, "y": 8})
    expect(scoped.locator(css_attr("data-group-id", key))).to_have_count(1)
    wait_ready(scoped)
    assert sorted(ids_of(scoped)) == sorted(before)


def test_overlay_from_python_repaints_and_shows_a_legend(gv, real):
    from playwright.sync_api import expect

    a, b = _pick_nodes(real, 2)
    node = real.locator(css_attr("data-node-id", a))
    plain = box_fill(node)
    gv.kernel.execute(f"w.set_overlay({{{a!r}: 9.0, {b!r}: 1.0}}, label='latency', unit='ms')")
    expect(node).to_have_class(re.compile(r"\boi-painted\b"))
    painted = box_fill(node)
    assert painted != plain, f"fill stayed {plain!r} after the overlay"
    assert box_fill(real.locator(css_attr("data-node-id", b))) != painted, "9 ms and 1 ms got the same colour"
    legend = real.locator(".oi-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("latency")
    # repainting must not resend the graph: the payload trait is untouched (no new _payload message)
    gv.kernel.execute("w.clear_overlay()")
    expect(node).not_to_have_class(re.compile(r"\boi-painted\b"))
    assert box_fill(node) == plain
    expect(legend).to_be_hidden()


def test_search_enter_highlights_and_reveals_the_hit(gv, scoped):
    from playwright.sync_api import expect

    _, nid = _collapsed_node(gv, scoped, skip=1)
    query = nid.split("/encoder/", 1)[1]  # e.g. "layer.20/mlp/fc2/MatMul": unique to that node
    box = scoped.locator(".oi-search")
    box.fill(query)
    box.press("Enter")
    hit = scoped.locator(css_attr("data-node-id", nid))
    expect(hit).to_have_class(re.compile(r"\boi-hit\b"))
    expect(hit).to_be_in_viewport()
    assert scoped.locator(".oi-hit").count() == 1
    box.press("Escape")
    expect(scoped.locator(".oi-hit")).to_have_count(0)


def test_model_text_is_escaped(gv, scoped):
    node = scoped.locator(css_attr("data-node-id", EVIL))
    node.wait_for(state="attached")
    assert 'onerror="window.__oi_xss=1">' in node.text_content()  # long names are shortened on the left
    assert scoped.locator("img").count() == 0
    assert gv.page.evaluate("() => window.__oi_xss === undefined")
