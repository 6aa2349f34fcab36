"""Accuracy and quantization facts for display: per-node sections, graph overlays and plotly figures.

Inputs are the tables the runtime computes (``oi.compare(a, b)``, ``oi.quantization(m)``,
``runtime.quant_error.quantization_error``); nothing here runs a model. Sections follow the record
contract (``id``, ``title``, ``columns``, ``rows``, ``units``, ``note``) and plug into
``views.records.node_records(m, sources=[...])`` as FactSources ``(m, node_ids) -> {node_id: [Section]}``.
Overlays are ``{node_id: number}`` for ``GraphView.set_overlay``. Model text is escaped before plotly
sees it (it renders a subset of HTML).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..errors import InspectError
from .records import jsonable

Section = dict[str, Any]
FactSource = Callable[[Any, Iterable[str]], dict[str, list[Section]]]


def _esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _num(v: Any) -> float | int | str | bool | None:
    """A JSON-safe cell: NaN becomes None, inf "inf" (an exact match's SQNR), numpy scalars Python ones."""
    out: float | int | str | bool | None = jsonable(v, inf_text=True)
    return out


def _section(sid: str, title: str, columns: list[str], rows: list[list[Any]], units: list[str | None],
             note: str | None = None) -> Section:  # fmt: skip
    sec: Section = {"id": sid, "title": title, "columns": columns, "rows": rows, "units": units}
    if note:
        sec["note"] = note
    return sec


# -- quantization parameters (model only) --------------------------------------------------------------


def quant_source(errors: pd.DataFrame | None = None) -> FactSource:
    """FactSource of section ``"quant"``: the quantized tensors a node reads or writes, with scale, zero
    point, dtype and axis; with ``errors`` (a quantization_error table) also clipped share and SQNR."""

    def source(m: Any, node_ids: Iterable[str]) -> dict[str, list[Section]]:
        from ..model.quant import quantization

        table = quantization(m)
        if table.empty:
            return {}
        nodes = m.nodes
        out: dict[str, list[Section]] = {}
        for nid in node_ids:
            if nid not in nodes.index:
                continue
            names = [*nodes.at[nid, "inputs"], *nodes.at[nid, "outputs"]]
            graph = nodes.at[nid, "graph"]
            rows: list[list[Any]] = []
            for name in dict.fromkeys(n for n in names if n):
                try:
                    tid = m.tensor_id(name, graph)
                except InspectError:
                    continue
                if tid not in table.index:
                    continue
                r = table.loc[tid]
                scale = r["scale"] if r["scale"] is not None else (
                    f"{r['scale_min']:.3g}..{r['scale_max']:.3g}" if r["scale_min"] is not None else "dynamic"
                )  # fmt: skip
                row = [tid, r["dtype"], _num(scale), _num(r["zero_point"]), _num(r["axis"]), r["role"]]
                if errors is not None:
                    e = errors.loc[tid] if tid in errors.index else None
                    row += [
                        _num(e["clipped"]) if e is not None else None,
                        _num(e["sqnr_db"]) if e is not None else None,
                    ]
                rows.append(row)
            if rows:
                cols = ["tensor", "dtype", "scale", "zero point", "axis", "role"]
                units: list[str | None] = [None] * 6
                if errors is not None:
                    cols += ["clipped", "SQNR"]
                    units += ["%", "dB"]
                out[nid] = [_section("quant", "Quantization", cols, rows, units)]
        return out

    return source


#: The model-only quantization FactSource (scale, zero point, dtype, axis per quantized tensor).
quant_facts: FactSource = quant_source()


# -- two-model comparison ------------------------------------------------------------------------------


def accuracy_source(table: pd.DataFrame) -> FactSource:
    """FactSource of section ``"accuracy"`` from an ``oi.compare(a, b)`` table: per node of ``a``, its
    outputs' counterpart in ``b``, how they were matched, max abs/rel difference, cosine and allclose."""
    _check_compare(table)
    first = first_row(table)
    note = f"rtol {table.attrs.get('rtol')}, atol {table.attrs.get('atol')}"
    labels = table.attrs.get("labels")
    if labels:
        note = f"{labels[0]} vs {labels[1]}; {note}"

    def source(m: Any, node_ids: Iterable[str]) -> dict[str, list[Section]]:
        wanted = set(node_ids)
        by_node: dict[str, list[list[Any]]] = {}
        for tid, r in table.iterrows():
            if r["node"] in wanted:
                by_node.setdefault(r["node"], []).append([
                    tid, _num(r["tensor_b"]), r["match"], _num(r["max_abs_diff"]), _num(r["max_rel_diff"]),
                    _num(r["cosine"]), ("yes" if r["allclose"] else "no") if r["match"] != "unmatched" else None,
                ])  # fmt: skip
        cols = ["tensor", "in b", "matched by", "max abs diff", "max rel diff", "cosine", "allclose"]
        out: dict[str, list[Section]] = {}
        for nid, rows in by_node.items():
            extra = "; first divergence" if first is not None and table.at[first, "node"] == nid else ""
            out[nid] = [_section("accuracy", "Accuracy", cols, rows, [None] * 7, note + extra)]
        return out

    return source


def _check_compare(table: pd.DataFrame) -> None:
    if not isinstance(table, pd.DataFrame) or "node" not in table.columns or "match" not in table.columns:
        raise InspectError(
            "expected the table of oi.compare(a, b) with two models (columns node, match, ...)"
        )


def first_row(table: pd.DataFrame) -> str | None:
    """The first matched tensor of a compare table that is not allclose (what first_divergence returns)."""
    bad = table[(table["match"] != "unmatched") & ~table["allclose"].astype(bool)]
    return str(bad.index[0]) if len(bad) else None


def accuracy_overlay(table: pd.DataFrame, column: str = "max_rel_diff") -> dict[str, float]:
    """``{node_id: value}`` of a compare table (the worst of a node's outputs) for GraphView.set_overlay.

    ``column``: ``max_abs_diff``, ``max_rel_diff``, ``mean_abs_diff``, ``mismatch`` or ``cosine``
    (for cosine the node gets ``1 - cosine``, so brighter means further apart). Unmatched tensors are left out.
    """
    _check_compare(table)
    allowed = ("max_abs_diff", "max_rel_diff", "mean_abs_diff", "mismatch", "cosine")
    if column not in allowed:
        raise InspectError(f"overlay column '{column}' is not one of {list(allowed)}")
    out: dict[str, float] = {}
    for node, match, v in zip(table["node"], table["match"], table[column], strict=True):
        if match == "unmatched" or v is None or not np.isfinite(float(v)):
            continue
        val = 1.0 - float(v) if column == "cosine" else float(v)
        out[node] = max(out.get(node, -math.inf), val)
    return out


def quant_overlay(errors: pd.DataFrame, column: str = "clipped") -> dict[str, float]:
    """``{node_id: value}`` from a quantization_error table: ``clipped`` (share), ``rms_error``,
    ``max_abs_error`` or ``sqnr_db`` (lower is worse); the worst value per node."""
    allowed = ("clipped", "clipped_low", "clipped_high", "rms_error", "max_abs_error", "sqnr_db")
    if column not in allowed:
        raise InspectError(f"overlay column '{column}' is not one of {list(allowed)}")
    pick = min if column == "sqnr_db" else max
    out: dict[str, float] = {}
    for node, v in zip(errors["node"], errors[column], strict=True):
        if v is None or np.isnan(float(v)):
            continue
        out[node] = pick(out[node], float(v)) if node in out else float(v)
    return out


# -- figures -------------------------------------------------------------------------------------------


def figure_divergence(table: pd.DataFrame, column: str = "max_rel_diff") -> go.Figure:
    """Difference per tensor in topological order (log scale), not-allclose points in red, the first
    divergence marked; unmatched tensors are gaps."""
    _check_compare(table)
    if column not in table.columns:
        raise InspectError(f"no column '{column}' in the compare table")
    t = table[table["match"] != "unmatched"]
    y = pd.to_numeric(t[column], errors="coerce").astype(float)
    pos = [table.index.get_loc(i) for i in t.index]
    ok = t["allclose"].astype(bool).to_numpy()
    hover = [
        f"{_esc(i)}<br>{_esc(op)} {_esc(n)}"
        for i, op, n in zip(t.index, t["op_type"], t["node"], strict=True)
    ]
    fig = go.Figure()
    for mask, name, color in ((ok, "allclose", "#4c78a8"), (~ok, "not allclose", "#e45756")):
        fig.add_trace(go.Scatter(
            x=np.asarray(pos)[mask], y=y.to_numpy()[mask], mode="markers", name=name, marker={"color": color},
            text=np.asarray(hover, dtype=object)[mask], hovertemplate="%{text}<br>" + column + " %{y:.3g}<extra></extra>",
        ))  # fmt: skip
    first = first_row(table)
    if first is not None:
        fig.add_vline(x=table.index.get_loc(first), line_dash="dash", line_color="#e45756",
                      annotation_text=_esc(f"first divergence: {first}"))  # fmt: skip
    labels = table.attrs.get("labels") or ("a", "b")
    fig.update_layout(
        title=_esc(f"{column} per tensor, {labels[0]} vs {labels[1]}"),
        xaxis_title="tensor (topological order)", yaxis_title=column, yaxis_type="log", template="plotly_white",
    )  # fmt: skip
    return fig


def figure_quant_error(errors: pd.DataFrame) -> go.Figure:
    """SQNR (dB, bars) and clipped share (%, markers on a second axis) per quantized activation."""
    names = [_esc(i) for i in errors.index]
    sqnr = pd.to_numeric(errors["sqnr_db"], errors="coerce").replace([np.inf], np.nan)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=sqnr, name="SQNR (dB)", marker_color="#4c78a8",
                         hovertemplate="%{x}<br>SQNR %{y:.1f} dB<extra></extra>"))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=names, y=pd.to_numeric(errors["clipped"], errors="coerce") * 100, name="clipped (%)", yaxis="y2",
        mode="markers", marker={"color": "#e45756", "size": 9}, hovertemplate="%{x}<br>clipped %{y:.2f}%<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(
        title="Quantization error per activation", template="plotly_white", xaxis_tickangle=-45,
        yaxis={"title": "SQNR (dB, higher is better)"},
        yaxis2={"title": "clipped (%)", "overlaying": "y", "side": "right", "rangemode": "tozero"},
    )  # fmt: skip
    return fig


def table_json(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a compare or quantization table as JSON-safe dicts (``tensor`` first; NaN -> None, tuples -> lists)."""

    def cell(v: Any) -> Any:
        if isinstance(v, (tuple, list)):
            return [cell(x) for x in v]
        return v if isinstance(v, str) else _num(v)

    return [{"tensor": str(i), **{str(c): cell(v) for c, v in r.items()}} for i, r in table.iterrows()]


def sections_json(sections: Mapping[str, list[Section]]) -> dict[str, list[Section]]:
    """The sections with every cell JSON-safe (for embedding in a report)."""
    return {k: [{**s, "rows": [[_num(c) if not isinstance(c, str) else c for c in r] for r in s["rows"]]} for s in v]
            for k, v in sections.items()}  # fmt: skip


__all__ = [
    "accuracy_overlay", "accuracy_source", "figure_divergence", "figure_quant_error", "first_row", "quant_facts",
    "quant_overlay", "quant_source", "sections_json", "table_json",
]  # fmt: skip
