"""Graph view benchmark: time to a painted graph in headless Chromium, against Netron in the same run.

Generates two models in a temp dir: a flat 10k-node residual CNN (no scopes, like an old Caffe2
export) and a scoped ~50k-node decoder-only transformer (PyTorch-style names
"/model/layers.N/self_attn/q_proj/MatMul", QDQ-quantised). Measures, in Debian's Chromium:

* GraphView, flat and scoped: from the widget element appearing (the anywidget `render()` call)
  to `.oi-graph[data-oi-state=ready]` plus the next painted frame; also the cold figure from page
  navigation (module load and payload decode included), which is what Netron's figure covers.
* GraphView, scoped: double-click one collapsed layer group until its children are painted, once
  right after the first paint (background layout prefetch may still be running) and once after
  2 s idle, each on a group never expanded before.
* Netron (the `netron` package serving the flat file on 127.0.0.1): from navigation until its
  graph is laid out and painted.
* Payload build time and JSON size for the scoped model.

The widget runs in a standalone page that imports the built `onnx_inspect/static/graphview.js`
through a ~40-line anywidget-compatible model shim fed with the real widget's state (the same
traits and binary buffers the Jupyter comm would deliver). JupyterLab is left out on purpose: its
start-up, kernel and comm transport add seconds of noise unrelated to the widget, and the browser
tests already prove the widget in Lab. Every request that leaves 127.0.0.1 is blocked and counted.

Run: python benchmarks/graphview.py [--skip-netron] [--flat-nodes N] [--scoped-nodes N] [--repeat N]
(about 30 s; needs /usr/bin/chromium and the built front end).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[1]
STATIC = REPO / "onnx_inspect" / "static"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
GOAL_READY_S = 2.0
GOAL_EXPAND_S = 0.2
GOAL_NETRON_RATIO = 10.0
GOAL_PAYLOAD_S = 0.5
GOAL_PAYLOAD_MB = 5.0


# --------------------------------------------------------------------------------------------- models
def flat_cnn(n_nodes: int) -> onnx.ModelProto:
    """Residual CNN with about n_nodes unscoped nodes (Conv, Relu, Conv, Add, Relu per block)."""
    c, hw = 8, 16
    rng = np.random.default_rng(0)
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    x = "input"
    for b in range(max(1, n_nodes // 5)):
        w1, w2 = f"block{b}.conv1.weight", f"block{b}.conv2.weight"
        for w in (w1, w2):
            inits.append(
                numpy_helper.from_array(rng.standard_normal((c, c, 3, 3), dtype=np.float32) * 0.05, w)
            )
        k = len(nodes)
        nodes += [
            helper.make_node("Conv", [x, w1], [f"t{k}"], name=f"n{k}", pads=[1, 1, 1, 1]),
            helper.make_node("Relu", [f"t{k}"], [f"t{k + 1}"], name=f"n{k + 1}"),
            helper.make_node("Conv", [f"t{k + 1}", w2], [f"t{k + 2}"], name=f"n{k + 2}", pads=[1, 1, 1, 1]),
            helper.make_node("Add", [f"t{k + 2}", x], [f"t{k + 3}"], name=f"n{k + 3}"),
            helper.make_node("Relu", [f"t{k + 3}"], [f"t{k + 4}"], name=f"n{k + 4}"),
        ]
        x = f"t{k + 4}"
    graph = helper.make_graph(
        nodes,
        "flat_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c, hw, hw])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, c, hw, hw])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bench")


class _Builder:
    """Collects nodes with PyTorch-exporter-style names ("/scope/Op", "/scope/Op_1", ...)."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.counts: dict[str, int] = {}
        self.consts: dict[tuple[str, bytes], str] = {}

    def op(self, scope: str, op: str, inputs: list[str], n_out: int = 1, **attrs: Any) -> list[str]:
        base = f"{scope}/{op}"
        k = self.counts.get(base, 0)
        self.counts[base] = k + 1
        name = base if k == 0 else f"{base}_{k}"
        outs = [f"{name}_output_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs

    def one(self, scope: str, op: str, inputs: list[str], **attrs: Any) -> str:
        return self.op(scope, op, inputs, **attrs)[0]

    def const(self, value: np.ndarray, name: str | None = None) -> str:
        key = (str(value.dtype) + str(value.shape), value.tobytes())
        if name is None and key in self.consts:
            return self.consts[key]
        name = name or f"const_{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(value, name))
        if name.startswith("const_"):
            self.consts[key] = name
        return name


def scoped_transformer(n_nodes: int, hidden: int = 32, heads: int = 4) -> onnx.ModelProto:
    """Decoder-only transformer with QDQ-quantised MatMuls and about n_nodes scoped nodes."""
    rng = np.random.default_rng(0)
    b = _Builder()
    f32 = np.float32
    hd = hidden // heads
    scale, zp = b.const(np.array(0.05, f32)), b.const(np.array(0, np.int8))

    def qdq(scope: str, x: str) -> str:
        q = b.one(scope, "QuantizeLinear", [x, scale, zp])
        return b.one(scope, "DequantizeLinear", [q, scale, zp])

    def linear(scope: str, x: str, n_in: int, n_out: int, wname: str) -> str:
        w = b.const(rng.integers(-127, 127, (n_in, n_out), dtype=np.int8), wname)
        wd = b.one(scope, "DequantizeLinear", [w, scale, zp])
        return b.one(scope, "MatMul", [qdq(scope, x), wd])

    def rms_norm(scope: str, x: str, wname: str) -> str:
        w = b.const(np.ones(hidden, f32), wname)
        p = b.one(scope, "Pow", [x, b.const(np.array(2.0, f32))])
        m = b.one(scope, "ReduceMean", [p, b.const(np.array([-1], np.int64))], keepdims=1)
        a = b.one(scope, "Add", [m, b.const(np.array(1e-6, f32))])
        s = b.one(scope, "Sqrt", [a])
        d = b.one(scope, "Div", [x, s])
        return b.one(scope, "Mul", [d, w])

    def heads_first(scope: str, x: str) -> str:
        r = b.one(scope, "Reshape", [x, b.const(np.array([0, 0, heads, hd], np.int64))])
        return b.one(scope, "Transpose", [r], perm=[0, 2, 1, 3])

    def rotary(scope: str, x: str, cos: str, sin: str) -> str:
        half = hd // 2
        x1 = b.one(
            scope,
            "Slice",
            [
                x,
                b.const(np.array([0], np.int64)),
                b.const(np.array([half], np.int64)),
                b.const(np.array([-1], np.int64)),
            ],
        )
        x2 = b.one(
            scope,
            "Slice",
            [
                x,
                b.const(np.array([half], np.int64)),
                b.const(np.array([hd], np.int64)),
                b.const(np.array([-1], np.int64)),
            ],
        )
        rot = b.one(scope, "Concat", [b.one(scope, "Neg", [x2]), x1], axis=-1)
        return b.one(scope, "Add", [b.one(scope, "Mul", [x, cos]), b.one(scope, "Mul", [rot, sin])])

    def layer(i: int, x: str, cos: str, sin: str) -> str:
        s = f"/model/layers.{i}"
        p = f"model.layers.{i}"
        h = rms_norm(f"{s}/input_layernorm", x, f"{p}.input_layernorm.weight")
        a = f"{s}/self_attn"
        q = heads_first(a, linear(f"{a}/q_proj", h, hidden, hidden, f"{p}.self_attn.q_proj.weight"))
        k = heads_first(a, linear(f"{a}/k_proj", h, hidden, hidden, f"{p}.self_attn.k_proj.weight"))
        v = heads_first(a, linear(f"{a}/v_proj", h, hidden, hidden, f"{p}.self_attn.v_proj.weight"))
        q = rotary(f"{a}/rotary_emb", q, cos, sin)
        k = rotary(f"{a}/rotary_emb", k, cos, sin)
        kt = b.one(a, "Transpose", [k], perm=[0, 1, 3, 2])
        sc = b.one(a, "MatMul", [qdq(a, q), qdq(a, kt)])
        sc = b.one(a, "Div", [sc, b.const(np.array(np.sqrt(hd), f32))])
        sc = b.one(a, "Add", [sc, "attention_mask"])
        pr = b.one(a, "Softmax", [sc], axis=-1)
        ctx = b.one(a, "MatMul", [qdq(a, pr), qdq(a, v)])
        ctx = b.one(a, "Transpose", [ctx], perm=[0, 2, 1, 3])
        ctx = b.one(a, "Reshape", [ctx, b.const(np.array([0, 0, hidden], np.int64))])
        o = linear(f"{a}/o_proj", ctx, hidden, hidden, f"{p}.self_attn.o_proj.weight")
        x = b.one(s, "Add", [x, o])
        h = rms_norm(f"{s}/post_attention_layernorm", x, f"{p}.post_attention_layernorm.weight")
        m = f"{s}/mlp"
        g = linear(f"{m}/gate_proj", h, hidden, 2 * hidden, f"{p}.mlp.gate_proj.weight")
        g = b.one(f"{m}/act_fn", "Mul", [g, b.one(f"{m}/act_fn", "Sigmoid", [g])])
        u = linear(f"{m}/up_proj", h, hidden, 2 * hidden, f"{p}.mlp.up_proj.weight")
        d = linear(f"{m}/down_proj", b.one(m, "Mul", [g, u]), 2 * hidden, hidden, f"{p}.mlp.down_proj.weight")
        return b.one(s, "Add", [x, d])

    vocab, max_len = 64, 128
    emb = b.const(rng.standard_normal((vocab, hidden), dtype=f32), "model.embed_tokens.weight")
    x = b.one("/model/embed_tokens", "Gather", [emb, "input_ids"])
    pos = b.one(
        "/model/rotary_emb",
        "Range",
        [
            b.const(np.array(0, np.int64)),
            b.one(
                "/model/rotary_emb",
                "Gather",
                [b.one("/model/rotary_emb", "Shape", ["input_ids"]), b.const(np.array(1, np.int64))],
            ),
            b.const(np.array(1, np.int64)),
        ],
    )
    ang = np.outer(np.arange(max_len), 1.0 / 10000 ** (np.arange(hd) / hd)).astype(f32)
    cos = b.one("/model/rotary_emb", "Gather", [b.const(np.cos(ang), "model.rotary_emb.cos_cached"), pos])
    sin = b.one("/model/rotary_emb", "Gather", [b.const(np.sin(ang), "model.rotary_emb.sin_cached"), pos])
    start = len(b.nodes)
    x = layer(0, x, cos, sin)
    per_layer = len(b.nodes) - start
    for i in range(1, max(1, (n_nodes - start - 4) // per_layer)):
        x = layer(i, x, cos, sin)
    x = rms_norm("/model/norm", x, "model.norm.weight")
    logits = linear("/lm_head", x, hidden, vocab, "lm_head.weight")
    graph = helper.make_graph(
        b.nodes,
        "scoped_transformer",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", 1, "seq", "seq"]),
        ],
        [helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["batch", "seq", vocab])],
        b.inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="bench")


# ------------------------------------------------------------------------------------- static server
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 - class attribute of the stdlib handler
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
    }

    def log_message(self, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def translate_path(self, path: str) -> str:
        # /static/... comes from the package, everything else from the bench dir
        rel = urllib.parse.unquote(urllib.parse.urlsplit(path).path).lstrip("/")
        base = STATIC if rel.startswith("static/") else Path(self.directory)
        rel = rel.removeprefix("static/") if base is STATIC else rel
        target = (base / rel).resolve()
        if base.resolve() not in target.parents and target != base.resolve():
            return str(base / "__nope__")
        return str(target)


@contextlib.contextmanager
def serve_dir(root: Path) -> Iterator[str]:
    """Serve `root` (and the package's static/ under /static/) on 127.0.0.1; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# The anywidget host the widget sees: a model with get/set/on/off/save_changes/send, the state the
# Jupyter comm would deliver (binary buffers back in place as DataViews), and an element in the DOM.
SHIM_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>graphview bench</title>
<link rel="stylesheet" href="/static/graphview.css">
<style>html, body { margin: 0; } #host { width: 1200px; height: 800px; }</style>
</head><body><div id="host"></div><script type="module" src="/shim.js"></script></body></html>
"""

SHIM_JS = """
const name = new URLSearchParams(location.search).get("case");
const bench = (window.__bench = { errors: [] });
window.addEventListener("error", (e) => bench.errors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => bench.errors.push(String(e.reason)));
const mod = await import("/static/graphview.js");
bench.imported = performance.now();
const meta = await (await fetch(`/${name}/state.json`)).json();
const bufs = await Promise.all(meta.buffer_paths.map((_, i) => fetch(`/${name}/buf${i}`).then((r) => r.arrayBuffer())));
const state = meta.state;
meta.buffer_paths.forEach((path, i) => {
  let obj = state;
  for (const key of path.slice(0, -1)) obj = obj[key];
  obj[path[path.length - 1]] = new DataView(bufs[i]);
});
bench.fetched = performance.now();

class Model {
  constructor(s) { this.s = s; this.h = new Map(); }
  get(k) { return this.s[k]; }
  set(k, v) { const old = this.s[k]; this.s[k] = v; if (old !== v) this.emit(`change:${k}`, v); }
  on(ev, cb) { if (!this.h.has(ev)) this.h.set(ev, new Set()); this.h.get(ev).add(cb); }
  off(ev, cb) { if (!ev) this.h.clear(); else if (!cb) this.h.delete(ev); else this.h.get(ev)?.delete(cb); }
  emit(ev, ...args) { for (const cb of this.h.get(ev) ?? []) cb(...args); }
  save_changes() { bench.saved = (bench.saved ?? 0) + 1; }
  send(msg) { bench.sent = (bench.sent ?? []).concat([msg]); }
}
const model = new Model(state);
let widget = mod.default ?? mod;
if (typeof widget === "function") widget = await widget();
if (widget.initialize) await widget.initialize({ model, experimental: {} });

const el = document.createElement("div");
el.style.width = "100%";
el.style.height = "100%";
const READY = ".oi-graph[data-oi-state=ready]";
const isReady = () => el.matches(READY) || el.querySelector(READY) !== null;
const afterPaint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
const ready = new Promise((resolve) => {
  const obs = new MutationObserver(() => {
    if (isReady()) { obs.disconnect(); resolve(performance.now()); }
  });
  obs.observe(el, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-oi-state"] });
});
document.getElementById("host").appendChild(el);
bench.start = performance.now();
await widget.render({ model, el, experimental: {} });
bench.ready = await ready;
await afterPaint();
bench.painted = performance.now();
bench.nodes = el.querySelectorAll("[data-node-id]").length;
bench.groups = el.querySelectorAll("[data-group-id]").length;
bench.done = true;

// Expand: time from the dblclick event to the new boxes being painted.
bench.expand = (groupId) => new Promise((resolve) => {
  const count = () => el.querySelectorAll("[data-node-id], [data-group-id]").length;
  const before = count();
  const target = [...el.querySelectorAll("[data-group-id]")].find((g) => g.getAttribute("data-group-id") === groupId);
  let t0 = null;
  window.addEventListener("dblclick", () => { t0 = performance.now(); }, { capture: true, once: true });
  const obs = new MutationObserver(async () => {
    if (t0 !== null && count() !== before && isReady()) {
      obs.disconnect();
      const changed = performance.now();
      await afterPaint();
      resolve({ t: performance.now() - t0, dom: changed - t0, before, after: count() });
    }
  });
  obs.observe(el, { subtree: true, childList: true, attributes: true });
  const r = target.getBoundingClientRect();
  const opts = { bubbles: true, cancelable: true, composed: true, detail: 2,
                 clientX: r.x + r.width / 2, clientY: r.y + r.height / 2, view: window };
  target.dispatchEvent(new MouseEvent("dblclick", opts));
});
"""

# Netron's readiness: its body leaves the 'welcome spinner' page for 'default' once the graph is laid out
# and positioned. Netron replaces window.eval, so the signal is recorded by an init script (which runs
# before Netron's code) into an attribute read from Playwright's utility world.
NETRON_INIT_JS = """
(() => {
  const done = () => {
    const b = document.body;
    return b && b.classList.contains("default") && document.querySelector("#target .node") !== null;
  };
  const obs = new MutationObserver(() => {
    if (!done()) return;
    obs.disconnect();
    const t = performance.now();
    requestAnimationFrame(() => setTimeout(() => {
      document.documentElement.setAttribute("data-bench-ready", String(t));
      document.documentElement.setAttribute("data-bench-painted", String(performance.now()));
      document.documentElement.setAttribute("data-bench-nodes", String(document.querySelectorAll("#target g.node").length));
    }, 0));
  });
  obs.observe(document, { subtree: true, attributes: true, attributeFilter: ["class"] });
})();
"""


# ------------------------------------------------------------------------------------------- runner
def _is_local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in ("127.0.0.1", "localhost")


def write_case(root: Path, name: str, model_path: Path) -> dict[str, Any]:
    """Load the model with oi.load, build the real GraphView, and write its comm state for the shim."""
    from ipywidgets.widgets.widget import _remove_buffers

    import onnx_inspect as oi
    from onnx_inspect.views.graph_payload import graph_payload
    from onnx_inspect.widgets.graphview import GraphView

    t = time.perf_counter()
    m = oi.load(model_path)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    payload = graph_payload(m)
    t_payload = time.perf_counter() - t
    payload_bytes = len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    t = time.perf_counter()
    w = GraphView(m)
    state = w.get_state()
    t_widget = time.perf_counter() - t
    skip = {"_esm", "_css", "layout", "tooltip", "tabbable", "_dom_classes"}
    state = {k: v for k, v in state.items() if k not in skip and not k.startswith(("_model_", "_view_"))}
    state, buffer_paths, buffers = _remove_buffers(state)
    out = root / name
    out.mkdir(parents=True, exist_ok=True)
    (out / "state.json").write_text(json.dumps({"state": state, "buffer_paths": buffer_paths}))
    for i, buf in enumerate(buffers):
        (out / f"buf{i}").write_bytes(bytes(buf))
    comm_bytes = (out / "state.json").stat().st_size + sum(len(bytes(b)) for b in buffers)
    w.close()
    return {
        "n_nodes": len(m.nodes),
        "load_s": t_load,
        "payload_s": t_payload,
        "payload_bytes": payload_bytes,
        "widget_s": t_widget,
        "comm_bytes": comm_bytes,
    }


class Browser:
    """Headless Debian Chromium; DNS for every host but 127.0.0.1 fails, and every request is logged."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        self.version = self.browser.version
        self.external: list[str] = []

    def page(self, cookies_for: str | None = None) -> Any:
        ctx = self.browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
        if cookies_for:  # Netron's cookie-consent dialog would otherwise wait for a click
            ctx.add_cookies([{"name": "consent", "value": str(int(time.time() * 1000)), "url": cookies_for}])
        ctx.on("request", lambda r: None if _is_local(r.url) else self.external.append(r.url))
        return ctx.new_page()

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()


def time_widget(br: Browser, base: str, case: str, expand: bool, timeout_s: float) -> dict[str, Any]:
    """One fresh page: load the shim, render the widget, optionally expand one group."""
    page = br.page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/index.html?case={case}")
        page.wait_for_function(
            "() => window.__bench && (window.__bench.done || window.__bench.errors.length > 0)",
            timeout=timeout_s * 1000,
            polling=50,
        )
        b = page.evaluate("() => { const {expand, ...rest} = window.__bench; return rest; }")
        if b.get("errors") or errors:
            raise RuntimeError(f"widget page failed: {b.get('errors') or errors}")
        res = {
            "render_ready_s": (b["ready"] - b["start"]) / 1000,
            "render_painted_s": (b["painted"] - b["start"]) / 1000,
            "nav_painted_s": b["painted"] / 1000,
            "import_s": b["imported"] / 1000,
            "nodes": b["nodes"],
            "groups": b["groups"],
        }
        if expand:
            # right after the first paint (background prefetch of layouts may still run), then after
            # 2 s idle, each on a different, never-expanded layer group
            for label, wait_ms in (("now", 0), ("idle", 2000)):
                page.wait_for_timeout(wait_ms)
                gid = page.evaluate(
                    """() => {
                      const ids = [...document.querySelectorAll('[data-group-id]')]
                        .map((g) => g.getAttribute('data-group-id'));
                      const used = window.__bench.used ?? (window.__bench.used = []);
                      const pick = ids.find((i) => /layers\\.\\d+$/.test(i) && !used.includes(i))
                        ?? ids.find((i) => !used.includes(i)) ?? null;
                      if (pick) used.push(pick);
                      return pick;
                    }"""
                )
                if gid is None:
                    raise RuntimeError("no [data-group-id] to expand in the scoped graph")
                e = page.evaluate(
                    """([gid, ms]) => Promise.race([window.__bench.expand(gid),
                         new Promise((_, rej) => setTimeout(() => rej(new Error('expand timed out')), ms))])""",
                    [gid, timeout_s * 1000],
                )
                res[f"expand_{label}"] = {
                    "group": gid,
                    "s": e["t"] / 1000,
                    "boxes": (e["before"], e["after"]),
                }
        return res
    finally:
        page.context.close()


def time_netron(br: Browser, model_path: Path, timeout_s: float) -> dict[str, Any]:
    """Serve the file with the netron package on 127.0.0.1 and time navigation -> graph painted."""
    import logging

    import netron

    logging.getLogger().addHandler(logging.NullHandler())  # keep netron's "Serving ..." line quiet
    address = netron.start(str(model_path), address=("127.0.0.1", 0), browse=False)
    url = f"http://{address[0]}:{address[1]}/"
    page = br.page(cookies_for=url)
    try:
        page.add_init_script(NETRON_INIT_JS)
        page.goto(url, wait_until="commit")
        root = page.locator("html[data-bench-painted]")
        root.wait_for(state="attached", timeout=timeout_s * 1000)
        html = page.locator("html")
        return {
            "nav_ready_s": float(html.get_attribute("data-bench-ready")) / 1000,
            "nav_painted_s": float(html.get_attribute("data-bench-painted")) / 1000,
            "nodes": int(html.get_attribute("data-bench-nodes")),
            "version": netron.__version__,
        }
    finally:
        page.context.close()
        netron.stop(address)


def _median(values: list[float]) -> float:
    return float(np.median(values))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flat-nodes", type=int, default=10_000)
    ap.add_argument("--scoped-nodes", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3, help="fresh page loads per widget figure (median)")
    ap.add_argument("--skip-netron", action="store_true")
    ap.add_argument("--timeout", type=float, default=300, help="seconds before a page load counts as hung")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = ap.parse_args(argv)

    if not (STATIC / "graphview.js").exists():
        print(f"{STATIC / 'graphview.js'} is missing: build the front end first (cd js && npm run build)")
        return 2
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium)")
        return 2

    misses: list[str] = []

    def verdict(ok: bool, what: str) -> str:
        if not ok:
            misses.append(what)
        return "ok" if ok else "MISSED"

    with tempfile.TemporaryDirectory(prefix="oi-bench-") as tmp:
        root = Path(tmp)
        flat_path, scoped_path = root / "flat.onnx", root / "scoped.onnx"
        onnx.save(flat_cnn(args.flat_nodes), flat_path)
        onnx.save(scoped_transformer(args.scoped_nodes), scoped_path)
        (root / "index.html").write_text(SHIM_HTML)
        (root / "shim.js").write_text(SHIM_JS)
        flat = write_case(root, "flat", flat_path)
        scoped = write_case(root, "scoped", scoped_path)

        br = Browser()
        try:
            with serve_dir(root) as base:
                time_widget(br, base, "flat", False, args.timeout)  # warm the disk cache and the JIT
                fr = [time_widget(br, base, "flat", False, args.timeout) for _ in range(args.repeat)]
                sr = [time_widget(br, base, "scoped", True, args.timeout) for _ in range(args.repeat)]
            nr = None if args.skip_netron else time_netron(br, flat_path, args.timeout)
        finally:
            br.close()

    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"graph view benchmark - Chromium {br.version}, {os.cpu_count()} cores, load avg {load1:.1f}")
    print("  widget: standalone page, built onnx_inspect/static/graphview.js + anywidget model shim fed")
    print(f"  with GraphView(oi.load(path)).get_state(); median of {args.repeat} fresh page loads")
    print()
    mb = scoped["payload_bytes"] / 1e6
    print(
        f"payload  scoped {scoped['n_nodes']:,} nodes: build {scoped['payload_s']:.3f} s "
        f"[goal <= {GOAL_PAYLOAD_S} s: {verdict(scoped['payload_s'] <= GOAL_PAYLOAD_S, 'payload time')}], "
        f"JSON {mb:.2f} MB [goal <= {GOAL_PAYLOAD_MB} MB: {verdict(mb <= GOAL_PAYLOAD_MB, 'payload size')}]"
    )
    print(
        f"         (oi.load {scoped['load_s']:.2f} s; GraphView() + get_state {scoped['widget_s']:.2f} s; "
        f"comm state {scoped['comm_bytes'] / 1e6:.2f} MB; flat {flat['n_nodes']:,} nodes: payload "
        f"{flat['payload_s']:.3f} s, {flat['payload_bytes'] / 1e6:.2f} MB)"
    )
    rows = [("flat", flat, fr), ("scoped", scoped, sr)]
    for label, info, runs in rows:
        ready = _median([r["render_painted_s"] for r in runs])
        nav = _median([r["nav_painted_s"] for r in runs])
        print(
            f"ready    {label:6} {info['n_nodes']:>6,} nodes: element -> ready+painted {ready:.3f} s "
            f"[goal <= {GOAL_READY_S} s: {verdict(ready <= GOAL_READY_S, f'{label} ready')}, "
            f"{ready / GOAL_READY_S:.2f}x of budget]; navigation -> painted {nav:.3f} s "
            f"(module import {runs[0]['import_s']:.3f} s); boxes shown: {runs[0]['nodes']} nodes, "
            f"{runs[0]['groups']} groups"
        )
    for label, what in (("now", "right after first paint"), ("idle", "after 2 s idle")):
        ex = _median([r[f"expand_{label}"]["s"] for r in sr])
        first = sr[0][f"expand_{label}"]
        print(
            f"expand   scoped, {what}: group {first['group']!r} dblclick -> painted {ex:.3f} s "
            f"[goal <= {GOAL_EXPAND_S} s: {verdict(ex <= GOAL_EXPAND_S, f'expand {label}')}]; "
            f"boxes {first['boxes'][0]} -> {first['boxes'][1]}"
        )
    if nr is not None:
        ours = _median([r["nav_painted_s"] for r in fr])
        ratio = nr["nav_painted_s"] / ours
        print(
            f"netron   flat {flat['n_nodes']:,} nodes (netron {nr['version']}): navigation -> painted "
            f"{nr['nav_painted_s']:.2f} s ({nr['nodes']} node boxes)"
        )
        print(
            f"ratio    Netron / GraphView, navigation -> painted, same file, same browser: {ratio:.1f}x "
            f"[goal >= {GOAL_NETRON_RATIO}x: {verdict(ratio >= GOAL_NETRON_RATIO, 'netron ratio')}]"
        )
    ours_ext = [u for u in br.external if "analytics.google" not in u and "ipinfo" not in u]
    print(
        f"network  requests that tried to leave 127.0.0.1: {len(br.external)} "
        f"(all blocked; {len(br.external) - len(ours_ext)} from Netron's analytics/consent)"
    )
    if ours_ext:
        misses.append("external requests")
        print("         UNEXPECTED:", *sorted(set(ours_ext))[:10], sep="\n           ")
    print()
    print("goals missed: " + (", ".join(misses) if misses else "none"))
    return 1 if (misses and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
