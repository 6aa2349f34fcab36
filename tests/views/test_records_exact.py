"""The fast paths of weight records give exactly what the straightforward computation gives: rounding
(``records._round``), histogram bin counts (``tensors._bin_counts`` vs ``np.histogram``) and whole weight
records of real models (vs records built from ``np.histogram`` and ``decimal`` rounding)."""

from __future__ import annotations

import decimal
import glob
import os
from typing import Any

import numpy as np
import onnx
import pytest

import onnx_inspect as oi
import onnx_inspect.views.records as R
import onnx_inspect.views.tensors as vt
from tests.corpus import corpus_model

#: Corpus models with subgraph weights, int8/fp16 weights, external data.
CORPUS = [
    "silero_vad_v6",
    "ddddocr_ocr_quant_dynamic",
    "small_cnn_fp16",
    "small_cnn_external_data",
    "magika_v3_3",
]
LIGHT = sorted(glob.glob(os.path.join(os.path.dirname(onnx.__file__), "backend/test/data/light/*.onnx")))


def _round_reference(x: float, digits: int) -> float:
    """``x``'s exact value rounded half up (away from zero) to ``digits`` significant digits."""
    return float(decimal.Context(prec=digits, rounding=decimal.ROUND_HALF_UP).create_decimal(x))


def test_round_is_exact_half_up_on_ties_and_random_values() -> None:
    rng = np.random.default_rng(7)
    values = [0.0, -0.0, 1.5, 2.5, -2.5, 0.125, 1e300, 5e-324, 2.2250738585072014e-308, 123456.5, 0.3]
    values += [k / 2**m for k in range(1, 400, 7) for m in range(0, 30, 3)]  # many exact ties
    values += (rng.standard_normal(2000) * 10.0 ** rng.integers(-30, 30, 2000)).tolist()
    values += np.float32(rng.standard_normal(500)).astype(np.float64).tolist()
    for digits in (1, 2, 6, 7, 8, 9):
        for x in values:
            got, want = R._round(x, digits), _round_reference(x, digits)
            assert got == want and str(got) == str(want), (x, digits, got, want)


def _weights(path: str) -> list[np.ndarray]:
    m = oi.load(path)
    ids = [t for t, k in zip(m.tensors.index, m.tensors["kind"], strict=True) if R._is_weight_kind(k)]
    out = []
    for tid in ids:
        try:
            out.append(np.asarray(m.weight(tid)))
        except oi.InspectError:
            continue
    return out


@pytest.mark.parametrize("path", LIGHT[::4], ids=os.path.basename)
def test_bin_counts_equal_numpy_histogram_on_real_weights(path: str) -> None:
    for w in _weights(path):
        v = w.astype(np.float64).reshape(-1)
        v = v[np.isfinite(v)]
        if v.size < 2 or v.min() == v.max():
            continue
        for nb in (2, vt.hist_bins(v.size), vt.MAX_BINS):
            edges = np.linspace(v.min(), v.max(), nb + 1)
            want = np.histogram(v, bins=nb, range=(edges[0], edges[-1]))[0]
            np.testing.assert_array_equal(vt._bin_counts(v, edges), want)
            np.testing.assert_array_equal(vt._bin_counts(v[: v.size // 2], edges), np.histogram(
                v[: v.size // 2], bins=nb, range=(edges[0], edges[-1]))[0])  # fmt: skip


def test_bin_counts_equal_numpy_histogram_at_edges() -> None:
    rng = np.random.default_rng(3)
    for nb in (2, 3, 10, 37, 60):
        lo, hi = sorted(rng.standard_normal(2) * 10.0 ** rng.integers(-300, 300))
        edges = np.linspace(lo, hi, nb + 1)
        v = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf),
                            rng.uniform(lo, hi, 1000)])  # fmt: skip
        want = np.histogram(v, bins=nb, range=(edges[0], edges[-1]))[0]
        np.testing.assert_array_equal(vt._bin_counts(v, edges), want)


def _reference_record(m: oi.Model, tid: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The record with bins counted by ``np.histogram`` and every rounding done by ``decimal``."""
    with monkeypatch.context() as mp:
        mp.setattr(vt, "_bin_counts", lambda v, e: np.histogram(v, bins=e.size - 1, range=(e[0], e[-1]))[0])
        mp.setattr(R, "_round", _round_reference)
        return R.weight_record(m, tid)


@pytest.mark.parametrize("model", [*LIGHT[1::4], *CORPUS], ids=os.path.basename)
def test_weight_records_equal_the_straightforward_ones(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    m = oi.load(model if model.endswith(".onnx") else corpus_model(model).path)
    ids = [t for t, k in zip(m.tensors.index, m.tensors["kind"], strict=True) if R._is_weight_kind(k)]
    got = R.weight_records(m, ids)
    for tid in ids:
        want = _reference_record(m, tid, monkeypatch)
        assert got[tid] == want, tid
        assert R.expand_weight_record(tid, R.pack_weight_record(got[tid])) == want
