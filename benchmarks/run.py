"""Repeat oi.run of an intermediate vs a plain full InferenceSession.run, measured side by side.

    python benchmarks/run.py              # light SqueezeNet, light ResNet50, a 12-layer transformer
    python benchmarks/run.py --repeat 5 --calls 30

For each model two intermediates are fetched: the value feeding the last node (the worst case: the
whole graph runs, with one extra output marked) and one about halfway (the cut runs half the nodes).
Printed per row:

* repeat fetch: median time of ``oi.run(m, outputs=[t], feeds=f)`` once its session is cached, over the
  median of a plain ``InferenceSession.run(None, f)`` of the unmodified model (goal <= 1.3x, DESIGN.md);
* first fetch: the first ``oi.run`` for that tensor (cut, session creation, run) over plain session
  creation plus its first run.

Both sides use onnxruntime's CPU provider with default options, alternate call by call so a busy
shared machine slows them alike, and the best of ``--repeat`` rounds is kept.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.runtime import clear_cache
from onnx_inspect.runtime.run import run

GOAL = 1.3
LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def pick_tensors(m: oi.Model) -> dict[str, str]:
    """The value feeding the last main-graph node, and the output of the node halfway down."""
    main = m.nodes[m.nodes["graph"] == ""].sort_values("index")
    compute = main[~main["op_type"].isin(["Constant", "ConstantOfShape"])]
    last = compute.iloc[-1]
    feeding = next(i for i in last["inputs"] if i and m.tensors.at[i, "kind"] == "intermediate")
    half = compute.iloc[len(compute) // 2]["outputs"][0]
    return {"last": feeding, "half": half}


def bench_model(
    label: str, source: Path | onnx.ModelProto, feeds: dict, repeat: int, calls: int
) -> list[dict]:
    """Rows of timings for one model."""
    src = str(source) if isinstance(source, Path) else source.SerializeToString()
    m = oi.load(source)
    so = ort.SessionOptions()
    so.log_severity_level = 3  # as quiet as oi's sessions; does not change the work done
    rows = []
    for where, tensor in pick_tensors(m).items():
        best_ratio, best_first = np.inf, np.inf
        plain_ms = fetch_ms = first_ms = create_ms = 0.0
        for _ in range(repeat):
            clear_cache()
            t0 = time.perf_counter()
            sess = ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])
            sess.run(None, feeds)
            t_create = time.perf_counter() - t0
            t0 = time.perf_counter()
            run(m, outputs=[tensor], feeds=feeds, providers=["CPUExecutionProvider"])
            t_first = time.perf_counter() - t0
            plain, fetch = [], []
            for _ in range(calls):
                t0 = time.perf_counter()
                sess.run(None, feeds)
                plain.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                run(m, outputs=[tensor], feeds=feeds, providers=["CPUExecutionProvider"])
                fetch.append(time.perf_counter() - t0)
            p, f = statistics.median(plain), statistics.median(fetch)
            if f / p < best_ratio:
                best_ratio, plain_ms, fetch_ms = f / p, p * 1e3, f * 1e3
            if t_first / t_create < best_first:
                best_first, first_ms, create_ms = t_first / t_create, t_first * 1e3, t_create * 1e3
        rows.append(
            {
                "model": label,
                "tensor": f"{where}: {tensor}",
                "plain_ms": plain_ms,
                "fetch_ms": fetch_ms,
                "ratio": best_ratio,
                "create_ms": create_ms,
                "first_ms": first_ms,
                "first_ratio": best_first,
            }
        )
    return rows


def overhead_us(calls: int = 2000) -> tuple[float, float]:
    """Per-call time of a plain run and of a cached oi.run on a 21-node toy model (microseconds)."""
    proto = testing.residual_chain(blocks=4, width=4)
    m = oi.load(proto)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {"x": np.ones((2, 4), np.float32)}
    run(m, outputs=["b2_sum"], feeds=feeds, providers=["CPUExecutionProvider"])
    best = (np.inf, np.inf)
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(calls):
            sess.run(None, feeds)
        t1 = time.perf_counter()
        for _ in range(calls):
            run(m, outputs=["b2_sum"], feeds=feeds, providers=["CPUExecutionProvider"])
        t2 = time.perf_counter()
        best = (min(best[0], (t1 - t0) / calls * 1e6), min(best[1], (t2 - t1) / calls * 1e6))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the best round is kept")
    ap.add_argument("--calls", type=int, default=20, help="timed calls per side per round")
    args = ap.parse_args()

    x224 = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    tr = testing.transformer_like(layers=12, hidden=256)
    cases = [
        ("light_squeezenet", LIGHT / "light_squeezenet.onnx", {"data_0": x224}),
        ("light_resnet50", LIGHT / "light_resnet50.onnx", {"gpu_0/data_0": x224}),
        (
            "transformer 12x256, seq 128",
            tr,
            oi.runtime.make_feeds(oi.load(tr), dims={"batch": 1, "seq": 128}),
        ),
    ]
    rows = []
    for label, source, feeds in cases:
        rows.extend(bench_model(label, source, feeds, args.repeat, args.calls))

    print(
        f"onnxruntime {ort.__version__}, CPUExecutionProvider; best of {args.repeat} rounds x {args.calls} calls\n"
    )
    head = f"{'model':30} {'tensor':42} {'plain':>9} {'fetch':>9} {'ratio':>6}   {'create':>9} {'first':>9} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for r in rows:
        tensor = r["tensor"] if len(r["tensor"]) <= 42 else r["tensor"][:39] + "..."
        print(
            f"{r['model']:30} {tensor:42} {r['plain_ms']:8.2f}ms {r['fetch_ms']:8.2f}ms {r['ratio']:5.2f}x"
            f"   {r['create_ms']:8.1f}ms {r['first_ms']:8.1f}ms {r['first_ratio']:5.2f}x"
        )
    worst = max(r["ratio"] for r in rows)
    print(
        f"\nrepeat fetch of an intermediate vs plain full run: worst {worst:.2f}x "
        f"(goal <= {GOAL}x): {'PASS' if worst <= GOAL else 'FAIL'}"
    )
    plain_us, fetch_us = overhead_us()
    print(
        f"fixed cost per oi.run call (name lookup, feed checks, cache): +{fetch_us - plain_us:.0f} us "
        f"(toy 21-node model: plain {plain_us:.0f} us, oi.run {fetch_us:.0f} us; not part of the goal)"
    )
    print(
        "first fetch (cut + session + run) vs plain session creation + first run: "
        f"{min(r['first_ratio'] for r in rows):.2f}x .. {max(r['first_ratio'] for r in rows):.2f}x"
    )


if __name__ == "__main__":
    main()
