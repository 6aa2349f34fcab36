"""What the Inspector's Costs, Accuracy and Optimized tabs show, gathered for ``oi.report``.

:func:`report_facts` turns the tabs' inputs (cost dims, an ``oi.compare`` table, a quantization-error
table, an ``oi.Optimized``) into the three things a report carries besides the profile: per-node
FactSources (sections in each node's details), overlays for the page's overlay switch, and analyses
(titled tables and plotly figures). Every value comes from the functions the tabs call
(``model.costs``, ``views.accuracy_figures``, ``views.cost_figures``, ``Optimized.facts``); nothing is
computed a second way. Tables travel as record Sections (``id``, ``title``, ``columns``, ``rows``,
``units``, ``note``), so the page draws them with ``details.ts``' ``renderSection`` (text escaped).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import InspectError
from .views.records import FactSource, num

#: Rows of a table carried in a report (the rest is counted in the table's note).
MAX_TABLE_ROWS = 500
#: Cost overlays offered in a report: column -> (menu label, unit).
COST_OVERLAYS: dict[str, tuple[str, str]] = {"macs": ("MACs", "MAC"), "flops": ("FLOPs", "FLOP")}
#: Compare-table columns shown in the report's accuracy table.
ACCURACY_COLUMNS = (
    "node",
    "op_type",
    "match",
    "max_abs_diff",
    "max_rel_diff",
    "cosine",
    "allclose",
    "reason",
)


@dataclass
class ReportFacts:
    """Per-node sources, overlays ({key: spec with a ``menu`` label}) and analyses for one report."""

    sources: list[FactSource] = field(default_factory=list)
    overlays: dict[str, dict[str, Any]] = field(default_factory=dict)
    analyses: list[dict[str, Any]] = field(default_factory=list)


def _cell(v: Any) -> str | int | float | None:
    """A JSON-safe table cell: text stays text, numbers go through ``records.num``, tuples are joined."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (tuple, list, set, frozenset)):
        return ", ".join(str(x) for x in v)
    if isinstance(v, Mapping):
        return ", ".join(f"{k}={x}" for k, x in v.items())
    if isinstance(v, (numbers.Number, np.generic)):
        return num(v)
    return str(v)


def table_section(
    df: pd.DataFrame,
    title: str,
    *,
    sid: str = "table",
    index: str | None = None,
    columns: Sequence[str] | None = None,
    units: Mapping[str, str] | None = None,
    note: str | None = None,
    max_rows: int = MAX_TABLE_ROWS,
) -> dict[str, Any]:
    """A DataFrame as a record Section (JSON-safe cells, at most ``max_rows`` rows); ``index`` names
    the index column (left out when None), ``units`` maps a column to its unit ("B", "%", "dB", ...)."""
    if not isinstance(df, pd.DataFrame):
        raise InspectError(f"report table {title!r} must be a pandas DataFrame, not {type(df).__name__}")
    cols = [c for c in (columns if columns is not None else df.columns) if c in df.columns]
    head = df.head(max_rows)
    rows: list[list[str | int | float | None]] = [
        [*([str(i)] if index is not None else []), *(_cell(v) for v in r)]
        for i, r in zip(head.index, head[cols].itertuples(index=False, name=None), strict=True)
    ]
    unit_of = units or {}
    sec: dict[str, Any] = {
        "id": str(sid),
        "title": str(title),
        "columns": ([index] if index is not None else []) + [str(c) for c in cols],
        "rows": rows,
        "units": ([None] if index is not None else []) + [unit_of.get(str(c)) for c in cols],
    }
    left = len(df) - len(head)
    text = " ".join(x for x in (note, f"{left} more row(s) left out." if left > 0 else None) if x)
    if text:
        sec["note"] = text
    return sec


def analysis(
    aid: str, title: str, tables: Sequence[dict[str, Any]] = (), figures: Sequence[Any] = (), note: str = ""
) -> dict[str, Any]:
    """One analysis of a report: titled tables (record Sections, see :func:`table_section`) and plotly
    figures (``go.Figure`` or their JSON dicts), shown in the page's Analyses section."""
    from .reporting import figure_json

    return {
        "id": str(aid),
        "title": str(title),
        "note": str(note),
        "tables": list(tables),
        "figures": [figure_json(f) for f in figures],
    }


