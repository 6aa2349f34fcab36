"""The Node tab: the node's record drawn by ``details.ts`` (DetailsView) and its op schema."""

from __future__ import annotations

import contextlib

import ipywidgets as W

from ...errors import InspectError
from ...views import details as D
from ..details_view import DetailsView, node_record
from ._common import (
    TabHost,
    _html,
)


class NodeTab(TabHost):
    """The Node tab: the node's record drawn by ``details.ts`` (DetailsView) and its op schema. (a part of ``Inspector``: methods only, state lives on the Inspector)."""

    def _build_node_tab(self) -> None:
        self._node_status = _html()
        self._node_view = DetailsView(
            on_select=self._select_from_panel,
            on_show_graph=self._show_graph,
            on_show_weight=lambda _tid: self.show_tab("Weights"),
        )
        self._node_schema = _html()
        self._node_box = W.VBox([self._node_status, self._node_view, self._node_schema])
        self._node_box.add_class("oi-node-tab")

    def _select_from_panel(self, node_id: str) -> None:
        with contextlib.suppress(InspectError):  # a stale link (the model changed): nothing to select
            self.select(node_id)

    def _show_graph(self, path: str) -> None:
        """Select the first node of a body (an If/Loop/Scan branch or a function), which opens it."""
        first = self.model.nodes.index[self.model.nodes["graph"] == path]
        if len(first):
            self.select(first[0])

    def _render_node(self) -> None:
        nid = self.node_id
        self._node_status.value = ""
        if nid is None:
            self._node_view.node = None
            self._node_view.note = "Click a node in the graph, or pick one on the Model tab."
            self._node_schema.value = ""
            return
        m = self.model
        try:
            with self._reporting(self._node_status, f"details of node {nid!r}"):
                rec = node_record(m, nid)
                info = D.node_info(m, nid)
                schema = D.schema_summary(info["op_type"], info["domain"], info["opset"])
        except Exception:
            self._node_view.node = None
            self._node_view.note = ""
            self._node_schema.value = ""
            return
        self._node_view.note = ""
        self._node_view.more = len(self.selected) - 1
        self._node_view.node = rec
        self._node_schema.value = "<h5>Schema</h5>" + D.schema_html(schema, info["op_type"], info["domain"])
