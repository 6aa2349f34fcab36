"""oi.report / report_html: one self-contained file, plotly once, safe JSON, CSP, every node's details.

Browser behaviour (zero requests, clicks, overlays, injection) is in tests/browser/test_report_browser.py;
here the HTML text and the embedded data are checked in Python.
"""

from __future__ import annotations

import base64
import html.parser
import io
import json
import os
import re
import tracemalloc
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
import onnx_inspect.views.tensors as vt

# the module, not the oi.report function that shadows it as an attribute of the package
from onnx_inspect import reporting as R
from onnx_inspect.testing import (
    HOSTILE as EVIL,
)
from onnx_inspect.testing import (
    constant_weights,
    control_flow,
    conv_model,
    hostile_text_model,
    save_with_external_data,
    transformer_like,
    with_function,
)
from onnx_inspect.views import details as D
from onnx_inspect.views import records as RC

PLOTLY_BANNER = re.compile(r"plotly\.js v\d+\.\d+\.\d+")


class Scripts(html.parser.HTMLParser):
    """Collects every element start tag and the text of each <script> as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in: dict[str, str | None] | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in, self._buf = dict(attrs), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in is not None:
            self.scripts.append((self._in, "".join(self._buf)))
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._buf.append(data)


def parse(text: str) -> Scripts:
    p = Scripts()
    p.feed(text)
    p.close()
    return p


def data_of(text: str) -> dict:
    ids = [a.get("id") for a, _ in parse(text).scripts if a.get("type") == "application/json"]
    assert ids[:2] == ["oi-data", "oi-records"]
    return R.expand_records(R.read_report(text))


@pytest.fixture(scope="module")
def small():
    m = oi.load(transformer_like(layers=2))
    return m, oi.profile(m, runs=3, warmup=1)


@pytest.fixture(scope="module")
def small_html(small):
    m, p = small
    return R.report_html(m, p, oi.run(m, outputs="all"))


def test_json_for_script_escapes_markup_and_round_trips():
    value = {"a": "</script><script>alert(1)</script><!-- & \u2028 \u2029", "b": [1.5, None, "ok"]}
    text = R.json_for_script(value)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == value
    with pytest.raises(ValueError):
        R.json_for_script({"nan": float("nan")})  # NaN is not JSON; converters must clean it first


def plotly_of(text: str) -> str:
    """The plotly.js a report carries, unpacked (it travels deflated like the data)."""
    (attrs, body), *_ = [s for s in parse(text).scripts if s[0].get("id") == "oi-plotly"]
    packed = json.loads(body)
    assert attrs.get("type") == "application/json" and packed["encoding"] == "deflate-raw+base64"
    return zlib.decompress(base64.b64decode(packed["data"]), -15).decode("utf-8")


def test_report_has_one_plotly_copy_csp_and_nonced_scripts(small_html):
    text = small_html
    assert not PLOTLY_BANNER.search(text)  # packed: the 4.8 MB travel as about 1.9 MB of base64
    plotly = plotly_of(text)
    assert len(PLOTLY_BANNER.findall(plotly)) == 1
    assert len(text) < len(plotly) / 2
    doc = parse(text)
    metas = [
        a
        for t, a in doc.tags
        if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert len(metas) == 1
    csp = metas[0]["content"] or ""
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'none'"
    assert directives["img-src"] == "data: blob:"
    assert "unsafe-eval" not in csp and "unsafe-inline" not in directives["script-src"]
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9_-]+)' blob:", directives["script-src"]).group(1)
    # the CSP meta comes before any script or style
    first_code = min(text.index("<script"), text.index("<style"))
    assert text.index("Content-Security-Policy") < first_code
    runnable = [a for a, _ in doc.scripts if a.get("type") != "application/json"]
    assert len(runnable) == 1  # the page's own bootstrap: it imports oi-report-esm from a blob: URL
    assert all(a.get("nonce") == nonce for a in runnable)
    assert [a.get("id") for a, _ in doc.scripts if a.get("type") == "application/json"] == [
        "oi-data",
        "oi-records",
        "oi-report-esm",
        "oi-plotly",
    ]
    # no element of the page's markup loads or links anything
    assert not [(t, a) for t, a in doc.tags if {"src", "href", "srcset", "action", "data"} & set(a)]


def test_embedded_bundle_is_the_built_report_bundle(small_html):
    doc = parse(small_html)
    (_, body), *_ = [s for s in doc.scripts if s[0].get("id") == "oi-report-esm"]
    assert json.loads(body) == R.ESM.read_text(encoding="utf-8")
    assert R.CSS.read_text(encoding="utf-8").replace("</", "<\\/") in small_html


def test_embedded_data_is_deflated_and_round_trips(small, small_html):
    m, _ = small
    scripts = {a.get("id"): body for a, body in parse(small_html).scripts}
    packed = {k: json.loads(scripts[k]) for k in ("oi-data", "oi-records")}
    for p in packed.values():
        assert set(p) == {"encoding", "data"} and p["encoding"] == "deflate-raw+base64"
    nid = "/layers.0/attn/MatMul_2"
    assert nid not in small_html  # node details travel compressed, not as plain JSON
    records = R.unpack_data(packed["oi-records"])
    assert set(records) == set(R.RECORD_KEYS)  # the page parses them after the first view
    assert set(records["nodes"]) == set(m.nodes.index) and records["nodes"][nid]["op"] == "MatMul"
    data = R.read_report(small_html)
    assert data["nodes"] == records["nodes"] and "payload" in data and "payload" not in records
    plain = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    assert len(scripts["oi-data"]) + len(scripts["oi-records"]) < plain / 2
    with pytest.raises(oi.InspectError, match="encoding"):
        R.unpack_data({"encoding": "gzip", "data": ""})


def full_data(*args: Any, **kw: Any) -> dict[str, Any]:
    """report_data with the node and weight records expanded (as the page's decoder does)."""
    return R.expand_records(R.report_data(*args, **kw))


def test_every_node_has_details_and_weights_have_histograms(small):
    m, p = small
    data = full_data(m, p)
    assert set(data["nodes"]) == set(m.nodes.index)
    assert data["payload"]["model"]["n_nodes"] == len(m.nodes)
    nid = "/layers.0/attn/MatMul_2"
    n = data["nodes"][nid]
    assert n["op"] == "MatMul" and n["scope"] == "layers.0/attn"
    assert n["weights"] == ["layers.0.attn.q"]
    ins = {r["name"]: r for r in n["inputs"]}
    assert (ins["layers.0.attn.q"]["dtype"], ins["layers.0.attn.q"]["shape"]) == ("float32", "8×8")
    assert ins["layers.0.attn.q"]["kind"] == "initializer"
    ln = data["nodes"]["/layers.0/ln1/LayerNormalization_1"]
    attrs = {a["name"]: a for a in ln["attrs"]}
    assert (attrs["axis"]["type"], attrs["axis"]["value"], attrs["axis"]["source"]) == ("int", "-1", "set")
    assert attrs["epsilon"]["source"] == "default"
    # weight statistics and histogram bin counts agree with numpy
    w = data["weights"]["layers.0.attn.q"]
    arr = m.weight("layers.0.attn.q")
    assert w["shape"] == "8×8" and w["nbytes"] == arr.nbytes
    assert w["stats"]["min"] == pytest.approx(float(arr.min()))
    assert w["stats"]["std"] == pytest.approx(float(arr.std()), rel=1e-6)
    assert sum(w["hist"]["counts"]) == arr.size and len(w["hist"]["edges"]) == len(w["hist"]["counts"]) + 1
    assert [float(v) for v in w["head"]] == pytest.approx(
        arr.reshape(-1)[: RC.PREVIEW_VALUES].tolist(), rel=1e-5
    )
    # every weight any node refers to is in the table
    assert {t for rec in data["nodes"].values() for t in rec["weights"]} == set(data["weights"])


@pytest.mark.parametrize(
    "make",
    [
        lambda: transformer_like(layers=2),
        control_flow,
        with_function,
        constant_weights,
        conv_model,
        lambda: hostile_text_model(),
        "light_squeezenet.onnx",
        "light_inception_v1.onnx",
    ],
    ids=["transformer", "control_flow", "function", "constants", "conv", "evil", "squeezenet", "inception"],
)
def test_report_data_carries_the_records_of_views_records(make, light_dir):
    """The packed data expands to exactly node_records / weight_records (the one computation)."""
    from onnx_inspect.views import records as RC

    m = oi.load(light_dir / make if isinstance(make, str) else make())
    raw = R.report_data(m)
    data = R.expand_records(raw)
    assert list(data["nodes"]) == list(m.nodes.index)
    assert data["nodes"] == RC.node_records(m)
    ids = list(dict.fromkeys(t for r in data["nodes"].values() for t in r["weights"]))
    assert list(data["weights"]) == ids
    assert data["weights"] == RC.weight_records(m, ids)
    # packing only leaves things out: no packed record is bigger than its full form
    for nid, packed in raw["nodes"].items():
        assert set(packed) <= set(data["nodes"][nid]) and "id" not in packed


def test_profile_figures_overlays_and_node_times(small):
    m, p = small
    data = full_data(m, p)
    prof = data["profile"]
    assert [f["id"] for f in prof["figures"]] == ["op_types", "top_nodes", "timeline"]
    assert all(f["fig"]["data"] for f in prof["figures"])
    assert set(data["overlays"]) == {"mean_us", "provider"}
    assert data["overlay"] == "mean_us"  # a profile paints latency first
    lat = data["overlays"]["mean_us"]
    assert lat["kind"] == "numeric" and set(lat["values"]) <= set(m.nodes.index)
    bn = p.by_node()
    some = bn.index[0]
    assert lat["values"][some] == pytest.approx(bn.at[some, "mean_us"])
    assert data["overlays"]["provider"]["kind"] == "categorical"
    assert prof["nodes"][some]["provider"] == bn.at[some, "provider"]
    assert R.report_data(m, p, overlay="provider")["overlay"] == "provider"
    assert R.report_data(m, p, overlay="none")["overlay"] == "none"
    custom = R.report_data(m, overlay={"values": {some: 3.0, "not-a-node": 1.0}, "label": "my value"})
    assert custom["overlay"] == "custom" and custom["overlays"]["custom"]["values"] == {some: 3.0}


def test_runs_as_dict_list_and_labelled(small):
    m, _ = small
    r = oi.run(m)
    out = m.nodes.index[-1]
    one = R.runs_record(m, r)
    assert [x["label"] for x in one] == ["run"]
    row = one[0]["tensors"][0]
    assert row["name"] == "output" and row["producer"] == out
    assert row["stats"]["shape"] == list(r["output"].shape)
    assert [x["label"] for x in R.runs_record(m, [r, r])] == ["run 0", "run 1"]
    assert [x["label"] for x in R.runs_record(m, {"cpu": r, "other": r})] == ["cpu", "other"]
    # names the model does not know are still summarised
    extra = R.runs_record(m, {"mine": np.array([np.nan, 1.0, np.inf])})[0]["tensors"][0]
    assert extra["tid"] is None and extra["stats"]["nan"] == 1 and extra["stats"]["inf"] == 1
    assert extra["head"] == ["nan", "1", "inf"]
    text = R.runs_record(m, {"s": np.array(["<b>x</b>", "y"])})[0]["tensors"][0]
    assert text["head"] == ["<b>x</b>", "y"] and text["stats"]["min"] is None
    assert text["stats"]["family"] == "string" and text["stats"]["unique"] == 2
    assert text["hist"]["labels"] == ["<b>x</b>", "y"] and text["hist"]["counts"] == [1, 1]


@pytest.mark.parametrize(
    ("runs", "match"),
    [
        (42, "runs must be"),
        ([{"a": np.zeros(2)}, "x"], r"runs\[1\]"),
        ({"a": np.zeros(2), "b": {"c": np.zeros(1)}}, "mixes"),
    ],
)
def test_bad_runs_are_refused(small, runs, match):
    m, _ = small
    with pytest.raises(oi.InspectError, match=match):
        R.report_html(m, runs=runs)


def test_bad_arguments_are_refused(small, tmp_path):
    m, p = small
    with pytest.raises(oi.InspectError, match="does not exist"):
        oi_report(m, tmp_path / "missing" / "r.html")
    with pytest.raises(oi.InspectError, match="is a folder"):
        oi_report(m, tmp_path)
    with pytest.raises(oi.InspectError, match="oi.Profile"):
        R.report_html(m, profile={"mean_us": 1})
    with pytest.raises(oi.InspectError, match="overlay='provider'"):
        R.report_html(m, overlay="provider")  # no profile, so no provider overlay
    with pytest.raises(oi.InspectError, match="not a node id"):
        R.report_html(m, selected=["nope"])
    other = oi.load(control_flow())
    with pytest.raises(oi.InspectError, match="match no node"):
        R.report_html(other, profile=p)


def oi_report(*args, **kw) -> Path:
    return R.report(*args, **kw)


def test_report_writes_file_from_path_and_preselects(tmp_path):
    src = tmp_path / "cf.onnx"
    onnx.save(control_flow(), src)
    m = oi.load(src)
    sub = next(n for n in m.nodes.index if "::" in n)
    out = R.report(src, tmp_path / "cf.html", selected=[sub], title="control flow")
    assert out == tmp_path / "cf.html"
    text = out.read_text(encoding="utf-8")
    data = data_of(text)
    assert data["title"] == "control flow" and "<title>control flow</title>" in text
    assert data["selected"] == [sub] and sub in data["nodes"]
    assert set(data["nodes"]) == set(m.nodes.index)  # bodies' nodes too


def test_constant_nodes_and_external_weights(tmp_path):
    m = oi.load(constant_weights())
    data = full_data(m)
    const_outputs = {t for t, k in zip(m.tensors.index, m.tensors["kind"], strict=True) if k == "constant"}
    assert const_outputs and const_outputs <= set(data["weights"])
    assert all("stats" in data["weights"][t] for t in const_outputs)
    # weights in an external file are read; a missing file is reported per weight, not a crash
    path = save_with_external_data(transformer_like(layers=1, hidden=32), tmp_path)
    ext = oi.load(path)
    good = full_data(ext)
    assert good["weights"] and all(
        "stats" in w and "external" in w["where"] for w in good["weights"].values()
    )
    for f in tmp_path.iterdir():
        if f.suffix != ".onnx":
            f.unlink()
    bad = full_data(oi.load(path))
    errors = [w["error"] for w in bad["weights"].values() if "error" in w]
    assert errors and all(isinstance(e, str) and e for e in errors)
    skipped = full_data(oi.load(path), weights=False)
    assert all("stats" not in w and "error" not in w for w in skipped["weights"].values())


def test_model_without_figures_leaves_plotly_out():
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="r")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    text = R.report_html(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert not PLOTLY_BANNER.search(text)
    assert "id='oi-plotly'" not in text
    assert len(text) < 400_000


def test_untrusted_text_never_becomes_markup():
    m = oi.load(hostile_text_model())
    p = oi.profile(m, runs=2, warmup=0)
    text = R.report_html(m, p, oi.run(m, outputs="all"), title="title " + EVIL)
    doc = parse(text)
    # the only elements are the page's own: no <img>, and exactly five <script> elements
    assert not [t for t, _ in doc.tags if t in ("img", "iframe", "object", "embed")]
    assert len(doc.scripts) == 5  # oi-data, oi-records, oi-report-esm, oi-plotly, the bootstrap
    assert "window.__oi_pwned" not in "".join(
        body for a, body in doc.scripts if a.get("type") != "application/json"
    )
    data = data_of(text)
    assert data["title"] == "title " + EVIL
    node = data["nodes"]["mm" + EVIL]
    assert node["doc"] == "doc " + EVIL and node["meta"] == [{"key": "k" + EVIL, "value": "v" + EVIL}]
    const = data["nodes"]["const" + EVIL]
    assert EVIL in const["attrs"][0]["value"]
    assert data["summary"]["metadata"] == [{"key": "author" + EVIL, "value": "meta " + EVIL}]
    assert "<title>title &lt;img" in text


def test_transformer_500_nodes_with_profile_fits_8mb():
    m = oi.load(transformer_like(layers=30))
    assert len(m.nodes) > 500
    p = oi.profile(m, runs=5, warmup=1)
    text = R.report_html(m, p)
    size = len(text.encode("utf-8"))
    assert size < 8_000_000, f"{size / 1e6:.2f} MB"
    assert len(PLOTLY_BANNER.findall(plotly_of(text))) == 1


# -- numbers: every dtype, extreme values, bounded work --------------------------------------------------


def _extremes_model() -> onnx.ModelProto:
    """What exported transformers carry: an INT64_MAX Slice end and a -FLT_MAX mask, as initializers
    and as Constant nodes, beside an int4, a bfloat16, a bool and a string weight."""
    f32_min = float(np.finfo(np.float32).min)
    inits = [
        helper.make_tensor("ends", TensorProto.INT64, [1], [np.iinfo(np.int64).max]),
        helper.make_tensor("starts", TensorProto.INT64, [1], [1]),
        helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
        helper.make_tensor("mask", TensorProto.FLOAT, [4], [f32_min] * 4),
        helper.make_tensor("q4", TensorProto.INT4, [6], [-8, 7, 0, 1, 7, 7]),
        helper.make_tensor("bf", TensorProto.BFLOAT16, [3], [1.5, -2.0, 3.0]),
        helper.make_tensor("flag", TensorProto.BOOL, [3], [True, False, True]),
        helper.make_tensor("words", TensorProto.STRING, [3], [b"a", b"<b>", b"a"]),
    ]
    nodes = [
        helper.make_node(
            "Constant", [], ["neg"], value=helper.make_tensor("v", TensorProto.FLOAT, [2], [f32_min] * 2)
        ),
        helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["s"]),
        helper.make_node("Add", ["s", "mask"], ["a"]),
        helper.make_node("Identity", ["neg"], ["n_out"]),
        helper.make_node("DequantizeLinear", ["q4", "bf"], ["dq"], axis=0),
        helper.make_node("Identity", ["flag"], ["f_out"]),
        helper.make_node("Identity", ["words"], ["w_out"]),
    ]
    g = helper.make_graph(
        nodes, "extremes", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5])],
        [helper.make_tensor_value_info(n, TensorProto.UNDEFINED, None) for n in ("a", "n_out", "f_out", "w_out")],
        inits,
    )  # fmt: skip
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])


