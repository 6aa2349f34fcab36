"""oi.profile / oi.Profile: real onnxruntime profiles of real models, joined to model node ids.

GPU-only event kinds (CUDA ``Kernel`` events, TensorRT engine events) cannot be recorded on this CPU
machine; their tests start from a real CPU profile written here and rewrite it the way onnxruntime's
CUDA profiler and TensorRT provider write theirs (see ``_as_cuda`` and ``_as_tensorrt``).
"""

from __future__ import annotations

import importlib
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.runtime import profile_trace
from onnx_inspect.runtime.profile import Profile, compare_profiles, profile

# The package exports the function oi.runtime.profile, which hides the module of the same name.
profile_mod = importlib.import_module("onnx_inspect.runtime.profile")
LEVELS = ["disabled", "basic", "extended", "all"]


@pytest.fixture(scope="module")
def squeeze(squeezenet: Path) -> oi.Model:
    return oi.load(squeezenet)


@pytest.fixture(scope="module")
def squeeze_all(squeeze: oi.Model) -> Profile:
    return profile(squeeze, runs=2, warmup=1, optimization="all", progress=False)


@pytest.fixture(scope="module")
def squeeze_disabled(squeeze: oi.Model) -> Profile:
    return profile(squeeze, runs=2, warmup=1, optimization="disabled", progress=False)


def _ort_profile(model: str | bytes, folder: Path, runs: int, level: str = "ORT_DISABLE_ALL") -> Path:
    """A profile file written by a plain onnxruntime session (as a user would make one elsewhere)."""
    so = ort.SessionOptions()
    so.enable_profiling = True
    so.profile_file_prefix = str(folder / "ort")
    so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    i = sess.get_inputs()[0]
    x = np.random.default_rng(0).standard_normal(i.shape).astype(np.float32)
    for _ in range(runs):
        sess.run(None, {i.name: x})
    return Path(sess.end_profiling())


def _coverage(p: Profile) -> float:
    """Median over runs of the share of kernel time on model node ids (one run preempted by another
    process on this shared machine must not decide a mapping test)."""
    return float((p.runs["mapped_us"] / p.runs["kernel_us"]).median())


# -- joining at every optimization level -----------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_light_model_kernel_time_lands_on_model_nodes(squeeze: oi.Model, level: str) -> None:
    p = profile(squeeze, runs=3, warmup=1, optimization=level, progress=False)
    ev = p.events
    assert p.n_runs == 3 and set(ev["run"]) == {0, 1, 2}
    assert _coverage(p) >= 0.95, ev[ev["node_id"].isna()].groupby("op_type")["self_us"].sum()
    mapped = ev[ev["node_id"].notna()]
    assert set(mapped["node_id"]) <= set(squeeze.nodes.index)
    for nid, nodes in zip(mapped["node_id"], mapped["model_nodes"], strict=True):
        assert nid in nodes and set(nodes) <= set(squeeze.nodes.index)
    assert (ev["fused"] == (ev["model_nodes"].map(len) > 1)).all()
    assert (ev["inserted"] == ev["mapping"].isin(["inserted", "charged"])).all()
    assert (ev["layout"] == (ev["mapping"] == "charged")).all()
    assert not ev["mapping"].isin(["unmatched", "inserted"]).any()
    if level == "disabled":
        # 1:1 names: unnamed nodes are <OpType>_<index>, exactly the model's ort_name.
        assert (ev["mapping"] == "name").all()
        assert (ev["ort_name"] == squeeze.nodes.loc[ev["node_id"], "ort_name"].to_numpy()).all()
        assert (ev["op_type"] == ev["model_op_type"]).all()
    else:
        # Relus are fused into the convolutions: no Relu kernel runs, each Conv kernel covers one.
        assert "Relu" not in set(ev["op_type"]) or level == "basic"
        assert ev["fused"].any()
    if level == "all":
        nchwc = ev[ev["ort_name"].str.endswith("_nchwc")]
        assert len(nchwc) > 0 and nchwc["node_id"].notna().all()
        assert set(nchwc.loc[nchwc["op_type"] == "Conv", "model_op_type"]) == {"Conv"}
        reorder = ev[ev["op_type"].isin(["ReorderInput", "ReorderOutput"])]
        assert len(reorder) > 0 and reorder["inserted"].all() and reorder["layout"].all()
        # Charged to the node that reads the re-laid-out value: a ReorderInput feeds an NCHWc Conv.
        assert (reorder["mapping"] == "charged").all() and reorder["node_id"].notna().all()
        into = reorder[reorder["op_type"] == "ReorderInput"]
        assert set(squeeze.nodes.loc[into["node_id"], "op_type"]) <= {"Conv"}
        # A ReorderOutput turns NCHWc back into the model's layout for a node that needs it: not a Conv.
        out = reorder[reorder["op_type"] == "ReorderOutput"]
        assert len(out) and "Conv" not in set(squeeze.nodes.loc[out["node_id"], "op_type"])


