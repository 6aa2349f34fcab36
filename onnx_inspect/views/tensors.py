"""Tensor summaries, histograms and differences as DataFrames and plotly figures.

Pure numpy/pandas/plotly: used for run results, compared runs and weights alike. Big tensors are
summarised exactly but histogrammed from a seeded sample, so a figure stays small and quick.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# Differences are computed in the runtime layer (oi.compare); re-exported here beside their figure.
from ..runtime.diff import DIFF_COLUMNS as DIFF_COLUMNS
from ..runtime.diff import diff_table as diff_table
from ..runtime.diff import tensor_diff as tensor_diff

#: Histograms draw from at most this many values (a seeded random sample of bigger tensors).
HIST_SAMPLES = 1_000_000
#: Summaries of tensors with more elements than this are computed in chunks (bounded extra memory).
CHUNK = 1 << 22

SUMMARY_COLUMNS = [
    "dtype", "shape", "size", "min", "max", "mean", "std", "nan", "inf", "zero_fraction",
]  # fmt: skip


def _numeric(a: np.ndarray) -> bool:
    return a.dtype.kind in "biufc"


def tensor_summary(value: Any) -> dict[str, Any]:
    """Shape, dtype, size, min/max/mean/std of finite values, NaN and ±Inf counts, zero fraction."""
    a = np.asarray(value)
    out: dict[str, Any] = {
        "dtype": a.dtype.name if a.dtype.kind != "O" else "object",
        "shape": tuple(int(d) for d in a.shape),
        "size": int(a.size),
        "min": np.nan,
        "max": np.nan,
        "mean": np.nan,
        "std": np.nan,
        "nan": 0,
        "inf": 0,
        "zero_fraction": np.nan,
    }
    if a.size == 0 or not _numeric(a):
        return out
    if a.dtype.kind == "c":
        a = np.abs(a)
    flat = a.reshape(-1)
    n_fin = 0
    total = 0.0
    lo, hi = np.inf, -np.inf
    nan = inf = zeros = 0
    # Pass 1: counts, extremes and the mean over finite values, chunk by chunk (no full-size temporaries).
    for start in range(0, flat.size, CHUNK):
        c = flat[start : start + CHUNK]
        if c.dtype.kind == "b":
            c = c.astype(np.uint8)
        zeros += int(np.count_nonzero(c == 0))
        if c.dtype.kind == "f":
            fin = np.isfinite(c)
            nfin_c = int(np.count_nonzero(fin))
            if nfin_c != c.size:
                isnan = np.isnan(c)
                nan += int(np.count_nonzero(isnan))
                inf += c.size - nfin_c - int(np.count_nonzero(isnan))
                c = c[fin]
        if c.size == 0:
            continue
        n_fin += c.size
        total += float(np.sum(c, dtype=np.float64))
        lo = min(lo, float(np.min(c)))
        hi = max(hi, float(np.max(c)))
    out.update(nan=nan, inf=inf, zero_fraction=zeros / flat.size)
    if n_fin == 0:
        return out
    mean = total / n_fin
    sq = 0.0
    for start in range(0, flat.size, CHUNK):
        c = flat[start : start + CHUNK]
        if c.dtype.kind == "f" and (nan or inf):
            c = c[np.isfinite(c)]
        d = c.astype(np.float64) - mean
        sq += float(np.dot(d, d))
    out.update(min=lo, max=hi, mean=mean, std=float(np.sqrt(sq / n_fin)))
    return out


def summary_table(values: Mapping[str, Any]) -> pd.DataFrame:
    """One summary row per tensor (index = tensor name), columns as in :func:`tensor_summary`."""
    rows = [tensor_summary(v) for v in values.values()]
    df = pd.DataFrame(
        rows, index=pd.Index(list(values.keys()), name="tensor", dtype=object), columns=SUMMARY_COLUMNS
    )
    return df


def sample_values(value: Any, max_samples: int = HIST_SAMPLES, seed: int = 0) -> tuple[np.ndarray, int]:
    """Finite values of a tensor as float64, a seeded random sample when bigger than ``max_samples``.

    Returns (values, number of values they stand for).
    """
    a = np.asarray(value)
    if not _numeric(a) or a.size == 0:
        return np.empty(0), 0
    flat = a.reshape(-1)
    if flat.dtype.kind == "c":
        flat = np.abs(flat)
    n = flat.size
    if n > max_samples:
        idx = np.random.default_rng(seed).integers(0, n, size=max_samples)
        flat = flat[np.sort(idx)]
    v = flat.astype(np.float64)
    return v[np.isfinite(v)], n


def histogram(
    value: Any,
    name: str = "",
    *,
    bins: int = 60,
    max_samples: int = HIST_SAMPLES,
    seed: int = 0,
    log_y: bool = False,
) -> go.Figure:
    """Histogram of a tensor's finite values (sampled above ``max_samples``), with NaN/Inf noted in the title.

    Bin counts are computed here, so the figure carries ``bins`` numbers instead of the raw values.
    """
    a = np.asarray(value)
    summ = tensor_summary(a)
    vals, n = sample_values(a, max_samples, seed)
    fig = go.Figure()
    if vals.size:
        lo, hi = float(vals.min()), float(vals.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        counts, edges = np.histogram(vals, bins=bins, range=(lo, hi))
        centers = (edges[:-1] + edges[1:]) / 2
        fig.add_trace(
            go.Bar(
                x=centers,
                y=counts,
                width=np.diff(edges),
                marker_line_width=0,
                hovertemplate="[%{customdata[0]:.4g}, %{customdata[1]:.4g}): %{y}<extra></extra>",
                customdata=np.stack([edges[:-1], edges[1:]], axis=1),
            )
        )
    title = html.escape(name) if name else "tensor"
    parts = [f"{summ['dtype']}{list(summ['shape'])}"]
    if n > max_samples:
        parts.append(f"sample of {max_samples:,} / {n:,} values")
    if summ["nan"] or summ["inf"]:
        parts.append(f"{summ['nan']:,} NaN, {summ['inf']:,} Inf not shown")
    if not vals.size:
        parts.append("no finite numeric values")
    fig.update_layout(
        title={"text": f"{title}<br><sup>{html.escape(', '.join(parts))}</sup>"},
        xaxis_title="value",
        yaxis_title="count",
        bargap=0,
        template="plotly_white",
        height=320,
        margin={"l": 50, "r": 20, "t": 60, "b": 40},
    )
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def diff_figure(table: pd.DataFrame, *, column: str = "max_abs_diff") -> go.Figure:
    """Bar chart of a per-tensor difference (log scale) in table order; tensors that fail allclose in red."""
    vals = table[column].astype(float)
    floor = np.nanmin(vals[vals > 0]) / 10 if (vals > 0).any() else 1e-12
    shown = vals.fillna(0).clip(lower=floor)
    colors = ["#d62728" if not ok else "#1f77b4" for ok in table["allclose"]]
    names = [html.escape(str(n)) for n in table.index]
    labels = table.attrs.get("labels", ("a", "b"))
    fig = go.Figure(
        go.Bar(
            x=list(range(len(names))),
            y=shown,
            marker_color=colors,
            customdata=np.stack([names, vals.astype(str)], axis=1) if names else None,
            hovertemplate="%{customdata[0]}<br>" + column + " = %{customdata[1]}<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": html.escape(f"{column} per tensor: {labels[0]} vs {labels[1]}")},
        xaxis={
            "title": "tensor (graph order)",
            "tickmode": "array",
            "tickvals": list(range(len(names))),
            "ticktext": names if len(names) <= 40 else [""] * len(names),
        },
        yaxis={"title": column, "type": "log"},
        template="plotly_white",
        height=340,
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
    )
    return fig