def _torch_export() -> onnx.ModelProto:
    """A tiny attention block exported by torch's TorchScript exporter: its causal mask fill is -FLT_MAX
    and its ``[:, 1:]`` slice ends at INT64_MAX, both as Constant nodes (as in exported GPT-2/BERT)."""
    torch = pytest.importorskip("torch")

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(8, 8)

        def forward(self, x: Any) -> Any:
            t = x.shape[1]
            mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
            s = (x @ x.transpose(1, 2)).masked_fill(mask, torch.finfo(torch.float32).min)
            return (torch.softmax(s, -1) @ self.lin(x))[:, 1:]

    f = io.BytesIO()
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Tiny().eval(),
            (torch.randn(1, 5, 8),),
            f,
            input_names=["x"],
            dynamic_axes={"x": {1: "T"}},
            dynamo=False,
        )
    return onnx.load_from_string(f.getvalue())


@pytest.mark.parametrize("make", [_extremes_model, _torch_export])
def test_report_and_weights_tab_show_the_same_numbers_for_extreme_weights(make, tmp_path):
    from onnx_inspect.widgets import Inspector

    m = oi.load(make())
    values = {
        tid: m.weight(m.tensors.at[tid, "name"], m.tensors.at[tid, "graph"])
        for tid in m.tensors.index[m.tensors["kind"].isin(["initializer", "constant"])]
    }
    assert any(
        np.asarray(v).dtype == np.int64 and np.iinfo(np.int64).max in np.asarray(v) for v in values.values()
    )
    assert any(
        np.asarray(v).dtype == np.float32 and np.finfo(np.float32).min in np.asarray(v)
        for v in values.values()
    )
    out = oi.report(m, tmp_path / "r.html")  # raised "Too many bins for data range" before
    data = data_of(out.read_text(encoding="utf-8"))
    insp = Inspector(m)
    try:
        shown = {}
        for nid in m.nodes.index:
            for card, tid in zip(insp.show_weights(nid), D.weight_ids(m, nid), strict=True):
                shown[tid] = card
    finally:
        insp.close()
    assert set(shown) == set(data["weights"]) and shown
    for tid, card in shown.items():
        rec, s = data["weights"][tid], card.summary
        assert "error" not in rec, rec
        for k in ("nan", "inf", "finite", "unique", "size"):
            assert rec["stats"][k] == RC.num(s[k]), (tid, k)
        for k in ("mean", "std", "zero_fraction"):  # derived numbers travel with 6 significant digits
            assert rec["stats"][k] == RC.num(s[k], 6), (tid, k)
        for k in ("min", "max"):  # exact ints beyond 2**53 travel as text
            assert rec["stats"][k] in (RC.num(s[k]), f"{s[k]:,}" if isinstance(s[k], int) else None), (tid, k)
        assert rec["stats"]["family"] == s["family"] and rec["stats"]["note"] == s["note"]
        assert rec["hist"]["counts"] == list(s["hist"]["counts"]), tid
        if "edges" in s["hist"]:  # shown to 6..9 significant digits
            edges = list(s["hist"]["edges"])
            scale = max(abs(edges[0]), abs(edges[-1]))
            assert rec["hist"]["edges"] == pytest.approx(edges, rel=1e-5, abs=1e-5 * scale), tid
        else:
            assert rec["hist"]["labels"] == list(s["hist"]["labels"]), tid
    ends = [r for r in data["weights"].values() if r["stats"]["max"] == "9,223,372,036,854,775,807"]
    assert ends and ends[0]["hist"]["counts"] == [1] and ends[0]["head"] == ["9223372036854775807"]
    if make is _extremes_model:
        w = data["weights"]
        assert w["q4"]["stats"]["min"] == -8 and w["q4"]["hist"]["counts"][-1] == 3  # int4: one bin per value
        assert w["bf"]["stats"]["mean"] == pytest.approx(2.5 / 3)
        assert w["flag"]["hist"] == {
            "labels": ["false", "true"],
            "counts": [1, 2],
            "sampled": False,
            "magnitude": False,
        }
        assert w["flag"]["head"] == ["True", "False", "True"]
        assert w["words"]["stats"]["unique"] == 2 and w["words"]["hist"]["labels"] == ["a", "<b>"]