def _share_on_nodes(p: Profile) -> float:
    """Share of kernel time (``dur_us`` of node events) on model node ids."""
    ev = p.events
    return float(ev.loc[ev["node_id"].notna(), "dur_us"].sum() / ev["dur_us"].sum())


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", ["shufflenet", "densenet121"])
def test_real_cnns_put_95_percent_of_kernel_time_on_model_nodes(
    light_dir: Path, name: str, level: str
) -> None:
    # Were 89.7 % / 92.8 % at "all": NCHWc ReorderInput/ReorderOutput kernels were left unattributed.
    m = oi.load(light_dir / f"light_{name}.onnx")
    p = profile(m, runs=1, warmup=0, optimization=level, progress=False)
    ev = p.events
    assert _share_on_nodes(p) >= 0.95, ev[ev["node_id"].isna()].groupby("op_type")["dur_us"].sum()
    assert not ev["mapping"].isin(["unmatched", "inserted"]).any()
    lay = ev[ev["layout"]]
    assert (lay["mapping"] == "charged").all()
    if level == "all":
        assert len(lay) > 0
        # Layout kernels stay apart per op type (by="kernel" and by="model").
        assert "ReorderOutput" in p.by_op_type().index
        assert "ReorderOutput (inserted)" in p.by_op_type(by="model").index


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny HF BertModel exported by torch's TorchScript exporter (symbolic batch and seq)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                  intermediate_size=64, max_position_embeddings=32)  # fmt: skip
    bert = transformers.BertModel(cfg).eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: object) -> object:
            return self.bert(input_ids=input_ids).last_hidden_state

    path = tmp_path_factory.mktemp("bert") / "bert.onnx"
    ids = torch.randint(0, 100, (1, 8))
    torch.onnx.export(Hidden(), (ids,), str(path), input_names=["input_ids"], dynamo=False, opset_version=17,
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}})  # fmt: skip
    return path


@pytest.mark.parametrize("level", LEVELS)
def test_exported_transformer_puts_95_percent_of_kernel_time_on_model_nodes(
    tiny_bert: Path, level: str
) -> None:
    m = oi.load(tiny_bert)
    p = profile(m, runs=1, warmup=0, optimization=level, progress=False, dims={"batch": 1, "seq": 8})
    ev = p.events
    assert _share_on_nodes(p) >= 0.95, ev[ev["node_id"].isna()].groupby("ort_name")["dur_us"].sum()
    assert not ev["mapping"].isin(["unmatched"]).any()
    if level in ("extended", "all"):
        assert ev["fused"].any()  # attention / layer norm / gelu fusions cover several model nodes


def test_inception_at_all_maps_rewritten_and_charged_nodes(light_dir: Path) -> None:
    m = oi.load(light_dir / "light_inception_v1.onnx")
    p = profile(m, runs=1, warmup=0, optimization="all", progress=False)
    # Every kernel stands for model nodes: the layout reorders onnxruntime inserts are charged to the
    # node they serve.
    ev = p.events
    assert ev["node_id"].notna().all()
    kinds = set(p.events["mapping"])
    assert {"fused", "rewritten", "charged", "name"} <= kinds
    assert set(p.events.loc[p.events["inserted"], "op_type"]) <= {"ReorderInput", "ReorderOutput"}


def test_fused_conv_keeps_conv_name_and_covers_relu(squeeze: oi.Model) -> None:
    p = profile(squeeze, runs=1, warmup=0, optimization="extended", progress=False)
    fc = p.events[p.events["op_type"] == "FusedConv"]
    assert len(fc) > 0
    for name, nid, nodes in zip(fc["ort_name"], fc["node_id"], fc["model_nodes"], strict=True):
        assert name == nid and squeeze.nodes.at[nid, "op_type"] == "Conv"
        ops = squeeze.nodes.loc[list(nodes), "op_type"].tolist()
        # The Relu runs inside the Conv kernel; the Dropout before the last Conv is removed, its work is nil.
        assert ops.count("Conv") == 1 and ops.count("Relu") == 1 and set(ops) <= {"Conv", "Relu", "Dropout"}


