"""Node details, model summary, op schemas and weight previews: content, escaping and slicing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.views import details as D

EVIL = '<img src=x onerror="alert(1)">'
EVIL_DOC = "</p><script>alert('doc')</script>"


def hostile_model() -> onnx.ModelProto:
    """A valid model whose names, doc strings, metadata and string attributes are HTML injections."""
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), EVIL + "w")
    n1 = helper.make_node("MatMul", [EVIL, EVIL + "w"], ["h" + EVIL], name=EVIL, doc_string=EVIL_DOC)
    n1.metadata_props.add(key=EVIL, value=EVIL_DOC)
    n2 = helper.make_node(
        "Pad", ["h" + EVIL, "pads"], ["y"], name="pad", mode="reflect"
    )  # a string attribute (set below to hostile text)
    n2.attribute[0].s = EVIL.encode()
    pads = numpy_helper.from_array(np.zeros(4, np.int64), "pads")
    g = helper.make_graph(
        [n1, n2],
        EVIL,
        [helper.make_tensor_value_info(EVIL, TensorProto.FLOAT, [4, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [w, pads],
    )
    m = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 18)], producer_name=EVIL, doc_string=EVIL_DOC
    )
    m.metadata_props.add(key=EVIL, value=EVIL_DOC)
    return m


def assert_escaped(html_text: str) -> None:
    assert EVIL not in html_text and "<script" not in html_text and "<img" not in html_text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html_text


@pytest.fixture(scope="module")
def squeeze(squeezenet: Path) -> oi.Model:
    return oi.load(squeezenet)


def test_hostile_names_doc_strings_and_metadata_are_escaped() -> None:
    m = oi.load(hostile_model())
    assert_escaped(D.model_summary_html(m))
    assert "&lt;script&gt;" in D.model_summary_html(m)
    details = D.node_details_html(m, EVIL)
    assert_escaped(details)
    assert "&lt;/p&gt;&lt;script&gt;" in details  # the doc string is shown, as text
    pad = D.node_details_html(m, "pad")
    assert_escaped(pad)  # string attribute value and input names
    table = D.node_table(m)
    assert D.filter_nodes(table, "onerror").index.tolist() == [EVIL]
    assert_escaped(D.html_table(table))
    assert D.error_html(EVIL) == f"<div class='oi-error' role='alert'>{D.esc(EVIL)}</div>"


def test_conv_details_on_a_real_model(squeeze: oi.Model) -> None:
    info = D.node_info(squeeze, "n0")
    assert (info["op_type"], info["domain"], info["name"], info["opset"]) == ("Conv", "ai.onnx", "n0", 9)
    ins = D.io_table(squeeze, "n0", "inputs")
    assert ins["slot"].tolist() == ["X", "W", "B"]  # formal names from the schema
    assert ins["shape"].tolist() == [(1, 3, 224, 224), (64, 3, 3, 3), (64,)]
    assert ins["kind"].tolist() == ["input", "constant", "initializer"]
    assert ins["producer"].tolist() == [None, "ConstantOfShape_2", None]
    assert ins["shape_source"].tolist() == ["declared", "inferred", "declared"]
    outs = D.io_table(squeeze, "n0", "outputs")
    assert outs.loc[0, "shape"] == (1, 64, 111, 111) and outs.loc[0, "consumers"] == ("n1",)
    assert D.weight_ids(squeeze, "n0") == ["conv1_w_0", "conv1_b_0"]
    html_text = D.node_details_html(squeeze, "n0")
    for text in ("Conv", "1×64×111×111", "64×3×3×3", "ConstantOfShape_2", "n1",
                 "https://onnx.ai/onnx/operators/onnx__Conv.html"):  # fmt: skip
        assert text in html_text, text


def test_attribute_formatting_and_schema_defaults(squeeze: oi.Model) -> None:
    attrs = D.attribute_table(squeeze, "n0")
    assert attrs.loc["strides", "value"] == "[2, 2]" and attrs.loc["strides", "source"] == "set"
    assert attrs.loc["kernel_shape", "type"] == "ints"
    assert attrs.loc["group", "source"] == "default" and attrs.loc["group", "value"] == "1"
    assert attrs.loc["auto_pad", "value"] == "'NOTSET'"
    only_set = D.attribute_table(squeeze, "n0", defaults=False)
    assert set(only_set.index) == {"strides", "pads", "kernel_shape"}


def test_attribute_kinds_become_readable_references() -> None:
    big = numpy_helper.from_array(np.arange(1000, dtype=np.float32), "big")
    a = helper.make_attribute
    assert D.format_attribute(a("alpha", 0.1))["value"] == "0.1"
    longs = D.format_attribute(a("perm", list(range(40))))
    assert longs["value"].startswith("[0, 1, 2") and "(+24)" in longs["value"]
    s = D.format_attribute(a("mode", "x" * 500))
    assert s["type"] == "string" and "chars)" in s["value"] and len(s["value"]) < 200
    t = D.format_attribute(a("value", big))
    assert t["ref_kind"] == "tensor" and t["value"] == "tensor float32[1000]"  # a reference, not a dump
    small = D.format_attribute(a("value", numpy_helper.from_array(np.array([1.5, 2], np.float32))))
    assert small["value"] == "tensor float32[2] = [1.5, 2]"
    body = helper.make_graph([], "then", [], [])
    g = D.format_attribute(a("then_branch", body), owner="if_0")
    assert (g["ref_kind"], g["ref"]) == ("graph", "if_0::then_branch")
    assert D.format_attribute(a("strs", ["a", "b"]))["value"] == "['a', 'b']"


def test_subgraphs_functions_and_outer_values() -> None:
    m = oi.load(testing.control_flow())
    attrs = D.attribute_table(m, "branch")
    assert attrs.loc["then_branch", "ref"] == "branch::then_branch"
    assert set(D.node_info(m, "branch")["subgraphs"]) == {"branch::then_branch", "branch::else_branch"}
    ins = D.io_table(m, "branch::then_branch::loop::body::scan", "inputs")
    zero = ins[ins["name"] == "zero"].iloc[0]
    assert zero["kind"] == "outer constant" and zero["producer"] == "branch::then_branch::then_zero"
    assert (ins["slot"] == "(implicit)").sum() == 1
    # a Constant node's value attribute refers to its output tensor, shown as a weight
    const = D.attribute_table(m, "branch::then_branch::then_zero")
    assert const.loc["value", "ref"] == "branch::then_branch::zero"
    fm = oi.load(testing.with_function())
    fattrs = D.attribute_table(fm, "Gelu2_0")
    assert fattrs.loc["(function body)", "ref"] == "@local:Gelu2"
    assert "no schema" in D.schema_html(None, "Gelu2", "local")


def test_schema_summary_of_a_real_op() -> None:
    s = D.schema_summary("Conv", "", 11)
    assert s is not None
    assert (s["op_type"], s["domain"], s["since_version"]) == ("Conv", "ai.onnx", 11)
    assert s["inputs"]["name"].tolist() == ["X", "W", "B"]
    assert s["inputs"]["option"].tolist() == ["", "", "optional"]
    assert "convolution" in s["doc"].lower()
    attrs = s["attributes"].set_index("name")
    assert attrs.loc["auto_pad", "default"] == "'NOTSET'" and not attrs.loc["auto_pad", "required"]
    assert s["url"] == "https://onnx.ai/onnx/operators/onnx__Conv.html"
    html_text = D.schema_html(s)
    assert (
        "since opset 11" in html_text and "href='https://onnx.ai/onnx/operators/onnx__Conv.html'" in html_text
    )
    # the version in force at an older opset, and the latest when no opset is given
    assert D.schema_summary("Conv", "", 9)["since_version"] == 1
    assert D.schema_summary("Reshape")["since_version"] >= 21
    assert D.schema_summary("NoSuchOp", "") is None
    assert D.schema_summary("LinearClassifier", "ai.onnx.ml", 3)["url"].endswith(
        "onnx_aionnxml_LinearClassifier.html"
    )
    assert D.doc_url("Attention", "com.microsoft").endswith("#com.microsoft.Attention")
    assert D.doc_url("MyOp", "my.domain") is None
    assert D.doc_url("<x>", "") is None


def test_slice_previews() -> None:
    a = np.arange(2 * 3 * 50 * 20, dtype=np.float32).reshape(2, 3, 50, 20)
    df = D.slice_preview(a, (1, 2), max_rows=10, max_cols=5)
    np.testing.assert_array_equal(df.to_numpy(), a[1, 2, :10, :5])
    assert df.attrs["index"] == (1, 2) and df.attrs["truncated"]
    assert (df.attrs["rows"], df.attrs["cols"]) == (50, 20)
    assert "slice [1][2][:, :] of 2×3×50×20" in D.preview_html(
        df
    ) and "showing 10×5 of 50×20" in D.preview_html(df)
    np.testing.assert_array_equal(D.slice_preview(a).to_numpy(), a[0, 0, :32, :12])  # missing indices: 0
    assert D.slice_preview(np.float32(3.5)).iloc[0, 0] == 3.5
    col = D.slice_preview(np.arange(100), max_rows=7)
    assert col.shape == (7, 1) and col.attrs["rows"] == 100 and col.attrs["truncated"]
    with pytest.raises(oi.InspectError, match="out of range for axis 1 of size 3"):
        D.slice_preview(a, (0, 3))
    with pytest.raises(oi.InspectError, match="2 leading axes"):
        D.slice_preview(a, (0, 0, 0))
    mm = D.slice_preview(np.arange(6, dtype=np.int64).reshape(2, 3))
    assert re.search(r"<td>5</td>", D.preview_html(mm))


def test_weight_info_does_not_read_and_summary_lists_io(squeeze: oi.Model) -> None:
    info = D.weight_info(squeeze, "conv1_w_0")
    assert info["shape"] == (64, 3, 3, 3) and info["nbytes"] == 6912 and "ConstantOfShape_2" in info["where"]
    assert not info["external"]
    s = D.model_summary_html(squeeze)
    for text in ("onnx-caffe2", "data_0", "1×3×224×224", "softmaxout_1", "Conv", "ai.onnx 9", "1,235,613"):
        assert text in s, text


def test_external_weights_are_marked(tmp_path: Path) -> None:
    path = testing.save_with_external_data(testing.transformer_like(), tmp_path)
    m = oi.load(path)
    ext = [t for t in m.tensors.index[m.tensors["kind"] == "initializer"] if D.weight_info(m, t)["external"]]
    assert ext, "no initializer reported as external data"
    assert "external data file" in D.weight_info(m, ext[0])["where"]


def test_stats_html_says_what_each_dtype_family_shows() -> None:
    from onnx_inspect.views.tensors import tensor_stats

    def text(value: object) -> str:
        return re.sub(r"<[^>]+>", " ", D.stats_html(tensor_stats(value)))

    num = text(np.array([1.0, 2.0, np.nan]))
    assert all(w in num for w in ("min", "max", "mean", "std", "nan", "zeros")) and "1.5" in num
    flags = text(np.array([True, False, True]))
    assert "false" in flags and "true" in flags and "mean" not in flags
    words = D.stats_html(tensor_stats(np.array(["<b>x</b>", "<b>x</b>", "y"], dtype=object)))
    assert "<b>x</b>" not in words and "&lt;b&gt;x&lt;/b&gt;" in words and "distinct" in words
    assert "magnitude |z|" in text(np.array([1j, 2]))
    big = np.ones(5000, np.float32)
    assert "sampled (1,024 of 5,000 values)" in D.stats_html(
        tensor_stats(big, exact_values=1000, samples=1024)
    )
    assert "empty tensor" in text(np.zeros(0))
    assert "no statistics for dtype datetime64[D]" in text(np.array(["2020-01-01"], "datetime64[D]"))
    huge = text(np.array([np.iinfo(np.int64).max]))
    assert "9,223,372,036,854,775,807" in huge  # exact, not rounded through a float


def test_slice_preview_of_a_broadcast_constant_reads_only_the_block() -> None:
    big = np.broadcast_to(np.float32(0.5), (16384, 16384))  # what a ConstantOfShape weight is
    df = D.slice_preview(big)
    assert df.shape == (D.PREVIEW_ROWS, D.PREVIEW_COLS) and (df.to_numpy() == 0.5).all()
    assert df.attrs["rows"] == 16384 and df.attrs["truncated"]