def test_report_shows_the_producer_version_once():
    model = conv_model()
    model.producer_name, model.producer_version = "pytorch", "2.3.1"
    data = R.report_data(oi.load(model))
    assert data["summary"]["producer"] == "pytorch 2.3.1"
    model.producer_name, model.producer_version = "pytorch 2.3.1", "2.3.1"  # exporters that put it in both
    m = oi.load(model)
    assert m.producer_text == "pytorch 2.3.1" == R.report_data(m)["summary"]["producer"]
    assert m.summary()["producer"] == "pytorch 2.3.1"


def _constant_of_shape(dims: list[int]) -> onnx.ModelProto:
    shape = helper.make_tensor("shape", TensorProto.INT64, [len(dims)], dims)
    fill = helper.make_tensor("v", TensorProto.FLOAT, [1], [0.5])
    g = helper.make_graph(
        [helper.make_node("ConstantOfShape", ["shape"], ["big"], value=fill), helper.make_node("Identity", ["big"], ["y"])],
        "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, dims)], [shape],
    )  # fmt: skip
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_a_200_byte_constant_of_shape_does_not_make_the_report_allocate_1_gib():
    model = _constant_of_shape([16384, 16384])
    assert len(model.SerializeToString()) < 200
    m = oi.load(model)
    tracemalloc.start()
    try:
        data = full_data(m)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"report_data peaked at {peak / 2**20:.0f} MiB"
    w = data["weights"]["big"]
    assert w["stats"]["size"] == 16384**2 and w["stats"]["mean"] == 0.5 and w["stats"]["std"] == 0.0
    assert w["stats"]["note"] == "one value repeated" and w["hist"]["counts"] == [16384**2]
    assert w["head"] == ["0.5"] * RC.PREVIEW_VALUES


