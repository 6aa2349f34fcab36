"""Roofline: a measured machine peak and per-node achieved GFLOP/s joined from a real profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import onnx_inspect as oi
from onnx_inspect.runtime.roofline import achieved_flops, machine_peak
from onnx_inspect.views import cost_figures as cf


@pytest.fixture(scope="module")
def peak() -> dict:
    return machine_peak(size=256, runs=2, vector_mb=8)


def test_machine_peak_is_measured_and_cached(peak: dict) -> None:
    assert peak["gflops"] > 0 and peak["gbps"] > 0 and peak["provider"] == "CPUExecutionProvider"
    assert machine_peak(size=256, runs=2, vector_mb=8) == peak  # same arguments: the cached measurement
    with pytest.raises(oi.InspectError, match="size"):
        machine_peak(size=3)


def test_achieved_joins_profile_times_with_costs(squeezenet: Path, peak: dict) -> None:
    m = oi.load(squeezenet)
    p = oi.profile(m, runs=2, warmup=1, progress=False, optimization="disabled")
    got = achieved_flops(m, p)
    costs = m.costs()
    convs = got[got["op_type"] == "Conv"]
    assert len(convs) == int((costs["op_type"] == "Conv").sum())  # every Conv ran as its own kernel
    nid = convs.index[0]
    want = costs.at[nid, "flops"] / (p.by_node().at[nid, "mean_us"] * 1e-6) / 1e9
    assert got.at[nid, "gflops"] == pytest.approx(want)
    moved = costs.loc[nid, ["input_bytes", "output_bytes", "weight_bytes"]].sum()
    assert got.at[nid, "intensity"] == pytest.approx(costs.at[nid, "flops"] / moved)
    fig = cf.roofline(got, peak)
    roof = fig.data[-1]
    assert np.allclose(roof.y, np.minimum(peak["gflops"], peak["gbps"] * np.asarray(roof.x)))
    conv_trace = next(t for t in fig.data if t.name == "Conv")
    assert len(conv_trace.x) == int((convs["gflops"] > 0).sum())
