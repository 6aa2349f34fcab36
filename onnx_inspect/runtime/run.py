"""Partial inference: fetch any tensor of a model on any execution provider, or start from the middle.

``run`` marks the wanted intermediates as outputs on a cut copy of the model (only the nodes they need),
caches one session per (outputs, fed tensors, providers, options), and returns numpy arrays. Values in
``If`` branches are fetched by running the taken branch as a standalone graph whose outer-scope values
come from a run of the enclosing graph.
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

from ..errors import FeedError, InspectError, ProviderError, RuntimeFailure, UnknownNameError
from . import dims as dimplan
from .diff import diff_table
from .extract import Cut, build_model, check_sufficient, plan
from .feeds import (
    DEFAULT_MAX_BYTES,
    DimsArg,
    InputSpec,
    RangesArg,
    check_ranges,
    check_seed,
    check_value,
    generate,
    input_specs,
    load_feeds,
    resolve_shape,
)
from .providers import ProviderSpec, resolve_providers
from .session import (
    DEFAULT_TIME_BUDGET,
    cached_session,
    check_budget,
    create_session,
    external_folder,
    graph_index,
    node_ids,
    remember_plan,
    run_session,
    session_options,
    state,
    tensor_rows,
)

FeedsArg = Mapping[str, Any] | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
ProvidersArg = ProviderSpec | Sequence[ProviderSpec] | None

if TYPE_CHECKING:
    from ..model import Model, ModelLike


def as_model(m: ModelLike) -> Model:
    """An ``oi.Model`` for a Model, a path, bytes or a ModelProto (loaded without reading weights)."""
    from ..model import Model, load

    return m if isinstance(m, Model) else load(m)


def _label(m: Model) -> str:
    return f"model '{m.path.name}'" if m.path is not None else "the in-memory model"


# -- names --------------------------------------------------------------------------------------------


def _resolve_outputs(m: Model, outputs: str | Sequence[str] | None) -> list[tuple[str, str, str]]:
    """(key the caller used, graph path, value name) for each wanted tensor."""
    if outputs is None:
        return [(n, "", n) for n in m.main_outputs()]
    rows = tensor_rows(m)
    if isinstance(outputs, str):
        if outputs == "all":
            return [
                (n, "", n) for g, n, k, *_ in rows.values() if g == "" and k in ("intermediate", "output")
            ]
        outputs = [outputs]
    out: list[tuple[str, str, str]] = []
    for key in outputs:
        if not isinstance(key, str):
            raise UnknownNameError(f"output names must be strings, got {key!r}")
        row = rows.get(key)
        if row is None:
            hint = ""
            if key in m.nodes.index:
                outs = [o for o in cast("tuple[str, ...]", m.nodes.at[key, "outputs"]) if o]
                hint = f"; '{key}' is a node, its outputs are {outs}"
            else:
                close = difflib.get_close_matches(key, list(rows), n=3)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownNameError(f"the model has no tensor named '{key}'{hint}")
        while row[2] == "outer":  # a body's reference to an enclosing value: fetch that value
            row = rows[row[3]]
        out.append((key, row[0], row[1]))
    return out


def _check_dims_ranges(specs: Sequence[InputSpec], dims: DimsArg, ranges: RangesArg) -> None:
    names = [s.name for s in specs]
    dimplan.check_keys(specs, dims)
    for key in check_ranges(ranges):
        if key not in names:
            raise FeedError(f"ranges names '{key}', which is not a model input; inputs: {names}")


def model_metadata(m: Model) -> dict[str, str]:
    """The model's metadata_props as a dict (sizes such as Ultralytics' ``imgsz`` come from here)."""
    return {p.key: p.value for p in m.proto.metadata_props}


def with_dims_hint(exc: InspectError, infos: Sequence[dimplan.DimInfo]) -> InspectError:
    """The same error, its one line ending with the default sizes the generated inputs used (if any)."""
    used = dimplan.used_defaults(infos)
    if not used or not isinstance(exc, RuntimeFailure):
        return exc
    new = RuntimeFailure(f"{exc}; the generated inputs used default sizes {used}: set them with dims=")
    new.details = getattr(exc, "details", str(exc))
    return new


def input_dims(m: ModelLike, dims: DimsArg = None, feeds: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Every symbolic or unknown dim of the model's inputs: which inputs/axes use it, the size a run will
    use and where it comes from (``dims``, ``metadata``, ``default``; ``unset`` must be given in ``dims=``).

    Indexed by the ``dims=`` key (a dim name, or ``"input[axis]"`` for an unnamed ``?`` dim). Inputs given
    in ``feeds`` are left out (their shapes come from the arrays).
    """
    model = as_model(m)
    specs = [s for s in input_specs(model.proto.graph) if s.name not in (feeds or {})]
    dimplan.check_keys(specs, dims)
    return dimplan.table(dimplan.plan(specs, dims, model_metadata(model)))


