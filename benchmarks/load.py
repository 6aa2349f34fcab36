"""oi.load vs its parse floor (onnx.load + onnx.shape_inference.infer_shapes), measured side by side.

    python benchmarks/load.py            # 1k, 10k, 50k nodes; scoped (LLM-style names) and flat
    python benchmarks/load.py --rss-gb 2.2   # also peak RSS of loading a model with > 2 GB external weights

Goals (DESIGN.md): oi.load <= 1.5x the floor; peak RSS < 500 MB for the 2 GB+ external-data model.
Each figure is the best of --repeat runs, so a busy shared machine inflates both sides alike.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import onnx
from _timing import best_of  # benchmarks/ is on sys.path when a script runs

from onnx_inspect import testing

GOAL_RATIO = 1.5
GOAL_RSS_MB = 500


def floor(path: str) -> None:
    onnx.shape_inference.infer_shapes(onnx.load(path))


def ours(path: str) -> None:
    import onnx_inspect as oi

    m = oi.load(path)
    assert len(m.nodes) > 0 and len(m.tensors) > 0


def make(kind: str, nodes: int) -> onnx.ModelProto:
    if kind == "scoped":
        return testing.transformer_like(layers=max(1, nodes // 17))
    if kind == "flat":
        return testing.residual_chain(blocks=max(1, nodes // 5))
    return testing.transformer_like(layers=max(1, nodes // 17), named=False)


# VmHWM (peak resident set of this process image) resets at exec, unlike ru_maxrss, which a forked child
# inherits from its parent.
RSS_CHILD = """
import re, sys, onnx_inspect as oi
m = oi.load(sys.argv[1])
w = m.weight("w0")          # one weight, memory-mapped
assert float(w[:4].sum()) > 0
hwm = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)
print(len(m.nodes), int(hwm) / 1024)
"""


def rss_check(total_gb: float) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as d:
        path = testing.big_external_model(Path(d), int(total_gb * 2**30))
        size = sum(f.stat().st_size for f in Path(d).iterdir())
        out = subprocess.run(
            [sys.executable, "-c", RSS_CHILD, str(path)], capture_output=True, text=True, check=True
        ).stdout.split()
        return float(out[1]), size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,50000")
    ap.add_argument("--kinds", default="scoped,flat,unnamed")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall", help="CPU seconds: steadier on a busy machine"
    )
    ap.add_argument(
        "--rss-gb", type=float, default=0.0, help="also measure peak RSS for this many GB of weights"
    )
    args = ap.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    worst = 0.0
    print(f"{'model':<10} {'nodes':>7} {'floor s':>8} {'oi.load s':>10} {'ratio':>6}  goal <= {GOAL_RATIO}x")
    with tempfile.TemporaryDirectory() as d:
        for kind in args.kinds.split(","):
            for n in (int(s) for s in args.sizes.split(",")):
                path = os.path.join(d, f"{kind}_{n}.onnx")
                onnx.save(make(kind, n), path)
                real = len(onnx.load(path).graph.node)
                ours(path)  # warm imports and caches on both sides
                floor(path)
                t_floor = best_of(lambda p=path: floor(p), args.repeat, clock)
                t_ours = best_of(lambda p=path: ours(p), args.repeat, clock)
                ratio = t_ours / t_floor
                worst = max(worst, ratio)
                print(f"{kind:<10} {real:>7} {t_floor:>8.3f} {t_ours:>10.3f} {ratio:>6.2f}")
    print(f"worst ratio {worst:.2f}x (goal <= {GOAL_RATIO}x): {'met' if worst <= GOAL_RATIO else 'NOT met'}")
    if args.rss_gb:
        rss, size = rss_check(args.rss_gb)
        print(
            f"external weights {size / 2**30:.2f} GiB: peak RSS of oi.load + one weight {rss:.0f} MB "
            f"(goal < {GOAL_RSS_MB} MB): {'met' if rss < GOAL_RSS_MB else 'NOT met'}; "
            f"ratio RSS/weights {rss * 2**20 / size:.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
