"""Inspector panel state without a browser: selection -> details, weights, runs, profiles, errors.

Real models (onnx's SqueezeNet) and real onnxruntime sessions; the widgets are driven from Python
the way the buttons drive them, and their text is read back from the widget tree.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import re
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.runtime.run import run
from onnx_inspect.widgets import Inspector, inspect
from onnx_inspect.widgets.details_view import DetailsView
from onnx_inspect.widgets.inspector import PLOTLY_MIME, TensorCard

EVIL = '<img src=x onerror="alert(1)">'


def flat(v: Any) -> list[str]:
    """Every key and value of a JSON-ready record as text."""
    if isinstance(v, dict):
        return [t for k, x in v.items() for t in (str(k), *flat(x))]
    if isinstance(v, list):
        return [t for x in v for t in flat(x)]
    return [] if v is None else [str(v)]


def texts(w: Any) -> list[str]:
    """Every HTML value, button label and record text (what details.ts shows) in a widget tree (tags
    stripped, entities decoded)."""
    out: list[str] = []
    if isinstance(w, DetailsView):
        out.append(" ".join([w.note, *flat(w.node), *flat(w.weights)]))
    if isinstance(w, W.HTML):
        out.append(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", w.value)).split()))
    if isinstance(w, W.Button):
        out.append(w.description)
    for c in getattr(w, "children", ()) or ():
        out.extend(texts(c))
    return out


def raw_html(w: Any) -> str:
    parts = [w.value] if isinstance(w, W.HTML) else []
    parts += [raw_html(c) for c in getattr(w, "children", ()) or ()]
    return "\n".join(parts)


def buttons(w: Any) -> list[W.Button]:
    out = [w] if isinstance(w, W.Button) else []
    for c in getattr(w, "children", ()) or ():
        out.extend(buttons(c))
    return out


def array(v: Any) -> np.ndarray:
    """A plotly JSON array: a list, or plotly's typed-array form {"dtype", "bdata"} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v)


def plotly_specs(out: W.Output) -> list[dict]:
    return [o["data"][PLOTLY_MIME] for o in out.outputs if PLOTLY_MIME in o.get("data", {})]


@pytest.fixture(scope="module")
def model(squeezenet: Path) -> oi.Model:
    return oi.load(squeezenet)


@pytest.fixture
def insp(model: oi.Model) -> Inspector:
    return inspect(model)


def test_select_shows_op_type_shapes_and_links(insp: Inspector) -> None:
    assert insp.selected == [] and "Click a node" in " ".join(texts(insp._node_box))
    insp.select("n0")
    assert insp.selected == ["n0"] and insp.graph.selected == ["n0"]
    assert insp.tabs.selected_index == 1  # the Node tab follows a selection made on the graph
    panel = " ".join(texts(insp._node_box))
    for text in ("Conv", "data_0", "1×3×224×224", "conv1_w_0", "64×3×3×3", "1×64×111×111", "kernel_shape",
                 "since opset 1", "inferred"):  # fmt: skip
        assert text in panel, text
    rec = insp._node_view.node
    assert rec["id"] == "n0" and rec["doc_url"].endswith("onnx__Conv.html")
    assert rec["outputs"][0]["consumers"] == ["n1"] and rec["inputs"][0]["shape_source"] == "declared"
    # producer / consumer links (buttons drawn by details.ts) send {"kind": "select"} and move the selection
    insp._node_view.handle({"kind": "select", "id": "n1"})
    assert insp.selected == ["n1"]
    assert "Relu" in " ".join(texts(insp._node_box))
    assert insp._node_view.node["inputs"][0]["producer"] == "n0"
    insp._node_view.handle({"kind": "select", "id": "n0"})
    assert insp.selected == ["n0"]
    insp._node_view.handle({"kind": "show-weight", "id": rec["weights"][0]})
    assert insp.tabs.selected_index == 2
    with pytest.raises(oi.UnknownNameError, match="no node named 'n999'"):
        insp.select("n999")


