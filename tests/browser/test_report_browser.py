"""oi.report files opened from disk in headless Chromium: nothing is fetched, the graph works, text stays text.

Every request other than the report's own file:// URL (and blob:/data: URLs the page makes itself) is
aborted and counted; Content-Security-Policy violations and uncaught page errors are recorded too.
Two reports: a profiled 12-layer (~200 nodes) transformer-like model with runs, and a model whose names, doc
strings, metadata and attribute strings are HTML/script injection attempts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import onnx_inspect as oi
from onnx_inspect.reporting import report
from onnx_inspect.testing import HOSTILE as EVIL
from onnx_inspect.testing import hostile_text_model, transformer_like

pytestmark = pytest.mark.browser


READY = ".oi-graph[data-oi-state=ready]"
CATEGORICAL_FIRST = "rgb(78, 121, 167)"  # first colour of the graph view's categorical palette
RECORD_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


class Watch:
    """Requests, CSP violations and page errors of one page."""

    def __init__(self, page: Any, file_url: str) -> None:
        self.page = page
        self.file_url = file_url
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.workers: list[str] = []
        page.on("worker", lambda w: self.workers.append(w.url))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", lambda ws: self.blocked.append(ws.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.route("**/*", self._route)
        page.add_init_script(RECORD_CSP)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url == self.file_url or url.startswith(("blob:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def outside(self) -> list[str]:
        """Every request that was not the report file itself or a blob:/data: URL."""
        return [u for u in self.requests if u != self.file_url and not u.startswith(("blob:", "data:"))]

    def csp(self) -> list[str]:
        return self.page.evaluate("window.__csp")

    def check(self) -> None:
        assert self.blocked == [], f"requests left the file: {self.blocked}"
        assert self.outside() == [], f"requests left the file: {self.outside()}"
        assert self.errors == [], f"page errors: {self.errors}"
        assert self.csp() == [], f"CSP violations: {self.csp()}"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    m = oi.load(transformer_like(layers=12))
    p = oi.profile(m, runs=3, warmup=1)
    bad = oi.load(hostile_text_model())
    return {
        "profiled": report(m, folder / "profiled.html", profile=p, runs=[oi.run(m, outputs="all")]),
        "evil": report(
            bad, folder / "evil.html", profile=oi.profile(bad, runs=2, warmup=0), title="title " + EVIL
        ),
    }


@pytest.fixture(scope="module")
def context(chromium_browser: Any) -> Iterator[Any]:
    ctx = chromium_browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


def open_report(context: Any, path: Path) -> Watch:
    page = context.new_page()
    url = path.resolve().as_uri()
    watch = Watch(page, url)
    page.goto(url)
    page.locator(READY).wait_for(timeout=60_000)
    page.locator(".oi-report[data-oi-report=ready]").wait_for()
    return watch


@pytest.fixture(scope="module")
def profiled(context: Any, reports: dict[str, Path]) -> Iterator[Watch]:
    w = open_report(context, reports["profiled"])
    yield w
    w.page.close()


@pytest.fixture(scope="module")
def evil(context: Any, reports: dict[str, Path]) -> Iterator[Watch]:
    w = open_report(context, reports["evil"])
    yield w
    w.page.close()


def css_attr(name: str, value: str) -> str:
    return f"[{name}={json.dumps(value, ensure_ascii=False)}]"


def visible_node_ids(page: Any) -> list[str]:
    """Node ids whose boxes lie fully inside the graph canvas (a real click can reach them)."""
    return page.evaluate(
        """() => {
          const c = document.querySelector('.oi-canvas').getBoundingClientRect();
          return [...document.querySelectorAll('.oi-graph [data-node-id]')].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
          }).map((e) => e.getAttribute('data-node-id'));
        }"""
    )


def fills(page: Any, ids: list[str]) -> list[str]:
    return page.evaluate(
        """(ids) => ids.map((id) => {
          const e = [...document.querySelectorAll('.oi-graph [data-node-id]')]
            .find((x) => x.getAttribute('data-node-id') === id);
          return getComputedStyle(e.querySelector('.oi-box')).fill;
        })""",
        ids,
    )


def test_opens_offline_with_zero_requests(profiled):
    profiled.check()
    assert profiled.requests[0] == profiled.file_url
    assert profiled.page.locator(".oi-graph [data-node-id]").count() > 10
    # the graph's layout worker starts from a blob: URL, which the CSP allows (worker-src blob:)
    for _ in range(50):  # it may start just after the first paint (background layout)
        if profiled.workers:
            break
        profiled.page.wait_for_timeout(100)
    assert profiled.workers and all(u.startswith("blob:") for u in profiled.workers)


def test_click_shows_node_details_and_weight_histogram(profiled):
    page = profiled.page
    ids = [i for i in visible_node_ids(page) if "MatMul" in i]
    assert ids, "no MatMul box is on screen"
    page.locator(".oi-graph " + css_attr("data-node-id", ids[0])).click()
    details = page.locator(".oi-details")
    details.locator(".oi-node-title").wait_for()
    assert details.get_attribute("data-node-id") == ids[0]
    text = details.inner_text()
    assert "MatMul" in text and ids[0] in text
    assert "Inputs" in text and "Outputs" in text and "float32" in text
    assert "CPUExecutionProvider" in text  # the node's profile numbers
    weight = details.locator(".oi-weights .oi-weight").first
    # the histogram is drawn by details.ts (as in the Inspector) from the record's bin counts
    assert weight.locator(".oi-hist svg rect.oi-bar").count() > 1
    assert details.locator(".oi-weight-link").count() >= 1
    # a producer link selects that node in the graph too
    link = details.locator(".oi-io.oi-inputs .oi-link").first
    target = link.inner_text()
    link.click()
    page.wait_for_function(
        "(id) => document.querySelector('.oi-details').getAttribute('data-node-id') === id", arg=target
    )
    page.locator(".oi-graph .oi-selected" + css_attr("data-node-id", target)).wait_for()
    profiled.check()


def test_profile_figures_render_and_overlay_switch_recolours(profiled):
    page = profiled.page
    for fig in ("op_types", "top_nodes", "timeline"):
        assert page.locator(f".oi-fig-{fig} g.point").count() > 0, fig
    sel = page.locator(".oi-overlay-select")
    assert sel.input_value() == "mean_us"
    ids = visible_node_ids(page)
    latency = fills(page, ids)
    assert len(set(latency)) > 2  # a numeric scale: several colours
    sel.select_option("provider")
    page.locator(".oi-legend").filter(has_text="execution provider").wait_for()
    provider = fills(page, ids)
    assert provider != latency and set(provider) == {CATEGORICAL_FIRST}
    sel.select_option("none")
    page.locator(".oi-legend").wait_for(state="hidden")
    plain = fills(page, ids)
    assert len(set(plain)) == 1 and CATEGORICAL_FIRST not in plain  # one unpainted fill
    assert sum(a != b for a, b in zip(latency, plain, strict=True)) >= 3
    sel.select_option("mean_us")
    assert fills(page, ids) == latency
    profiled.check()


def test_runs_section_lists_tensor_summaries(profiled):
    page = profiled.page
    rows = page.locator(".oi-run tbody tr")
    assert rows.count() > 40  # every main-graph value of the run
    out = rows.filter(has_text="output").first
    out.locator(".oi-hist-btn").click()
    page.locator(".oi-run-hist .oi-hist svg").first.wait_for()  # in a full-width row below
    assert page.locator(".oi-run-hist rect.oi-bar").count() > 0
    profiled.check()


def test_csp_forbids_eval_and_network(context, reports):
    w = open_report(context, reports["profiled"])
    try:
        w.check()  # plotly and the graph worked without 'unsafe-eval'
        # code run by the page itself (a blob: module, as the graph bundle is) may not eval
        got = w.page.evaluate(
            """async () => {
              const src = "try { new Function('return 1')(); window.__ev = 'allowed'; } catch (e) { window.__ev = e.name; }";
              await import(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
              const s = document.createElement('script');
              s.textContent = 'window.__inline = 1';
              document.body.appendChild(s);
              let net = 'allowed';
              try { await fetch('https://example.com/x.js'); } catch (e) { net = e.name; }
              return [window.__ev, typeof window.__inline, net];
            }"""
        )
        assert got == ["EvalError", "undefined", "TypeError"]
        assert sorted(w.csp()) == [
            "connect-src https://example.com/x.js",
            "script-src eval",
            "script-src-elem inline",
        ]
    finally:
        w.page.close()


def test_untrusted_text_is_shown_literally_and_runs_nothing(evil):
    page = evil.page
    assert page.title() == "title " + EVIL
    assert page.locator(".oi-report-title").inner_text() == "title " + EVIL
    details = page.locator(".oi-details")
    for nid in ("mm" + EVIL, "relu<script>window.__oi_pwned=1</script>", "const" + EVIL):
        page.locator(".oi-graph " + css_attr("data-node-id", nid)).click()
        page.wait_for_function(
            "(id) => document.querySelector('.oi-details').getAttribute('data-node-id') === id", arg=nid
        )
        assert nid in details.inner_text()
    # the last node shown is the Constant: its string attribute and metadata appear as text
    text = details.inner_text()
    assert EVIL in text and "k" + EVIL in text and "v" + EVIL in text
    page.locator(".oi-graph " + css_attr("data-node-id", "mm" + EVIL)).click()
    page.locator(".oi-details .oi-doc").filter(has_text="doc " + EVIL).wait_for()
    assert "w" + EVIL in details.inner_text()  # the weight's name
    model = page.locator(".oi-model").inner_text()
    assert "author" + EVIL in model and "meta " + EVIL in model and "x<b>in</b>" in model
    assert page.locator(".oi-fig-top_nodes g.point").count() > 0
    page.wait_for_timeout(300)  # time for any injected handler to fire
    assert page.evaluate("typeof window.__oi_pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    # oi-data, oi-records, oi-report-esm, oi-plotly (JSON), the nonced bootstrap, and plotly.js started from a blob: URL
    scripts = page.evaluate("[...document.querySelectorAll('script')].map((s) => s.id || s.src.slice(0, 5))")
    assert sorted(scripts) == ["", "blob:", "oi-data", "oi-plotly", "oi-records", "oi-report-esm"]
    assert page.evaluate("document.querySelectorAll('.oi-details b, .oi-model b').length") == 0
    evil.check()


@pytest.fixture(scope="module")
def with_facts(context: Any, resnet50: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watch]:
    import pandas as pd

    from onnx_inspect.report_facts import analysis, table_section

    m = oi.load(resnet50)
    mine = analysis("mine", "Mine", [table_section(pd.DataFrame({"note": [EVIL]}, index=["r"]), "t " + EVIL)])
    with oi.optimized(m, "all") as opt:
        path = report(m, tmp_path_factory.mktemp("facts") / "facts.html", costs=True, optimized=opt,
                      analyses=[mine], weights=False)  # fmt: skip
    w = open_report(context, path)
    yield w
    w.page.close()


def test_costs_section_overlay_and_analysis_tables(with_facts, resnet50):
    page = with_facts.page
    convs = set(oi.load(resnet50).nodes.query("op_type == 'Conv'").index)
    ids = [i for i in visible_node_ids(page) if i in convs]
    assert ids, "no Conv box is on screen"
    page.locator(".oi-graph " + css_attr("data-node-id", ids[0])).click()
    details = page.locator(".oi-details")
    cost = details.locator(".oi-section-cost")
    cost.wait_for()
    assert "MACs" in cost.inner_text() and "FLOPs" in cost.inner_text()
    assert details.locator(".oi-section-optimized").count() == 1  # what onnxruntime made of it
    # the cost overlay paints the graph (numeric: several colours), the optimized one by kind
    sel = page.locator(".oi-overlay-select")
    shown = visible_node_ids(page)
    plain = fills(page, shown)
    sel.select_option("cost_macs")
    page.locator(".oi-legend").filter(has_text="MACs").wait_for()
    macs = fills(page, shown)
    assert macs != plain and len(set(macs)) > 2
    sel.select_option("optimized")
    page.locator(".oi-legend").filter(has_text="onnxruntime all").wait_for()
    assert fills(page, shown) != macs
    # the Analyses section: tables and the op-type / memory figures drawn by plotly
    costs = page.locator(".oi-analysis[data-analysis-id=costs]")
    assert costs.locator(".oi-analysis-table tbody tr").count() > 5
    assert "Conv" in costs.locator(".oi-analysis-table").first.inner_text()
    assert costs.locator(".oi-analysis-fig .main-svg").count() >= 1
    # a node of a table is a link that selects it (graph and details)
    link = costs.locator(".oi-analysis-table .oi-link").first
    target = link.inner_text()
    link.click()
    page.wait_for_function(
        "(id) => document.querySelector('.oi-details').getAttribute('data-node-id') === id", arg=target
    )
    assert page.locator(".oi-analysis[data-analysis-id=optimized] .oi-analysis-table tbody tr").count() > 0
    mine = page.locator(".oi-analysis[data-analysis-id=mine]")
    assert EVIL in mine.inner_text() and "t " + EVIL in mine.inner_text()
    assert page.locator(".oi-report-nav a[href='#oi-analyses-section']").count() == 1
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    with_facts.check()