# -- the run itself ---------------------------------------------------------------------------------------
def test_warmup_dropped_session_unmarked_and_folder_removed(
    squeeze: oi.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    sessions: list[ort.InferenceSession] = []
    real = profile_mod.create_session

    def spy(*args: object, **kw: object) -> ort.InferenceSession:
        s = real(*args, **kw)  # type: ignore[arg-type]
        sessions.append(s)
        return s

    monkeypatch.setattr(profile_mod, "create_session", spy)
    p = profile(squeeze, runs=3, warmup=2, optimization="basic", progress=False)
    assert p.n_runs == 3 and p.meta["warmup"] == 2
    assert sorted(p.events["run"].unique()) == [0, 1, 2]
    assert (p.runs["dur_us"] >= p.runs["kernel_us"]).all()
    # Only the model's own outputs: nothing marked, so the timings are the production ones.
    assert [o.name for o in sessions[0].get_outputs()] == squeeze.main_outputs()
    assert list(scratch.iterdir()) == []  # profile file and optimized graph are gone


def test_keep_files_holds_all_runs_including_warmup(squeeze: oi.Model, tmp_path: Path) -> None:
    p = profile(squeeze, runs=2, warmup=2, optimization="all", progress=False, keep_files=tmp_path)
    files = sorted(tmp_path.glob("profile*.json"))
    assert len(files) == 1 and (tmp_path / "optimized.onnx").exists()
    raw = json.loads(files[0].read_text())
    assert sum(1 for e in raw if e["name"] == "model_run") == 4
    again = Profile.from_json(files[0], squeeze, optimized_model=tmp_path / "optimized.onnx", warmup=2)
    assert again.n_runs == 2
    assert again.events["node_id"].tolist() == p.events["node_id"].tolist()
    assert again.events["mapping"].tolist() == p.events["mapping"].tolist()


def test_progress_bar_on_long_runs(
    squeeze: oi.Model, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(profile_mod, "PROGRESS_AFTER_S", 0.0)
    profile(squeeze, runs=2, warmup=0, optimization="all", progress=True)
    assert "profiling" in capsys.readouterr().err
    profile(squeeze, runs=2, warmup=0, optimization="all", progress=False)
    assert "profiling" not in capsys.readouterr().err


def test_unnamed_model_with_external_data(tmp_path: Path) -> None:
    path = testing.save_with_external_data(testing.residual_chain(blocks=3, width=16), tmp_path / "m")
    m = oi.load(path)
    assert (m.nodes["name"] == "").all()
    for level in ("disabled", "all"):
        p = profile(m, runs=2, warmup=1, optimization=level, progress=False, dims={"n": 8})
        assert p.coverage() == pytest.approx(1.0)
        assert set(p.events["node_id"].dropna()) <= set(m.nodes.index)
        assert p.events["input_shapes"].iloc[0][0] == (8, 16)


@pytest.mark.parametrize("level", ["disabled", "all"])
def test_inlined_function_kernels_map_to_their_call_node(level: str) -> None:
    m = oi.load(testing.with_function())  # two calls of a local function Mul -> Sigmoid -> Mul
    p = profile(m, runs=1, warmup=0, optimization=level, progress=False)
    assert set(p.events["node_id"]) == {"Gelu2_0", "Gelu2_1"}
    assert p.by_node().at["Gelu2_0", "calls"] == 3


def test_bad_arguments_raise_inspect_errors(squeeze: oi.Model) -> None:
    with pytest.raises(oi.InspectError, match="optimization"):
        profile(squeeze, optimization="max")  # type: ignore[arg-type]
    with pytest.raises(oi.InspectError, match="runs"):
        profile(squeeze, runs=0)
    with pytest.raises(oi.ProviderError, match="NoSuchExecutionProvider"):
        profile(squeeze, providers=["NoSuchExecutionProvider"])
    with pytest.raises(oi.FeedError, match="nope"):
        profile(squeeze, feeds={"nope": np.zeros(3, np.float32)})


# -- control flow: nested events are not counted twice ---------------------------------------------------
def _if_model(heavy: int = 6, size: int = 192) -> onnx.ModelProto:
    """If whose then-branch (taken for positive inputs) holds a chain of MatMuls; a Loop after it."""
    f = TensorProto.FLOAT

    def branch(name: str, n: int) -> onnx.GraphProto:
        nodes, cur = [], "x"
        for i in range(n):
            nodes += [helper.make_node("MatMul", [cur, "w"], [f"{name}_m{i}"]),
                      helper.make_node("Tanh", [f"{name}_m{i}"], [f"{name}_t{i}"])]  # fmt: skip
            cur = f"{name}_t{i}"
        nodes.append(helper.make_node("Identity", [cur], [f"{name}_out"]))
        return helper.make_graph(
            nodes, name, [], [helper.make_tensor_value_info(f"{name}_out", f, [size, size])]
        )

    loop_body = helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"]), helper.make_node("Add", ["y", "w"], ["step"])],
        "loop_body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("step", f, [size, size])],
    )  # fmt: skip
    w = (np.random.default_rng(0).standard_normal((size, size)) / size).astype(np.float32)
    g = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
            helper.make_node("Greater", ["s", "zero"], ["c"]),
            helper.make_node("If", ["c"], ["y"], then_branch=branch("then", heavy), else_branch=branch("else", 1)),
            helper.make_node("Loop", ["trip", ""], ["steps"], body=loop_body),
        ],
        "if_model",
        [helper.make_tensor_value_info("x", f, [size, size])],
        [helper.make_tensor_value_info("y", f, [size, size]), helper.make_tensor_value_info("steps", f, [2, size, size])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array(0, np.float32), "zero"),
         numpy_helper.from_array(np.array(2, np.int64), "trip")],
    )  # fmt: skip
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("level", ["disabled", "all"])
def test_if_branch_time_not_double_counted(level: str) -> None:
    m = oi.load(_if_model())
    x = np.abs(np.random.default_rng(1).standard_normal((192, 192))).astype(np.float32)  # sum > 0: then
    p = profile(m, runs=3, warmup=1, optimization=level, progress=False, feeds={"x": x})
    ev = p.events
    per_run = ev.groupby("run")["self_us"].sum()
    assert (per_run <= p.runs["dur_us"]).all()  # per-node sums never exceed the run
    assert p.by_node()["mean_us"].sum() <= p.runs["dur_us"].mean() + 1e-6
    assert p.by_op_type()["share"].sum() == pytest.approx(1.0)
    if_ev = ev[ev["op_type"] == "If"]
    assert len(if_ev) == 3
    # The branch holds most of the work: the If's own time is its duration minus its body's.
    body_us = []
    for k, row in if_ev.iterrows():
        body = ev[ev["parent"] == k]
        assert len(body) > 0 and (body["graph"] == "If_2::then_branch").all()
        assert row["self_us"] == pytest.approx(max(row["dur_us"] - body["dur_us"].sum(), 0))
        body_us.append(body["dur_us"].sum())
    assert np.median(body_us) > if_ev["self_us"].median()
    then_ids = set(ev.loc[ev["graph"] == "If_2::then_branch", "node_id"])
    assert "If_2::then_branch::MatMul_0" in then_ids and not any(
        "else_branch" in str(i) for i in ev["node_id"]
    )
    loop = ev[ev["op_type"] == "Loop"]
    assert (ev.loc[ev["parent"].isin(loop.index), "node_id"].str.startswith("Loop_3::body::")).all()
    assert ev["node_id"].notna().all()


