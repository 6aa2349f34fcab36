"""Plotly figures of node costs: FLOPs by op type, the activation-memory timeline, a roofline scatter.

Inputs are the DataFrames of ``m.costs``, ``m.memory_plan`` and ``runtime.roofline.achieved_flops``; model text
is escaped before it reaches plotly (it renders a subset of HTML in labels and hover text).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..errors import InspectError
from ..model.costs import by_op_type
from .profile_figures import _colors


def _esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _mb(b: float) -> float:
    """Bytes in MB (decimal, as every size the package prints: views.details.fmt_bytes)."""
    return b / 1e6


def op_types(costs: pd.DataFrame, top: int = 20) -> go.Figure:
    """Horizontal bars: GFLOPs per op type (largest first), hover with MACs, nodes and share."""
    g = by_op_type(costs)
    g = g[g["flops"].fillna(0) > 0].head(top).iloc[::-1]  # no-arithmetic and unknown ops: see the title
    colors = _colors(list(g.index))
    fig = go.Figure(
        go.Bar(
            x=(g["flops"].astype(float) / 1e9).tolist(),
            y=[_esc(k) for k in g.index],
            orientation="h",
            marker_color=[colors[k] for k in g.index],
            customdata=np.column_stack(
                [
                    g["nodes"],
                    (g["macs"].astype(float) / 1e9).fillna(0),
                    g["flops_share"].astype(float).fillna(0) * 100,
                ]
            ),
            hovertemplate="%{y}: %{x:.3f} GFLOPs, %{customdata[1]:.3f} GMACs, %{customdata[0]} nodes, "
            "%{customdata[2]:.1f}%<extra></extra>",
        )
    )
    tot = costs.attrs.get("totals") or {}
    unknown = f"; {tot['unknown_nodes']} node(s) without a count" if tot.get("unknown_nodes") else ""
    fig.update_layout(
        title=f"FLOPs by op type ({tot.get('flops', 0) / 1e9:,.3f} GFLOPs in all{unknown})",
        xaxis_title="GFLOPs",
        height=max(300, 24 * len(g) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


def memory_timeline(plan: pd.DataFrame, m: Any = None, top: int = 12) -> go.Figure:
    """Live activation bytes at each execution step (area), the peak marked, and the ``top`` largest
    activations as lifetime bars below it; ``m`` adds each step's op type to the hover text."""
    live = np.asarray(plan.attrs.get("live", []), dtype=float)
    steps = list(plan.attrs.get("steps", []))
    if not len(live):
        raise InspectError("the memory plan has no steps (the main graph has no nodes)")
    ops = m.nodes["op_type"].reindex(steps).tolist() if m is not None else [""] * len(steps)
    hover = [f"{_esc(s)} ({_esc(o)})" if o else _esc(s) for s, o in zip(steps, ops, strict=True)]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=list(range(len(live))),
            y=[_mb(v) for v in live],
            mode="lines",
            fill="tozeroy",
            name="live activations",
            customdata=hover,
            hovertemplate="step %{x}: %{y:.2f} MB live<br>%{customdata}<extra></extra>",
        )
    )
    peak = int(plan.attrs.get("peak_step", int(np.argmax(live))))
    fig.add_trace(
        go.Scatter(
            x=[peak],
            y=[_mb(live[peak])],
            mode="markers+text",
            marker={"size": 10, "color": "crimson"},
            text=[f"peak {_mb(live[peak]):.2f} MB"],
            textposition="top center",
            name="peak",
            customdata=[hover[peak]],
            hovertemplate="peak at step %{x}: %{y:.2f} MB<br>%{customdata}<extra></extra>",
        )
    )
    big = plan[plan["bytes"].notna()].sort_values("bytes", ascending=False).head(top)
    for _, r in big.iterrows():
        fig.add_trace(
            go.Scatter(
                x=[max(r["first"], 0), r["last"]],
                y=[-_mb(float(r["bytes"]))] * 2,
                mode="lines",
                line={"width": 4},
                showlegend=False,
                hovertemplate=f"{_esc(r['name'])}: {_mb(float(r['bytes'])):.2f} MB, steps "
                f"{int(r['first'])}..{int(r['last'])}<extra></extra>",
            )
        )
    unknown = plan.attrs.get("unknown", 0)
    note = f" (lower bound: {unknown} activation(s) of unknown size)" if unknown else ""
    fig.update_layout(
        title=f"Activation memory by execution step, peak {_mb(live[peak]):,.2f} MB{note}",
        xaxis_title="execution step (node order)",
        yaxis_title="MB (largest activations' lifetimes below 0)",
        height=420,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


def roofline(achieved: pd.DataFrame, peak: Mapping[str, Any]) -> go.Figure:
    """Log-log scatter of achieved GFLOP/s against arithmetic intensity per node, under the measured roofs
    (``peak["gflops"]`` compute, ``peak["gbps"]`` memory bandwidth)."""
    df = achieved[achieved["gflops"].notna() & achieved["intensity"].notna()]
    df = df[(df["gflops"] > 0) & (df["intensity"] > 0)]
    if df.empty:
        raise InspectError(
            "no profiled node has both a FLOP count and a time: nothing to place on a roofline"
        )
    gf, bw = float(peak["gflops"]), float(peak["gbps"])
    fig = go.Figure()
    colors = _colors(sorted({str(o) for o in df["op_type"]}))
    for key, g in df.groupby("op_type", sort=True):
        op = str(key)
        fig.add_trace(
            go.Scatter(
                x=g["intensity"].astype(float).tolist(),
                y=g["gflops"].astype(float).tolist(),
                mode="markers",
                name=_esc(op),
                marker={"color": colors[op], "size": 8, "opacity": 0.8},
                customdata=np.column_stack([[_esc(i) for i in g.index], g["mean_us"].astype(float)]),
                hovertemplate="%{customdata[0]}<br>%{y:.2f} GFLOP/s at %{x:.2f} FLOP/byte, "
                "%{customdata[1]:.1f} us<extra></extra>",
            )
        )
    lo = min(float(df["intensity"].min()), gf / bw) / 2
    hi = max(float(df["intensity"].max()), gf / bw) * 2
    xs = np.geomspace(lo, hi, 64)
    fig.add_trace(
        go.Scatter(
            x=xs.tolist(),
            y=np.minimum(gf, bw * xs).tolist(),
            mode="lines",
            name=f"roof: {gf:,.1f} GFLOP/s, {bw:,.1f} GB/s",
            line={"color": "black", "dash": "dash"},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title=f"Roofline: achieved GFLOP/s per node ({_esc(peak.get('provider', ''))}, measured peak)",
        xaxis={"type": "log", "title": "arithmetic intensity (FLOP / byte moved)"},
        yaxis={"type": "log", "title": "achieved GFLOP/s"},
        height=480,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


__all__ = ["memory_timeline", "op_types", "roofline"]
