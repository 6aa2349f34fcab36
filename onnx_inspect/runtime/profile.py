"""Per-operator latency profiles from onnxruntime's profiler, joined to the model's node ids.

``oi.profile(m)`` runs the model (unmarked: only its own outputs, so timings are the production ones)
with ``SessionOptions.enable_profiling`` in a temporary folder, drops the warmup runs and returns an
``oi.Profile``; ``oi.Profile.from_json`` reads a profile file made elsewhere. Figures live in
``onnx_inspect.views.profile_figures``; the ``Profile.figure_*`` methods import it when called, so the
runtime layer never loads plotly on import.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

from ..errors import InspectError, ProfileError, RuntimeFailure
from ..model import Model, ModelLike, as_model
from . import dims as dimplan
from . import profile_join as pj
from .feeds import prepare_feeds
from .profile_trace import MAX_PROFILE_BYTES, Trace, assign_runs, read_trace, shapes_column
from .providers import Optimization, check_optimization, resolve_providers, short_provider
from .session import (
    DEFAULT_TIME_BUDGET,
    check_budget,
    create_session,
    external_folder,
    model_label,
    named_copy,
    run_session,
    session_options,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

Metric = Literal["mean_us", "p50_us", "p90_us", "share", "provider"]

#: Show a progress bar when the profiled runs are expected to take longer than this (seconds).
PROGRESS_AFTER_S = 1.0


class Profile:
    """Node events of profiled runs joined to model node ids, with per-node and per-op-type summaries.

    ``events`` has one row per executed kernel per run (warmup runs excluded):

    - ``run``, ``start_us`` (since the run started), ``dur_us``, ``self_us`` (``dur_us`` minus the events an
      If/Loop/Scan encloses, so sums never count a body twice), ``device_us`` (GPU kernel time, CUDA/ROCm
      profiling builds), ``thread``, ``depth``/``parent`` (nesting), ``ts_us`` (since the profiler started);
    - ``node_id`` (the model node the kernel stands for; None when it matches nothing), ``model_nodes``
      (every model node a fused kernel or a compiled engine covers), ``mapping`` ("name", "fused",
      "rewritten", "engine", "charged", "inserted", "unmatched"), ``fused``, ``inserted`` (made by the
      runtime) and ``layout`` flags, ``graph`` (the model graph path it ran in). Layout kernels the runtime
      inserts (ReorderInput/ReorderOutput, Memcpy*) are charged to the model node they serve, the consumer
      of the value they re-lay out (``mapping == "charged"``, ``layout`` True);
    - ``ort_name``, ``op_type`` (what onnxruntime ran), ``model_op_type``, ``provider``, ``input_shapes``,
      ``output_shapes``, dtypes and ``output_size``/``activation_size``/``parameter_size`` (bytes).

    ``runs`` has one row per run (``dur_us`` of the whole run, ``kernel_us``, ``mapped_us``), ``kernels``
    one row per device kernel, ``warnings`` what was dropped or could not be matched.
    """

    def __init__(
        self,
        events: pd.DataFrame,
        runs: pd.DataFrame,
        kernels: pd.DataFrame,
        model: Model | None,
        meta: dict[str, Any],
        warnings: list[str],
    ) -> None:
        self.events = events
        self.runs = runs
        self.kernels = kernels
        self.model = model
        self.meta = meta
        self.warnings = warnings
        self._by_node: pd.DataFrame | None = None

    # -- construction ----------------------------------------------------------------------------------
    @classmethod
    def from_json(
        cls,
        path: str | os.PathLike[str],
        m: ModelLike | None,
        *,
        optimized_model: str | os.PathLike[str] | onnx.ModelProto | None = None,
        warmup: int = 0,
        max_bytes: int = MAX_PROFILE_BYTES,
    ) -> Profile:
        """Read a profile file written by onnxruntime (here or elsewhere) and join it to model ``m``.

        ``optimized_model`` is the graph onnxruntime saved (``optimized_model_filepath``) for that session;
        with it, fused and rewritten kernels map back to model nodes exactly, without it by name rules.
        ``warmup`` leading runs in the file are dropped; files over ``max_bytes`` are refused.
        """
        model = as_model(m) if m is not None else None
        trace = read_trace(path, max_bytes=_count(max_bytes, "max_bytes", 1))
        opt = _read_optimized(optimized_model) if optimized_model is not None else None
        meta = {"source": str(path), "optimization": None, "providers": None, "renamed": False}
        return _assemble(trace, model, opt, warmup=_count(warmup, "warmup", 0), meta=meta)

    # -- summaries -------------------------------------------------------------------------------------
    @property
    def n_runs(self) -> int:
        """Number of profiled runs (warmup excluded)."""
        return len(self.runs)

    @property
    def mean_run_us(self) -> float:
        """Mean wall time of one run (onnxruntime's ``model_run`` event), in microseconds."""
        return float(self.runs["dur_us"].mean()) if len(self.runs) else float("nan")

    def coverage(self) -> float:
        """Share of kernel time (self time) that lands on model node ids."""
        total = float(self.events["self_us"].sum())
        if total <= 0:
            return 1.0
        return float(self.events.loc[self.events["node_id"].notna(), "self_us"].sum()) / total

    def _per_run(self, key: pd.Series) -> pd.DataFrame:
        """Per-key statistics over runs of the summed self time (a key absent from a run counts 0 there)."""
        ev = self.events
        n = max(self.n_runs, 1)
        table = (
            ev.assign(_key=key.to_numpy())
            .groupby(["_key", "run"], sort=False)["self_us"]
            .sum()
            .unstack(fill_value=0.0)
            .reindex(columns=range(n), fill_value=0.0)
        )
        vals = table.to_numpy(dtype=float)
        total = float(ev["self_us"].sum()) / n
        out = pd.DataFrame(
            {
                "calls": ev.groupby(key.to_numpy(), sort=False).size().reindex(table.index).to_numpy() / n,
                "mean_us": vals.mean(axis=1),
                "p50_us": np.median(vals, axis=1),
                "p90_us": np.quantile(vals, 0.9, axis=1),
            },
            index=table.index,
        )
        out["share"] = out["mean_us"] / total if total > 0 else 0.0
        return out

    def by_node(self) -> pd.DataFrame:
        """Per model node: calls per run, mean/p50/p90 self time per run (us), share, provider, runtime shapes."""
        if self._by_node is not None:
            return self._by_node.copy()
        ev = self.events[self.events["node_id"].notna()]
        if ev.empty:
            cols = ["op_type", "kernel", "provider", "calls", "mean_us", "p50_us", "p90_us", "share", "mapping",
                    "layout_us", "fused_with", "input_shapes", "output_shapes"]  # fmt: skip
            self._by_node = pd.DataFrame(columns=cols).rename_axis("node_id")
            return self._by_node.copy()
        stats = self._per_run(self.events["node_id"])  # unmapped events (None) only count in the total
        # A node's own kernel describes it (mapping, shapes); charged layout kernels only add time.
        first = ev.sort_values("layout", kind="stable").drop_duplicates("node_id").set_index("node_id")
        grouped = ev.groupby("node_id", sort=False)
        kernels = grouped["op_type"].agg(_joined)
        providers = grouped["provider"].agg(_joined)
        fused_with = {nid: tuple(x for x in _others(g) if x != nid) for nid, g in grouped["model_nodes"]}
        out = pd.DataFrame(
            {
                "op_type": first["model_op_type"],
                "kernel": kernels,
                "provider": providers,
            }
        ).join(stats)
        out["mapping"] = first["mapping"]
        lay = ev[ev["layout"]]
        out["layout_us"] = (
            (lay.groupby("node_id", sort=False)["self_us"].sum() / max(self.n_runs, 1))
            .reindex(out.index)
            .fillna(0.0)
        )
        out["fused_with"] = [fused_with.get(i, ()) for i in out.index]
        out["input_shapes"] = first["input_shapes"]
        out["output_shapes"] = first["output_shapes"]
        if ev["device_us"].notna().any():  # device kernels recorded (CUDA/ROCm profiling builds)
            out["device_us"] = ev.groupby("node_id", sort=False)["device_us"].sum(min_count=1) / self.n_runs
        out = out.sort_values("mean_us", ascending=False, kind="stable")
        out.index.name = "node_id"
        self._by_node = out
        return out.copy()

    def by_op_type(self, by: Literal["kernel", "model"] = "kernel") -> pd.DataFrame:
        """Per op type: calls per run, mean/p50/p90 time per run (us), share, providers, node count.

        ``by="kernel"`` groups by the op onnxruntime ran (``FusedConv``, ``ReorderInput``, ...);
        ``by="model"`` by the model op type of the node each kernel stands for (comparable across
        optimization levels; runtime-inserted kernels keep their own op type, suffixed ``(inserted)``).
        """
        ev = self.events
        if by == "kernel":
            key = ev["op_type"]
        elif by == "model":
            own = ev["model_op_type"].notna() & ~ev["layout"]
            key = ev["model_op_type"].where(own, ev["op_type"] + " (inserted)")
        else:
            raise InspectError(f"by={by!r} is not one of 'kernel', 'model'")
        key = key.rename("op_type")
        stats = self._per_run(key)
        grouped = ev.groupby(key.to_numpy(), sort=False)
        stats["providers"] = grouped["provider"].agg(_joined).reindex(stats.index)
        stats["nodes"] = grouped["node_id"].nunique().reindex(stats.index)
        stats.index.name = "op_type"
        return stats.sort_values("mean_us", ascending=False, kind="stable")

    def summary(self) -> dict[str, Any]:
        """Runs, mean run time, kernel time, share mapped to model nodes, warnings."""
        kernel = float(self.events["self_us"].sum()) / max(self.n_runs, 1)
        return {
            "runs": self.n_runs,
            "mean_run_us": self.mean_run_us,
            "mean_kernel_us": kernel,
            "coverage": self.coverage(),
            "events": len(self.events),
            "optimization": self.meta.get("optimization"),
            "providers": self.meta.get("providers"),
            "warnings": list(self.warnings),
        }

    # -- joins back to the model ----------------------------------------------------------------------
    def observed_shapes(self, fill: bool = False) -> pd.DataFrame:
        """Tensor shapes seen at run time (kernels that are exactly one model node), beside the model's.

        One row per tensor id: ``shape`` (dims that varied across runs are None), ``dtype``, ``declared``
        (the model's shape), ``fills`` (the model's shape was missing or not fully static) and ``conflict``
        (a static dim of the model disagrees). ``fill=True`` writes main-graph fills into ``m.tensors``
        (``shape_source="runtime"``) via ``Model.fill_shapes``.
        """
        m = self.model
        cols = ["name", "graph", "dtype", "shape", "shapes_seen", "declared", "fills", "conflict"]
        if m is None:
            return pd.DataFrame(columns=cols).rename_axis("tensor_id")
        ev = self.events[self.events["mapping"] == pj.NAME]
        nodes = m.nodes
        ins_of = dict(zip(nodes.index, nodes["inputs"], strict=True))
        outs_of = dict(zip(nodes.index, nodes["outputs"], strict=True))
        graph_of = dict(zip(nodes.index, nodes["graph"], strict=True))
        seen: dict[str, tuple[str, set[tuple[int, ...]]]] = {}
        cols_ev = ("node_id", "input_shapes", "input_dtypes", "output_shapes", "output_dtypes")
        for nid, ins, idt, outs, odt in set(zip(*(ev[c] for c in cols_ev), strict=True)):
            for names, shapes, dtypes in ((ins_of[nid], ins, idt), (outs_of[nid], outs, odt)):
                real = [x for x in names if x]
                if shapes is None or len(real) != len(shapes):
                    continue  # omitted optional values make positions ambiguous
                for name, shape, dtype in zip(real, shapes, dtypes, strict=True):
                    try:
                        tid = m.tensor_id(name, graph_of[nid])
                    except InspectError:
                        continue
                    seen.setdefault(tid, (dtype, set()))[1].add(shape)
        rows = []
        t = m.tensors
        for tid, (dtype, shapes) in seen.items():
            merged = _merge_shapes(shapes)
            declared = cast("tuple[Any, ...] | None", t.at[tid, "shape"])
            fills = declared is None or any(not isinstance(d, int) for d in declared)
            rows.append((tid, t.at[tid, "name"], t.at[tid, "graph"], dtype, merged, len(shapes), declared, fills,
                         _conflict(declared, merged)))  # fmt: skip
        df = pd.DataFrame(rows, columns=["tensor_id", *cols]).set_index("tensor_id")
        if fill and not df.empty:
            ok = df[(df["graph"] == "") & df["fills"] & ~df["conflict"]]
            shapes = {
                name: shape
                for name, shape in zip(ok["name"], ok["shape"], strict=True)
                if shape is not None and all(d is not None for d in shape)
            }
            m.fill_shapes(shapes, source="runtime")
        return df

    def overlay(self, metric: Metric = "mean_us") -> dict[str, Any]:
        """Per-node values as a ``GraphView.overlay`` spec (``views.overlay.profile_overlay``: times on a
        log scale, providers by short name), the same in the Inspector and in reports.

        Numeric metrics sit on the node each kernel stands for (the nodes fused into it stay unpainted:
        ``by_node()["fused_with"]`` lists them); ``"provider"`` (categorical) paints fused nodes too.
        """
        from ..views.overlay import profile_overlay  # imported on call: the runtime layer never loads views

        return dict(profile_overlay(self.by_node(), metric))

    # -- figures (plotly; imported on call so the runtime layer never loads views) ---------------------
    def figure_op_types(self, top: int = 20, by: Literal["kernel", "model"] = "kernel") -> go.Figure:
        """Bar chart of time per run by op type (see ``views.profile_figures.op_types``)."""
        from ..views import profile_figures

        return profile_figures.op_types(self, top=top, by=by)

    def figure_top_nodes(self, n: int = 20) -> go.Figure:
        """Bar chart of the ``n`` slowest model nodes, p50 to p90 whiskers."""
        from ..views import profile_figures

        return profile_figures.top_nodes(self, n=n)

    def figure_timeline(self, run: int = 0) -> go.Figure:
        """Timeline of one run: a bar per kernel at its start time, nested bodies on lower lanes."""
        from ..views import profile_figures

        return profile_figures.timeline(self, run=run)

    # -- display ---------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<Profile: {s['runs']} runs, {s['mean_run_us']:.0f} us/run, {len(self.events)} events, "
            f"{s['coverage']:.1%} of kernel time on model nodes>"
        )

    def _repr_html_(self) -> str:
        top = self.by_op_type().head(10)[["calls", "mean_us", "share"]]
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return (
            f"<div><b>{html.escape(repr(self))}</b>"
            + (f"<ul>{warn}</ul>" if warn else "")
            + top.to_html(float_format=lambda v: f"{v:.3g}", escape=True)
            + "</div>"
        )


