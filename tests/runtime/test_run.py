"""oi.run / oi.compare / oi.placement on real onnxruntime sessions, checked against independent references."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnx_inspect as oi
import onnx_inspect.runtime.session as session_mod
from onnx_inspect import testing
from onnx_inspect.runtime import clear_cache, compare, placement, read_feeds
from onnx_inspect.runtime.run import run
from onnx_inspect.runtime.session import cached_sessions

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def backend_input(shape: tuple[int, ...]) -> np.ndarray:
    """The input onnx's backend runner used to make light_*_output_0.pb (arange / n)."""
    n = int(np.prod(shape))
    return (np.arange(n).reshape(shape) / n).astype(np.float32)


def expected_output(name: str) -> np.ndarray:
    return numpy_helper.to_array(onnx.load_tensor(str(LIGHT / f"light_{name}_output_0.pb")))


# -- real models vs their shipped outputs ------------------------------------------------------------


@pytest.mark.parametrize("name", ["squeezenet", "zfnet512", "bvlc_alexnet"])
def test_light_model_outputs_match_shipped_reference(name: str) -> None:
    m = oi.load(LIGHT / f"light_{name}.onnx")
    inp = m.main_inputs()[0]
    out = run(m, feeds={inp: backend_input((1, 3, 224, 224))}, providers=["CPUExecutionProvider"])
    assert list(out) == m.main_outputs()
    np.testing.assert_allclose(out[m.main_outputs()[0]], expected_output(name), rtol=1e-3, atol=1e-6)


def test_backend_test_folder_layout_feeds(tmp_path: Path) -> None:
    """feeds= a folder with test_data_set_0/input_0.pb (unnamed TensorProto, matched by position)."""
    m = oi.load(LIGHT / "light_squeezenet.onnx")
    ds = tmp_path / "test_data_set_0"
    ds.mkdir()
    onnx.save_tensor(numpy_helper.from_array(backend_input((1, 3, 224, 224))), str(ds / "input_0.pb"))
    assert set(read_feeds(m, tmp_path)) == {"data_0"}
    for feeds in (tmp_path, ds, [ds / "input_0.pb"], str(ds / "input_0.pb")):
        out = run(m, feeds=feeds)
        np.testing.assert_allclose(out["softmaxout_1"], expected_output("squeezenet"), rtol=1e-3, atol=1e-6)


def test_npz_feeds(tmp_path: Path) -> None:
    m = oi.load(LIGHT / "light_zfnet512.onnx")
    np.savez(tmp_path / "f.npz", **{"gpu_0/data_0": backend_input((1, 3, 224, 224))})
    out = run(m, feeds=tmp_path / "f.npz")
    np.testing.assert_allclose(next(iter(out.values())), expected_output("zfnet512"), rtol=1e-3, atol=1e-6)


# -- intermediates vs the reference evaluator -------------------------------------------------------


