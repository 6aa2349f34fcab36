"""Two-model comparison and first divergence on real models: the corpus' small CNN (torch dynamo export)
and its fp16 / QDQ / QOperator versions made here with onnxconverter-common and onnxruntime.quantization,
BERT with one weight perturbed, and hostile pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import onnx_inspect as oi
from onnx_inspect.runtime.accuracy import cosine, iter_compare, match_tensors
from tests.corpus import corpus_model
from tests.runtime.cnn_variants import IMAGE, make_variants, perturbed


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The float CNN and its fp16 (Casts at the inputs/outputs), QDQ (per-channel) and QOperator versions."""
    return make_variants(tmp_path_factory.mktemp("cnn"))


def test_same_model_matches_everything_by_name(cnn: dict[str, Path]) -> None:
    df = oi.compare(cnn["fp32"], cnn["fp32"], feeds=IMAGE)
    assert list(df.index)[-1] == "logits" and (df["match"] == "name").all()
    assert df["allclose"].all() and (df["max_abs_diff"] == 0).all()
    assert np.allclose(df["cosine"].astype(float), 1.0)
    assert oi.first_divergence(cnn["fp32"], cnn["fp32"], feeds=IMAGE) is None


def test_fp16_with_casts(cnn: dict[str, Path]) -> None:
    df = oi.compare(cnn["fp32"], cnn["fp16"], feeds=IMAGE)
    m = oi.load(cnn["fp32"])
    # every computed value of the float model has its fp16 counterpart, in topological order
    order = [o for n in m.proto.graph.node for o in n.output]
    assert list(df.index) == order and (df["match"] == "name").all()
    assert df.loc["relu", "dtype"] == "float32/float16" and df.loc["logits", "dtype"] == "float32"
    assert (df["cosine"].astype(float) > 0.9999).all()
    assert (df["max_abs_diff"].astype(float) < 1e-2).all()
    # fp16 rounding is beyond rtol=1e-3 somewhere but within 1e-2
    assert not df["allclose"].all()
    assert oi.first_divergence(cnn["fp32"], cnn["fp16"], feeds=IMAGE, rtol=1e-2, atol=1e-2) is None


def test_qdq_compares_the_dequantized_values(cnn: dict[str, Path]) -> None:
    df = oi.compare(oi.load(cnn["fp32"]), oi.load(cnn["qdq"]), feeds=IMAGE)
    # the QDQ model's consumers read DQ(Q(x)): that is what relu is compared with
    assert df.loc["relu", "tensor_b"] == "relu_DequantizeLinear_Output"
    # quantize_static folds each Relu into its Conv: the Conv outputs have no counterpart (listed, not guessed)
    assert df.loc["getitem", "match"] == "unmatched" and np.isnan(df.loc["getitem", "max_abs_diff"])
    assert df.loc["logits", "match"] == "name"
    matched = df[df["match"] != "unmatched"]
    assert (matched["cosine"].astype(float) > 0.99).all()
    assert not matched["allclose"].any()
    assert df.attrs["unmatched_b"] == []
    # the first quantized activation already differs beyond the tolerance
    first = oi.first_divergence(cnn["fp32"], cnn["qdq"], feeds=IMAGE, rtol=1e-2, atol=1e-2)
    assert first == "relu"


def test_qoperator_matched_by_structure(cnn: dict[str, Path]) -> None:
    df = oi.compare(cnn["fp32"], cnn["qop"], feeds=IMAGE)
    # QLinearConv outputs (uint8) are matched through their producers and compared dequantized
    assert df.loc["getitem_6", ["tensor_b", "match"]].tolist() == ["getitem_6_quantized", "structure"]
    # a Relu absorbed by the quantized range (zero point 0) matches the QLinearConv that absorbed it
    assert df.loc["relu", ["tensor_b", "match"]].tolist() == ["getitem_quantized", "structure"]
    assert df.loc["getitem", "match"] == "unmatched"
    assert df.loc["relu", "dtype"] == "float32"
    structural = df[df["match"] == "structure"]
    assert len(structural) == 8 and (structural["cosine"].astype(float) > 0.999).all()
    assert float(df.loc["logits", "cosine"]) > 0.999


