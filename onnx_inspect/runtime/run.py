"""Partial inference: fetch any tensor of a model on any execution provider, or start from the middle.

``run`` marks the wanted intermediates as outputs on a cut copy of the model (only the nodes they need),
caches one session per (outputs, fed tensors, providers, options), and returns numpy arrays. Values in
``If`` branches are fetched by running the taken branch as a standalone graph whose outer-scope values
come from a run of the enclosing graph.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

from ..errors import FeedError, InspectError, ProviderError, RuntimeFailure, UnknownNameError
from ..model import Model, ModelLike, as_model
from . import dims as dimplan
from .diff import diff_table
from .extract import Cut, build_model, check_sufficient, plan
from .feeds import (
    DEFAULT_MAX_BYTES,
    DimsArg,
    FeedsArg,
    RangesArg,
    check_dims_ranges,
    check_seed,
    generate,
    given_feeds,
    model_inputs,
    model_metadata,
    resolve_shape,
)
from .providers import ProvidersArg, resolve_providers, short_provider
from .session import (
    DEFAULT_TIME_BUDGET,
    cached_session,
    check_budget,
    create_session,
    external_folder,
    graph_index,
    model_label,
    node_ids,
    remember_plan,
    run_session,
    session_options,
    state,
)

# -- names --------------------------------------------------------------------------------------------


def _resolve_outputs(m: Model, outputs: str | Sequence[str] | None) -> list[tuple[str, str, str]]:
    """(key the caller used, graph path, value name) for each wanted tensor."""
    if outputs is None:
        return [(n, "", n) for n in m.main_outputs()]
    pos = m.tensor_positions()
    cols = m.tensor_columns("graph", "name", "kind")
    graph, name, kind = cols["graph"], cols["name"], cols["kind"]
    if isinstance(outputs, str):
        if outputs == "all":
            return [
                (n, "", n)
                for g, n, k in zip(graph, name, kind, strict=True)
                if g == "" and k in ("intermediate", "output")
            ]
        outputs = [outputs]
    out: list[tuple[str, str, str]] = []
    for key in outputs:
        if not isinstance(key, str):
            raise UnknownNameError(f"output names must be strings, got {key!r}")
        row = pos.get(key)
        if row is None:
            hint = ""
            if key in m.nodes.index:
                outs = [o for o in cast("tuple[str, ...]", m.nodes.at[key, "outputs"]) if o]
                hint = f"; '{key}' is a node, its outputs are {outs}"
            else:
                close = difflib.get_close_matches(key, list(pos), n=3)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownNameError(f"the model has no tensor named '{key}'{hint}")
        row = pos[m.resolve_outer(key)]  # a body's reference to an enclosing value: fetch that value
        out.append((key, graph[row], name[row]))
    return out


def input_dims(m: ModelLike, dims: DimsArg = None, feeds: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Every symbolic or unknown dim of the model's inputs: which inputs/axes use it, the size a run will
    use and where it comes from (``dims``, ``metadata``, ``default``; ``unset`` must be given in ``dims=``).

    Indexed by the ``dims=`` key (a dim name, or ``"input[axis]"`` for an unnamed ``?`` dim). Inputs given
    in ``feeds`` are left out (their shapes come from the arrays).
    """
    model = as_model(m)
    specs = [s for s in model_inputs(model).values() if s.name not in (feeds or {})]
    dimplan.check_keys(specs, dims)
    return dimplan.table(dimplan.plan(specs, dims, model_metadata(model)))


def input_shapes(m: ModelLike, dims: DimsArg = None) -> dict[str, tuple[int, ...] | None]:
    """Shape each generated input gets with these ``dims`` (None where a dim is still unset)."""
    model = as_model(m)
    specs = [s for s in model_inputs(model).values() if s.kind == "tensor"]
    dimplan.check_keys(specs, dims)
    infos = dimplan.plan(specs, dims, model_metadata(model))
    sizes = {u: i.value for i in infos for u in i.uses}
    out: dict[str, tuple[int, ...] | None] = {}
    for spec in specs:
        try:
            out[spec.name] = resolve_shape(spec, dims, sizes)
        except FeedError:
            out[spec.name] = None
    return out


