"""Plotly figures of an ``oi.Profile``: time by op type, the slowest nodes, one run's timeline, comparisons.

Functions take a Profile (or a ProfileComparison) and return a ``plotly.graph_objects.Figure``;
``Profile.figure_*`` are thin conveniences over them. Model text (node names, op types) is escaped
before it reaches plotly, which renders a subset of HTML in labels and hover text.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from ..runtime.providers import short_provider

if TYPE_CHECKING:
    from ..runtime.profile import Profile, ProfileComparison

_PALETTE = qualitative.Plotly + qualitative.D3 + qualitative.Set3


def _esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _colors(keys: list[str]) -> dict[str, str]:
    """A stable colour per key (op type), independent of which figure shows it."""
    return {k: _PALETTE[sum(map(ord, k)) % len(_PALETTE)] for k in keys}


def _title(p: Profile, what: str) -> str:
    opt = p.meta.get("optimization")
    provs = ", ".join(short_provider(x) for x in (p.meta.get("providers") or []))
    extra = ", ".join(x for x in (opt and f"optimization {opt}", provs) if x)
    return _esc(f"{what} - {p.n_runs} runs, {p.mean_run_us:,.0f} us/run" + (f" ({extra})" if extra else ""))


def op_types(p: Profile, top: int = 20, by: str = "kernel") -> go.Figure:
    """Horizontal bars of mean time per run by op type (the rest summed as 'other'), hover with p50/p90."""
    t = p.by_op_type(by=by)  # type: ignore[arg-type]
    if len(t) > top:
        rest = t.iloc[top:]
        t = t.iloc[:top].copy()
        t.loc["other"] = {
            "calls": rest["calls"].sum(), "mean_us": rest["mean_us"].sum(), "p50_us": np.nan, "p90_us": np.nan,
            "share": rest["share"].sum(), "providers": "", "nodes": rest["nodes"].sum(),
        }  # fmt: skip
    labels = [_esc(k) for k in t.index]
    custom = np.column_stack(
        [
            t["calls"].round(2), t["p50_us"].round(1), t["p90_us"].round(1), (t["share"] * 100).round(1),
            [_esc(short_provider(x)) for x in t["providers"]],
        ]
    )  # fmt: skip
    colors = _colors([str(k) for k in t.index])
    fig = go.Figure(
        go.Bar(
            x=t["mean_us"], y=labels, orientation="h",
            marker_color=[colors[str(k)] for k in t.index],
            customdata=custom,
            hovertemplate="<b>%{y}</b><br>mean %{x:,.1f} us/run<br>p50 %{customdata[1]} us, p90 %{customdata[2]} us"
            "<br>%{customdata[0]} calls/run, %{customdata[3]}% of kernel time<br>%{customdata[4]}<extra></extra>",
            text=[f"{s:.1%}" for s in t["share"]], textposition="auto",
        )
    )  # fmt: skip
    fig.update_layout(
        title=_title(p, "Time by op type"), xaxis_title="mean time per run (us)",
        yaxis={"autorange": "reversed"}, height=max(300, 24 * len(t) + 120), margin={"l": 10},
    )  # fmt: skip
    return fig


def top_nodes(p: Profile, n: int = 20) -> go.Figure:
    """Horizontal bars of the ``n`` model nodes with the most time per run, coloured by op type."""
    b = p.by_node().head(n)
    fig = go.Figure()
    if b.empty:
        fig.update_layout(title=_title(p, "Slowest nodes (none mapped to model nodes)"))
        return fig
    labels = {nid: _esc(f"{nid} ({op})") for nid, op in zip(b.index, b["op_type"], strict=True)}
    colors = _colors([str(x) for x in b["op_type"].unique()])
    for op, part in b.groupby("op_type", sort=False):
        custom = np.column_stack(
            [
                part["p50_us"].round(1), part["p90_us"].round(1), part["calls"].round(2),
                (part["share"] * 100).round(1), [_esc(x) for x in part["kernel"]],
                [_esc(short_provider(x)) for x in part["provider"]], [len(x) for x in part["fused_with"]],
            ]
        )  # fmt: skip
        fig.add_bar(
            x=part["mean_us"], y=[labels[i] for i in part.index], orientation="h", name=_esc(op),
            marker_color=colors[str(op)], customdata=custom,
            error_x={"type": "data", "symmetric": False,
                     "array": np.maximum(part["p90_us"] - part["mean_us"], 0),
                     "arrayminus": np.maximum(part["mean_us"] - part["p50_us"], 0), "thickness": 1},
            hovertemplate="<b>%{y}</b><br>mean %{x:,.1f} us/run (p50 %{customdata[0]}, p90 %{customdata[1]})"
            "<br>%{customdata[2]} calls/run, %{customdata[3]}% of kernel time<br>kernel %{customdata[4]} on "
            "%{customdata[5]}<br>%{customdata[6]} other model nodes fused in<extra></extra>",
        )  # fmt: skip
    order = [labels[i] for i in b.index]
    fig.update_layout(
        title=_title(p, f"Slowest {len(b)} nodes"), xaxis_title="mean time per run (us); whiskers p50 to p90",
        yaxis={"categoryorder": "array", "categoryarray": order, "autorange": "reversed"},
        height=max(300, 24 * len(b) + 120), legend_title="op type", barmode="overlay", margin={"l": 10},
    )  # fmt: skip
    return fig


def timeline(p: Profile, run: int = 0) -> go.Figure:
    """One run as a Gantt chart: a bar per kernel at its start, a lane per thread and nesting depth."""
    if not 0 <= run < p.n_runs:
        from ..errors import InspectError

        raise InspectError(f"run={run} is out of range; this profile has runs 0..{p.n_runs - 1}")
    ev = p.events[p.events["run"] == run]
    threads = {t: k for k, t in enumerate(dict.fromkeys(ev["thread"]))}
    lane = [
        f"thread {threads[t]}" + (f" / body {d}" if d else "")
        for t, d in zip(ev["thread"], ev["depth"], strict=True)
    ]
    ev = ev.assign(_lane=lane)
    colors = _colors([str(x) for x in ev["op_type"].unique()])
    fig = go.Figure()
    for op, part in ev.groupby("op_type", sort=False):
        who = [_esc(n if n is not None else f"{o} (inserted)" if i else f"{o} (unmatched)")
               for n, o, i in zip(part["node_id"], part["ort_name"], part["inserted"], strict=True)]  # fmt: skip
        custom = np.column_stack(
            [
                who,
                part["self_us"].round(1),
                [_esc(short_provider(x)) for x in part["provider"]],
                part["mapping"],
            ]
        )
        fig.add_bar(
            base=part["start_us"], x=part["dur_us"].clip(lower=1), y=part["_lane"], orientation="h",
            name=_esc(op), marker_color=colors[str(op)], customdata=custom,
            hovertemplate="<b>%{customdata[0]}</b><br>start %{base:,} us, %{x:,} us (self %{customdata[1]})"
            "<br>%{customdata[2]}, mapping %{customdata[3]}<extra>" + _esc(op) + "</extra>",
        )  # fmt: skip
    total = float(cast("float", p.runs.at[run, "dur_us"]))
    lanes = sorted(set(lane), key=lambda s: (s.split(" / ")[0], s))
    fig.update_layout(
        title=_esc(f"Run {run}: {total:,.0f} us, {len(ev)} kernels"), barmode="overlay",
        xaxis_title="time since the run started (us)", xaxis_range=[0, max(total, 1.0)],
        yaxis={"categoryorder": "array", "categoryarray": lanes, "autorange": "reversed"},
        height=max(260, 60 * len(lanes) + 160), legend_title="op type",
    )  # fmt: skip
    return fig


def compare(c: ProfileComparison, top: int = 15) -> go.Figure:
    """Grouped bars, per model op type, of two profiles' mean time per run."""
    t = c.by_op_type.head(top)
    a, b = (_esc(x) for x in c.labels)
    labels = [_esc(k) for k in t.index]
    ratio = ["" if pd.isna(r) else f"x{r:.2f}" for r in t["ratio"]]
    fig = go.Figure()
    fig.add_bar(x=t["a_mean_us"], y=labels, orientation="h", name=a,
                hovertemplate="<b>%{y}</b><br>" + a + ": %{x:,.1f} us/run<extra></extra>")  # fmt: skip
    fig.add_bar(x=t["b_mean_us"], y=labels, orientation="h", name=b, text=ratio, textposition="outside",
                hovertemplate="<b>%{y}</b><br>" + b + ": %{x:,.1f} us/run (%{text})<extra></extra>")  # fmt: skip
    fig.update_layout(
        title=_esc(f"{c.labels[0]}: {c.mean_run_us[0]:,.0f} us/run vs {c.labels[1]}: {c.mean_run_us[1]:,.0f} us/run"),
        barmode="group", xaxis_title="mean time per run (us)", yaxis={"autorange": "reversed"},
        height=max(300, 36 * len(t) + 140), legend_title="profile",
    )  # fmt: skip
    return fig
