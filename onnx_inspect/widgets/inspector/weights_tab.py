"""The Weights tab: a card per weight (DetailsView) with a slice preview; big weights in the background."""

from __future__ import annotations

import threading

import ipywidgets as W

from ...views import details as D
from ..details_view import weight_record
from ._common import (
    TabHost,
    TensorCard,
    _close_tree,
    _html,
)

#: Weights bigger than this (bytes, all of a node's weights) are summarised in the background.
BACKGROUND_BYTES = 8 * 2**20


class WeightsTab(TabHost):
    """The Weights tab: a card per weight (DetailsView) with a slice preview; big weights in the background. (a part of ``Inspector``: methods only, state lives on the Inspector)."""

    def _build_weights_tab(self) -> None:
        self._weights_status = _html()
        self._weights_cards = W.VBox([])
        self._weights_box = W.VBox([self._weights_status, self._weights_cards])
        self._weights_box.add_class("oi-weights")

    def show_weights(self, node_id: str | None = None) -> list[TensorCard]:
        """Show the Weights tab for ``node_id`` (default: the selection), synchronously; returns the cards."""
        if node_id is not None and node_id != self.node_id:
            self.select(node_id)
        if self._weights_job is not None:
            self._weights_job.join()
        self._weights_for = None
        self._weights_sync = True
        try:
            self.show_tab("Weights")
            if self._weights_for != self.node_id:
                self._render_weights(background=False)
        finally:
            self._weights_sync = False
        return [c for c in self._weights_cards.children if isinstance(c, TensorCard)]

    def _render_weights(self, background: bool = True) -> None:
        nid = self.node_id
        pending = self._weights_job is not None and self._weights_job.is_alive()
        if nid == self._weights_for and (self._weights_cards.children or pending):
            return
        for w in self._weights_cards.children:
            _close_tree(w)
        self._weights_cards.children = []
        self._weights_for = nid
        self._weights_token += 1
        token = self._weights_token
        if nid is None:
            self._weights_status.value = D.note_html("Select a node to see its weights.")
            return
        m = self.model
        ids = D.weight_ids(m, nid)
        if not ids:
            self._weights_status.value = D.note_html(
                f"node {nid} has no weights (no initializer or Constant inputs); run it on the Run tab"
            )
            return
        infos = [D.weight_info(m, t) for t in ids]
        total = sum(i["nbytes"] or 0 for i in infos)

        def build() -> None:
            cards: list[W.Widget] = []
            for info in infos:
                if token != self._weights_token:
                    break
                box = _html()
                try:
                    with self._reporting(box, f"weight {info['name']!r}"):
                        value = m.weight(info["name"], info["graph"])
                        rec = weight_record(m, info["tensor_id"], value)
                        cards.append(TensorCard(value, info["name"], rec))
                except Exception:
                    cards.append(box)
            if token == self._weights_token:
                self._weights_cards.children = cards
                self._weights_status.value = D.note_html(f"{len(cards)} weight(s) of node {nid}")
            else:  # the selection moved on while these were built
                for c in cards:
                    _close_tree(c)

        if background and total > BACKGROUND_BYTES:
            self._weights_status.value = D.note_html(
                f"reading and summarising {D.fmt_bytes(total)} of weights…"
            )
            self._weights_job = threading.Thread(target=build, daemon=True, name="oi-weights")
            self._weights_job.start()
        else:
            build()