def _elem_and_rank(value: Any, what: str) -> tuple[int, int | None]:
    if not isinstance(value, np.ndarray):
        raise InspectError(
            f"{what} is a {type(value).__name__}, not a tensor; only tensor values can be passed on"
        )
    elem: int
    try:
        elem = onnx.helper.np_dtype_to_tensor_dtype(value.dtype)
    except (KeyError, TypeError, ValueError):
        elem = onnx.TensorProto.STRING if value.dtype.kind in "OUS" else 0
    if not elem:
        raise FeedError(f"{what} has dtype {value.dtype}, which ONNX has no type for")
    return elem, value.ndim


# -- the runner ---------------------------------------------------------------------------------------


class _Runner:
    """One call of run(): resolved providers and feeds, shared by the graphs it has to run."""

    def __init__(
        self,
        m: Model,
        feeds: FeedsArg,
        providers: ProvidersArg,
        provider_options: Any,
        optimization: str,
        dims: DimsArg,
        ranges: RangesArg,
        seed: int,
        max_bytes: int,
        time_budget: float | None = DEFAULT_TIME_BUDGET,
    ) -> None:
        self.m = m
        self.budget = check_budget(time_budget)
        self.label = model_label(m)
        self.providers, self.provider_options = resolve_providers(providers, provider_options)
        session_options(optimization)  # validates the level early
        self.optimization = optimization
        self.dims, self.ranges, self.max_bytes = dims, ranges, max_bytes
        self.seed = check_seed(seed)
        self.gi = graph_index(m, "")
        self.specs = model_inputs(m)
        check_dims_ranges(list(self.specs.values()), dims, ranges)
        self.generated = feeds is None
        self.feeds: dict[str, Any] = {}
        self.cuts: dict[str, np.ndarray] = {}
        if feeds is not None:
            self.feeds, self.cuts = given_feeds(m, feeds, cuts=True, max_bytes=max_bytes)

    # feeds ------------------------------------------------------------------------------------------
    def _generated(self, needed: Sequence[str]) -> dict[str, np.ndarray]:
        st = state(self.m)
        key = (
            tuple(needed),
            _freeze(self.dims),
            _freeze(self.ranges),
            self.seed,
            self.max_bytes,
        )
        got = st.feeds.get(key)
        if got is None:
            got = generate(
                [self.specs[n] for n in needed],
                dims=self.dims,
                ranges=self.ranges,
                seed=self.seed,
                max_bytes=self.max_bytes,
                metadata=model_metadata(self.m),
            )
            st.feeds[key] = got
            while len(st.feeds) > 4:
                st.feeds.popitem(last=False)
        return got

    def main_feeds(self) -> dict[str, Any]:
        """Feeds for every real input (generated ones included), for callers that reuse them."""
        if self.generated:
            return dict(self._generated(list(self.specs)))
        return dict(self.feeds)

    def _node_label(self, path: str):  # type: ignore[no-untyped-def]
        ids = node_ids(self.m, path)
        nodes = self.gi.graph.node if path == "" else self.m.graph_proto(path).node

        def label(i: int) -> str:
            return f"'{ids[i]}' ({nodes[i].op_type})"

        return label

    # fetching ---------------------------------------------------------------------------------------
    def _session(
        self,
        scope: tuple[str, ...],
        sess_outputs: tuple[str, ...],
        fed_types: Mapping[str, Any],
        source: Callable[[], Path | onnx.ModelProto],
        label: str,
        model: onnx.ModelProto | None = None,
    ) -> ort.InferenceSession:
        """The cached session for these outputs and fed tensors under this runner's providers and options."""
        key = (
            *scope,
            sess_outputs,
            tuple(sorted(fed_types.items())),
            self.providers,
            _freeze(self.provider_options),
            self.optimization,
        )

        def factory() -> ort.InferenceSession:
            return create_session(
                source(),
                label=label,
                providers=self.providers,
                provider_options=self.provider_options,
                optimization=self.optimization,
                ext_dir=external_folder(self.m),
                model=model if model is not None else self.m.proto,
            )

        return cached_session(self.m, key, factory)

    def fetch(self, path: str, names: Sequence[str]) -> dict[str, Any]:
        """Values of ``names`` in graph ``path`` ("" = main graph)."""
        if path == "":
            return self._fetch_main(names)
        return self._fetch_body(path, names)

    def _fetch_main(self, names: Sequence[str]) -> dict[str, Any]:
        gi = self.gi
        fed = tuple(sorted(self.cuts))
        wanted = tuple(dict.fromkeys(names))
        st = state(self.m)
        pkey = ("main", wanted, fed)
        cut: Cut | None = st.plans.get(pkey)
        if cut is None:
            cut = plan(gi, wanted, fed)
            remember_plan(st, pkey, cut)
        if cut.outer:
            raise InspectError(f"{self.label}: main graph reads '{cut.outer[0]}', which nothing defines")
        if self.generated:
            feeds: Mapping[str, Any] = self._generated(cut.inputs)
        else:
            check_sufficient(cut, gi, self.feeds, self._node_label(""), middle=bool(self.cuts))
            feeds = self.feeds
        result: dict[str, Any] = {n: feeds[n] for n in wanted if n in feeds}
        sess_outputs = tuple(sorted(n for n in wanted if n not in feeds))
        if not sess_outputs:
            return result
        fed_types = {n: _elem_and_rank(self.cuts[n], f"fed tensor '{n}'") for n in cut.fed}
        # The model file itself serves when the whole graph runs; an input that feeds nothing is left out of
        # the cut copy instead (onnxruntime would ask for it).
        whole = (
            not cut.fed
            and set(sess_outputs) == set(gi.outputs)
            and len(sess_outputs) == len(gi.outputs)
            and set(cut.inputs) >= set(self.specs)
        )

        def source() -> Path | onnx.ModelProto:
            if whole and self.m.path is not None:
                return Path(self.m.path)
            cut_model = build_model(self.m.proto, gi, cut, fed_types, session_outputs=sess_outputs)
            _name_nodes(cut_model.graph, cut.nodes, node_ids(self.m, ""))
            return cut_model

        sess = self._session(("main",), sess_outputs, fed_types, source, self.label, model=self.m.proto)
        sess_inputs = [i.name for i in sess.get_inputs()]
        try:
            values = run_session(
                sess,
                sess_outputs,
                {n: feeds[n] for n in sess_inputs},
                label=self.label,
                node_label=self._ort_node_label(""),
                budget=self.budget,
            )
        except RuntimeFailure as exc:
            if not self.generated:
                raise
            specs = [self.specs[n] for n in cut.inputs]
            raise dimplan.with_dims_hint(
                exc, dimplan.plan(specs, self.dims, model_metadata(self.m))
            ) from None
        result.update(zip(sess_outputs, values, strict=True))
        return result

    def _ort_node_label(self, path: str) -> Callable[[str], str]:
        ids = set(node_ids(self.m, path))

        def label(name: str) -> str:
            if name in ids:
                return f"'{name}' ({self.m.nodes.at[name, 'op_type']!s})"
            return repr(name)

        return label

    def _fetch_body(self, path: str, names: Sequence[str]) -> dict[str, Any]:
        g = self.m.graphs.loc[path]
        if g["kind"] != "body":
            raise InspectError(
                f"'{path}::{names[0]}' is inside model-local function '{path}'; onnxruntime inlines functions, so "
                "their inner values cannot be fetched: fetch the calling node's outputs instead"
            )
        owner = g["owner"]
        node = self.m.node(owner)
        if node.op_type != "If" or node.domain not in ("", "ai.onnx"):
            raise InspectError(
                f"'{path}::{names[0]}' is inside graph '{g['attribute']}' of {node.op_type} node '{owner}': a value in a "
                f"{node.op_type} body takes a new value every iteration, so it cannot be fetched as one tensor. "
                f"Fetch the outputs of '{owner}' instead (only If branches can be fetched into)"
            )
        gi = graph_index(self.m, path)
        wanted = tuple(dict.fromkeys(names))
        cut = plan(gi, wanted)
        cond_name = node.input[0]
        parent = g["parent"]
        outer_vals = self.fetch(parent, [cond_name, *cut.outer])
        cond = np.asarray(outer_vals[cond_name])
        if cond.size != 1:
            raise InspectError(f"If node '{owner}': condition '{cond_name}' has {cond.size} elements, not 1")
        taken = "then_branch" if bool(cond.reshape(-1)[0]) else "else_branch"
        if g["attribute"] != taken:
            raise FeedError(
                f"'{path}::{names[0]}' is in the {g['attribute']} of If node '{owner}', but with these feeds its "
                f"condition '{cond_name}' is {bool(cond.reshape(-1)[0])}, so the {taken} runs instead and "
                f"'{path}::{names[0]}' is never computed; give feeds that make '{cond_name}' "
                f"{g['attribute'] == 'then_branch'}"
            )
        result = {n: outer_vals[n] for n in wanted if n in outer_vals and n in cut.outer}
        sess_outputs = tuple(sorted(n for n in wanted if n not in result))
        if not sess_outputs:
            return result
        fed_types = {n: _elem_and_rank(outer_vals[n], f"outer value '{n}' of '{path}'") for n in cut.outer}

        def source() -> onnx.ModelProto:
            cut_model = build_model(self.m.proto, gi, cut, fed_types, session_outputs=sess_outputs)
            _name_nodes(cut_model.graph, cut.nodes, [i.split("::")[-1] for i in node_ids(self.m, path)])
            return cut_model

        sess = self._session(
            ("body", path), sess_outputs, fed_types, source, f"branch '{path}' of {self.label}"
        )
        values = run_session(
            sess,
            sess_outputs,
            {n: outer_vals[n] for n in cut.outer},
            label=f"branch '{path}' of {self.label}",
            budget=self.budget,
        )
        result.update(zip(sess_outputs, values, strict=True))
        return result