def test_report_work_is_bounded_big_weights_are_sampled_and_say_so(monkeypatch):
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal(40_000).astype(np.float32), f"w{i}") for i in range(3)
    ]
    g = helper.make_graph(
        [helper.make_node("Concat", ["w0", "w1", "w2"], ["y"], axis=0)], "g", [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [120_000])], inits,
    )  # fmt: skip
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    monkeypatch.setattr(RC, "REPORT_EXACT_VALUES", 50_000)  # room for one weight, exactly
    monkeypatch.setattr(RC, "EXACT_VALUES", 50_000)
    monkeypatch.setattr(vt, "SAMPLE_VALUES", 8192)
    w = full_data(m)["weights"]
    assert not w["w0"]["stats"]["sampled"] and w["w0"]["stats"]["note"] == ""
    for k in ("w1", "w2"):  # the budget is spent: sampled, and labelled so
        st = w[k]["stats"]
        assert st["sampled"] and st["summarised"] == 8192 and st["note"] == "sampled (8,192 of 40,000 values)"
        assert sum(w[k]["hist"]["counts"]) == 8192 and w[k]["hist"]["sampled"]


@pytest.mark.parametrize(
    ("path", "match"),
    [
        (None, "must be a file name .* not NoneType"),
        (42, "must be a file name .* not int"),
        ("bad\0name.html", "contains a NUL character"),
        ("x" * 5000 + ".html", "cannot write the report to 'x{200}.*File name too long"),
    ],
)
def test_bad_report_paths_are_refused_with_the_path_named(path, match):
    m = oi.load(conv_model())
    with pytest.raises(oi.InspectError, match=match):
        R.report(m, path)


