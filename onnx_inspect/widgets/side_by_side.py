"""The model's graph beside the graph onnxruntime executes, selections linked through ``oi.optimized``.

A self-contained widget (the Inspector can host it as a tab): two GraphViews side by side, stacked when
the pane is narrow. Selecting nodes on one side selects what they correspond to on the other (a fused
kernel's origins, a model node's kernels, a folded node's readers). The model side is painted by what
onnxruntime did to each node, the optimized side by how many model nodes each node came from.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from typing import Any

import ipywidgets as W
import onnx

from ..errors import InspectError
from ..model import Model
from ..runtime.optimized import Optimized, optimized
from ..runtime.session import OPTIMIZATION
from .graphview import GraphView


class OptimizedView(W.VBox):
    """Model graph (left or top) and optimized graph (right or bottom) with linked selections.

    ``view.optimized`` is the ``oi.Optimized`` result; ``view.model_view`` / ``view.optimized_view`` the two
    GraphViews; ``view.select(ids, side="model"|"optimized")`` selects on one side (the other follows).
    """

    def __init__(self, opt: Optimized, *, height: str = "520px") -> None:
        self.optimized = opt
        self._height = height
        self._syncing = False
        self.model_view = GraphView(opt.source, height=height)
        self.model_view.observe(self._from_model, "selected")
        self.optimized_view = self._make_optimized_view(opt)
        self.level_picker = W.Dropdown(
            options=list(OPTIMIZATION), value=opt.level, description="level", layout=W.Layout(width="180px")
        )
        self.level_picker.observe(self._on_level, "value")
        self.status = W.HTML(_summary_html(opt))
        self._right = _pane(self.optimized_view, _right_title(opt))
        left = _pane(self.model_view, f"model: {len(opt.source.nodes)} nodes")
        panes = W.Box(
            [left, self._right], layout=W.Layout(display="flex", flex_flow="row wrap", width="100%")
        )
        bar = W.HBox([self.level_picker, self.status], layout=W.Layout(align_items="center"))
        super().__init__([bar, panes], layout=W.Layout(width="100%"))
        self.add_class("oi-optimized-view")

    def _make_optimized_view(self, opt: Optimized) -> GraphView:
        view = GraphView(opt.model, height=self._height)
        view.set_overlay(opt.table["n_origins"], "model nodes per node", kind="numeric", aggregate="sum")
        view.observe(self._from_optimized, "selected")
        self.model_view.set_overlay(opt.model_kinds(), "what onnxruntime did", kind="categorical")
        return view

    def set_level(self, level: str) -> None:
        """Show the graph onnxruntime runs at another optimization level (same providers); the model's
        selection carries over."""
        old, old_view = self.optimized, self.optimized_view
        if level == old.level:
            return
        new = optimized(old.source, level, list(old.providers))
        self.optimized = new
        self.optimized_view = self._make_optimized_view(new)
        self._right.children = [W.HTML(f"<b>{html.escape(_right_title(new))}</b>"), self.optimized_view]
        self.status.value = _summary_html(new)
        if self.level_picker.value != level:
            self.level_picker.value = level
        self._follow(list(self.model_view.selected), "model", self.optimized_view)
        old_view.close()
        old.close()

    def _on_level(self, change: dict[str, Any]) -> None:
        try:
            self.set_level(change["new"])
        except InspectError as exc:  # shown in the widget; the graph of the previous level stays
            self.level_picker.value = self.optimized.level
            self.status.value = f"<span class='oi-error'>{html.escape(str(exc))}</span>"

    def select(self, ids: str | Iterable[str], side: str = "model") -> None:
        """Select node ids on ``side`` ("model" or "optimized"); the other side follows."""
        view = self.model_view if side == "model" else self.optimized_view if side == "optimized" else None
        if view is None:
            self.optimized.linked((), side)  # raises the InspectError naming the allowed sides
            return
        view.select(ids)

    def _from_model(self, change: dict[str, Any]) -> None:
        self._follow(change["new"], "model", self.optimized_view)

    def _from_optimized(self, change: dict[str, Any]) -> None:
        self._follow(change["new"], "optimized", self.model_view)

    def _follow(self, ids: list[str], side: str, other: GraphView) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            other.selected = self.optimized.linked(ids, side)
        finally:
            self._syncing = False

    def close(self) -> None:
        """Close both graph views and remove the optimized model's temporary files."""
        self.model_view.close()
        self.optimized_view.close()
        self.optimized.close()
        super().close()


def _right_title(opt: Optimized) -> str:
    return f"onnxruntime, level {opt.level!r}: {len(opt.table)} nodes"


def _pane(view: GraphView, title: str) -> W.VBox:
    box = W.VBox(
        [W.HTML(f"<b>{html.escape(title)}</b>"), view],
        layout=W.Layout(flex="1 1 420px", min_width="300px"),
    )
    return box


def _summary_html(opt: Optimized) -> str:
    counts = opt.summary()
    parts = ", ".join(
        f"{int(c)} {html.escape(str(k))}" for k, c in zip(counts["kind"], counts["count"], strict=True)
    )
    provs = ", ".join(html.escape(p) for p in opt.providers)
    return (
        f"<div class='oi-optimized-summary'>onnxruntime {html.escape(opt.level)} on {provs}: "
        f"{len(opt.source.nodes)} model nodes &rarr; {len(opt.table)} nodes ({parts}). "
        "Select on either side; the other follows.</div>"
    )


def optimized_view(
    m: Model | str | os.PathLike[str] | bytes | onnx.ModelProto | Optimized,
    level: str = "all",
    providers: Any = None,
    *,
    height: str = "520px",
) -> OptimizedView:
    """The model beside the graph onnxruntime runs at ``level`` (see ``oi.optimized``), selections linked."""
    opt = m if isinstance(m, Optimized) else optimized(m, level, providers)
    return OptimizedView(opt, height=height)
