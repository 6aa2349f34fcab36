"""``onnx-inspect MODEL``: a model summary in the terminal; ``--demo`` runs it on a model that ships with onnx.

``--costs``, ``--optimized`` and ``--compare`` print what the Inspector's Costs / Optimized / Accuracy tabs
show, and put the same sections, overlays and analyses into the ``-o`` report (``oi.report(costs=,
optimized=, compare=)``)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd

from .errors import FeedError, InspectError
from .model import Model, load
from .runtime import Profile, input_dims
from .runtime.feeds import DimsArg
from .runtime.profile import profile
from .runtime.providers import OPTIMIZATION_LEVELS
from .runtime.run import run
from .runtime.session import DEFAULT_TIME_BUDGET
from .views.summary import shapes_text, summary_text

DEMO_MODEL = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / "light_squeezenet.onnx"


def demo_model_path() -> Path:
    """SqueezeNet 1.0 from the onnx package's own test data: real, small, always installed with onnx."""
    return DEMO_MODEL


def format_summary(m: Model) -> str:
    """Plain-text summary: header, inputs/outputs, op counts, parameters, scope groups."""
    return summary_text(m)


def parse_dims(
    items: Sequence[str] | None, option: str = "--dims"
) -> dict[str, int | tuple[int, ...]] | None:
    """``--dims`` values (``NAME=N``, or ``INPUT=1,3,224,224`` for an input's full shape) as a dims dict."""
    if not items:
        return None
    out: dict[str, int | tuple[int, ...]] = {}
    for item in items:
        name, eq, value = item.rpartition("=")
        try:
            if not eq or not name:
                raise ValueError
            parts = [int(v) for v in value.split(",")]
        except ValueError:
            raise FeedError(
                f"{option} {item!r}: write NAME=N (a symbolic dim, or INPUT[AXIS]=N) or INPUT=D0,D1,... (a full shape)"
            ) from None
        out[name] = parts[0] if len(parts) == 1 and "," not in value else tuple(parts)
    return out


def format_dims(m: Model, dims: DimsArg, feeds: object = None) -> list[str]:
    """One line per symbolic or unknown input dim: the size runs use and where it comes from."""
    given = set(feeds) if isinstance(feeds, dict) else set()
    if feeds is not None and not isinstance(feeds, dict):
        return []  # sizes come from the feeds file
    t = input_dims(m, dims, feeds={k: None for k in given})
    lines = []
    for key, row in t.iterrows():
        where = ", ".join(f"{i} axis {a}" if a >= 0 else f"{i} (rank unknown)" for i, a in row["inputs"])
        value = "?" if row["value"] is None else row["value"]
        lines.append(f"dim        {key} = {value}  ({row['source']}; {where})")
    return lines


def parse_cost_dims(text: str, dims: DimsArg) -> dict[str, Any] | bool:
    """``--costs [DIMS]``: the dims the costs are counted at (DIMS items over ``--dims``), or True for the
    model's declared dims. DIMS is one or more ``--dims`` items separated by spaces or ';'."""
    items = [t for t in re.split(r"[;\s]+", text) if t]
    merged = {**(dims if isinstance(dims, dict) else {}), **(parse_dims(items, "--costs") or {})}
    return merged or True


def format_costs(m: Model, dims: dict[str, Any] | bool) -> str:
    """Totals and the static memory plan's peak, as the Costs tab heads them."""
    from .model.costs import totals_text

    at = dims if isinstance(dims, dict) else None
    plan = m.memory_plan(at)
    peak = plan.attrs.get("peak_bytes") or 0
    node = plan.attrs.get("peak_node")
    where = (
        f" at {node} ({m.nodes.at[node, 'op_type']!s})"
        if isinstance(node, str) and node in m.nodes.index
        else ""
    )
    return (
        f"costs      {totals_text(m.costs(at))}" + (f" (dims {at})" if at else "")
        + f"\nmemory     peak activations {peak / 2**20:,.1f} MiB{where} (static plan, execution order)"
    )  # fmt: skip


def format_optimized(opt: Any) -> str:
    """What onnxruntime did at a level: optimized nodes per kind and model nodes left out."""
    s = opt.summary()
    parts = [f"{int(r['count'])} {r['kind']}" for _, r in s.iterrows()]
    n_opt = int(s.loc[s["side"] == "optimized node", "count"].sum())
    return (
        f"optimized  level {opt.level} on {', '.join(opt.providers)}: {len(opt.source.nodes)} model nodes -> "
        f"{n_opt} optimized nodes ({', '.join(parts)})"
    )


