"""The scale curve (issue 15): load ratio, graph payload, Python peak RSS, report size, and (--browser)
cell run -> graph ready in real JupyterLab + Chromium, per model size.

    python benchmarks/scale.py                      # quick (< 2 min): 10k and 50k nodes, scoped and flat
    python benchmarks/scale.py --sizes 10000,50000,100000,200000 --repeat 3
    python benchmarks/scale.py --no-report          # skip oi.report (the slowest column)
    python benchmarks/scale.py --clock cpu          # CPU seconds: steadier on a shared, busy machine
    python benchmarks/scale.py --browser --no-report --sizes 10000,200000   # + the JupyterLab columns

Columns, per model (scoped = transformer_like with LLM-style names, flat = residual_chain):
floor = onnx.load + infer_shapes; load = oi.load (best of --repeat, ratio = load/floor measured in the
same run, so a busy shared machine inflates both sides alike); payload = what GraphView does to send the
graph (views.graph_payload graph_columns + payload_bytes) and the size of the bytes sent (the compressed wire
form); json MB = the same payload as the JSON the report embeds (graph_payload); rss = peak RSS of a fresh
process that runs oi.load + graph_payload (VmHWM);
report = oi.report file size, data % = the share of it that is the embedded report data (graph payload,
every node's details, weights; packed since issue 15), report s = its write time (one run);
open s (with --browser) = navigating Chromium to the report file -> its graph ready (goal <= 3 s at 200k).
--browser adds, from a notebook cell ``oi.inspect(path)`` run in JupyterLab (Chromium, headless):
ready s = cell start (kernel clock) -> ``.oi-graph[data-oi-state=ready]`` (page clock, same machine);
kernel s = the part spent in the kernel (oi.inspect returning); decode/tree ms = the front end's
payload decode and group-tree build (User Timing "oi:decode", "oi:tree" in js/src/payload.ts,
groups.ts; decode spans inflate -> decoded columns, "unpack" its parts inflate/after; where the layout
workers decode the wire form (js/src/offthread.ts), decode and tree are the main thread's part: taking
their answer ("oi:receive") and decoding, and rebuilding the tree they sent, and "unpack" is w + the
workers' wall time, "oi:offthread"); workers ms = summed layout round trips per worker ("oi:layout-worker-<k>", engine.ts);
heap MB = the page's used JS heap; kernel MB = the kernel's peak RSS.
Goals: load <= 2x now, 1.5x later; payload <= 0.5 s / 5 MB at 100k; report <= 10 MB at 50k, 30 MB at 200k;
200k ready <= 3 s; decode + tree <= 0.2 s at 200k; workers balanced.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import onnx
from _timing import best_of  # benchmarks/ is on sys.path when a script runs
from load import floor, make

import onnx_inspect as oi
from onnx_inspect import reporting as R
from onnx_inspect.model import links as LINKS
from onnx_inspect.views.graph_payload import graph_columns, graph_payload, payload_bytes

ROOT = Path(__file__).resolve().parents[1]

RSS_CHILD = """
import re, sys, onnx_inspect as oi
from onnx_inspect.views.graph_payload import graph_payload
m = oi.load(sys.argv[1])
graph_payload(m)
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024)
"""


def send_bytes(m: oi.Model) -> bytes:
    """What GraphView(m) computes to send the graph, from a model that has not been shown yet."""
    LINKS._CACHE.pop(m, None)  # (links(m) is cached per model: time a first view, not a repeat)
    return payload_bytes(graph_columns(m))


def peak_rss_mb(path: str) -> float:
    """Peak resident set (MB) of a fresh interpreter that loads ``path`` and builds its graph payload."""
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, path], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


# ------------------------------------------------------------------------------------------ browser
READY_WATCH = """() => {
  window.__oiReady = null;
  const sel = '.oi-graph[data-oi-state=ready]';
  const obs = new MutationObserver(() => {
    if (document.querySelector(sel)) { window.__oiReady = Date.now(); obs.disconnect(); }
  });
  obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-oi-state'] });
}"""
MEASURES = """() => {
  const out = {};
  for (const e of performance.getEntriesByType('measure')) {
    if (e.name.startsWith('oi:')) out[e.name] = (out[e.name] ?? 0) + e.duration;
  }
  out.heap = performance.memory ? performance.memory.usedJSHeapSize : null;
  return out;
}"""
CELL_WARM = "import time, re, onnx_inspect as oi\nimport onnx_inspect.widgets"
CELL_RUN = "T0 = time.time()\nw = oi.inspect({path!r})\nT1 = time.time()\nw"
KERNEL_FACTS = (
    '{"t0": T0, "t1": T1, "hwm": int(re.search(r"VmHWM:\\s+(\\d+) kB", '
    'open("/proc/self/status").read()).group(1)) / 1024}'
)


@contextlib.contextmanager
def lab() -> Iterator[tuple[Any, Any]]:
    """A JupyterLab server (tests/browser/jlab.py) and a headless Chromium context."""
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from tests.browser.jlab import CHROMIUM, CHROMIUM_ARGS, LabServer

    with tempfile.TemporaryDirectory() as d:
        server = LabServer(Path(d)).start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=[*CHROMIUM_ARGS, "--enable-precise-memory-info"],
                )
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
                try:
                    yield server, ctx
                finally:
                    browser.close()
        finally:
            server.stop()


OPEN_WATCH = """() => {
  const sel = '.oi-graph[data-oi-state=ready]';
  window.__oiOpen = null;
  const obs = new MutationObserver(() => {
    if (window.__oiOpen === null && document.querySelector(sel)) { window.__oiOpen = performance.now(); obs.disconnect(); }
  });
  obs.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-oi-state'] });
}"""


def report_open_s(ctx: Any, report: Path, timeout: float = 240) -> float:
    """Seconds from navigating to the report file to its graph being ready (the page's own clock)."""
    page = ctx.new_page()
    try:
        page.add_init_script(f"({OPEN_WATCH})()")
        page.goto(report.as_uri(), wait_until="commit", timeout=timeout * 1000)
        page.wait_for_function("() => window.__oiOpen !== null", timeout=timeout * 1000)
        return float(page.evaluate("() => window.__oiOpen")) / 1000
    finally:
        page.close()


def browser_row(server: Any, ctx: Any, model_path: str, label: str, timeout: float = 240) -> dict[str, Any]:
    """Run ``oi.inspect`` of the model in a fresh notebook and measure until the graph is ready."""
    from tests.browser.jlab import LabNotebook, write_notebook

    shutil.copy(model_path, server.root / f"{label}.onnx")
    name = f"{label}.ipynb"
    write_notebook(server.root / name, [CELL_WARM, CELL_RUN.format(path=f"{label}.onnx")])
    page = ctx.new_page()
    nb = LabNotebook(server, page, name).open()
    try:
        page.evaluate(READY_WATCH)
        nb.run_all(timeout=timeout)
        page.wait_for_function("() => window.__oiReady !== null", timeout=timeout * 1000)
        facts = nb.kernel.eval_json(KERNEL_FACTS)
        m = page.evaluate(MEASURES)
        workers = sorted(v for k, v in m.items() if k.startswith("oi:layout-worker-"))
        return {
            "ready_s": page.evaluate("() => window.__oiReady") / 1000 - facts["t0"],
            "kernel_s": facts["t1"] - facts["t0"],
            # decoded by the layout workers (js/src/offthread.ts): main-thread time only, and "w" + their wall time
            "decode_ms": m.get("oi:decode", 0.0) + m.get("oi:receive", 0.0),
            "unpack_ms": f"{m.get('oi:inflate', 0.0):.0f}/{m.get('oi:unpack', 0.0):.0f}"
            if "oi:offthread" not in m
            else f"w{m['oi:offthread']:.0f}",
            "tree_ms": m.get("oi:tree", 0.0),
            "workers_ms": "/".join(f"{w:.0f}" for w in workers) or "-",
            "heap_mb": (m["heap"] or 0) / 1e6,
            "kernel_mb": facts["hwm"],
        }
    finally:
        nb.close()
        with contextlib.suppress(Exception):
            server.api("DELETE", f"/api/kernels/{server.kernel_for(name)}")
        page.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,50000", help="node counts, comma-separated")
    ap.add_argument("--kinds", default="scoped,flat")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall", help="wall or CPU seconds for load/payload"
    )
    ap.add_argument("--no-report", action="store_true", help="skip the oi.report column")
    ap.add_argument(
        "--no-rss", action="store_true", help="skip the peak-RSS column (one subprocess per model)"
    )
    ap.add_argument("--browser", action="store_true", help="also measure oi.inspect in JupyterLab + Chromium")
    args = ap.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"onnx_inspect from {Path(oi.__file__).parent}; {args.clock} seconds")
    head = (
        f"{'model':<7} {'nodes':>7} {'floor s':>8} {'load s':>7} {'ratio':>6} {'payload s':>9} "
        f"{'payload MB':>10} {'json MB':>7} {'rss MB':>7} {'report MB':>9} {'data %':>6} {'report s':>8} {'open s':>6}"
    )
    if args.browser:
        head += (
            f" | {'ready s':>7} {'kernel s':>8} {'decode ms':>9} {'unpack ms':>9} {'tree ms':>7} {'workers ms':>11} "
            f"{'heap MB':>7} {'kernel MB':>9}"
        )
    with (
        tempfile.TemporaryDirectory() as d,
        lab() if args.browser else contextlib.nullcontext((None, None)) as (
            server,
            ctx,
        ),
    ):
        print(head, flush=True)
        for kind in args.kinds.split(","):
            for n in (int(s) for s in args.sizes.split(",")):
                path = os.path.join(d, f"{kind}_{n}.onnx")
                onnx.save(make(kind, n), path)
                m = oi.load(path)  # warm imports on both sides
                floor(path)
                t_floor = best_of(lambda p=path: floor(p), args.repeat, clock)
                t_load = best_of(lambda p=path: oi.load(p), args.repeat, clock)
                t_pay = best_of(lambda m=m: send_bytes(m), args.repeat, clock)
                pay_mb = len(payload_bytes(graph_columns(m))) / 1e6
                json_mb = len(R.json_for_script(graph_payload(m)).encode()) / 1e6
                rss = "" if args.no_rss else f"{peak_rss_mb(path):.0f}"
                rep_mb = det = rep_s = open_s = ""
                if not args.no_report:
                    out = Path(d) / "report.html"
                    t0 = time.perf_counter()
                    R.report(m, out)
                    rep_s = f"{time.perf_counter() - t0:.1f}"
                    size = out.stat().st_size
                    rep_mb = f"{size / 1e6:.1f}"
                    text = out.read_text(encoding="utf-8")
                    packed = sum(
                        text.index("</script>", at) - at
                        for at in (text.index(f"id='{k}'>") for k in ("oi-data", "oi-records"))
                    )
                    det = f"{100 * packed / size:.0f}"
                    if args.browser:
                        open_s = f"{report_open_s(ctx, out):.2f}"
                    out.unlink()
                line = (
                    f"{kind:<7} {len(m.nodes):>7} {t_floor:>8.3f} {t_load:>7.3f} {t_load / t_floor:>6.2f} "
                    f"{t_pay:>9.3f} {pay_mb:>10.2f} {json_mb:>7.2f} {rss:>7} {rep_mb:>9} {det:>6} {rep_s:>8} {open_s:>6}"
                )
                del m
                if args.browser:
                    b = browser_row(server, ctx, path, f"{kind}_{n}")
                    line += (
                        f" | {b['ready_s']:>7.2f} {b['kernel_s']:>8.2f} {b['decode_ms']:>9.0f} {b['unpack_ms']:>9} {b['tree_ms']:>7.0f} "
                        f"{b['workers_ms']:>11} {b['heap_mb']:>7.0f} {b['kernel_mb']:>9.0f}"
                    )
                print(line, flush=True)
    goals = {"load_ratio": 2.0, "payload_s_100k": 0.5, "payload_mb_100k": 5, "report_mb_50k": 10}
    goals |= {
        "report_mb_200k": 30,
        "ready_s_200k": 3.0,
        "report_open_s_200k": 3.0,
        "decode_tree_ms_200k": 200,
    }
    print(json.dumps({"goals": goals}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
