"""Model text is data: a model full of HTML and script renders as text in the graph and the Inspector.

Node names, tensor names, doc strings, metadata, the producer and attribute strings all carry markup
that would run script if it were ever parsed as HTML; a canary global must stay unset and the text must
appear literally. (Reports are checked the same way in test_report_browser.py.)
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

EVIL = '<img src=x onerror="window.__oi_pwned=1"><script>window.__oi_pwned=2</script>'

SETUP = f"""
import onnx
from onnx import TensorProto, helper
import onnx_inspect as oi
EVIL = {EVIL!r}
g = helper.make_graph(
    [
        helper.make_node("Relu", ["x"], [EVIL + "_t"], name=EVIL, doc_string=EVIL),
        helper.make_node("Evil", [EVIL + "_t"], ["y"], name="custom", domain="com.example", note=EVIL),
    ],
    EVIL,
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    doc_string=EVIL,
)
p = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)],
                      producer_name=EVIL, doc_string=EVIL)
helper.set_model_props(p, {{EVIL: EVIL}})
m = oi.load(p)
insp = oi.inspect(m, height="420px")
insp
"""


@pytest.fixture(scope="module")
def nb(open_notebook):
    nb = open_notebook("untrusted.ipynb", [SETUP])
    nb.run_all(timeout=120)
    nb.output(0).locator(".oi-graph[data-oi-state=ready]").wait_for(timeout=60_000)
    return nb


def canary(nb) -> object:
    return nb.page.evaluate("() => window.__oi_pwned === undefined ? null : window.__oi_pwned")


def test_graph_shows_hostile_names_as_text(nb):
    out = nb.output(0)
    node = out.locator(f"[data-node-id={json.dumps(EVIL)}]")
    node.wait_for()
    text = node.text_content()
    assert "Relu" in text and "window.__oi_pwned=2</script>" in text, text  # the name's tail, as text
    assert out.locator(".oi-graph img, .oi-graph script").count() == 0
    assert canary(nb) is None


def test_details_panel_shows_hostile_text_literally(nb):
    from playwright.sync_api import expect

    out = nb.output(0)
    nb.kernel.execute(f"insp.select({EVIL!r})")
    node = out.locator(".oi-details .oi-node-panel")
    expect(node).to_contain_text(EVIL, timeout=30_000)  # the node's name and doc string
    nb.kernel.execute("insp.select('custom')")
    expect(node).to_contain_text("note")
    expect(node).to_contain_text(EVIL)  # the attribute string
    out.locator(".oi-details .lm-TabBar-tab", has_text="Model").click()
    model_tab = out.locator(".oi-details")
    expect(model_tab).to_contain_text(EVIL)  # producer, doc string, metadata key and value
    assert out.locator(".oi-inspector img").count() == 0
    assert out.locator(".oi-inspector script").count() == 0
    assert canary(nb) is None
