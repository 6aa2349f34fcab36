"""The graph view's first view in Chromium without a kernel: payload decode, group tree, and mount ->
ready on a plain page (the page harness of tests/browser/test_first_view_browser.py), for one or
more front-end builds side by side, with a screenshot of each first view to compare the pictures.

    python benchmarks/firstview.py                                   # 200k nodes, scoped and flat
    python benchmarks/firstview.py --sizes 50000,200000 --repeat 3
    python benchmarks/firstview.py --static /tmp/old-static --static onnx_inspect/static --shots /tmp/shots
    python benchmarks/firstview.py --payload some.json               # a payload written by graph_payload

Columns (ms, median of --repeat mounts in one page, each build measured in turn in the same run so a
busy machine weighs on all alike): decode = "oi:decode" (js/src/payload.ts), tree = "oi:tree"
(js/src/groups.ts), ready = mount call -> ``.oi-graph[data-oi-state=ready]``. Goal (issue 15):
decode + tree <= 200 ms at 200k nodes. --shots DIR writes DIR/<build>/<model>-<width>.png; the
same view must give the same picture in every build (``compare -metric AE a.png b.png null:``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import onnx
from load import make  # benchmarks/ is on sys.path when a script runs

import onnx_inspect as oi
from onnx_inspect.views.graph_payload import graph_payload

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.jlab import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="graphview.css">
<style>body { margin: 0; padding: 10px; background: #fff; } #host { width: WIDTHpx; }</style></head>
<body data-jp-theme-light="true"><div id="host"></div><script type="module">
import { mount } from "./graphview.js";
const host = document.getElementById("host");
let current = null;
window.__show = async (url) => {
  if (current) current.view.destroy();
  current = null;
  host.replaceChildren();
  performance.clearMeasures();
  const text = await (await fetch(url)).text();
  window.__ready = null;
  const obs = new MutationObserver(() => {
    if (host.querySelector(".oi-graph[data-oi-state=ready]")) { window.__ready = performance.now() - t0; obs.disconnect(); }
  });
  obs.observe(host, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-oi-state"] });
  const t0 = performance.now();
  current = mount(host, text, { height: "600px" });
};
window.__loaded = true;
</script></body></html>"""
MEASURES = """() => {
  const out = { ready: window.__ready };
  for (const e of performance.getEntriesByType("measure")) if (e.name.startsWith("oi:")) out[e.name] = (out[e.name] ?? 0) + e.duration;
  return out;
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def payloads(sizes: list[int], kinds: list[str], extra: list[str], work: Path) -> list[Path]:
    """Payload JSON files: generated models (benchmarks/load.make) and the given files."""
    out = []
    for n in sizes:
        for kind in kinds:
            onnx_path = work / f"{kind}{n}.onnx"
            onnx.save(make(kind, n), onnx_path)
            p = work / f"{kind}{n}.json"
            p.write_text(
                json.dumps(graph_payload(oi.load(onnx_path)), separators=(",", ":")), encoding="utf-8"
            )
            out.append(p)
    return out + [Path(x).resolve() for x in extra]


def site(statics: list[Path], files: list[Path], widths: list[int], root: Path) -> list[str]:
    """One folder per build (its graphview.js/.css, a page per width, links to the payloads)."""
    names = []
    for k, st in enumerate(statics):
        name = f"build{k}"
        d = root / name
        d.mkdir()
        for f in ("graphview.js", "graphview.css"):
            shutil.copy(st / f, d / f)
        for w in widths:
            (d / f"pane-{w}.html").write_text(PAGE.replace("WIDTH", str(w)), encoding="utf-8")
        for p in files:
            (d / p.name).symlink_to(p)
        names.append(name)
    return names


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes", default="200000", help="node counts of generated models (comma-separated; '' for none)"
    )
    ap.add_argument("--kinds", default="scoped,flat")
    ap.add_argument("--payload", action="append", default=[], help="a payload JSON file to mount too")
    ap.add_argument(
        "--static", action="append", default=[], help="a front-end build folder (default onnx_inspect/static)"
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--widths", default="560", help="pane widths in px (comma-separated)")
    ap.add_argument("--shots", default="", help="write a screenshot of each first view under this folder")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    statics = [Path(s).resolve() for s in a.static] or [ROOT / "onnx_inspect" / "static"]
    widths = [int(w) for w in a.widths.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sizes = [int(s) for s in a.sizes.split(",") if s]
        files = payloads(sizes, a.kinds.split(","), a.payload, work)
        root = work / "site"
        root.mkdir()
        names = site(statics, files, widths, root)
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        print(f"{'model':<28} {'px':>5} {'build':<40} {'decode':>7} {'tree':>7} {'ready':>7}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            pages = {}
            for name in names:
                for w in widths:
                    page = browser.new_page(viewport={"width": w + 20, "height": 680})
                    page.goto(f"{base}/{name}/pane-{w}.html")
                    page.wait_for_function("window.__loaded === true")
                    pages[name, w] = page
            for p in files:
                for w in widths:
                    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
                    for _ in range(a.repeat):
                        for name in names:  # builds in turn, so load changes weigh on all alike
                            page = pages[name, w]
                            page.evaluate("(u) => window.__show(u)", p.name)
                            page.wait_for_function("window.__ready !== null", timeout=300_000)
                            runs[name].append(page.evaluate(MEASURES))
                    for name, st in zip(names, statics, strict=True):
                        med = {
                            k: statistics.median(r.get(k, 0.0) for r in runs[name])
                            for k in ("oi:decode", "oi:tree", "ready")
                        }
                        print(
                            f"{p.stem:<28} {w:>5} {str(st)[-40:]:<40} {med['oi:decode']:>7.0f} {med['oi:tree']:>7.0f} {med['ready']:>7.0f}",
                            flush=True,
                        )
                        if a.shots:
                            out = Path(a.shots) / name
                            out.mkdir(parents=True, exist_ok=True)
                            pages[name, w].screenshot(path=str(out / f"{p.stem}-{w}.png"))
            browser.close()
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
