"""Regression tests for the runtime defects of issue 12: raw exceptions, hangs and false errors."""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h

import onnx_inspect as oi
from onnx_inspect.runtime.session import named_copy


def _model(nodes, inputs, outputs, inits=(), opset=17) -> oi.Model:  # type: ignore[no-untyped-def]
    g = h.make_graph(nodes, "g", inputs, outputs, list(inits))
    return oi.load(h.make_model(g, opset_imports=[h.make_opsetid("", opset)]))


def _vi(name: str, elem: int, shape: list) -> onnx.ValueInfoProto:  # type: ignore[type-arg]
    return h.make_tensor_value_info(name, elem, shape)


def _loop_model(trip: int) -> oi.Model:
    """y = x + trip (a Loop adding 1 per iteration): with trip = 2**62 it never ends by itself."""
    body = h.make_graph(
        [h.make_node("Add", ["x_in", "one"], ["x_out"]), h.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [_vi("i", T.INT64, []), _vi("cond_in", T.BOOL, []), _vi("x_in", T.FLOAT, [1])],
        [_vi("cond_out", T.BOOL, []), _vi("x_out", T.FLOAT, [1])],
        [h.make_tensor("one", T.FLOAT, [1], [1.0])],
    )
    return _model(
        [h.make_node("Loop", ["trip", "cond", "x"], ["y"], body=body)],
        [_vi("x", T.FLOAT, [1])],
        [_vi("y", T.FLOAT, [1])],
        [h.make_tensor("trip", T.INT64, [], [trip]), h.make_tensor("cond", T.BOOL, [], [True])],
    )


def test_input_that_feeds_nothing_is_not_a_key_error() -> None:
    m = _model(
        [h.make_node("Relu", ["x"], ["y"])],
        [_vi("x", T.FLOAT, [2]), _vi("unused", T.FLOAT, [3])],
        [_vi("y", T.FLOAT, [2])],
    )
    assert oi.run(m)["y"].shape == (2,)
    assert oi.run(m, "y", feeds={"x": np.ones(2, np.float32)})["y"].tolist() == [1, 1]


def test_standard_op_with_a_graph_attribute_is_not_an_index_error() -> None:
    body = h.make_graph(
        [h.make_node("Identity", ["a"], ["b"])], "b", [_vi("a", T.FLOAT, [1])], [_vi("b", T.FLOAT, [1])]
    )
    relu = h.make_node("Relu", ["x"], ["r"])
    relu.attribute.append(h.make_attribute("body", body))
    m = _model([relu, h.make_node("Neg", ["r"], ["y"])], [_vi("x", T.FLOAT, [2])], [_vi("y", T.FLOAT, [2])])
    proto = named_copy(m)  # was IndexError
    assert [n.name for n in proto.graph.node] == list(m.nodes[m.nodes["graph"] == ""].index)
    for call in (lambda: oi.placement(m), lambda: oi.profile(m, progress=False), lambda: oi.run(m, "r")):
        with pytest.raises(oi.RuntimeFailure, match="body"):
            call()


def test_profile_from_json_refuses_deep_huge_and_non_regular_files(tmp_path: Path) -> None:
    m = _model([h.make_node("Relu", ["x"], ["y"])], [_vi("x", T.FLOAT, [2])], [_vi("y", T.FLOAT, [2])])
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(oi.ProfileError, match="deep.json"):
        oi.Profile.from_json(deep, m)
    big = tmp_path / "big.json"
    big.write_text(json.dumps([{"cat": "Node"}] * 1000))
    with pytest.raises(oi.ProfileError, match="over the .* cap.*max_bytes="):
        oi.Profile.from_json(big, m, max_bytes=1000)
    with pytest.raises(oi.ProfileError, match="not a regular file"):
        oi.Profile.from_json(tmp_path, m)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    result: list[BaseException] = []

    def read() -> None:
        try:
            oi.Profile.from_json(fifo, m)
        except BaseException as exc:
            result.append(exc)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(20)
    if t.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "w"):
            pass
    assert result and isinstance(result[0], oi.ProfileError) and "not a regular file" in str(result[0])


