"""What a widget's output shows where no widget manager runs (GitHub, nbviewer, a kernel-less reopen).

Every GraphView / Inspector output carries, beside the widget view, a ``text/plain`` summary of the
model (from ``Model.summary``) and, once the front end has painted its first view, a picture of it:
the front end sends the graph's SVG back once, it is sanitised here, and every output that shows the
widget is updated in place (a display_id update sent as part of the cell that displayed it, so
JupyterLab and Notebook 7 route it to that cell's output and save it with the notebook).
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from ..model import Model
from ..views.summary import summary_text as model_summary_text

SVG_NS = "http://www.w3.org/2000/svg"
MAX_SVG_BYTES = 2_000_000  # a first view bigger than this is not worth keeping in the notebook file
_TAGS = {
    "svg", "g", "defs", "marker", "rect", "path", "line", "polyline", "polygon", "circle", "ellipse",
    "text", "tspan", "title", "clipPath",
}  # fmt: skip
_ATTRS = {
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "width", "height", "d", "points",
    "transform", "viewBox", "style", "id", "refX", "refY", "markerWidth", "markerHeight", "orient",
    "marker-end", "marker-start", "clip-path", "fill", "stroke", "stroke-width", "opacity", "font-size",
    "font-family", "font-weight", "text-anchor", "dominant-baseline", "dx", "dy", "preserveAspectRatio",
    "data-node-id", "data-group-id",
}  # fmt: skip
_SAFE_STYLE = re.compile(r"^[#%(),.\-\w\s:;\"'/]*$")
_URL = re.compile(r"url\(\s*([^)]*)\)")


def summary_text(m: Model, kind: str) -> str:
    """A few lines about the model for ``text/plain`` (``views.summary``'s brief summary, titled)."""
    return model_summary_text(m, f"onnx-inspect {kind}", brief=True)


def sanitize_svg(svg: Any) -> str | None:
    """The SVG the front end sent, reduced to drawing elements and attributes (no script, no links
    outside the image, no event handlers); None if it is not a well-formed SVG document."""
    if not isinstance(svg, str) or not svg.startswith("<svg") or len(svg.encode()) > MAX_SVG_BYTES:
        return None
    if "<!DOCTYPE" in svg or "<!ENTITY" in svg:
        return None
    try:
        root = ET.fromstring(svg)
    except ET.ParseError:
        return None
    if root.tag != f"{{{SVG_NS}}}svg":
        return None

    def clean(el: ET.Element) -> None:
        for child in list(el):
            tag = child.tag.split("}", 1)[-1] if child.tag.startswith(f"{{{SVG_NS}}}") else None
            if tag not in _TAGS:
                el.remove(child)
                continue
            clean(child)
        for name in list(el.attrib):
            value = el.attrib[name]
            ok = name in _ATTRS and "javascript:" not in value.lower() and "expression" not in value.lower()
            if ok and name == "style":
                ok = bool(_SAFE_STYLE.match(value)) and all(
                    u.strip("'\" ").startswith("#") for u in _URL.findall(value)
                )
            if ok and "url(" in value:
                ok = all(u.strip("'\" ").startswith("#") for u in _URL.findall(value))
            if not ok:
                del el.attrib[name]

    clean(root)
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="unicode")


class StaticFallback:
    """Mixin for a widget whose output should also read without a widget manager.

    The class provides ``_fallback_text()``; the GraphView that paints it calls ``_set_snapshot``.
    """

    _snapshot_svg: str | None = None
    _fallback_displays: list[tuple[str, Any]]
    # False: keep the picture for later displays but leave shown outputs alone (re-rendering an Inspector
    # view re-creates its plotly figures, which then throw on resize in hidden tabs)
    _fallback_live_update = True

    def _fallback_text(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, None)
        if data is None:
            return bundle
        data = dict(data)
        data["text/plain"] = self._fallback_text()
        if self._snapshot_svg:
            data["image/svg+xml"] = self._snapshot_svg
        return (data, meta) if meta is not None else data

    def _ipython_display_(self) -> None:
        """Display with a display_id, so the picture can be added to this very output later."""
        from IPython import get_ipython
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
        display_id = uuid.uuid4().hex
        display(data, metadata=meta or {}, raw=True, display_id=display_id)
        kernel = getattr(get_ipython(), "kernel", None)
        parent = kernel.get_parent() if kernel is not None and hasattr(kernel, "get_parent") else None
        if not hasattr(self, "_fallback_displays"):
            self._fallback_displays = []
        self._fallback_displays.append((display_id, parent))

    def _set_snapshot(self, svg: str) -> None:
        """Keep the picture and put it into every output that shows this widget."""
        self._snapshot_svg = svg
        displays = getattr(self, "_fallback_displays", [])
        if not displays or not self._fallback_live_update:
            return
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        data = self._repr_mimebundle_()
        data = data[0] if isinstance(data, tuple) else data
        for display_id, parent in displays:
            content = {"data": data, "metadata": {}, "transient": {"display_id": display_id}}
            if kernel is not None and parent:
                # sent as part of the cell that displayed the widget: front ends route it to that output
                kernel.session.send(
                    kernel.iopub_socket, "update_display_data", content, parent=parent, ident=b"display_data"
                )
            else:
                from IPython.display import update_display

                update_display(data, raw=True, display_id=display_id)
