"""Differences between two runs' tensors: max absolute/relative difference, NaN placement, allclose.

Pure numpy/pandas, so ``oi.compare`` (runtime) computes its table without importing the views layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

DIFF_COLUMNS = [
    "dtype", "shape_a", "shape_b", "max_abs_diff", "max_rel_diff", "mean_abs_diff", "mismatch",
    "nan_mismatch", "allclose",
]  # fmt: skip


def _unknown_row(dtype: str, shape_a: Any, shape_b: Any) -> dict[str, Any]:
    """A difference row with nothing measured yet (and not close): the start of every row."""
    return {
        "dtype": dtype,
        "shape_a": shape_a,
        "shape_b": shape_b,
        "max_abs_diff": np.nan,
        "max_rel_diff": np.nan,
        "mean_abs_diff": np.nan,
        "mismatch": np.nan,
        "nan_mismatch": 0,
        "allclose": False,
    }


def _numeric(a: np.ndarray) -> bool:
    return a.dtype.kind in "biufc"


def tensor_diff(a: Any, b: Any, *, rtol: float = 1e-3, atol: float = 1e-5) -> dict[str, Any]:
    """Max/mean absolute and max relative difference of two tensors, NaN placement and allclose.

    Relative difference is ``|a - b| / max(|a|, |b|)`` per element (0 where both are 0). Positions
    where exactly one side is NaN count as ``nan_mismatch`` and fail ``allclose``.
    """
    x, y = np.asarray(a), np.asarray(b)
    out = _unknown_row(
        x.dtype.name if x.dtype == y.dtype else f"{x.dtype.name}/{y.dtype.name}",
        tuple(int(d) for d in x.shape),
        tuple(int(d) for d in y.shape),
    )
    if x.shape != y.shape:
        return out
    if not (_numeric(x) and _numeric(y)):
        eq = bool(np.array_equal(x, y))
        out.update(allclose=eq, mismatch=0.0 if eq else np.nan)
        return out
    if x.size == 0:
        out.update(max_abs_diff=0.0, max_rel_diff=0.0, mean_abs_diff=0.0, mismatch=0.0, allclose=True)
        return out
    # in blocks: the float64 temporaries of one block, not of the whole tensor (~80 bytes per element)
    fx, fy = x.reshape(-1), y.reshape(-1)
    parts = [_block(fx[i : i + BLOCK], fy[i : i + BLOCK], rtol, atol) for i in range(0, fx.size, BLOCK)]
    valid = sum(p[0] for p in parts)
    some = [p for p in parts if p[0]]
    with np.errstate(invalid="ignore"):
        max_rel = float(np.nanmax([p[2] for p in some])) if some else 0.0
    out.update(
        max_abs_diff=float(np.max([p[1] for p in some])) if some else 0.0,  # NaN propagates, as in one block
        max_rel_diff=max_rel,
        mean_abs_diff=sum(p[3] for p in parts) / valid if valid else 0.0,
        mismatch=float(1.0 - sum(p[4] for p in parts) / x.size),
        nan_mismatch=sum(p[5] for p in parts),
        allclose=all(p[6] for p in parts),
    )
    return out


#: Elements compared at a time by ``tensor_diff`` (and ``accuracy.cosine``): ~80 bytes of float64 temporaries
#: per element, so ~20 MB per block (1 << 20 made first_divergence's peak 2.01x its largest chunk on
#: ResNet-50; 1 << 18: 1.49x).
BLOCK = 1 << 18


def _block(
    x: np.ndarray, y: np.ndarray, rtol: float, atol: float
) -> tuple[int, float, float, float, int, int, bool]:
    """(values not NaN on either side, max abs diff, max rel diff, sum of abs diffs, close count,
    NaN mismatches, allclose) of two flat blocks."""
    xf = x.astype(np.complex128 if x.dtype.kind == "c" or y.dtype.kind == "c" else np.float64)
    yf = y.astype(xf.dtype)
    nx, ny = np.isnan(xf), np.isnan(yf)
    nan_mismatch = int(np.count_nonzero(nx != ny))
    both = ~(nx | ny)
    xv, yv = xf[both], yf[both]
    same_inf = np.isinf(xv) & (xv == yv)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        diff = np.abs(xv - yv)
        diff[same_inf] = 0.0
        scale = np.maximum(np.abs(xv), np.abs(yv))
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), 0.0)
    rel[same_inf] = 0.0
    rel[np.isinf(diff)] = np.inf  # an Inf against a finite value
    # values near the float64 limits overflow x - y inside isclose: they are simply not close
    with np.errstate(over="ignore", invalid="ignore"):
        close = np.isclose(xf, yf, rtol=rtol, atol=atol, equal_nan=True)
    with np.errstate(invalid="ignore"):
        max_rel = float(np.nanmax(rel)) if rel.size else 0.0
    n_close = int(np.count_nonzero(close))
    return (
        int(diff.size), float(diff.max()) if diff.size else 0.0, max_rel,
        float(diff.sum()) if diff.size else 0.0, n_close, nan_mismatch, n_close == close.size,
    )  # fmt: skip


def diff_table(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    labels: Sequence[str] = ("a", "b"),
) -> pd.DataFrame:
    """Per-tensor differences between two result dicts (index = tensor name, in ``a``'s order).

    ``mismatch`` is the fraction of elements outside ``rtol``/``atol``. The labels are kept in
    ``df.attrs["labels"]``. Tensors present on one side only get ``allclose = False`` and NaN diffs.
    """
    names = list(dict.fromkeys([*a.keys(), *b.keys()]))
    rows = []
    for n in names:
        if n in a and n in b:
            rows.append(tensor_diff(a[n], b[n], rtol=rtol, atol=atol))
        else:
            have = a.get(n) if n in a else b.get(n)
            shape = tuple(np.asarray(have).shape)
            rows.append(
                _unknown_row(
                    np.asarray(have).dtype.name, shape if n in a else None, shape if n in b else None
                )
            )
    df = pd.DataFrame(rows, index=pd.Index(names, name="tensor", dtype=object), columns=DIFF_COLUMNS)
    df["allclose"] = df["allclose"].astype(bool)
    df.attrs["labels"] = tuple(labels)
    df.attrs["rtol"], df.attrs["atol"] = rtol, atol
    return df
