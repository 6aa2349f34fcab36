"""Feeds: generated (seeded, dtype-respecting), checked before allocation, read from .npz and .pb files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect.runtime import make_feeds
from onnx_inspect.runtime.feeds import check_value, generate, input_specs, read_feeds, spec_of
from onnx_inspect.runtime.run import run


def _inputs(names: list[str]) -> oi.Model:
    """A model whose real inputs are ``names`` (float [2], each through Identity): unnamed .pb feeds match by position."""
    g = helper.make_graph(
        [helper.make_node("Identity", [n], [f"{n}_out"]) for n in names],
        "inputs",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in names],
        [helper.make_tensor_value_info(f"{n}_out", TensorProto.FLOAT, [2]) for n in names],
    )
    return oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))


def multi_input_model() -> onnx.ModelProto:
    """Inputs of many dtypes, symbolic and fixed dims; each is passed through Identity."""
    ins = [
        ("f32", TensorProto.FLOAT, ["batch", 3]),
        ("f16", TensorProto.FLOAT16, [2, "seq"]),
        ("f64", TensorProto.DOUBLE, []),
        ("ids", TensorProto.INT64, ["batch", "seq"]),
        ("i32", TensorProto.INT32, [4]),
        ("u8", TensorProto.UINT8, [2, 2]),
        ("mask", TensorProto.BOOL, ["batch", None]),
    ]
    nodes = [helper.make_node("Identity", [n], [f"{n}_out"], name=f"id_{n}") for n, _, _ in ins]
    g = helper.make_graph(
        nodes,
        "multi",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in ins],
        [helper.make_tensor_value_info(f"{n}_out", t, None) for n, t, _ in ins],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_generated_feeds_respect_dtype_dims_and_default_int_range() -> None:
    m = oi.load(multi_input_model())
    f = make_feeds(m, dims={"batch": 3, "seq": 5})
    assert {k: v.dtype.name for k, v in f.items()} == {
        "f32": "float32", "f16": "float16", "f64": "float64", "ids": "int64", "i32": "int32",
        "u8": "uint8", "mask": "bool",
    }  # fmt: skip
    assert f["f32"].shape == (3, 3) and f["f16"].shape == (2, 5) and f["f64"].shape == ()
    assert f["ids"].shape == (3, 5) and f["mask"].shape == (3, 1)  # unnamed dim defaults to 1
    for k in ("ids", "i32", "u8"):
        assert set(np.unique(f[k])) <= {0, 1}, k
    assert f["f32"].std() > 0


def test_symbolic_dims_default_to_one_and_full_shape_by_input_name() -> None:
    m = oi.load(multi_input_model())
    f = make_feeds(m)
    assert f["f32"].shape == (1, 3) and f["ids"].shape == (1, 1)
    f = make_feeds(m, dims={"mask": (2, 7), "batch": 2})
    assert f["mask"].shape == (2, 7)
    with pytest.raises(oi.FeedError, match="dims\\['mask'\\] has rank 3.*'mask'"):
        make_feeds(m, dims={"mask": (1, 2, 3)})
    with pytest.raises(oi.FeedError, match="dims\\['i32'\\] gives dimension 0 = 5.*fixes it to 4"):
        make_feeds(m, dims={"i32": (5,)})
    with pytest.raises(oi.FeedError, match="dims\\['batch'\\] = -2 must be >= 0"):
        make_feeds(m, dims={"batch": -2})


def test_ranges_and_seed() -> None:
    m = oi.load(multi_input_model())
    f = make_feeds(m, dims={"batch": 50, "seq": 40}, ranges={"ids": (100, 200), "f32": (-3.0, -2.0)})
    assert f["ids"].min() >= 100 and f["ids"].max() < 200 and len(np.unique(f["ids"])) > 2
    assert f["f32"].min() >= -3.0 and f["f32"].max() <= -2.0
    a, b, c = make_feeds(m, seed=7), make_feeds(m, seed=7), make_feeds(m, seed=8)
    np.testing.assert_array_equal(a["f32"], b["f32"])
    assert not np.array_equal(a["f32"], c["f32"])
    with pytest.raises(oi.FeedError, match="ranges\\['u8'\\].*does not fit in uint8"):
        make_feeds(m, ranges={"u8": (0, 1000)})
    with pytest.raises(oi.FeedError, match="ranges\\['ids'\\].*high must be greater"):
        make_feeds(m, ranges={"ids": (5, 5)})


def test_size_cap_is_checked_before_allocating_and_names_the_input() -> None:
    m = oi.load(multi_input_model())
    with pytest.raises(oi.FeedError, match="input 'ids' would take 8.0 GiB"):
        make_feeds(m, dims={"batch": 2**15, "seq": 2**15})
    with pytest.raises(oi.FeedError, match="together.*largest: 'f32'"):
        make_feeds(m, dims={"batch": 300, "seq": 1}, max_bytes=4000)


def test_inputs_that_cannot_be_generated_are_named() -> None:
    g = helper.make_graph(
        [helper.make_node("Identity", ["s"], ["o"])],
        "strings",
        [helper.make_tensor_value_info("s", TensorProto.STRING, [2])],
        [helper.make_tensor_value_info("o", TensorProto.STRING, [2])],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))
    with pytest.raises(oi.FeedError, match="input 's' is string"):
        run(m)
    out = run(m, feeds={"s": np.array(["a", "b"], dtype=object)})
    assert out["o"].tolist() == ["a", "b"]
    seq = helper.make_tensor_sequence_value_info("seq", TensorProto.FLOAT, None)
    with pytest.raises(oi.FeedError, match="input 'seq' is a sequence"):
        generate([spec_of(seq)])


def test_unknown_rank_needs_full_shape() -> None:
    vi = helper.make_tensor_value_info("x", TensorProto.FLOAT, None)
    with pytest.raises(oi.FeedError, match="input 'x' has no declared shape.*dims=\\{'x'"):
        generate([spec_of(vi)])
    assert generate([spec_of(vi)], dims={"x": (2, 3)})["x"].shape == (2, 3)


def test_check_value_converts_python_lists_but_not_numpy_dtypes() -> None:
    spec = input_specs(multi_input_model().graph)[0]  # f32[batch,3]
    assert check_value(spec, [[1, 2, 3]]).dtype == np.float32
    with pytest.raises(oi.FeedError, match="'f32' expects float32.*got int64.*astype\\(np.float32\\)"):
        check_value(spec, np.array([[1, 2, 3]]))
    with pytest.raises(oi.FeedError, match="'f32'.*got a dict"):
        check_value(spec, {"a": 1})


def test_run_feeds_every_dtype_through() -> None:
    m = oi.load(multi_input_model())
    f = make_feeds(m, dims={"batch": 2, "seq": 3}, seed=4)
    out = run(m, feeds=f)
    for name, value in f.items():
        np.testing.assert_array_equal(out[f"{name}_out"], value)


# -- files --------------------------------------------------------------------------------------------


def test_npz_sizes_are_checked_from_headers(tmp_path: Path) -> None:
    np.savez(tmp_path / "f.npz", a=np.zeros((100, 100), np.float32), b=np.ones(3, np.int64))
    got = read_feeds(None, tmp_path / "f.npz")
    assert got["a"].shape == (100, 100) and got["b"].dtype == np.int64
    with pytest.raises(oi.FeedError, match="array 'a' is 39.1 KiB"):
        read_feeds(None, tmp_path / "f.npz", max_bytes=10_000)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(oi.FeedError, match="bad.npz' is not a readable .npz"):
        read_feeds(None, tmp_path / "bad.npz")
    np.save(tmp_path / "one.npy", np.zeros(2))
    with pytest.raises(oi.FeedError, match="single .npy"):
        read_feeds(None, tmp_path / "one.npy")


def test_pb_files_by_name_and_by_position(tmp_path: Path) -> None:
    named = numpy_helper.from_array(np.arange(3, dtype=np.int64), "ids")
    onnx.save_tensor(named, str(tmp_path / "whatever.pb"))
    assert list(read_feeds(None, tmp_path / "whatever.pb")) == ["ids"]
    ds = tmp_path / "case" / "test_data_set_1"
    ds.mkdir(parents=True)
    (tmp_path / "case" / "test_data_set_0").mkdir()
    for k in range(3):
        onnx.save_tensor(numpy_helper.from_array(np.full(2, k, np.float32)), str(ds / f"input_{k}.pb"))
    got = read_feeds(_inputs(["a", "b", "c"]), tmp_path / "case", data_set=1)
    assert [v[0] for v in got.values()] == [0, 1, 2] and list(got) == ["a", "b", "c"]
    with pytest.raises(oi.FeedError, match="input_2.pb' is input #2 but the model has 2 inputs"):
        read_feeds(_inputs(["a", "b"]), ds)
    with pytest.raises(oi.FeedError, match="unnamed tensor"):
        read_feeds(None, ds / "input_0.pb")
    with pytest.raises(oi.FeedError, match="no input_<k>.pb"):
        read_feeds(_inputs(["a"]), tmp_path / "case", data_set=0)
    with pytest.raises(oi.FeedError, match="no test_data_set_5"):
        read_feeds(_inputs(["a"]), tmp_path / "case", data_set=5)
    (tmp_path / "junk.pb").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(oi.FeedError, match="junk.pb' is not a TensorProto"):
        read_feeds(_inputs(["a"]), tmp_path / "junk.pb")
    with pytest.raises(oi.FeedError, match="missing.pb' does not exist"):
        read_feeds(_inputs(["a"]), [tmp_path / "missing.pb"])
    with pytest.raises(oi.FeedError, match="over the 10 B cap"):
        read_feeds(_inputs(["a", "b", "c"]), ds, max_bytes=10)


def test_pb_feed_external_data_stays_in_its_folder(tmp_path: Path) -> None:
    """A .pb feed's external data goes through the model layer's one resolver: inside its folder only."""
    from onnx.external_data_helper import set_external_data

    (tmp_path / "secret.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    t = numpy_helper.from_array(np.zeros(4, np.float32), "x")
    set_external_data(t, location="../secret.bin", offset=0, length=16)
    t.data_location = TensorProto.EXTERNAL
    t.ClearField("raw_data")
    (feeds / "input_0.pb").write_bytes(t.SerializeToString())
    with pytest.raises(oi.ExternalDataError, match=r"\.\./secret\.bin"):
        read_feeds(None, feeds)
    (feeds / "x.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    t = numpy_helper.from_array(np.zeros(4, np.float32), "x")
    set_external_data(t, location="x.bin", offset=0, length=16)
    t.data_location = TensorProto.EXTERNAL
    t.ClearField("raw_data")
    (feeds / "input_0.pb").write_bytes(t.SerializeToString())
    np.testing.assert_array_equal(read_feeds(None, feeds)["x"], np.arange(4, dtype=np.float32))


def _specs_by_graph(m: oi.Model) -> list[tuple[str, str]]:
    """(name, type) of the main graph's inputs that are not initializers, read from the protobuf."""
    return [(s.name, s.type_text) for s in dict((s.name, s) for s in input_specs(m.proto.graph)).values()]


