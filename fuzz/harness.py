"""Fuzzing harness for the loader: mutate real models, check every input loads or raises InspectError.

``outcome(data)`` is the property under test, shared by the bounded test (tests/model/test_fuzz.py)
and the long run (``python fuzz/fuzz_load.py``). It exercises what a user does right after loading:
the tables, the summary, the scope tree, the graph payload and reading a few weights.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from pathlib import Path

import onnx
import pandas as pd

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.views.graph_payload import graph_payload

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def seeds() -> list[tuple[str, bytes]]:
    """Real models to mutate: three light models plus generated control flow, functions and constants."""
    out = [(p.stem, p.read_bytes()) for p in sorted(LIGHT.glob("light_*.onnx")) if p.stat().st_size < 64_000]
    for fn in (testing.control_flow, testing.with_function, testing.constant_weights, testing.conv_model):
        out.append((fn.__name__, fn().SerializeToString()))
    out.append(("transformer_like", testing.transformer_like(2).SerializeToString()))
    return out


def outcome(data: bytes) -> str:
    """'loaded' or 'refused: <ErrorClass>'; any other exception propagates (that is a bug)."""
    try:
        m = oi.load(data)
        _ = (m.nodes, m.tensors, m.graphs)
        m.summary()
        m.scope_tree()
        graph_payload(m)
        weights = m.tensors[m.tensors["kind"].isin(["initializer", "constant"])]
        for tid in list(weights.index[:3]):
            row = weights.loc[tid]
            nbytes = row["nbytes"]
            if not pd.isna(nbytes) and int(nbytes) > 64 * 2**20:
                continue  # a mutated dim can claim terabytes; reading it must fail, but not here
            with contextlib.suppress(oi.InspectError):
                m.weight(row["name"], row["graph"])
        return "loaded"
    except oi.InspectError as exc:
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, oi.InspectError):
            # the loader's safety net turned an internal exception into a clear error: count it apart
            return f"refused: {type(exc).__name__} (caught {type(cause).__name__})"
        return f"refused: {type(exc).__name__}"


def mutate(data: bytes, rng: random.Random, donor: bytes) -> bytes:
    """One of: bit flips, byte overwrites, truncation, inserted junk, duplicated slice, splice with a donor."""
    b = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 2:
        b = b[: rng.randrange(1, len(b))]
    elif kind == 3:
        i = rng.randrange(len(b))
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == 4:
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 64))
        b[j:j] = b[i:j]
    else:
        cut = rng.randrange(len(b))
        b = b[:cut] + donor[rng.randrange(len(donor)) :]
    return bytes(b)


def cases(n: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """``n`` mutated inputs, deterministic for a seed."""
    rng = random.Random(seed)
    pool = seeds()
    for k in range(n):
        name, data = pool[k % len(pool)]
        _, donor = pool[rng.randrange(len(pool))]
        yield name, mutate(data, rng, donor)
