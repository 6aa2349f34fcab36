"""The Costs tab in real JupyterLab + Chromium: the Count button runs in the kernel's background thread
and its results reach the page (totals, top-N list, plotly figures); picking a row selects the node in
the graph; the overlay choice paints the graph with a legend."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from .test_graphview_browser import READY, css_attr, wait_ready

pytestmark = pytest.mark.browser


def test_count_pick_and_paint(open_notebook, squeezenet: Path) -> None:
    from playwright.sync_api import expect

    setup = f"""
import ipywidgets as W
import onnx_inspect as oi
from onnx_inspect.widgets.costs_tab import CostsTab
m = oi.load({str(squeezenet)!r})
g = oi.GraphView(m, height="520px")
tab = CostsTab(m, g, select=g.select, dims=lambda: None, feeds=lambda: None)
g.layout = W.Layout(width="55%")
tab.layout = W.Layout(width="45%")
W.HBox([g, tab])
"""
    nb = open_notebook("costs_tab.ipynb", [setup])
    nb.run_all(timeout=180)
    out = nb.output(0)
    graph = out.locator(".oi-graph")
    graph.wait_for(timeout=60_000)
    out.locator(READY).wait_for(timeout=60_000)
    wait_ready(graph)

    out.get_by_role("button", name=re.compile("Count costs")).click()
    totals = out.locator(".oi-cost-totals")
    expect(totals).to_contain_text("GMACs", timeout=60_000)
    expect(totals).to_contain_text("peak activation memory")
    expect(out.locator(".js-plotly-plot")).to_have_count(2, timeout=60_000)
    assert "done in" in nb.kernel.eval_json("tab.status.value")

    # the list is ordered by FLOPs; picking its first row selects that node in the graph
    top = nb.kernel.eval_json("tab.nodes.options[0][1]")
    out.locator(".oi-cost-node-list select").select_option(index=0)
    assert nb.kernel.wait_for("g.selected", lambda s: s == [top]) == [top]
    expect(graph.locator(css_attr("data-node-id", top))).to_have_class(re.compile(r"\boi-selected\b"))

    # paint by MACs: the legend names it
    out.locator(".oi-cost-overlay select").select_option("macs")
    nb.kernel.wait_for("g.overlay.get('label')", lambda v: v == "MACs")
    expect(graph).to_contain_text("MACs", timeout=30_000)

    shots = Path(os.environ.get("OI_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="oi-screenshots-"))
    shots.mkdir(parents=True, exist_ok=True)
    nb.page.mouse.move(1, 1)
    out.first.screenshot(path=str(shots / "costs-tab.png"), animations="disabled")
