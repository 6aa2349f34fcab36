"""Every notebook under notebooks/ runs top to bottom with no edits and no network (nbclient)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_five_notebooks() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError with the cell and traceback on any error
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    assert "Traceback" not in text
    if path.stem.startswith(("04", "05")):
        # reads clean: no red stderr boxes (Netron's server log used to land here)
        stderr = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
        assert not stderr, stderr
    if path.stem.startswith("04"):
        # reports land next to the notebook, linked; Netron shows as an IFrame, not `True`
        assert (tmp_path / "reports" / "squeezenet.html").stat().st_size > 100_000
        assert (tmp_path / "reports" / "inspector.html").is_file()
        assert "reports/squeezenet.html" in text
        html = [
            o.data["text/html"]
            for c in nb.cells
            for o in c.get("outputs", [])
            if "text/html" in o.get("data", {})
        ]
        assert any("<iframe" in h and 'title="Netron"' in h for h in html)
        assert "True" not in [
            o.get("data", {}).get("text/plain") for c in nb.cells for o in c.get("outputs", [])
        ]
    if path.stem.startswith("02"):
        # the full run matches the expected output shipped with the model
        assert "(1, 1000, 1, 1)" in text


def test_exported_notebook_embeds_the_graph_widget_state(tmp_path: Path) -> None:
    """nbconvert --to html keeps the GraphView's state (payload, selection, front-end module).

    The exported page loads the standard widget-manager scripts from a CDN to draw it, unlike oi.report.
    """
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import onnx_inspect as oi\nfrom onnx_inspect.cli import demo_model_path\n"
            "w = oi.GraphView(oi.load(demo_model_path()), selected=['n0'])\nw"
        )
    ]
    client = NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True)
    client.execute()
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    graphs = [s["state"] for s in state.values() if s["state"].get("_anywidget_id", "").endswith("GraphView")]
    assert len(graphs) == 1
    assert graphs[0]["selected"] == ["n0"] and "oi-graph" in graphs[0]["_esm"]
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "application/vnd.jupyter.widget-state+json" in html
    assert "application/vnd.jupyter.widget-view+json" in html
    assert "@jupyter-widgets/html-manager" in html  # the CDN script an exported page depends on