def _spec(values: Mapping[str, Any], menu: str, **how: Any) -> dict[str, Any]:
    return {"values": dict(values), "label": menu, "menu": menu, **how}


def _same_model(m: Any, table: Any, arg: str, how: str) -> None:
    """Refuse a table of another model: its ``node`` column names no node of ``m``."""
    if not isinstance(table, pd.DataFrame) or "node" not in table.columns:
        raise InspectError(f"{arg}= must be the table of {how}, not {type(table).__name__}")
    nodes = [n for n in table["node"] if isinstance(n, str)]
    if nodes and not any(n in m.nodes.index for n in nodes):
        raise InspectError(
            f"{arg}=: the table's node ids match no node of this model (e.g. {nodes[0]!r}); pass {how} of this model"
        )


def costs_facts(m: Any, dims: Mapping[str, Any] | None = None) -> ReportFacts:
    """Cost sections per node, MACs/FLOPs overlays, and the Costs analysis (totals, op types, top nodes,
    memory timeline), at ``dims`` (the Costs tab's numbers)."""
    from .model.costs import by_op_type, cost_overlay, cost_sections, totals_text
    from .views.cost_figures import memory_timeline, op_types

    costs = m.costs(dims)
    plan = m.memory_plan(dims)
    out = ReportFacts(sources=[lambda mm, ids: cost_sections(mm, ids, dims)])
    for col, (label, unit) in COST_OVERLAYS.items():
        values = cost_overlay(m, col, dims)
        if values:
            out.overlays[f"cost_{col}"] = _spec(
                values, label, kind="numeric", scale="log", aggregate="sum", unit=unit
            )
    byop = by_op_type(costs)
    tables = [
        table_section(
            byop,
            "Cost per op type",
            sid="cost_op_types",
            index="op type",
            units={"flops_share": "%", "input_bytes": "B", "output_bytes": "B"},
        ),
        table_section(
            costs.sort_values("flops", ascending=False, na_position="last"),
            "Nodes by FLOPs",
            sid="cost_nodes",
            index="node",
            max_rows=50,
            units={"input_bytes": "B", "output_bytes": "B", "weight_bytes": "B"},
        ),
    ]
    figures = []
    if len(byop["flops"].dropna()):
        figures.append(op_types(costs))
    if len(plan.attrs.get("live", [])):
        figures.append(memory_timeline(plan, m))
    note = totals_text(costs) + (f" (dims {dict(dims)})" if dims else "")
    out.analyses.append(analysis("costs", "Costs", tables, figures, note))
    return out


def compare_facts(m: Any, table: pd.DataFrame) -> ReportFacts:
    """Accuracy sections per node, the max-rel-diff overlay and the Accuracy analysis from an
    ``oi.compare(a, b)`` table of ``m`` against another model (what the Accuracy tab shows)."""
    from .views.accuracy_figures import accuracy_overlay, accuracy_source, figure_divergence, first_row

    if isinstance(table, pd.DataFrame) and "tensor_b" not in table.columns and "node" in table.columns:
        table = table.assign(tensor_b=table.index)  # one model on two providers: the same names on both sides
    _same_model(m, table, "compare", "oi.compare(m, other)")
    out = ReportFacts(sources=[accuracy_source(table)])
    ids = m.nodes.index
    values = {k: v for k, v in accuracy_overlay(table, "max_rel_diff").items() if k in ids and v > 0}
    if values:
        out.overlays["accuracy"] = _spec(values, "max rel diff (accuracy)", kind="numeric", scale="log",
                                         aggregate="max")  # fmt: skip
    first = first_row(table)
    note = (
        f"{len(table)} tensor(s) compared; first divergence: {first}"
        if first
        else f"{len(table)} tensor(s) compared; no divergence"
    )
    tables = [
        table_section(
            table, "Compared tensors", sid="accuracy_table", index="tensor", columns=ACCURACY_COLUMNS
        )
    ]
    figures = [figure_divergence(table)] if len(table) else []
    out.analyses.append(analysis("accuracy", "Accuracy", tables, figures, note))
    return out


