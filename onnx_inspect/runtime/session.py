"""onnxruntime sessions: created from the model's path (external data resolves there), cached, errors wrapped.

A session for a cut or marked copy of a model is built from bytes; its external-data references are
resolved in the model's folder (``session.model_external_initializers_file_folder_path``, or a temporary
file beside the model on onnxruntime < 1.21), so weights are never read into Python.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import ctypes
import functools
import os
import re
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
import onnxruntime as ort

from ..errors import ExternalDataError, InspectError, ProviderError, RuntimeFailure
from ..model.index import SEP, subgraph_attrs
from .extract import GraphIndex, subgraphs
from .providers import OPTIMIZATION, check_optimization, check_session_providers

if TYPE_CHECKING:
    from ..model import Model

#: Sessions kept alive across calls (all models together); the least recently used goes first.
MAX_SESSIONS = 8

_FOLDER_KEY = "session.model_external_initializers_file_folder_path"
_ORT_VERSION = tuple(int(x) for x in re.findall(r"\d+", ort.__version__)[:2])
#: Whether onnxruntime can resolve external data of a model given as bytes (added in 1.21).
FOLDER_OPTION = _ORT_VERSION >= (1, 21)


@dataclass
class ModelState:
    """Per-model lookups and caches (graph indexes, node ids, generated feeds, cut plans)."""

    indexes: dict[str, GraphIndex] = field(default_factory=dict)
    node_ids: dict[str, list[str]] = field(default_factory=dict)
    feeds: OrderedDict[Any, dict[str, np.ndarray]] = field(default_factory=OrderedDict)
    plans: OrderedDict[Any, Any] = field(default_factory=OrderedDict)  # bounded: see remember_plan
    specs: Any = None


MAX_PLANS = 64


def model_label(m: Any) -> str:
    """How errors name a model: ``model 'resnet.onnx'`` or ``the in-memory model``."""
    return f"model '{m.path.name}'" if getattr(m, "path", None) is not None else "the in-memory model"


def remember_plan(st: ModelState, key: Any, cut: Any) -> None:
    """Keep a cut plan for reuse; the oldest go first (a plan holds per-node maps of big graphs)."""
    st.plans[key] = cut
    while len(st.plans) > MAX_PLANS:
        st.plans.popitem(last=False)


_STATES: weakref.WeakKeyDictionary[Any, ModelState] = weakref.WeakKeyDictionary()
_SESSIONS: OrderedDict[tuple[int, Any], ort.InferenceSession] = OrderedDict()
_LOCK = threading.RLock()


def state(m: Any) -> ModelState:
    """The cache record of a model (created on first use, dropped with the model)."""
    with _LOCK:
        st = _STATES.get(m)
        if st is None:
            st = ModelState()
            _STATES[m] = st
            weakref.finalize(m, _drop_sessions, id(m))
        return st


def _drop_sessions(model_id: int) -> None:
    with _LOCK:
        for key in [k for k in _SESSIONS if k[0] == model_id]:
            del _SESSIONS[key]


def clear_cache(m: Model | None = None) -> None:
    """Drop cached sessions and generated feeds (of one model, or of all), freeing their memory."""
    with _LOCK:
        if m is None:
            _SESSIONS.clear()
            for each in list(_STATES.values()):
                each.feeds.clear()
        else:
            _drop_sessions(id(m))
            st = _STATES.get(m)
            if st is not None:
                st.feeds.clear()


def cached_sessions() -> int:
    """How many sessions are cached right now."""
    return len(_SESSIONS)


def graph_index(m: Any, path: str) -> GraphIndex:
    """Lookups over graph ``path`` of model ``m`` (built once)."""
    st = state(m)
    gi = st.indexes.get(path)
    if gi is None:
        g = m.graph_proto(path)
        if not isinstance(g, onnx.GraphProto):
            raise InspectError(
                f"'{path}' is a model-local function; onnxruntime inlines functions, so values inside it "
                "cannot be fetched: fetch the calling node's outputs instead"
            )
        gi = GraphIndex.build(g)
        st.indexes[path] = gi
    return gi


def node_ids(m: Any, path: str) -> list[str]:
    """Model node ids of graph ``path``, by position in its node list."""
    st = state(m)
    ids = st.node_ids.get(path)
    if ids is None:
        nodes = m.nodes
        sub = nodes[nodes["graph"] == path]
        ids = [""] * len(sub)
        for nid, idx in zip(sub.index, sub["index"], strict=True):
            ids[int(idx)] = nid
        st.node_ids[path] = ids
    return ids


def external_folder(m: Any) -> Path | None:
    """Folder that the model's external-data locations are relative to."""
    base = getattr(m, "base_dir", None)
    if base is not None:
        return Path(base)
    return Path(m.path).parent if getattr(m, "path", None) is not None else None