def format_compare(table: pd.DataFrame) -> str:
    """Counts and the first divergence of a two-model ``oi.compare`` table, and its worst rows."""
    from .views.accuracy_figures import first_row

    matched = table[table["match"] != "unmatched"]
    bad = int((~matched["allclose"].astype(bool)).sum())
    la, lb = table.attrs.get("labels", ("a", "b"))
    tol = f"rtol {table.attrs.get('rtol'):g}, atol {table.attrs.get('atol'):g}"
    first = first_row(table)
    head = (
        f"compare    {la} against {lb}: {len(matched)} tensor(s) matched, {bad} not allclose, "
        f"{len(table) - len(matched)} unmatched ({tol})"
    )
    if first is None:
        return head + "\nfirst divergence: none"
    row = table.loc[first]
    head += f"\nfirst divergence: {first} (output of {row['node']}, {row['op_type']})"
    cols = [c for c in ("node", "op_type", "max_abs_diff", "max_rel_diff", "cosine") if c in table.columns]
    shown = matched.loc[first:].head(10)[cols]
    with pd.option_context("display.width", 160, "display.max_colwidth", 50, "display.precision", 4):
        return f"{head}\n\n{shown.to_string()}"


def format_profile(p: Profile, top: int = 10) -> str:
    """Per-op-type and slowest-node tables of a profile, as plain text."""
    ops = p.by_op_type().head(top)
    nodes = p.by_node().head(top)
    op_cols = [c for c in ("calls", "mean_us", "p50_us", "p90_us", "share") if c in ops.columns]
    node_cols = [c for c in ("op_type", "provider", "mean_us", "share") if c in nodes.columns]
    with pd.option_context("display.width", 160, "display.max_colwidth", 60, "display.precision", 3):
        shapes = p.meta.get("input_shapes") or {}
        used = f"\ninputs     {shapes_text(shapes)}" if shapes else ""
        return (
            f"profile    {p.n_runs} runs, mean {p.mean_run_us / 1000:.3f} ms per run, "
            f"{p.coverage():.1%} of kernel time on model nodes{used}\n\n"
            f"{ops[op_cols].to_string()}\n\n{nodes[node_cols].to_string()}"
        )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="onnx-inspect",
        description="Inspect an ONNX model: summary, latency profile, self-contained HTML report.",
    )
    p.add_argument("model", nargs="?", help="path of the .onnx file")
    p.add_argument(
        "--demo",
        action="store_true",
        help="SqueezeNet from the onnx package: summary, profile and onnx-inspect-demo.html",
    )
    p.add_argument(
        "-o", "--output", "--report", metavar="REPORT.html", help="write a self-contained HTML report"
    )
    p.add_argument("--profile", action="store_true", help="profile the model with onnxruntime")
    p.add_argument("--runs", type=int, default=10, help="profiled runs (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="warmup runs, not counted (default 2)")
    p.add_argument("--provider", action="append", metavar="NAME", help="execution provider (repeatable)")
    p.add_argument("--run", action="store_true", help="run the model once and print its outputs' shapes")
    p.add_argument(
        "--dims",
        action="append",
        metavar="NAME=N",
        help="size of a symbolic or unknown input dim (NAME=N, INPUT[AXIS]=N) or an input's full shape "
        "(INPUT=1,3,224,224); repeatable. Free dims the model does not size are listed in the summary",
    )
    p.add_argument(
        "--feeds",
        metavar="FILE",
        help="inputs for run/profile/report: an .npz, a TensorProto .pb or a folder",
    )
    p.add_argument(
        "--time-budget",
        type=float,
        default=DEFAULT_TIME_BUDGET,
        metavar="SECONDS",
        help=f"stop onnxruntime after this long (profile: all runs together; default {DEFAULT_TIME_BUDGET:g})",
    )
    p.add_argument(
        "--optimization",
        default="all",
        choices=OPTIMIZATION_LEVELS,
        help="onnxruntime graph optimization level for the profile (default all)",
    )
    p.add_argument(
        "--costs",
        nargs="?",
        const="",
        metavar="DIMS",
        help="params, MACs/FLOPs and the static memory peak; the report gets per-node costs, a MACs/FLOPs "
        "overlay and a Costs analysis. DIMS (e.g. 'batch=1', or 'input=1,3,224,224; seq=128') sizes free dims "
        "over --dims; without it the model's declared dims are used. Put it after MODEL",
    )
    p.add_argument(
        "--optimized",
        nargs="?",
        const="all",
        choices=OPTIMIZATION_LEVELS,
        metavar="LEVEL",
        help="the graph onnxruntime runs at LEVEL (default all; one of "
        f"{', '.join(OPTIMIZATION_LEVELS)}): what was fused or folded, and in the report which model nodes "
        "each optimized node came from",
    )
    p.add_argument(
        "--compare",
        metavar="OTHER.onnx",
        help="run OTHER.onnx (fp16, quantized, optimized, ... copy) on the same inputs and compare every "
        "tensor: the first divergence, and in the report the error per node",
    )
    p.add_argument("--rtol", type=float, metavar="R", help="--compare: relative tolerance (default 1e-3)")
    p.add_argument("--atol", type=float, metavar="A", help="--compare: absolute tolerance (default 1e-5)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``onnx-inspect`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.demo == bool(args.model):
        took = args.costs if args.costs and not args.model else None
        hint = f"; --costs took {took!r} as its DIMS: put MODEL first" if took else ""
        print(f"onnx-inspect: give a MODEL path or --demo (not both){hint}", file=sys.stderr)
        return 2
    path = demo_model_path() if args.demo else Path(args.model)
    if args.demo:  # the demo shows everything: summary, profile and a report
        args.profile = True
        args.output = args.output or "onnx-inspect-demo.html"
    try:
        dims = parse_dims(args.dims)
        m = load(path)
        print(format_summary(m))
        for line in format_dims(m, dims, args.feeds):
            print(line)
        prof = None
        if args.run:
            from .runtime import make_feeds, read_feeds

            feeds = read_feeds(m, args.feeds) if args.feeds else make_feeds(m, dims=dims)
            outs = run(m, feeds=feeds, providers=args.provider, optimization=args.optimization,
                       time_budget=args.time_budget)  # fmt: skip
            print(f"\ninputs     {shapes_text({k: np.shape(v) for k, v in feeds.items()})}")
            for name, value in outs.items():
                arr = np.asarray(value)
                print(f"output     {name}  {arr.dtype}{list(arr.shape)}")
        if args.profile:
            prof = profile(
                m,
                runs=args.runs,
                warmup=args.warmup,
                providers=args.provider,
                optimization=args.optimization,
                progress=sys.stderr.isatty(),
                feeds=args.feeds,
                dims=dims,
                time_budget=args.time_budget,
            )
            print()
            print(format_profile(prof))
        facts: dict[str, Any] = {}
        try:
            _facts(m, args, dims, facts)
            if args.output:
                from .reporting import report

                written = report(m, args.output, profile=prof, **facts)
                print(f"\nreport     {written}")
        finally:
            if facts.get("optimized") is not None:
                facts["optimized"].close()
    except InspectError as exc:
        print(f"onnx-inspect: {exc}", file=sys.stderr)
        return 1
    return 0


def _facts(m: Model, args: argparse.Namespace, dims: DimsArg, out: dict[str, Any]) -> None:
    """Print what --costs / --optimized / --compare ask for; put it into ``out`` as ``oi.report`` keywords
    (filled as it goes, so the caller can close an ``oi.Optimized`` when a later step fails)."""
    if args.costs is not None:
        out["costs"] = parse_cost_dims(args.costs, dims)
        print()
        print(format_costs(m, out["costs"]))
    if args.optimized is not None:
        from .runtime.optimized import optimized

        out["optimized"] = optimized(m, args.optimized, providers=args.provider)
        print()
        print(format_optimized(out["optimized"]))
    if args.compare is not None:
        from .runtime.accuracy import compare_models

        tol = {k: v for k, v in (("rtol", args.rtol), ("atol", args.atol)) if v is not None}
        out["compare"] = compare_models(
            m, Path(args.compare), "all", args.feeds, dims=dims, providers=args.provider,
            optimization=args.optimization, time_budget=args.time_budget, **tol,
        )  # fmt: skip
        print()
        print(format_compare(out["compare"]))


if __name__ == "__main__":
    sys.exit(main())
