"""Tensor statistics and histograms for every dtype, checked against exact arithmetic and plain numpy."""

from __future__ import annotations

import math
import tracemalloc
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import onnx_inspect as oi
import onnx_inspect.views.tensors as vt
from onnx_inspect.views.tensors import (
    diff_figure,
    diff_table,
    histogram,
    stats_figure,
    summary_table,
    tensor_stats,
    tensor_summary,
)

F32_MAX = float(np.finfo(np.float32).max)
I64 = np.iinfo(np.int64)


def test_summary_matches_numpy_on_finite_values_and_counts_nan_inf() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((30, 40)).astype(np.float32)
    a[0, :5] = 0
    a[1, 0], a[1, 1], a[1, 2] = np.nan, np.inf, -np.inf
    s = tensor_summary(a)
    fin = a[np.isfinite(a)].astype(np.float64)
    assert s["shape"] == (30, 40) and s["dtype"] == "float32" and s["size"] == 1200
    assert s["nan"] == 1 and s["inf"] == 2
    assert s["min"] == fin.min() and s["max"] == fin.max()
    assert s["mean"] == pytest.approx(fin.mean(), rel=1e-12)
    assert s["std"] == pytest.approx(fin.std(), rel=1e-9)
    assert s["zero_fraction"] == pytest.approx(5 / 1200)


def test_chunked_stats_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    a = np.random.default_rng(1).standard_normal(10_001) * 3 + 1
    a[::97] = np.nan
    whole = tensor_stats(a)
    monkeypatch.setattr(vt, "CHUNK", 64)
    chunked = tensor_stats(a)
    for k in ("min", "max", "nan", "inf", "finite", "zero_fraction", "hist"):
        assert chunked[k] == whole[k], k
    assert chunked["mean"] == pytest.approx(whole["mean"], rel=1e-12)
    assert chunked["std"] == pytest.approx(whole["std"], rel=1e-12)


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        (
            np.array([3, 0, 5], np.int64),
            {"min": 0, "max": 5, "mean": pytest.approx(8 / 3), "zero_fraction": pytest.approx(1 / 3)},
        ),
        (np.array(2.5, np.float16), {"min": 2.5, "max": 2.5, "std": 0.0, "shape": ()}),
        (np.array([np.nan, np.nan]), {"nan": 2, "zero_fraction": 0.0, "hist": None}),
        (np.array([np.inf, -np.inf]), {"inf": 2, "finite": 0, "mean": None, "note": "no finite values"}),
        (np.zeros((0, 3), np.float32), {"size": 0, "shape": (0, 3), "hist": None, "note": "empty tensor"}),
        (np.full(4, I64.max), {"min": I64.max, "max": I64.max, "std": 0.0, "hist": {"edges": [2.0**63] * 2, "counts": [4]}}),
        (np.array([I64.min, I64.max]), {"min": I64.min, "max": I64.max, "mean": 0.0}),
        (np.array([0, 2**64 - 1], np.uint64), {"min": 0, "max": 2**64 - 1}),
        (np.full(3, -F32_MAX, np.float32), {"min": -F32_MAX, "mean": -F32_MAX, "std": 0.0}),
        (np.array([-1.7e308, 1.7e308, 1.7e308]), {"min": -1.7e308, "max": 1.7e308, "mean": pytest.approx(1.7e308 / 3)}),
        (np.array([np.finfo(np.float64).max] * 2), {"mean": np.finfo(np.float64).max, "std": 0.0}),
        (np.array([1.0, np.nextafter(1.0, 2.0)]), {"hist": {"edges": [1.0, np.nextafter(1.0, 2.0)], "counts": [2]}}),
        (np.array([5e-324, 1e-323]), {"min": 5e-324, "max": 1e-323}),
        (np.array(["2020-01-01"], "datetime64[D]"), {"family": "other", "hist": None}),
    ],
)  # fmt: skip
def test_stats_of_edge_cases(value: np.ndarray, expect: dict) -> None:
    s = tensor_stats(value)
    for k, v in expect.items():
        assert s[k] == v, (k, s[k])
    stats_figure(s, "x")  # the figure builds for every case