def test_report_refuses_fifos_devices_and_unwritable_places(tmp_path):
    m = oi.load(conv_model())
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    with pytest.raises(oi.InspectError, match="pipe.html.*not a regular file"):
        R.report(m, fifo)  # returns at once: nothing waits for a reader
    with pytest.raises(oi.InspectError, match="/dev/null.*not a regular file"):
        R.report(m, "/dev/null")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:  # root may write to read-only folders, but not into /sys
        where = locked / "r.html" if not os.access(locked, os.W_OK) else Path("/sys/oi-report.html")
        with pytest.raises(
            oi.InspectError, match=f"{re.escape(str(where))}.*Permission denied.*folder you can write"
        ):
            R.report(m, where)
    finally:
        locked.chmod(0o700)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(oi.InspectError, match="file.txt/r.html.*Not a directory"):
        R.report(m, tmp_path / "file.txt" / "r.html")
    ok = R.report(m, os.fsencode(tmp_path / "bytes.html"))
    assert ok.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_data_builds_records_in_chunks_and_asks_each_fact_source_once(monkeypatch):
    m = oi.load(transformer_like(layers=2))
    calls = []

    def ops(m: oi.Model, ids: Any) -> dict[str, Any]:
        calls.append(len(ids))
        return {nid: [{"id": "op", "title": "Op", "columns": ["op"], "rows": [[m.nodes.at[nid, "op_type"]]]}]
                for nid in ids}  # fmt: skip

    monkeypatch.setattr(R, "RECORDS_CHUNK", 7)
    data = R.expand_records(R.report_data(m, sources=[ops]))
    assert calls == [len(m.nodes)]
    assert data["nodes"] == RC.node_records(m, sources=[ops])
    assert all(r["sections"][0]["rows"] == [[r["op"]]] for r in data["nodes"].values())


