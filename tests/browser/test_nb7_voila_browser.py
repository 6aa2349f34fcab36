"""GraphView in Notebook 7 and in Voila (beside JupyterLab, tests/browser/test_graphview_browser.py):
the graph renders, a click selects, Python sees the selection, and no request of ours leaves 127.0.0.1.

One Jupyter server (started like the JupyterLab one) serves all three front ends: Notebook 7 at
/notebooks/<path>, Voila at /voila/render/<path>. Tolerated, by exact text, and nothing else:
- Notebook 7's upstream page error (jupyter/notebook#7862), thrown on every page, also for `1+1`;
- the outside requests of Voila's own page template (listed below), which our widget never makes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .jlab import KernelBridge, LabNotebook, LabServer, PageGuard, guarded_context, write_notebook

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]

READY = ".oi-graph[data-oi-state=ready]"
NB7_UPSTREAM_ERROR = "Cannot read properties of undefined (reading 'schema')"
# Voila 0.5's default (lab) template: FontAwesome CSS and MathJax, from CDNs (blocked here; the graph needs none)
VOILA_TEMPLATE_REQUESTS = {
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@%5E5/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@%5E5/css/v4-shims.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/latest.min.js?config=TeX-AMS_CHTML-full,Safe&amp;delayStartupUntil=configured",
}

CELLS = [
    """
    import onnx_inspect as oi
    from onnx_inspect.cli import demo_model_path
    w = oi.GraphView(oi.load(demo_model_path()), height="480px")
    w
    """
]


@pytest.fixture(scope="module")
def server(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    for mod in ("notebook", "voila"):
        if importlib.util.find_spec(mod) is None:
            pytest.fail(f"python package {mod!r} is missing: pip install -e .[test]", pytrace=False)
    s = LabServer(tmp_path_factory.mktemp("nb7-voila"))
    config = s.workdir / "config"
    config.mkdir(parents=True, exist_ok=True)
    # Notebook 7 exposes its app (window.jupyterapp) like JupyterLab does with --LabApp.expose_app_in_browser
    for name in ("jupyter_server_config.json", "jupyter_notebook_config.json"):
        (config / name).write_text(json.dumps({"JupyterNotebookApp": {"expose_app_in_browser": True}}))
    s.start()
    write_notebook(s.root / "graph.ipynb", CELLS)
    shutil.copy(REPO / "notebooks" / "05_dashboard.ipynb", s.root / "dashboard.ipynb")
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def guarded(chromium_browser: Any) -> Iterator[tuple[Any, PageGuard]]:
    with guarded_context(chromium_browser, 1300, 950, timeout_ms=60_000) as context_and_guard:
        yield context_and_guard


def _click_a_visible_node(page: Any) -> str:
    """Click the first node box that lies inside the graph canvas; return its id."""
    nid = page.evaluate(
        """() => {
          const g = document.querySelector('.oi-graph[data-oi-state=ready]');
          const c = g.querySelector('.oi-canvas').getBoundingClientRect();
          const inside = [...g.querySelectorAll('[data-node-id]')].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
          });
          return inside.length ? inside[0].getAttribute('data-node-id') : null;
        }"""
    )
    assert nid, "no node box inside the first view"
    page.locator(f'.oi-graph [data-node-id="{nid}"]').click()
    return nid


def test_notebook7_renders_selects_and_python_sees_it(server: LabServer, guarded) -> None:
    context, guard = guarded
    page = context.new_page()
    nb = LabNotebook(server, page, "graph.ipynb")
    # Notebook 7's own URL for a notebook (not /lab)
    page.goto(f"{server.url}/notebooks/graph.ipynb?token={server.token}", wait_until="domcontentloaded")
    nb._wait(lambda s: s["state"] == "ok" and s["kernel"] == "idle", 90, "kernel idle")
    assert page.locator("#main-panel, .jp-NotebookPanel").count() >= 1
    assert "/lab" not in page.url
    nb.run_all()
    page.locator(READY).wait_for()
    nid = _click_a_visible_node(page)
    assert nb.kernel.wait_for("w.selected", lambda v: v == [nid]) == [nid]
    _shot(page, "notebook7.png")
    nb.close()
    assert guard.blocked == [], f"Notebook 7 page tried to reach outside 127.0.0.1: {guard.blocked}"
    others = [e for e in guard.page_errors if not e.endswith(": " + NB7_UPSTREAM_ERROR)]
    assert others == [], others


def test_voila_dashboard_renders_selects_and_python_sees_it(server: LabServer, guarded) -> None:
    """notebooks/05_dashboard.ipynb as a Voila app: graph with latency overlay, click -> details panel."""
    context, guard = guarded
    page = context.new_page()
    runtime = server.runtime_dir
    before = set(runtime.glob("kernel-*.json"))
    page.goto(
        f"{server.url}/voila/render/dashboard.ipynb?token={server.token}", wait_until="domcontentloaded"
    )
    page.locator(READY).wait_for(timeout=120_000)
    assert page.locator(".jp-CodeCell .jp-InputArea, .cm-editor").count() == 0  # Voila shows no code
    new = [p for p in runtime.glob("kernel-*.json") if p not in before]
    assert len(new) == 1, f"expected one Voila kernel, found {new}"
    bridge = KernelBridge(Path(new[0]))
    try:
        assert page.locator(".oi-legend").count() == 1  # the latency overlay
        nid = _click_a_visible_node(page)
        assert bridge.wait_for("view.selected", lambda v: v == [nid]) == [nid]
        op, name = bridge.eval_json(
            f"[m.nodes.loc[{nid!r}, 'op_type'], m.nodes.loc[{nid!r}, 'name'] or {nid!r}]"
        )
        panel = page.locator(".widget-html", has_text=f"{op} {name}").first
        panel.wait_for()  # the details panel follows the click
        _shot(page, "voila-dashboard.png")
        bridge.execute("view.selected = []")
        page.wait_for_function("() => !document.querySelector('.oi-graph .oi-selected')")
    finally:
        bridge.close()
    time.sleep(0.5)
    ours = [u for u in guard.blocked if u not in VOILA_TEMPLATE_REQUESTS]
    assert ours == [], f"requests outside 127.0.0.1 beyond Voila's template's own: {sorted(set(ours))}"
    assert guard.page_errors == [], guard.page_errors


def _shot(page: Any, name: str) -> None:
    """A screenshot for the docs/closing notes, only when $OI_SCREENSHOT_DIR is set."""
    out = os.environ.get("OI_SCREENSHOT_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(out) / name))
