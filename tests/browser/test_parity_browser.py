"""The Inspector's panel and the report show a node the same way: both render the same record with the
same code (js/src/details.ts), and this test proves it on every node of the real-model corpus.

One Chromium page imports the two built bundles a user gets: ``static/details.js`` (the DetailsView
widget's front end, driven with the record as its ``node`` trait) and ``static/report.js`` (the report
page's module, its side panel for a node). For each node record of each corpus model, the ``.oi-node-panel``
DOM of both must be identical, and a click on the same link must call the same host hook.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import onnx_inspect as oi
from onnx_inspect.reporting import ESM as REPORT_JS
from onnx_inspect.views.records import node_records, pack_node_record
from onnx_inspect.widgets.details_view import ESM as DETAILS_JS
from tests.corpus import corpus_models

pytestmark = pytest.mark.browser

LOAD = """async ([details, report]) => {
  const load = (src) => import(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
  window.W = await load(details);
  window.R = await load(report);
}"""

# Render each node through both hosts; return the ids whose panels differ (with both HTMLs) and the
# number of rows and links drawn. The widget gets the record as the Inspector sends it (``full``, the
# DetailsView's ``node`` trait); the report gets it as a report file carries it (``packed``: defaults
# left out, views.records.pack_node_record) and decodes it with report.ts's nodeRecord.
COMPARE = """(nodes) => {
  const calls = [];
  const hooks = (who) => ({
    select: (id) => calls.push([who, "select", id]),
    showGraph: (p) => calls.push([who, "showGraph", p]),
    showWeight: (t) => calls.push([who, "showWeight", t]),
  });
  const model = (state) => ({ get: (k) => state[k], set() {}, save_changes() {}, on() {}, off() {},
    send: (c) => calls.push(["widget", c.kind === "show-graph" ? "showGraph" : c.kind === "show-weight" ? "showWeight" : "select", c.id ?? c.path]) });
  const bad = [];
  let links = 0, rows = 0;
  for (const [id, full, packed] of nodes) {
    const rec = R.nodeRecord(id, packed);
    const aside = document.createElement("aside");
    const panel = R.renderNodePanel(aside, rec, hooks("report"));
    const el = document.createElement("div");
    W.default.render({ model: model({ node: full, weights: [], note: "", more: 0 }), el });
    const widget = el.querySelector(".oi-node-panel");
    if (!widget || widget.outerHTML !== panel.outerHTML || aside.getAttribute("data-node-id") !== id) {
      bad.push([id, panel.outerHTML, widget ? widget.outerHTML : null]);
      continue;
    }
    const n = panel.querySelectorAll(".oi-io tbody tr").length;
    if (n !== rec.inputs.length + rec.outputs.length) bad.push([id, "io rows", String(n)]);
    rows += n;
    // the same link in both hosts calls the same hook with the same argument
    const pick = (root) => [...root.querySelectorAll("button")];
    const a = pick(panel), b = pick(widget);
    links += a.length;
    calls.length = 0;
    for (const k of [0, a.length - 1]) {
      if (k < 0) continue;
      a[k].click();
      b[k].click();
    }
    for (let k = 0; k + 1 < calls.length; k += 2) {
      if (calls[k][1] !== calls[k + 1][1] || calls[k][2] !== calls[k + 1][2]) bad.push([id, JSON.stringify(calls), "hooks"]);
    }
  }
  return { bad, links, rows };
}"""


def _node_data(m: oi.Model) -> list[tuple[str, Any, Any]]:
    """(id, record as the Inspector sends it, record as a report packs it) of every node."""
    recs = node_records(m)
    return [(nid, r, pack_node_record(r)) for nid, r in recs.items()]


@pytest.fixture(scope="module")
def page(chromium_browser: Any) -> Iterator[Any]:
    ctx = chromium_browser.new_context()
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_content("<!DOCTYPE html><html><body></body></html>")
    pg.evaluate(LOAD, [DETAILS_JS.read_text(encoding="utf-8"), REPORT_JS.read_text(encoding="utf-8")])
    yield pg
    ctx.close()
    assert errors == []


@pytest.mark.parametrize("name", [cm.name for cm in corpus_models()])
def test_widget_and_report_render_the_same_record_the_same_way(page: Any, name: str) -> None:
    cm = next(c for c in corpus_models() if c.name == name)
    m = oi.load(cm.path)
    nodes = _node_data(m)
    assert [n[0] for n in nodes] == list(m.nodes.index)
    got = page.evaluate(COMPARE, json.loads(json.dumps(nodes)))
    assert got["bad"] == [], f"{name}: {len(got['bad'])} node(s) differ, e.g. {got['bad'][0]}"
    assert (got["rows"] > 0 and got["links"] > 0) or len(m.nodes) < 3