def test_model_tab_summary_filter_and_pick(insp: Inspector) -> None:
    summary = " ".join(texts(insp._model_box))
    assert "onnx-caffe2" in summary and "softmaxout_1" in summary and "1,235,613" in summary
    assert len(insp._list.options) == 105
    ids = insp.filter_nodes("concat")
    assert ids and all(insp.model.nodes.at[i, "op_type"] == "Concat" for i in ids)
    assert "8 of 105 nodes" in " ".join(texts(insp._model_box))
    insp._list.value = ids[2]  # a click in the list
    assert insp.selected == [ids[2]]
    assert insp.tabs.selected_index == 0  # picking from the table keeps the table in view
    insp.select("n0")  # the table drops its highlight when the selection is not listed
    assert insp._list.value is None


def test_weights_tab_shows_stats_histogram_and_preview(insp: Inspector, model: oi.Model) -> None:
    insp.select("n0")
    cards = insp.show_weights()
    assert insp.tabs.selected_index == 2
    assert [c.name for c in cards] == ["conv1_w_0", "conv1_b_0"]
    bias = cards[1]
    want = model.weight("conv1_b_0")
    assert bias.summary["shape"] == (64,)
    assert bias.summary["min"] == pytest.approx(float(want.min()))
    assert bias.summary["std"] == pytest.approx(float(want.std()), rel=1e-6)
    text = " ".join(texts(bias))
    assert "initializer" in text and {"min", "max", "std", "zero_fraction"} <= set(bias.record["stats"])
    assert sum(bias.record["hist"]["counts"]) == 64 and bias.view.weights == [bias.record]
    # the 4-D conv weight gets index pickers for its two leading axes
    w = cards[0]
    assert len(w.pickers) == 2 and w.pickers[0].max == 63
    w.pickers[0].value = 5
    assert "slice [5][0][:, :] of 64×3×3×3" in " ".join(texts(w))
    assert "ConstantOfShape_2" in " ".join(texts(w))
    insp.select("n1")  # Relu: nothing to show, said plainly
    assert "no weights" in " ".join(texts(insp._weights_box))


