"""The Model tab: summary, Netron button, the filterable node list."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import numpy as np

from ...views import details as D
from ._common import (
    LIST_LIMIT,
    TabHost,
    _html,
)


class ModelTab(TabHost):
    """The Model tab: summary, Netron button, the filterable node list. (a part of ``Inspector``: methods only, state lives on the Inspector)."""

    def _build_model_tab(self) -> None:
        self._table = D.node_table(self.model, shapes=False)  # shapes only for the rows listed
        self._hay: Any = None  # what the filter searches (views.details.node_haystack), at the first filter
        self._summary = _html(D.model_summary_html(self.model))
        self._filter = W.Text(
            placeholder="filter nodes: id, op type, name or scope (all words)",
            continuous_update=True,
            layout=W.Layout(width="98%"),
        )
        self._filter.add_class("oi-filter")
        self._count = _html()
        self._list = W.Select(options=[], rows=14, layout=W.Layout(width="98%"))
        self._list.add_class("oi-node-list")
        self._filter.observe(lambda _: self._refilter(), "value")
        self._list.observe(self._on_list_pick, "value")
        self._refilter()
        self.netron_view: Any = None
        self._netron_btn = W.Button(
            description="Open in Netron",
            tooltip="Serve this model with Netron on 127.0.0.1 and show it here (Netron's page contacts "
            "outside hosts; onnx-inspect's own views do not)",
        )
        self._netron_btn.add_class("oi-netron")
        self._netron_btn.on_click(lambda _: self._open_netron_safe())
        self._netron_box = _html("", "oi-netron-frame")
        self._model_box = W.VBox(
            [
                self._summary,
                self._netron_btn,
                self._netron_box,
                _html("<h5>Nodes</h5>"),
                self._filter,
                self._count,
                self._list,
            ]
        )

    def open_netron(self) -> Any:
        """Serve the model with Netron on 127.0.0.1 and show it on the Model tab; returns the NetronView."""
        from ...netron_view import netron  # entry point above the widgets layer: imported when used

        with self._reporting(self._netron_box, "opening Netron"):
            if self.netron_view is None:
                self.netron_view = netron(self.model)
            note = D.note_html(
                f"Netron {self.netron_view.url} - its page contacts outside hosts (analytics, consent)"
            )
            self._netron_box.value = note + self.netron_view._repr_html_()
        return self.netron_view

    def _open_netron_safe(self) -> None:
        with contextlib.suppress(Exception):
            self.open_netron()

    def filter_nodes(self, text: str) -> list[str]:
        """Filter the Model tab's node table; returns the ids listed (at most ``LIST_LIMIT``)."""
        self._filter.value = text
        return [v for _, v in self._list.options]

    def _refilter(self) -> None:
        table = self._table
        text = self._filter.value
        if text.split() and self._hay is None:
            self._hay = D.node_haystack(table)  # built at the first filter, reused for every keystroke
        mask = D.filter_mask(table, text, self._hay)
        rows = np.flatnonzero(mask) if mask is not None else np.arange(len(table))
        shown_rows = rows[:LIST_LIMIT]
        shown = table.iloc[shown_rows]
        shapes = D.output_shapes(self.model, shown_rows)  # rows of node_table are rows of m.nodes
        opts = [
            (" · ".join(x for x in (nid, op, shape, scope) if x), nid)
            for nid, op, shape, scope in zip(shown.index, shown["op_type"], shapes, shown["scope"], strict=True)
        ]  # fmt: skip
        self._syncing = True
        try:
            self._list.options = opts
            nid = self.node_id if hasattr(self, "tabs") else None
            self._list.value = nid if nid in set(shown.index) else None
        finally:
            self._syncing = False
        more = f", showing the first {LIST_LIMIT}" if len(rows) > LIST_LIMIT else ""
        self._count.value = D.note_html(
            f"{len(rows):,} of {len(table):,} nodes{more}; click one to select it"
        )

    def _on_list_pick(self, change: Mapping[str, Any]) -> None:
        if self._syncing or not change["new"] or change["new"] == self.node_id:
            return
        self._from_table = True
        self.select(change["new"])

    def _sync_table(self, nid: str | None) -> None:
        values = {v for _, v in self._list.options}
        self._syncing = True
        try:
            self._list.value = nid if nid in values else None
        finally:
            self._syncing = False
