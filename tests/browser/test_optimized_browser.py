"""oi.optimized_view in real JupyterLab + Chromium: both graphs render, a click on one side selects the
corresponding nodes on the other (a fused NCHWc Conv -> its Conv and Relu; a model node -> its kernel)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from tests.corpus import corpus_path

from .test_graphview_browser import READY, _on_screen, css_attr, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ov(open_notebook):
    path = str(corpus_path("small_cnn_dynamo"))
    setup = f"""
import onnx_inspect as oi
v = oi.optimized_view({path!r}, level="all", providers="cpu", height="460px")
v
"""
    nb = open_notebook("optimized.ipynb", [setup])
    nb.run_all(timeout=180)
    graphs = nb.output(0).locator(".oi-graph")
    graphs.first.wait_for(timeout=60_000)
    assert graphs.count() == 2
    for i in (0, 1):
        nb.output(0).locator(READY).nth(i).wait_for(timeout=60_000)
    return nb


def test_click_on_either_side_selects_the_other(ov):
    from playwright.sync_api import expect

    out = ov.output(0)
    left, right = out.locator(".oi-graph").nth(0), out.locator(".oi-graph").nth(1)
    wait_ready(left)
    wait_ready(right)
    fused = set(ov.kernel.eval_json("list(v.optimized.table.index[v.optimized.table['kind'] == 'fused'])"))
    right.scroll_into_view_if_needed()
    shown = [i for i in _on_screen(right) if i in fused]
    assert shown, "no fused node of the optimized graph is on screen"
    right.locator(css_attr("data-node-id", shown[0])).click()
    origins = ov.kernel.eval_json(f"v.optimized.origins[{shown[0]!r}]")
    assert len(origins) >= 2
    got = ov.kernel.wait_for("v.model_view.selected", lambda s: sorted(s) == sorted(origins))
    assert sorted(got) == sorted(origins)
    for nid in origins:  # the model side shows them selected (revealed, highlighted)
        expect(left.locator(css_attr("data-node-id", nid))).to_have_class(re.compile(r"\boi-selected\b"))
    # legends of both overlays are drawn
    assert "what onnxruntime did" in left.inner_text()
    assert "model nodes per node" in right.inner_text()

    out_dir = Path(os.environ.get("OI_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="oi-screenshots-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    ov.page.mouse.move(1, 1)  # no tooltip in the picture
    out.screenshot(path=str(out_dir / "optimized-view.png"), animations="disabled")

    # and back: a click on a model node selects the kernel it became
    left.scroll_into_view_if_needed()
    made = set(ov.kernel.eval_json("list(v.optimized.derived)"))
    node = next((i for i in _on_screen(left) if i in made and i not in origins), None)
    assert node is not None, "no model node with an optimized counterpart is on screen"
    left.locator(css_attr("data-node-id", node)).click()
    derived = ov.kernel.eval_json(f"v.optimized.derived[{node!r}]")
    got = ov.kernel.wait_for("v.optimized_view.selected", lambda s: s == derived)
    assert got == derived
    expect(right.locator(css_attr("data-node-id", derived[0]))).to_have_class(re.compile(r"\boi-selected\b"))