# -- facts of the Costs / Accuracy / Optimized tabs carried by the report (issue 14) -----------------


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    from tests.runtime.cnn_variants import make_variants

    return make_variants(tmp_path_factory.mktemp("cnn"))


def test_report_carries_costs_compare_and_optimized_facts(cnn):
    from onnx_inspect.model.costs import cost_overlay, cost_sections
    from onnx_inspect.views.accuracy_figures import accuracy_source
    from tests.runtime.cnn_variants import IMAGE

    fp, q = oi.load(cnn["fp32"]), oi.load(cnn["qdq"])
    table = oi.compare(fp, q, feeds=IMAGE)
    with oi.optimized(fp, "all") as opt:
        text = R.report_html(fp, costs=True, compare=table, optimized=opt, overlay="cost_macs")
        kinds = opt.model_kinds()
        opt_sections = opt.facts()(fp, list(fp.nodes.index))
    data = data_of(text)
    ids = list(fp.nodes.index)
    costs = cost_sections(fp, ids)
    acc = accuracy_source(table)(fp, ids)
    assert costs and acc and opt_sections
    for nid in ids:  # the node sections are the tabs' own, in one place each
        by_id = {s["id"]: s for s in data["nodes"][nid]["sections"]}
        assert by_id.get("cost") == (costs[nid][0] if nid in costs else None)
        assert by_id.get("optimized") == (opt_sections[nid][0] if nid in opt_sections else None)
        assert ("accuracy" in by_id) == (nid in acc)
    # overlays join the switch, normalised, and the first one shown is the one asked for
    assert data["overlay"] == "cost_macs"
    ov = data["overlays"]
    assert {"cost_macs", "cost_flops", "accuracy", "optimized"} <= set(ov)
    assert ov["cost_macs"]["values"] == cost_overlay(fp, "macs") and ov["cost_macs"]["menu"] == "MACs"
    assert ov["optimized"]["kind"] == "categorical" and ov["optimized"]["values"] == kinds.to_dict()
    assert all(v > 0 for v in ov["accuracy"]["values"].values())
    # analyses: titled tables and figures, plotly packed in for them (no profile here)
    an = {a["id"]: a for a in data["analyses"]}
    assert set(an) == {"costs", "accuracy", "optimized"}
    acc_table = an["accuracy"]["tables"][0]
    assert acc_table["columns"][0] == "tensor" and len(acc_table["rows"]) == min(len(table), 500)
    assert [r[0] for r in acc_table["rows"]] == [str(i) for i in table.index[:500]]
    assert an["costs"]["figures"] and an["accuracy"]["figures"] and not an["optimized"]["figures"]
    assert "id='oi-plotly'" in text and data["profile"] is None


