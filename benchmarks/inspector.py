"""The Inspector's own kernel time beside its graph: what ``oi.inspect`` spends on the panel (tabs, node
list, summary) and on the display bundle (the fallback text), apart from load and the graph payload.

    python benchmarks/inspector.py                       # 50k and 200k nodes, scoped
    python benchmarks/inspector.py --sizes 10000 --kinds scoped,flat --repeat 3

panel s = ``Inspector(m)`` minus the ``GraphView`` built inside it; bundle s = ``_repr_mimebundle_``
(what a cell's output computes besides the widget state). CPU seconds (steady on a shared machine), best
of --repeat, each on a freshly loaded model so nothing is cached from an earlier Inspector.
Goal (issue 15): the panel adds little to cell run -> graph ready (<= 3 s at 200k nodes in all).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from typing import Any

from load import make  # benchmarks/ is on sys.path when a script runs

import onnx_inspect as oi
from onnx_inspect.widgets import graphview
from onnx_inspect.widgets.inspector import Inspector


def measure(kind: str, nodes: int, repeat: int) -> tuple[float, float, float]:
    """(panel s, bundle s, graph view s) of Inspector on a ``kind`` model of about ``nodes`` nodes."""
    proto = make(kind, nodes)
    spent: list[float] = []
    real = graphview.GraphView

    class Timed(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            t0 = time.process_time()
            super().__init__(*args, **kwargs)
            spent.append(time.process_time() - t0)

    graphview.GraphView = Timed  # type: ignore[misc]
    panel, bundle, graph = float("inf"), float("inf"), float("inf")
    try:
        for _ in range(repeat):
            m = oi.load(proto)
            gc.collect()
            spent.clear()
            t0 = time.process_time()
            insp = Inspector(m)
            total = time.process_time() - t0
            t0 = time.process_time()
            insp._repr_mimebundle_()
            bundle = min(bundle, time.process_time() - t0)
            panel, graph = min(panel, total - spent[0]), min(graph, spent[0])
            insp.close()
    finally:
        graphview.GraphView = real  # type: ignore[misc]
    return panel, bundle, graph


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="50000,200000")
    ap.add_argument("--kinds", default="scoped")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    print(f"onnx_inspect from {oi.__file__.rsplit('/', 1)[0]}; CPU seconds")
    print(f"{'model':8s} {'nodes':>7s} {'panel s':>8s} {'bundle s':>9s} {'graph view s':>13s}")
    for kind in args.kinds.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            panel, bundle, graph = measure(kind, n, args.repeat)
            print(f"{kind:8s} {n:>7d} {panel:>8.3f} {bundle:>9.3f} {graph:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