def test_families_say_what_their_numbers_mean() -> None:
    b = tensor_stats(np.array([True, False, True, True]))
    assert b["family"] == "bool" and b["mean"] == 0.75 and b["min"] == 0 and b["max"] == 1
    assert b["hist"] == {"labels": ["false", "true"], "counts": [1, 3]}
    words = np.array([b"relu", b"gelu", "relu", b"\xff" + b"x" * 100], dtype=object)
    s = tensor_stats(words)
    assert s["family"] == "string" and s["unique"] == 3 and s["mean"] is None
    assert s["hist"]["labels"][0] == "relu" and s["hist"]["counts"][0] == 2
    assert max(len(x) for x in s["hist"]["labels"]) <= vt.LABEL_CHARS + 1  # long values cut
    many = np.array([str(i % 25) for i in range(100)])  # 'U' dtype: top values plus the rest
    m = tensor_stats(many)
    assert len(m["hist"]["labels"]) == vt.TOP_VALUES + 1 and sum(m["hist"]["counts"]) == 100
    c = tensor_stats(np.array([3 + 4j, 0, np.nan + 1j], np.complex64))
    assert c["family"] == "complex" and c["basis"] == "magnitude |z|" and "|z|" in c["note"]
    assert (c["min"], c["max"], c["nan"], c["zero_fraction"]) == (0.0, 5.0, 1, pytest.approx(1 / 3))
    big = tensor_stats(np.array([F32_MAX + F32_MAX * 1j], np.complex64))  # |z| beyond float32: no overflow
    assert big["max"] == pytest.approx(F32_MAX * math.sqrt(2))
    i4 = tensor_stats(np.array([-8, 7, 0, 7]).astype(ml_dtypes.int4))
    assert (i4["family"], i4["min"], i4["max"]) == ("int", -8, 7)
    assert i4["hist"]["edges"][0] == -8.5 and len(i4["hist"]["counts"]) == 16  # one bin per value
    assert sum(i4["hist"]["counts"]) == 4 and i4["hist"]["counts"][-1] == 2


def test_summary_table_rows_per_tensor() -> None:
    df = summary_table({"a": np.ones(3), "b<x>": np.arange(4), "s": np.array(["x"]), "e": np.zeros(0)})
    assert list(df.index) == ["a", "b<x>", "s", "e"] and list(df.columns) == vt.SUMMARY_COLUMNS
    assert df.at["b<x>", "max"] == 3
    assert pd.isna(df.at["s", "mean"]) and pd.isna(df.at["e", "zero_fraction"])


def test_histogram_samples_big_tensors_and_escapes_names() -> None:
    a = np.random.default_rng(2).standard_normal(300_000).astype(np.float32)
    a[::1000] = np.inf
    fig = histogram(a, "<script>alert(1)</script>", bins=30, max_samples=50_000, exact_values=50_000)
    bar = fig.data[0]
    assert len(bar.y) == 30
    assert int(np.sum(bar.y)) == 50_000 - 50  # the sample minus the infinities drawn into it
    title = fig.layout.title.text
    assert "<script>" not in title and "&lt;script&gt;" in title
    assert "sampled (50,000 of 300,000 values)" in title and "50 Inf not shown" in title
    assert fig.layout.yaxis.title.text == "count (sample)"
    small = histogram(np.arange(100.0), "w", bins=10)
    assert int(np.sum(small.data[0].y)) == 100 and "sample" not in small.layout.title.text
    assert histogram(np.full(5, 2.0)).data[0].y == (5,)  # constant tensor still gets a bar
    assert len(histogram(np.array([np.nan])).data) == 0
    assert list(histogram(np.array([True, True, False])).data[0].x) == ["false", "true"]
    words = histogram(np.array(["<a href='x'>y</a>", "b"], dtype=object)).data[0]
    assert list(words.x) == ["&lt;a href='x'&gt;y&lt;/a&gt;", "b"]  # plotly would read the markup