def test_match_tensors_lists_unmatched_values_of_b(cnn: dict[str, Path], tmp_path: Path) -> None:
    # b gains an extra Neg-Neg path off the output: its values match nothing in a
    m = onnx.load(str(cnn["fp32"]))
    m.graph.node.extend(
        [onnx.helper.make_node("Neg", ["logits"], ["n1"]), onnx.helper.make_node("Neg", ["n1"], ["n2"])]
    )
    m.graph.output.append(onnx.helper.make_tensor_value_info("n2", onnx.TensorProto.FLOAT, None))
    onnx.save(m, str(tmp_path / "b.onnx"))
    df = match_tensors(oi.load(cnn["fp32"]), oi.load(tmp_path / "b.onnx"))
    assert df.attrs["unmatched_b"] == ["n1", "n2"]
    assert (df["match"] == "name").all()


def test_first_divergence_is_the_perturbed_node(cnn: dict[str, Path], tmp_path: Path) -> None:
    b, out = perturbed(cnn["fp32"], tmp_path / "perturbed.onnx", "Conv", -1)
    for chunk in (None, 1, 5):
        assert oi.first_divergence(cnn["fp32"], b, feeds=IMAGE, chunk=chunk) == out
    rows = list(iter_compare(cnn["fp32"], b, feeds=IMAGE, chunk=4))
    assert [n for n, _ in rows] == [o for n in onnx.load(str(b)).graph.node for o in n.output]
    assert next(n for n, r in rows if not r["allclose"]) == out
    df = oi.compare(cnn["fp32"], b, feeds=IMAGE)
    first_bad = df.index[~df["allclose"]][0]
    assert first_bad == out and df.loc[:out, "allclose"].iloc[:-1].all()


def test_first_divergence_bert_perturbed_matmul(tmp_path: Path) -> None:
    cm = corpus_model("bert_mlm_torchscript")
    b, out = perturbed(cm.path, tmp_path / "bert.onnx", "MatMul", -3)
    feeds = oi.read_feeds(cm.path, cm.feeds) if cm.feeds is not None else None
    got = oi.first_divergence(cm.path, b, feeds=feeds, dims=cm.dims)
    assert got == out


def test_cosine_edges() -> None:
    z = np.zeros(4, np.float32)
    assert cosine(z, z) == 1.0 and cosine(z, np.ones(4)) == 0.0
    assert np.isnan(cosine(np.ones(3), np.ones(4)))