def test_three_deep_nesting() -> None:
    m = oi.load(testing.control_flow())
    feeds = {"x": np.ones((3, 2), np.float32), "x_sum": np.array(1.0, np.float32)}
    p = profile(m, runs=2, warmup=0, optimization="disabled", progress=False, feeds=feeds)
    ev = p.events
    assert set(ev["depth"]) == {0, 1, 2, 3}
    assert ev["node_id"].notna().all() and (ev["mapping"] == "name").all()
    scan_body = ev[ev["graph"] == "branch::then_branch::loop::body::scan::body"]
    assert set(scan_body["node_id"]) == {
        "branch::then_branch::loop::body::scan::body::scan_add",
        "branch::then_branch::loop::body::scan::body::scan_scale",
    }
    assert (ev.groupby("run")["self_us"].sum() <= p.runs["dur_us"]).all()
    calls = p.by_node()["calls"]
    assert calls["branch::then_branch::loop::body::loop_acc"] == 3  # Loop ran its body 3 times per run


# -- files made elsewhere ---------------------------------------------------------------------------------
def test_from_json_of_a_file_onnxruntime_wrote(squeeze: oi.Model, squeezenet: Path, tmp_path: Path) -> None:
    path = _ort_profile(str(squeezenet), tmp_path, runs=3)
    raw = json.loads(path.read_text())
    p = Profile.from_json(path, squeeze)
    assert p.n_runs == 3
    assert len(p.events) == sum(1 for e in raw if e["cat"] == "Node")
    assert p.coverage() == 1.0 and (p.events["mapping"] == "name").all()
    assert p.meta["truncated"] is False


