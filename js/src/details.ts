// The details panel of one node and the card of one weight, drawn from the records of records.ts.
// The same code runs in the Inspector (through the DetailsView widget, details-widget.ts) and in the
// HTML report (report.ts), so a node looks the same in both. Model text only ever goes through
// textContent and attribute setters: no innerHTML anywhere.

import type { AttrRow, Cell, Hist, Hooks, IoRow, NodeRecord, Section, Stats, WeightRecord } from "./records";

export type { Hooks, NodeRecord, WeightRecord } from "./records";

/** An element with a class and text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls = "",
  text?: string | number | null,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** A number as short text: thousands separators for integers, 4 significant digits otherwise. */
export function fmt(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString("en-US");
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
    return String(Number(v.toPrecision(4)));
  }
  return String(v);
}

/** Bytes in decimal units (kB = 1000 B). */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "?";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  let x = n;
  while (Math.abs(x) >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return i === 0 ? `${x} B` : `${x.toFixed(1)} ${units[i]}`;
}

/** A fraction (0..1) as a percentage. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? "" : `${(100 * v).toFixed(1)}%`;
}

/** A cell with its unit: "B" bytes, "%" a fraction shown as percent, else the unit after the number. */
export function fmtUnit(v: Cell, unit: string | null | undefined): string {
  if (typeof v !== "number") return v === null || v === undefined ? "" : String(v);
  if (unit === "B") return fmtBytes(v);
  if (unit === "%") return pct(v);
  return unit ? `${fmt(v)} ${unit}` : fmt(v);
}

type TableCell = string | number | null | undefined | Node | { text: string; cls?: string };
interface TableRow {
  cells: TableCell[];
  cls?: string;
  th?: boolean; // the first cell is a row heading
}

/** A table; a cell is text, a number (right-aligned), a DOM node, or {text, cls}. */
export function table(head: string[] | null, rows: (TableCell[] | TableRow)[], cls: string): HTMLTableElement {
  const t = h("table", `oi-table ${cls}`);
  if (head) {
    const tr = h("tr");
    for (const c of head) tr.appendChild(h("th", "", c));
    t.appendChild(h("thead")).appendChild(tr);
  }
  const body = t.appendChild(h("tbody"));
  for (const row of rows) {
    const r: TableRow = Array.isArray(row) ? { cells: row } : row;
    const tr = body.appendChild(h("tr", r.cls ?? ""));
    r.cells.forEach((c, k) => {
      const td = h(k === 0 && r.th ? "th" : "td");
      if (c instanceof Node) td.appendChild(c);
      else if (c !== null && typeof c === "object") {
        td.textContent = c.text;
        if (c.cls) td.className = c.cls;
      } else if (typeof c === "number") {
        td.textContent = fmt(c);
        td.className = "oi-num";
      } else td.textContent = c === null || c === undefined ? "" : String(c);
      tr.appendChild(td);
    });
  }
  return t;
}

/** A key/value table of the pairs with a value. */
export function kv(pairs: [string, TableCell][], cls = "oi-kv"): HTMLTableElement {
  const shown = pairs.filter((p) => p[1] !== null && p[1] !== undefined && p[1] !== "");
  return table(
    null,
    shown.map((p) => ({ th: true, cells: [p[0], typeof p[1] === "number" ? { text: fmt(p[1]) } : p[1]] })),
    cls,
  );
}

function button(text: string, cls: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = h("button", cls, text);
  b.type = "button";
  b.title = title;
  b.addEventListener("click", onClick);
  return b;
}

/** A button that selects a node (``data-node-id`` carries the id). */
export function nodeLink(id: string, hooks: Hooks): HTMLButtonElement {
  const b = button(id, "oi-link oi-mono", "select this node", () => hooks.select(id));
  b.setAttribute("data-node-id", id);
  return b;
}

function graphLink(path: string, hooks: Hooks): HTMLButtonElement {
  const b = button(path, "oi-link oi-mono oi-graph-link", "show this body in the graph", () => hooks.showGraph(path));
  b.setAttribute("data-graph", path);
  return b;
}

