"""Snapshot of everything ``oi.load`` derives from a model's structure (node/tensor/graph tables, scopes,
the index's lookups), to check that a faster index builds exactly the same tables as an older one.

    git archive <ref> onnx_inspect | tar -x -C /tmp/old      # the reference code, e.g. main @ 7c6ca03
    cd /tmp && PYTHONPATH=/tmp/old:$REPO python -m tests.model.index_snapshot save DIR   # (not from $REPO:
    cd $REPO && python -m tests.model.index_snapshot compare DIR   # `-m` puts the cwd first on sys.path)

It prints which onnx_inspect it runs; exit status 1 when any model differs.

Models: every corpus model (tests/corpus) that loads, the ``onnx_inspect.testing`` fixtures, and the
synthetic 50k-node models of benchmarks/load.py (scoped, flat, unnamed).
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import onnx
import pandas as pd

import onnx_inspect as oi
from onnx_inspect import testing


def snapshot(m: oi.Model) -> dict[str, Any]:
    """Plain-data picture of a loaded model's tables and index lookups (picklable, comparable)."""
    ix = m._index
    graphs = {
        path: (
            e.owner,
            e.attribute,
            e.parent,
            e.ordinal,
            list(e.node_ids),
            list(e.names),
            list(e.ops),
            [tuple(x) for x in e.ins],
            [tuple(x) for x in e.outs],
            sorted(e.meta),
            sorted(e.constants),
        )
        for path, e in ix.graphs.items()
    }
    weights = {
        tid: (type(w).__name__, w.output[0] if isinstance(w, onnx.NodeProto) else w.SerializeToString())
        for tid, w in ix.weights.items()
    }
    return {
        "nodes": m.nodes,
        "tensors": m.tensors,
        "graphs": m.graphs,
        "scope_methods": dict(m.scope_methods),
        "index_graphs": graphs,
        "weights": weights,
        "by_name": dict(ix.by_name),
        "node_protos": {k: v.SerializeToString() for k, v in ix.node_protos.items()},
        # the inferred model and the graph protos the index hands out (bodies carry inferred value_info)
        "proto": _digest(m.proto),
        "graph_protos": {path: _digest(e.proto) for path, e in ix.graphs.items()},
        "warnings": list(m.warnings),
    }


def _digest(msg: Any) -> str:
    return hashlib.sha256(msg.SerializeToString(deterministic=True)).hexdigest()


def models() -> Iterator[tuple[str, Callable[[], Any]]]:
    """(name, loader) for every model the check covers; the loader returns a path or a ModelProto."""
    from tests.corpus import corpus_models

    for cm in corpus_models():
        yield f"corpus-{cm.name}", lambda cm=cm: cm.path
    for name in ("control_flow", "with_function", "constant_weights", "conv_model", "hostile_text_model"):
        yield f"testing-{name}", getattr(testing, name)
    for kind, make in (
        ("scoped", lambda: testing.transformer_like(layers=50000 // 17)),
        ("flat", lambda: testing.residual_chain(blocks=50000 // 5)),
        ("unnamed", lambda: testing.transformer_like(layers=50000 // 17, named=False)),
    ):
        yield f"synthetic-{kind}-50k", make


def _load(src: Any) -> oi.Model | str:
    try:
        if isinstance(src, onnx.ModelProto):  # through a file, like users (raw bytes reach the scan)
            with tempfile.TemporaryDirectory() as d:
                p = Path(d) / "m.onnx"
                onnx.save(src, p)
                return oi.load(p)
        return oi.load(src)
    except oi.InspectError as exc:
        return f"refused: {type(exc).__name__}: {exc}"


def _diff(a: Any, b: Any) -> str | None:
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError as exc:
            return str(exc)[:2000]
        return None
    return None if a == b else "differs"


def main(argv: list[str]) -> int:
    mode, out = argv[0], Path(argv[1])
    print("onnx_inspect from", Path(oi.__file__).parent)
    out.mkdir(parents=True, exist_ok=True)
    bad = 0
    for name, make in models():
        got = _load(make())
        snap = got if isinstance(got, str) else snapshot(got)
        f = out / f"{name}.pkl"
        if mode == "save":
            f.write_bytes(pickle.dumps(snap))
            print("saved", name)
            continue
        ref = pickle.loads(f.read_bytes())
        if isinstance(ref, str) or isinstance(snap, str):
            problems = [] if ref == snap else [f"{ref!r} vs {snap!r}"]
        else:
            problems = [f"{k}: {d}" for k in ref if (d := _diff(ref[k], snap.get(k))) is not None]
        bad += bool(problems)
        print(("SAME " if not problems else "DIFF ") + name, *problems, sep="\n  ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