@pytest.fixture(scope="module")
def two_inputs() -> oi.Model:
    return _model(
        [h.make_node("Add", ["x", "x"], ["y"]), h.make_node("Cast", ["n"], ["c"], to=T.FLOAT)],
        [_vi("x", T.FLOAT, ["batch", 3]), _vi("n", T.INT64, [2])],
        [_vi("y", T.FLOAT, ["batch", 3]), _vi("c", T.FLOAT, [2])],
    )


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"feeds": {"x": [[1.0, 2.0, 3.0], [1.0]], "n": np.ones(2, np.int64)}}, "input 'x'"),
        (
            {"feeds": {"x": [np.ones(3, np.float32), np.ones(2, np.float32)], "n": np.ones(2, np.int64)}},
            "input 'x'",
        ),
        ({"seed": "abc"}, "seed='abc'"),
        ({"seed": -1}, "seed=-1"),
        ({"dims": {"x": (1, "a")}}, "dims\\['x'\\]"),
        ({"dims": {"batch": "a"}}, "dims\\['batch'\\]"),
        ({"dims": ["batch"]}, "dims must be a dict"),
        ({"ranges": {"x": 5}}, "ranges\\['x'\\]"),
        ({"ranges": {"x": (0, float("inf"))}}, "ranges\\['x'\\].*finite"),
        ({"ranges": {"x": (3, 1)}}, "ranges\\['x'\\].*greater"),
        ({"time_budget": -1}, "time_budget=-1"),
    ],
)
def test_bad_arguments_are_feed_errors_naming_the_argument(
    two_inputs: oi.Model, kwargs: dict, pattern: str
) -> None:  # type: ignore[type-arg]
    with pytest.raises(oi.InspectError, match=pattern) as exc:
        oi.run(two_inputs, **kwargs)
    assert "\n" not in str(exc.value)


def test_feed_files_object_arrays_and_fifos(two_inputs: oi.Model, tmp_path: Path) -> None:
    npz = tmp_path / "obj.npz"
    np.savez(npz, x=np.array([object(), 1], dtype=object), n=np.ones(2, np.int64))
    with pytest.raises(oi.FeedError, match="'x' holds Python objects"):
        oi.run(two_inputs, feeds=npz)
    fifo = tmp_path / "feeds.npz"
    os.mkfifo(fifo)
    with pytest.raises(oi.FeedError, match="not a regular file"):
        oi.run(two_inputs, feeds=fifo)


def test_keep_files_must_be_a_folder(two_inputs: oi.Model, tmp_path: Path) -> None:
    f = tmp_path / "taken"
    f.write_text("x")
    with pytest.raises(oi.InspectError, match="keep_files=.*taken.*existing file"):
        oi.profile(two_inputs, keep_files=f, progress=False)


def test_endless_loop_is_stopped_by_the_time_budget() -> None:
    m = _loop_model(2**62)
    t0 = time.monotonic()
    with pytest.raises(oi.RuntimeFailure, match="time budget of 0.5 s") as exc:
        oi.run(m, time_budget=0.5)
    assert time.monotonic() - t0 < 60 and "\n" not in str(exc.value)
    with pytest.raises(oi.RuntimeFailure, match="time budget"):
        oi.profile(m, runs=1, warmup=0, time_budget=0.5, progress=False)
    assert oi.run(_loop_model(3), feeds={"x": np.zeros(1, np.float32)})["y"].tolist() == [3.0]


def test_ctrl_c_ends_the_onnxruntime_run() -> None:
    m = _loop_model(2**62)
    main = threading.main_thread().ident
    import ctypes

    def interrupt() -> None:
        time.sleep(0.5)
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(main), ctypes.py_object(KeyboardInterrupt))

    threading.Thread(target=interrupt, daemon=True).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        oi.run(m, time_budget=None)
    assert time.monotonic() - t0 < 60


def test_profile_runs_are_bounded_by_the_time_budget(two_inputs: oi.Model) -> None:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        p = oi.profile(two_inputs, runs=10**9, warmup=1, time_budget=1.0, progress=False)
    assert 1 <= p.n_runs < 10**9
    assert any("time budget of 1 s was spent" in str(w.message) for w in got)
    assert any("time budget" in w for w in p.warnings)