def test_report_carries_quantization_facts(cnn):
    from onnx_inspect.runtime.quant_error import quantization_error
    from onnx_inspect.views.accuracy_figures import quant_overlay
    from tests.runtime.cnn_variants import IMAGE

    q = oi.load(cnn["qdq"])
    errors = quantization_error(q, IMAGE)
    data = R.expand_records(R.report_data(q, **_facts(q, quantization=errors)))
    quant = [s for r in data["nodes"].values() for s in r["sections"] if s["id"] == "quant"]
    assert quant and all(s["columns"][-2:] == ["clipped", "SQNR"] for s in quant)
    want = {k: v for k, v in quant_overlay(errors, "clipped").items() if k in q.nodes.index}
    assert data["overlays"]["quant_clipped"]["values"] == pytest.approx(want)
    (an,) = data["analyses"]
    assert [t["id"] for t in an["tables"]] == ["quant_params", "quant_errors"]
    assert len(an["tables"][1]["rows"]) == len(errors) and an["figures"]
    json.dumps(data, allow_nan=False)
    # parameters only (True): sections and the parameter table, no error overlay
    plain = R.report_data(q, **_facts(q, quantization=True))
    assert "quant_clipped" not in plain["overlays"]
    assert [t["id"] for t in plain["analyses"][0]["tables"]] == ["quant_params"]


