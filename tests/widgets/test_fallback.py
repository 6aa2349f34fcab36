"""Static fallback of widget outputs: a model summary as text/plain, a sanitised picture as image/svg+xml."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import nbformat
from nbclient import NotebookClient

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.widgets.fallback import sanitize_svg, summary_text

SVG = "http://www.w3.org/2000/svg"


def test_summary_names_the_model_its_size_inputs_outputs_and_ops() -> None:
    text = summary_text(oi.load(testing.conv_model()), "GraphView")
    assert text.startswith("onnx-inspect GraphView: ")
    assert text.startswith("onnx-inspect GraphView: conv\n")
    assert "2 in the main graph" in text and "input      x  float32[1, 3, 32, 32]" in text
    assert "output     y  float32[1, 8, 16, 16]" in text and "Conv x1, Relu x1" in text


def test_sanitize_keeps_drawing_and_drops_anything_active() -> None:
    evil = testing.HOSTILE
    svg = (
        f'<svg xmlns="{SVG}" width="10" height="10"><g data-node-id={quoteattr(evil)}>'
        f'<text style="font-size:12px">{escape(evil)}</text><script>alert(1)</script>'
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
        '<a href="https://example.com"><text>link</text></a>'
        '<rect onload="alert(1)" width="3" height="2" style="fill:url(https://evil/x.svg)"/>'
        '<path d="M0,0L1,1" style="marker-end:url(&quot;#oi-arrow-1&quot;)"/></g></svg>'
    )
    out = sanitize_svg(svg)
    assert out is not None
    root = ET.fromstring(out)
    tags = [el.tag.split("}")[-1] for el in root.iter()]
    assert tags == ["svg", "g", "text", "rect", "path"]
    rect = root.find(f".//{{{SVG}}}rect")
    assert rect is not None and rect.attrib == {"width": "3", "height": "2"}
    path = root.find(f".//{{{SVG}}}path")
    assert path is not None and "marker-end" in path.attrib["style"]
    assert "".join(root.itertext()) == evil  # the hostile name is text


def test_sanitize_refuses_what_is_not_a_plain_svg_document() -> None:
    assert sanitize_svg(None) is None
    assert sanitize_svg("<html><body/></html>") is None
    assert sanitize_svg(f'<svg xmlns="{SVG}"><g>') is None
    assert sanitize_svg(f'<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="{SVG}">&a;</svg>') is None
    assert sanitize_svg("<svg>" + "x" * 3_000_000 + "</svg>") is None


def test_a_snapshot_from_the_front_end_goes_into_the_bundle_of_the_view_and_its_inspector() -> None:
    insp = oi.inspect(oi.load(testing.conv_model()))
    try:
        w = insp.graph
        data = _data(w._repr_mimebundle_())
        assert "image/svg+xml" not in data and "application/vnd.jupyter.widget-view+json" in data
        assert w._want_snapshot
        w._on_front_end_msg(None, {"kind": "oi-snapshot", "svg": "<svg><script/>"}, [])  # malformed: ignored
        assert w._want_snapshot and w._snapshot_svg is None
        w._on_front_end_msg(
            None, {"kind": "oi-snapshot", "svg": f'<svg xmlns="{SVG}"><rect width="1"/></svg>'}, []
        )
        assert not w._want_snapshot
        for widget in (w, insp):
            data = _data(widget._repr_mimebundle_())
            assert data["image/svg+xml"].startswith("<svg") and "rect" in data["image/svg+xml"]
    finally:
        insp.close()


def _data(bundle: object) -> dict:
    """The data dict of a _repr_mimebundle_ result (anywidget returns (data, metadata), ipywidgets data)."""
    return bundle[0] if isinstance(bundle, tuple) else bundle  # type: ignore[return-value]


def test_executed_notebook_outputs_read_without_a_widget_manager() -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import onnx_inspect as oi\nfrom onnx_inspect.cli import demo_model_path\n"
            "m = oi.load(demo_model_path())\noi.GraphView(m)"
        ),
        nbformat.v4.new_code_cell("oi.inspect(m)"),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    for cell, kind in zip(nb.cells, ("GraphView", "Inspector"), strict=True):
        (out,) = cell.outputs
        assert out.output_type == "display_data"
        text = out.data["text/plain"]
        assert text.startswith(f"onnx-inspect {kind}: light_squeezenet.onnx") and "object at 0x" not in text
        assert "input      data_0  float32[1, 3, 224, 224]" in text and "Conv x26" in text
        assert "application/vnd.jupyter.widget-view+json" in out.data
