"""Per-tensor differences (what oi.compare reports), checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from onnx_inspect.runtime.diff import tensor_diff


def test_tensor_diff_abs_rel_nan_and_shape() -> None:
    a = np.array([1.0, 2.0, 0.0, np.nan, np.inf], np.float32)
    b = np.array([1.0, 2.5, 0.0, np.nan, np.inf], np.float32)
    d = tensor_diff(a, b, rtol=1e-3, atol=1e-5)
    assert d["max_abs_diff"] == 0.5 and d["max_rel_diff"] == pytest.approx(0.2)
    assert d["nan_mismatch"] == 0 and d["mismatch"] == pytest.approx(0.2) and d["allclose"] is False
    d = tensor_diff(a, a + 1e-7)
    assert d["allclose"] is True
    b2 = b.copy()
    b2[0] = np.nan
    assert tensor_diff(a, b2)["nan_mismatch"] == 1
    d = tensor_diff(np.zeros((2, 3)), np.zeros((3, 2)))
    assert d["allclose"] is False and np.isnan(d["max_abs_diff"]) and d["shape_b"] == (3, 2)
    assert tensor_diff(np.array(["x"], dtype=object), np.array(["x"], dtype=object))["allclose"] is True


def test_inf_against_finite_is_an_infinite_difference() -> None:
    d = tensor_diff(np.array([np.inf, 1.0]), np.array([1.0, 1.0]))
    assert d["max_abs_diff"] == np.inf and d["max_rel_diff"] == np.inf and d["allclose"] is False


def test_tensor_diff_in_blocks_equals_one_block(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A tensor larger than a block gets the same row as one compared at once (NaN, Inf, a far value)."""
    from onnx_inspect.runtime import diff

    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 300)).astype(np.float32)
    y = x + rng.standard_normal(x.shape).astype(np.float32) * 1e-4
    x[0, 3], y[5, 7], x[6, 299], y[6, 299] = np.nan, np.nan, np.inf, np.inf
    y[2, 11] = 40.0
    whole = diff.tensor_diff(x, y)
    monkeypatch.setattr(diff, "BLOCK", 256)
    blocked = diff.tensor_diff(x, y)
    assert blocked.keys() == whole.keys()
    for k, v in whole.items():
        if isinstance(v, float):
            assert np.isclose(blocked[k], v, rtol=1e-12), k
        else:
            assert blocked[k] == v, k
    assert whole["nan_mismatch"] == 2 and not whole["allclose"] and whole["max_abs_diff"] > 30
