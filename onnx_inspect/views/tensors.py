"""Tensor statistics, histograms and differences as dicts, DataFrames and plotly figures.

One function, :func:`tensor_stats`, computes what every view shows of a tensor (the Inspector's
cards, ``oi.report``, :func:`summary_table`, :func:`histogram`), for every dtype: floats (float16,
bfloat16, float8, float4), integers (int4/uint4 too), bool (false/true counts), complex (numbers of
the magnitude ``|z|``) and strings (distinct and most frequent values). Work is bounded by
:data:`EXACT_VALUES`: bigger tensors are summarised from a seeded sample of contiguous blocks (read
in place, so a memory-mapped weight stays on disk) and say so; broadcast (zero-stride) tensors, such
as a ConstantOfShape weight, are summarised from their one value.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# Differences are computed in the runtime layer (oi.compare); re-exported here beside their figure.
from ..runtime.diff import DIFF_COLUMNS as DIFF_COLUMNS
from ..runtime.diff import diff_table as diff_table
from ..runtime.diff import tensor_diff as tensor_diff

#: Tensors with up to this many values get exact statistics; bigger ones are sampled.
EXACT_VALUES = 1 << 24
#: A sampled tensor is summarised from this many values (contiguous blocks at seeded random places).
SAMPLE_VALUES = 1 << 20
#: Values per sampled block.
SAMPLE_BLOCK = 4096
#: Exact summaries read tensors in chunks of this many values (bounded extra memory).
CHUNK = 1 << 22
#: Histograms have at most this many bins (fewer for small tensors, see :func:`hist_bins`).
MAX_BINS = 60
#: String tensors list this many most frequent values.
TOP_VALUES = 10
#: Longest text of one string value in a label.
LABEL_CHARS = 60
#: Kept for callers of the old API: histograms drew from at most this many values.
HIST_SAMPLES = SAMPLE_VALUES

SUMMARY_COLUMNS = [
    "dtype", "shape", "size", "min", "max", "mean", "std", "nan", "inf", "zero_fraction",
]  # fmt: skip

#: What the numbers of each dtype family describe.
BASIS = {
    "float": "values",
    "int": "values",
    "bool": "false = 0, true = 1",
    "complex": "magnitude |z|",
    "string": "text",
    "other": "",
}

_ML_INTS = frozenset({"int4", "uint4", "int2", "uint2"})


def dtype_family(dtype: Any) -> str:
    """'float', 'int', 'bool', 'complex', 'string' or 'other' (no statistics) for a numpy dtype.

    ml_dtypes types count as floats (bfloat16, float8_*, float4_*) or ints (int4, uint4, int2, uint2).
    """
    dt = np.dtype(dtype)
    k = dt.kind
    if k == "b":
        return "bool"
    if k in "iu":
        return "int"
    if k == "f":
        return "float"
    if k == "c":
        return "complex"
    if k in "OUS":
        return "string"
    if k == "V" and dt.names is None:
        if dt.name in _ML_INTS:
            return "int"
        try:
            np.zeros(1, dt).astype(np.float64)
            return "float"
        except (TypeError, ValueError):
            pass
    return "other"


def hist_bins(n: int) -> int:
    """Number of histogram bins for ``n`` values: 10 to :data:`MAX_BINS` (fewer for small tensors)."""
    return int(np.clip(2 * math.sqrt(max(n, 1)), 10, MAX_BINS))


def _numbers(c: np.ndarray, family: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A chunk as float64 (the magnitude for complex) and, for ints/bools, as exact native integers."""
    if family == "complex":
        with np.errstate(over="ignore"):
            return np.abs(c.astype(np.complex128, copy=False)), None
    if family in ("int", "bool"):
        native = c
        if c.dtype.kind == "b":
            native = c.astype(np.uint8)
        elif c.dtype.kind == "V":  # int4 / uint4 / int2 / uint2
            native = c.astype(np.uint8 if c.dtype.name.startswith("u") else np.int8)
        return native.astype(np.float64), native
    with np.errstate(over="ignore"):
        return c.astype(np.float64), None


def _exponent(x: float) -> int:
    """``e`` with ``|x| <= 2**e``: values are scaled by ``2**-e`` (exact) so sums cannot overflow."""
    return math.frexp(x)[1] if x else 0