def test_cosine_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Summed block by block (bounded memory) it is the cosine of the whole tensors, non-finite values left out."""
    from onnx_inspect.runtime import accuracy

    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(5000).astype(np.float32), rng.standard_normal(5000).astype(np.float32)
    x[17], y[4000] = np.inf, np.nan
    ok = np.isfinite(x) & np.isfinite(y)
    xf, yf = x[ok].astype(np.float64), y[ok].astype(np.float64)
    want = float(np.dot(xf, yf) / (np.linalg.norm(xf) * np.linalg.norm(yf)))
    monkeypatch.setattr(accuracy, "BLOCK", 333)
    assert np.isclose(cosine(x.reshape(50, 100), y.reshape(50, 100)), want, rtol=1e-12, atol=1e-15)
    assert cosine(np.array([1.0, np.nan]), np.array([2.0, 5.0])) == pytest.approx(1.0)


def test_hostile_pairs(cnn: dict[str, Path], tmp_path: Path) -> None:
    bert = corpus_model("bert_mlm_torchscript").path
    with pytest.raises(oi.FeedError, match="has input 'input_ids', which .* does not have") as e:
        oi.compare(cnn["fp32"], bert, feeds=IMAGE)
    assert "\n" not in str(e.value)
    # same input name, incompatible dtype
    m = onnx.load(str(cnn["fp32"]))
    m.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.INT64
    onnx.save(m, str(tmp_path / "int_input.onnx"))
    with pytest.raises(oi.FeedError, match="input 'image' is float32 in .* but int64 in"):
        oi.first_divergence(cnn["fp32"], tmp_path / "int_input.onnx", feeds=IMAGE)
    with pytest.raises(oi.InspectError, match="chunk must be a positive"):
        oi.first_divergence(cnn["fp32"], cnn["fp32"], chunk=0)
    with pytest.raises(oi.UnknownNameError, match="'nope' is not a value computed"):
        oi.compare(cnn["fp32"], cnn["fp16"], outputs=["nope"], feeds=IMAGE)
    with pytest.raises(oi.ModelLoadError, match="missing.onnx"):
        oi.compare(cnn["fp32"], str(tmp_path / "missing.onnx"))
    # same inputs, another size: the second model's input check names it
    m = onnx.load(str(cnn["fp32"]))
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 32
    onnx.save(m, str(tmp_path / "small_input.onnx"))
    with pytest.raises(oi.FeedError, match="'image'") as e:
        oi.compare(cnn["fp32"], tmp_path / "small_input.onnx", feeds=IMAGE)
    assert "\n" not in str(e.value)
    with pytest.raises(oi.InspectError, match="outputs twice"):
        oi.compare(cnn["fp32"], "relu", outputs=["relu"])


def test_provider_comparison_keeps_working(cnn: dict[str, Path]) -> None:
    m = oi.load(cnn["fp32"])
    df = oi.compare(m, "all", providers=[["CPUExecutionProvider"], ["CPUExecutionProvider"]], feeds=IMAGE)
    assert df["allclose"].all() and "relu" in df.index
    # one model on two providers, chunk by chunk (what the Accuracy tab does): b runs on providers_b
    cpu = ["CPUExecutionProvider"]
    assert oi.first_divergence(m, m, feeds=IMAGE, providers=cpu, providers_b=cpu, chunk=3) is None
    with pytest.raises(oi.InspectError, match="NoSuchExecutionProvider"):
        next(iter_compare(m, m, feeds=IMAGE, providers=cpu, providers_b=["NoSuchExecutionProvider"]))


def test_original_vs_onnxruntime_optimized(tmp_path: Path) -> None:
    import onnxruntime as ort

    cm = corpus_model("bert_mlm_torchscript")
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    so.optimized_model_filepath = str(tmp_path / "opt.onnx")
    ort.InferenceSession(str(cm.path), so, providers=["CPUExecutionProvider"])
    feeds = oi.read_feeds(cm.path, cm.feeds)
    df = oi.compare(cm.path, tmp_path / "opt.onnx", feeds=feeds)
    matched = df[df["match"] != "unmatched"]
    # fusions (LayerNormalization, folded shape arithmetic) remove values: listed, not guessed
    assert len(matched) > 100 and (df["match"] == "unmatched").sum() > 50
    assert matched["allclose"].all() and "logits" in matched.index
    assert oi.first_divergence(cm.path, tmp_path / "opt.onnx", feeds=feeds) is None
    outs = oi.compare(cm.path, tmp_path / "opt.onnx", outputs=["logits"], feeds=feeds)
    assert list(outs.index) == ["logits"] and outs.at["logits", "cosine"] == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["small_cnn_qdq", "sklearn_pipeline_trees", "bert_mlm_torchscript"])
def test_a_model_against_itself(name: str) -> None:
    """QDQ values compared on both sides after DQ, maps/sequences (ZipMap) by equality, Constant outputs left out."""
    cm = corpus_model(name)
    feeds = oi.read_feeds(cm.path, cm.feeds) if cm.feeds is not None else None
    df = oi.compare(cm.path, oi.load(cm.path), feeds=feeds, dims=cm.dims)
    assert (df["match"] == "name").all() and df["allclose"].all()
    assert oi.first_divergence(cm.path, cm.path, feeds=feeds, dims=cm.dims) is None


def test_every_value_renamed_is_matched_by_structure(tmp_path: Path) -> None:
    """A BERT export whose intermediates all got new names (a converter that renames): copies of a node
    (several Shape(input_ids)) and constant-only nodes match exactly, the rest by family and inputs."""
    cm = corpus_model("bert_mlm_torchscript")
    m = onnx.load(str(cm.path))
    keep = {o.name for o in m.graph.output}
    new = {o: f"{o}_renamed" for n in m.graph.node for o in n.output if o and o not in keep}
    for n in m.graph.node:
        n.output[:] = [new.get(o, o) for o in n.output]
        n.input[:] = [new.get(x, x) for x in n.input]
    onnx.save(m, str(tmp_path / "renamed.onnx"))
    b, out = perturbed(tmp_path / "renamed.onnx", tmp_path / "renamed_perturbed.onnx", "MatMul", 5)
    feeds = oi.read_feeds(cm.path, cm.feeds)
    df = oi.compare(cm.path, tmp_path / "renamed.onnx", feeds=feeds)
    assert (df["match"] == "structure").sum() == len(df) - 1 and df.at["logits", "match"] == "name"
    assert df["allclose"].all() and all(t.endswith("_renamed") for t in df["tensor_b"].drop("logits"))
    # the first divergence is reported in a's names
    assert oi.first_divergence(cm.path, b, feeds=feeds) == out.removesuffix("_renamed")


def test_first_divergence_leaves_the_session_cache_alone(cnn: dict[str, Path], tmp_path: Path) -> None:
    """Chunk sessions are made per chunk and freed (no arena, not cached): the caller's cached sessions stay."""
    from onnx_inspect.runtime.session import cached_sessions

    a = oi.load(cnn["fp32"])
    oi.run(a, None, IMAGE)
    before = cached_sessions()
    b, out = perturbed(cnn["fp32"], tmp_path / "perturbed.onnx", "Conv", 0)
    assert oi.first_divergence(a, b, feeds=IMAGE, chunk=2) == out
    assert cached_sessions() == before


