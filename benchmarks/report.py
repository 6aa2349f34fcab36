"""oi.report size and write time for a ~500-node transformer-like model with its profile.

    python benchmarks/report.py [--layers 30] [--repeat 3]

Goal (issue 7): the self-contained HTML report of a 500-node transformer with its profile is < 8 MB.
Printed beside it, measured in the same run: the floor every offline plotly page pays (one figure
written by plotly's own ``write_html`` with plotly.js inlined), so the ratio shows what the graph,
the node details, the weights and three profile figures add on top of plotly.js. Times are the best
of --repeat runs (a busy shared machine inflates both sides alike).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from _timing import best_of  # benchmarks/ is on sys.path when a script runs

import onnx_inspect as oi

# the module, not the oi.report function that shadows it as an attribute of the package
from onnx_inspect import reporting as R
from onnx_inspect.testing import transformer_like

GOAL_BYTES = 8_000_000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    m = oi.load(transformer_like(layers=args.layers))
    p = oi.profile(m, runs=10, warmup=2)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "report.html"
        t_report = best_of(lambda: R.report(m, out, profile=p), args.repeat)
        size = out.stat().st_size
        floor = Path(d) / "plotly_floor.html"
        fig = p.figure_op_types()
        t_floor = best_of(lambda: fig.write_html(floor, include_plotlyjs=True, full_html=True), args.repeat)
        floor_size = floor.stat().st_size

    data = R.report_data(m, p)
    parts = {
        k: len(R.json_for_script(data[k]).encode())
        for k in ("payload", "nodes", "weights", "profile", "overlays")
    }
    parts["plotly.js (packed)"] = len(R.json_for_script(R.packed_plotly_js()).encode())
    parts["report bundle (js+css)"] = len(json.dumps(R.ESM.read_text()).encode()) + R.CSS.stat().st_size
    print(f"model: transformer_like(layers={args.layers}), {len(m.nodes)} nodes, profile of {p.n_runs} runs")
    print(f"report: {size / 1e6:.2f} MB (goal < {GOAL_BYTES / 1e6:.0f} MB: {'OK' if size < GOAL_BYTES else 'MISSED'}, "
          f"{size / GOAL_BYTES:.2f}x of the goal), written in {t_report:.2f} s")  # fmt: skip
    print(
        f"floor: one plotly figure with inline plotly.js (fig.write_html): {floor_size / 1e6:.2f} MB in {t_floor:.2f} s"
    )
    print(f"ratio report/floor: size {size / floor_size:.2f}x, time {t_report / t_floor:.1f}x")
    print("breakdown: " + ", ".join(f"{k} {v / 1e3:,.0f} kB" for k, v in parts.items()))
    return 0 if size < GOAL_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
