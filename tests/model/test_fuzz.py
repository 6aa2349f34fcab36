"""Seeded, bounded fuzzing of the loader: mutated and truncated copies of real models.

Every input must load (and survive summary, scope tree, graph payload, weight reads) or raise
oi.InspectError; the loader's safety net must not be what catches it (that would hide a bug), and
no input may take more than 10 s. The long run is `python fuzz/fuzz_load.py`.
"""

from __future__ import annotations

import collections
import signal
from types import FrameType

import pytest

from fuzz.harness import cases, outcome


def _hang(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("an input took more than 10 s")


@pytest.mark.parametrize("seed", [11, 12])
def test_mutated_models_load_or_raise_inspect_error(seed: int) -> None:
    counts: collections.Counter[str] = collections.Counter()
    previous = signal.signal(signal.SIGALRM, _hang)
    try:
        for _name, data in cases(1500, seed):
            signal.alarm(10)
            counts[outcome(data)] += 1  # any exception other than InspectError fails here
            signal.alarm(0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert counts["loaded"] > 30
    assert counts["refused: ModelLoadError"] > 100 and counts["refused: GraphError"] > 10
    assert not [k for k in counts if "caught" in k], counts