def _scaled(x: np.ndarray, e: int) -> np.ndarray:
    """``x * 2**-e`` (exact: a power of two), as a multiplication where ``2**-e`` is a normal float."""
    return x * math.ldexp(1.0, -e) if -1000 < e < 1000 else np.ldexp(x, -e)


def _edges(lo: float, hi: float, bins: int, integer: int) -> tuple[np.ndarray, bool]:
    """Bin edges in units of ``2**e`` (``e`` = ``_exponent(max(|lo|, |hi|))``) and whether there is one
    bin per integer value (then the edges are plain numbers; for integers spanning ``integer`` values
    at most).

    Edges strictly increase: when ``lo`` and ``hi`` are so close that ``bins`` bins would not be
    distinct floats, fewer bins are used; a constant gets one bin of zero width.
    """
    if lo == hi:
        return np.array([lo, hi], np.float64), True
    if hi - lo + 1 <= integer and max(abs(lo), abs(hi)) <= 2**53:
        return lo - 0.5 + np.arange(int(hi - lo) + 2, dtype=np.float64), True
    e = _exponent(max(abs(lo), abs(hi)))
    lo_s, hi_s = math.ldexp(lo, -e), math.ldexp(hi, -e)
    while True:  # the edges np.histogram uses for (bins, range): it refuses them unless they increase
        edges = np.linspace(lo_s, hi_s, bins + 1)
        shown = np.ldexp(edges, e)  # and the edges shown must be distinct numbers too
        if bins == 1 or bool(np.all(edges[:-1] < edges[1:]) and np.all(shown[:-1] < shown[1:])):
            return edges, False
        bins //= 2


