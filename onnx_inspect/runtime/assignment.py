"""Where each node runs: the execution provider onnxruntime assigns to every model node.

Read from onnxruntime's recorded graph assignment (1.24+) or, failing that, from one profiled run of
a copy of the model whose nodes are named by their ids.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import onnx
import onnxruntime as ort
import pandas as pd

from ..errors import InspectError
from ..model import ModelLike, as_model
from .feeds import DimsArg, FeedsArg, prepare_feeds
from .providers import ProvidersArg, resolve_providers
from .session import (
    DEFAULT_TIME_BUDGET,
    create_session,
    external_folder,
    model_label,
    named_copy,
    run_session,
    session_options,
)

_RECORD_KEY = "session.record_ep_graph_assignment_info"


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
    label = model_label(model)
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
    model: Any,
    proto: onnx.ModelProto,
    names: Sequence[str],
    opts: Sequence[Mapping[str, str]],
    optimization: str,
    feeds: FeedsArg,
    dims: DimsArg,
    label: str,
) -> list[tuple[str, str, str]]:
    all_feeds, _ = prepare_feeds(model, feeds, dims=dims)
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


__all__ = ["placement"]