def test_from_json_truncated_copy(squeeze: oi.Model, squeezenet: Path, tmp_path: Path) -> None:
    path = _ort_profile(str(squeezenet), tmp_path, runs=3)
    data = path.read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: int(len(data) * 0.8)])  # mid-event, inside the third run
    with pytest.warns(UserWarning, match="truncated"):
        p = Profile.from_json(cut, squeeze)
    assert p.meta["truncated"] and 1 <= p.n_runs < 3
    assert any("truncated" in w for w in p.warnings)
    assert (p.events.groupby("run").size() == len(squeeze.nodes)).all()  # complete runs only

    head = tmp_path / "head.json"
    head.write_bytes(data[:200])  # no complete run at all
    with pytest.raises(oi.ProfileError, match="head.json.*truncated"):
        Profile.from_json(head, squeeze)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"   \n", "empty"), (b"\x00\xffnot json", "not a readable"), (b'{"a": 1}', "not an onnxruntime"),
     (b"[]", "no node events"), (b'[{"cat": "Session", "name": "model_run", "ts": 1, "dur": 2}]', "no node events")],
)  # fmt: skip
def test_from_json_bad_files_name_the_file(
    squeeze: oi.Model, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad_profile.json"
    bad.write_bytes(content)
    with pytest.raises(oi.ProfileError, match=message) as info:
        Profile.from_json(bad, squeeze)
    assert "bad_profile.json" in str(info.value)
    with pytest.raises(oi.ProfileError, match="not found"):
        Profile.from_json(tmp_path / "missing.json", squeeze)


def test_event_cap_drops_the_unfinished_run(
    squeeze: oi.Model, squeezenet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = json.loads(_ort_profile(str(squeezenet), tmp_path, runs=3).read_text())
    # The profiler stops recording at its cap: the last run's later events and its model_run are missing.
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in raw if e["name"] == "model_run")
    kept = [
        e for e in raw if e["ts"] < runs[2][0] + (runs[2][1] - runs[2][0]) // 2 and e["name"] != "model_run"
    ]
    kept += [e for e in raw if e["name"] == "model_run" and e["ts"] < runs[2][0]]
    path = tmp_path / "capped.json"
    path.write_text(json.dumps(kept))
    monkeypatch.setattr(profile_trace, "EVENT_CAP", len(kept))
    with pytest.warns(UserWarning, match="cap"):
        p = Profile.from_json(path, squeeze)
    assert p.meta["capped"] and p.n_runs == 2
    assert (p.events.groupby("run").size() == len(squeeze.nodes)).all()


def test_events_of_another_model_are_flagged_not_fatal(
    resnet50: Path, squeezenet: Path, tmp_path: Path
) -> None:
    path = _ort_profile(str(squeezenet), tmp_path, runs=1)
    other = oi.load(resnet50)
    with pytest.warns(UserWarning, match="match no model node"):
        p = Profile.from_json(path, other)
    assert (p.events["mapping"] == "unmatched").any()
    assert p.events.loc[p.events["mapping"] == "unmatched", "node_id"].isna().all()
    assert len(p.by_op_type()) > 0  # summaries still work


def test_from_json_without_optimized_graph_uses_name_rules(
    squeeze: oi.Model, squeezenet: Path, tmp_path: Path
) -> None:
    path = _ort_profile(str(squeezenet), tmp_path, runs=3, level="ORT_ENABLE_ALL")
    p = Profile.from_json(path, squeeze)
    assert _coverage(p) >= 0.95
    nchwc = p.events[p.events["ort_name"].str.endswith("_nchwc") & (p.events["op_type"] == "Conv")]
    assert (nchwc["model_op_type"] == "Conv").all()


# -- GPU event kinds, written the way onnxruntime writes them ---------------------------------------------
def _as_cuda(raw: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """Mark node events as CUDA and add, after each, the device kernels the CUDA profiler would record.

    onnxruntime's GPU profiler (GPUProfilerBase::MergeEvents) writes each node's kernels right after the
    node event, with ``ts`` = node ts + 1, + 2, ... and ``args.op_name`` = the node's op.
    """
    out: list[dict] = []
    expected: dict[str, int] = {}
    for e in raw:
        if e["cat"] != "Node":
            out.append(e)
            continue
        e = {**e, "args": {**e["args"], "provider": "CUDAExecutionProvider"}}
        out.append(e)
        op = e["args"]["op_name"]
        kernels = [("void cudnn::implicit_convolve_sgemm<float>", 40), ("void add_bias_relu", 5)] if op == "Conv" else [
            (f"void onnxruntime::cuda::_{op}Kernel<float>", 3), ("void onnxruntime::cuda::_Fill<float>", 1)
        ]  # fmt: skip
        for k, (name, dur) in enumerate(kernels, start=1):
            out.append({"cat": "Kernel", "pid": e["pid"], "tid": e["tid"], "dur": dur, "ts": e["ts"] + k, "ph": "X",
                        "name": name, "args": {"stream": "7", "grid_x": "64", "block_x": "128", "op_name": op}})  # fmt: skip
        node = e["name"][: -len("_kernel_time")]
        expected[node] = expected.get(node, 0) + sum(d for _, d in kernels)
    return out, expected


def _async_launches(raw: list[dict]) -> list[dict]:
    """Node events as a GPU provider records them: host-side launches of 1 us, back to back, so the device
    kernels' stamps (node start + 1, + 2) reach past the next node's start."""
    out = [e for e in raw if e["cat"] != "Node"]
    for start, _ in sorted((e["ts"], e["dur"]) for e in raw if e["name"] == "model_run"):
        nodes = sorted((e for e in raw if e["cat"] == "Node" and e["ts"] >= start), key=lambda e: e["ts"])
        nodes = [e for e in nodes if e["ts"] < start + next(r["dur"] for r in raw if r["ts"] == start)]
        out += [{**e, "ts": start + 1 + i, "dur": 1} for i, e in enumerate(nodes)]
    return sorted(out, key=lambda e: e["ts"])


@pytest.mark.parametrize("launches", ["cpu-like", "async"])
def test_cuda_kernel_events_attach_to_their_node(
    squeeze: oi.Model, squeezenet: Path, tmp_path: Path, launches: str
) -> None:
    raw = json.loads(_ort_profile(str(squeezenet), tmp_path, runs=2).read_text())
    if launches == "async":
        raw = _async_launches(raw)
    cuda, expected = _as_cuda(raw)
    path = tmp_path / "cuda.json"
    path.write_text(json.dumps(cuda))
    p = Profile.from_json(path, squeeze)
    ev = p.events
    assert set(ev["provider"]) == {"CUDAExecutionProvider"}
    assert len(p.kernels) == 2 * sum(1 for e in raw if e["cat"] == "Node")
    got = ev.groupby("ort_name")["device_us"].sum()
    for name, total in expected.items():
        assert got[name] == total  # both runs' kernels, each on its own node
    assert (p.kernels["op_type"] == ev.loc[p.kernels["event"], "op_type"].to_numpy()).all()
    conv = p.by_node().loc["n0"]
    assert conv["device_us"] == pytest.approx(45.0)


def _as_tensorrt(raw: list[dict], keep: set[str], cut: str) -> list[dict]:
    """Replace the node events of each run, except ``keep``, by TensorRT engine events (split at ``cut``).

    The TensorRT provider compiles each partition into one engine, profiled as one node event named
    ``TensorrtExecutionProvider_TRTKernel_graph_<graph>_<hash>_<k>_<k>`` with op ``TRTKernel_..._<k>``.
    """
    out: list[dict] = []
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in raw if e["name"] == "model_run")
    for start, end in runs:
        nodes = [e for e in raw if e["cat"] == "Node" and start <= e["ts"] and e["ts"] + e["dur"] <= end]
        nodes.sort(key=lambda e: e["ts"])
        engine: list[dict] = []
        k = 0
        for e in nodes:
            name = e["name"][: -len("_kernel_time")]
            if e["args"]["op_name"] == "ConstantOfShape":
                continue  # TensorRT folds weight generators into the engine at build time
            if name in keep or name == cut:
                if engine:
                    out.append(_engine(engine, k))
                    engine, k = [], k + 1
                out.append({**e, "args": {**e["args"], "provider": "CUDAExecutionProvider"}})
            else:
                engine.append(e)
        if engine:
            out.append(_engine(engine, k))
    out += [e for e in raw if e["cat"] == "Session"]
    return out


def _engine(events: list[dict], k: int) -> dict:
    first = events[0]
    return {
        "cat": "Node", "pid": first["pid"], "tid": first["tid"], "ph": "X", "ts": first["ts"],
        "dur": events[-1]["ts"] + events[-1]["dur"] - first["ts"],
        "name": f"TensorrtExecutionProvider_TRTKernel_graph_squeezenet_1234567_{k}_{k}_kernel_time",
        "args": {"op_name": f"TRTKernel_graph_squeezenet_1234567_{k}", "provider": "TensorrtExecutionProvider",
                 "node_index": str(200 + k), "output_size": "0", "parameter_size": "0", "activation_size": "0"},
    }  # fmt: skip


def test_tensorrt_engines_cover_the_nodes_they_replaced(
    squeeze: oi.Model, squeezenet: Path, tmp_path: Path
) -> None:
    raw = json.loads(_ort_profile(str(squeezenet), tmp_path, runs=2).read_text())
    path = tmp_path / "trt.json"
    # n0..n2 run on CUDA, then one engine up to MaxPool n17 (on CUDA), then a second engine for the rest.
    path.write_text(json.dumps(_as_tensorrt(raw, keep={"n0", "n1", "n2"}, cut="n17")))
    p = Profile.from_json(path, squeeze)
    ev = p.events
    eng = ev[ev["mapping"] == "engine"]
    assert len(eng) == 4 and eng["fused"].all()
    nodes = squeeze.nodes
    runtime = set(nodes.index[nodes["op_type"] != "ConstantOfShape"])
    first, second = (set(x) for x in eng[eng["run"] == 0]["model_nodes"])
    before = {f"n{i}" for i in range(3, 17)}
    assert first == before & runtime
    assert second == runtime - before - {"n0", "n1", "n2", "n17"}
    assert eng["node_id"].iloc[0] in first and nodes.at[eng["node_id"].iloc[0], "op_type"] == "Conv"
    assert p.coverage() == 1.0
    assert ev.loc[ev["ort_name"] == "n17", "node_id"].eq("n17").all()


# -- summaries and joins back to the model ----------------------------------------------------------------
def test_by_node_and_by_op_type(squeeze_all: Profile, squeeze: oi.Model) -> None:
    bn = squeeze_all.by_node()
    assert bn.index.is_unique and set(bn.index) <= set(squeeze.nodes.index)
    assert (bn["mean_us"].diff().dropna() <= 0).all()  # slowest first
    assert {"op_type", "kernel", "provider", "calls", "mean_us", "p50_us", "p90_us", "share", "fused_with",
            "input_shapes", "output_shapes"} <= set(bn.columns)  # fmt: skip
    assert (bn["p90_us"] >= bn["p50_us"]).all()
    assert bn.at["n0", "input_shapes"][0] == (1, 3, 224, 224)
    assert bn.at["n0", "fused_with"] == ("n1",)  # Conv n0 + Relu n1 run as one kernel
    ops = squeeze_all.by_op_type()
    assert ops.at["Conv", "calls"] == 26 and ops.at["ReorderOutput", "nodes"] > 0
    # Layout kernels add to the node they serve, and stay apart per op type.
    assert (bn["layout_us"] >= 0).all() and bn["layout_us"].sum() > 0
    assert not bn["mapping"].eq("charged").any()  # a node is described by its own kernel
    assert ops["share"].sum() == pytest.approx(1.0)
    model_ops = squeeze_all.by_op_type(by="model")
    assert "ReorderOutput (inserted)" in model_ops.index
    with pytest.raises(oi.InspectError):
        squeeze_all.by_op_type(by="nope")  # type: ignore[arg-type]


def test_compare_profiles(squeeze_all: Profile, squeeze_disabled: Profile) -> None:
    c = compare_profiles(squeeze_all, squeeze_disabled)
    assert c.labels == ("all CPU", "disabled CPU")
    assert {"a_mean_us", "b_mean_us", "delta_us", "ratio"} <= set(c.by_op_type.columns)
    assert c.by_op_type.at["Relu", "a_mean_us"] == 0 and c.by_op_type.at["Relu", "b_mean_us"] > 0
    assert c.by_node.at["n0", "a_kernel"] == "Conv" and c.by_node.at["n0", "b_kernel"] == "Conv"
    assert c.by_op_type.at["Conv", "ratio"] == pytest.approx(
        c.by_op_type.at["Conv", "b_mean_us"] / c.by_op_type.at["Conv", "a_mean_us"]
    )


def test_overlay(squeeze_all: Profile, squeeze: oi.Model) -> None:
    from onnx_inspect.views.overlay import normalise_overlay

    for metric in ("mean_us", "p90_us", "share", "provider"):  # already in GraphView.overlay's form
        ov = squeeze_all.overlay(metric)  # type: ignore[arg-type]
        assert normalise_overlay(ov, squeeze.nodes.index) == ov
    ov = squeeze_all.overlay("mean_us")
    assert ov["kind"] == "numeric" and ov["values"] and set(ov["values"]) <= set(squeeze.nodes.index)
    # one rule for every host: times on a log scale (when all are > 0), in microseconds
    assert ov["unit"] == "us" and ov["scale"] == ("log" if min(ov["values"].values()) > 0 else "linear")
    assert ov["values"]["n0"] == pytest.approx(squeeze_all.by_node().at["n0", "mean_us"])
    assert "n1" not in ov["values"]  # the Relu runs inside Conv n0's kernel: its time is n0's
    share = squeeze_all.overlay("share")
    assert sum(share["values"].values()) <= 1.0 + 1e-9
    prov = squeeze_all.overlay("provider")
    assert prov["kind"] == "categorical" and prov["values"]["n1"] == "CPU"  # short provider names
    with pytest.raises(oi.InspectError, match="metric"):
        squeeze_all.overlay("nope")  # type: ignore[arg-type]


def test_observed_shapes_fill_model_gaps() -> None:
    m = oi.load(testing.conv_model(), shapes="none")  # no inference: 'conv_out' has no shape
    assert m.tensors.at["conv_out", "shape"] is None
    p = profile(m, runs=1, warmup=0, optimization="disabled", progress=False)
    obs = p.observed_shapes()
    assert obs.at["conv_out", "shape"] == (1, 8, 16, 16) and obs.at["conv_out", "dtype"] == "float32"
    assert obs.at["conv_out", "fills"] and not obs.at["conv_out", "conflict"]
    assert obs.at["y", "declared"] == ("n", "c", "h", "w") and obs.at["y", "fills"]
    assert not obs.at["x", "fills"]  # fully declared already
    p.observed_shapes(fill=True)
    assert m.tensors.at["conv_out", "shape"] == (1, 8, 16, 16)
    assert m.tensors.at["conv_out", "shape_source"] == "runtime"


def test_repr_and_summary(squeeze_all: Profile) -> None:
    s = squeeze_all.summary()
    ev = squeeze_all.events
    assert s["runs"] == 2 and s["optimization"] == "all"
    assert s["coverage"] == pytest.approx(
        ev.loc[ev["node_id"].notna(), "self_us"].sum() / ev["self_us"].sum()
    )
    assert "Profile: 2 runs" in repr(squeeze_all)
    assert "<table" in squeeze_all._repr_html_()


def test_progress_callback_sees_every_run() -> None:
    import onnx_inspect as oi
    from onnx_inspect import testing

    seen: list[tuple[int, int]] = []
    oi.profile(
        oi.load(testing.residual_chain(3)), runs=3, warmup=2, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def _silu_cnn() -> onnx.ModelProto:
    """Conv -> x*sigmoid(x) (SiLU, as Ultralytics exports it) -> Conv -> SiLU, named like a torch export."""
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((16, 3, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((16, 16, 3, 3)).astype(np.float32), "w2")
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="/m.0/conv/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c1"], ["s1"], name="/m.0/act/Sigmoid"),
        helper.make_node("Mul", ["c1", "s1"], ["a1"], name="/m.0/act/Mul"),
        helper.make_node("Conv", ["a1", "w2"], ["c2"], name="/m.1/conv/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c2"], ["s2"], name="/m.1/act/Sigmoid"),
        helper.make_node("Mul", ["c2", "s2"], ["y"], name="/m.1/act/Mul"),
    ]
    g = helper.make_graph(
        nodes,
        "silu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 32, 32])],
        [w1, w2],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_fused_kernels_are_matched_by_the_node_name_they_carry(tmp_path: Path) -> None:
    proto = _silu_cnn()
    m = oi.load(proto)
    p = profile(m, runs=1, warmup=0, optimization="all", progress=False)
    ev = p.events
    gelu = ev[ev["ort_name"].str.endswith("/QuickGeluFusion/")]
    assert len(gelu) == 2, ev[["ort_name", "op_type"]]
    assert set(gelu["node_id"]) == {"/m.0/act/Mul", "/m.1/act/Mul"}
    assert {tuple(x) for x in gelu["model_nodes"]} == {("/m.0/act/Sigmoid", "/m.0/act/Mul"),
                                                        ("/m.1/act/Sigmoid", "/m.1/act/Mul")}  # fmt: skip
    assert ev["node_id"].notna().all()
    # A profile written elsewhere, read without the optimized graph: names and neighbours still place
    # every kernel (the fused activation by the name it carries, layout kernels on the next kernel).
    path = _ort_profile(proto.SerializeToString(), tmp_path, runs=2, level="ORT_ENABLE_ALL")
    q = Profile.from_json(path, m)
    qe = q.events
    assert qe["node_id"].notna().all(), qe.loc[qe["node_id"].isna(), ["ort_name", "op_type", "mapping"]]
    assert set(qe.loc[qe["ort_name"].str.endswith("/QuickGeluFusion/"), "node_id"]) == {
        "/m.0/act/Mul",
        "/m.1/act/Mul",
    }
    lay = qe[qe["layout"]]
    assert len(lay) and (lay["mapping"] == "charged").all()


@pytest.mark.parametrize("level", ["disabled", "all"])
def test_float16_model_run_in_float32_maps_kernels_to_their_own_nodes(level: str) -> None:
    # onnxruntime's CPU lacks float16 convolutions: it wraps them in InsertedPrecisionFreeCast_ nodes and
    # runs them in float32 under prefixed names. Each Conv kernel is its own Conv (it was once charged
    # to the ReduceMean at the end through a chain of unexposed values); the casts are charged, flagged.
    proto = _silu_cnn()
    for t in proto.graph.initializer:
        t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))
    for vi in (*proto.graph.input, *proto.graph.output):
        vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    m = oi.load(proto)
    p = profile(m, runs=1, warmup=0, optimization=level, progress=False)
    ev = p.events
    assert ev["node_id"].notna().all() and not ev["mapping"].isin(["unmatched", "inserted"]).any()
    casts = ev[ev["ort_name"].str.startswith("InsertedPrecisionFreeCast_") & (ev["op_type"] == "Cast")]
    assert len(casts) and casts["layout"].all() and (casts["mapping"] == "charged").all()
    convs = ev[ev["op_type"] == "Conv"]
    assert len(convs) == 2 and set(convs["model_op_type"]) == {"Conv"}
    assert set(convs["node_id"]) == {"/m.0/conv/Conv", "/m.1/conv/Conv"}


