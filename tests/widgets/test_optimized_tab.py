"""OptimizedTab without a browser: nothing built until Show; then the linked view, the Inspector's graph
painted by what onnxruntime did, selections followed both ways, another level, close."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import onnx_inspect as oi
from onnx_inspect.runtime.optimized import FUSED
from onnx_inspect.widgets.optimized_tab import OptimizedTab
from tests.corpus import corpus_path


@pytest.fixture(scope="module")
def model() -> oi.Model:
    return oi.load(corpus_path("small_cnn_qdq"))


@pytest.fixture
def tab(model: oi.Model) -> Iterator[OptimizedTab]:
    graph = oi.GraphView(model)
    tab = OptimizedTab(model, graph, select=graph.select, dims=lambda: None, feeds=lambda: None)
    yield tab
    tab.close()
    graph.close()


def test_lazy_then_linked(tab: OptimizedTab, model: oi.Model) -> None:
    assert tab.view is None and tab.optimized is None  # no session until Show
    conv = next(n for n in model.nodes.index if model.nodes.at[n, "op_type"] == "Conv")
    tab.graph.select([conv])
    view = tab.show("all")
    opt = tab.optimized
    assert view is tab.view and view in tab.body.children and opt.level == "all"
    assert "done in" in tab.status.value
    # the Inspector's selection carried over, and was not widened by the echo from the optimized side
    assert tab.graph.selected == [conv] and view.optimized_view.selected == opt.derived[conv]
    spec = tab.graph.overlay
    assert spec["kind"] == "categorical" and FUSED in set(spec["values"].values())
    # a fused kernel picked on the optimized side selects its origins in the Inspector
    fused = opt.table.index[opt.table["kind"] == FUSED][0]
    tab.graph.select([])
    assert view.optimized_view.selected == []
    view.select(fused, side="optimized")
    assert tab.graph.selected == opt.origins[fused]
    # the Inspector's selection is followed on both sides of the view
    tab.graph.select([conv])
    assert view.model_view.selected == [conv] and view.optimized_view.selected == opt.derived[conv]
    assert tab.show("all") is view  # same level: nothing rebuilt


def test_other_level_and_close(tab: OptimizedTab) -> None:
    first = tab.show("all")
    folder = Path(first.optimized.model.path).parent
    assert folder.is_dir()
    tab.view.level_picker.value = "basic"  # the view's own picker: the tab's picker and paint follow
    assert tab.level.value == "basic" and tab.graph.overlay["label"] == "onnxruntime basic"
    second = tab.show("extended")
    assert second is not first and tab.optimized.level == "extended"
    assert not folder.exists()  # the replaced view's temporary files are gone
    last = Path(second.optimized.model.path).parent
    tab.close()
    assert not last.exists() and tab.view is None


def test_show_error_is_one_line(tab: OptimizedTab) -> None:
    with pytest.raises(oi.InspectError, match="level="):
        tab.show("fastest")
    assert "oi-error" in tab.status.value and "\n" not in tab.status.value and tab.view is None


def test_show_button_builds_in_the_background(tab: OptimizedTab) -> None:
    tab.level.value = "basic"
    tab.show_button.click()
    assert tab.wait(120) and tab.last_error is None, tab.status.value
    assert tab.optimized.level == "basic" and "done in" in tab.status.value
