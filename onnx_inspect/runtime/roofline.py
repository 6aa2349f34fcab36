"""Achieved GFLOP/s per node from a profile, against this machine's measured peak (a roofline).

The peak is measured, not looked up: a large float32 MatMul through onnxruntime gives the compute roof
(GFLOP/s), a large elementwise Add the memory roof (GB/s). Per-node FLOPs and bytes come from
``m.costs`` at the input sizes the profile ran with.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnx import TensorProto, helper

from ..errors import InspectError, ProfileError
from ..model.costs import node_costs
from .providers import resolve_providers
from .session import session_options

_PEAKS: dict[tuple[Any, ...], dict[str, Any]] = {}


def _session(proto: onnx.ModelProto, providers: Any) -> tuple[ort.InferenceSession, str]:
    names, options = resolve_providers(providers)
    so = session_options("all")
    s = ort.InferenceSession(
        proto.SerializeToString(), so, providers=list(names), provider_options=list(options)
    )
    return s, s.get_providers()[0]


def _best_seconds(s: ort.InferenceSession, feeds: dict[str, np.ndarray], runs: int) -> float:
    s.run(None, feeds)  # warm-up: allocations, kernel selection
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        s.run(None, feeds)
        best = min(best, time.perf_counter() - t)
    return best


def machine_peak(
    providers: Any = None, size: int = 1024, runs: int = 5, vector_mb: int = 64
) -> dict[str, Any]:
    """Measured roofs: ``gflops`` (float32 MatMul of ``size`` x ``size``) and ``gbps`` (an Add streaming
    three ``vector_mb`` MiB arrays), best of ``runs``; cached per arguments for the session of Python.

    Measured as the machine is now: other load lowers both roofs, and activations small enough to stay in
    cache move faster than the (DRAM) bandwidth roof, so elementwise nodes can plot above it."""
    if not isinstance(size, int) or not 16 <= size <= 16384:
        raise InspectError(f"size={size!r} must be an int between 16 and 16384")
    if not isinstance(runs, int) or runs < 1:
        raise InspectError(f"runs={runs!r} must be an int >= 1")
    key = (str(providers), size, runs, vector_mb)
    if key in _PEAKS:
        return dict(_PEAKS[key])
    f = TensorProto.FLOAT
    mm = helper.make_model(
        helper.make_graph(
            [helper.make_node("MatMul", ["a", "b"], ["c"])],
            "peak_matmul",
            [
                helper.make_tensor_value_info("a", f, [size, size]),
                helper.make_tensor_value_info("b", f, [size, size]),
            ],
            [helper.make_tensor_value_info("c", f, [size, size])],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    s, provider = _session(mm, providers)
    t_mm = _best_seconds(s, {"a": a, "b": a}, runs)
    n = vector_mb * 2**20 // 4
    add = helper.make_model(
        helper.make_graph(
            [helper.make_node("Add", ["x", "y"], ["z"])],
            "peak_add",
            [helper.make_tensor_value_info("x", f, [n]), helper.make_tensor_value_info("y", f, [n])],
            [helper.make_tensor_value_info("z", f, [n])],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    v = np.ones(n, np.float32)
    s2, _ = _session(add, providers)
    t_add = _best_seconds(s2, {"x": v, "y": v}, runs)
    out = {
        "gflops": 2 * size**3 / t_mm / 1e9,
        "gbps": 3 * n * 4 / t_add / 1e9,
        "provider": provider,
        "matmul_size": size,
        "vector_mb": vector_mb,
        "threads": ort.SessionOptions().intra_op_num_threads or None,
    }
    _PEAKS[key] = out
    return dict(out)


def achieved_flops(m: Any, profile: Any, dims: Any = None) -> pd.DataFrame:
    """Per profiled node: op_type, flops, bytes moved (activations + weights), mean_us, achieved GFLOP/s and
    arithmetic intensity (FLOP/byte). ``dims`` defaults to the input shapes the profile ran with."""
    by_node = profile.by_node()
    if by_node.empty:
        raise ProfileError("the profile has no per-node events (onnxruntime folded the whole graph away?)")
    if dims is None:
        dims = dict(profile.meta.get("input_shapes") or {}) or None
    costs = node_costs(m, dims)
    joined = by_node[["mean_us"]].join(
        costs[["op_type", "flops", "input_bytes", "output_bytes", "weight_bytes"]]
    )
    joined = joined[joined["op_type"].notna()]
    moved = joined["input_bytes"] + joined["output_bytes"] + joined["weight_bytes"].fillna(0)
    out = pd.DataFrame(
        {
            "op_type": joined["op_type"],
            "flops": joined["flops"],
            "bytes": moved,
            "mean_us": joined["mean_us"].astype(float),
        },
        index=joined.index.rename("node_id"),
    )
    secs = out["mean_us"] * 1e-6
    flops = out["flops"].astype("Float64")
    out["gflops"] = (flops / secs / 1e9).where(secs > 0)
    out["intensity"] = (flops / out["bytes"].astype("Float64")).where(out["bytes"] > 0)
    return out.sort_values("mean_us", ascending=False)


__all__: Sequence[str] = ["achieved_flops", "machine_peak"]
