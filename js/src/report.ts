// The HTML report page (onnx_inspect/reporting.py writes the data; this bundle draws it). Unpacks the
// `oi-data` JSON (deflate-raw + base64, the browser's own DecompressionStream), drives the graph view
// through a small stand-in for the anywidget model, and shows node details and weights with
// details.ts — the renderer the Inspector uses. DOM only through textContent and attribute setters.

import {
  type Hooks,
  fmt,
  fmtBytes,
  h,
  histogramSvg,
  kv,
  nodeLink,
  pct,
  renderNode,
  renderSection,
  renderTensor,
  renderWeight,
  table,
} from "./details";
import type { Overlay } from "./colors";
import type { RawPayload } from "./payload";
import graphWidget, { type GraphViewTraits, type WidgetModel } from "./index";
import type { AttrRow, Hist, IoRow, NodeRecord, Section, Stats, WeightRecord } from "./records";

export { renderNode, renderWeight } from "./details";

const ENCODING = "deflate-raw+base64";

interface Packed {
  encoding: string;
  data: string;
}

/** The bytes of a packed script element (see reporting.py's pack_data). */
export async function unpack(packed: Packed): Promise<Uint8Array<ArrayBuffer>> {
  if (packed.encoding !== ENCODING) throw new Error(`unknown report data encoding ${packed.encoding}`);
  if (typeof DecompressionStream === "undefined") {
    throw new Error("this browser has no DecompressionStream; open the report in a current Chrome, Firefox, Safari or Edge");
  }
  const bin = atob(packed.data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function scriptJson(id: string): unknown {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent ?? "null") : null;
}

// -- records: the report packs them with defaults left out (RECORD-encoding: views/records.py pack_*) -------

type Raw = Record<string, unknown>;
const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const str = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

const NODE = {
  domain: "ai.onnx", opset: null, graph: "", scope: "", ort: null, doc: "", doc_url: null,
  meta: [], bodies: [], attrs: [], inputs: [], outputs: [], weights: [], sections: [],
};
const IO = {
  slot: "", name: "", dtype: "", shape: "", shape_source: "", kind: "intermediate", producer: null,
  consumers: [], more_consumers: 0,
};
const ATTR = { type: "", value: "", source: "set", ref: null };
const WEIGHT = { graph: "", dtype: "", shape: "", nbytes: null, kind: "initializer", where: "initializer", external: false };
const STATS = {
  basis: "", size: 0, summarised: 0, finite: 0, nan: 0, inf: 0, min: null, max: null, mean: null, std: null,
  zero_fraction: null, unique: null, sampled: false, note: "",
};

/** The NodeRecord of a packed node (views/records.py expand_node_record). */
export function nodeRecord(id: string, p: Raw): NodeRecord {
  const io = (r: Raw): IoRow => ({ ...IO, ...r, tensor: "tensor" in r ? (r.tensor as string | null) : str(r.name) || null }) as IoRow;
  return {
    ...NODE,
    id,
    name: id, // left out when equal to the id (unnamed nodes carry name: "")
    ...p,
    inputs: arr<Raw>(p.inputs).map(io),
    outputs: arr<Raw>(p.outputs).map(io),
    attrs: arr<Raw>(p.attrs).map((a) => ({ ...ATTR, ...a }) as AttrRow),
  } as unknown as NodeRecord;
}

/** The WeightRecord of a packed weight (views/records.py expand_weight_record). */
export function weightRecord(id: string, p: Raw): WeightRecord {
  const w = { ...WEIGHT, id, source: id, name: id, ...p } as WeightRecord;
  if (p.stats) w.stats = { ...STATS, ...(p.stats as Stats) };
  if (p.hist) {
    const hist = { sampled: false, magnitude: false, ...(p.hist as Raw) } as Hist & { range?: [number, number]; digits?: number };
    if (hist.range) {
      // equally spaced edges: recomputed exactly (the same doubles as Python)
      const [lo, hi] = hist.range;
      const n = hist.counts.length;
      hist.edges = Array.from({ length: n + 1 }, (_, k) => Number((lo + ((hi - lo) * k) / n).toPrecision(hist.digits)));
      delete hist.range;
      delete hist.digits;
    }
    w.hist = hist;
  }
  return w;
}

// -- the page ------------------------------------------------------------------------------------------

/** The report's side panel for one node: ``aside`` gets ``data-node-id`` and the node panel of details.ts. */
export function renderNodePanel(aside: HTMLElement, rec: NodeRecord, hooks: Hooks, more = 0): HTMLElement {
  aside.setAttribute("data-node-id", rec.id);
  const panel = aside.appendChild(h("div"));
  renderNode(panel, rec, hooks, { more });
  return panel;
}

interface RunTensor {
  name: string;
  tid: string | null;
  producer: string | null;
  stats: Stats & { dtype: string; shape: number[] };
  hist: Hist | null;
  head?: unknown[];
}

interface ReportData {
  title: string;
  generator: string;
  created: string;
  summary: Raw & { n_nodes_total: number; n_params: number | null };
  payload: RawPayload;
  nodes: Record<string, Raw>;
  weights: Record<string, Raw>;
  weights_read: boolean;
  profile: (Raw & { nodes: Record<string, Raw>; summary: Raw; warnings: string[]; figures: { id: string; fig: Raw }[]; unmatched_nodes: number }) | null;
  overlays: Record<string, Overlay & { menu?: string }>;
  overlay: string;
  runs: { label: string; tensors: RunTensor[] }[];
  selected: string[];
  analyses?: Analysis[];
}

/** An extra analysis (reporting.py analyses_record): titled tables (record Sections) and plotly figures. */
interface Analysis {
  id: string;
  title: string;
  note: string;
  tables: Section[];
  figures: Raw[];
}

/** An event handler of the anywidget model (its arguments depend on the event). */
type Handler = (...args: any[]) => void;

/** A stand-in for the graph view's anywidget model: the report page has no widget manager. */
function makeModel(state: GraphViewTraits): WidgetModel {
  const listeners = new Map<string, Handler[]>();
  return {
    get: (k) => state[k],
    set(k, v) {
      const old = state[k];
      state[k] = v;
      if (old !== v) for (const cb of [...(listeners.get(`change:${k}`) ?? [])]) cb();
    },
    on(ev: string, cb: Handler) {
      if (!listeners.has(ev)) listeners.set(ev, []);
      listeners.get(ev)?.push(cb);
    },
    off(ev, cb) {
      if (ev == null) listeners.clear();
      else {
        const l = listeners.get(ev);
        if (l && cb) l.splice(l.indexOf(cb) >>> 0, 1);
        else listeners.delete(ev);
      }
    },
    save_changes() {},
    send() {},
    widget_manager: { get_model: () => Promise.reject(new Error("no widget manager on a report page")) },
  };
}

declare global {
  interface Window {
    Plotly?: { newPlot(el: HTMLElement, data: unknown, layout: unknown, config: unknown): unknown };
  }
}

/** plotly.js, packed in the `oi-plotly` script like the data, started from a blob: URL (CSP allows it). */
async function loadPlotly(): Promise<void> {
  const packed = scriptJson("oi-plotly") as Packed | null;
  if (!packed || window.Plotly) return;
  const url = URL.createObjectURL(new Blob([await unpack(packed)], { type: "text/javascript" }));
  await new Promise<void>((resolve, reject) => {
    const s = document.createElement("script");
    s.src = url;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error("plotly.js could not start"));
    document.head.appendChild(s);
  });
}