def _uses_external(proto: onnx.ModelProto) -> bool:
    def graph_has(g: onnx.GraphProto) -> bool:
        for t in g.initializer:
            if t.data_location == onnx.TensorProto.EXTERNAL:
                return True
        for n in g.node:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.TENSOR and a.t.data_location == onnx.TensorProto.EXTERNAL:
                    return True
                if a.type == onnx.AttributeProto.GRAPH and graph_has(a.g):
                    return True
                if a.type == onnx.AttributeProto.GRAPHS and any(graph_has(b) for b in a.graphs):
                    return True
        return False

    return graph_has(proto.graph)


_LEAN: contextvars.ContextVar[bool] = contextvars.ContextVar("oi_lean_sessions", default=False)


#: Session config entry of lean sessions: no constant folding (onnxruntime's ``disable_specified_optimizers``).
LEAN_UNFOLDED = ("optimization.disable_specified_optimizers", "ConstantFolding")


@contextlib.contextmanager
def lean_sessions() -> Iterator[None]:
    """Within: sessions are built without onnxruntime's CPU memory arena, memory pattern and constant
    folding, and not cached.

    For one-off runs whose memory must be given back as soon as the caller drops the results (chunked
    comparisons): the arena keeps a run's peak allocated for the session's life, a cached session keeps
    its weights, and constant folding turns computed weights (ConstantOfShape, Cast, DequantizeLinear of
    initializers) into initializers held for the session's life. Runs are slower (no buffer reuse, a
    session per call, constant subgraphs computed in every run); values are the same ops on the same inputs.
    """
    token = _LEAN.set(True)
    try:
        yield
    finally:
        _LEAN.reset(token)


