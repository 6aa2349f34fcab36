"""The static fallback in real JupyterLab: after the graph is painted, the saved notebook's outputs carry
a picture of it (image/svg+xml) and a model summary (text/plain) next to the widget view, for GitHub,
nbviewer and kernel-less reopens. A model whose names are markup shows them as text in the picture.
"""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbformat
import pytest

pytestmark = pytest.mark.browser

READY = ".oi-graph[data-oi-state=ready]"

CELLS = [
    """
    import onnx_inspect as oi
    from onnx_inspect import testing
    from onnx_inspect.cli import demo_model_path
    w = oi.GraphView(oi.load(demo_model_path()), height="480px")
    w
    """,
    """
    insp = oi.inspect(oi.load(testing.hostile_text_model()), height="480px")
    insp
    """,
]


def _saved_outputs(path) -> list[list[dict]]:
    nb = nbformat.read(str(path), as_version=4)
    return [[dict(o) for o in c.get("outputs", [])] for c in nb.cells if c.cell_type == "code"]


def test_saved_notebook_carries_a_picture_and_a_summary(open_notebook, lab_server) -> None:
    nb = open_notebook("fallback.ipynb", CELLS)
    nb.run_all()
    graphs = nb.page.locator(READY)
    graphs.nth(1).wait_for(timeout=60_000)
    k = nb.kernel
    k.wait_for("[w._snapshot_svg is not None, insp._snapshot_svg is not None]", lambda v: all(v), timeout=30)
    # the display updates reached the outputs in the page before saving
    deadline = time.monotonic() + 20
    while True:
        nb.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        time.sleep(0.5)
        outs = _saved_outputs(lab_server.root / "fallback.ipynb")
        bundles = [o.get("data", {}) for cell in outs for o in cell if o.get("output_type") == "display_data"]
        if len(bundles) == 2 and "image/svg+xml" in bundles[0]:
            break
        assert time.monotonic() < deadline, f"saved outputs lack the picture: {json.dumps(outs)[:2000]}"

    graph_out, insp_out = bundles
    # the GraphView's output was updated in place: still one view per widget, both painted
    time.sleep(1)
    assert nb.page.locator(".oi-graph").count() == 2
    assert nb.page.locator(READY).count() == 2
    for b, kind in ((graph_out, "GraphView"), (insp_out, "Inspector")):
        assert "application/vnd.jupyter.widget-view+json" in b
        text = b["text/plain"]
        assert (
            f"onnx-inspect {kind}:" in text and " in the main graph, " in text and " object at 0x" not in text
        )
    _assert_inert(graph_out["image/svg+xml"])
    # the Inspector's shown output keeps its summary (re-rendering it would re-create its plotly
    # figures); the picture goes into any later display of it
    assert "image/svg+xml" not in insp_out
    svg = nb.kernel.eval_json("insp._repr_mimebundle_()['image/svg+xml']")
    _assert_inert(svg)
    assert (
        "light_squeezenet.onnx" in graph_out["text/plain"]
        and "input      data_0  float32[1, 3, 224, 224]" in graph_out["text/plain"]
    )
    # the picture shows the graph's boxes with their op types, as text
    assert graph_out["image/svg+xml"].count("data-node-id=") >= 6 and ">Conv<" in graph_out["image/svg+xml"]
    # the hostile names are there as text, not markup
    texts = "".join(ET.fromstring(svg).itertext())
    assert "__oi_pwned=1</script>" in texts

    # the picture renders on its own (as GitHub or nbviewer show it: an image, no page CSS, no script)
    page = nb.page.context.new_page()
    try:
        page.set_content(f"<img id=pic src='data:image/svg+xml;base64,{_b64(graph_out['image/svg+xml'])}'>")
        size = page.evaluate(
            "() => new Promise(r => { const i = document.getElementById('pic'); "
            "const f = () => r([i.naturalWidth, i.naturalHeight]); i.complete ? f() : i.onload = f; })"
        )
        assert size[0] > 100 and size[1] > 100
        _shot(page, "static-fallback-svg.png")
    finally:
        page.close()


def _assert_inert(svg: str) -> None:
    """An SVG document with drawing elements only: no script, foreign HTML, links or event handlers."""
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for el in root.iter():
        assert el.tag.split("}")[-1] not in ("script", "foreignObject", "a", "image", "use", "iframe"), el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on") and "href" not in name, (name, value)


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def _shot(page: Any, name: str) -> None:
    """A screenshot for the docs/closing notes, only when $OI_SCREENSHOT_DIR is set."""
    out = os.environ.get("OI_SCREENSHOT_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(out) / name))
