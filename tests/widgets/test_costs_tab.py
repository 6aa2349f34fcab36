"""CostsTab without a browser: totals on ResNet-50, the top-N list selects nodes, overlays, figures, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import onnx_inspect as oi
from onnx_inspect.widgets.costs_tab import CostsTab


@pytest.fixture(scope="module")
def model(resnet50: Path) -> oi.Model:
    return oi.load(resnet50)


@pytest.fixture
def tab(model: oi.Model) -> CostsTab:
    graph = oi.GraphView(model)
    picked: list[list[str]] = []
    tab = CostsTab(model, graph, select=picked.append, dims=lambda: None, feeds=lambda: None)
    tab.picked = picked  # type: ignore[attr-defined]
    yield tab
    tab.close()
    graph.close()


def test_counts_resnet50_as_published(tab: CostsTab) -> None:
    assert tab.costs is None and "Count costs" in tab.totals.value
    costs = tab.compute()
    assert costs is tab.costs and tab.plan is not None
    tot = costs.attrs["totals"]
    assert tot["params"] == pytest.approx(25.6e6, rel=0.02)
    assert tot["macs"] == pytest.approx(4.1e9, rel=0.02)
    assert "M params" in tab.totals.value and "peak activation memory" in tab.totals.value
    assert "done in" in tab.status.value
    # both figures drawn as plotly mime bundles
    assert tab.op_figure.outputs and tab.memory_figure.outputs


def test_top_list_sorts_and_selects(tab: CostsTab, model: oi.Model) -> None:
    tab.compute()
    tab.top.value = 5
    assert len(tab.nodes.options) == 5
    flops = [tab.costs.at[nid, "flops"] for _, nid in tab.nodes.options]
    assert flops == sorted(flops, reverse=True)
    assert flops[0] == tab.costs["flops"].max()
    tab.sort.value = "params"
    first = tab.nodes.options[0][1]
    assert tab.costs.at[first, "params"] == tab.costs["params"].max()
    tab.nodes.value = first
    assert tab.picked == [[first]]  # type: ignore[attr-defined]
    assert model.nodes.at[first, "op_type"] in ("Conv", "Gemm")


def test_overlay_choice_paints_the_graph(tab: CostsTab) -> None:
    tab.compute()
    tab.overlay.value = "macs"
    spec = tab.graph.overlay
    assert spec["label"] == "MACs" and spec["scale"] == "log" and spec["unit"] == "MAC"
    conv = tab.costs.index[tab.costs["op_type"] == "Conv"][0]
    assert spec["values"][conv] == tab.costs.at[conv, "macs"]
    tab.overlay.value = "output_bytes"
    assert tab.graph.overlay["unit"] == "B"
    tab.overlay.value = "none"
    assert tab.graph.overlay == {}
    with pytest.raises(oi.InspectError, match="not one of"):
        tab.paint("latency")


def test_bad_dims_is_one_line_in_the_status(model: oi.Model) -> None:
    graph = oi.GraphView(model)
    tab = CostsTab(model, graph, select=graph.select, dims=lambda: {"no_such_input": 3})
    try:
        tab.start(tab._compute, "counting costs", stoppable=False)
        assert tab.wait(60)
        assert "oi-error" in tab.status.value and "counting costs failed" in tab.status.value
        assert isinstance(tab.last_error, oi.InspectError)
        assert "\n" not in tab.status.value
    finally:
        tab.close()
        graph.close()


def test_unknown_sizes_make_the_peak_a_lower_bound(squeezenet: Path) -> None:
    model = oi.load(squeezenet)  # one activation of unknown size: the peak is "at least"
    graph = oi.GraphView(model)
    tab = CostsTab(model, graph, select=graph.select)
    try:
        tab.count_button.click()  # as from the page: in the background thread
        assert tab.wait(120) and tab.last_error is None, tab.status.value
        assert tab.plan.attrs["unknown"] and "(at least: " in tab.totals.value
        assert "done in" in tab.status.value and len(tab.nodes.options) == 25
    finally:
        tab.close()
        graph.close()
