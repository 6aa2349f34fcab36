"""Shared by the benchmark scripts: best-of-N wall time, so a busy shared machine inflates both sides alike."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Shortest of ``repeat`` timed calls of ``fn`` (seconds), each after a garbage collection."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