def test_sampling_reads_blocks_in_place_and_is_seeded(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    path = tmp_path / "w.bin"
    rng.standard_normal(3_000_000).astype(np.float32).tofile(path)
    mm = np.memmap(path, np.float32, "r", shape=(1000, 3000))
    s = tensor_stats(mm, exact_values=100_000, samples=65_536)
    assert s["sampled"] and s["summarised"] == 65_536 and "sampled (65,536 of 3,000,000 values)" in s["note"]
    assert sum(s["hist"]["counts"]) == 65_536 and abs(s["mean"]) < 0.05 and 0.95 < s["std"] < 1.05
    assert tensor_stats(mm, exact_values=100_000, samples=65_536) == s  # same seed, same numbers
    t = tensor_stats(mm.T, exact_values=100_000, samples=65_536)  # a non-contiguous view samples too
    assert t["sampled"] and 0.95 < t["std"] < 1.05
    exact = tensor_stats(mm)
    assert not exact["sampled"] and exact["note"] == "" and sum(exact["hist"]["counts"]) == 3_000_000


def test_constant_of_shape_weight_is_summarised_without_materialising() -> None:
    import onnx
    from onnx import TensorProto, helper

    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [16384, 16384])
    node = helper.make_node(
        "ConstantOfShape",
        ["shape"],
        ["big"],
        value=helper.make_tensor("v", TensorProto.FLOAT, [1], [-F32_MAX]),
    )
    g = helper.make_graph(
        [node, helper.make_node("Identity", ["big"], ["y"])], "g", [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [16384, 16384])], [shape],
    )  # fmt: skip
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    assert len(model.SerializeToString()) < 300
    m = oi.load(onnx.load_from_string(model.SerializeToString()))
    tracemalloc.start()
    try:
        w = m.weight("big")
        s = tensor_stats(w)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, peak  # not 1 GiB
    assert s["size"] == 16384**2 and s["finite"] == 16384**2 and not s["sampled"]
    assert s["min"] == s["max"] == s["mean"] == -F32_MAX and s["std"] == 0.0
    assert s["hist"]["counts"] == [16384**2] and s["note"] == "one value repeated"


def _exact_mean_std(xs: list[Fraction]) -> tuple[float, float]:
    mean = sum(xs, Fraction(0)) / len(xs)
    var = sum(((x - mean) ** 2 for x in xs), Fraction(0)) / len(xs)
    std = 0.0 if var == 0 else math.exp((math.log(var.numerator) - math.log(var.denominator)) / 2)
    return float(mean), std


FLOAT_DTYPES = [np.float16, np.float32, np.float64, ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn,
                ml_dtypes.float8_e5m2, ml_dtypes.float8_e4m3fnuz, ml_dtypes.float8_e5m2fnuz,
                ml_dtypes.float4_e2m1fn]  # fmt: skip
INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
              ml_dtypes.int4, ml_dtypes.uint4]  # fmt: skip


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of every dtype family, with values anywhere in the dtype's range (NaN/Inf included)."""
    kind = draw(st.sampled_from(["float", "int", "bool", "complex", "string", "constant"]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6))
    if kind == "float":
        dt = np.dtype(draw(st.sampled_from(FLOAT_DTYPES)))
        wide = draw(st.booleans())
        elems = st.floats(allow_nan=True, allow_infinity=True, width=64 if wide else 32)
        a = draw(hnp.arrays(np.float64, shape, elements=elems))
        with np.errstate(over="ignore", invalid="ignore"):
            return a.astype(dt)
    if kind == "int":
        dt = np.dtype(draw(st.sampled_from(INT_DTYPES)))
        info = ml_dtypes.iinfo(dt) if dt.kind == "V" else np.iinfo(dt)
        a = draw(hnp.arrays(object, shape, elements=st.integers(int(info.min), int(info.max))))
        return np.array(a.tolist(), dtype=np.int64 if dt.kind == "V" else dt).astype(dt)
    if kind == "bool":
        return draw(hnp.arrays(np.bool_, shape))
    if kind == "complex":
        dt = draw(st.sampled_from([np.complex64, np.complex128]))
        return draw(
            hnp.arrays(
                dt,
                shape,
                elements=st.complex_numbers(allow_nan=True, width=64 if dt == np.complex64 else 128),
            )
        )
    if kind == "string":
        return draw(hnp.arrays(object, shape, elements=st.text(max_size=80) | st.binary(max_size=80)))
    v = draw(st.sampled_from([I64.max, I64.min, -F32_MAX, F32_MAX, 1.7e308, -1.7e308, 0.0, np.nan, -np.inf]))
    return np.full(draw(st.integers(1, 50)), v)  # fmt: skip


