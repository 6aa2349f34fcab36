"""Offline exported notebooks: `jupyter nbconvert --to onnx-inspect-html` (and oi.export_notebook) of an
executed notebook, opened from file:// in Chromium with every non-file request blocked and counted.

The page must make zero such requests, render both widgets from saved state (a GraphView with a saved
selection and overlay, and an Inspector), and a click must select a node.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import onnx_inspect as oi

pytestmark = pytest.mark.browser

READY = ".oi-graph[data-oi-state=ready]"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("export")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# SqueezeNet, exported\nSome *markdown* and math $x^2$."),
        nbformat.v4.new_code_cell(
            "import onnx_inspect as oi\nfrom onnx_inspect.cli import demo_model_path\n"
            "m = oi.load(demo_model_path())\nw = oi.GraphView(m, selected=['n0'], height='500px')\n"
            "w.set_overlay({'n0': 1.0, 'n1': 5.0, 'n2': 9.0}, 'latency', unit='us')\nw"
        ),
        nbformat.v4.new_code_cell("insp = oi.inspect(m, height='500px')\ninsp"),
    ]
    NotebookClient(nb, timeout=180, kernel_name="python3", store_widget_state=True).execute()
    src = d / "executed.ipynb"
    nbformat.write(nb, str(src))
    # the registered exporter name when this checkout is installed, else the class (same exporter)
    from importlib.metadata import entry_points

    names = {e.name for e in entry_points(group="nbconvert.exporters")}
    to = "onnx-inspect-html" if "onnx-inspect-html" in names else "onnx_inspect.export.OfflineHTMLExporter"
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", to, str(src), "--output", "cli"],
        check=True,
        capture_output=True,
        cwd=d,
    )
    return {"cli": d / "cli.html", "api": oi.export_notebook(src, d / "api.html")}


class Watch:
    """Lets file:// requests through; blocks and counts every other request (blob:/data: are in-page)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.blocked: list[str] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file://", "blob:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


@pytest.fixture
def page(chromium_browser: Any) -> Iterator[Any]:
    context = chromium_browser.new_context(viewport={"width": 1300, "height": 900}, service_workers="block")
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["cli", "api"])
def test_exported_notebook_renders_offline_with_zero_requests(exported, page, kind) -> None:
    w = Watch(page)
    page.goto(exported[kind].as_uri())
    graphs = page.locator(READY)
    graphs.nth(1).wait_for()
    assert graphs.count() == 2
    _shot(page, f"export-offline-{kind}.png")
    gv = graphs.nth(0)
    # saved state: the selection and the overlay came along
    assert "oi-selected" in (gv.locator('[data-node-id="n0"]').get_attribute("class") or "")
    assert gv.locator(".oi-legend").inner_text().lower().count("latency") >= 1
    # a click selects
    nid = page.evaluate(
        """() => {
          const g = document.querySelector('.oi-graph');
          const c = g.querySelector('.oi-canvas').getBoundingClientRect();
          const inside = [...g.querySelectorAll('[data-node-id]:not(.oi-selected)')].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
          });
          return inside.length ? inside[0].getAttribute('data-node-id') : null;
        }"""
    )
    assert nid, "no unselected node inside the first view"
    gv.locator(f'[data-node-id="{nid}"]').click()
    page.wait_for_function(
        "(id) => document.querySelector(`.oi-graph [data-node-id='${id}']`).classList.contains('oi-selected')",
        arg=nid,
    )
    # the Inspector's panel is there too
    assert page.locator(".oi-details").count() >= 1
    assert w.blocked == [], f"the exported page made network requests: {w.blocked}"
    assert w.errors == [], w.errors


def test_export_is_one_file_with_pinned_scripts_inline(exported) -> None:
    html = exported["cli"].read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html)
    assert "cdn.jsdelivr.net/npm/@jupyter-widgets" not in html.split("moduleNameToCDNUrl")[0][:200_000]
    assert 'define("anywidget"' in html
    versions = json.loads((Path(oi.__file__).parent / "static" / "vendor" / "versions.json").read_text())
    assert set(versions) == {"requirejs", "@jupyter-widgets/html-manager", "anywidget"}


def test_views_saved_without_state_show_their_static_fallback(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("w")]
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {
                    "model_id": "abc",
                    "version_major": 2,
                    "version_minor": 0,
                },
                "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>',
                "text/plain": "onnx-inspect GraphView: m.onnx",
            },
        )
    ]
    src = tmp_path / "nostate.ipynb"
    nbformat.write(nb, str(src))
    html = oi.export_notebook(src).read_text(encoding="utf-8")
    svg = nb.cells[0].outputs[0].data["image/svg+xml"]
    assert base64.b64encode(svg.encode()).decode() in html  # shown as an image
    assert "application/vnd.jupyter.widget-view+json" not in html


def test_export_notebook_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(oi.InspectError, match="nope.ipynb"):
        oi.export_notebook(tmp_path / "nope.ipynb")


def _shot(page: Any, name: str) -> None:
    """A screenshot for the docs/closing notes, only when $OI_SCREENSHOT_DIR is set."""
    out = os.environ.get("OI_SCREENSHOT_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(out) / name))