function joined(items: Node[], more = 0): HTMLSpanElement {
  const span = h("span");
  items.forEach((n, k) => {
    if (k) span.appendChild(document.createTextNode(", "));
    span.appendChild(n);
  });
  if (more > 0) span.appendChild(h("span", "oi-note", ` (+${fmt(more)} more)`));
  return span;
}

function header(rec: NodeRecord, hooks: Hooks, more: number): HTMLElement[] {
  const title = h("h4", "oi-node-title");
  const op = title.appendChild(h("span", "oi-op"));
  if (rec.doc_url) {
    const a = op.appendChild(h("a", "", rec.op));
    a.href = rec.doc_url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  } else op.textContent = rec.op;
  if (more > 0) title.appendChild(h("span", "oi-note", ` (+${more} more selected)`));
  const out: HTMLElement[] = [title];
  out.push(
    kv(
      [
        ["id", { text: rec.id, cls: "oi-mono" }],
        ["name", rec.name || "(unnamed)"],
        ["domain", `${rec.domain}${rec.opset ? ` (opset ${rec.opset})` : ""}`],
        ["graph", rec.graph ? { text: rec.graph, cls: "oi-mono" } : ""],
        ["scope", rec.scope || "(top)"],
        ["profiler name", rec.ort && rec.ort !== rec.id ? { text: rec.ort, cls: "oi-mono" } : ""],
        ["bodies", rec.bodies.length ? joined(rec.bodies.map((p) => graphLink(p, hooks))) : ""],
      ],
      "oi-kv oi-facts",
    ),
  );
  if (rec.doc) out.push(h("div", "oi-doc", rec.doc));
  if (rec.meta.length) {
    out.push(table(["metadata", "value"], rec.meta.map((p) => ({ th: true, cells: [p.key, p.value] })), "oi-meta"));
  }
  return out;
}

/** A tensor-valued attribute (a Constant's value) refers to a weight; the others to a graph path. */
const TENSOR_TYPES = new Set(["tensor", "sparse_tensor"]);

function weightLink(tid: string, hooks: Hooks): HTMLButtonElement {
  const b = button(tid, "oi-link oi-mono oi-weight-link", "show this weight", () => hooks.showWeight(tid));
  b.setAttribute("data-tensor-id", tid);
  return b;
}

function attrRow(a: AttrRow, hooks: Hooks): TableRow {
  const ref = a.ref;
  const value: TableCell = ref
    ? (() => {
        const span = h("span", "oi-mono", a.value);
        span.appendChild(document.createTextNode(" "));
        span.appendChild(TENSOR_TYPES.has(a.type) ? weightLink(ref, hooks) : graphLink(ref, hooks));
        return span;
      })()
    : { text: a.source === "default" ? `${a.value} (default)` : a.value, cls: "oi-mono" };
  return { th: true, cls: a.source === "set" ? "" : `oi-default oi-${a.source}`, cells: [a.name, a.type, value] };
}

function ioTable(rows: IoRow[], which: "inputs" | "outputs", hooks: Hooks): HTMLTableElement {
  const last = which === "inputs" ? "producer" : "consumers";
  return table(
    ["slot", "name", "dtype", "shape", "kind", last],
    rows.map((r) => {
      const shape = r.shape + (r.shape && r.shape_source && r.shape_source !== "declared" ? ` (${r.shape_source})` : "");
      const links =
        which === "inputs"
          ? r.producer
            ? nodeLink(r.producer, hooks)
            : ""
          : joined(
              r.consumers.map((c) => nodeLink(c, hooks)),
              r.more_consumers,
            );
      const tr: TableRow = {
        cls: r.kind === "omitted" ? "oi-default" : "",
        cells: [r.slot, { text: r.name || "(omitted)", cls: "oi-mono" }, r.dtype, { text: shape, cls: "oi-wrap" }, r.kind, links],
      };
      return tr;
    }),
    `oi-io oi-${which}`,
  );
}

