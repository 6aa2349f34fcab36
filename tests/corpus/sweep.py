"""The whole-API sweep over one corpus model: the calls tests/test_corpus.py checks and table.py tabulates.

Loaded models and profiles are cached per process (one load, one profile per optimization level).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import onnx_inspect as oi
from onnx_inspect.views.graph_payload import graph_payload
from onnx_inspect.views.tensors import histogram, tensor_summary

from . import CorpusModel

# Weights over this size are summarised from their first values only (bounded work on huge tensors).
WEIGHT_BYTES = 64 << 20
# Plotly histogram figures are slow (~0.1 s each): drawn for the largest few and every degenerate weight.
HISTOGRAMS = 4

_models: dict[str, oi.Model] = {}
_profiles: dict[tuple[str, str], oi.Profile] = {}


def load(cm: CorpusModel) -> oi.Model:
    """The corpus model loaded once per process."""
    if cm.name not in _models:
        _models[cm.name] = oi.load(cm.path)
    return _models[cm.name]


def run_kwargs(cm: CorpusModel) -> dict[str, Any]:
    """feeds= and dims= for run/profile/placement, from the manifest."""
    return {"feeds": None if cm.feeds is None else str(cm.feeds), "dims": cm.dims}


def profile(cm: CorpusModel, optimization: str) -> oi.Profile:
    """A short profile (2 runs after 1 warmup) at one optimization level, made once per process."""
    key = (cm.name, optimization)
    if key not in _profiles:
        _profiles[key] = oi.profile(
            load(cm), runs=2, warmup=1, optimization=optimization, progress=False, **run_kwargs(cm)
        )
    return _profiles[key]


def weights(m: oi.Model) -> int:
    """Read every initializer and Constant value and summarise it as the Weights tab does; draw the
    histogram figure for the largest few and one of each kind of degenerate weight (where binning breaks)."""
    t = m.tensors
    rows = t[t["kind"].isin(["initializer", "constant"])]
    values = []
    kinds: set[tuple[str, float, float]] = set()
    for tid, row in rows.iterrows():
        value = m.weight(row["name"], row["graph"])
        if not isinstance(value, np.ndarray):
            raise AssertionError(f"{tid}: weight() returned {type(value).__name__}")
        if value.nbytes > WEIGHT_BYTES:  # a copy of the first values only
            value = value.flat[: WEIGHT_BYTES // max(value.itemsize, 1)]
        s = tensor_summary(value)
        # one histogram per kind of degenerate weight: one value repeated, or huge magnitudes
        key = (str(value.dtype), s["min"], s["max"])
        odd = s["min"] == s["max"] or (np.isfinite(s["min"]) and max(abs(s["min"]), abs(s["max"])) > 1e15)
        values.append((odd and key not in kinds, value.size, str(tid), value))
        if odd:
            kinds.add(key)
    for k, (odd, _, tid, value) in enumerate(sorted(values, key=lambda v: -v[1])):
        if odd or k < HISTOGRAMS:
            histogram(value, tid)
    return len(values)


def middle_output(m: oi.Model) -> str:
    """A main-graph value half-way through the model (what 'run to here' on a middle node fetches)."""
    nodes = m.nodes[(m.nodes["graph"] == "") & (m.nodes["outputs"].map(lambda o: any(o)))]
    return next(o for o in nodes["outputs"].iloc[len(nodes) // 2] if o)


def _json(obj: Any) -> str:
    return json.dumps(obj, default=lambda a: np.asarray(a).tolist() if hasattr(a, "__array__") else str(a))


def call(cm: CorpusModel, name: str, tmp: Path) -> Callable[[], Any]:
    """The API call ``name`` (one of tests.corpus.CALLS) on corpus model ``cm``, ready to run."""
    if name == "load":
        return lambda: oi.load(cm.path)
    m = load(cm)
    kw = run_kwargs(cm)
    calls: dict[str, Callable[[], Any]] = {
        "summary": lambda: (_json(m.summary()), repr(m), m._repr_html_()),
        "scope_tree": m.scope_tree,
        "payload": lambda: _json(graph_payload(m)),
        "weights": lambda: weights(m),
        "report": lambda: oi.report(m, tmp / f"{cm.name}.html"),
        "report_profile": lambda: oi.report(m, tmp / f"{cm.name}-profile.html", profile=profile(cm, "all")),
        "run": lambda: (oi.run(m, **kw), oi.run(m, outputs=middle_output(m), **kw)),
        "profile_disabled": lambda: profile(cm, "disabled"),
        "profile_all": lambda: profile(cm, "all"),
        "placement": lambda: oi.placement(m, **kw),
        "costs": lambda: costs(m, cm),
        "quantization": lambda: quantization(m, cm),
        "optimized": lambda: optimized(m),
    }
    return calls[name]


def costs(m: oi.Model, cm: CorpusModel) -> str:
    """Per-node costs, the memory plan and the op-type figures at the manifest's dims (the Costs tab's calls)."""
    from onnx_inspect.model.costs import by_op_type, totals_text
    from onnx_inspect.views.cost_figures import memory_timeline, op_types

    df = m.costs(cm.dims)
    plan = m.memory_plan(cm.dims)
    by_op_type(df)
    op_types(df)
    memory_timeline(plan, m)
    return totals_text(df)


def quantization(m: oi.Model, cm: CorpusModel) -> Any:
    """The quantization table; for a quantized model also the clipping/error table after a run."""
    table = oi.quantization(m)
    if len(table) == 0:
        return table
    from onnx_inspect.runtime.quant_error import quantization_error

    return quantization_error(m, **run_kwargs(cm))


def optimized(m: oi.Model) -> Any:
    """The graph onnxruntime runs at level 'all', linked back to the model (the Optimized tab's call)."""
    with oi.optimized(m, "all", ["CPUExecutionProvider"]) as opt:
        opt.linked(list(m.nodes.index[:3]), "model")
        return opt.summary()


def coverage(p: oi.Profile) -> float:
    """Share of kernel time (self time: an If/Loop body is not counted twice) whose event has a model node id."""
    ev = p.events
    col = "self_us" if "self_us" in ev.columns else "dur_us"
    total = float(ev[col].sum())
    return float(ev.loc[ev["node_id"].notna(), col].sum()) / total if total > 0 else float("nan")