def test_run_to_selection_sets_last_run_and_shows_a_summary(insp: Inspector, model: oi.Model) -> None:
    insp.select("n3")
    values = insp.run_to_selection()
    assert insp.last_run is values and list(values) == ["r3"] and insp.last_run_node == "n3"
    direct = run(model, ["r3"], providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(values["r3"], direct["r3"], rtol=1e-6)
    result = " ".join(texts(insp._run_result))
    assert "Outputs of n3 on CPU" in result and "r3" in result and "1×16×55×55" in result
    card = next(c for c in insp._run_result.children if isinstance(c, TensorCard))
    assert card.summary["shape"] == (1, 16, 55, 55) and sum(card.record["hist"]["counts"]) == 16 * 55 * 55
    assert "done in" in insp._run_status.value


def test_run_button_works_in_the_background(insp: Inspector) -> None:
    insp.select("n1")
    insp.show_tab("Run")  # the tab is built when first shown
    insp._run_btn.click()
    assert insp.wait(60)
    assert insp.last_run is not None and list(insp.last_run) == ["r1"]
    assert not insp._run_btn.disabled


def test_compare_providers(insp: Inspector) -> None:
    insp.select("n0")
    table = insp.compare_providers("CPUExecutionProvider")
    assert insp.last_compare is table and table.index.tolist() == ["r0"] and bool(table["allclose"].all())
    assert "not allclose" in " ".join(texts(insp._run_result))
    every = insp.compare_providers(every_tensor=True)
    assert len(every) > 50


def test_inputs_from_a_variable_and_an_npz(model: oi.Model, tmp_path: Path) -> None:
    x = np.random.default_rng(3).standard_normal((1, 3, 224, 224)).astype(np.float32)
    ns: dict[str, Any] = {"x_in": x, "feeds": {"data_0": x}}
    insp = Inspector(model, namespace=ns)
    insp.select("n0")
    insp.show_tab("Run")
    insp._source.value = "variable"
    insp._variable.value = "x_in"
    got = insp.run_to_selection()
    np.testing.assert_allclose(got["r0"], run(model, ["r0"], feeds={"data_0": x})["r0"], rtol=1e-6)
    insp._variable.value = "feeds"
    insp.run_to_selection()
    buf = io.BytesIO()
    np.savez(buf, data_0=x)
    insp._source.value = "file"
    insp._upload.value = ({"name": "in.npz", "type": "", "size": buf.tell(), "content": memoryview(buf.getvalue()),
                           "last_modified": datetime.datetime.now(datetime.timezone.utc)},)  # fmt: skip
    got = insp.run_to_selection()
    np.testing.assert_allclose(got["r0"], run(model, ["r0"], feeds={"data_0": x})["r0"], rtol=1e-6)


@pytest.mark.parametrize(
    ("source", "setup", "message"),
    [
        ("variable", {"_variable": EVIL}, "the notebook has no variable named '" + EVIL),
        ("variable", {"_variable": "notdict"}, "it must be a dict"),
        ("file", {}, "no .npz file uploaded"),
    ],
)
def test_bad_inputs_show_a_readable_escaped_error(
    model: oi.Model, source: str, setup: dict, message: str
) -> None:
    insp = Inspector(model, namespace={"notdict": 3})
    insp.select("n0")
    insp.show_tab("Run")
    insp._source.value = source
    for attr, value in setup.items():
        getattr(insp, attr).value = value
    with pytest.raises(oi.InspectError):
        insp.run_to_selection()
    status = insp._run_status.value
    assert "class='oi-error'" in status and "Traceback" not in status
    assert EVIL not in status  # escaped
    assert message in html.unescape(re.sub(r"<[^>]+>", "", status))
    assert insp.last_run is None and isinstance(insp.last_error, oi.InspectError)
    # the button path shows the same message and does not raise
    insp._run_status.value = ""
    insp._run_btn.click()
    insp.wait(30)
    assert "class='oi-error'" in insp._run_status.value


def test_wrong_npz_names_the_input(model: oi.Model) -> None:
    insp = Inspector(model)
    insp.select("n0")
    buf = io.BytesIO()
    np.savez(buf, wrong=np.zeros((1, 3, 224, 224), np.float32))
    insp.show_tab("Run")
    insp._source.value = "file"
    insp._upload.value = ({"name": "mine.npz", "type": "", "size": buf.tell(), "content": memoryview(buf.getvalue()),
                           "last_modified": datetime.datetime.now(datetime.timezone.utc)},)  # fmt: skip
    with pytest.raises(oi.FeedError):
        insp.run_to_selection()
    assert "oi-error" in insp._run_status.value and "data_0" in insp._run_status.value


def test_no_selection_is_an_error_not_a_crash(insp: Inspector) -> None:
    with pytest.raises(oi.InspectError, match="select a node first"):
        insp.run_to_selection()
    assert "oi-error" in insp._run_status.value


def test_small_profile_sets_profile_figures_and_overlay(insp: Inspector, model: oi.Model) -> None:
    with pytest.raises(oi.InspectError, match="no profile yet"):
        insp.set_overlay("latency")
    p = insp.run_profile(runs=2, warmup=1)
    assert insp.profile is p and p.n_runs == 2
    ov = insp.graph.overlay
    assert ov["kind"] == "numeric" and ov["scale"] == "log" and len(ov["values"]) > 20
    assert set(ov["values"]) <= set(model.nodes.index)
    assert all(v > 0 for v in ov["values"].values())
    assert insp._p_overlay.value == "latency" and not insp._p_overlay.disabled
    for out in insp._p_figs:
        assert plotly_specs(out), out._dom_classes
    assert "Conv" in str(plotly_specs(insp._p_figs[0])[0]["data"])
    assert insp._p_progress.bar_style == "success" and "oi-busy" not in insp._p_progress._dom_classes
    summary = " ".join(texts(insp._p_summary))
    assert "runs 2" in summary and "CPU" in summary
    insp._p_overlay.value = "provider"  # the switch repaints the graph
    assert insp.graph.overlay["kind"] == "categorical" and set(insp.graph.overlay["values"].values()) == {
        "CPU"
    }
    insp._p_overlay.value = "off"
    assert insp.graph.overlay == {}


def test_profile_errors_are_shown(insp: Inspector) -> None:
    with pytest.raises(oi.InspectError):
        insp.run_profile(runs=1, warmup=0, optimization="turbo")
    assert "oi-error" in insp._p_status.value and "turbo" in insp._p_status.value
    assert insp._p_progress.bar_style == "danger" and not insp._p_btn.disabled


def test_subgraph_bodies_open_from_the_node_tab() -> None:
    insp = Inspector(oi.load(testing.control_flow()))
    insp.select("branch")
    assert sorted(insp._node_view.node["bodies"]) == ["branch::else_branch", "branch::then_branch"]
    insp._node_view.handle({"kind": "show-graph", "path": "branch::then_branch"})
    assert insp.selected[0].startswith("branch::then_branch::")
    insp.select("branch::then_branch::loop::body::scan")
    text = " ".join(texts(insp._node_box))
    assert "Scan" in text and "outer constant" in text and "(implicit)" in text
    # a value inside a Loop body has one value per iteration: the panel says so instead of failing
    with pytest.raises(oi.InspectError):
        insp.run_to_selection()
    status = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", insp._run_status.value)).split())
    assert "oi-error" in insp._run_status.value and "Loop body" in status and "Traceback" not in status


def test_model_text_is_escaped_everywhere() -> None:
    w = numpy_helper.from_array(np.ones((2, 2), np.float32), EVIL + ".w")
    n = helper.make_node("MatMul", ["x", EVIL + ".w"], ["y"], name=EVIL, doc_string=EVIL)
    g = helper.make_graph([n], EVIL, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])], [w])  # fmt: skip
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name=EVIL))
    insp = Inspector(m)
    insp.select(EVIL)
    insp.show_weights()
    insp.run_to_selection()
    everything = raw_html(insp)
    assert EVIL not in everything and "<img" not in everything
    assert html.escape(EVIL, quote=True) in everything
    assert any(EVIL in b.description for b in buttons(insp)) or EVIL in insp._run_target.value.replace(
        html.escape(EVIL, quote=True), EVIL
    )
    # records carry model text as is: details.ts shows it with textContent (tests/browser)
    assert (
        insp._node_view.node["name"] == EVIL and insp._weights_cards.children[0].record["name"] == EVIL + ".w"
    )