def release_memory() -> None:
    """Give memory freed by dropped sessions and arrays back to the OS where the C library allows it.

    glibc keeps freed heap pages (and the per-thread arenas onnxruntime's runs allocate in) for reuse, so
    a process that ran one chunk after another holds the high-water mark of all of them; ``malloc_trim``
    returns what is free. A no-op elsewhere.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None


def session_options(optimization: str, config: Mapping[str, str] | None = None) -> ort.SessionOptions:
    """SessionOptions with a quiet log, the given optimization level and config entries (lean inside
    ``lean_sessions()``)."""
    check_optimization(optimization)
    so = ort.SessionOptions()
    lean = _LEAN.get()
    if lean:
        so.enable_cpu_mem_arena = False
        so.enable_mem_pattern = False
        if LEAN_UNFOLDED[0] not in (config or {}):
            # folded constants live as long as the session: computed in the run instead, they are freed
            # after their last use (ResNet-50's ConstantOfShape weights: session peak 333 -> 107 MB)
            so.add_session_config_entry(*LEAN_UNFOLDED)
    # Fatal only: every error reaches the caller as a RuntimeFailure, and warnings about the
    # initializers a cut leaves unused are expected.
    so.log_severity_level = 4
    so.graph_optimization_level = OPTIMIZATION[optimization]
    for k, v in (config or {}).items():
        so.add_session_config_entry(k, v)
    return so


def _node_from_message(msg: str, model: onnx.ModelProto | None = None) -> str | None:
    """The node an onnxruntime error message is about: by name, or the first node of an unknown op type."""
    m = (
        re.search(r"Name:'([^']*)'", msg)
        or re.search(r"node with name '([^']*)'", msg)
        or re.search(r"[Nn]ode \(([^)]*)\)", msg)
    )
    if m and m.group(1):
        return m.group(1)
    op = re.search(r"(?:([\w.]+):)?(\w+)\(-?\d+\) is not a registered function/op", msg)
    if op and model is not None:
        domain, op_type = op.group(1) or "", op.group(2)
        for i, n in enumerate(model.graph.node):
            if n.op_type == op_type and n.domain in (domain, domain or "ai.onnx"):
                return n.name or f"{n.op_type}_{i}"
    return None


def _clean(msg: str) -> str:
    msg = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", str(msg).strip())
    return msg if len(msg) < 1500 else msg[:1500] + " ..."


_NO_MODEL = onnx.ModelProto()


def _graphs(g: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """A graph and every subgraph inside it (If/Loop/Scan bodies at any depth)."""
    yield g
    for n in g.node:
        for sub in subgraphs(n):
            yield from _graphs(sub)


def _all_nodes(proto: onnx.ModelProto) -> Iterator[onnx.NodeProto]:
    for g in _graphs(proto.graph):
        yield from g.node
    for f in proto.functions:
        yield from f.node


def without_trailing_empty_inputs(proto: onnx.ModelProto) -> onnx.ModelProto | None:
    """A copy whose nodes omit trailing empty-named (absent) optional inputs, or None when no node has one.

    The ONNX spec makes a trailing empty name the same as an omitted input, but onnxruntime (<= 1.32)
    dies with SIGSEGV on some kernels given one (DFT ``[x, "", ""]``, LayerNormalization ``[X, W, ""]``;
    found by fuzz/fuzz_struct.py), so sessions get the equivalent graph without them.
    """
    if not any(n.input and not n.input[-1] for n in _all_nodes(proto)):
        return None
    opsets = {o.domain or "ai.onnx": o.version for o in proto.opset_import}
    minimum: dict[tuple[str, str], int | None] = {}

    def min_inputs(n: onnx.NodeProto) -> int | None:
        """The schema's minimum input count (Loop's empty ``cond`` must stay); None when unknown."""
        key = (n.op_type, n.domain or "ai.onnx")
        if key not in minimum:
            try:
                schema = onnx.defs.get_schema(
                    n.op_type, opsets.get(key[1], 1), "" if key[1] == "ai.onnx" else key[1]
                )
                minimum[key] = schema.min_input
            except Exception:  # unknown op or domain: leave its inputs as they are
                minimum[key] = None
        return minimum[key]

    out = onnx.ModelProto()
    out.CopyFrom(proto)
    changed = False
    for n in _all_nodes(out):
        if not n.input or n.input[-1]:
            continue
        low = min_inputs(n)
        if low is None:
            continue
        k = len(n.input)
        while k > low and not n.input[k - 1]:
            k -= 1
        if k < len(n.input):
            del n.input[k:]
            changed = True
    return out if changed else None


def create_session(
    source: Path | onnx.ModelProto,
    *,
    label: str,
    providers: Sequence[str],
    provider_options: Sequence[Mapping[str, str]],
    optimization: str = "all",
    ext_dir: Path | None = None,
    config: Mapping[str, str] | None = None,
    so: ort.SessionOptions | None = None,
    force_temp_file: bool = False,
    model: onnx.ModelProto | None = None,
) -> ort.InferenceSession:
    """Create a session from a model file, or from a (cut) ModelProto whose external data lives in ``ext_dir``.

    Provider requests are checked after creation (no silent fallback); onnxruntime errors become
    :class:`RuntimeFailure` naming the model (and the node when onnxruntime reports one).
    """
    fixed = without_trailing_empty_inputs(
        source if isinstance(source, onnx.ModelProto) else model or _NO_MODEL
    )
    if fixed is not None:
        source = fixed
    so = so if so is not None else session_options(optimization, config)
    tmp: str | None = None
    try:
        if isinstance(source, onnx.ModelProto):
            external = _uses_external(source)
            if external and ext_dir is None:
                raise ExternalDataError(
                    f"{label} stores weights in external files but was given as bytes or a ModelProto, so "
                    "onnxruntime cannot find them: load it from its path (oi.load(path)) or pass base_dir="
                )
            if external and (force_temp_file or not FOLDER_OPTION):
                # Older onnxruntime: a small model file beside the original, external refs unchanged.
                fd, tmp = tempfile.mkstemp(prefix=".oi-cut-", suffix=".onnx", dir=ext_dir)
                with os.fdopen(fd, "wb") as f:
                    f.write(source.SerializeToString())
                src: str | bytes = tmp
            else:
                if external:
                    so.add_session_config_entry(_FOLDER_KEY, str(ext_dir))
                src = source.SerializeToString()
        else:
            src = str(source)
        try:
            sess = ort.InferenceSession(
                src, so, providers=list(providers), provider_options=[dict(o) for o in provider_options]
            )
        except InspectError:
            raise
        except Exception as exc:  # onnxruntime raises its own Exception subclasses (Fail, InvalidGraph, ...)
            msg = _clean(_one_line(str(exc)))
            node = _node_from_message(msg, source if isinstance(source, onnx.ModelProto) else model)
            where = f" at node '{node}'" if node else ""
            err = RuntimeFailure(f"onnxruntime could not build a session for {label}{where}: {msg}")
            err.details = str(exc)
            raise err from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    try:
        check_session_providers(sess, providers, label)
    except ProviderError:
        del sess
        raise
    return sess


def cached_session(m: Any, key: Any, factory: Callable[[], ort.InferenceSession]) -> ort.InferenceSession:
    """The session cached under ``key`` for model ``m``, created by ``factory`` on a miss (LRU).

    Inside ``lean_sessions()`` a new session is always made and not kept: it is freed with the caller's reference.
    """
    if _LEAN.get():
        return factory()
    state(m)  # registers the finalizer that drops this model's sessions
    full = (id(m), key)
    with _LOCK:
        sess = _SESSIONS.get(full)
        if sess is not None:
            _SESSIONS.move_to_end(full)
            return sess
    sess = factory()
    with _LOCK:
        _SESSIONS[full] = sess
        while len(_SESSIONS) > MAX_SESSIONS:
            _SESSIONS.popitem(last=False)
    return sess


#: Seconds one ``oi.run`` (each session run) or one ``oi.profile`` (all runs together) may take by default.
DEFAULT_TIME_BUDGET = 300.0

_POOL: concurrent.futures.ThreadPoolExecutor | None = None


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="oi-run")
        return _POOL


def check_budget(budget: Any, what: str = "time_budget") -> float | None:
    """A time budget in seconds (> 0), or None for no limit."""
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, (int, float, np.integer, np.floating)):
        raise InspectError(f"{what}={budget!r} must be a number of seconds or None")
    if not budget > 0 or budget != budget:
        raise InspectError(f"{what}={budget!r} must be > 0 seconds (or None for no limit)")
    return float(budget)


def _one_line(msg: str) -> str:
    """onnxruntime's (often multi-line) message condensed to one line."""
    return " ".join(part.strip() for part in str(msg).splitlines() if part.strip())


