"""After a run: how much each quantized activation clips and how far it lands from the float values.

For a QDQ QuantizeLinear the float values are its own input (through the Relu the quantizer absorbed,
when its range starts at 0 after a non-activation op); for a DynamicQuantizeLinear too (its scale
and zero point are fetched from the run); for QOperator outputs (QLinearConv, ...) they come from a float
model given as ``float_model`` (matched as in ``oi.compare``; the error there is the accumulated error of
the quantized model up to that tensor, not this tensor's rounding alone). Without float values the
clipped share is the share of quantized values at the ends of the integer range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from ..errors import InspectError
from ..model.quant import dequantize, params, quantization
from .feeds import DEFAULT_MAX_BYTES, DimsArg, RangesArg
from .session import DEFAULT_TIME_BUDGET, clear_cache

ERROR_COLUMNS = [
    "dtype", "scale", "zero_point", "float_tensor", "reference", "node", "clipped", "clipped_low",
    "clipped_high", "max_abs_error", "rms_error", "sqnr_db", "cosine",
]  # fmt: skip


def _broadcast(v: np.ndarray, axis: int | None, ndim: int) -> np.ndarray:
    if v.size > 1 and axis is not None and ndim:
        shape = [1] * ndim
        shape[axis % ndim] = -1
        return v.reshape(shape)
    return v.reshape(()) if v.size == 1 else v


def error_stats(
    x: np.ndarray | None,
    q: np.ndarray,
    scale: np.ndarray,
    zp: np.ndarray,
    axis: int | None,
    qmin: Any,
    qmax: Any,
) -> dict[str, float]:
    """Clipped shares and the error of ``dequantize(q)`` against float values ``x`` (NaN where there is no x)."""
    from .accuracy import cosine

    out = dict.fromkeys(("clipped", "clipped_low", "clipped_high", "max_abs_error", "rms_error", "sqnr_db", "cosine"), float("nan"))  # fmt: skip
    qf = np.asarray(q)
    if x is None or np.asarray(x).shape != qf.shape:
        if qmin is not None and qf.size:
            at_low = float(np.count_nonzero(qf <= qmin) / qf.size)
            at_high = float(np.count_nonzero(qf >= qmax) / qf.size)
            out.update(clipped=at_low + at_high, clipped_low=at_low, clipped_high=at_high)
        return out
    xf = np.asarray(x, dtype=np.float64)
    if not xf.size:
        return out
    s, z = _broadcast(scale, axis, xf.ndim), _broadcast(zp, axis, xf.ndim)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.rint(xf / s) + z
    low = float(np.count_nonzero(r < qmin) / xf.size) if qmin is not None else float("nan")
    high = float(np.count_nonzero(r > qmax) / xf.size) if qmax is not None else float("nan")
    err = dequantize(qf, scale, zp, axis) - xf
    finite = np.isfinite(err)
    e = err[finite]
    signal = float(np.sum(xf[finite] ** 2))
    noise = float(np.sum(e**2))
    out.update(
        clipped=low + high,
        clipped_low=low,
        clipped_high=high,
        max_abs_error=float(np.abs(e).max()) if e.size else float("nan"),
        rms_error=float(np.sqrt(noise / e.size)) if e.size else float("nan"),
        sqnr_db=float(10 * np.log10(signal / noise)) if noise > 0 and signal > 0 else float("inf"),
        cosine=cosine(xf, dequantize(qf, scale, zp, axis)),
    )
    return out


def quantization_error(
    m: Any,
    feeds: Any = None,
    float_model: Any = None,
    *,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    providers: Any = None,
    optimization: str = "all",
    chunk: int = 16,
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_budget: float | None = DEFAULT_TIME_BUDGET,
) -> pd.DataFrame:
    """One row per quantized activation of ``m`` (see ``oi.quantization``): clipped share (low/high ends),
    max/RMS error, SQNR (dB) and cosine of the dequantized values against the float values, and
    ``node``: the node to paint on the graph (the float value's producer, else the quantizing node).

    Fetched ``chunk`` tensors at a time, so the whole model's activations are never held at once.
    """
    from ..model import as_model
    from .accuracy import _feeds_for_both, match_tensors
    from .feeds import make_feeds, read_feeds
    from .run import run

    if not isinstance(chunk, int) or chunk < 1:
        raise InspectError(f"chunk must be a positive number of tensors, not {chunk!r}")
    qm = as_model(m)
    table = quantization(qm)
    acts = table[table["role"] == "activation"]
    fm = as_model(float_model) if float_model is not None else None
    if fm is not None:
        fa, fb = _feeds_for_both(fm, qm, feeds, dims, ranges, seed, max_bytes)
        back = {v: k for k, v in match_tensors(fm, qm)["tensor_b"].items() if v is not None}
    else:
        fb = (
            make_feeds(qm, dims=dims, ranges=ranges, seed=seed, max_bytes=max_bytes)
            if feeds is None
            else dict(feeds)
            if isinstance(feeds, dict)
            else read_feeds(qm, feeds, max_bytes=max_bytes)
        )
        fa, back = {}, {}
    kw = {
        "providers": providers,
        "optimization": optimization,
        "time_budget": time_budget,
        "max_bytes": max_bytes,
    }
    t, nodes = qm.tensors, qm.nodes
    plan: list[dict[str, Any]] = []
    for q, row in acts.iterrows():
        if t.at[q, "graph"] != "":
            continue  # values inside bodies cannot be fetched as one tensor
        item: dict[str, Any] = {"q": q, "x": None, "x_from": None, "dyn": None, "relu": False}
        ft = row["float_tensor"]
        qnode = qm.node(row["node"])
        if ft is not None and qnode.op_type in ("QuantizeLinear", "DynamicQuantizeLinear"):
            item["x"], item["x_from"] = ft, "m"
            src = t.at[ft, "producer"] if ft in t.index else None
            # a range that starts at 0 after an op that is not an activation: the quantizer absorbed a Relu
            item["relu"] = (
                row["zero_point"] is not None
                and row["zero_point"] == row["qmin"]
                and src is not None
                and nodes.at[src, "op_type"] not in ("Relu", "Clip")
            )
            if qnode.op_type == "DynamicQuantizeLinear":
                item["dyn"] = (qnode.output[1], qnode.output[2])
        elif fm is not None:
            # the float value: the float model's tensor matched to q (or to the DQ output reading q)
            reader = [
                c
                for c in cast("tuple[str, ...]", t.at[q, "consumers"])
                if nodes.at[c, "op_type"] == "DequantizeLinear"
            ]
            cands = [q] + [cast("tuple[str, ...]", nodes.at[c, "outputs"])[0] for c in reader]
            hit = next((back[c] for c in cands if c in back), None)
            if hit is not None:
                item["x"], item["x_from"] = hit, "float"
        plan.append(item)
    rows: dict[str, dict[str, Any]] = {}
    for start in range(0, len(plan), chunk):
        part = plan[start : start + chunk]
        want_m = list(dict.fromkeys(
            [p["q"] for p in part] + [p["x"] for p in part if p["x_from"] == "m"]
            + [n for p in part if p["dyn"] for n in p["dyn"]]
        ))  # fmt: skip
        vm = run(qm, want_m, fb, **kw)
        want_f = [p["x"] for p in part if p["x_from"] == "float"]
        vf = run(fm, want_f, fa, **kw) if want_f and fm is not None else {}
        for p in part:
            q = p["q"]
            row = acts.loc[q]
            got: tuple[Any, Any, Any] | None
            if p["dyn"]:
                got = (np.asarray(vm[p["dyn"][0]], np.float64), np.asarray(vm[p["dyn"][1]], np.float64), None)
            else:
                got = params(table, q, qm)
            x = vm.get(p["x"]) if p["x_from"] == "m" else vf.get(p["x"]) if p["x_from"] == "float" else None
            producer = t.at[p["x"], "producer"] if p["x_from"] == "m" else None
            node = producer or (t.at[q, "producer"] if t.at[q, "producer"] else row["node"])
            ref = {"m": "input of the quantizer", "float": "float model", None: ""}[p["x_from"]]
            if p["relu"] and x is not None and bool(np.any(np.asarray(x) < 0)):
                x = np.maximum(x, 0)
                ref = "input of the quantizer, Relu absorbed: max(x, 0)"
            out = {
                "dtype": row["dtype"], "scale": row["scale"], "zero_point": row["zero_point"],
                "float_tensor": p["x"], "reference": ref, "node": node,
            }  # fmt: skip
            if got is None:
                out.update(dict.fromkeys(ERROR_COLUMNS[6:], float("nan")))
            else:
                scale, zp, axis = got
                if p["dyn"]:
                    out.update(scale=float(scale.reshape(-1)[0]), zero_point=float(zp.reshape(-1)[0]))
                out.update(error_stats(x, vm[q], scale, zp, axis, row["qmin"], row["qmax"]))
            rows[q] = out
        del vm, vf
        clear_cache(qm)
        if fm is not None:
            clear_cache(fm)
    df = pd.DataFrame.from_dict(rows, orient="index", columns=ERROR_COLUMNS)
    df.index = pd.Index(list(rows), name="tensor", dtype=object)
    return df


def worst(df: pd.DataFrame, column: str = "sqnr_db", n: int = 10) -> pd.DataFrame:
    """The ``n`` rows with the worst ``column`` (lowest SQNR / cosine, highest error or clipped share)."""
    if column not in df.columns:
        raise InspectError(
            f"no column '{column}' in the quantization error table; columns: {list(df.columns)}"
        )
    asc = column in ("sqnr_db", "cosine")
    return df.sort_values(column, ascending=asc, na_position="last").head(n)


__all__: Sequence[str] = ["ERROR_COLUMNS", "error_stats", "quantization_error", "worst"]