def _name_nodes(g: onnx.GraphProto, positions: Sequence[int], ids: Sequence[str]) -> None:
    """Give the nodes of a cut copy their model node ids as names (clear errors, exact placement)."""
    for k, n in enumerate(g.node):
        if not n.name:
            n.name = ids[positions[k]]


def _freeze(x: Any) -> Any:
    if isinstance(x, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        return tuple(_freeze(v) for v in x)
    if isinstance(x, np.ndarray):
        return (x.dtype.str, x.shape, x.tobytes())
    return x


# -- public functions ---------------------------------------------------------------------------------


def run(
    m: ModelLike,
    outputs: str | Sequence[str] | None = None,
    feeds: FeedsArg = None,
    providers: ProvidersArg = None,
    *,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    provider_options: Any = None,
    optimization: str = "all",
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_budget: float | None = DEFAULT_TIME_BUDGET,
) -> dict[str, np.ndarray]:
    """Run the model (or just the part that ``outputs`` need) and return ``{name: array}``.

    ``outputs``: None (model outputs), a tensor name or id, a list of them, or ``"all"`` (every
    main-graph value). ``feeds``: None (seeded random inputs, sized as ``oi.input_dims(m, dims)`` says:
    ``dims`` sets symbolic/unknown dims, else the model's metadata or 1; image dims must be given;
    ``ranges`` sets value ranges per input), a dict of arrays, an ``.npz``, ``.pb`` file(s) or a
    backend-test folder. Feeding an intermediate tensor starts the run there (only the nodes between
    run). ``providers`` default to the best available (``oi.providers()``). onnxruntime's run is stopped
    after ``time_budget`` seconds (None: no limit) or on Ctrl-C.
    """
    model = as_model(m)
    wanted = _resolve_outputs(model, outputs)
    runner = _Runner(model, feeds, providers, provider_options, optimization, dims, ranges, seed, max_bytes,
                     time_budget)  # fmt: skip
    by_graph: dict[str, list[str]] = {}
    for _, graph, name in wanted:
        by_graph.setdefault(graph, []).append(name)
    values: dict[tuple[str, str], Any] = {}
    for graph, names in by_graph.items():
        for name, v in runner.fetch(graph, names).items():
            values[(graph, name)] = v
    return {key: values[(graph, name)] for key, graph, name in wanted}


def compare(
    m: ModelLike,
    b: Any = None,
    outputs: str | Sequence[str] | None = None,
    providers: Sequence[ProvidersArg] | None = None,
    feeds: FeedsArg = None,
    *,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    provider_options: Sequence[Any] | None = None,
    optimization: str = "all",
    max_bytes: int = DEFAULT_MAX_BYTES,
    time_budget: float | None = DEFAULT_TIME_BUDGET,
) -> pd.DataFrame:
    """Run the same feeds on two provider lists and return per-tensor differences (max abs/rel, allclose).

    ``providers`` is a pair such as ``[["CUDAExecutionProvider"], ["CPUExecutionProvider"]]``; default:
    the best provider against CPU. ``outputs="all"`` compares every main-graph value, in graph order,
    so the first row that is not ``allclose`` shows where the results start to diverge.
    ``b`` a second model (oi.Model, path, bytes, ModelProto): compare the two models on the same feeds
    instead (``runtime.accuracy.compare_models``; ``outputs`` defaults to ``"all"``). Any other ``b`` is
    taken as ``outputs`` (the older positional form ``compare(m, outputs)``).
    """
    from .accuracy import compare_models, is_model_like

    if is_model_like(b):
        return compare_models(m, b, "all" if outputs is None else outputs, feeds, rtol=rtol, atol=atol,
                              dims=dims, ranges=ranges, seed=seed, providers=providers, optimization=optimization,
                              max_bytes=max_bytes, time_budget=time_budget)  # fmt: skip
    if b is not None:
        if outputs is not None:
            raise InspectError(
                f"compare got outputs twice ({b!r} and outputs=); a second model must be a path or a model"
            )
        outputs = b
    model = as_model(m)
    if providers is None:
        providers = [[resolve_providers(None)[0][0]], ["CPUExecutionProvider"]]
    if isinstance(providers, str) or len(providers) != 2:
        raise ProviderError(
            "compare takes two provider lists, e.g. providers=[['CUDAExecutionProvider'], ['CPUExecutionProvider']]"
        )
    opts = list(provider_options) if provider_options is not None else [None, None]
    runner = _Runner(model, feeds, providers[0], opts[0], optimization, dims, ranges, seed, max_bytes)
    shared = runner.main_feeds()
    a = run(model, outputs, shared, providers[0], provider_options=opts[0], optimization=optimization,
            max_bytes=max_bytes, time_budget=time_budget)  # fmt: skip
    b = run(model, outputs, shared, providers[1], provider_options=opts[1], optimization=optimization,
            max_bytes=max_bytes, time_budget=time_budget)  # fmt: skip
    la = _providers_label(providers[0])
    lb = _providers_label(providers[1])
    if la == lb:
        la, lb = f"{la} (a)", f"{lb} (b)"
    return diff_table(a, b, rtol=rtol, atol=atol, labels=(la, lb))


def _providers_label(p: ProvidersArg) -> str:
    names, _ = resolve_providers(p)
    return "+".join(short_provider(n) for n in names)


__all__ = ["compare", "input_dims", "input_shapes", "run"]