def test_memcpy_kernels_are_charged_to_the_node_they_serve(tmp_path: Path) -> None:
    # A CUDA session copies the input to the device before the first node and the output back after the last
    # (MemcpyFromHost/MemcpyToHost, as its saved optimized graph shows). Their events are added to a real CPU
    # profile of the same model, in the order onnxruntime runs them.
    f = TensorProto.FLOAT
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="relu"), helper.make_node("Neg", ["r"], ["y"], name="neg")],
        "g", [helper.make_tensor_value_info("x", f, [1, 64])], [helper.make_tensor_value_info("y", f, [1, 64])],
    )  # fmt: skip
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m = oi.load(proto)
    opt = helper.make_graph(
        [
            helper.make_node("MemcpyFromHost", ["x"], ["x_dev"], name="Memcpy", domain="com.microsoft"),
            helper.make_node("Relu", ["x_dev"], ["r"], name="relu"),
            helper.make_node("Neg", ["r"], ["y_dev"], name="neg"),
            helper.make_node("MemcpyToHost", ["y_dev"], ["y"], name="Memcpy_token_1", domain="com.microsoft"),
        ],
        "g", [helper.make_tensor_value_info("x", f, [1, 64])], [helper.make_tensor_value_info("y", f, [1, 64])],
    )  # fmt: skip
    raw = json.loads(_ort_profile(proto.SerializeToString(), tmp_path, runs=2).read_text())
    out = []
    for e in raw:
        if e["cat"] == "Node" and e["args"]["op_name"] in ("Relu", "Neg"):
            relu = e["args"]["op_name"] == "Relu"
            name, op = ("Memcpy", "MemcpyFromHost") if relu else ("Memcpy_token_1", "MemcpyToHost")
            ts = e["ts"] - 1 if relu else e["ts"] + e["dur"]
            copy = {
                **e,
                "name": f"{name}_kernel_time",
                "ts": ts,
                "dur": 1,
                "args": {**e["args"], "op_name": op},
            }
            out += [copy, e] if relu else [e, copy]
        else:
            out.append(e)
    path = tmp_path / "cuda-like.json"
    path.write_text(json.dumps(out))
    for optimized in (helper.make_model(opt), None):
        p = Profile.from_json(path, m, optimized_model=optimized)
        ev = p.events
        copies = ev[ev["op_type"].str.startswith("Memcpy")].drop_duplicates("ort_name").set_index("op_type")
        assert (
            copies.at["MemcpyFromHost", "node_id"] == "relu" and copies.at["MemcpyToHost", "node_id"] == "neg"
        )
        assert (copies["mapping"] == "charged").all() and copies["layout"].all()
        assert p.coverage() == 1.0
        assert set(p.by_op_type().index) >= {"MemcpyFromHost", "MemcpyToHost"}
        assert p.by_node().at["relu", "layout_us"] == 1.0
