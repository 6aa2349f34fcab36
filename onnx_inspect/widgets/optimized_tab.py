"""The Optimized tab: the graph onnxruntime executes at a chosen level, linked to the Inspector's graph.

The session that writes the optimized graph takes seconds, so nothing is built until Show is pressed
(in the background). Then the tab holds an ``OptimizedView`` (widgets/optimized_view.py: both graphs,
linked) and paints the Inspector's graph by what onnxruntime did to each node; selecting nodes on the
optimized side selects their origins in the Inspector, and the Inspector's selection is followed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import ipywidgets as W

from ..model import Model
from ..runtime.providers import OPTIMIZATION_LEVELS
from .tab_job import FactTab, disabled, note


class OptimizedTab(FactTab):
    """Level picker and a lazily built ``OptimizedView``; ``tab.show(level)`` builds it synchronously.

    ``tab.view`` is the OptimizedView (None until shown), ``tab.optimized`` its ``oi.Optimized``.
    """

    def __init__(self, model: Model, graph: Any, *, height: str = "420px", **hooks: Any) -> None:
        super().__init__(model, graph, **hooks)
        self.view: Any = None
        self._height = height
        self._syncing = False
        self.level = W.Dropdown(options=list(OPTIMIZATION_LEVELS), value="all", description="level",
                                layout=W.Layout(width="200px"))  # fmt: skip
        self.show_button = W.Button(description="Show", button_style="primary", icon="cogs")
        self.show_button.on_click(lambda _: self.start(lambda: self._show(self.level.value),
                                                       "building the optimized graph", stoppable=False))  # fmt: skip
        self.body = W.VBox([W.HTML(note("Show builds an onnxruntime session at the chosen level (seconds) "
                                        "and the graph it runs, linked to this one."))])  # fmt: skip
        self.children = [
            W.HBox([self.level, self.show_button, self.status], layout=W.Layout(align_items="center")),
            self.body,
        ]
        self.add_class("oi-optimized-tab")
        graph.observe(self._from_inspector, "selected")

    @property
    def optimized(self) -> Any:
        """The ``oi.Optimized`` shown (None until Show)."""
        return self.view.optimized if self.view is not None else None

    def report_kwargs(self) -> dict[str, Any]:
        """What this tab holds, as ``oi.report`` keywords: the ``oi.Optimized`` shown (none before Show)."""
        opt = self.optimized
        return {"optimized": opt} if opt is not None else {}

    def show(self, level: str | None = None) -> Any:
        """Build (or rebuild at another level) the optimized graph and show it; returns the OptimizedView."""
        return self.guarded(lambda: self._show(level or self.level.value), "building the optimized graph")

    def _show(self, level: str) -> Any:
        from ..runtime.optimized import optimized
        from .side_by_side import OptimizedView

        if self.view is not None and self.view.optimized.level == level:
            return self.view
        with disabled(self.show_button):
            self.progress(f"onnxruntime is optimizing the graph at level {level!r}…")
            opt = optimized(self.model, level)
            self.progress("laying out both graphs…")
            view = OptimizedView(opt, height=self._height)
            view.optimized_view.observe(self._from_optimized, "selected")
            view.level_picker.observe(self._on_view_level, "value")
            old, self.view = self.view, view
            self.body.children = [view]
            if self.level.value != level:
                self.level.value = level
            self.paint()
            if old is not None:
                old.close()
            self._from_inspector({"new": list(self.graph.selected)})
        return view

    def paint(self) -> None:
        """Paint the Inspector's graph by what onnxruntime did to each node (kept, fused, folded, ...)."""
        if self.view is not None:
            opt = self.view.optimized
            self.graph.set_overlay(opt.model_kinds(), f"onnxruntime {opt.level}", kind="categorical")

    def _on_view_level(self, change: Mapping[str, Any]) -> None:
        # the view rebuilt its optimized side at another level: keep the picker and the paint in step
        self.level.value = change["new"]
        self.view.optimized_view.observe(self._from_optimized, "selected")
        self.paint()

    def _from_optimized(self, change: Mapping[str, Any]) -> None:
        if self._syncing or self.view is None:
            return
        self._syncing = True
        try:
            origins = self.view.optimized.linked(change["new"], "optimized")
            if origins:
                self._select(origins)
        finally:
            self._syncing = False

    def _from_inspector(self, change: Mapping[str, Any]) -> None:
        if self._syncing or self.view is None:
            return
        self._syncing = True
        try:
            self.view.select(list(change["new"]), side="model")
        finally:
            self._syncing = False

    def close(self) -> None:
        """Close the view (and remove the optimized graph's temporary files) and this tab."""
        with contextlib.suppress(ValueError):  # already closed (Widget.__del__ closes again)
            self.graph.unobserve(self._from_inspector, "selected")
        if self.view is not None:
            self.view.close()
            self.view = None
        super().close()
