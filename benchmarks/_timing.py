"""Shared by the benchmark scripts: best-of-N wall time, so a busy shared machine inflates both sides alike."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], repeat: int = 3, clock: Callable[[], float] = time.perf_counter) -> float:
    """Shortest of ``repeat`` timed calls of ``fn`` (seconds on ``clock``: wall by default, or
    time.process_time for CPU seconds on a busy shared machine), each after a garbage collection."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best
