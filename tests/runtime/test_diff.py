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