const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => document.querySelector(sel) as T;

type Records = Pick<ReportData, "nodes" | "weights">;

/** Resolves when the graph view in `host` is drawn (ready or error), or after `limit` ms at most. */
function graphSettled(host: HTMLElement, limit = 20000): Promise<void> {
  const done = () => host.querySelector('.oi-graph[data-oi-state="ready"], .oi-graph[data-oi-state="error"]') !== null;
  return new Promise((resolve) => {
    if (done()) return resolve();
    const timer = setTimeout(finish, limit);
    const obs = new MutationObserver(() => {
      if (done()) finish();
    });
    function finish(): void {
      clearTimeout(timer);
      obs.disconnect();
      resolve();
    }
    obs.observe(host, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-oi-state"] });
  });
}

/** The `oi-records` script: every node's and weight's record (reporting.py RECORD_KEYS). */
async function readRecords(): Promise<Records> {
  const packed = scriptJson("oi-records") as Packed | null;
  if (!packed) return { nodes: {}, weights: {} };
  return JSON.parse(new TextDecoder().decode(await unpack(packed))) as Records;
}

function start(data: ReportData, root: HTMLElement, records: () => Promise<Records> = readRecords): Promise<void> {
  const overlays = data.overlays ?? {};
  const model = makeModel({
    _payload: data.payload,
    selected: data.selected ?? [],
    overlay: data.overlay && overlays[data.overlay] ? overlays[data.overlay] : {},
    height: "680px",
    _want_snapshot: false,
  });
  const select = (ids: string[]) => model.set("selected", ids);
  const firstOfGraph = new Map<string, string>();
  let recordsRead = false; // node and weight records arrive after the graph's first view (readRecords)
  const details = $(".oi-details");
  const hooks: Hooks = {
    select: (id) => select([id]),
    showGraph: (path) => {
      const first = firstOfGraph.get(path);
      if (first) select([first]);
    },
    showWeight: (tid) => details.querySelector(`.oi-weights [data-tensor-id="${CSS.escape(tid)}"]`)?.scrollIntoView({ block: "nearest" }),
  };

  // overlay switch
  const sel = $<HTMLSelectElement>(".oi-overlay-select");
  const keys = Object.keys(overlays);
  if (keys.length === 0) $(".oi-overlay-label").hidden = true;
  else {
    sel.appendChild(new Option("none", "none"));
    for (const k of keys) sel.appendChild(new Option(str(overlays[k].menu || overlays[k].label || k), k));
    sel.value = data.overlay && overlays[data.overlay] ? data.overlay : "none";
    sel.addEventListener("change", () => model.set("overlay", overlays[sel.value] ?? {}));
  }

  // node details
  const runIndex = (data.runs ?? []).map((r) => {
    const m = new Map<string, RunTensor>();
    for (const t of r.tensors) {
      m.set(t.name, t);
      if (t.tid) m.set(t.tid, t);
    }
    return m;
  });
  function profileSection(id: string): Section | null {
    if (!data.profile) return null;
    const p = data.profile.nodes[id];
    if (!p) {
      return { id: "profile", title: "Profile", columns: ["", ""], rows: [], note: "No profiled kernel time on this node (fused into another, or not run)." };
    }
    const rows: [string, string][] = [
      ["mean", `${fmt(p.mean_us)} us/run`],
      ["p50 / p90", `${fmt(p.p50_us)} / ${fmt(p.p90_us)} us`],
      ["share", pct(p.share as number | null)],
      ["calls per run", fmt(p.calls)],
      ["provider", str(p.provider)],
      ["kernel", str(p.kernel)],
      ["fused with", arr<string>(p.fused_with).join(", ")],
    ];
    return { id: "profile", title: "Profile", columns: ["", ""], rows: rows.filter((r) => r[1] !== "") };
  }
  function showDetails(): void {
    const ids = (model.get("selected") as string[] | null) ?? [];
    details.replaceChildren();
    if (ids.length === 0) {
      details.removeAttribute("data-node-id");
      details.appendChild(h("p", "oi-note", "Click a node in the graph to see its attributes, inputs, outputs and weights."));
      return;
    }
    const id = ids[0];
    const raw = data.nodes[id];
    if (!raw && !recordsRead) {
      details.appendChild(h("p", "oi-note", "Reading the node details…"));
      return;
    }
    if (!raw) {
      details.appendChild(h("p", "oi-error", `unknown node ${id}`));
      return;
    }
    const rec = nodeRecord(id, raw);
    const prof = profileSection(id);
    if (prof) rec.sections = [...rec.sections, prof];
    renderNodePanel(details, rec, hooks, ids.length - 1);
    const cards = rec.weights.filter((t) => data.weights[t]);
    if (cards.length) {
      const box = details.appendChild(h("div", "oi-weights"));
      box.appendChild(h("h5", "", "Weight values"));
      for (const tid of cards) renderWeight(box, weightRecord(tid, data.weights[tid]));
      if (!data.weights_read) box.appendChild(h("p", "oi-note", "Weight values were left out of this report (weights=False)."));
    }
    const runRows: [string, RunTensor][] = [];
    (data.runs ?? []).forEach((r, k) => {
      for (const o of rec.outputs) {
        const t = (o.tensor && runIndex[k].get(o.tensor)) || runIndex[k].get(o.name);
        if (t) runRows.push([r.label, t]);
      }
    });
    if (runRows.length) {
      const box = details.appendChild(h("div", "oi-run-values"));
      box.appendChild(h("h5", "", "Values from runs"));
      for (const [label, t] of runRows) {
        renderTensor(box.appendChild(h("div")), `${t.name} (${label})`, `${t.stats.dtype}[${t.stats.shape.join("×")}]`, t);
      }
    }
  }

  const plotConfig = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };
  function renderProfile(): void {
    const p = data.profile;
    if (!p) return;
    $("#oi-profile-section").hidden = false;
    const box = $(".oi-profile");
    const s = p.summary;
    box.appendChild(
      kv([
        ["runs", fmt(s.runs)],
        ["mean run", `${fmt(s.mean_run_us)} us`],
        ["kernel time per run", `${fmt(s.mean_kernel_us)} us`],
        ["on model nodes", pct(s.coverage as number | null)],
        ["providers", arr<string>(s.providers).join(", ")],
        ["optimization", str(s.optimization)],
        ["source", str(s.source)],
      ]),
    );
    if (p.unmatched_nodes) box.appendChild(h("p", "oi-warning", `${p.unmatched_nodes} profiled node id(s) are not nodes of this model and are left out.`));
    for (const w of p.warnings) box.appendChild(h("p", "oi-warning", w));
    for (const f of p.figures) {
      const div = box.appendChild(h("div", `oi-fig oi-fig-${f.id}`));
      if (window.Plotly) window.Plotly.newPlot(div, f.fig.data ?? [], f.fig.layout ?? {}, plotConfig);
      else div.appendChild(h("p", "oi-note", "plotly is not included in this report"));
    }
  }
  /** Cells of a table's "node" column that name a node of this model become links that select it. */
  function linkNodes(el: HTMLElement, t: Section): void {
    const col = t.columns.indexOf("node");
    if (col < 0 || t.columns.length === 2) return;
    el.querySelectorAll("tbody tr").forEach((tr) => {
      const td = tr.children[col] as HTMLElement | undefined;
      const id = td?.textContent ?? "";
      if (td && data.nodes[id]) td.replaceChildren(nodeLink(id, hooks));
    });
  }
  /** The Analyses section (costs, accuracy, quantization, optimized...), made only when there are any. */
  function renderAnalyses(): void {
    const list = data.analyses ?? [];
    if (!list.length) return;
    const sec = h("section", "oi-report-section");
    sec.id = "oi-analyses-section";
    sec.appendChild(h("h2", "", "Analyses"));
    for (const a of list) {
      const box = sec.appendChild(h("div", "oi-analysis"));
      box.setAttribute("data-analysis-id", a.id);
      box.appendChild(h("h3", "", a.title));
      if (a.note) box.appendChild(h("p", "oi-note", a.note));
      for (const t of a.tables) {
        const el = box.appendChild(renderSection(t));
        el.classList.add("oi-analysis-table");
        linkNodes(el, t);
      }
      for (const f of a.figures) {
        const div = box.appendChild(h("div", "oi-fig oi-analysis-fig"));
        if (window.Plotly) window.Plotly.newPlot(div, f.data ?? [], f.layout ?? {}, plotConfig);
        else div.appendChild(h("p", "oi-note", "plotly is not included in this report"));
      }
    }
    $("#oi-model-section").before(sec);
  }
  function renderRuns(): void {
    if (!data.runs?.length) return;
    $("#oi-runs-section").hidden = false;
    const box = $(".oi-runs");
    const head = ["tensor", "producer", "dtype", "shape", "min", "max", "mean", "std", "NaN", "Inf", "zeros", ""];
    const num = (v: unknown) => (typeof v === "string" ? { text: v, cls: "oi-num" } : (v as number | null));
    for (const r of data.runs) {
      box.appendChild(h("h3", "", r.label));
      const rows = r.tensors.map((t) => {
        const s = t.stats;
        return [
          { text: t.name, cls: "oi-mono" }, t.producer ? nodeLink(t.producer, hooks) : "", s.dtype,
          (s.shape.join("×") || "scalar") + (s.note ? ` (${s.note})` : ""),
          num(s.min), num(s.max), s.mean ?? null, s.std ?? null, s.nan ?? null, s.inf ?? null,
          { text: pct(s.zero_fraction), cls: "oi-num" }, "",
        ];
      });
      const tbl = table(head, rows, "oi-run");
      tbl.querySelectorAll("tbody tr").forEach((tr, k) => {
        const hist = r.tensors[k].hist;
        const cell = tr.lastElementChild as HTMLElement;
        if (!hist) {
          cell.appendChild(h("span", "oi-note", "no finite values"));
          return;
        }
        const btn = cell.appendChild(h("button", "oi-btn-small oi-hist-btn", "histogram"));
        btn.type = "button";
        let extra: HTMLTableRowElement | null = null;
        btn.addEventListener("click", () => {
          if (extra) {
            extra.hidden = !extra.hidden;
            return;
          }
          extra = h("tr", "oi-run-hist");
          const td = extra.appendChild(h("td"));
          td.colSpan = head.length;
          td.appendChild(h("div", "oi-hist")).appendChild(histogramSvg(hist));
          tr.after(extra);
        });
      });
      box.appendChild(tbl);
    }
  }
  function renderModel(): void {
    const s = data.summary;
    const box = $(".oi-model");
    const opsets = Object.entries((s.opsets ?? {}) as Record<string, number>);
    box.appendChild(
      kv([
        ["file", str(s.file) || "(in-memory model)"],
        ["producer", str(s.producer) || "?"],
        ["IR version", s.ir_version as number],
        ["opsets", opsets.map(([d, v]) => `${d || "ai.onnx"} ${v}`).join(", ")],
        ["graph", str(s.graph_name)],
        ["domain", str(s.domain)],
        ["model version", s.model_version ? (s.model_version as number) : ""],
        ["nodes", `${fmt(s.n_nodes)} in the main graph, ${fmt(s.n_nodes_total)} in all`],
        ["bodies / functions", s.n_subgraphs || s.n_functions ? `${s.n_subgraphs} / ${s.n_functions}` : ""],
        ["parameters", `${fmt(s.n_params)} (${fmtBytes(s.param_bytes as number | null)})`],
      ]),
    );
    if (s.doc) box.appendChild(h("div", "oi-doc", str(s.doc)));
    for (const w of arr<string>(s.warnings)) box.appendChild(h("p", "oi-warning", w));
    const meta = arr<{ key: string; value: string }>(s.metadata);
    if (meta.length) {
      box.appendChild(h("h3", "", "Metadata"));
      box.appendChild(table(["key", "value"], meta.map((p) => ({ th: true, cells: [p.key, p.value] })), "oi-meta"));
    }
    box.appendChild(h("h3", "", "Inputs and outputs"));
    type Io = { name: string; dtype: string; shape: string };
    const row = (kind: string) => (r: Io) => [kind, { text: r.name, cls: "oi-mono" }, r.dtype || "?", r.shape];
    const io = [...arr<Io>(s.inputs).map(row("input")), ...arr<Io>(s.outputs).map(row("output"))];
    box.appendChild(table(["kind", "name", "dtype", "shape"], io, "oi-model-io"));
    box.appendChild(h("h3", "", "Op types"));
    box.appendChild(table(["op type", "count"], arr<{ op: string; count: number }>(s.op_types).map((o) => [o.op, o.count]), "oi-ops"));
  }
  function renderChrome(): void {
    $(".oi-report-title").textContent = data.title;
    const s = data.summary;
    $(".oi-report-sub").textContent = `${fmt(s.n_nodes_total)} nodes · ${fmt(s.n_params)} parameters · ${data.generator} · ${data.created}`;
    const nav = $(".oi-report-nav");
    const links: [string, string, boolean][] = [
      ["#oi-graph-section", "Graph", true],
      ["#oi-profile-section", "Profile", !!data.profile],
      ["#oi-runs-section", "Runs", (data.runs ?? []).length > 0],
      ["#oi-analyses-section", "Analyses", (data.analyses ?? []).length > 0],
      ["#oi-model-section", "Model", true],
    ];
    for (const [href, text, on] of links) {
      if (!on) continue;
      const a = nav.appendChild(h("a", "", text));
      a.setAttribute("href", href);
    }
    $(".oi-report-foot").textContent = "Self-contained report: it makes no network requests.";
  }
  function bootGraph(): void {
    const host = $(".oi-report-graph");
    try {
      graphWidget.render({ model, el: host });
    } catch (err) {
      const box = host.appendChild(h("div", "oi-graph oi-error", `onnx-inspect graph view could not start: ${err}`));
      box.setAttribute("data-oi-state", "error");
    }
  }

  renderChrome();
  model.on("change:selected", showDetails);
  showDetails();
  renderModel();
  renderRuns();
  bootGraph();
  // the records are parsed once the first view is drawn, so their JSON (most of a big report) never delays it
  const recordsDone = graphSettled($(".oi-report-graph"))
    .then(records)
    .then((r) => {
      data.nodes = r.nodes;
      data.weights = r.weights;
      for (const [id, n] of Object.entries(data.nodes)) if (!firstOfGraph.has(str(n.graph))) firstOfGraph.set(str(n.graph), id);
    })
    .catch((err) => {
      root.prepend(h("p", "oi-error", `This report's node details could not be read: ${err instanceof Error ? err.message : err}`));
    })
    .then(() => {
      recordsRead = true;
      showDetails();
    });
  const figures = !!data.profile || (data.analyses ?? []).some((a) => a.figures.length > 0);
  const plotly = figures ? loadPlotly() : Promise.resolve();
  return Promise.all([plotly, recordsDone])
    .catch((err) => {
      root.prepend(h("p", "oi-warning", `plotly.js could not start: ${err instanceof Error ? err.message : err}`));
    })
    .then(() => {
      renderProfile();
      renderAnalyses();
    });
}

/** Read the page's data and draw the report; sets data-oi-report to "ready" (or "error"). */
export async function main(): Promise<void> {
  const root = $(".oi-report");
  let data: ReportData;
  try {
    data = JSON.parse(new TextDecoder().decode(await unpack(scriptJson("oi-data") as Packed))) as ReportData;
    data.nodes ??= {};
    data.weights ??= {};
  } catch (err) {
    root.prepend(h("p", "oi-error", `This report's data could not be read: ${err instanceof Error ? err.message : err}`));
    root.setAttribute("data-oi-report", "error");
    return;
  }
  await start(data, root);
  root.setAttribute("data-oi-report", "ready");
}