def quantization_facts(m: Any, errors: pd.DataFrame | None) -> ReportFacts:
    """Quantization sections per node (scale, zero point, ...; with ``errors`` from
    ``quantization_error`` also clipped share and SQNR), the clipped overlay and the Quantization analysis."""
    from .model.quant import quantization
    from .views.accuracy_figures import figure_quant_error, quant_overlay, quant_source

    if errors is not None:
        _same_model(m, errors, "quantization", "quantization_error(m)")
    out = ReportFacts(sources=[quant_source(errors)])
    tables = []
    figures = []
    params = quantization(m)
    if len(params):
        tables.append(table_section(params, "Quantized tensors", sid="quant_params", index="tensor"))
    if errors is not None:
        values = {k: v for k, v in quant_overlay(errors, "clipped").items() if k in m.nodes.index}
        if values:
            out.overlays["quant_clipped"] = _spec(values, "clipped share (quantization)", kind="numeric",
                                                  scale="linear", aggregate="max")  # fmt: skip
        tables.append(table_section(errors, "Clipping and error per quantized activation", sid="quant_errors",
                                    index="tensor", units={"sqnr_db": "dB"}))  # fmt: skip
        if len(errors):
            figures.append(figure_quant_error(errors))
    if tables:
        out.analyses.append(analysis("quantization", "Quantization", tables, figures))
    return out


def optimized_facts(m: Any, opt: Any) -> ReportFacts:
    """What onnxruntime did to each node (sections and a categorical overlay) and the Optimized analysis
    (counts per kind, the optimized nodes) from an ``oi.Optimized`` of ``m``."""
    from .runtime.optimized import Optimized

    if not isinstance(opt, Optimized):
        raise InspectError(
            f"optimized must be an oi.Optimized (from oi.optimized(m, level)), not {type(opt).__name__}"
        )
    if opt.source is not m and list(opt.source.nodes.index) != list(m.nodes.index):
        raise InspectError(
            "optimized= was made from another model; pass oi.optimized(m, level) of this model"
        )
    out = ReportFacts(sources=[opt.facts()])
    kinds = opt.model_kinds()
    if len(kinds):
        out.overlays["optimized"] = _spec(
            {str(k): v for k, v in kinds.items()}, f"onnxruntime {opt.level}", kind="categorical"
        )
    tables = [
        table_section(opt.summary(), "What onnxruntime did", sid="optimized_summary"),
        table_section(
            opt.table,
            "Optimized nodes",
            sid="optimized_nodes",
            index="optimized node",
            columns=["op_type", "kind", "origins", "serves"],
        ),
    ]
    note = f"level {opt.level}, providers {', '.join(opt.providers)}"
    out.analyses.append(analysis("optimized", f"Optimized graph ({opt.level})", tables, note=note))
    return out


def report_facts(
    m: Any,
    *,
    costs: bool | Mapping[str, Any] | None = None,
    compare: pd.DataFrame | None = None,
    quantization: bool | pd.DataFrame | None = None,
    optimized: Any = None,
) -> ReportFacts:
    """All the facts asked for, merged: ``costs`` True (declared dims) or a dims dict; ``compare`` an
    ``oi.compare`` table; ``quantization`` True (parameters only) or a quantization-error table;
    ``optimized`` an ``oi.Optimized``."""
    parts: list[ReportFacts] = []
    if costs is not None and costs is not False:
        if costs is not True and not isinstance(costs, Mapping):
            raise InspectError(
                f"costs must be True or a dims dict such as {{'batch': 1}}, not {type(costs).__name__}"
            )
        parts.append(costs_facts(m, None if costs is True else costs))
    if compare is not None:
        parts.append(compare_facts(m, compare))
    if quantization is not None and quantization is not False:
        if quantization is not True and not isinstance(quantization, pd.DataFrame):
            raise InspectError(
                "quantization must be True or the table of quantization_error(m), "
                f"not {type(quantization).__name__}"
            )
        parts.append(quantization_facts(m, None if quantization is True else quantization))
    if optimized is not None:
        parts.append(optimized_facts(m, optimized))
    out = ReportFacts()
    for p in parts:
        out.sources += p.sources
        out.overlays.update(p.overlays)
        out.analyses += p.analyses
    return out


__all__ = [
    "ReportFacts",
    "analysis",
    "compare_facts",
    "costs_facts",
    "optimized_facts",
    "quantization_facts",
    "report_facts",
    "table_section",
]
