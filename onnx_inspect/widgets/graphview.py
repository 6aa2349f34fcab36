"""``GraphView``: the model's graph as an anywidget, with selection and overlays synced to Python.

The graph payload (``views.graph_payload``) is sent once, in its compressed wire form
(``payload_bytes``: int32 columns, raw deflate) as a binary comm buffer; ``selected`` and ``overlay`` are separate traits, so selecting or repainting never
resends the graph. The front end is ``js/`` built into ``onnx_inspect/static/``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..errors import InspectError, UnknownNameError
from ..model import Model, ModelLike, load
from ..views.graph_payload import decode_payload, graph_columns, payload_bytes
from ..views.overlay import Aggregate, Kind, Scale, is_spec, normalise_overlay, overlay_spec
from .fallback import StaticFallback, sanitize_svg, summary_text

STATIC = Path(__file__).resolve().parent.parent / "static"
ESM = STATIC / "graphview.js"
CSS = STATIC / "graphview.css"


def bundle_missing(what: str = "graph view", esm: Path = ESM) -> InspectError:
    """The one message for a front-end bundle that is not built (a source checkout without npm run build)."""
    return InspectError(
        f"the {what}'s front end is not built: {esm} is missing. Reinstall onnx-inspect with pip "
        "(the build runs `npm ci && npm run build` in js/), or run those two commands in the js/ folder "
        "of a source checkout."
    )


class GraphView(StaticFallback, anywidget.AnyWidget):
    """Interactive graph of an ONNX model: pan, zoom, search, expand scopes, open If/Loop/Scan bodies.

    ``selected`` (list of node ids, as in ``m.nodes.index``) syncs both ways; ``overlay`` paints
    per-node values (latency, provider, ...) without resending the graph.
    """

    if ESM.is_file() and CSS.is_file():
        # Strings, not Paths: anywidget watches a Path for hot reload through a signal that holds every
        # widget instance strongly, so no GraphView (nor its model) could ever be freed.
        _esm = ESM.read_text(encoding="utf-8")
        _css = CSS.read_text(encoding="utf-8")

    _payload = traitlets.Bytes(b"").tag(sync=True)
    selected = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    overlay = traitlets.Dict(default_value={}).tag(sync=True)
    height = traitlets.Unicode("600px").tag(sync=True)
    # the front end sends an SVG of its first view once, for outputs read without a widget manager
    _want_snapshot = traitlets.Bool(True).tag(sync=True)

    def __init__(
        self,
        model: ModelLike,
        *,
        selected: Iterable[str] = (),
        height: str = "600px",
        **kwargs: Any,
    ) -> None:
        if not (ESM.is_file() and CSS.is_file()):
            raise bundle_missing()
        m = model if isinstance(model, Model) else load(model)
        self.model = m
        data = payload_bytes(graph_columns(m))
        self._payload_dict: dict[str, Any] | None = None  # read back from the bytes when asked for
        super().__init__(_payload=data, height=height, **kwargs)
        sel = list(selected)
        if sel:
            self.selected = sel
        self._snapshot_listeners: list[Any] = []
        self.on_msg(self._on_front_end_msg)

    def _fallback_text(self) -> str:
        return summary_text(self.model, "GraphView")

    def _on_front_end_msg(self, _: Any, content: Any, buffers: Any) -> None:
        """The first view's picture (``{"kind": "oi-snapshot", "svg": ...}``), kept for static outputs."""
        if not isinstance(content, dict) or content.get("kind") != "oi-snapshot" or not self._want_snapshot:
            return
        svg = sanitize_svg(content.get("svg"))
        if svg is None:
            return
        self._want_snapshot = False
        self._set_snapshot(svg)
        for ref in self._snapshot_listeners:  # weak references to bound methods (an Inspector around it)
            listener = ref()
            if listener is not None:
                listener(svg)

    @property
    def payload(self) -> dict[str, Any]:
        """The graph payload that was sent to the front end, read back (``graph_payload``'s dict form)."""
        if self._payload_dict is None:
            self._payload_dict = decode_payload(self._payload)
        return self._payload_dict

    @property
    def payload_nbytes(self) -> int:
        """Size in bytes of the payload as sent (the compressed wire form)."""
        return len(self._payload)

    # -- validation ------------------------------------------------------------------------------
    @functools.cached_property
    def _node_ids(self) -> frozenset[str]:
        """The model's node ids, for checking selections and overlays (built on first use: 200k ids take 40 ms)."""
        return frozenset(self.model.nodes.index.tolist())

    def _unknown(self, ids: Iterable[str]) -> list[str]:
        return [i for i in ids if i not in self._node_ids]

    @traitlets.validate("selected")
    def _check_selected(self, proposal: dict[str, Any]) -> list[str]:
        ids = list(proposal["value"])
        bad = self._unknown(ids)
        if bad:
            raise UnknownNameError(
                f"GraphView.selected: {len(bad)} id(s) are not nodes of this model, e.g. {bad[0]!r}; "
                "use ids from m.nodes.index"
            )
        return list(dict.fromkeys(ids))  # no duplicates, order kept

    @traitlets.validate("overlay")
    def _check_overlay(self, proposal: dict[str, Any]) -> dict[str, Any]:
        return dict(normalise_overlay(proposal["value"], self._node_ids))

    # -- helpers ---------------------------------------------------------------------------------
    def select(self, ids: str | Iterable[str]) -> None:
        """Select node(s) by id; the view expands groups, opens bodies and centres as needed."""
        self.selected = [ids] if isinstance(ids, str) else list(ids)

    def set_overlay(
        self,
        values: Mapping[str, Any] | Any,
        label: str = "value",
        *,
        kind: Kind | None = None,
        scale: Scale = "linear",
        aggregate: Aggregate = "sum",
        unit: str = "",
    ) -> None:
        """Paint nodes by a value per node id (a dict or a pandas Series indexed by node id), or by a
        whole spec such as ``Profile.overlay("mean_us")`` (then the other arguments are ignored).

        Numbers get a colour scale (collapsed groups show the ``aggregate`` of their nodes),
        strings get categorical colours; None/NaN values are left unpainted.
        """
        if is_spec(values):
            self.overlay = {k: v for k, v in values.items() if k != "menu"}
            return
        self.overlay = overlay_spec(values, label, kind=kind, scale=scale, aggregate=aggregate, unit=unit)

    def clear_overlay(self) -> None:
        """Remove the overlay colours and legend."""
        self.overlay = {}