@pytest.mark.parametrize("name", ["light_resnet50", "bert_mlm_torchscript", "gpt2_kv_cache", "scripted_loop"])
def test_model_inputs_are_the_graph_inputs_that_are_not_initializers(name: str) -> None:
    from onnx_inspect.runtime.feeds import model_inputs
    from tests.corpus import corpus_model

    m = oi.load(corpus_model(name).path)
    assert [(s.name, s.type_text) for s in model_inputs(m).values()] == _specs_by_graph(m)


def test_model_inputs_leave_out_initializers_listed_as_inputs_and_keep_a_pass_through() -> None:
    from onnx_inspect.runtime.feeds import model_inputs

    w = numpy_helper.from_array(np.ones(2, np.float32), "w")
    sp = helper.make_sparse_tensor(
        numpy_helper.from_array(np.ones(1, np.float32), "s"),
        numpy_helper.from_array(np.zeros(1, np.int64), "i"),
        [2],
    )
    g = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"]), helper.make_node("Add", ["y", "s"], ["z"])],
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in ("x", "w", "s", "p")],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in ("z", "p")],  # p: input and output
        [w],
        sparse_initializer=[sp],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert list(model_inputs(m)) == ["x", "p"] == [n for n, _ in _specs_by_graph(m)] == m.main_inputs()