/** One fact section (costs, quantization, accuracy, profile...) as a table. */
export function renderSection(s: Section): HTMLElement {
  const box = h("div", `oi-section oi-section-${s.id}`);
  box.setAttribute("data-section-id", s.id);
  box.appendChild(h("h5", "", s.title));
  const units = s.units ?? [];
  const cells = (row: Cell[]) =>
    row.map((c, k): TableCell => (typeof c === "number" ? { text: fmtUnit(c, units[k]), cls: "oi-num" } : c));
  if (s.columns.length === 2) {
    box.appendChild(table(null, s.rows.map((r) => ({ th: true, cells: cells(r) })), "oi-kv oi-section-table"));
  } else {
    box.appendChild(table(s.columns, s.rows.map(cells), "oi-section-table"));
  }
  if (s.note) box.appendChild(h("div", "oi-note", s.note));
  return box;
}

/**
 * Render a node's details into ``el`` (its children are replaced): header, attributes, inputs, outputs,
 * weight links and the fact sections. ``el`` gets ``data-node-id``; node links are buttons with
 * ``data-node-id`` that call ``hooks.select``.
 */
export function renderNode(el: HTMLElement, rec: NodeRecord, hooks: Hooks, opts: { more?: number } = {}): void {
  el.replaceChildren();
  el.classList.add("oi-node-panel");
  el.setAttribute("data-node-id", rec.id);
  el.append(...header(rec, hooks, opts.more ?? 0));
  el.appendChild(h("h5", "", `Attributes (${rec.attrs.filter((a) => a.source === "set").length} set)`));
  if (rec.attrs.length) el.appendChild(table(["attribute", "type", "value"], rec.attrs.map((a) => attrRow(a, hooks)), "oi-attrs"));
  else el.appendChild(h("p", "oi-note", "no attributes"));
  el.appendChild(h("h5", "", `Inputs (${rec.inputs.length})`));
  el.appendChild(ioTable(rec.inputs, "inputs", hooks));
  el.appendChild(h("h5", "", `Outputs (${rec.outputs.length})`));
  el.appendChild(ioTable(rec.outputs, "outputs", hooks));
  if (rec.weights.length) {
    el.appendChild(h("h5", "", `Weights (${rec.weights.length})`));
    el.appendChild(h("div", "oi-weight-links")).appendChild(joined(rec.weights.map((t) => weightLink(t, hooks))));
  }
  for (const s of rec.sections) el.appendChild(renderSection(s));
}

// -- tensors: stats, first values, histogram ------------------------------------------------------------

function numCell(v: unknown): TableCell {
  return typeof v === "string" ? { text: v, cls: "oi-num" } : (v as number | null);
}

/** The stats table by dtype family (bool: counts; string: distinct + most frequent; numbers: min..zeros). */
export function statsTable(s: Stats, hist: Hist | null | undefined): HTMLElement {
  if (s.family === "bool" && hist?.labels) return table(hist.labels, [hist.counts], "oi-stats");
  if (s.family === "string") {
    const t = table(["values", "distinct"], [[s.size, s.unique]], "oi-stats");
    if (!hist?.labels) return t;
    const wrap = h("div");
    wrap.append(t, table(["value", "count"], hist.labels.map((l, k) => [{ text: l, cls: "oi-mono" }, hist.counts[k]]), "oi-top"));
    return wrap;
  }
  if (s.family === "other" || !s.size) return h("span");
  return table(
    ["min", "max", "mean", "std", "NaN", "Inf", "zeros"],
    [[numCell(s.min), numCell(s.max), s.mean, s.std, s.nan, s.inf, { text: pct(s.zero_fraction), cls: "oi-num" }]],
    "oi-stats",
  );
}

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/**
 * The histogram as an SVG bar chart drawn from the bin counts (never from values). Drawn here rather
 * than with plotly so that the widget and the report, which may not carry plotly, show the same picture.
 */
