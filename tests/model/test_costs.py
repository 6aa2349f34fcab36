"""m.costs / m.memory_plan: exact counts on hand-built graphs, published totals on real architectures."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect.model.costs import cost_overlay, cost_sections, totals_text


def _model(nodes, inputs, outputs, inits=(), opset=17) -> oi.Model:
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]))


def _f(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _w(name: str, shape) -> onnx.TensorProto:
    return numpy_helper.from_array(np.ones(shape, np.float32), name)


def test_conv_matmul_gemm_counts_are_exact() -> None:
    # Conv 8->16, 3x3, group 2, with bias, on 1x8x10x10 (pads 1): 16*10*10 outputs x (8/2 * 9) MACs
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1] * 4, group=2),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Flatten", ["r"], ["f"]),
        helper.make_node("Gemm", ["f", "g", "gb"], ["y"], transB=1),
        helper.make_node("MatMul", ["y", "mm"], ["z"]),
    ]
    m = _model(
        nodes,
        [_f("x", [1, 8, 10, 10])],
        [_f("z", None)],
        [_w("w", (16, 4, 3, 3)), _w("b", (16,)), _w("g", (5, 1600)), _w("gb", (5,)), _w("mm", (5, 7))],
    )
    df = m.costs()
    conv, relu, flat, gemm, mm = df.index
    assert df.at[conv, "macs"] == 16 * 100 * 4 * 9
    assert df.at[conv, "flops"] == 2 * 16 * 100 * 4 * 9 + 1600
    assert df.at[conv, "params"] == 16 * 4 * 9 + 16
    assert df.at[relu, "macs"] == 0 and df.at[relu, "flops"] == 1600
    assert df.at[flat, "flops"] == 0
    assert df.at[gemm, "macs"] == 5 * 1600 and df.at[gemm, "params"] == 5 * 1600 + 5
    assert df.at[mm, "macs"] == 5 * 7
    assert df.at[conv, "input_bytes"] == 800 * 4 and df.at[conv, "output_bytes"] == 1600 * 4
    assert df.at[conv, "weight_bytes"] == (16 * 4 * 9 + 16) * 4
    tot = df.attrs["totals"]
    assert tot["macs"] == int(df["macs"].sum()) and tot["unknown_nodes"] == 0
    assert "GMACs" in totals_text(df)


def test_einsum_rnn_conv_transpose_and_attention_counts() -> None:
    ms = helper.make_opsetid("com.microsoft", 1)
    nodes = [
        helper.make_node("Einsum", ["a", "b"], ["e"], equation="bij,bjk->bik"),
        helper.make_node("LSTM", ["x", "W", "R"], ["", "h"], hidden_size=2),
        helper.make_node("ConvTranspose", ["c", "cw"], ["ct"]),
        helper.make_node("Attention", ["q", "aw", "ab"], ["att"], domain="com.microsoft", num_heads=2),
        helper.make_node("MultiHeadAttention", ["q", "k", "v"], ["mha"], domain="com.microsoft", num_heads=2),
    ]
    g = helper.make_graph(
        nodes,
        "g",
        [
            _f("a", [2, 3, 4]),
            _f("b", [2, 4, 5]),
            _f("x", [5, 1, 3]),
            _f("c", [1, 2, 3, 3]),
            _f("q", [1, 8, 16]),
            _f("k", [1, 6, 16]),
            _f("v", [1, 6, 16]),
        ],
        [_f("e", None), _f("h", None), _f("ct", None), _f("att", None), _f("mha", None)],
        [_w("W", (1, 8, 3)), _w("R", (1, 8, 2)), _w("cw", (2, 4, 2, 2)), _w("aw", (16, 48)), _w("ab", (48,))],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), ms]))
    macs = m.costs().set_index("op_type")["macs"]
    assert macs["Einsum"] == 2 * 3 * 4 * 5
    assert macs["LSTM"] == 5 * 1 * (1 * 8 * 3 + 1 * 8 * 2)  # steps x batch x (W + R)
    assert macs["ConvTranspose"] == 18 * 4 * 2 * 2  # input elements x (M/group x kernel)
    assert macs["Attention"] == 1 * 8 * 16 * 48 + 2 * 1 * 8 * 8 * 16  # QKV projection + QK^T + AV
    assert macs["MultiHeadAttention"] == 2 * 1 * 8 * 6 * 16  # QK^T + AV over 6 keys


def test_shared_weight_counts_once_in_totals_and_in_each_row() -> None:
    nodes = [helper.make_node("MatMul", ["x", "w"], ["a"]), helper.make_node("MatMul", ["a", "w"], ["y"])]
    m = _model(nodes, [_f("x", [2, 4])], [_f("y", None)], [_w("w", (4, 4))])
    df = m.costs()
    assert df["params"].tolist() == [16, 16]
    assert df.attrs["totals"]["params"] == 16 and df.attrs["totals"]["params_node_sum"] == 32


def test_a_folded_transpose_of_a_tied_weight_counts_once() -> None:
    # GPT-2's embedding reused, transposed, as the LM head: exporters fold the Transpose into a 2nd initializer
    emb = np.arange(24, dtype=np.float32).reshape(4, 6)
    nodes = [
        helper.make_node("Gather", ["emb", "ids"], ["h"]),
        helper.make_node("MatMul", ["h", "head"], ["y"]),
    ]
    inits = [numpy_helper.from_array(emb, "emb"), numpy_helper.from_array(emb.T.copy(), "head")]
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [3])
    m = _model(nodes, [ids], [_f("y", None)], inits)
    tot = m.costs().attrs["totals"]
    assert tot["params"] == 24 and tot["params_node_sum"] == 48
    assert tot["tied_copies"] == {m.tensor_id("head"): m.tensor_id("emb")}
    # a different matrix of the transposed shape is its own parameter
    inits[1] = numpy_helper.from_array(emb.T.copy() + 1, "head")
    assert _model(nodes, [ids], [_f("y", None)], inits).costs().attrs["totals"]["params"] == 48


def test_free_dims_are_labelled_unknown_until_dims_are_given() -> None:
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Softmax", ["y"], ["s"])]
    m = _model(nodes, [_f("x", ["batch", "seq", 8])], [_f("s", None)], [_w("w", (8, 3))])
    df = m.costs()
    assert df["macs"].isna().all() and df["flops"].isna().all()
    assert all(b.startswith("unknown") and "dims=" in b for b in df["basis"])
    assert df["params"].iloc[0] == 24  # weight shapes are known without dims
    got = m.costs(dims={"batch": 2, "seq": 5})
    assert got["macs"].iloc[0] == 2 * 5 * 3 * 8
    assert got["flops"].iloc[1] == 5 * 2 * 5 * 3
    # the same sizes given as "input[axis]" keys or a full input shape
    assert m.costs(dims={"x": (2, 5, 8)})["macs"].iloc[0] == 240
    with pytest.raises(oi.InspectError, match="neither inputs nor free dims.*batch"):
        m.costs(dims={"bacth": 2})
    with pytest.raises(oi.InspectError, match=r"dims\['batch'\]"):
        m.costs(dims={"batch": -1})


def test_unknown_op_is_labelled_not_zero() -> None:
    node = helper.make_node("MyOp", ["x"], ["y"], domain="custom.ops")
    g = helper.make_graph([node], "g", [_f("x", [3])], [_f("y", [3])])
    proto = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom.ops", 1)]
    )
    df = oi.load(proto).costs()
    assert (
        pd.isna(df["macs"].iloc[0]) and df["basis"].iloc[0] == "unknown: no cost rule for MyOp (custom.ops)"
    )
    assert df.attrs["totals"]["unknown_ops"] == ["MyOp"]


def test_shape_values_are_propagated_where_onnx_inference_stops() -> None:
    # Expand to a shape built with Where/Equal (the TorchScript exporter's pattern), which onnx's data
    # propagation does not follow: the MatMul after it still gets a count with dims
    nodes = [
        helper.make_node("Shape", ["x"], ["sh"]),
        helper.make_node("Equal", ["sh", "neg"], ["eq"]),
        helper.make_node("Where", ["eq", "ones", "sh"], ["target"]),
        helper.make_node("Expand", ["e", "target"], ["ex"]),
        helper.make_node("MatMul", ["ex", "w"], ["y"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([-1, -1], np.int64), "neg"),
        numpy_helper.from_array(np.array([1, 1], np.int64), "ones"),
        _w("e", (1, 6)),
        _w("w", (6, 2)),
    ]
    m = _model(nodes, [_f("x", ["n", 6])], [_f("y", None)], inits)
    df = m.costs(dims={"n": 4})
    assert df["macs"].iloc[-1] == 4 * 2 * 6
    assert df.attrs["totals"]["shapes_derived"] >= 1


def test_if_bodies_are_counted_once_as_their_own_rows() -> None:
    then = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["t"])], "then", [], [_f("t", [2, 3])])
    other = helper.make_graph([helper.make_node("Relu", ["x"], ["o"])], "else", [], [_f("o", [2, 4])])
    nodes = [helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=other)]
    c = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
    m = _model(nodes, [c, _f("x", [2, 4])], [_f("y", None)], [_w("w", (4, 3))])
    df = m.costs()
    assert df.loc[df["op_type"] == "If", "basis"].iloc[0].startswith("control flow")
    assert df.loc[df["op_type"] == "MatMul", "macs"].iloc[0] == 2 * 3 * 4
    assert df.loc[df["op_type"] == "Relu", "flops"].iloc[0] == 8
    assert df.attrs["totals"]["params"] == 12  # the body's weight is the main graph's initializer


def test_memory_plan_lifetimes_and_peak() -> None:
    # x -> a -> b -> y, with a also read by the last node: a lives from step 0 to step 2
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("Neg", ["a"], ["b"]),
        helper.make_node("Add", ["a", "b"], ["y"]),
    ]
    m = _model(nodes, [_f("x", [10])], [_f("y", [10])])
    plan = m.memory_plan()
    assert plan.loc[m.tensor_id("x"), ["first", "last"]].tolist() == [-1, 0]
    assert plan.loc[m.tensor_id("a"), ["first", "last"]].tolist() == [0, 2]
    assert plan.loc[m.tensor_id("y"), ["first", "last"]].tolist() == [2, 2]
    assert plan.attrs["live"] == [80, 80, 120]  # x+a, a+b, a+b+y (40 bytes each)
    assert plan.attrs["peak_bytes"] == 120 and plan.attrs["peak_node"] == m.nodes.index[2]


def test_sections_and_overlay_follow_the_record_contract(resnet50: Path) -> None:
    m = oi.load(resnet50)
    conv = m.nodes.index[m.nodes["op_type"] == "Conv"][0]
    secs = cost_sections(m, [conv])[conv]
    assert len(secs) == 1 and secs[0]["id"] == "cost" and secs[0]["columns"] == ["what", "value"]
    rows = dict(secs[0]["rows"])
    assert rows["MACs"] == int(m.costs().at[conv, "macs"]) and secs[0]["note"].startswith("conv")
    assert all(isinstance(v, (int, type(None))) for v in rows.values())
    ov = cost_overlay(m, "macs")
    assert ov[conv] == rows["MACs"] and all(v > 0 for v in ov.values())
    with pytest.raises(oi.InspectError, match="not one of"):
        cost_overlay(m, "basis")


# -- published figures --------------------------------------------------------------------------------------
# torchvision's model table (params, "GFLOPS" = multiply-accumulates at 224x224); Caffe AlexNet at 227x227.
PUBLISHED = {
    "light_resnet50.onnx": (25_557_032, 4.09e9, None),
    "light_vgg19.onnx": (143_667_240, 19.63e9, None),
    "light_squeezenet.onnx": (1_235_496, 0.35e9, None),  # SqueezeNet 1.1
    "light_densenet121.onnx": (7_978_856, 2.83e9, None),
    "light_bvlc_alexnet.onnx": (60_965_224, 0.724e9, {"data_0": (1, 3, 227, 227)}),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_light_cnns_match_published_params_and_macs(light_dir: Path, name: str) -> None:
    params, macs, dims = PUBLISHED[name]
    df = oi.load(light_dir / name).costs(dims=dims)
    tot = df.attrs["totals"]
    assert tot["params"] == pytest.approx(params, rel=0.02)
    assert tot["macs"] == pytest.approx(macs, rel=0.02)
    assert tot["unknown_nodes"] == 0 or set(tot["unknown_ops"]) <= {"LRN"}


_EXPORT_BERT = textwrap.dedent(
    """
    import sys, warnings, torch
    warnings.simplefilter("ignore")
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    model = BertModel(BertConfig()).eval()  # bert-base-uncased's architecture, random weights
    with torch.no_grad():
        for p in model.parameters():  # distinct values: the exporter would merge identical initializers
            p.normal_(0, 0.02)
    class M(torch.nn.Module):
        def __init__(s):
            super().__init__(); s.b = model
        def forward(s, i, a):
            out = s.b(input_ids=i, attention_mask=a)
            return out.last_hidden_state, out.pooler_output
    ids = torch.zeros(1, 8, dtype=torch.int64)
    dyn = {0: "batch", 1: "sequence"}
    torch.onnx.export(M(), (ids, torch.ones_like(ids)), sys.argv[1], dynamo=False, opset_version=17,
                      input_names=["input_ids", "attention_mask"], output_names=["hidden", "pooled"],
                      dynamic_axes={"input_ids": dyn, "attention_mask": dyn})
    """
)


@pytest.fixture(scope="module")
def bert_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    path = tmp_path_factory.mktemp("bert") / "bert_base.onnx"
    subprocess.run([sys.executable, "-c", _EXPORT_BERT, str(path)], check=True, timeout=900)
    return path


@pytest.mark.slow
def test_bert_base_matches_published_params_and_flops(bert_base: Path) -> None:
    """BERT-base: 110 M parameters (Devlin et al. 2019); 22.5 GFLOPs at 128 tokens (MobileBERT, Table 3;
    TinyBERT, Table 1). Exported with dynamic batch/sequence by the TorchScript exporter, as HF users do."""
    m = oi.load(bert_base)
    df = m.costs(dims={"batch": 1, "sequence": 128})
    tot = df.attrs["totals"]
    assert tot["params"] == 109_482_240  # exactly torch's count for BertModel(BertConfig())
    assert tot["params"] == pytest.approx(110e6, rel=0.02)
    assert tot["flops"] == pytest.approx(22.5e9, rel=0.02)
    assert tot["unknown_nodes"] == 0
    plan = m.memory_plan(dims={"batch": 1, "sequence": 128})
    assert plan.attrs["unknown"] == 0 and plan.attrs["peak_bytes"] > 128 * 3072 * 4


# -- the real-model corpus: never raises, every missing count says why -----------------------------------------
def _corpus() -> list:
    from tests.corpus import corpus_models

    return [pytest.param(cm, id=cm.name) for cm in corpus_models()]


@pytest.mark.slow
@pytest.mark.parametrize("cm", _corpus())
def test_corpus_costs_never_raise_and_label_unknowns(cm) -> None:
    m = oi.load(cm.path)
    df = m.costs(dims=cm.dims)
    assert list(df.index) == list(m.nodes.index)
    missing = df["flops"].isna()
    assert df.loc[missing, "basis"].str.startswith("unknown").all()
    assert not df.loc[~missing, "basis"].str.startswith("unknown").any()
    assert (df["macs"].isna() == missing).all()
    assert (df[["params", "macs", "flops"]].fillna(0) >= 0).all().all()
    plan = m.memory_plan(dims=cm.dims)
    assert plan.attrs["peak_bytes"] >= 0 and len(plan.attrs["live"]) == int((m.nodes["graph"] == "").sum())