def small_model() -> onnx.ModelProto:
    """A branchy float model with int64 shape math, unnamed nodes and a symbolic batch dim."""
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((4, 6)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal((6,)).astype(np.float32), "b")
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["mm"]),
        helper.make_node("Add", ["mm", "b"], ["lin"], name="add_bias"),
        helper.make_node("Tanh", ["lin"], ["t"]),
        helper.make_node("Sigmoid", ["lin"], ["s"]),
        helper.make_node("Mul", ["t", "s"], ["gated"]),
        helper.make_node("Shape", ["gated"], ["shp"]),
        helper.make_node("Concat", ["gated", "t"], ["cat"], axis=1),
        helper.make_node("Softmax", ["cat"], ["y"], axis=-1),
    ]
    g = helper.make_graph(
        nodes,
        "small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 12])],
        [w, b],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


@pytest.mark.parametrize(
    ("proto", "dims"),
    [(small_model(), {"batch": 2}), (testing.transformer_like(layers=2, hidden=8), {"batch": 2, "seq": 3})],
    ids=["small", "transformer"],
)
def test_every_intermediate_matches_reference_evaluator(proto: onnx.ModelProto, dims: dict) -> None:
    m = oi.load(proto)
    feeds = oi.runtime.make_feeds(m, dims=dims, seed=3)
    got = run(m, outputs="all", feeds=feeds)
    names = [n for n in got]
    assert len(names) >= 7
    ref = ReferenceEvaluator(proto).run(names, feeds)
    for name, want in zip(names, ref, strict=True):
        assert got[name].shape == want.shape, name
        np.testing.assert_allclose(got[name], want, rtol=1e-4, atol=1e-5, err_msg=name)


def test_single_intermediate_and_generated_feeds_are_seeded() -> None:
    m = oi.load(small_model())
    a = run(m, outputs=["gated", "shp"], dims={"batch": 5})
    b = run(m, outputs=["gated", "shp"], dims={"batch": 5})
    assert list(a) == ["gated", "shp"]
    np.testing.assert_array_equal(a["gated"], b["gated"])
    assert a["gated"].shape == (5, 6) and a["shp"].tolist() == [5, 6]
    c = run(m, outputs=["gated"], dims={"batch": 5}, seed=1)
    assert not np.array_equal(a["gated"], c["gated"])
    feeds = oi.runtime.make_feeds(m, dims={"batch": 5})
    ref = ReferenceEvaluator(small_model()).run(["gated"], feeds)[0]
    np.testing.assert_allclose(a["gated"], ref, rtol=1e-5, atol=1e-6)


def test_fetching_inputs_and_initializers() -> None:
    m = oi.load(small_model())
    x = np.ones((2, 4), np.float32)
    out = run(m, outputs=["x", "w", "lin"], feeds={"x": x})
    np.testing.assert_array_equal(out["x"], x)
    np.testing.assert_array_equal(out["w"], m.weight("w"))
    np.testing.assert_allclose(out["lin"], x @ m.weight("w") + m.weight("b"), rtol=1e-5)


# -- start from the middle ----------------------------------------------------------------------------


def tensor_named(m: oi.Model, prefix: str, op: str) -> str:
    """The first main-graph value whose producer is an ``op`` node in scope ``prefix``."""
    nodes = m.nodes[
        (m.nodes["graph"] == "") & (m.nodes["op_type"] == op) & m.nodes["name"].str.startswith(prefix)
    ]
    return nodes.iloc[0]["outputs"][0]


def test_middle_start_reproduces_downstream_value() -> None:
    m = oi.load(testing.transformer_like(layers=3, hidden=8))
    x = np.random.default_rng(0).standard_normal((2, 4, 8)).astype(np.float32)
    cut = tensor_named(m, "/layers.1/Add", "Add")  # residual stream after layer 1's attention
    relu = tensor_named(m, "/layers.2/mlp/", "Relu")
    full = run(m, outputs=[cut, "output", relu], feeds={"input": x})
    noisy = full[cut] + 1.0
    mid = run(m, outputs=["output", relu], feeds={cut: full[cut]})
    np.testing.assert_allclose(mid["output"], full["output"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mid[relu], full[relu], rtol=1e-5)
    # The fed value really is what the downstream part starts from.
    shifted = run(m, outputs=["output"], feeds={cut: noisy})
    assert not np.allclose(shifted["output"], full["output"])
    # Fetching the fed tensor itself returns it.
    np.testing.assert_array_equal(run(m, outputs=[cut], feeds={cut: noisy})[cut], noisy)


def test_middle_start_that_does_not_cut_names_the_input_and_a_path() -> None:
    m = oi.load(testing.transformer_like(layers=2, hidden=8))
    x = np.zeros((1, 2, 8), np.float32)
    q = tensor_named(m, "/layers.1/attn/", "MatMul")  # the query projection: keys/values bypass it
    val = run(m, outputs=[q], feeds={"input": x})[q]
    with pytest.raises(oi.FeedError) as e:
        run(m, outputs=["output"], feeds={q: val})
    msg = str(e.value)
    assert "'input'" in msg and q in msg and "<-" in msg


def test_fed_intermediate_with_wrong_dtype_or_rank() -> None:
    m = oi.load(small_model())
    with pytest.raises(oi.FeedError, match="'lin'.*float32.*float64"):
        run(m, outputs=["y"], feeds={"lin": np.zeros((2, 6))})
    with pytest.raises(oi.FeedError, match="'lin'.*rank 2"):
        run(m, outputs=["y"], feeds={"lin": np.zeros((6,), np.float32)})


# -- If bodies, Loop/Scan bodies, functions -----------------------------------------------------------


def if_model() -> onnx.ModelProto:
    """y = If(sum(x) > 0) then (relu(x) * two + bias) else (x - bias); both branches read outer values."""
    f = TensorProto.FLOAT
    then = helper.make_graph(
        [
            helper.make_node("Mul", ["r", "two"], ["t1"], name="then_mul"),
            helper.make_node("Add", ["t1", "bias"], ["t2"], name="then_add"),
        ],
        "then",
        [],
        [helper.make_tensor_value_info("t2", f, None)],
        [numpy_helper.from_array(np.array(2.0, np.float32), "two")],
    )
    other = helper.make_graph(
        [helper.make_node("Sub", ["x", "bias"], ["e1"], name="else_sub")],
        "else",
        [],
        [helper.make_tensor_value_info("e1", f, None)],
    )
    g = helper.make_graph(
        [
            helper.make_node("Relu", ["x"], ["r"], name="relu"),
            helper.make_node("ReduceSum", ["x"], ["s"], name="sum", keepdims=0),
            helper.make_node("Greater", ["s", "zero"], ["c"], name="gt"),
            helper.make_node("If", ["c"], ["y0"], name="cond", then_branch=then, else_branch=other),
            helper.make_node("Exp", ["y0"], ["y"], name="exp"),
        ],
        "if_model",
        [helper.make_tensor_value_info("x", f, [2, 3])],
        [helper.make_tensor_value_info("y", f, [2, 3])],
        [
            numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
            numpy_helper.from_array(np.array([0.5, -1.0, 2.0], np.float32), "bias"),
        ],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_values_inside_the_taken_if_branch() -> None:
    m = oi.load(if_model())
    x = np.array([[1.0, -2.0, 3.0], [0.5, -0.5, 4.0]], np.float32)
    bias = np.array([0.5, -1.0, 2.0], np.float32)
    out = run(m, outputs=["cond::then_branch::t1", "cond::then_branch::t2", "y"], feeds={"x": x})
    np.testing.assert_allclose(out["cond::then_branch::t1"], np.maximum(x, 0) * 2, rtol=1e-6)
    np.testing.assert_allclose(out["cond::then_branch::t2"], np.maximum(x, 0) * 2 + bias, rtol=1e-6)
    np.testing.assert_allclose(out["y"], ReferenceEvaluator(if_model()).run(None, {"x": x})[0], rtol=1e-5)
    # An outer-scope reference inside the branch resolves to the enclosing value.
    np.testing.assert_array_equal(
        run(m, outputs=["cond::then_branch::bias"], feeds={"x": x})["cond::then_branch::bias"], bias
    )
    neg = -x
    out = run(m, outputs=["cond::else_branch::e1"], feeds={"x": neg})
    np.testing.assert_allclose(out["cond::else_branch::e1"], neg - bias, rtol=1e-6)


def test_value_in_branch_not_taken_is_a_clear_error() -> None:
    m = oi.load(if_model())
    with pytest.raises(oi.FeedError) as e:
        run(m, outputs=["cond::else_branch::e1"], feeds={"x": np.ones((2, 3), np.float32)})
    msg = str(e.value)
    assert "cond::else_branch::e1" in msg and "'c'" in msg and "then_branch runs" in msg


def test_loop_and_scan_body_values_are_refused_with_the_reason() -> None:
    m = oi.load(testing.control_flow())
    feeds = {"x": np.ones((3, 2), np.float32), "x_sum": np.array(1.0, np.float32)}
    for tid, op in [
        ("branch::then_branch::loop::body::red", "Loop"),
        ("branch::then_branch::loop::body::scan::body::sum_out", "Scan"),
    ]:
        with pytest.raises(oi.InspectError) as e:
            run(m, outputs=[tid], feeds=feeds)
        msg = str(e.value)
        assert tid in msg and op in msg and "iteration" in msg
    # The Loop node's own output (inside the taken branch) is fetchable.
    out = run(m, outputs=["branch::then_branch::acc_final", "y"], feeds=feeds)
    np.testing.assert_allclose(out["branch::then_branch::acc_final"], out["y"])


def test_function_body_values_are_refused() -> None:
    m = oi.load(testing.with_function())
    with pytest.raises(oi.InspectError, match="@local:Gelu2::sq.*function"):
        run(m, outputs=["@local:Gelu2::sq"])
    x = np.linspace(-1, 1, 4).astype(np.float32)
    out = run(m, outputs=["h", "y"], feeds={"x": x})
    ref = ReferenceEvaluator(testing.with_function()).run(None, {"x": x})[0]
    np.testing.assert_allclose(out["y"], ref, rtol=1e-5)


# -- errors -------------------------------------------------------------------------------------------


def test_unknown_output_name_suggests_close_names() -> None:
    m = oi.load(small_model())
    with pytest.raises(oi.UnknownNameError, match="'gatd'.*'gated'"):
        run(m, outputs=["gatd"])
    with pytest.raises(oi.UnknownNameError, match="'add_bias' is a node.*'lin'"):
        run(m, outputs=["add_bias"])


@pytest.mark.parametrize(
    ("feeds", "pattern"),
    [
        ({"x": np.zeros((2, 4))}, r"input 'x' expects float32\[batch,4\] but got float64"),
        ({"x": np.zeros((2, 4, 1), np.float32)}, r"input 'x' expects rank 2"),
        ({"x": np.zeros((2, 5), np.float32)}, r"input 'x' expects dimension 1 = 4"),
        ({}, r"input 'x' is missing"),
        ({"x": np.zeros((2, 4), np.float32), "z": np.zeros(1)}, r"feeds has 'z'"),
        ({"x": "hello"}, r"input 'x'"),
    ],
)
def test_bad_feeds_name_the_input(feeds: dict, pattern: str) -> None:
    m = oi.load(small_model())
    with pytest.raises(oi.FeedError, match=pattern):
        run(m, outputs=["y"], feeds=feeds)


def test_absurd_generated_size_is_refused_before_allocating() -> None:
    import tracemalloc

    m = oi.load(small_model())
    tracemalloc.start()
    try:
        with pytest.raises(oi.FeedError, match=r"input 'x' would take .*GiB"):
            run(m, dims={"batch": 10**9})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_unknown_dims_key_and_ranges_key() -> None:
    m = oi.load(small_model())
    with pytest.raises(oi.FeedError, match="'btch'.*symbolic dims: \\['batch'\\]"):
        run(m, dims={"btch": 2})
    with pytest.raises(oi.FeedError, match="ranges names 'nope'"):
        run(m, ranges={"nope": (0, 1)})


def test_unknown_provider_lists_available_ones() -> None:
    m = oi.load(small_model())
    with pytest.raises(oi.ProviderError) as e:
        run(m, providers=["NoSuchExecutionProvider"])
    assert "NoSuchExecutionProvider" in str(e.value) and "CPUExecutionProvider" in str(e.value)
    if "CUDAExecutionProvider" not in oi.providers():
        with pytest.raises(
            oi.ProviderError, match="'CUDAExecutionProvider' is not available here.*onnxruntime-gpu"
        ):
            run(m, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])


def test_onnxruntime_failures_name_the_node() -> None:
    f = TensorProto.FLOAT
    g = helper.make_graph(
        [
            helper.make_node("Relu", ["x"], ["r"], name="relu"),
            helper.make_node("Reshape", ["r", "shape"], ["y"], name="bad_reshape"),
        ],
        "g",
        [
            helper.make_tensor_value_info("x", f, [2, 3]),
            helper.make_tensor_value_info("shape", TensorProto.INT64, [2]),
        ],
        [helper.make_tensor_value_info("y", f, None)],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))
    with pytest.raises(oi.RuntimeFailure, match="bad_reshape.*Reshape"):
        run(m, feeds={"x": np.ones((2, 3), np.float32), "shape": np.array([4, 4])})
    g2 = helper.make_graph(
        [
            helper.make_node("Relu", ["x"], ["r"], name="relu"),
            helper.make_node("Foo", ["r"], ["y"], name="foo_node", domain="my.ops"),
        ],
        "g2",
        [helper.make_tensor_value_info("x", f, [2, 3])],
        [helper.make_tensor_value_info("y", f, None)],
    )
    m2 = oi.load(
        helper.make_model(
            g2, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.ops", 1)], ir_version=8
        )
    )
    with pytest.raises(oi.RuntimeFailure, match="foo_node"):
        run(m2)
    # The part before the unknown op still runs: the cut leaves it out.
    assert run(m2, outputs=["r"])["r"].shape == (2, 3)


# -- caching ------------------------------------------------------------------------------------------


def test_sessions_are_cached_per_outputs_and_providers() -> None:
    clear_cache()
    m = oi.load(small_model())
    run(m, outputs=["gated"])
    n = cached_sessions()
    run(m, outputs=["gated"])
    run(m, outputs=["gated"], feeds={"x": np.zeros((3, 4), np.float32)})
    assert cached_sessions() == n
    run(m, outputs=["t"])
    assert cached_sessions() == n + 1
    run(m, outputs=["t"], optimization="disabled")
    assert cached_sessions() == n + 2
    clear_cache(m)
    assert cached_sessions() == 0


# -- external data ------------------------------------------------------------------------------------


def test_external_data_model_runs_from_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proto = testing.transformer_like(layers=2, hidden=16)
    path = testing.save_with_external_data(testing.transformer_like(layers=2, hidden=16), tmp_path / "ext")
    before = sorted(os.listdir(tmp_path / "ext"))
    m = oi.load(path)
    assert any(t.data_location == TensorProto.EXTERNAL for t in m.proto.graph.initializer)
    want = [tensor_named(m, "/layers.1/mlp/", "Add"), "output"]
    ref = run(oi.load(proto), outputs=want, dims={"batch": 2, "seq": 3})
    out = run(m, outputs=want, dims={"batch": 2, "seq": 3})
    for k in want:
        np.testing.assert_allclose(out[k], ref[k], rtol=1e-5, atol=1e-6)
    # onnxruntime < 1.21 path: a temporary cut model beside the original, removed afterwards.
    clear_cache(m)
    monkeypatch.setattr(session_mod, "FOLDER_OPTION", False)
    out2 = run(m, outputs=want[:1], dims={"batch": 2, "seq": 3})
    np.testing.assert_allclose(out2[want[0]], ref[want[0]], rtol=1e-5, atol=1e-6)  # other fusions
    assert sorted(os.listdir(tmp_path / "ext")) == before
    # Bytes that reference external files cannot run: the error says how to fix it.
    with pytest.raises(oi.ExternalDataError, match="load it from its path"):
        run(oi.load(m.proto), outputs=want[:1], dims={"batch": 2, "seq": 3})


def test_prefix_of_big_external_model_does_not_read_all_weights(tmp_path: Path) -> None:
    """Peak RSS while fetching the first layer of an 8 x 32 MiB model stays far below the weights' size.

    Python never reads the weights (a cut copy keeps external references); onnxruntime reads the one
    chunk the prefix needs (to constant-fold its Slice), so the peak is about two chunks, not 256 MiB.
    """
    path = testing.big_external_model(tmp_path, total_bytes=256 * 2**20, chunk_bytes=32 * 2**20)
    code = textwrap.dedent(
        f"""
        import resource, numpy as np, onnx_inspect as oi
        from onnx_inspect.runtime.run import run
        m = oi.load({str(path)!r})
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = run(m, outputs=["h0"], feeds={{"x": np.zeros(4, np.float32)}})
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert np.allclose(out["h0"], 0.001), out
        print((peak - base) * 1024)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(oi.__file__).parent.parent)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    grew = int(res.stdout.strip().splitlines()[-1])
    assert grew < 128 * 2**20, f"RSS grew by {grew / 2**20:.0f} MiB for a 32 MiB prefix of 256 MiB of weights"


# -- compare and placement ----------------------------------------------------------------------------


def test_compare_same_provider_is_exact_and_lists_every_tensor() -> None:
    m = oi.load(small_model())
    df = compare(m, outputs="all", providers=[["cpu"], ["CPUExecutionProvider"]], dims={"batch": 3})
    assert list(df.index)[-1] == "y" and "gated" in df.index
    assert df["allclose"].all()
    assert (df["max_abs_diff"] == 0).all()
    assert df.attrs["labels"] == ("CPU (a)", "CPU (b)")
    assert {"max_abs_diff", "max_rel_diff", "shape_a", "shape_b", "allclose"} <= set(df.columns)


def test_compare_needs_two_provider_lists() -> None:
    with pytest.raises(oi.ProviderError, match="two provider lists"):
        compare(oi.load(small_model()), providers=[["cpu"]])


def test_marking_intermediates_keeps_values_close_to_the_unmarked_run() -> None:
    """Marking outputs can change which fusions run; values must still agree to ~1e-6."""
    m = oi.load(LIGHT / "light_squeezenet.onnx")
    x = backend_input((1, 3, 224, 224))
    all_values = run(m, outputs="all", feeds={"data_0": x})
    np.testing.assert_allclose(
        all_values["softmaxout_1"], run(m, feeds={"data_0": x})["softmaxout_1"], atol=1e-6
    )


def test_placement_on_cpu_covers_every_main_graph_node() -> None:
    m = oi.load(LIGHT / "light_squeezenet.onnx")
    main = m.nodes[m.nodes["graph"] == ""]
    p = placement(m, providers=["CPUExecutionProvider"], optimization="disabled")
    assert set(main.index) <= set(p.index)
    assert (p.loc[main.index, "provider"] == "CPUExecutionProvider").all()
    p = placement(m, providers=["CPUExecutionProvider"])
    assigned = p[p["status"] == "assigned"]
    assert (assigned["provider"] == "CPUExecutionProvider").all()
    removed = p.loc[main.index][p.loc[main.index, "status"] != "assigned"]
    assert set(removed["op_type"]) <= {"ConstantOfShape", "Dropout"}  # folded / eliminated by onnxruntime
    assert len(assigned) == len(main) - len(removed)
    prof = placement(m, providers=["CPUExecutionProvider"], method="profile")
    assert set(prof.index[prof["status"] == "assigned"]) == set(assigned.index)


def test_placement_reports_if_branch_nodes() -> None:
    m = oi.load(if_model())
    p = placement(m, providers="cpu")
    for nid in ["cond::then_branch::then_mul", "cond::else_branch::else_sub", "relu", "cond"]:
        assert p.at[nid, "provider"] == "CPUExecutionProvider", nid


@pytest.mark.gpu
def test_cuda_run_placement_and_values_vs_cpu() -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime-gpu with CUDAExecutionProvider is not installed here (no NVIDIA GPU)")
    m = oi.load(LIGHT / "light_squeezenet.onnx")
    assert oi.providers()[0] in ("TensorrtExecutionProvider", "CUDAExecutionProvider")
    p = placement(m, providers=["CUDAExecutionProvider"])
    assigned = p[p["status"] == "assigned"]
    assert (assigned["provider"] == "CUDAExecutionProvider").sum() > len(assigned) // 2
    assert set(assigned["provider"]) <= {"CUDAExecutionProvider", "CPUExecutionProvider"}
    x = backend_input((1, 3, 224, 224))
    gpu = run(m, feeds={"data_0": x}, providers=["CUDAExecutionProvider"])
    np.testing.assert_allclose(gpu["softmaxout_1"], expected_output("squeezenet"), rtol=1e-3, atol=1e-5)
    df = compare(m, outputs="all", providers=[["CUDAExecutionProvider"], ["CPUExecutionProvider"]],
                 feeds={"data_0": x}, rtol=1e-2, atol=1e-3)  # fmt: skip
    assert df["allclose"].all(), df[~df["allclose"]]


def test_nested_if_branch_reads_values_of_both_enclosing_graphs() -> None:
    f = TensorProto.FLOAT
    inner_then = helper.make_graph(
        [helper.make_node("Add", ["x", "outer_t"], ["deep"], name="deep_add")],  # main value + branch value
        "inner_then",
        [],
        [helper.make_tensor_value_info("deep", f, None)],
    )
    inner_else = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["neg"], name="neg")],
        "inner_else",
        [],
        [helper.make_tensor_value_info("neg", f, None)],
    )
    outer_then = helper.make_graph(
        [
            helper.make_node("Mul", ["x", "x"], ["outer_t"], name="sq"),
            helper.make_node(
                "If", ["c2"], ["io"], name="inner", then_branch=inner_then, else_branch=inner_else
            ),
        ],
        "outer_then",
        [],
        [helper.make_tensor_value_info("io", f, None)],
    )
    outer_else = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["same"], name="same")],
        "outer_else",
        [],
        [helper.make_tensor_value_info("same", f, None)],
    )
    g = helper.make_graph(
        [helper.make_node("If", ["c1"], ["y"], name="outer", then_branch=outer_then, else_branch=outer_else)],
        "nested",
        [
            helper.make_tensor_value_info("x", f, [3]),
            helper.make_tensor_value_info("c1", TensorProto.BOOL, []),
            helper.make_tensor_value_info("c2", TensorProto.BOOL, []),
        ],
        [helper.make_tensor_value_info("y", f, [3])],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))
    x = np.array([1.0, 2.0, 3.0], np.float32)
    t, fl = np.array(True), np.array(False)
    deep = "outer::then_branch::inner::then_branch::deep"
    out = run(m, outputs=[deep, "outer::then_branch::outer_t", "y"], feeds={"x": x, "c1": t, "c2": t})
    np.testing.assert_allclose(out[deep], x + x * x)
    np.testing.assert_allclose(out["y"], out[deep])
    with pytest.raises(oi.FeedError, match="'c2' is False"):
        run(m, outputs=[deep], feeds={"x": x, "c1": t, "c2": fl})
    with pytest.raises(oi.FeedError, match="'c1' is False"):
        run(m, outputs=[deep], feeds={"x": x, "c1": fl, "c2": t})


def test_fed_tensor_checks_see_shapes_filled_after_load() -> None:
    """The per-id column view of m.tensors follows fill_shapes (it was a stale copy in the session cache)."""
    m = oi.load(testing.conv_model(), shapes="none")
    row = m.tensor_positions()["conv_out"]
    assert m.tensor_column("shape")[row] is None and m.tensor_column("name")[row] == "conv_out"
    out = run(m, ["y"], feeds={"conv_out": np.ones((1, 8, 16, 16), np.float32)})  # rank unknown: accepted
    assert out["y"].shape == (1, 8, 16, 16)
    assert m.fill_shapes({"conv_out": (1, 8, 16, 16)}) == 1
    assert m.tensor_column("shape")[row] == (1, 8, 16, 16) == m.tensors.at["conv_out", "shape"]
    with pytest.raises(oi.FeedError, match="'conv_out' has rank 4"):
        run(m, ["y"], feeds={"conv_out": np.ones((8, 256), np.float32)})
    with pytest.raises(oi.InspectError, match="not a column"):
        m.tensor_column("nope")


def test_placement_by_profile_fills_the_inputs_not_given() -> None:
    """Partial feeds: the others are generated as oi.run makes them (was a raw KeyError)."""
    g = onnx.helper.make_graph(
        [onnx.helper.make_node("Add", ["a", "b"], ["y"], name="add")],
        "two_inputs",
        [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, [2, 3]) for n in ("a", "b")],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2, 3])],
    )
    m = oi.load(onnx.helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", 17)]))
    p = placement(m, providers="cpu", method="profile", feeds={"a": np.ones((2, 3), np.float32)})
    assert p.at["add", "provider"] == "CPUExecutionProvider"