@example(
    np.array([1.1089697777388692e-10j, 3.5111194e305j])
)  # found by CI: a tiny |z| scaled by 2**-1015 rounds
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays())
def test_stats_never_raise_and_agree_with_exact_arithmetic(a: np.ndarray) -> None:
    s = tensor_stats(a)
    assert s["size"] == a.size and s["shape"] == a.shape and s["nan"] + s["inf"] + s["finite"] <= a.size
    if a.size == 0:
        assert s["hist"] is None
        return
    fam = s["family"]
    if fam == "string":
        assert sum(s["hist"]["counts"]) == a.size and s["finite"] == a.size
        return
    assert s["nan"] + s["inf"] + s["finite"] == a.size
    f = np.abs(a.astype(np.complex128)) if fam == "complex" else a.astype(np.float64)
    fin = f[np.isfinite(f)]
    assert s["finite"] == fin.size and s["nan"] == int(np.isnan(f).sum())
    assert s["zero_fraction"] == pytest.approx(np.count_nonzero(f == 0) / a.size)
    if fin.size == 0:
        assert s["hist"] is None and s["min"] is None and s["mean"] is None
        return
    assert sum(s["hist"]["counts"]) == fin.size
    if fam == "int":
        ints = a.astype(np.int64 if a.dtype.kind == "V" else a.dtype).reshape(-1).tolist()
        assert s["min"] == min(ints) and s["max"] == max(ints)
        exact = [Fraction(int(x)) for x in ints]
        span = float(max(ints) - min(ints))
    else:
        assert s["min"] == fin.min() and s["max"] == fin.max()
        exact = [Fraction(float(x)) for x in fin]
        span = float(np.abs(fin).max())
    assert float(s["min"]) <= s["mean"] <= float(s["max"])
    # float64 sums: error at most ~n ulps of the values' scale (of the range, for ints)
    tol = 8 * len(exact) * 2.0**-52 * span + 1e-300
    mean, std = _exact_mean_std(exact)
    assert s["mean"] == pytest.approx(mean, rel=1e-12, abs=tol)
    assert math.isfinite(s["std"]) and s["std"] >= 0
    assert s["std"] == pytest.approx(std, rel=1e-6, abs=tol)
    if "edges" in s["hist"]:
        e = np.asarray(s["hist"]["edges"])
        assert e.size == len(s["hist"]["counts"]) + 1 and np.isfinite(e).all()
        assert e[0] <= float(s["min"]) and e[-1] >= float(s["max"])
        assert (e.size == 2 and e[0] == e[1]) or bool(np.all(e[:-1] < e[1:]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(), st.integers(0, 40), st.integers(1, 40), st.booleans())
def test_sampled_and_broadcast_stats_keep_their_invariants(
    a: np.ndarray, exact: int, samples: int, bcast: bool
) -> None:
    if bcast and a.size:  # one value repeated, as a ConstantOfShape weight is
        a = np.broadcast_to(a.reshape(-1)[:1].reshape(()), (7, 1000))
    s = tensor_stats(a, exact_values=exact, samples=samples)
    n = s["summarised"]
    assert s["sampled"] == (n < a.size) and ("sampled (" in s["note"]) == s["sampled"]
    if s["family"] in ("float", "int", "bool", "complex") and a.size:
        assert s["nan"] + s["inf"] + s["finite"] == (a.size if not s["sampled"] else n)
        assert s["hist"] is None or sum(s["hist"]["counts"]) == s["finite"]
        if s["finite"]:
            assert float(s["min"]) <= s["mean"] <= float(s["max"]) and s["std"] >= 0


@pytest.mark.parametrize("name", ["light_squeezenet.onnx", "light_resnet50.onnx", "light_inception_v2.onnx"])
def test_stats_of_every_real_weight_match_numpy(light_dir: Path, name: str) -> None:
    m = oi.load(light_dir / name)
    weights = m.tensors[m.tensors["kind"].isin(["initializer", "constant"])]
    assert len(weights) > 10
    for tid, row in weights.iterrows():
        w = m.weight(row["name"], row["graph"])
        s = tensor_stats(w)
        full = np.array(w, dtype=np.float64)  # materialised copy, plain numpy
        fin = full[np.isfinite(full)]
        assert s["size"] == full.size and s["finite"] == fin.size, tid
        if fin.size:
            assert (s["min"], s["max"]) == (fin.min(), fin.max()), tid
            assert s["mean"] == pytest.approx(fin.mean(), rel=1e-9, abs=1e-12), tid
            assert s["std"] == pytest.approx(fin.std(), rel=1e-6, abs=1e-12), tid
            assert sum(s["hist"]["counts"]) == fin.size, tid


def test_diff_table_and_figure() -> None:
    a = {"t1": np.ones(4), "t2": np.arange(3.0), "only_a": np.zeros(1)}
    b = {"t1": np.ones(4), "t2": np.arange(3.0) + np.array([0, 0, 1e-2]), "only_b": np.zeros(1)}
    df = diff_table(a, b, labels=("CUDA", "CPU"))
    assert list(df.index) == ["t1", "t2", "only_a", "only_b"]
    assert df.loc["t1", "allclose"] and not df.loc["t2", "allclose"] and not df.loc["only_a", "allclose"]
    assert df.loc["t2", "max_abs_diff"] == pytest.approx(1e-2)
    assert df.attrs["labels"] == ("CUDA", "CPU")
    fig = diff_figure(df)
    assert list(fig.data[0].marker.color[:2]) == ["#1f77b4", "#d62728"]
    assert fig.layout.yaxis.type == "log" and "CUDA vs CPU" in fig.layout.title.text


def test_diff_figure_of_extreme_differences() -> None:
    a = {
        "inf": np.array([np.inf]),
        "huge": np.array([-1.7e308]),
        "nan": np.array([np.nan]),
        "s": np.array(["a"]),
    }
    b = {"inf": np.array([0.0]), "huge": np.array([1.7e308]), "nan": np.array([1.0]), "s": np.array(["b"])}
    df = diff_table(a, b)
    y = np.asarray(diff_figure(df).data[0].y, dtype=float)
    assert np.isfinite(y).all() and y[0] == y.max()  # an infinite difference is drawn at the top
    only_inf = diff_table({"x": np.array([np.inf])}, {"x": np.array([1.0])})
    assert np.isfinite(np.asarray(diff_figure(only_inf).data[0].y, dtype=float)).all()


# Published models and real exports whose weights hold INT64_MAX Slice ends, -FLT_MAX masks or constant
# tensors: they made the report raise "Too many bins for data range" before.
CORPUS_WITH_EXTREMES = ["gpt2_lm_dynamo", "gpt2_kv_cache", "silero_vad_16k_op15", "ddddocr_det_yolox"]


@pytest.mark.parametrize("name", CORPUS_WITH_EXTREMES)
def test_stats_of_every_weight_of_real_exports(name: str) -> None:
    corpus = pytest.importorskip("tests.corpus", reason="the real-model corpus (tests/corpus) is not here")
    try:
        path = corpus.corpus_path(name)
    except corpus.CorpusError as exc:
        pytest.skip(f"corpus model {name} unavailable: {exc}")
    m = oi.load(path)
    extremes = 0
    for tid, row in m.tensors[m.tensors["kind"].isin(["initializer", "constant"])].iterrows():
        w = np.asarray(m.weight(row["name"], row["graph"]))
        s = tensor_stats(w)
        if s["family"] in ("float", "int") and w.size:
            full = w.astype(np.float64)
            fin = full[np.isfinite(full)]
            assert s["finite"] == fin.size and sum(s["hist"]["counts"] if s["hist"] else [0]) == fin.size, tid
            if fin.size:
                assert float(s["min"]) == fin.min() and float(s["max"]) == fin.max(), tid
                assert float(s["min"]) <= s["mean"] <= float(s["max"]), tid
                extremes += bool(max(abs(fin.min()), abs(fin.max())) >= 2.0**53)  # x - 0.5 == x
    assert extremes, f"{name} was picked for its INT64_MAX / -FLT_MAX weights; none found"
