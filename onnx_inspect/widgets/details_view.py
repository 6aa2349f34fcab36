"""``DetailsView``: a node's details and weight cards, drawn by the front end's ``details.ts``.

The same TypeScript renders the same records (``views.records``: ``NodeRecord``/``WeightRecord``) in the
Inspector and in an HTML report, so a node reads the same in both. Python only sets traits: ``node`` (a
NodeRecord or None), ``more`` (how many other nodes are selected), ``weights`` (WeightRecords) and
``note``; clicks come back as messages and go to the ``on_select`` / ``on_show_graph`` /
``on_show_weight`` callbacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..errors import InspectError
from ..model import Model
from ..views import details as D

STATIC = Path(__file__).resolve().parent.parent / "static"
ESM = STATIC / "details.js"
CSS = STATIC / "details.css"
#: Consumers listed per output (the rest are counted), as in reports.
MAX_CONSUMERS = 32


def _bundle_missing() -> InspectError:
    return InspectError(
        f"the details panel's front end is not built: {ESM} is missing. Reinstall onnx-inspect with pip, "
        "or run `npm ci && npm run build` in the js/ folder of a source checkout."
    )


def jsonable(v: Any) -> Any:
    """``v`` with numpy scalars/arrays as Python values and NaN/Inf as None (what a widget trait can send)."""
    if isinstance(v, Mapping):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return [jsonable(x) for x in v.tolist()]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    if v is None or isinstance(v, str):
        return v
    return str(v)


def node_record(m: Model, node_id: str, sources: Any = ()) -> dict[str, Any]:
    """The NodeRecord of ``node_id`` (``views.records.node_record`` where it exists)."""
    try:
        from ..views.records import node_record as build  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # until views.records lands: the same facts from views.details' tables
        return _node_record_from_tables(m, node_id)
    return jsonable(build(m, node_id, sources=sources))


def _node_record_from_tables(m: Model, node_id: str) -> dict[str, Any]:
    info = D.node_info(m, node_id)
    attrs = D.attribute_table(m, node_id)

    def io(which: str) -> list[dict[str, Any]]:
        rows = []
        for r in D.io_table(m, node_id, which).itertuples(index=False):
            cons = list(r.consumers) if which == "outputs" else []
            rows.append(
                {"slot": r.slot, "name": r.name, "tensor": r.tensor_id, "dtype": r.dtype or "",
                 "shape": D.shape_text(r.shape) if r.tensor_id else "", "shape_source": r.shape_source or "",
                 "kind": r.kind, "producer": r.producer if which == "inputs" else None,
                 "consumers": cons[:MAX_CONSUMERS], "more_consumers": max(len(cons) - MAX_CONSUMERS, 0)}
            )  # fmt: skip
        return rows

    return jsonable(
        {
            "id": node_id,
            "op": info["op_type"],
            "domain": info["domain"],
            "opset": info["opset"],
            "name": info["name"],
            "graph": info["graph"],
            "scope": info["scope"],
            "ort": info["ort_name"],
            "doc": D.cut(info["doc_string"].strip(), 4000),
            "doc_url": D.doc_url(info["op_type"], "" if info["domain"] == "ai.onnx" else info["domain"]),
            "meta": [{"key": k, "value": D.cut(v, 2000)} for k, v in info["metadata"].items()],
            "bodies": list(info["subgraphs"]),
            "attrs": [
                {
                    "name": name,
                    "type": r["type"],
                    "value": r["value"],
                    "source": r["source"],
                    "ref": r["ref"] if r["ref_kind"] == "graph" else None,
                }
                for name, r in attrs.iterrows()
            ],
            "inputs": io("inputs"),
            "outputs": io("outputs"),
            "weights": D.weight_ids(m, node_id),
            "sections": [],
        }
    )


def tensor_block(value: Any) -> dict[str, Any]:
    """Stats, histogram bin counts and first values of an array, as the records carry them."""
    try:
        from ..views.records import tensor_block as block  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # until views.records lands: the report's converter (the same numbers)
        from ..report import _tensor_block as block
    return jsonable(block(value))


def weight_record(m: Model, tensor_id: str, value: Any = None) -> dict[str, Any]:
    """The WeightRecord of a weight, read (or ``value``, when the caller has read it) and summarised;
    a read failure becomes ``error``."""
    info = D.weight_info(m, tensor_id)
    rec: dict[str, Any] = {
        "id": tensor_id,
        "source": info["source_id"],
        "name": info["name"],
        "graph": info["graph"],
        "dtype": info["dtype"] or "",
        "shape": D.shape_text(info["shape"]),
        "nbytes": info["nbytes"],
        "kind": info["kind"],
        "where": info["where"],
        "external": bool(info["external"]),
    }
    try:
        rec.update(tensor_block(m.weight(info["name"], info["graph"]) if value is None else value))
    except InspectError as exc:
        rec["error"] = str(exc)
    return jsonable(rec)


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

    node = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
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
            raise _bundle_missing()
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
