"""oi.optimized: the graph onnxruntime executes, loaded as an oi.Model and linked to the model's nodes.

Real models with known fusions: a CNN (Conv+Relu fusions, NCHWc rewrites and a ReorderOutput on x86),
ResNet-50 (BatchNormalization folded into Conv), BERT (Gelu and MatMul+Mul fusions), a QDQ CNN
(QLinearConv), a Loop with an If inside (bodies), and a model with external data.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import onnx_inspect as oi
from onnx_inspect.runtime import profile_join as pj
from onnx_inspect.runtime.optimized import FOLDED, FUSED, INSERTED, KEPT, REMOVED, REWRITTEN, Optimized
from tests.corpus import corpus_path

X86 = "x86" in ort.get_device().lower() or os.uname().machine in ("x86_64", "AMD64")


def _ops(m: oi.Model, ids: tuple[str, ...] | list[str]) -> set[str]:
    return set(m.nodes.loc[list(ids), "op_type"])


def _check_consistent(o: Optimized) -> None:
    """Invariants every result keeps: ids exist on their side, derived is origins inverted, nothing twice."""
    src, opt = o.source.nodes.index, o.model.nodes.index
    assert list(o.table.index) == list(opt)
    assert set(o.table["kind"]) <= {KEPT, FUSED, REWRITTEN, INSERTED}
    for oid, orig in o.origins.items():
        assert set(orig) <= set(src), oid
        assert (len(orig) > 1) == (o.table.at[oid, "kind"] == FUSED)
        assert (len(orig) == 0) == (o.table.at[oid, "kind"] == INSERTED)
        for nid in orig:
            assert oid in o.derived[nid]
    assert set(o.removed.index).isdisjoint(o.derived)
    assert set(o.removed["kind"]) <= {FOLDED, REMOVED}
    for into in o.removed["into"]:
        assert set(into) <= set(opt)
    # every node of the model's executable graphs is accounted for once: made into something, or left out
    runnable = o.source.nodes[~o.source.nodes["graph"].isin(
        o.source.graphs.index[o.source.graphs["kind"] == "function"])].index  # fmt: skip
    assert set(runnable) == set(o.derived) | set(o.removed.index)


@pytest.fixture(scope="module")
def cnn() -> oi.Model:
    return oi.load(corpus_path("small_cnn_dynamo"))


@pytest.fixture(scope="module")
def cnn_all(cnn: oi.Model) -> Optimized:
    return oi.optimized(cnn, "all", "cpu")


def test_cnn_all_fuses_conv_relu_and_inserts_reorder(cnn: oi.Model, cnn_all: Optimized) -> None:
    o = cnn_all
    _check_consistent(o)
    assert isinstance(o.model, oi.Model) and o.model.path is not None
    assert o.level == "all" and o.providers == ("CPUExecutionProvider",)
    fused = o.table[o.table["kind"] == FUSED]
    assert len(fused) >= 3
    # every fused kernel here is a Conv that took in the Relu after it
    for oid, orig in zip(fused.index, fused["origins"], strict=True):
        assert {"Conv", "Relu"} <= _ops(cnn, orig), oid
    relu = cnn.nodes.index[cnn.nodes["op_type"] == "Relu"][0]
    assert o.table.at[o.derived[relu][0], "op_type"] == "Conv"
    if X86:  # NCHWc layout: Convs move to com.microsoft.nchwc, a ReorderOutput goes back to NCHW
        assert (o.table["domain"] == "com.microsoft.nchwc").sum() >= 5
        ins = o.table[o.table["kind"] == INSERTED]
        assert list(ins["op_type"]) == ["ReorderOutput"]
        served = ins["serves"].iloc[0]
        assert served in cnn.nodes.index and cnn.nodes.at[served, "op_type"] == "ReduceMean"
        # selecting the inserted node on the optimized side shows the node it serves
        assert o.linked([ins.index[0]], "optimized") == [served]
    # kept nodes keep their ids: the optimized model names nodes by the model's ids
    for oid in o.table.index[o.table["kind"] == KEPT]:
        assert o.origins[oid] == [oid]


def test_cnn_levels_differ(cnn: oi.Model, cnn_all: Optimized) -> None:
    with oi.optimized(cnn, level="basic", providers="cpu") as basic:
        _check_consistent(basic)
        assert (basic.table["domain"] == "com.microsoft.nchwc").sum() == 0
        assert (basic.table["kind"] == INSERTED).sum() == 0
        assert len(basic.table) > len(cnn_all.table)


def test_resnet50_batchnorm_folds_into_conv(resnet50: Path) -> None:
    m = oi.load(resnet50)
    with oi.optimized(m, "basic", "cpu") as o:
        _check_consistent(o)
        assert (m.nodes["op_type"] == "BatchNormalization").sum() == 53
        bn = m.nodes.index[m.nodes["op_type"] == "BatchNormalization"]
        for nid in bn:  # Conv+BatchNormalization fusion: each BN lives on inside one Conv
            (oid,) = o.derived[nid]
            assert o.table.at[oid, "op_type"] == "Conv"
            assert _ops(m, o.origins[oid]) == {"Conv", "BatchNormalization"}
        # the ConstantOfShape nodes that make this model's weights are folded into initializers
        cos = o.removed[o.removed["op_type"] == "ConstantOfShape"]
        assert len(cos) == (m.nodes["op_type"] == "ConstantOfShape").sum()
        assert set(cos["kind"]) == {FOLDED}
        assert all(len(into) >= 1 for into in cos["into"])


def test_resnet50_residual_blocks_fuse_into_one_conv(resnet50: Path) -> None:
    m = oi.load(resnet50)
    with oi.optimized(m, "all", "cpu") as o:
        _check_consistent(o)
        fused = [_ops(m, orig) for orig in o.table["origins"] if len(orig) > 1]
        # ResNet-50 has 3+4+6+3 = 16 bottleneck blocks: the last Conv of each takes in BatchNormalization,
        # the residual Sum and the Relu (NCHWc Conv with a Sum input and an activation)
        assert sum(ops == {"Conv", "BatchNormalization", "Sum", "Relu"} for ops in fused) == 16
        assert sum(ops == {"Conv", "BatchNormalization", "Relu"} for ops in fused) == 33
        assert sum(ops == {"Conv", "BatchNormalization"} for ops in fused) == 4  # the projection shortcuts
        assert all(len(v) == 1 for v in o.derived.values())  # no model node is in two kernels


def test_bert_gelu_and_matmul_fusions() -> None:
    m = oi.load(corpus_path("bert_mlm_torchscript"))
    o = oi.optimized(m, "all", "cpu")
    try:
        _check_consistent(o)
        table = o.table
        gelu = table[table["op_type"] == "BiasGelu"]
        assert len(gelu) >= 2  # one per encoder layer (+ the MLM head)
        for orig in gelu["origins"]:
            assert _ops(m, orig) == {"Add", "Div", "Erf", "Mul"}
        fm = table[table["op_type"] == "FusedMatMul"]
        assert len(fm) >= 1 and all({"MatMul", "Mul"} <= _ops(m, orig) for orig in fm["origins"])
        assert set(table.loc[gelu.index, "domain"]) == {"com.microsoft"}
        # Identity nodes of tied/shared weights disappear
        ident = o.removed[o.removed["op_type"] == "Identity"]
        assert len(ident) >= 10
        # the optimized model is a normal oi.Model: its views work
        from onnx_inspect.views.graph_payload import graph_payload

        summary = o.model.summary()
        assert summary["n_nodes"] == len(table)
        assert summary["op_types"]["BiasGelu"] == len(gelu)
        assert graph_payload(o.model)["nodes"]
    finally:
        o.close()


def test_qdq_becomes_qlinear() -> None:
    m = oi.load(corpus_path("small_cnn_qdq"))
    with oi.optimized(m, "all", "cpu") as o:
        _check_consistent(o)
        ql = o.table[o.table["op_type"] == "QLinearConv"]
        assert len(ql) == (m.nodes["op_type"] == "Conv").sum()
        for orig in ql["origins"]:  # each QDQ group DequantizeLinear -> Conv -> QuantizeLinear is one kernel
            assert _ops(m, orig) == {"DequantizeLinear", "Conv", "QuantizeLinear"}
        qadd = o.table[o.table["op_type"] == "QLinearAdd"]
        assert len(qadd) == 2 and all(_ops(m, orig) >= {"Add", "QuantizeLinear"} for orig in qadd["origins"])
        # the Transposes of the NHWC rewrite are the runtime's own re-layouts
        tr = o.table[o.table["op_type"] == "Transpose"]
        assert len(tr) and set(tr["kind"]) == {INSERTED} and tr["serves"].notna().all()
        # the DequantizeLinear nodes of the weights are folded: they now feed the QLinearConv directly
        wdq = o.removed[(o.removed["op_type"] == "DequantizeLinear") & (o.removed["kind"] == FOLDED)]
        assert len(wdq) >= len(ql)
        assert {o.table.at[t, "op_type"] for into in wdq["into"] for t in into} & {"QLinearConv"}
        # selecting a folded weight DequantizeLinear shows the kernel that now holds it
        first = wdq.index[0]
        assert o.linked([first], "model") == list(wdq.at[first, "into"])


def test_loop_and_if_bodies_are_linked() -> None:
    m = oi.load(corpus_path("scripted_loop"))
    with oi.optimized(m, "all", "cpu") as o:
        _check_consistent(o)
        assert set(o.model.graphs.index) == set(m.graphs.index)
        body = o.table[o.table["graph"] != ""]
        assert len(body) >= 4
        # kept body nodes have the same ids on both sides (If branches inside the Loop body too)
        kept = body[body["kind"] == KEPT]
        assert any("::then_branch::" in i for i in kept.index) and any(
            "::else_branch::" in i for i in kept.index
        )
        for oid in kept.index:
            assert o.origins[oid] == [oid]
        gemm = o.table[o.table["op_type"] == "FusedGemm"]
        assert len(gemm) == 1 and _ops(m, gemm["origins"].iloc[0]) == {"Gemm", "Tanh"}
        assert "Identity" in set(o.removed["op_type"])


def test_external_data_kept_in_a_folder_removed_on_close() -> None:
    m = oi.load(corpus_path("small_cnn_external_data"))
    o = oi.optimized(m, "all", "cpu")
    _check_consistent(o)
    folder = o.model.path.parent
    assert (folder / "optimized.onnx.data").is_file()
    big = o.model.tensors[(o.model.tensors["kind"] == "initializer") & (o.model.tensors["nbytes"] > 4096)]
    assert len(big) and o.model.is_external(big.index[0])
    w = o.model.weight(big.index[0])
    assert w.nbytes == big["nbytes"].iloc[0]
    o.close()
    assert not folder.exists()
    o.close()  # twice is fine


def test_facts_sections(cnn: oi.Model, cnn_all: Optimized) -> None:
    o = cnn_all
    ids = list(cnn.nodes.index)
    facts = o.facts()(cnn, ids)
    assert set(facts) == set(ids)
    for nid, secs in facts.items():
        (sec,) = secs
        assert sec["id"] == "optimized" and sec["columns"] == ["optimized node", "op", "kind", "model nodes"]
        json.dumps(sec)
        if nid in o.derived:
            assert [r[0] for r in sec["rows"]] == o.derived[nid]
        else:
            assert sec["rows"][0][2] in (FOLDED, REMOVED) and sec["note"]
    back = o.origin_facts()(o.model, list(o.model.nodes.index))
    for oid, (sec,) in back.items():
        assert sec["id"] == "origins"
        assert [r[0] for r in sec["rows"]] == o.origins[oid]
        json.dumps(sec)
    assert o.facts()(cnn, ["not a node"]) == {}


def test_linked_both_ways(cnn_all: Optimized) -> None:
    o = cnn_all
    fused = o.table.index[o.table["kind"] == FUSED][0]
    model_side = o.linked([fused], "optimized")
    assert model_side == o.origins[fused]
    assert fused in o.linked(model_side, "model")
    with pytest.raises(oi.InspectError, match="side="):
        o.linked([fused], "left")


def test_bad_level_and_providers(cnn: oi.Model) -> None:
    with pytest.raises(oi.InspectError, match="level='fast' is not one of"):
        oi.optimized(cnn, "fast")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(oi.ProviderError, match="'cuda' is not available here"):
            oi.optimized(cnn, "all", "cuda")
    with pytest.raises(oi.ProviderError):
        oi.optimized(
            cnn, "all", "tensorrt"
        )  # missing here, or a compiling provider that cannot save its graph
    for name in pj.COMPILING_PROVIDERS & set(ort.get_available_providers()):
        with pytest.raises(oi.ProviderError, match="cannot save the graph"):
            oi.optimized(cnn, "all", name)


def test_session_failure_is_an_inspect_error() -> None:
    # a model onnxruntime cannot build a session for (an op it has no kernel for) names the model
    node = helper.make_node("NoSuchOp", ["x"], ["y"], domain="my.domain")
    g = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )  # fmt: skip
    proto = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.domain", 1)]
    )
    with pytest.raises(oi.InspectError, match="NoSuchOp"):
        oi.optimized(onnx.ModelProto.FromString(proto.SerializeToString()), "all", "cpu")


def test_side_by_side_counts(cnn_all: Optimized) -> None:
    s = cnn_all.summary()
    assert s["count"].sum() == len(cnn_all.table) + len(cnn_all.removed)
    assert "oi.Optimized level='all'" in repr(cnn_all)
    assert Counter(cnn_all.table["kind"])[FUSED] == int(
        s[(s["side"] == "optimized node") & (s["kind"] == FUSED)]["count"].iloc[0]
    )


def test_cuda_style_copies_are_inserted_and_serve_their_nodes(cnn: oi.Model, cnn_all: Optimized) -> None:
    """On CUDA onnxruntime adds MemcpyFromHost after CPU-fed inputs and MemcpyToHost before outputs. No GPU
    here: the CPU graph is rewritten the way the CUDA provider writes its graph and linked the same way."""
    from onnx_inspect.runtime.optimized import _link

    proto = onnx.load(str(cnn_all.model.path), load_external_data=False)
    g = proto.graph
    x, y = g.input[0].name, g.output[0].name
    for n in g.node:
        n.input[:] = [f"{x}_dev" if v == x else v for v in n.input]
        n.output[:] = [f"{y}_dev" if v == y else v for v in n.output]
    g.node.insert(0, helper.make_node("MemcpyFromHost", [x], [f"{x}_dev"], name="Memcpy"))
    g.node.append(helper.make_node("MemcpyToHost", [f"{y}_dev"], [y], name="Memcpy_token_1"))
    path = cnn_all.model.path.parent / "cuda_like.onnx"
    onnx.save(proto, str(path))
    table, removed = _link(cnn, oi.load(path))
    copies = table[table["op_type"].str.startswith("Memcpy")]
    assert list(copies["kind"]) == [INSERTED, INSERTED]
    first = cnn.nodes.index[cnn.nodes["inputs"].map(lambda ins: x in ins)][0]
    last = cnn.nodes.index[cnn.nodes["outputs"].map(lambda outs: y in outs)][0]
    assert copies.at["Memcpy", "serves"] == first
    assert copies.at["Memcpy_token_1", "serves"] == last
    # the kernels between them keep their origins
    rest = table.drop(copies.index)
    assert list(rest["origins"]) == list(cnn_all.table["origins"])
    assert removed.equals(cnn_all.removed)


def test_model_local_function_is_inlined_even_when_disabled() -> None:
    fn = helper.make_function(
        "my.fn", "Swish", ["x"], ["y"],
        [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])],
        [helper.make_opsetid("", 17)],
    )  # fmt: skip
    g = helper.make_graph(
        [helper.make_node("Relu", ["a"], ["b"]), helper.make_node("Swish", ["b"], ["c"], domain="my.fn")],
        "g", [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [2, 3])],
    )  # fmt: skip
    proto = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.fn", 1)], functions=[fn]
    )
    m = oi.load(proto)
    with oi.optimized(m, "disabled", "cpu") as o:
        _check_consistent(o)  # the function body's own nodes are not "removed": they are no runtime nodes
        call = m.nodes.index[m.nodes["op_type"] == "Swish"][0]
        assert sorted(o.table.loc[o.derived[call], "op_type"]) == ["Mul", "Sigmoid"]
        assert len(o.removed) == 0