def _scaled(src: Path, dst: Path, initializer: str) -> Path:
    """Copy of ``src`` with one initializer scaled by 1.5 (a weight read inside a body keeps its main-graph name)."""
    m = onnx.load(str(src))
    w = next(t for t in m.graph.initializer if t.name == initializer)
    w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w) * np.float32(1.5), w.name))
    onnx.save(m, str(dst))
    return dst


def test_loop_body_values_are_compared_stacked(tmp_path: Path) -> None:
    """The corpus' scripted Loop (an If inside its body), run 4 iterations, against a copy whose body Gemm
    weight is scaled and an fp16 copy: every body value is compared stacked over the iterations, right
    before the Loop's output, and the first divergence is the body Gemm that reads the weight."""
    from onnxconverter_common import float16

    cm = corpus_model("scripted_loop")
    a = oi.load(cm.path)
    feeds = {**oi.make_feeds(a), "steps": np.array(4)}
    t = a.tensors
    body_values = list(t.index[(t["graph"] != "") & t["kind"].isin(["intermediate", "output"])])
    assert len(body_values) == 9  # Loop body and both If branches
    b = _scaled(cm.path, tmp_path / "scaled.onnx", "cell.weight")
    df = oi.compare(a, b, feeds=feeds)
    assert list(df.index) == [*df.index[:-1], "h"] and set(df.index[:-1]) == set(body_values)
    assert (df["match"] == "name").all() and df["reason"].isna().all()
    assert df.at["/Loop::body::/cell/Gemm_output_0", "shape_a"] == (4, 2, 8)  # stacked over the iterations
    assert df.index.get_loc("/Loop::body::/cell/Gemm_output_0") < df.index.get_loc(
        "/Loop::body::/If_output_0"
    )
    assert not df.at["/Loop::body::/cell/Gemm_output_0", "allclose"] and not df.at["h", "allclose"]
    assert oi.first_divergence(a, b, feeds=feeds) == "/Loop::body::/cell/Gemm_output_0"
    assert oi.first_divergence(a, b, feeds=feeds, chunk=1) == "/Loop::body::/cell/Gemm_output_0"
    half = tmp_path / "fp16.onnx"
    onnx.save(float16.convert_float_to_float16(onnx.load(str(cm.path)), keep_io_types=True), str(half))
    df16 = oi.compare(a, half, feeds=feeds, rtol=1e-2, atol=1e-2)
    assert (df16["match"] == "name").all() and df16["allclose"].all()
    assert 0 < df16.at["/Loop::body::/Tanh_output_0", "max_abs_diff"] < 1e-2
    assert oi.first_divergence(a, half, feeds=feeds, rtol=1e-2, atol=1e-2) is None