@pytest.mark.parametrize("op", ["Shape", "ConstantOfShape"])
def test_graph_folded_away_gives_an_empty_profile(op: str) -> None:
    if op == "Shape":
        m = _model(
            [h.make_node("Shape", ["x"], ["y"])], [_vi("x", T.FLOAT, [2, 3])], [_vi("y", T.INT64, [2])]
        )
    else:
        shape = h.make_tensor("s", T.INT64, [2], [2, 3])
        m = _model([h.make_node("ConstantOfShape", ["s"], ["y"])], [], [_vi("y", T.FLOAT, [2, 3])], [shape])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = oi.profile(m, runs=2, warmup=1, progress=False)
    assert p.n_runs == 2 and p.events.empty and p.coverage() == 1.0
    assert p.by_node().empty and p.by_op_type().empty


def test_runtime_failure_is_one_line_with_full_text_kept() -> None:
    m = _model(
        [h.make_node("Reshape", ["x", "s"], ["y"])],
        [_vi("x", T.FLOAT, [2, 3]), _vi("s", T.INT64, [1])],
        [_vi("y", T.FLOAT, None)],  # type: ignore[arg-type]
    )
    with pytest.raises(oi.RuntimeFailure) as exc:
        oi.run(m, feeds={"x": np.ones((2, 3), np.float32), "s": np.array([4], np.int64)})
    assert "\n" not in str(exc.value) and exc.value.details and "Reshape" in str(exc.value)


@pytest.mark.parametrize("elem", [T.BFLOAT16, T.FLOAT8E4M3FN, T.INT4])
def test_exotic_dtype_inputs_fail_with_a_clear_feed_error(elem: int) -> None:
    m = _model(
        [h.make_node("Identity", ["x"], ["y"])], [_vi("x", elem, [2])], [_vi("y", elem, [2])], opset=21
    )
    with pytest.raises(oi.FeedError, match="input 'x' is .*cannot take"):
        oi.run(m)
    with pytest.raises(oi.FeedError, match="input 'x' is .*cannot take"):
        oi.run(m, feeds={"x": np.zeros(2, dtype=onnx.helper.tensor_dtype_to_np_dtype(elem))})


@pytest.mark.parametrize(
    ("op", "inputs", "shapes"),
    [
        ("DFT", ["x", "", ""], {"x": [1, 10, 10, 1]}),
        ("LayerNormalization", ["x", "w", ""], {"x": [2, 3, 4], "w": [4]}),
    ],
)
def test_trailing_empty_inputs_run_instead_of_crashing_onnxruntime(
    op: str, inputs: list[str], shapes: dict
) -> None:
    """onnxruntime (<= 1.32) SIGSEGVs on these nodes when a trailing optional input is an empty name (found by
    fuzz/fuzz_struct.py); an empty trailing name means "omitted", so the run gives what the short form gives."""

    def model(ins: list[str]) -> onnx.ModelProto:
        node = h.make_node(op, ins, ["y"], name="n0")
        vis = [h.make_tensor_value_info(k, T.FLOAT, v) for k, v in shapes.items()]
        graph = h.make_graph([node], "g", vis, [h.make_tensor_value_info("y", T.FLOAT, None)])
        return h.make_model(graph, opset_imports=[h.make_opsetid("", 20)], ir_version=9)

    rng = np.random.default_rng(0)
    feeds = {k: rng.standard_normal(v).astype(np.float32) for k, v in shapes.items()}
    got = oi.run(oi.load(model(inputs)), feeds=feeds)["y"]
    short = inputs[: max(i + 1 for i, name in enumerate(inputs) if name)]
    want = oi.run(oi.load(model(short)), feeds=feeds)["y"]
    np.testing.assert_array_equal(got, want)
    p = oi.profile(oi.load(model(inputs)), feeds=feeds, runs=1, warmup=0)
    assert "n0" in set(p.events["node_id"].dropna())
