"""Executed notebooks as ONE offline HTML file: ``jupyter nbconvert --to onnx-inspect-html`` and
``oi.export_notebook``.

nbconvert's HTML export loads require.js, the widget manager and anywidget from three CDNs; offline
its widget outputs stay empty. This exporter inlines pinned copies of all three (built into
``onnx_inspect/static/vendor/`` by ``js/scripts/vendor.mjs``), drops the MathJax and Mermaid CDN
scripts, and shows a widget's static fallback (its picture and summary) where the notebook was saved
without that widget's state, so the page renders every onnx-inspect widget from saved state with no
request leaving the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbconvert.exporters import HTMLExporter
from traitlets import default

from .errors import InspectError

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
TEMPLATES = Path(__file__).resolve().parent / "templates"
VENDOR_FILES = ("require.js", "embed-amd.js", "anywidget.js")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def script_safe(js: str) -> str:
    """JavaScript made safe to sit inside a <script> element (no end tag or comment opener in it)."""
    return js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT").replace("<!--", "<\\!--")


def vendor_scripts() -> dict[str, str]:
    """The pinned widget-manager scripts, script-safe; InspectError if the front end was not built."""
    missing = [f for f in VENDOR_FILES if not (VENDOR / f).is_file()]
    if missing:
        raise InspectError(
            f"the offline notebook export needs {VENDOR / missing[0]}, which is missing; reinstall "
            "onnx-inspect with pip (the build writes onnx_inspect/static/vendor/)"
        )
    return {f: script_safe((VENDOR / f).read_text(encoding="utf-8")) for f in VENDOR_FILES}


def _views_without_state(nb: Any) -> None:
    """Drop widget views whose state the notebook did not save, so their static fallback shows instead
    of an empty box (JupyterLab saves widget state only with "Save Widget State Automatically")."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            view = data.get(WIDGET_VIEW)
            if view is not None and view.get("model_id") not in state and len(data) > 1:
                del data[WIDGET_VIEW]


class OfflineHTMLExporter(HTMLExporter):
    """HTML of a whole executed notebook, one file, widgets rendered from saved state, no network."""

    export_from_notebook = "HTML, offline widgets (onnx-inspect)"

    @default("template_name")
    def _template_name_default(self) -> str:
        return "onnx_inspect_html"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        return [str(TEMPLATES)]

    def _init_resources(self, resources: Any) -> Any:
        resources = super()._init_resources(resources)
        resources["oi_vendor"] = vendor_scripts()
        return resources

    # nbconvert's base Exporter declares (NotebookNode, dict); HTMLExporter, our base, returns (str, dict)
    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: Any = None, **kw: Any
    ) -> tuple[str, Any]:
        import copy

        nb = copy.deepcopy(nb)
        _views_without_state(nb)
        return super().from_notebook_node(nb, resources, **kw)


def export_notebook(
    path_in: str | os.PathLike[str],
    path_out: str | os.PathLike[str] | None = None,
    *,
    execute: bool = False,
    timeout: int = 600,
) -> Path:
    """Write ``path_in`` (.ipynb) as one offline HTML file (default: beside it, ``.html``); return its path.

    ``execute=True`` runs the notebook first (nbclient, widget state kept), for notebooks saved without
    outputs or without widget state.
    """
    import nbformat

    src = Path(path_in)
    if not src.is_file():
        raise InspectError(f"export_notebook: '{src}' is not a file; pass the path of an .ipynb notebook")
    try:
        nb = nbformat.read(str(src), as_version=4)
    except Exception as exc:
        raise InspectError(f"export_notebook: '{src}' is not a readable notebook ({exc})") from None
    if execute:
        from nbclient import NotebookClient

        NotebookClient(
            nb, timeout=timeout, store_widget_state=True, resources={"metadata": {"path": str(src.parent)}}
        ).execute()
    body, _ = OfflineHTMLExporter().from_notebook_node(nb, resources={"metadata": {"name": src.stem}})
    out = Path(path_out) if path_out is not None else src.with_suffix(".html")
    out.write_text(body, encoding="utf-8")
    return out