def test_values_in_if_branches_are_compared(tmp_path: Path) -> None:
    """Silero VAD (If branches holding LSTMs, Ifs nested in If branches): values of the branches the feeds
    take are fetched and compared, those of branches not taken are listed with that reason; with the LSTM's
    input weight scaled, the first divergence is the Slice inside the branch that reads it (not the If's output)."""
    cm = corpus_model("silero_vad_16k_op15")
    feeds = oi.read_feeds(cm.path, cm.feeds)
    m = oi.load(cm.path)
    df = oi.compare(m, cm.path, feeds=feeds, dims=cm.dims)
    in_body = df.index.isin(m.tensors.index[m.tensors["graph"] != ""])
    taken = in_body & (df["match"] == "name").to_numpy()
    assert taken.sum() > 20 and df.loc[taken, "allclose"].all() and df.loc[taken, "cosine"].notna().all()
    assert (df.loc[~in_body, "match"] == "name").all() and df.loc[~in_body, "allclose"].all()
    skipped = df.loc[in_body & ~taken, "reason"]
    assert len(skipped) > 20 and skipped.str.contains(r"is in the (?:then|else)_branch of If node").all()
    assert oi.first_divergence(m, cm.path, feeds=feeds, dims=cm.dims) is None
    b = _scaled(cm.path, tmp_path / "scaled.onnx", "model.decoder.rnn.weight_ih")
    first = oi.first_divergence(m, b, feeds=feeds, dims=cm.dims)
    assert first is not None and m.tensors.at[first, "graph"] == "/model/decoder/If_1::then_branch"
    producer = m.tensors.at[first, "producer"]
    assert "model.decoder.rnn.weight_ih" in m.nodes.at[producer, "inputs"]
    table = oi.compare(m, b, feeds=feeds, dims=cm.dims)
    assert table.index[(table["match"] != "unmatched") & ~table["allclose"]][0] == first


def _scan_model(scale: float) -> onnx.ModelProto:
    """Running sum over the rows of x (no corpus model has a Scan): state += tanh(row * w), each step's state
    a scan output (``scan_output_axes`` given, so lifting must extend it)."""
    from onnx import TensorProto, helper

    f = TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("Mul", ["row", "w"], ["scaled"]), helper.make_node("Tanh", ["scaled"], ["t"]),
         helper.make_node("Add", ["s_in", "t"], ["s_out"]), helper.make_node("Identity", ["s_out"], ["y_row"])],
        "body",
        [helper.make_tensor_value_info("s_in", f, [4]), helper.make_tensor_value_info("row", f, [4])],
        [helper.make_tensor_value_info("s_out", f, [4]), helper.make_tensor_value_info("y_row", f, [4])],
    )  # fmt: skip
    scan = helper.make_node(
        "Scan", ["s0", "x"], ["s_final", "ys"], body=body, num_scan_inputs=1, scan_output_axes=[0]
    )
    g = helper.make_graph(
        [scan],
        "g",
        [helper.make_tensor_value_info("s0", f, [4]), helper.make_tensor_value_info("x", f, [5, 4])],
        [helper.make_tensor_value_info("s_final", f, [4]), helper.make_tensor_value_info("ys", f, [5, 4])],
        [helper.make_tensor("w", f, [4], np.full(4, scale, np.float32))],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_scan_body_values_are_compared_stacked() -> None:
    feeds = {"s0": np.zeros(4, np.float32), "x": np.random.default_rng(0).standard_normal((5, 4), np.float32)}
    df = oi.compare(_scan_model(1.0), _scan_model(1.5), feeds=feeds)
    assert list(df.index) == [f"Scan_0::body::{n}" for n in ("scaled", "t", "s_out", "y_row")] + [
        "s_final",
        "ys",
    ]
    assert (df["match"] == "name").all() and not df["allclose"].any()
    assert df.at["Scan_0::body::t", "shape_a"] == (5, 4)  # one row per step
    assert oi.first_divergence(_scan_model(1.0), _scan_model(1.5), feeds=feeds) == "Scan_0::body::scaled"
    assert oi.first_divergence(_scan_model(1.0), _scan_model(1.0), feeds=feeds) is None
