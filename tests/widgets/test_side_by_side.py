"""OptimizedView's Python side without a browser: the two graphs, linked selections, overlays, layout."""

from __future__ import annotations

import pytest

import onnx_inspect as oi
from onnx_inspect.runtime.optimized import FUSED, INSERTED, Optimized
from onnx_inspect.widgets.side_by_side import OptimizedView
from tests.corpus import corpus_path


@pytest.fixture(scope="module")
def opt() -> Optimized:
    return oi.optimized(corpus_path("small_cnn_qdq"), "all", "cpu")


@pytest.fixture
def view(opt: Optimized) -> OptimizedView:
    return OptimizedView(opt)


def test_two_graphs_of_the_right_models(opt: Optimized, view: OptimizedView) -> None:
    assert view.model_view.model is opt.source and view.optimized_view.model is opt.model
    assert view.optimized is opt
    assert "oi-optimized-view" in view._dom_classes
    # side by side in a wide pane, stacked (wrapped) in a narrow one
    panes = view.children[1]
    assert panes.layout.flex_flow == "row wrap"
    assert all(p.layout.min_width for p in panes.children)


def test_selection_follows_both_ways(opt: Optimized, view: OptimizedView) -> None:
    fused = opt.table.index[opt.table["kind"] == FUSED][0]
    view.select(fused, side="optimized")
    assert view.optimized_view.selected == [fused]  # no echo back
    assert view.model_view.selected == opt.origins[fused]
    conv = next(n for n in opt.origins[fused] if opt.source.nodes.at[n, "op_type"] == "Conv")
    view.model_view.selected = [conv]
    assert view.optimized_view.selected == opt.derived[conv]
    assert view.model_view.selected == [conv]
    # a folded weight DequantizeLinear selects the kernel that reads its value now
    folded = opt.removed.index[opt.removed["kind"] == "folded"][0]
    view.select([folded])
    assert view.optimized_view.selected == list(opt.removed.at[folded, "into"])
    view.select([], side="model")
    assert view.optimized_view.selected == []
    with pytest.raises(oi.InspectError, match="side="):
        view.select(fused, side="right")


def test_overlays(opt: Optimized, view: OptimizedView) -> None:
    right = view.optimized_view.overlay
    assert right["kind"] == "numeric"
    for oid, n in opt.table["n_origins"].items():
        assert right["values"][oid] == n
    left = view.model_view.overlay
    assert left["kind"] == "categorical"
    kinds = opt.model_kinds().to_dict()
    assert left["values"] == kinds
    assert set(kinds) == set(opt.source.nodes.index)
    assert {"fused", "folded"} <= set(kinds.values())
    assert INSERTED not in set(kinds.values())


def test_side_by_side_entry_point_and_close() -> None:
    v = oi.optimized_view(corpus_path("scripted_loop"), level="basic", providers="cpu", height="400px")
    folder = v.optimized.model.path.parent
    assert v.optimized.level == "basic" and v.model_view.height == "400px"
    assert folder.exists()
    v.close()
    assert not folder.exists()
    with pytest.raises(oi.InspectError, match="level="):
        oi.optimized_view(corpus_path("scripted_loop"), level="max")


def test_level_picker_swaps_the_optimized_graph() -> None:
    v = oi.optimized_view(corpus_path("small_cnn_dynamo"), level="all", providers="cpu")
    try:
        first, first_view = v.optimized, v.optimized_view
        conv = first.source.nodes.index[first.source.nodes["op_type"] == "Conv"][0]
        v.select([conv])
        v.level_picker.value = "basic"  # what a user does in the widget
        assert v.optimized.level == "basic" and v.optimized is not first
        assert v.optimized_view is not first_view and v.optimized_view.model is v.optimized.model
        assert v._right.children[1] is v.optimized_view
        assert not first.model.path.parent.exists()  # the previous level's files are gone
        # at basic nothing is fused in this model: the Conv is kept under its own id, and still selected
        assert v.optimized.derived[conv] == [conv]
        assert v.optimized_view.selected == [conv]
        assert "level &#x27;basic&#x27;" in v._right.children[0].value
        assert v.model_view.overlay["values"][conv] == "kept"
        v.optimized_view.selected = []  # the new view is linked too
        assert v.model_view.selected == []
    finally:
        v.close()