@dataclass
class ProfileComparison:
    """Two profiles side by side: per op type (model op types, so levels line up) and per node."""

    labels: tuple[str, str]
    by_op_type: pd.DataFrame
    by_node: pd.DataFrame
    mean_run_us: tuple[float, float]

    def figure(self, top: int = 15) -> go.Figure:
        """Grouped bars of the op types that take the most time in either profile."""
        from ..views import profile_figures

        return profile_figures.compare(self, top=top)

    def _repr_html_(self) -> str:
        a, b = (html.escape(x) for x in self.labels)
        head = f"<b>{a}</b>: {self.mean_run_us[0]:.0f} us/run, <b>{b}</b>: {self.mean_run_us[1]:.0f} us/run"
        return f"<div>{head}{self.by_op_type.head(15).to_html(float_format=lambda v: f'{v:.3g}')}</div>"


def compare_profiles(a: Profile, b: Profile, labels: tuple[str, str] | None = None) -> ProfileComparison:
    """Compare two profiles of the same model (other provider, level, machine): per op type and per node.

    Columns ``a_mean_us``, ``b_mean_us``, ``delta_us`` (b - a) and ``ratio`` (b / a); ``labels`` name the
    sides (default: each profile's optimization level and first provider).
    """
    if labels is None:
        la, lb = _label(a), _label(b)
        labels = (la, lb) if la != lb else ("a", "b")

    def side_by_side(x: pd.DataFrame, y: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
        left = x[["mean_us", "share", *keep]].add_prefix("a_")
        right = y[["mean_us", "share", *keep]].add_prefix("b_")
        out = left.join(right, how="outer")
        for c in ("a_mean_us", "b_mean_us", "a_share", "b_share"):
            out[c] = out[c].astype(float).fillna(0.0)
        out["delta_us"] = out["b_mean_us"] - out["a_mean_us"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["ratio"] = np.where(out["a_mean_us"] > 0, out["b_mean_us"] / out["a_mean_us"], np.nan)
        order = np.maximum(out["a_mean_us"], out["b_mean_us"]).sort_values(ascending=False, kind="stable")
        return out.loc[order.index]

    ops = side_by_side(a.by_op_type(by="model"), b.by_op_type(by="model"), ["calls"])
    nodes = side_by_side(a.by_node(), b.by_node(), ["kernel", "provider"])
    return ProfileComparison(labels, ops, nodes, (a.mean_run_us, b.mean_run_us))


# -- running ------------------------------------------------------------------------------------------
def profile(
    m: ModelLike,
    *,
    runs: int = 20,
    warmup: int = 3,
    providers: Any = None,
    provider_options: Any = None,
    optimization: Optimization = "all",
    feeds: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    dims: Mapping[str, Any] | None = None,
    progress: bool | Callable[[int, int], None] = True,
    keep_files: str | os.PathLike[str] | None = None,
    time_budget: float | None = DEFAULT_TIME_BUDGET,
) -> Profile:
    """Run the model ``warmup + runs`` times with onnxruntime's profiler on and return the joined Profile.

    The session computes only the model's own outputs (nothing is marked), so times are the ones a
    deployment sees. ``feeds`` defaults to seeded random inputs sized as ``oi.input_dims(m, dims)`` says;
    inputs missing from ``feeds`` are generated the same way. ``progress``: a tqdm bar on long runs (True),
    none (False), or a callable ``(done, total)`` called after every run, warmup included. All runs together
    get ``time_budget`` seconds (None: no limit): when it is spent the profile stops early with a warning
    and keeps the complete runs; Ctrl-C ends onnxruntime's run. The profile file lives in a temporary
    folder that is removed afterwards, unless ``keep_files`` names a folder to keep it (and the optimized
    graph) in. A model whose whole graph onnxruntime folds away gives an empty profile (no events).
    """
    model = as_model(m)
    runs = _count(runs, "runs", 1)
    warmup = _count(warmup, "warmup", 0)
    budget = check_budget(time_budget)
    check_optimization(optimization)
    names, opts = resolve_providers(providers, provider_options)
    inputs, infos = prepare_feeds(model, feeds, dims=dims)
    label = model_label(model)

    if keep_files is not None:
        if not isinstance(keep_files, (str, os.PathLike)) or not str(keep_files) or "\0" in str(keep_files):
            raise InspectError(f"keep_files={keep_files!r} must name a folder")
        folder = Path(keep_files)
        if folder.exists() and not folder.is_dir():
            raise InspectError(
                f"keep_files='{folder}' is an existing file, not a folder; name a folder to keep the profile in"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InspectError(
                f"keep_files='{folder}': cannot create the folder ({exc.strerror or exc})"
            ) from None
        tmp = None
    else:
        tmp = tempfile.mkdtemp(prefix="oi-profile-")
        folder = Path(tmp)
    try:
        # onnxruntime names unnamed nodes <OpType>_<index> in profiles but leaves them unnamed in the graph
        # it saves, and fused kernels of unnamed nodes get fresh indices: the session runs a copy whose
        # nodes are named by their ids, so every kernel is traceable. Names change nothing it computes.
        renamed = named_copy(model) if (model.nodes["name"] != model.nodes.index).any() else None
        # The optimized graph explains fusions; onnxruntime inlines functions even when optimizations are
        # off (model-local ones, and standard ops it has no kernel for, such as HardSwish, whose nodes get
        # fresh names). Compiling providers (TensorRT, ...) cannot save theirs.
        save_optimized = not any(p in pj.COMPILING_PROVIDERS for p in names)
        sess = _profiling_session(model, renamed, folder, optimization, names, opts, label, save_optimized)
        out_names = [o.name for o in sess.get_outputs()]
        total = warmup + runs
        bar = None
        done = 0
        stopped = None
        deadline = None if budget is None else time.monotonic() + budget
        try:
            report = progress if callable(progress) else None
            t0 = time.perf_counter()
            try:
                run_session(sess, out_names, inputs, label=label, budget=budget)
            except RuntimeFailure as exc:
                raise dimplan.with_dims_hint(exc, infos) from None
            done = 1
            first = time.perf_counter() - t0
            if report is not None:
                report(1, total)
            elif progress and first * (total - 1) > PROGRESS_AFTER_S:
                from tqdm.auto import tqdm

                bar = tqdm(total=total, initial=1, desc="profiling", unit="run", leave=False)
            while done < total:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    stopped = f"the time budget of {budget:g} s was spent"
                    break
                try:
                    run_session(sess, out_names, inputs, label=label, budget=left)
                except RuntimeFailure:
                    if left is None or time.monotonic() < deadline:  # type: ignore[operator]
                        raise
                    stopped = f"the time budget of {budget:g} s was spent during a run"
                    break
                done += 1
                if bar is not None:
                    bar.update(1)
                if report is not None:
                    report(done, total)
        finally:
            if bar is not None:
                bar.close()
            trace_path = sess.end_profiling()
            del sess
        trace = read_trace(trace_path, source=f"profile of {label}")
        notes = []
        if stopped is not None:
            keep_warmup = min(warmup, done - 1)
            notes.append(
                f"profile of {label}: stopped after {done} of {total} runs ({keep_warmup} warmup, "
                f"{done - keep_warmup} measured) because {stopped}; pass a larger time_budget= for more runs"
            )
            warmup, total = keep_warmup, done
        opt_path = folder / "optimized.onnx"
        opt = (
            onnx.load(str(opt_path), load_external_data=False)
            if save_optimized and opt_path.exists()
            else None
        )
        meta = {
            "source": str(trace_path) if tmp is None else None,
            "optimization": optimization,
            "providers": list(names),
            "renamed": renamed is not None,
            "onnxruntime": ort.__version__,
            "input_shapes": {k: tuple(np.shape(v)) for k, v in inputs.items()},
            "input_dims": {i.key: (i.value, i.source) for i in infos},
        }
        return _assemble(trace, model, opt, warmup=warmup, meta=meta, expected_runs=total, notes=notes,
                         allow_empty=True)  # fmt: skip
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _profiling_session(
    model: Model,
    renamed: onnx.ModelProto | None,
    folder: Path,
    optimization: str,
    names: Sequence[str],
    opts: Sequence[Mapping[str, str]],
    label: str,
    save_optimized: bool,
) -> ort.InferenceSession:
    """A session with the profiler on, writing into ``folder`` (and the optimized graph when asked)."""
    config = {}
    if save_optimized:
        # Weights of the saved graph go to a side file: only its structure is read back.
        config = {
            "session.optimized_model_external_initializers_file_name": "optimized.onnx.data",
            "session.optimized_model_external_initializers_min_size_in_bytes": "1024",
        }
    so = session_options(optimization, config)
    so.enable_profiling = True
    so.profile_file_prefix = str(folder / "profile")
    if save_optimized:
        so.optimized_model_filepath = str(folder / "optimized.onnx")
    source: Path | onnx.ModelProto
    if renamed is not None:
        source = renamed
    elif model.path is not None:
        source = model.path
    else:
        source = model.proto
    return create_session(source, label=label, providers=names, provider_options=opts, so=so,
                          ext_dir=external_folder(model), model=model.proto)  # fmt: skip


# -- assembling a Profile -----------------------------------------------------------------------------
def _assemble(
    trace: Trace,
    model: Model | None,
    optimized: onnx.ModelProto | None,
    *,
    warmup: int,
    meta: dict[str, Any],
    expected_runs: int | None = None,
    notes: Sequence[str] = (),
    allow_empty: bool = False,
) -> Profile:
    """Turn a parsed trace into a Profile: runs, nesting, the join to model nodes, device kernels.

    ``allow_empty``: the runs are known to have succeeded (``oi.profile``), so a trace without node
    events means onnxruntime folded the whole graph into constants: an empty profile, not a broken file.
    """
    notes = [*trace.warnings, *notes]
    src = trace.source
    n_ev = len(trace.name)
    if n_ev == 0 and allow_empty and trace.run_ts:
        notes.append(
            f"{src}: no kernel ran (onnxruntime computed the outputs at session creation, e.g. a graph of "
            "Shape or ConstantOfShape nodes), so the profile has no node events"
        )
    elif n_ev == 0:
        why = (
            "the file is truncated before the first node event"
            if trace.truncated
            else "not an onnxruntime profile, or the session never ran"
        )
        raise ProfileError(
            f"{src}: holds no node events ({why}); profile with SessionOptions.enable_profiling and at least "
            "one run"
        )
    ts = np.asarray(trace.ts, dtype=np.int64)
    dur = np.asarray(trace.dur, dtype=np.int64)
    run_order = np.argsort(np.asarray(trace.run_ts, dtype=np.int64), kind="stable")
    run_ts = np.asarray(trace.run_ts, dtype=np.int64)[run_order]
    run_dur = np.asarray(trace.run_dur, dtype=np.int64)[run_order]
    if len(run_ts):
        run = assign_runs(ts, dur, run_ts.tolist(), run_dur.tolist())
        outside = int((run < 0).sum())
        if outside and not (trace.truncated or trace.capped):
            notes.append(f"{src}: {outside} node event(s) lie outside every model_run and were dropped")
    else:
        notes.append(f"{src}: no model_run events; all node events are taken as one run")
        run = np.zeros(n_ev, dtype=np.int64)
        run_ts = np.asarray([ts.min()], dtype=np.int64)
        run_dur = np.asarray([(ts + dur).max() - ts.min()], dtype=np.int64)
    if expected_runs is not None and len(run_ts) < expected_runs:
        why = " (onnxruntime's event cap was reached)" if trace.capped else ""
        notes.append(f"{src}: {len(run_ts)} of {expected_runs} runs were recorded{why}")
    if warmup >= len(run_ts):
        raise ProfileError(
            f"{src}: holds {len(run_ts)} complete run(s); none is left after dropping {warmup} warmup run(s)"
        )
    keep = np.flatnonzero(run >= warmup)
    run = run[keep] - warmup
    run_ts, run_dur = run_ts[warmup:], run_dur[warmup:]
    # Order: by run, start time, longest first (an enclosing If/Loop precedes its body).
    idx = np.lexsort((-dur[keep], ts[keep], run))
    order, run = keep[idx], run[idx]
    n = len(order)
    names = [trace.name[i] for i in order]
    ops = [trace.op[i] for i in order]
    provs = [trace.provider[i] for i in order]
    tids = [trace.tid[i] for i in order]
    ets, edur = ts[order], dur[order]

    graphs = pj.build_graphs(model.nodes, model.tensors) if model is not None else {}
    control = set(pj.CONTROL_OPS)
    if model is not None:
        sub = model.nodes[model.nodes["subgraphs"].map(len) > 0]
        control.update(sub["op_type"].tolist())
    parent, children = _nest(run, ets, edur, tids, ops, control)

    # Graph of each event: top level -> main graph; inside a control-flow event -> the body it ran.
    graph_of: list[str | None] = [""] * n
    body_of: dict[int, str | None] = {}
    for k in range(n):
        p = parent[k]
        path = "" if p < 0 else body_of.get(p)
        graph_of[k] = path
        kids = children.get(k)
        if kids and path is not None and path in graphs:
            g = graphs[path]
            pos = g.find(names[k])
            body_of[k] = (
                pj.choose_body(g.subgraphs[pos], graphs, [names[c] for c in kids])
                if pos is not None
                else None
            )

    joiner = _Joiner(graphs, optimized, model)
    matches = joiner.resolve(names, ops, graph_of)
    # Compiled engines (TensorRT, ...) stand for the model nodes no other kernel of the run covers.
    engine_rows = [k for k in range(n) if matches[k].kind == pj.UNMATCHED and graph_of[k] == ""
                   and pj.is_engine(names[k], ops[k], provs[k])]  # fmt: skip
    if engine_rows and "" in graphs:
        for r in np.unique(run[engine_rows]):
            rows = [k for k in engine_rows if run[k] == r]
            covered = {
                nid for k in np.flatnonzero(run == r) if graph_of[k] == "" for nid in matches[k].model_nodes
            }
            for k, mt in zip(
                rows, pj.engine_matches(graphs[""], [ops[k] for k in rows], covered), strict=True
            ):
                matches[k] = mt

    seen_layout: dict[tuple[str, str], bool] = {}
    for key in zip(names, ops, strict=True):
        if key not in seen_layout:
            seen_layout[key] = pj.is_layout(*key)
    layout = np.fromiter((seen_layout[key] for key in zip(names, ops, strict=True)), dtype=bool, count=n)
    _charge_by_order(matches, layout, run, tids)

    self_us = edur.astype(float)
    depth = np.zeros(n, dtype=np.int64)
    for k in range(n):
        p = parent[k]
        if p >= 0:
            self_us[p] -= edur[k]
            depth[k] = depth[p] + 1
    np.maximum(self_us, 0.0, out=self_us)

    unmatched = sum(1 for mt in matches if mt.kind == pj.UNMATCHED)
    if unmatched and model is not None:
        bad = sorted({names[k] for k in range(n) if matches[k].kind == pj.UNMATCHED})
        notes.append(
            f"{src}: {len(bad)} executed node name(s) match no model node ({', '.join(bad[:5])}"
            f"{', ...' if len(bad) > 5 else ''}); their rows have mapping 'unmatched' (is this the right model?)"
        )

    kernels, device = _attach_kernels(trace, order, run_ts, run_dur, run, ets, ops)
    shapes_in = shapes_column(names, [trace.in_types[i] for i in order])
    shapes_out = shapes_column(names, [trace.out_types[i] for i in order])
    op_of = dict(zip(model.nodes.index, model.nodes["op_type"], strict=True)) if model is not None else {}
    start_of_run = run_ts[run] if n else np.zeros(0, dtype=np.int64)
    events = pd.DataFrame(
        {
            "run": run,
            "node_id": [mt.node_id for mt in matches],
            "ort_name": names,
            "op_type": ops,
            "model_op_type": [op_of.get(mt.node_id) if mt.node_id else None for mt in matches],
            "provider": provs,
            "graph": graph_of,
            "start_us": ets - start_of_run,
            "dur_us": edur,
            "self_us": self_us,
            "device_us": device,
            "mapping": [mt.kind for mt in matches],
            "fused": [len(mt.model_nodes) > 1 for mt in matches],
            "inserted": [mt.kind in (pj.INSERTED, pj.CHARGED) for mt in matches],
            "layout": layout,
            "model_nodes": [mt.model_nodes for mt in matches],
            "input_shapes": [s[0] if s else None for s in shapes_in],
            "output_shapes": [s[0] if s else None for s in shapes_out],
            "output_dtypes": [s[1] if s else None for s in shapes_out],
            "output_size": _ints([trace.output_size[i] for i in order]),
            "activation_size": _ints([trace.activation_size[i] for i in order]),
            "parameter_size": _ints([trace.parameter_size[i] for i in order]),
            "depth": depth,
            "parent": parent,
            "thread": tids,
            "ts_us": ets,
            "input_dtypes": [s[1] if s else None for s in shapes_in],
        }
    )
    for c in ("node_id", "graph", "model_op_type", "provider"):
        events[c] = events[c].astype(object)
    runs_df = pd.DataFrame(
        {"start_us": run_ts, "dur_us": run_dur}, index=pd.RangeIndex(len(run_ts), name="run")
    )
    per_run = events.groupby("run")["self_us"]
    runs_df["kernel_us"] = per_run.sum().reindex(runs_df.index, fill_value=0.0)
    mapped = events[events["node_id"].notna()].groupby("run")["self_us"].sum()
    runs_df["mapped_us"] = mapped.reindex(runs_df.index, fill_value=0.0)
    runs_df["events"] = per_run.size().reindex(runs_df.index, fill_value=0)
    meta = {**meta, "warmup": warmup, "truncated": trace.truncated, "capped": trace.capped}
    for note in notes:
        warnings.warn(note, stacklevel=3)
    return Profile(events, runs_df, kernels, model, meta, notes)


def _charge_by_order(matches: list[pj.Match], layout: np.ndarray, run: np.ndarray, tids: list[Any]) -> None:
    """Layout kernels no optimized graph explains go to the next kernel of their run and thread (the
    one that reads the re-laid-out value, in onnxruntime's sequential order), else the previous one."""
    n = len(matches)
    for k in np.flatnonzero(layout):
        if matches[k].node_id is not None:
            continue
        owner = None
        for step in (1, -1):
            q = k + step
            while 0 <= q < n and run[q] == run[k]:
                if tids[q] == tids[k] and not layout[q] and matches[q].node_id is not None:
                    owner = matches[q].node_id
                    break
                q += step
            if owner is not None:
                break
        if owner is not None:
            matches[k] = pj.Match(owner, (owner,), pj.CHARGED)


def _nest(
    run: np.ndarray, ts: np.ndarray, dur: np.ndarray, tids: list[Any], ops: list[str], control: set[str]
) -> tuple[np.ndarray, dict[int, list[int]]]:
    """Enclosing control-flow event of each event (-1 if none) and each control event's direct children.

    Events are sorted by run, start, longest first; only If/Loop/Scan-like events can enclose, and only
    events on their own thread (a parallel executor's other threads are not their bodies).
    """
    n = len(ts)
    parent = np.full(n, -1, dtype=np.int64)
    children: dict[int, list[int]] = {}
    if not any(op in control for op in ops):
        return parent, children
    stack: list[int] = []
    for k in range(n):
        t, end = ts[k], ts[k] + dur[k]
        while stack:
            top = stack[-1]
            if run[top] == run[k] and ts[top] <= t < ts[top] + dur[top] and end <= ts[top] + dur[top]:
                break
            stack.pop()
        for top in reversed(stack):
            if tids[top] == tids[k]:
                parent[k] = top
                children.setdefault(top, []).append(k)
                break
        if ops[k] in control and dur[k] > 0:
            stack.append(k)
    return parent, children


class _Joiner:
    """Resolves (graph, name, op) to a Match once per distinct kernel, using the optimized graph if given."""

    def __init__(
        self, graphs: dict[str, pj.GraphInfo], optimized: onnx.ModelProto | None, model: Model | None
    ):
        self.graphs = graphs
        self.model = model
        self.opt = pj.OptimizedJoins(graphs, optimized.graph, model) if optimized is not None else None

    def _opt_for(self, path: str) -> pj.OptimizedJoin | None:
        return self.opt.get(path) if self.opt is not None else None

    def resolve(self, names: list[str], ops: list[str], graph_of: list[str | None]) -> list[pj.Match]:
        cache: dict[tuple[str | None, str, str], pj.Match] = {}
        # Unnamed optimized nodes pair with unknown event names of their op by order of first execution.
        hint: dict[tuple[str, str], int] = {}
        counters: dict[tuple[str, str], int] = {}
        out: list[pj.Match] = []
        for key in zip(graph_of, names, ops, strict=True):
            mt = cache.get(key)
            if mt is None:
                mt = cache[key] = self._match(*key, hint, counters)
            out.append(mt)
        return out

    def _match(
        self,
        path: str | None,
        name: str,
        op: str,
        hint: dict[tuple[str, str], int],
        counters: dict[tuple[str, str], int],
    ) -> pj.Match:
        if path is None or path not in self.graphs:
            return pj.Match(None, (), pj.UNMATCHED)
        join = self._opt_for(path)
        if join is not None:
            if name not in join.by_name:
                c = (path, op)
                hint[(path, name)] = counters.get(c, 0)
                counters[c] = counters.get(c, 0) + 1
            mt = join.match(name, op, hint)
            if mt is not None:
                return mt
        return pj.match_by_name(self.graphs[path], name, op)


def _attach_kernels(
    trace: Trace, order: np.ndarray, run_ts: np.ndarray, run_dur: np.ndarray, run: np.ndarray, ets: np.ndarray,
    ops: list[str],
) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """Device kernel events (CUDA/ROCm profiling builds) attached to the node event that launched them.

    onnxruntime writes a node's kernels right after the node event, stamped with the node's op name and
    start times of the node's start + 1, + 2, ...: each kernel goes to the node event written before it
    when the op names agree, else to the latest node event of its op that started before it.
    """
    n = len(order)
    device = np.full(n, np.nan)
    cols = ["run", "event", "kernel", "op_type", "start_us", "dur_us"]
    if not trace.k_ts:
        return pd.DataFrame(columns=cols), device
    kts = np.asarray(trace.k_ts, dtype=np.int64)
    krun = assign_runs(kts, np.zeros_like(kts), run_ts.tolist(), run_dur.tolist())
    row_of = np.full(len(trace.name), -1, dtype=np.int64)  # trace index -> events row (-1: dropped)
    row_of[order] = np.arange(n)
    by_ts = np.argsort(ets, kind="stable")
    sorted_ts = ets[by_ts]
    rows = []
    for j in range(len(kts)):
        if krun[j] < 0:
            continue  # a warmup run's, or outside every run
        want = trace.k_op[j]
        after = trace.k_after[j] if j < len(trace.k_after) else -1
        found = int(row_of[after]) if after >= 0 else -1
        if found < 0 or (want is not None and ops[found] != want):
            found = -1
            pos = int(np.searchsorted(sorted_ts, kts[j], side="left")) - 1
            for q in range(pos, max(pos - 64, -1), -1):
                k = int(by_ts[q])
                if want is None or ops[k] == want:
                    found = k
                    break
        if found < 0:
            continue
        dur = float(trace.k_dur[j])
        device[found] = dur if np.isnan(device[found]) else device[found] + dur
        rows.append(
            (int(run[found]), found, trace.k_name[j], ops[found], int(kts[j] - run_ts[run[found]]), int(dur))
        )
    return pd.DataFrame(rows, columns=cols), device


# -- small helpers ------------------------------------------------------------------------------------
def _read_optimized(src: str | os.PathLike[str] | onnx.ModelProto) -> onnx.ModelProto:
    if isinstance(src, onnx.ModelProto):
        return src
    if not isinstance(src, (str, os.PathLike)) or not Path(src).is_file():
        why = (
            "is not a regular file"
            if isinstance(src, (str, os.PathLike)) and Path(src).exists()
            else "does not exist"
        )
        raise ProfileError(f"optimized model {str(src)!r} {why}")
    try:
        return onnx.load(str(src), load_external_data=False)
    except FileNotFoundError:
        raise ProfileError(f"optimized model '{src}' does not exist") from None
    except Exception as exc:
        raise ProfileError(f"optimized model '{src}' is not a readable ONNX file ({exc})") from None


def _count(v: Any, what: str, least: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < least:
        raise InspectError(f"{what}={v!r} must be an integer >= {least}")
    return int(v)


def _ints(values: list[Any]) -> pd.arrays.IntegerArray:
    """Sizes as written by onnxruntime (decimal strings) -> nullable int64; anything else -> <NA>."""
    try:
        return pd.array(np.array(values, dtype=np.str_).astype(np.int64), dtype="Int64")
    except (ValueError, TypeError, OverflowError):  # missing or odd entries: the slow, forgiving path
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("Int64").array


def _joined(values: pd.Series) -> str:
    return ",".join(sorted({str(v) for v in values if v is not None and v == v}))


def _others(values: pd.Series) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for t in values:
        for x in t:
            seen[x] = None
    return tuple(seen)


def _merge_shapes(shapes: set[tuple[int, ...]]) -> tuple[int | None, ...] | None:
    """One shape for all observed ones: dims that differ across runs become None (rank must agree)."""
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        return None
    it = iter(shapes)
    merged: list[int | None] = list(next(it))
    for s in it:
        merged = [a if a == b else None for a, b in zip(merged, s, strict=True)]
    return tuple(merged)


def _conflict(declared: tuple[Any, ...] | None, seen: tuple[int | None, ...] | None) -> bool:
    """Whether a shape seen at run time contradicts a static dim (or the rank) the model declares."""
    if declared is None or seen is None:
        return False
    if len(declared) != len(seen):
        return True
    return any(isinstance(d, int) and o is not None and d != o for d, o in zip(declared, seen, strict=True))


def _label(p: Profile) -> str:
    opt = p.meta.get("optimization") or "file"
    provs = p.meta.get("providers") or []
    first = short_provider(provs[0]) if provs else ""
    return f"{opt} {first}".strip()


__all__ = ["Profile", "ProfileComparison", "compare_profiles", "profile"]