def run_session(
    sess: ort.InferenceSession,
    output_names: Sequence[str],
    feeds: Mapping[str, Any],
    *,
    label: str,
    node_label: Callable[[str], str] | None = None,
    budget: float | None = None,
) -> list[Any]:
    """``sess.run`` that can be stopped: after ``budget`` seconds or on Ctrl-C, onnxruntime's run is ended
    through ``RunOptions.terminate`` (it runs on a worker thread so the caller's thread stays interruptible).
    onnxruntime errors become a one-line RuntimeFailure naming the failing node (full text in ``.details``).
    """
    ro = ort.RunOptions()
    ro.log_severity_level = 4
    names, given = list(output_names), dict(feeds)
    fut = _pool().submit(sess.run, names, given, ro)
    deadline = None if budget is None else time.monotonic() + budget
    why = None
    try:
        while True:
            wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
            try:
                return fut.result(timeout=wait)
            except concurrent.futures.TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    why = "budget"
                    ro.terminate = True
                    break
            except Exception as exc:
                raise _failure(exc, label, node_label) from None
    except KeyboardInterrupt:
        ro.terminate = True
        with contextlib.suppress(Exception):
            fut.result(timeout=30)
        raise
    with contextlib.suppress(Exception):
        fut.result(timeout=30)  # onnxruntime checks the flag between kernels and Loop iterations
    assert why == "budget"
    raise RuntimeFailure(
        f"onnxruntime did not finish running {label} within the time budget of {budget:g} s and was stopped; "
        "pass a larger time_budget= (or None), or smaller inputs (dims=)"
    )


def _failure(exc: Exception, label: str, node_label: Callable[[str], str] | None) -> InspectError:
    if isinstance(exc, InspectError):
        return exc
    full = str(exc)
    msg = _clean(_one_line(full))
    node = _node_from_message(msg)
    where = ""
    if node:
        where = f" at node {node_label(node) if node_label else repr(node)}"
    err = RuntimeFailure(f"onnxruntime failed running {label}{where}: {msg}")
    err.details = full
    return err


def named_copy(m: Any) -> onnx.ModelProto:
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
            for label, body in subgraph_attrs(n):
                visit(body, f"{ids[i]}{SEP}{label}")

    visit(proto.graph, "")
    assert set(graphs.index) >= {""}
    return proto
