"""The scale curve (issue 15): load ratio, graph payload, Python peak RSS and report size per model size.

    python benchmarks/scale.py                      # quick (< 2 min): 10k and 50k nodes, scoped and flat
    python benchmarks/scale.py --sizes 10000,50000,100000,200000 --repeat 3
    python benchmarks/scale.py --no-report          # skip oi.report (the slowest column)

Columns, per model (scoped = transformer_like with LLM-style names, flat = residual_chain):
floor = onnx.load + infer_shapes; load = oi.load (best of --repeat, ratio = load/floor measured in the
same run, so a busy shared machine inflates both sides alike); payload = views.graph_payload time and
its compact-JSON size; rss = peak RSS of a fresh process that runs oi.load + graph_payload (VmHWM);
report = oi.report file size, data % = the share of it that is the embedded report data (graph payload,
every node's details, weights; packed since issue 15), report s = its write time (one run).
Goals: load <= 2x now, 1.5x later; payload <= 0.5 s / 5 MB at 100k; report <= 10 MB at 50k, 30 MB at 200k.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import onnx
from _timing import best_of  # benchmarks/ is on sys.path when a script runs
from load import floor, make

import onnx_inspect as oi
from onnx_inspect import reporting as R
from onnx_inspect.views.graph_payload import graph_payload

RSS_CHILD = """
import re, sys, onnx_inspect as oi
from onnx_inspect.views.graph_payload import graph_payload
m = oi.load(sys.argv[1])
graph_payload(m)
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024)
"""


def peak_rss_mb(path: str) -> float:
    """Peak resident set (MB) of a fresh interpreter that loads ``path`` and builds its graph payload."""
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, path], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,50000", help="node counts, comma-separated")
    ap.add_argument("--kinds", default="scoped,flat")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-report", action="store_true", help="skip the oi.report column")
    ap.add_argument(
        "--no-rss", action="store_true", help="skip the peak-RSS column (one subprocess per model)"
    )
    args = ap.parse_args()
    print(f"onnx_inspect from {Path(oi.__file__).parent}")
    head = (
        f"{'model':<7} {'nodes':>7} {'floor s':>8} {'load s':>7} {'ratio':>6} {'payload s':>9} "
        f"{'payload MB':>10} {'rss MB':>7} {'report MB':>9} {'data %':>9} {'report s':>8}"
    )
    print(head)
    with tempfile.TemporaryDirectory() as d:
        for kind in args.kinds.split(","):
            for n in (int(s) for s in args.sizes.split(",")):
                path = os.path.join(d, f"{kind}_{n}.onnx")
                onnx.save(make(kind, n), path)
                m = oi.load(path)  # warm imports on both sides
                floor(path)
                t_floor = best_of(lambda p=path: floor(p), args.repeat)
                t_load = best_of(lambda p=path: oi.load(p), args.repeat)
                t_pay = best_of(lambda m=m: graph_payload(m), args.repeat)
                pay_mb = len(R.json_for_script(graph_payload(m)).encode()) / 1e6
                rss = "" if args.no_rss else f"{peak_rss_mb(path):.0f}"
                rep_mb = det = rep_s = ""
                if not args.no_report:
                    out = Path(d) / "report.html"
                    t0 = time.perf_counter()
                    R.report(m, out)
                    rep_s = f"{time.perf_counter() - t0:.1f}"
                    size = out.stat().st_size
                    rep_mb = f"{size / 1e6:.1f}"
                    text = out.read_text(encoding="utf-8")
                    start = text.index("id='oi-data'>")
                    det = f"{100 * (text.index('</script>', start) - start) / size:.0f}"
                    out.unlink()
                print(
                    f"{kind:<7} {len(m.nodes):>7} {t_floor:>8.3f} {t_load:>7.3f} {t_load / t_floor:>6.2f} "
                    f"{t_pay:>9.3f} {pay_mb:>10.2f} {rss:>7} {rep_mb:>9} {det:>9} {rep_s:>8}",
                    flush=True,
                )
                del m
    print(json.dumps({"goals": {"load_ratio": 2.0, "report_mb_50k": 10, "report_mb_200k": 30}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