def input_shapes(m: ModelLike, dims: DimsArg = None) -> dict[str, tuple[int, ...] | None]:
    """Shape each generated input gets with these ``dims`` (None where a dim is still unset)."""
    model = as_model(m)
    specs = [s for s in input_specs(model.proto.graph) if s.kind == "tensor"]
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
        self.label = _label(m)
        self.providers, self.provider_options = resolve_providers(providers, provider_options)
        session_options(optimization)  # validates the level early
        self.optimization = optimization
        self.dims, self.ranges, self.max_bytes = dims, ranges, max_bytes
        self.seed = check_seed(seed)
        self.gi = graph_index(m, "")
        st = state(m)
        if st.specs is None:
            st.specs = {s.name: s for s in input_specs(self.gi.graph)}
        self.specs = st.specs
        _check_dims_ranges(list(self.specs.values()), dims, ranges)
        self.generated = feeds is None
        self.feeds: dict[str, Any] = {}
        self.cuts: dict[str, np.ndarray] = {}
        if feeds is not None:
            self._take_feeds(feeds)

    # feeds ------------------------------------------------------------------------------------------
    def _take_feeds(self, feeds: FeedsArg) -> None:
        if isinstance(feeds, (str, os.PathLike)) or (
            isinstance(feeds, Sequence) and not isinstance(feeds, Mapping)
        ):
            feeds = load_feeds(feeds, list(self.specs), max_bytes=self.max_bytes)
        if not isinstance(feeds, Mapping):
            raise FeedError(
                f"feeds must be a dict of arrays, an .npz path, a .pb path/list or a folder, not {type(feeds).__name__}"
            )
        rows = tensor_rows(self.m)
        for name, value in feeds.items():
            if name in self.specs:
                self.feeds[name] = check_value(self.specs[name], value)
                continue
            row = rows.get(name)
            if (
                row is None
                or row[0] != ""
                or row[2] not in ("intermediate", "output", "initializer", "constant")
            ):
                main = [tid for tid, r in rows.items() if r[0] == ""]
                close = difflib.get_close_matches(str(name), [*self.specs, *main], n=3)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise FeedError(
                    f"feeds has '{name}', which is not an input or a main-graph tensor of {self.label}; "
                    f"inputs: {list(self.specs)}{hint}"
                )
            arr = value if isinstance(value, np.ndarray) else np.asarray(value)
            want, shape = row[4], row[5]
            if want is not None and want != "str" and arr.dtype.name != want:
                raise FeedError(
                    f"fed tensor '{name}' is {want} in the model but the given value is {arr.dtype}; "
                    f"convert it with .astype(np.{want})"
                )
            if shape is not None and len(shape) != arr.ndim:
                raise FeedError(
                    f"fed tensor '{name}' has rank {len(shape)} in the model ({list(shape)}) but the given "
                    f"value has shape {list(arr.shape)}"
                )
            self.cuts[name] = arr
            self.feeds[name] = arr

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
            raise with_dims_hint(exc, dimplan.plan(specs, self.dims, model_metadata(self.m))) from None
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


def make_feeds(
    m: ModelLike,
    *,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, np.ndarray]:
    """Seeded random feeds for every real input of the model (what ``run`` uses when feeds=None)."""
    model = as_model(m)
    specs = input_specs(model.proto.graph)
    _check_dims_ranges(specs, dims, ranges)
    return generate(
        specs, dims=dims, ranges=ranges, seed=seed, max_bytes=max_bytes, metadata=model_metadata(model)
    )


def read_feeds(
    m: ModelLike,
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    data_set: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, np.ndarray]:
    """Feeds from an .npz, TensorProto .pb file(s) or an onnx backend-test folder, matched to the model's inputs."""
    model = as_model(m)
    names = [s.name for s in input_specs(model.proto.graph)]
    return load_feeds(source, names, data_set=data_set, max_bytes=max_bytes)