def _facts(m, **kw) -> dict:
    from onnx_inspect.report_facts import report_facts

    f = report_facts(m, **kw)
    return {"sources": f.sources, "overlays": f.overlays, "analyses": f.analyses}


def test_own_overlays_and_analyses_are_checked_and_escaped():
    import pandas as pd

    from onnx_inspect.report_facts import analysis, table_section

    m = oi.load(hostile_text_model())
    nid = m.nodes.index[0]
    df = pd.DataFrame(
        {"what": [EVIL, "b"], "value": [1.5, float("nan")], "ok": [True, False], "ids": [(nid, "x"), ()]},
        index=["row " + EVIL, "r2"],
    )
    a = analysis("mine", "title " + EVIL, [table_section(df, "table " + EVIL, index="row")], note=EVIL)
    overlays = {"mine": {"values": {nid: 2.0, "no such node": 1.0}, "label": "lbl " + EVIL, "menu": EVIL}}
    text = R.report_html(m, overlays=overlays, analyses=[a], overlay="mine")
    doc = parse(text)
    assert not [t for t, _ in doc.tags if t in ("img", "iframe", "object", "embed")]
    assert "id='oi-plotly'" not in text  # no figure, no profile: no plotly
    data = data_of(text)
    assert data["overlay"] == "mine"
    assert data["overlays"]["mine"]["values"] == {nid: 2.0} and data["overlays"]["mine"]["menu"] == EVIL
    (got,) = data["analyses"]
    assert got["title"] == "title " + EVIL and got["note"] == EVIL
    t = got["tables"][0]
    assert t["columns"] == ["row", "what", "value", "ok", "ids"]
    assert t["rows"] == [["row " + EVIL, EVIL, 1.5, "yes", f"{nid}, x"], ["r2", "b", None, "no", ""]]
    with pytest.raises(oi.InspectError, match="keys 'none', 'custom'"):
        R.report_html(m, overlays={"mean_us": {"values": {nid: 1}}})
    with pytest.raises(oi.InspectError, match="analyses\\[0\\]"):
        R.report_html(m, analyses=["not an analysis"])
    with pytest.raises(oi.InspectError, match="not JSON-safe"):
        R.report_html(m, analyses=[{"title": "x", "tables": [{"rows": [[float("nan")]]}]}])
    with pytest.raises(oi.InspectError, match="must be a pandas DataFrame"):
        table_section([1, 2], "t")
    with pytest.raises(oi.InspectError, match="costs must be True or a dims dict"):
        R.report_html(m, costs="yes")
    with pytest.raises(oi.InspectError, match="oi.Optimized"):
        R.report_html(m, optimized=object())
    with pytest.raises(oi.InspectError, match="compare= must be the table of oi.compare"):
        R.report_html(m, compare=df)
    other = pd.DataFrame({"node": ["elsewhere"], "match": ["name"]}, index=["t"])
    with pytest.raises(oi.InspectError, match="match no node of this model"):
        R.report_html(m, compare=other)