def test_inspect_accepts_a_path_and_rejects_a_bad_file(squeezenet: Path, tmp_path: Path) -> None:
    insp = inspect(squeezenet)
    assert isinstance(insp, W.HBox) and "oi-inspector" in insp._dom_classes
    assert "oi-details" in insp.panel._dom_classes
    assert list(insp.tabs.titles) == [
        "Model",
        "Node",
        "Weights",
        "Run",
        "Profile",
        "Accuracy",
        "Costs",
        "Optimized",
    ]
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx at all")
    with pytest.raises(oi.ModelLoadError, match="bad.onnx"):
        inspect(bad)
    assert onnx.load(str(squeezenet)).graph.node  # the file was read, not modified


def test_weights_are_read_only_when_shown_and_big_ones_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = testing.save_with_external_data(testing.conv_model(), tmp_path)
    m = oi.load(path)
    reads: list[str] = []
    real = oi.Model.weight

    def counting(self: oi.Model, name: str, graph: str = "") -> np.ndarray:
        reads.append(name)
        return real(self, name, graph)

    monkeypatch.setattr(oi.Model, "weight", counting)
    monkeypatch.setattr("onnx_inspect.widgets.inspector.weights_tab.BACKGROUND_BYTES", 0)
    insp = Inspector(m)
    conv = m.nodes.index[m.nodes["op_type"] == "Conv"][0]
    insp.select(conv)
    assert "conv1.weight" in " ".join(texts(insp._node_box))
    assert reads == []  # details never read weights
    insp.show_tab("Weights")  # as a click on the tab: summarised in a background thread
    assert insp.wait(30)
    assert sorted(reads) == ["conv1.bias", "conv1.weight"]
    cards = [c for c in insp._weights_cards.children if isinstance(c, TensorCard)]
    assert [c.name for c in cards] == ["conv1.weight", "conv1.bias"]
    assert "external data file" in " ".join(texts(cards[0]))
    np.testing.assert_array_equal(cards[0].value, real(m, "conv1.weight"))


