"""``DetailsView``: a node's details and weight cards, drawn by the front end's ``details.ts``.

The same TypeScript renders the same records (``views.records``: ``NodeRecord``/``WeightRecord``) in the
Inspector and in an HTML report, so a node reads the same in both. Python only sets traits: ``node`` (a
NodeRecord or None), ``more`` (how many other nodes are selected), ``weights`` (WeightRecords) and
``note``; clicks come back as messages and go to the ``on_select`` / ``on_show_graph`` /
``on_show_weight`` callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..model import Model
from ..views import details as D
from ..views import records
from ..views.records import FactSource, jsonable
from .graphview import STATIC, bundle_missing

ESM = STATIC / "details.js"
CSS = STATIC / "details.css"


def node_record(m: Model, node_id: str, sources: Iterable[FactSource] = ()) -> dict[str, Any]:
    """The NodeRecord of ``node_id`` (``views.records``), as the DetailsView's ``node`` trait takes it."""
    return dict(records.node_record(m, node_id, sources))


def tensor_block(value: Any) -> dict[str, Any]:
    """Stats, histogram bin counts and first values of an array, as the records carry them."""
    return jsonable(records.tensor_block(value))


def weight_record(m: Model, tensor_id: str, value: Any = None) -> dict[str, Any]:
    """The WeightRecord of a weight (``views.records``); ``value``, when the caller has read it already,
    is summarised instead of reading the weight again."""
    if value is None:
        return records.weight_record(m, tensor_id)
    rec = records.weight_record(m, tensor_id, read=False)
    block = tensor_block(value)
    for k in ("dtype", "shape"):  # the record's own dtype / shape say it
        block["stats"].pop(k, None)
    return {**rec, **block}


def value_record(
    value: Any, name: str, where: str = "", block: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A WeightRecord-shaped card of any array (a run's output): ``block`` is its ``tensor_block``."""
    a = np.asarray(value)
    return jsonable(
        {
            "id": name, "source": name, "name": name, "graph": "", "dtype": str(a.dtype),
            "shape": D.shape_text(tuple(a.shape)), "nbytes": int(a.nbytes), "kind": "value", "where": where,
            "external": False, **(block if block is not None else tensor_block(a)),
        }
    )  # fmt: skip


class DetailsView(anywidget.AnyWidget):
    """A node's details (``node``) and/or weight cards (``weights``), drawn by ``details.ts``."""

    if ESM.is_file() and CSS.is_file():
        _esm = ESM.read_text(encoding="utf-8")  # strings, not Paths (see GraphView)
        _css = CSS.read_text(encoding="utf-8")

    node = traitlets.Instance(dict, allow_none=True).tag(sync=True)  # a dict or None (typed as such)
    more = traitlets.Int(0).tag(sync=True)
    weights = traitlets.List(traitlets.Dict(), default_value=[]).tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        *,
        on_select: Callable[[str], Any] | None = None,
        on_show_graph: Callable[[str], Any] | None = None,
        on_show_weight: Callable[[str], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not (ESM.is_file() and CSS.is_file()):
            raise bundle_missing("details panel", ESM)
        super().__init__(**kwargs)
        self._callbacks = {"select": on_select, "show-graph": on_show_graph, "show-weight": on_show_weight}
        self.on_msg(self._on_front_end_msg)

    def _on_front_end_msg(self, _: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict):
            self.handle(content)

    def handle(self, content: Mapping[str, Any]) -> None:
        """Act on a message from the front end: ``{"kind": "select", "id"}``, ``{"kind": "show-graph",
        "path"}`` or ``{"kind": "show-weight", "id"}`` (what a click on a link sends)."""
        kind = content.get("kind")
        cb = self._callbacks.get(str(kind))
        arg = content.get("path" if kind == "show-graph" else "id")
        if cb is not None and isinstance(arg, str):
            cb(arg)
