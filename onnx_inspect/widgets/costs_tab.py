"""The Costs tab: what each node costs (params, MACs/FLOPs, activation bytes) and the static memory plan.

Counts come from ``m.costs(dims)`` and ``m.memory_plan(dims)`` (model/costs.py) at the Run tab's dims;
figures from ``views.cost_figures``; the overlay from ``model.costs.cost_overlay``. Picking a row of the
top-N list selects and reveals that node in the Inspector.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import pandas as pd

from ..errors import InspectError
from ..model import Model
from ..model.costs import by_op_type, cost_overlay, totals_text
from ..views.details import fmt_bytes, fmt_number
from .tab_job import FactTab, disabled, figure_output, note, show_figure

#: Columns the list can be sorted by, and the overlays offered (column -> legend label, unit).
SORT_COLUMNS = ("flops", "macs", "params", "output_bytes", "input_bytes", "weight_bytes")
OVERLAYS: dict[str, tuple[str, str]] = {
    "macs": ("MACs", "MAC"),
    "flops": ("FLOPs", "FLOP"),
    "params": ("parameters", ""),
    "output_bytes": ("output activation bytes", "B"),
}
TOP = 25


class CostsTab(FactTab):
    """Totals, the top-N nodes by a cost column (pick one to select it), op-type and memory figures, overlay.

    ``tab.compute()`` counts at the Run tab's dims (synchronously; the Count button does it in the
    background); ``tab.costs`` / ``tab.plan`` hold the tables, ``tab.paint(column)`` the overlay.
    """

    def __init__(self, model: Model, graph: Any, **hooks: Any) -> None:
        super().__init__(model, graph, **hooks)
        self.costs: pd.DataFrame | None = None
        self.plan: pd.DataFrame | None = None
        self.dims: Mapping[str, Any] | None = None  # the dims the tables were counted at
        self.count_button = W.Button(description="Count costs", button_style="primary", icon="calculator")
        self.count_button.on_click(lambda _: self.start(self._compute, "counting costs", stoppable=False))
        self.sort = W.Dropdown(options=list(SORT_COLUMNS), value="flops", description="sort by",
                               layout=W.Layout(width="200px"))  # fmt: skip
        self.top = W.BoundedIntText(value=TOP, min=1, max=10_000, description="top",
                                    layout=W.Layout(width="140px"))  # fmt: skip
        self.overlay = W.Dropdown(options=["none", *OVERLAYS], value="none", description="paint",
                                  layout=W.Layout(width="200px"))  # fmt: skip
        for w in (self.sort, self.top):
            w.observe(lambda _: self._fill_list(), "value")
        self.overlay.observe(lambda ch: self._paint_safe(ch["new"]), "value")
        self.overlay.add_class("oi-cost-overlay")
        self.totals = W.HTML(note("Count costs to see params, MACs/FLOPs and peak activation memory "
                                  "(at the Run tab's dims)."))  # fmt: skip
        self.nodes = W.Select(options=[], rows=12, layout=W.Layout(width="100%"))
        self.nodes.add_class("oi-cost-node-list")
        self.nodes.observe(self._on_pick, "value")
        self.op_figure = figure_output()
        self.memory_figure = figure_output()
        self.children = [
            W.HBox([self.count_button, self.stop_button, self.status], layout=W.Layout(align_items="center")),
            self.totals,
            W.HBox([self.sort, self.top, self.overlay], layout=W.Layout(flex_flow="row wrap")),
            self.nodes,
            self.op_figure,
            self.memory_figure,
        ]
        self.add_class("oi-costs-tab")

    def compute(self) -> pd.DataFrame:
        """Count every node's costs and the memory plan at the Run tab's dims; show totals, list, figures."""
        return self.guarded(self._compute, "counting costs")

    def _compute(self) -> pd.DataFrame:
        from ..views.cost_figures import memory_timeline, op_types

        dims = self._dims()
        with disabled(self.count_button):
            self.progress("counting params, MACs and FLOPs…")
            costs = self.model.costs(dims)
            self.progress("planning activation memory…")
            plan = self.model.memory_plan(dims)
            self.costs, self.plan, self.dims = costs, plan, dims
            self.totals.value = _totals_html(costs, plan)
            self._fill_list()
            self.progress("drawing figures…")
            if len(by_op_type(costs)["flops"].dropna()):
                show_figure(self.op_figure, op_types(costs))
            if len(plan.attrs.get("live", [])):
                show_figure(self.memory_figure, memory_timeline(plan, self.model))
            if self.overlay.value != "none":
                self.paint(self.overlay.value)
        return costs

    def report_kwargs(self) -> dict[str, Any]:
        """What this tab holds, as ``oi.report`` keywords: ``costs`` at the dims counted (none before Count)."""
        if self.costs is None:
            return {}
        return {"costs": dict(self.dims) if self.dims else True}

    def top_rows(self) -> pd.DataFrame:
        """The top-N nodes by the chosen column (nodes without a count last)."""
        if self.costs is None:
            return pd.DataFrame()
        col = self.sort.value
        return self.costs.sort_values(col, ascending=False, na_position="last").head(int(self.top.value))

    def _fill_list(self) -> None:
        rows = self.top_rows()
        if not len(rows):
            self.nodes.options = []
            return
        col = self.sort.value
        width = min(40, max(len(str(i)) for i in rows.index))
        self.nodes.options = [
            (f"{_cut(str(nid), width):<{width}}  {_cut(str(op), 16):<16}  {col} {_value(col, v)}", str(nid))
            for nid, op, v in zip(rows.index, rows["op_type"], rows[col], strict=True)
        ]
        self.nodes.value = None

    def _on_pick(self, change: Mapping[str, Any]) -> None:
        if change["new"] is not None:
            self._select([change["new"]])

    def paint(self, column: str) -> None:
        """Paint the Inspector's graph by one cost column (``macs``, ``flops``, ``params``, ``output_bytes``);
        "none" clears the overlay."""
        if column == "none":
            self.graph.clear_overlay()
            return
        if column not in OVERLAYS:
            raise InspectError(f"cost overlay '{column}' is not one of {['none', *OVERLAYS]}")
        label, unit = OVERLAYS[column]
        values = cost_overlay(self.model, column, self._dims())
        self.graph.set_overlay(values, label, kind="numeric", scale="log", aggregate="sum", unit=unit)

    def _paint_safe(self, column: str) -> None:
        self.guarded(lambda: self.paint(column), f"painting {column}")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _value(col: str, v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return "?"
    return fmt_bytes(int(v)) if col.endswith("bytes") else fmt_number(int(v))


def _totals_html(costs: pd.DataFrame, plan: pd.DataFrame) -> str:
    peak = plan.attrs.get("peak_bytes")
    line = totals_text(costs)
    if peak is not None:
        node = plan.attrs.get("peak_node")
        at = f" at {node}" if node else ""
        unknown = plan.attrs.get("unknown") or 0
        n = unknown if isinstance(unknown, int) else len(unknown)
        low = f" (at least: {n} activation(s) of unknown size)" if n else ""
        line += f"; peak activation memory {fmt_bytes(int(peak))}{at}{low}"
    return f"<div class='oi-cost-totals'>{html.escape(line)}</div>"