def test_netron_button_serves_the_model_on_loopback_and_close_stops_it(
    squeezenet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import urllib.request

    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    insp = oi.inspect(oi.load(squeezenet))
    insp._netron_btn.click()
    view = insp.netron_view
    assert view is not None and view.url == f"http://127.0.0.1:{view.port}/"
    assert f'<iframe src="{view.url}"' in insp._netron_box.value
    with urllib.request.urlopen(view.url, timeout=10) as r:
        assert r.status == 200
    insp.close()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", view.port), timeout=2):
        pass


def _image_model(imgsz: str | None = None) -> oi.Model:
    """x: float[batch, 3, height, ?] -> Relu (an unnamed dim too), optionally with Ultralytics' imgsz."""
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, "height", "?"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    if imgsz is not None:
        helper.set_model_props(m, {"imgsz": imgsz})
    return oi.load(m)


def test_run_and_profile_tabs_ask_for_free_dims_and_show_the_shapes_used() -> None:
    insp = Inspector(_image_model())
    insp.show_tab("Profile")  # builds the Run tab too: the Profile tab mirrors its dim fields
    fields = insp._dims
    assert list(fields) == ["batch", "height", "x[3]"]
    assert fields["batch"].value == "1" and fields["height"].value == "" and fields["x[3]"].value == ""
    assert fields["height"].placeholder == "required" and "oi-dim" in fields["height"]._dom_classes
    # The Profile tab shows the same fields, kept equal both ways.
    assert list(insp._p_dims) == list(fields)
    insp._p_dims["batch"].value = "2"
    assert fields["batch"].value == "2"
    fields["batch"].value = "1"
    assert insp._p_dims["batch"].value == "1"
    insp.select("relu")
    with pytest.raises(oi.FeedError, match="'height'.*'x\\[3\\]'.*dims="):
        insp.run_to_selection()
    status = html.unescape(re.sub(r"<[^>]+>", "", insp._run_status.value))
    assert "height" in status and "x[3]" in status
    fields["height"].value, fields["x[3]"].value = "5", "7"
    got = insp.run_to_selection()
    assert got["y"].shape == (1, 3, 5, 7) and insp.last_run_inputs == {"x": (1, 3, 5, 7)}
    assert "inputs used: x[1, 3, 5, 7]" in " ".join(texts(insp._run_result))
    p = insp.run_profile(runs=1, warmup=0)
    assert p.meta["input_shapes"] == {"x": (1, 3, 5, 7)}
    assert "x[1, 3, 5, 7]" in " ".join(texts(insp._p_summary))
    fields["height"].value = "tall"
    with pytest.raises(oi.InspectError, match="dim 'height' must be a whole number"):
        insp.run_to_selection()


def test_free_dims_take_sizes_from_ultralytics_metadata() -> None:
    insp = Inspector(_image_model(imgsz="[32, 48]"))
    insp.show_tab("Run")
    assert insp._dims["height"].value == "32" and insp._dims["x[3]"].value == "48"
    insp.select("relu")
    assert insp.run_to_selection()["y"].shape == (1, 3, 32, 48)


def test_run_to_selection_with_an_input_that_feeds_nothing() -> None:
    # Was a KeyError: the whole-model session asked for an input the cut (and the generated feeds) left out.
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "g",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [2]),
            helper.make_tensor_value_info("unused", TensorProto.FLOAT, [3]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    insp = Inspector(oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])))
    insp.select("relu")
    assert insp.run_to_selection()["y"].shape == (2,)
    assert insp.run_profile(runs=1, warmup=0).n_runs == 1


def test_to_html_carries_what_the_fact_tabs_hold(tmp_path: Path) -> None:

    from onnx_inspect.reporting import expand_records, read_report
    from tests.runtime.cnn_variants import make_variants

    cnn = make_variants(tmp_path)
    insp = inspect(cnn["fp32"])
    try:
        plain = insp.to_html(tmp_path / "plain.html")
        accuracy, costs, optimized = insp.fact_tabs
        costs.compute()
        accuracy.compare(other=oi.load(cnn["qdq"]), first_only=False)
        optimized.show("basic")
        assert accuracy.table is not None and costs.costs is not None
        full = insp.to_html(tmp_path / "full.html")
    finally:
        insp.close()

    def data(path: Path) -> dict:
        return expand_records(read_report(path.read_text(encoding="utf-8")))

    before, after = data(plain), data(full)
    assert before["analyses"] == [] and before["overlays"] == {}
    assert [a["id"] for a in after["analyses"]] == ["costs", "accuracy", "optimized"]
    assert {"cost_macs", "accuracy", "optimized"} <= set(after["overlays"])
    assert after["analyses"][2]["title"] == "Optimized graph (basic)"
    sections = {s["id"] for r in after["nodes"].values() for s in r["sections"]}
    assert {"cost", "accuracy", "optimized"} <= sections


