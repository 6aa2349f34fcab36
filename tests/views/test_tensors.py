"""Tensor summaries, sampled histograms and per-tensor differences, checked against plain numpy."""

from __future__ import annotations

import numpy as np
import pytest

import onnx_inspect.views.tensors as vt
from onnx_inspect.views.tensors import (
    diff_figure,
    diff_table,
    histogram,
    summary_table,
    tensor_summary,
)


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


def test_chunked_summary_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    a = np.random.default_rng(1).standard_normal(10_001) * 3 + 1
    a[::97] = np.nan
    whole = tensor_summary(a)
    monkeypatch.setattr(vt, "CHUNK", 64)
    chunked = tensor_summary(a)
    for k in ("min", "max", "nan", "inf", "zero_fraction"):
        assert chunked[k] == whole[k], k
    assert chunked["mean"] == pytest.approx(whole["mean"], rel=1e-12)
    assert chunked["std"] == pytest.approx(whole["std"], rel=1e-12)


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        (
            np.array([3, 0, 5], np.int64),
            {"min": 0.0, "max": 5.0, "mean": pytest.approx(8 / 3), "zero_fraction": pytest.approx(1 / 3)},
        ),
        (np.array([True, False, True, True]), {"min": 0.0, "max": 1.0, "mean": 0.75}),
        (np.array(2.5, np.float16), {"min": 2.5, "max": 2.5, "std": 0.0, "shape": ()}),
        (np.array([np.nan, np.nan]), {"nan": 2, "zero_fraction": 0.0}),
        (np.zeros((0, 3), np.float32), {"size": 0, "shape": (0, 3)}),
        (np.array(["a", "b"], dtype=object), {"dtype": "object", "size": 2}),
    ],
)
def test_summary_of_other_dtypes(value: np.ndarray, expect: dict) -> None:
    s = tensor_summary(value)
    for k, v in expect.items():
        assert s[k] == v, (k, s[k])
    if value.dtype.kind in "O" or value.size == 0 or np.isnan(value.astype(float)).all():
        assert np.isnan(s["mean"])


def test_summary_table_rows_per_tensor() -> None:
    df = summary_table({"a": np.ones(3), "b<x>": np.arange(4)})
    assert list(df.index) == ["a", "b<x>"] and list(df.columns) == vt.SUMMARY_COLUMNS
    assert df.at["b<x>", "max"] == 3


def test_histogram_samples_big_tensors_and_escapes_names() -> None:
    a = np.random.default_rng(2).standard_normal(300_000).astype(np.float32)
    a[:10] = np.inf
    fig = histogram(a, "<script>alert(1)</script>", bins=30, max_samples=50_000)
    bar = fig.data[0]
    assert len(bar.y) == 30
    assert 49_900 <= int(np.sum(bar.y)) <= 50_000  # sample minus the few infinities drawn into it
    title = fig.layout.title.text
    assert "<script>" not in title and "&lt;script&gt;" in title
    assert "sample of 50,000 / 300,000" in title and "10 Inf not shown" in title
    small = histogram(np.arange(100.0), "w", bins=10)
    assert int(np.sum(small.data[0].y)) == 100 and "sample" not in small.layout.title.text
    assert histogram(np.full(5, 2.0)).data[0].y.sum() == 5  # constant tensor still gets a bar
    assert len(histogram(np.array([np.nan])).data) == 0


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