def _bin_counts(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of float64 ``v`` in the equal-width bins ``edges`` (from ``np.linspace``): the uniform-bin
    algorithm of ``np.histogram(v, bins, range=(edges[0], edges[-1]))``, the same counts without its
    per-call checks (0.2 ms, most of the time of a small weight's statistics)."""
    nb = edges.size - 1
    first, last = edges[0], edges[-1]
    keep = v >= first
    keep &= v <= last
    if not keep.all():
        v = v[keep]
    idx = ((v - first) / (last - first) * nb).astype(np.intp)
    idx[idx == nb] -= 1
    idx[v < edges[idx]] -= 1  # the division is not exact within ~1 ulp of an edge
    idx[(v >= edges[idx + 1]) & (idx != nb - 1)] += 1  # the last bin holds its right edge
    return np.bincount(idx, minlength=nb)


def _offsets(native: np.ndarray, lo: int) -> np.ndarray:
    """``native - lo`` of integers as float64, the difference exact (uint64, never overflowing)."""
    if native.dtype == np.uint64:
        return (native - np.uint64(lo)).astype(np.float64)
    return (native.astype(np.int64) - np.int64(lo)).view(np.uint64).astype(np.float64)


def _numeric(
    chunks: Callable[[], Iterator[np.ndarray]], family: str, bins: int | None, mult: int
) -> dict[str, Any]:
    """Counts, extremes, mean/std and histogram of numeric chunks, in two passes over the chunks.

    Extremes are exact (ints stay ints). Mean and std are float64 sums of deviations from a first
    estimate of the mean, of integers' exact offsets from their minimum and of floats scaled by a
    power of two, so values near the float64 or int64 limits neither overflow nor drown small ones.
    ``mult`` multiplies every count (a broadcast tensor is summarised from one value).
    """
    integer = family in ("int", "bool")
    n = nan = inf = zeros = 0
    lo: Any = None
    hi: Any = None
    total = 0.0
    cache: list[np.ndarray] | None = []
    for c in chunks():
        f, native = _numbers(c, family)
        n += f.size
        zeros += int(np.count_nonzero(f == 0))
        fin = f
        if not integer:
            finite = np.isfinite(f)
            n_fin = int(np.count_nonzero(finite))
            if n_fin != f.size:
                n_nan = int(np.count_nonzero(np.isnan(f)))
                nan += n_nan
                inf += f.size - n_fin - n_nan
                fin = f[finite]
            if fin.size:
                clo, chi = float(fin.min()), float(fin.max())
        elif native is not None and native.size:
            clo, chi = int(native.min()), int(native.max())
        if fin.size:
            lo = clo if lo is None else min(lo, clo)
            hi = chi if hi is None else max(hi, chi)
            with np.errstate(over="ignore", invalid="ignore"):
                total += float(np.sum(fin))
        if cache is not None:
            cache.append(fin if native is None else native)  # native: ints and bools
            if sum(x.size for x in cache) > CHUNK:
                cache = None

    def finite_chunks() -> Iterator[np.ndarray]:
        """Finite values as float64 (floats) or the native integers (ints), chunk by chunk."""
        if cache is not None:
            yield from cache
            return
        for c in chunks():
            f, native = _numbers(c, family)
            yield f[np.isfinite(f)] if native is None else native

    n_fin = n - nan - inf
    out: dict[str, Any] = {
        "nan": nan * mult,
        "inf": inf * mult,
        "finite": n_fin * mult,
        "zero_fraction": zeros / n if n else None,
        "min": None,
        "max": None,
        "mean": None,
        "std": None,
        "hist": None,
        "zeros": zeros * mult,
    }
    if n_fin == 0:
        return out
    flo, fhi = float(lo), float(hi)
    e = 0 if integer else _exponent(max(abs(flo), abs(fhi)))
    # m0: a first estimate of the mean, in the units deviations are summed in
    if integer:
        m0 = min(max(total / n_fin - flo, 0.0), fhi - flo) if math.isfinite(total) else (fhi - flo) / 2
    elif math.isfinite(total):
        m0 = math.ldexp(total / n_fin, -e)
    else:  # the plain sum overflowed: sum the scaled values (each at most 1 in magnitude)
        m0 = sum(float(np.sum(_scaled(fin, e))) for fin in finite_chunks()) / n_fin
    per_int = (bins or MAX_BINS) if integer else 0
    edges, plain = _edges(flo, fhi, bins or hist_bins(n_fin), per_int)
    e_hist = 0 if plain else _exponent(max(abs(flo), abs(fhi)))
    nb = edges.size - 1
    counts = np.zeros(nb, np.int64)
    dev = sq = 0.0
    for x in finite_chunks():
        s = _offsets(x, lo) if integer else _scaled(x, e)
        d = s - m0
        dev += float(np.sum(d))
        sq += float(np.dot(d, d))
        if nb == 1:
            counts[0] += x.size
        elif plain:  # one bin per integer
            counts += np.bincount(s.astype(np.int64), minlength=nb)[:nb]
        else:
            v = s if e == e_hist and not integer else _scaled(x.astype(np.float64), e_hist)
            counts += _bin_counts(v, edges)
    shift = dev / n_fin
    mean_s = m0 + shift
    var_s = max(sq / n_fin - shift * shift, 0.0)
    mean = lo + mean_s if integer else math.ldexp(mean_s, e)
    mean = min(max(mean, flo), fhi)
    std = math.ldexp(math.sqrt(var_s), e) if lo != hi else 0.0
    shown = edges if plain else np.ldexp(edges, e_hist)
    if not plain:  # scaling by 2**-e can round a tiny lo (subnormal): the outer edges must still hold min/max
        shown[0], shown[-1] = min(shown[0], float(flo)), max(shown[-1], float(fhi))
    out.update(
        min=lo,
        max=hi,
        mean=mean,
        std=std,
        hist={
            "edges": shown.tolist(),
            "counts": (counts * mult).tolist(),
        },
    )
    return out


def _label(x: Any) -> str:
    s = x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)
    return s if len(s) <= LABEL_CHARS else s[:LABEL_CHARS] + "…"


def _strings(values: np.ndarray, mult: int) -> dict[str, Any]:
    """Distinct values and the most frequent ones (as bars) of a string or object tensor."""
    counts = Counter(_label(x) for x in values.reshape(-1).tolist())
    top = counts.most_common(TOP_VALUES)
    rest = values.size - sum(k for _, k in top)
    labels = [t for t, _ in top] + ([f"({len(counts) - len(top):,} other values)"] if rest else [])
    return {
        "unique": len(counts),
        "zero_fraction": counts.get("", 0) / values.size,
        "hist": {"labels": labels, "counts": [k * mult for _, k in top] + ([rest * mult] if rest else [])},
    }


def _sample(a: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """``samples`` values of ``a`` (flat) in contiguous blocks at seeded random places, read in place."""
    block = max(1, min(SAMPLE_BLOCK, samples))
    n_blocks = a.size // block
    k = min(-(-samples // block), n_blocks)
    rng = np.random.default_rng(seed)
    if n_blocks > 4 * k:
        draw = rng.integers(0, n_blocks, size=2 * k)
        _, first = np.unique(draw, return_index=True)
        starts = draw[np.sort(first)][:k]
    else:
        starts = rng.choice(n_blocks, size=k, replace=False)
    if starts.size < k:  # unlucky draw: fill up from the blocks not drawn yet
        starts = np.concatenate([starts, np.setdiff1d(np.arange(n_blocks), starts)[: k - starts.size]])
    idx = (np.sort(starts)[:, None] * block + np.arange(block)).reshape(-1)[:samples]
    return a.reshape(-1)[idx] if a.flags.c_contiguous else a.flat[idx]


def tensor_stats(
    value: Any,
    *,
    bins: int | None = None,
    exact_values: int | None = None,
    samples: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Everything shown of a tensor: dtype, shape, size, family, min/max/mean/std of its finite values,
    NaN/Inf counts, zero fraction and histogram bins; never raises for an array of any dtype.

    ``hist`` is ``{"edges", "counts"}`` (numbers; one bin of zero width for a constant) or
    ``{"labels", "counts"}`` (bool: false/true; strings: most frequent values). With more than
    ``exact_values`` values (default :data:`EXACT_VALUES`), everything is computed from ``samples``
    sampled values (default :data:`SAMPLE_VALUES`); ``sampled`` says so (``note`` in words). Counts (``nan``, ``inf``, ``finite``,
    histogram) are of the values summarised. ``min``/``max`` are exact ints for integer dtypes.
    """
    exact_values = EXACT_VALUES if exact_values is None else exact_values
    samples = max(SAMPLE_VALUES if samples is None else samples, 1)
    a = value if isinstance(value, np.ndarray) else np.asarray(value)
    family = dtype_family(a.dtype)
    size = int(a.size)
    out: dict[str, Any] = {
        "dtype": a.dtype.name if a.dtype.kind != "O" else "object",
        "shape": tuple(int(d) for d in a.shape),
        "size": size,
        "family": family,
        "basis": BASIS[family],
        "summarised": size,
        "sampled": False,
        "note": "",
        "min": None,
        "max": None,
        "mean": None,
        "std": None,
        "nan": 0,
        "inf": 0,
        "finite": 0,
        "zero_fraction": None,
        "unique": None,
        "hist": None,
    }
    notes = []
    if family == "complex":
        notes.append("numbers of the magnitude |z|")
    if size == 0:
        out["note"] = "empty tensor"
        return out
    if family == "other":
        out["note"] = f"no statistics for dtype {out['dtype']}"
        return out
    mult = 1
    flat: np.ndarray | None  # None: read ``a`` chunk by chunk
    if a.ndim and all(s == 0 for s in a.strides):  # broadcast: one value repeated (ConstantOfShape)
        flat, mult = a.reshape(-1)[:1] if a.flags.c_contiguous else np.asarray(a.flat[:1]), size
        notes.append("one value repeated")
    elif size > max(exact_values, samples):
        flat = _sample(a, samples, seed)
        out.update(summarised=int(flat.size), sampled=True)
        notes.append(f"sampled ({flat.size:,} of {size:,} values)")
    else:
        flat = a.reshape(-1) if a.flags.c_contiguous else None
    if family == "string":
        vals = flat if flat is not None else np.asarray(a).reshape(-1)
        out.update(_strings(vals, mult))
        out["finite"] = size if not out["sampled"] else int(vals.size)
    else:
        if flat is None:
            src = a

            def chunks() -> Iterator[np.ndarray]:
                for start in range(0, size, CHUNK):  # a.flat slices copy only the chunk
                    yield np.asarray(src.flat[start : start + CHUNK])
        else:
            src = flat

            def chunks() -> Iterator[np.ndarray]:
                for start in range(0, src.size, CHUNK):
                    yield src[start : start + CHUNK]

        out.update(_numeric(chunks, family, bins, mult))
        false = out.pop("zeros")
        if family == "bool" and out["hist"] is not None:
            out["hist"] = {"labels": ["false", "true"], "counts": [false, out["finite"] - false]}
        if out["finite"] == 0:
            notes.append("no finite values")
    out["note"] = ", ".join(notes)
    return out


def tensor_summary(value: Any) -> dict[str, Any]:
    """Shape, dtype, size, min/max/mean/std of finite values, NaN and ±Inf counts, zero fraction
    (the columns of :func:`summary_table`; NaN where a number does not apply)."""
    s = tensor_stats(value)
    return {k: (np.nan if s[k] is None else s[k]) for k in SUMMARY_COLUMNS}


def summary_table(values: Mapping[str, Any]) -> pd.DataFrame:
    """One summary row per tensor (index = tensor name), columns as in :func:`tensor_summary`."""
    rows = [tensor_summary(v) for v in values.values()]
    df = pd.DataFrame(
        rows, index=pd.Index(list(values.keys()), name="tensor", dtype=object), columns=SUMMARY_COLUMNS
    )
    return df


def stats_figure(stats: Mapping[str, Any], name: str = "", *, log_y: bool = False) -> go.Figure:
    """The histogram of :func:`tensor_stats` output as a bar chart (bin counts only, never raw values)."""
    fig = go.Figure()
    hist = stats.get("hist")
    if hist and "labels" in hist:
        fig.add_trace(
            go.Bar(  # plotly reads a subset of HTML in tick and hover text: model strings go in escaped
                x=[html.escape(str(x), quote=False) for x in hist["labels"]],
                y=hist["counts"],
                hovertemplate="%{x}: %{y}<extra></extra>",
            )
        )
        fig.update_xaxes(type="category")
    elif hist:
        edges = np.asarray(hist["edges"], np.float64)
        width = np.diff(edges)
        if edges.size == 2 and width[0] == 0:  # a constant: one bar labelled with the value
            bar = go.Bar(x=[f"{edges[0]:.6g}"], y=hist["counts"], hovertemplate="%{x}: %{y}<extra></extra>")
            fig.update_xaxes(type="category")
        else:
            bar = go.Bar(
                x=edges[:-1] / 2 + edges[1:] / 2,
                y=hist["counts"],
                width=width,
                marker_line_width=0,
                hovertemplate="[%{customdata[0]:.4g}, %{customdata[1]:.4g}): %{y}<extra></extra>",
                customdata=np.stack([edges[:-1], edges[1:]], axis=1),
            )
        fig.add_trace(bar)
    title = html.escape(name) if name else "tensor"
    parts = [f"{stats['dtype']}{list(stats['shape'])}"]
    if stats.get("note"):
        parts.append(stats["note"])
    if hist and (stats.get("nan") or stats.get("inf")):
        parts.append(f"{stats['nan']:,} NaN, {stats['inf']:,} Inf not shown")
    fig.update_layout(
        title={"text": f"{title}<br><sup>{html.escape(', '.join(parts))}</sup>"},
        xaxis_title="|z|" if stats.get("family") == "complex" else "value",
        yaxis_title="count (sample)" if stats.get("sampled") else "count",
        bargap=0 if hist and "edges" in hist and len(hist["edges"]) > 2 else 0.2,
        template="plotly_white",
        height=320,
        margin={"l": 50, "r": 20, "t": 60, "b": 40},
    )
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def histogram(
    value: Any,
    name: str = "",
    *,
    bins: int | None = None,
    max_samples: int | None = None,
    exact_values: int | None = None,
    seed: int = 0,
    log_y: bool = False,
) -> go.Figure:
    """Histogram of a tensor (see :func:`tensor_stats`: sampled above ``exact_values`` values), with
    NaN/Inf and sampling noted in the title; bool and string tensors get one bar per value."""
    return stats_figure(
        tensor_stats(value, bins=bins, exact_values=exact_values, samples=max_samples, seed=seed),
        name,
        log_y=log_y,
    )


def diff_figure(table: pd.DataFrame, *, column: str = "max_abs_diff") -> go.Figure:
    """Bar chart of a per-tensor difference (log scale) in table order; tensors that fail allclose in red.

    Missing (NaN) differences draw no bar; infinite ones are drawn at the top of the scale.
    """
    vals = pd.to_numeric(table[column], errors="coerce").astype(float).to_numpy()
    pos = vals[np.isfinite(vals) & (vals > 0)]
    floor = float(pos.min()) / 10 if pos.size else 1e-12
    ceil = float(pos.max()) * 10 if pos.size else 1.0
    shown = np.where(np.isnan(vals), 0.0, np.clip(vals, floor, ceil))
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