def test_tabs_beyond_model_node_weights_are_built_when_first_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first view pays only for what it shows: Run, Profile, Accuracy, Costs and Optimized are empty
    boxes until selected (or used from code); once selected they hold the same working content as before."""
    from onnx_inspect.model import quant
    from onnx_inspect.runtime import run as run_module
    from onnx_inspect.widgets.accuracy_tab import AccuracyTab
    from onnx_inspect.widgets.costs_tab import CostsTab
    from onnx_inspect.widgets.inspector import TABS
    from onnx_inspect.widgets.optimized_tab import OptimizedTab
    from tests.corpus import corpus_model

    calls: list[str] = []
    real_quant, real_dims = quant.quantization, run_module.input_dims
    monkeypatch.setattr(quant, "quantization", lambda m: calls.append("quantization") or real_quant(m))
    monkeypatch.setattr(run_module, "input_dims", lambda m: calls.append("input_dims") or real_dims(m))
    insp = inspect(corpus_model("small_cnn_qdq").path)
    try:
        assert list(insp.tabs.titles) == list(TABS)
        lazy = range(TABS.index("Run"), len(TABS))
        assert [len(insp.tabs.children[i].children) for i in lazy] == [0] * len(lazy)
        assert calls == []  # no quantization table, no input plan before the first view
        assert insp._list.options and "nodes" in " ".join(texts(insp._count))  # the Model tab is filled

        nid = insp.model.nodes.index[3]
        insp.select(nid)
        insp.show_tab("Run")
        run_box = insp.tabs.children[TABS.index("Run")].children[0]
        assert nid in " ".join(texts(run_box))  # shows the selection made before it was built
        assert calls == ["input_dims"]

        insp.tabs.selected_index = TABS.index("Accuracy")  # as a click on the tab
        accuracy = insp.tabs.children[TABS.index("Accuracy")].children[0]
        assert isinstance(accuracy, AccuracyTab) and calls.count("quantization") == 1
        assert len(accuracy.quant) > 0 and f"Quantization: {len(accuracy.quant)} quantized" in " ".join(
            texts(accuracy)
        )
        insp.show_tab("Model")
        insp.show_tab("Accuracy")  # shown again: the same tab, not rebuilt
        assert insp.tabs.children[TABS.index("Accuracy")].children[0] is accuracy
        assert calls.count("quantization") == 1

        # code that uses a tab never shown builds it: the fact tabs, the Profile tab
        accuracy2, costs, optimized = insp.fact_tabs
        assert accuracy2 is accuracy and isinstance(costs, CostsTab) and isinstance(optimized, OptimizedTab)
        assert insp.tabs.children[TABS.index("Costs")].children[0] is costs
        costs.compute()
        assert "MACs" in " ".join(texts(costs.totals))
        p = insp.run_profile(runs=1, warmup=0)
        assert p.n_runs == 1 and len(insp.tabs.children[TABS.index("Profile")].children) == 1
    finally:
        insp.close()


def test_to_html_of_an_inspector_whose_fact_tabs_were_never_opened(tmp_path: Path) -> None:

    from onnx_inspect.reporting import expand_records, read_report
    from tests.corpus import corpus_model

    path = corpus_model("small_cnn_qdq").path
    insp = inspect(path)
    try:
        out = insp.to_html(tmp_path / "r.html")
    finally:
        insp.close()
    data = expand_records(read_report(out.read_text(encoding="utf-8")))
    # the report oi.report makes with the same facts
    ref = oi.report(oi.load(path), tmp_path / "ref.html", quantization=True)
    want = expand_records(read_report(ref.read_text(encoding="utf-8")))
    assert [a["id"] for a in data["analyses"]] == [a["id"] for a in want["analyses"]] != []
