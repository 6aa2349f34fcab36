"""Bounded, seeded structured fuzzing of the whole API (fuzz/structured.py; long run: fuzz/fuzz_struct.py).

Protobuf-level mutations of real light models, onnx backend node-test models and the hostile models
go through load, summary, scope tree, graph payload, weights, report and oi.run in a worker process:
every input must end in 'ok' or an oi.InspectError, never a raw exception, a crash or a hang.
"""

from __future__ import annotations

import inspect
import os

import pytest

import onnx_inspect as oi
from fuzz.structured import MUTATIONS, cases, run_cases, seed_pool


@pytest.mark.skipif(os.name != "posix", reason="the fuzz workers are watched with select() on pipes")
def test_structured_mutations_end_in_ok_or_inspect_error() -> None:
    pool = seed_pool(quick=True, light_max_bytes=20_000, skip={"hostile:huge_add"})  # ~5 s alone
    kinds = list(MUTATIONS)
    if "time_budget" not in inspect.signature(oi.run).parameters:
        kinds.remove("huge_work")  # a Loop of 2**62 trips needs oi.run's time budget
    items = list(cases(50, seed=20261130, pool=pool, kinds=kinds))
    res = run_cases(items, hang_s=45, save=False)
    assert res.tried == len(items)
    assert not res.bad(), (res.bad(), res.counts)
    assert res.counts.get("ok", 0) >= 3, res.counts
    assert sum(v for k, v in res.counts.items() if k.startswith("InspectError")) >= 10, res.counts