export function histogramSvg(hist: Hist): SVGSVGElement {
  const W = 320;
  const H = 120;
  const left = 34;
  const bottom = 18;
  const plotW = W - left - 4;
  const plotH = H - bottom - 6;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "oi-hist-svg", role: "img" });
  const n = hist.counts.length;
  const top = Math.max(1, ...hist.counts);
  const labels: string[] = [];
  if (hist.labels) labels.push(...hist.labels);
  else {
    const e = hist.edges ?? [];
    for (let i = 0; i < n; i++) labels.push(`[${fmt(e[i])}, ${fmt(e[i + 1])})`);
  }
  const bw = plotW / Math.max(n, 1);
  const gap = hist.labels ? Math.min(4, bw * 0.2) : 0;
  hist.counts.forEach((c, i) => {
    const bh = (c / top) * plotH;
    const r = svg("rect", {
      class: "oi-bar",
      x: left + i * bw + gap / 2,
      y: 6 + plotH - bh,
      width: Math.max(bw - gap, 0.5),
      height: bh,
    });
    r.appendChild(svg("title", {})).textContent = `${labels[i]}: ${fmt(c)}`;
    s.appendChild(r);
  });
  s.appendChild(svg("line", { class: "oi-axis", x1: left, x2: left + plotW, y1: 6 + plotH, y2: 6 + plotH }));
  const text = (x: number, y: number, anchor: string, t: string) => {
    const e = svg("text", { x, y, "text-anchor": anchor, class: "oi-hist-text" });
    e.textContent = t;
    s.appendChild(e);
  };
  text(left - 3, 12, "end", fmt(top));
  text(left - 3, 6 + plotH, "end", "0");
  if (hist.labels) {
    if (n <= 4) hist.labels.forEach((l, i) => text(left + (i + 0.5) * bw, H - 4, "middle", l.length > 16 ? `${l.slice(0, 15)}…` : l));
  } else {
    const e = hist.edges ?? [];
    text(left, H - 4, "start", fmt(e[0]));
    text(left + plotW, H - 4, "end", fmt(e[e.length - 1]));
  }
  const what = `${hist.magnitude ? "|z|" : "values"}${hist.sampled ? ", from a sample" : ""}`;
  text(left + plotW / 2, H - 4, "middle", what);
  return s;
}

function histBlock(hist: Hist | null | undefined): HTMLElement {
  const box = h("div", "oi-hist");
  if (!hist || hist.counts.length === 0) box.appendChild(h("span", "oi-note", "no finite values to plot"));
  else box.appendChild(histogramSvg(hist));
  return box;
}

/** Stats, note, first values and histogram of a summarised tensor (a weight, or a value from a run). */
export function renderTensor(
  box: HTMLElement,
  title: string,
  facts: string,
  rec: { stats?: Stats; hist?: Hist | null; head?: unknown[]; error?: string },
): HTMLElement {
  box.classList.add("oi-weight");
  box.appendChild(h("div", "oi-mono oi-tensor-title", title));
  if (facts) box.appendChild(h("div", "oi-note", facts));
  if (rec.error) {
    box.appendChild(h("div", "oi-error", rec.error));
    return box;
  }
  if (rec.stats) {
    box.appendChild(statsTable(rec.stats, rec.hist));
    if (rec.stats.note) box.appendChild(h("div", "oi-note oi-stats-note", rec.stats.note));
    if (rec.head?.length) box.appendChild(h("div", "oi-note oi-mono oi-head", `first values: ${rec.head.map(fmt).join(", ")}`));
    box.appendChild(histBlock(rec.hist));
  }
  return box;
}

/** Render a weight's card into ``el`` (appended): name, dtype/shape/bytes/where, stats and histogram. */
export function renderWeight(el: HTMLElement, rec: WeightRecord): HTMLElement {
  const box = h("div");
  box.setAttribute("data-tensor-id", rec.id);
  const facts = `${rec.dtype || "?"}[${rec.shape}], ${fmtBytes(rec.nbytes)}, ${rec.where}`;
  renderTensor(box, rec.name, facts, rec);
  el.appendChild(box);
  return box;
}