def compare(
    m: ModelLike,
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
    """

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
    return "+".join(n.replace("ExecutionProvider", "") for n in names)


# -- placement ----------------------------------------------------------------------------------------

_RECORD_KEY = "session.record_ep_graph_assignment_info"


def named_copy(m: Model) -> onnx.ModelProto:
    """The model with every node (bodies too) named by its node id, so onnxruntime reports our ids."""
    proto = onnx.ModelProto()
    proto.CopyFrom(m.proto)
    del proto.graph.value_info[:]
    graphs = m.graphs

    def visit(g: onnx.GraphProto, path: str) -> None:
        ids = node_ids(m, path) if path == "" or path in graphs.index else []
        if len(ids) != len(g.node):
            return  # a body the model index does not list (a graph attribute on a standard op): left as is
        for i, n in enumerate(g.node):
            n.name = ids[i]
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    visit(a.g, f"{ids[i]}::{a.name}")
                elif a.type == onnx.AttributeProto.GRAPHS:
                    for k, body in enumerate(a.graphs):
                        visit(body, f"{ids[i]}::{a.name}[{k}]")

    visit(proto.graph, "")
    assert set(graphs.index) >= {""}
    return proto


def placement(
    m: ModelLike,
    providers: ProvidersArg = None,
    *,
    provider_options: Any = None,
    optimization: str = "all",
    method: str = "auto",
    feeds: FeedsArg = None,
    dims: DimsArg = None,
) -> pd.DataFrame:
    """Which execution provider runs each node (CPU fallbacks of a GPU run show up here).

    Returns a DataFrame indexed by node id with ``op_type``, ``graph``, ``provider`` (None when the node
    does not run: folded or removed by onnxruntime's graph optimizations, or in an unused branch) and
    ``status``. Nodes that onnxruntime creates itself (fusions, inlined functions) are extra rows with
    status ``"added by onnxruntime"``. ``method``: ``"assignment"`` (onnxruntime's recorded assignment,
    1.24+), ``"profile"`` (one profiled run), or ``"auto"``.
    """
    model = as_model(m)
    names, opts = resolve_providers(providers, provider_options)
    if method not in ("auto", "assignment", "profile"):
        raise InspectError(f"method={method!r} is not one of 'auto', 'assignment', 'profile'")
    label = _label(model)
    proto = named_copy(model)
    has_api = hasattr(ort.InferenceSession, "get_provider_graph_assignment_info")
    use_profile = method == "profile" or (method == "auto" and not has_api)
    if method == "assignment" and not has_api:
        raise InspectError(
            "this onnxruntime cannot report its graph assignment (needs 1.24+); use method='profile'"
        )
    found: list[tuple[str, str, str]] = []  # (onnxruntime node name, op_type, provider)
    if not use_profile:
        so = session_options(optimization, {_RECORD_KEY: "1"})
        sess = create_session(proto, label=label, providers=names, provider_options=opts,
                              ext_dir=external_folder(model), so=so)  # fmt: skip
        for sub in sess.get_provider_graph_assignment_info():
            found.extend((node.name, node.op_type, sub.ep_name) for node in sub.get_nodes())
        missing = "removed by graph optimizations"
    else:
        found = _placement_by_profile(model, proto, names, opts, optimization, feeds, dims, label)
        missing = "not run (removed by graph optimizations, or in a branch not taken)"
    nodes = model.nodes
    ids = set(nodes.index)
    functions = {(f.domain, f.name) for f in model.proto.functions}
    placed: dict[str, str] = {}
    extra: list[tuple[str, str, Any, str, str]] = []
    for k, (name, op, prov) in enumerate(found):
        if name in ids and name not in placed:
            placed[name] = prov
        else:
            extra.append((name or f"({op} #{k})", op, None, prov, "added by onnxruntime"))
    rows: list[tuple[str, str, Any, Any, str]] = []
    for nid, op, domain, graph in zip(
        nodes.index, nodes["op_type"], nodes["domain"], nodes["graph"], strict=True
    ):
        if nid in placed:
            rows.append((nid, op, graph, placed[nid], "assigned"))
        elif (domain, op) in functions:
            rows.append((nid, op, graph, None, "function call, inlined by onnxruntime"))
        elif graph.startswith("@"):
            rows.append((nid, op, graph, None, "inside a function (runs as added nodes)"))
        else:
            rows.append((nid, op, graph, None, missing))
    rows.extend(extra)
    df = pd.DataFrame(rows, columns=["node_id", "op_type", "graph", "provider", "status"], dtype=object)
    return df.set_index("node_id")


def _placement_by_profile(
    model: Model,
    proto: onnx.ModelProto,
    names: Sequence[str],
    opts: Sequence[Mapping[str, str]],
    optimization: str,
    feeds: FeedsArg,
    dims: DimsArg,
    label: str,
) -> list[tuple[str, str, str]]:
    runner = _Runner(model, feeds, list(names), None, optimization, dims, None, 0, DEFAULT_MAX_BYTES)
    all_feeds = runner.main_feeds()
    found: list[tuple[str, str, str]] = []
    # Providers are assigned after the basic optimizations; later fusions stay within one provider but
    # rename nodes, so the profile runs at "basic" at most to keep the model's node names.
    level = optimization if optimization in ("basic", "disabled") else "basic"
    with tempfile.TemporaryDirectory(prefix="oi-placement-") as tmp:
        so = session_options(level)
        so.enable_profiling = True
        so.profile_file_prefix = str(Path(tmp) / "placement")
        sess = create_session(proto, label=label, providers=names, provider_options=opts,
                              ext_dir=external_folder(model), so=so)  # fmt: skip
        inputs = [i.name for i in sess.get_inputs()]
        run_session(
            sess, [o.name for o in sess.get_outputs()], {n: all_feeds[n] for n in inputs}, label=label,
            budget=DEFAULT_TIME_BUDGET,
        )  # fmt: skip
        path = sess.end_profiling()
        with open(path, encoding="utf-8") as f:
            events = json.load(f)
    seen: set[str] = set()
    for ev in events:
        if ev.get("cat") != "Node" or not str(ev.get("name", "")).endswith("_kernel_time"):
            continue
        args = ev.get("args", {})
        name = ev["name"][: -len("_kernel_time")]
        if name not in seen:
            seen.add(name)
            found.append((name, args.get("op_name", ""), args.get("provider", "")))
    return found


__all__ = ["as_model", "compare", "make_feeds", "placement", "read_feeds", "run"]
