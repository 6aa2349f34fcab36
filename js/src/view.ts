// The graph view: SVG rendering and interaction (pan, zoom, fit, select, expand/collapse groups,
// open bodies, search, tooltips, overlays). Model text only ever reaches the DOM through
// textContent and setAttribute.

import { type BoxContent, boxContent, dataInput, opCategory } from "./boxes";
import {
  type Overlay,
  aggregate,
  categoricalScale,
  formatNumber,
  isNumeric,
  numericScale,
  textColorFor,
  viridisGradient,
} from "./colors";
import { type Tree, buildTree, parentOfBox, portIn, portOut } from "./groups";
import { LayoutEngine, URGENT, VISIBLE, warmLayoutWorkers } from "./engine";
import type { Priority } from "./schedule";
import { type GraphData, IO_INPUT, IO_OUTPUT, KIND_INITIALIZER, nodeInputs, nodeOutputs } from "./payload";
import { type Placement, type Rect, fitRegion, place } from "./place";
import { buildSearchIndex, searchNodes } from "./search";
import { chooseView } from "./viewport";
import { type Visible, collapse, computeVisible, initialExpanded, reveal } from "./visible";

const SVG = "http://www.w3.org/2000/svg";
/** At most this many boxes are shown when a graph is first opened. */
export const INITIAL_BUDGET = 250;
/** Graphs with at least this many boxes start the layout workers before building the view. */
const WARM_WORKERS_AT = 60;
/** Most collapsed groups prefetched after a refresh. */
const PREFETCH_MAX = 300;
/** Distance of the legend from the canvas edges, px (keep in step with .oi-legend in style.css). */
const LEGEND_INSET = 8;
/** Categories listed in the legend (the rest are counted). */
const LEGEND_ROWS = 8;
/** Prefetching waits this long after pointer input (a double-click may be coming). */
const INPUT_QUIET_MS = 400;
/** Largest minimap, px, and its distance from the canvas's bottom-left corner. */
const MINIMAP_W = 150;
const MINIMAP_H = 110;
const MINIMAP_INSET = 8;
/** Frame header height (keep in step with draw()). */
const HEAD_H = 20;

/** Size of the minimap of a gw x gh graph (its aspect ratio, within MINIMAP_W x MINIMAP_H). */
export function minimapSize(gw: number, gh: number): { w: number; h: number; s: number } {
  const s = Math.min(MINIMAP_W / Math.max(1, gw), MINIMAP_H / Math.max(1, gh));
  return { w: Math.max(24, Math.round(gw * s)), h: Math.max(24, Math.round(gh * s)), s };
}

/** Run cb once the next frame has been produced (or after 500 ms where frames are not produced). */
function afterPaint(cb: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    cb();
  };
  if (typeof requestAnimationFrame !== "undefined") requestAnimationFrame(() => setTimeout(once, 0));
  setTimeout(once, 500);
}

export interface Host {
  selected(): string[];
  setSelected(ids: string[]): void;
  overlay(): Overlay | null;
  onSelected(cb: () => void): void;
  onOverlay(cb: () => void): void;
  height(): string;
}

interface GraphState {
  graph: number;
  tree: Tree;
  expanded: Set<number>;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function button(cls: string, text: string, title: string): HTMLButtonElement {
  const b = el("button", `oi-btn ${cls}`, text);
  b.type = "button";
  b.title = title;
  b.setAttribute("aria-label", title);
  return b;
}

/** The legend's size plus its distance from the canvas edges (it sits at the bottom right). */
function legendBox(legend: HTMLElement): { w: number; h: number } {
  return { w: legend.offsetWidth + 2 * LEGEND_INSET, h: legend.offsetHeight + 2 * LEGEND_INSET };
}

/** Smooth path through points (a B-spline, as dagre-d3 draws edges). */
function pathThrough(pts: number[]): string {
  const n = pts.length / 2;
  if (n < 2) return "";
  const f = (v: number) => Math.round(v * 10) / 10;
  if (n === 2) return `M${f(pts[0])},${f(pts[1])}L${f(pts[2])},${f(pts[3])}`;
  let d = `M${f(pts[0])},${f(pts[1])}`;
  // uniform cubic B-spline, clamped at both ends
  let x0 = pts[0];
  let y0 = pts[1];
  d += `L${f((5 * pts[0] + pts[2]) / 6)},${f((5 * pts[1] + pts[3]) / 6)}`;
  for (let i = 1; i < n - 1; i++) {
    const x1 = pts[2 * i];
    const y1 = pts[2 * i + 1];
    const x2 = pts[2 * i + 2];
    const y2 = pts[2 * i + 3];
    d += `C${f((2 * x0 + x1) / 3)},${f((2 * y0 + y1) / 3)} ${f((x0 + 2 * x1) / 3)},${f((y0 + 2 * y1) / 3)} ${f((x0 + 4 * x1 + x2) / 6)},${f((y0 + 4 * y1 + y2) / 6)}`;
    x0 = x1;
    y0 = y1;
  }
  const xl = pts[2 * n - 2];
  const yl = pts[2 * n - 1];
  d += `C${f((2 * x0 + xl) / 3)},${f((2 * y0 + yl) / 3)} ${f((x0 + 2 * xl) / 3)},${f((y0 + 2 * yl) / 3)} ${f(xl)},${f(yl)}`;
  return d;
}

export class GraphViewUI {
  readonly root: HTMLDivElement;
  private d: GraphData;
  private host: Host;
  private engine: LayoutEngine;
  private states = new Map<number, GraphState>();
  private stack: number[] = [0];
  private contentCache = new Map<string, BoxContent>();
  private svgEl: SVGSVGElement;
  private viewport: SVGGElement;
  private canvas: HTMLDivElement;
  private tooltip: HTMLDivElement;
  private legend: HTMLDivElement;
  private breadcrumb: HTMLDivElement;
  private searchInput: HTMLInputElement;
  private searchCount: HTMLSpanElement;
  private status: HTMLDivElement;
  private k = 1;
  private tx = 0;
  private ty = 0;
  private placement: Placement | null = null;
  private visible: Visible | null = null;
  private elements = new Map<number, SVGGElement>();
  private edgeEls = new Map<string, SVGGElement>();
  private layers: { frames: SVGGElement; edges: SVGGElement; heads: SVGGElement; boxes: SVGGElement } | null = null;
  private drawnGraph = -1;
  private selected = new Set<number>();
  private lastSent = "";
  private hay: string[] | null = null;
  private hits: number[] = [];
  private hitPos = -1;
  private hitQuery = "";
  private generation = 0;
  private fitted = false;
  /** the view is as fit() left it (no pan or zoom since): a legend appearing re-fits it */
  private atFit = false;
  private legendFolded = false;
  private destroyed = false;
  private resizeObserver: ResizeObserver | null = null;
  /** watches JupyterLab's theme switches (attributes on <body>) to repaint the minimap's canvas */
  private themeObserver: MutationObserver | null = null;
  /** parameter plumbing (nodes computing only from weights) is listed inside boxes, not drawn */
  private plumbingHidden = true;
  private plumbingBtn: HTMLButtonElement | null = null;
  private minimap: HTMLDivElement;
  private minimapCanvas: HTMLCanvasElement;
  private minimapView: HTMLDivElement;
  private minimapScale = 1;
  private menu: HTMLDivElement;

  constructor(container: HTMLElement, data: GraphData, host: Host) {
    this.d = data;
    this.host = host;
    this.engine = new LayoutEngine();
    // big graphs will need the layout workers: start them now (render() may have already)
    if (data.nNodes + data.nIo >= WARM_WORKERS_AT) warmLayoutWorkers();
    this.root = el("div", "oi-graph");
    this.root.setAttribute("data-oi-state", "layout");
    this.root.tabIndex = 0;
    this.root.style.height = host.height();

    const bar = el("div", "oi-toolbar");
    this.breadcrumb = el("div", "oi-breadcrumb");
    const search = el("div", "oi-search-box");
    this.searchInput = el("input", "oi-search");
    this.searchInput.type = "search";
    this.searchInput.placeholder = "Search name, op, tensor";
    this.searchInput.setAttribute("aria-label", "Search nodes by name, op type or tensor");
    const prev = button("oi-search-prev", "\u25b2", "Previous match (Shift+Enter)");
    const next = button("oi-search-next", "\u25bc", "Next match (Enter)");
    this.searchCount = el("span", "oi-search-count");
    search.append(this.searchInput, this.searchCount, prev, next);
    const zoom = el("div", "oi-zoom");
    const zin = button("oi-zoom-in", "+", "Zoom in");
    const zout = button("oi-zoom-out", "\u2212", "Zoom out");
    const fit = button("oi-fit", "Fit", "Fit the graph to the view (its entry at a readable scale when it is too big)");
    zoom.append(zout, zin, fit);
    bar.append(this.breadcrumb, search);
    if (data.nPlumbing > 0) {
      const pb = button("oi-plumbing", "", "");
      this.plumbingBtn = pb;
      this.updatePlumbingButton();
      pb.addEventListener("click", () => this.setPlumbingHidden(!this.plumbingHidden));
      bar.append(pb);
    }
    bar.append(zoom);

    this.canvas = el("div", "oi-canvas");
    this.svgEl = svg("svg", { class: "oi-svg", width: "100%", height: "100%" }) as SVGSVGElement;
    const defs = svg("defs");
    const marker = svg("marker", {
      id: `oi-arrow-${Math.random().toString(36).slice(2)}`,
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto-start-reverse",
    });
    marker.appendChild(svg("path", { d: "M0,0L10,5L0,10z", class: "oi-arrowhead" }));
    defs.appendChild(marker);
    this.svgEl.appendChild(defs);
    this.arrowId = marker.getAttribute("id") as string;
    this.viewport = svg("g", { class: "oi-viewport" }) as SVGGElement;
    this.svgEl.appendChild(this.viewport);
    this.canvas.appendChild(this.svgEl);
    this.tooltip = el("div", "oi-tooltip");
    this.tooltip.hidden = true;
    this.legend = el("div", "oi-legend");
    this.legend.hidden = true;
    this.status = el("div", "oi-status");
    this.minimap = el("div", "oi-minimap");
    this.minimap.hidden = true;
    this.minimap.title = "Overview: click or drag to move the view";
    this.minimapCanvas = el("canvas", "oi-minimap-canvas");
    this.minimapView = el("div", "oi-minimap-view");
    this.minimap.append(this.minimapCanvas, this.minimapView);
    this.menu = el("div", "oi-body-menu");
    this.menu.hidden = true;
    this.canvas.append(this.tooltip, this.legend, this.minimap, this.menu, this.status);
    this.root.append(bar, this.canvas);
    container.appendChild(this.root);

    // events
    this.searchInput.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        this.stepSearch(ev.shiftKey ? -1 : 1);
      } else if (ev.key === "Escape") {
        this.searchInput.value = "";
        this.clearSearch();
      }
    });
    this.searchInput.addEventListener("input", () => this.updateSearchCount());
    prev.addEventListener("click", () => this.stepSearch(-1));
    next.addEventListener("click", () => this.stepSearch(1));
    zin.addEventListener("click", () => this.zoomBy(1.25));
    zout.addEventListener("click", () => this.zoomBy(0.8));
    fit.addEventListener("click", () => this.fit());
    this.installPointer();
    this.installMinimap();
    this.root.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !this.menu.hidden) this.hideMenu();
    });
    host.onSelected(() => this.onExternalSelected());
    host.onOverlay(() => {
      const had = !this.legend.hidden;
      this.applyOverlay();
      // a legend appearing (or going) over a fitted view: fit again, around it
      if (this.atFit && had !== !this.legend.hidden) this.fit();
    });
    if (typeof ResizeObserver !== "undefined") {
      this.resizeObserver = new ResizeObserver(() => {
        if (!this.fitted && this.placement && this.canvas.clientWidth > 0) this.fit();
      });
      this.resizeObserver.observe(this.canvas);
    }
    if (typeof MutationObserver !== "undefined" && typeof document !== "undefined" && document.body) {
      // SVG boxes follow the theme's CSS variables by themselves; the minimap is a canvas
      this.themeObserver = new MutationObserver(() => this.drawMinimap());
      this.themeObserver.observe(document.body, {
        attributes: true,
        attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"],
      });
    }

    for (const id of host.selected()) {
      const i = this.d.nodeIndex.get(id);
      if (i !== undefined) this.selected.add(i);
    }
    this.lastSent = JSON.stringify(host.selected());
    const first = [...this.selected][0];
    if (first !== undefined && this.d.nodeGraph[first] !== 0) this.stack = this.pathTo(this.d.nodeGraph[first]);
    if (first !== undefined) reveal(this.state().tree, first, this.state().expanded);
    void this.refresh(true, VISIBLE);
  }

  private arrowId: string;
  /** whether the edge last given by edgePoints() lacks a route somewhere */
  private lastLoose = false;

  destroy(): void {
    this.destroyed = true;
    this.resizeObserver?.disconnect();
    this.themeObserver?.disconnect();
    this.engine.dispose();
    this.root.remove();
  }

  // ----- graph state ---------------------------------------------------------------------------

  private state(graph: number = this.stack[this.stack.length - 1]): GraphState {
    let s = this.states.get(graph);
    if (!s) {
      const tree = buildTree(this.d, graph, { hidden: this.plumbingHidden ? this.d.nodePlumbing : null });
      s = { graph, tree, expanded: initialExpanded(tree, INITIAL_BUDGET) };
      this.states.set(graph, s);
    }
    return s;
  }

  /** Graph rows from the main graph down to `graph` (through the bodies' owners). */
  private pathTo(graph: number): number[] {
    const path: number[] = [];
    for (let g = graph; g >= 0; g = this.d.graphParent[g]) {
      path.unshift(g);
      if (g === 0) break;
    }
    if (path[0] !== 0) path.unshift(0);
    return path;
  }

  private content(t: Tree, box: number): BoxContent {
    const key = `${t.graph}:${box}`;
    let c = this.contentCache.get(key);
    if (!c) {
      c = boxContent(this.d, t, box, this.plumbingHidden);
      this.contentCache.set(key, c);
    }
    return c;
  }

  /**
   * Lay out what is needed, place, draw. User actions refresh at URGENT priority (ahead of any
   * prefetching); background layout is held until this refresh has reached the screen.
   */
  async refresh(fit = false, priority: Priority = URGENT): Promise<void> {
    const gen = ++this.generation;
    this.root.setAttribute("data-oi-state", "layout");
    this.engine.pauseBackground();
    try {
      await this.refreshNow(gen, fit, priority);
    } finally {
      afterPaint(() => this.engine.resumeBackground());
    }
  }

  private async refreshNow(gen: number, fit: boolean, priority: Priority): Promise<void> {
    const s = this.state();
    const t = s.tree;
    // open groups reachable from the root
    const open: number[] = [0];
    for (let k = 0; k < open.length; k++) {
      for (const b of t.groupChildren[open[k]]) {
        if (b >= t.nItems && s.expanded.has(b - t.nItems)) open.push(b - t.nItems);
      }
    }
    try {
      await this.engine.ensure(t, open, (box) => this.content(t, box), priority);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (gen !== this.generation || this.destroyed) return;
    // the view's size is read before the DOM changes below, so fitting does not force a layout
    // of the new SVG (the browser lays it out once, in the next frame)
    const fitNow = fit || !this.fitted;
    const size = fitNow ? this.canvasSize() : null;
    this.placement = place(t, s.expanded, (g) => this.engine.get(t, g), (g) => this.frameMinWidth(t, g));
    this.visible = computeVisible(t, this.d, s.expanded);
    const legendShown = !this.legend.hidden;
    this.drawMinimap();
    if (size) this.fitTo(size.w, size.h);
    else this.atFit = false;
    this.draw();
    // an overlay set before the first paint brings its legend only now: fit around it (rare, so
    // the forced layout this costs is acceptable)
    if (size && !legendShown && !this.legend.hidden) this.fit();
    this.renderBreadcrumb();
    this.root.setAttribute("data-oi-state", "ready");
    this.prefetch();
  }

  private fail(err: unknown): void {
    this.root.setAttribute("data-oi-state", "error");
    this.status.textContent = `graph view error: ${String(err)}`;
    this.status.hidden = false;
  }

  private frameMinWidth(t: Tree, g: number): number {
    return Math.min(260, (t.groupLabel[g] || t.groupKey[g]).length * 7 + 40);
  }

  /**
   * Lay out the collapsed groups now on screen in the background, so expanding them is instant.
   * Replaces the previous refresh's prefetch; the engine runs it in small batches when idle.
   */
  private prefetch(): void {
    const s = this.state();
    const t = s.tree;
    const want: number[] = [];
    for (const b of this.visible?.boxes ?? []) {
      if (b >= t.nItems && !this.engine.has(t, b - t.nItems)) want.push(b - t.nItems);
    }
    this.engine.prefetch(t, want.slice(0, PREFETCH_MAX), (box) => this.content(t, box));
  }

  // ----- drawing -------------------------------------------------------------------------------

  /**
   * Draw the visible graph. Box and edge elements are kept across redraws (keyed by box id and by
   * edge ends) and only moved, so expanding a group re-creates just what is new on screen.
   */
  private draw(): void {
    const s = this.state();
    const t = s.tree;
    const d = this.d;
    const p = this.placement as Placement;
    const v = this.visible as Visible;
    if (!this.layers || this.drawnGraph !== t.graph) {
      // bottom to top: frame outlines, edges, frame headers, boxes. Edges take no pointer events
      // (attribute and CSS), and headers sit above them, so a double-click on a header's middle
      // reaches the header even where an edge crosses it.
      this.layers = {
        frames: svg("g", { class: "oi-frames", "pointer-events": "none" }) as SVGGElement,
        edges: svg("g", { class: "oi-edges", "pointer-events": "none" }) as SVGGElement,
        heads: svg("g", { class: "oi-frame-heads" }) as SVGGElement,
        boxes: svg("g", { class: "oi-boxes" }) as SVGGElement,
      };
      const { frames, edges, heads, boxes } = this.layers;
      this.viewport.replaceChildren(frames, edges, heads, boxes);
      this.elements = new Map();
      this.edgeEls = new Map();
      this.drawnGraph = t.graph;
    }
    const { frames, edges, heads, boxes } = this.layers;

    const outlines: SVGElement[] = [];
    const frameEls: SVGElement[] = [];
    for (const g of v.frames) {
      const r = p.rect.get(t.nItems + g) as Rect;
      outlines.push(svg("rect", { class: "oi-frame-box", x: r.x, y: r.y, width: r.w, height: r.h, rx: 6 }));
      const fg = svg("g", { class: "oi-frame", transform: `translate(${r.x},${r.y})` }) as SVGGElement;
      fg.setAttribute("data-expanded-group-id", t.groupKey[g]);
      const head = svg("g", { class: "oi-frame-head" });
      head.appendChild(svg("rect", { class: "oi-frame-head-bg", width: r.w, height: 20, rx: 6 }));
      const title = svg("text", { x: 22, y: 14, class: "oi-frame-title" });
      title.textContent = t.groupLabel[g] || t.groupKey[g];
      const toggle = svg("text", { x: 8, y: 14, class: "oi-toggle" });
      toggle.textContent = "\u2212";
      head.append(toggle, title);
      const tip = svg("title");
      tip.textContent = `${t.groupKey[g]} (double-click to collapse)`;
      head.appendChild(tip);
      fg.appendChild(head);
      frameEls.push(fg);
    }
    frames.replaceChildren(...outlines);
    heads.replaceChildren(...frameEls);

    const marker = `url(#${this.arrowId})`;
    const liveEdges = new Set<string>();
    // A tensor read by many boxes gives a fan of edges, most of them unrouted ("loose", see
    // FAN_MAX in engine.ts): its shape is labelled once (on a routed edge where there is one), not
    // on every line of the fan, which would cost hundreds of overlapping text elements.
    const drawn: { key: string; pts: number[]; loose: boolean; tensors: number[]; what: string }[] = [];
    const labelled = new Set<string>();
    for (const e of v.edges) {
      const pts = this.edgePoints(t, p, e.src, e.dst, e.lca, e.cu, e.cv);
      if (pts.length < 4) continue;
      const tensors = [...new Set(e.rows.map((row) => d.edgeTensor[row]))].sort((a, b) => a - b);
      const what = tensors.join(",");
      drawn.push({ key: `${e.src}>${e.dst}`, pts, loose: this.lastLoose, tensors, what });
      if (!this.lastLoose) labelled.add(what);
    }
    for (const { key, pts, loose, tensors, what } of drawn) {
      liveEdges.add(key);
      let ge = this.edgeEls.get(key);
      if (!ge) {
        ge = svg("g", { class: "oi-edge" }) as SVGGElement;
        ge.appendChild(svg("path", { "marker-end": marker, class: "oi-edge-line" }));
        edges.appendChild(ge);
        this.edgeEls.set(key, ge);
      }
      ge.classList.toggle("oi-edge-loose", loose);
      const path = ge.firstChild as SVGElement;
      path.setAttribute("d", pathThrough(pts));
      if (tensors.length > 1) path.setAttribute("stroke-width", String(Math.min(4, 1 + Math.log2(tensors.length))));
      else path.removeAttribute("stroke-width");
      let label: string;
      if (tensors.length === 1) {
        ge.setAttribute("data-tensor", d.tensorName[tensors[0]]);
        label = d.tensorShape[tensors[0]];
      } else {
        label = `${tensors.length} tensors`;
        ge.removeAttribute("data-tensor");
      }
      if (loose && labelled.has(what)) label = "";
      labelled.add(what);
      let text = ge.childNodes[1] as SVGElement | undefined;
      if (!label) {
        text?.remove();
        continue;
      }
      if (!text) {
        text = svg("text", { class: "oi-elabel" });
        ge.appendChild(text);
      }
      const mid = Math.floor(pts.length / 4) * 2;
      const a = pts.length >= 6 ? [pts[mid], pts[mid + 1]] : [(pts[0] + pts[2]) / 2, (pts[1] + pts[3]) / 2];
      if (text.textContent !== label) text.textContent = label;
      text.setAttribute("x", String(Math.round(a[0] + 4)));
      text.setAttribute("y", String(Math.round(a[1] + 3)));
    }
    for (const [key, ge] of this.edgeEls) {
      if (!liveEdges.has(key)) {
        ge.remove();
        this.edgeEls.delete(key);
      }
    }

    const liveBoxes = new Set(v.boxes);
    for (const [b, g] of this.elements) {
      if (!liveBoxes.has(b)) {
        g.remove();
        this.elements.delete(b);
      }
    }
    for (const b of v.boxes) {
      const r = p.rect.get(b) as Rect;
      let g = this.elements.get(b);
      if (!g) {
        g = this.makeBox(t, b, r);
        boxes.appendChild(g);
        this.elements.set(b, g);
      }
      g.setAttribute("transform", `translate(${r.x},${r.y})`);
    }
    this.applySelection();
    this.applyOverlay();
    this.applyHits();
  }

  /** The SVG element of one box (a node, an io box or a collapsed group), at the origin. */
  private makeBox(t: Tree, b: number, r: Rect): SVGGElement {
    const d = this.d;
    const c = this.content(t, b);
    const g = svg("g") as SVGGElement;
    if (b >= t.nItems) {
      const gi = b - t.nItems;
      g.setAttribute("class", "oi-group");
      g.setAttribute("data-group-id", t.groupKey[gi]);
      g.appendChild(svg("rect", { class: "oi-group-shadow", x: 4, y: 4, width: r.w, height: r.h, rx: 6 }));
      g.appendChild(svg("rect", { class: "oi-box oi-group-box", width: r.w, height: r.h, rx: 6 }));
      const plus = svg("text", { x: r.w - 14, y: 15, class: "oi-toggle" });
      plus.textContent = "+";
      g.appendChild(plus);
    } else if (b >= d.nNodes) {
      const row = b - d.nNodes;
      const kind = d.ioKind[row] === IO_INPUT ? "oi-input" : d.ioKind[row] === IO_OUTPUT ? "oi-output" : "oi-outer";
      g.setAttribute("class", `oi-io ${kind}`);
      g.setAttribute("data-io-id", d.tensorName[d.ioTensor[row]]);
      g.appendChild(svg("rect", { class: "oi-box oi-io-box", width: r.w, height: r.h, rx: r.h / 2 }));
    } else {
      g.setAttribute("class", `oi-node oi-cat-${opCategory(d.nodeOp[b])}`);
      g.setAttribute("data-node-id", d.nodeId[b]);
      g.appendChild(svg("rect", { class: "oi-box oi-node-box", width: r.w, height: r.h, rx: 4 }));
      g.appendChild(svg("rect", { class: "oi-accent", width: 4, height: r.h, rx: 2 }));
      if (d.bodiesOf.has(b)) {
        g.classList.add("oi-has-body");
        const open = svg("text", { x: r.w - 14, y: 14, class: "oi-open-body" });
        open.textContent = "\u29c9";
        const tip = svg("title");
        tip.textContent = "double-click to open the body";
        open.appendChild(tip);
        g.appendChild(open);
      }
    }
    const left = b < d.nNodes ? 12 : 10;
    const anchor = b >= d.nNodes && b < t.nItems ? "middle" : "start";
    const x = anchor === "middle" ? r.w / 2 : left;
    let y = 17;
    const title = svg("text", { x, y, class: "oi-title", "text-anchor": anchor });
    title.textContent = c.title;
    g.appendChild(title);
    for (const line of c.lines) {
      y += 13;
      const tl = svg("text", { x, y, class: "oi-sub", "text-anchor": anchor });
      tl.textContent = line;
      g.appendChild(tl);
    }
    if (c.weights.length) y += 3;
    for (const line of c.weights) {
      y += 12;
      const tl = svg("text", { x, y, class: "oi-weight" });
      tl.textContent = line;
      g.appendChild(tl);
    }
    return g;
  }

  /** Absolute points of the route of pair (a, b) in group g's layout, or null. */
  private route(t: Tree, p: Placement, g: number, a: number, b: number): number[] | null {
    const geo = p.level.get(g);
    const o = p.origin.get(g);
    if (!geo || !o) return null;
    const k = this.engine.pairIndex(t, g).get(a * (t.nItems + t.groupKey.length + 2) + b);
    if (k === undefined) return null;
    const pts = geo.points[k];
    if (pts.length === 0) return null; // not routed (see FAN_MAX in engine.ts)
    const out: number[] = new Array(pts.length);
    for (let j = 0; j < pts.length; j += 2) {
      out[j] = pts[j] + o.x;
      out[j + 1] = pts[j + 1] + o.y;
    }
    return out;
  }

  /**
   * Absolute points of a visible edge: from src's bottom out through the exit ports of the open
   * groups around it, along the route in the group where both ends meet, then in through the
   * entry ports of the open groups around dst, to dst's top.
   */
  private edgePoints(t: Tree, p: Placement, src: number, dst: number, lca: number, cu: number, cv: number): number[] {
    const rs = p.rect.get(src) as Rect;
    const rd = p.rect.get(dst) as Rect;
    const segs: (number[] | null)[] = [];
    const OUT = portOut(t);
    const IN = portIn(t);
    for (let b = src; b !== cu; ) {
      const g = parentOfBox(t, b);
      segs.push(this.route(t, p, g, b, OUT));
      b = t.nItems + g;
    }
    segs.push(this.route(t, p, lca, cu, cv));
    const tail: (number[] | null)[] = [];
    for (let b = dst; b !== cv; ) {
      const g = parentOfBox(t, b);
      tail.push(this.route(t, p, g, IN, b));
      b = t.nItems + g;
    }
    segs.push(...tail.reverse());
    const mid: number[] = [];
    this.lastLoose = segs.some((seg) => seg === null);
    segs.forEach((seg, k) => {
      if (!seg) return;
      // drop the first point of the first route and the last of the last: the boxes' ports replace them
      const from = k === 0 ? 2 : 0;
      const to = k === segs.length - 1 ? seg.length - 2 : seg.length;
      for (let j = from; j < to; j++) mid.push(seg[j]);
    });
    const start = [rs.x + rs.w / 2, rs.y + rs.h];
    const end = [rd.x + rd.w / 2, rd.y];
    if (mid.length === 0 && end[1] < start[1]) {
      // upward edge with no route: bow out to the side
      mid.push(start[0] + 40, start[1] + 20, end[0] + 40, end[1] - 20);
    }
    return [...start, ...mid, ...end];
  }

  private renderBreadcrumb(): void {
    const items: HTMLElement[] = [];
    this.stack.forEach((g, k) => {
      if (k > 0) items.push(el("span", "oi-crumb-sep", "\u203a"));
      let label = "main graph";
      if (g !== 0) {
        const owner = this.d.graphOwner[g];
        const path = this.d.graphPath[g];
        label = owner >= 0 ? `${this.d.nodeId[owner].split("::").pop()} \u00b7 ${this.d.graphAttr[g]}` : path;
      }
      const b = button("oi-crumb", label, k === this.stack.length - 1 ? "current graph" : "go back to this graph");
      b.setAttribute("data-graph", this.d.graphPath[g]);
      if (k === this.stack.length - 1) b.disabled = true;
      else b.addEventListener("click", () => this.openGraphPath(this.stack.slice(0, k + 1)));
      items.push(b);
    });
    this.breadcrumb.replaceChildren(...items);
    this.breadcrumb.hidden = this.stack.length === 1 && this.d.graphPath.length === 1;
  }

  // ----- view transform ------------------------------------------------------------------------

  private applyTransform(): void {
    this.viewport.setAttribute("transform", `translate(${this.tx},${this.ty}) scale(${this.k})`);
    this.root.classList.toggle("oi-zoom-far", this.k < 0.45);
    this.updateMinimapView();
  }

  // ----- minimap -------------------------------------------------------------------------------

  /** Draw the overview of the placed graph (boxes as small rectangles); shown when it is not all in view. */
  private drawMinimap(): void {
    const p = this.placement;
    const v = this.visible;
    if (!p || !v) return;
    const { w, h, s } = minimapSize(p.width, p.height);
    this.minimapScale = s;
    const c = this.minimapCanvas;
    const dpr = typeof devicePixelRatio === "number" ? Math.min(2, devicePixelRatio) : 1;
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = `${w}px`;
    c.style.height = `${h}px`;
    const ctx = c.getContext?.("2d");
    if (!ctx) return;
    const css = getComputedStyle(this.root);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const t = this.state().tree;
    ctx.strokeStyle = css.getPropertyValue("--oi-border2").trim() || "#e0e0e0";
    ctx.lineWidth = 1;
    for (const g of v.frames) {
      const r = p.rect.get(t.nItems + g);
      if (r) ctx.strokeRect(r.x * s + 0.5, r.y * s + 0.5, Math.max(1, r.w * s - 1), Math.max(1, r.h * s - 1));
    }
    ctx.fillStyle = css.getPropertyValue("--oi-fg2").trim() || "#888888";
    for (const b of v.boxes) {
      const r = p.rect.get(b);
      if (r) ctx.fillRect(r.x * s, r.y * s, Math.max(1, r.w * s), Math.max(1, r.h * s));
    }
    this.updateMinimapView();
  }

  /** Move the minimap's view rectangle; hide the minimap when the whole graph is in view. */
  private updateMinimapView(): void {
    const p = this.placement;
    if (!p || !this.minimap) return;
    const W = this.canvas.clientWidth;
    const H = this.canvas.clientHeight;
    const x0 = -this.tx / this.k;
    const y0 = -this.ty / this.k;
    const x1 = x0 + W / this.k;
    const y1 = y0 + H / this.k;
    const all = x0 <= 0.5 && y0 <= 0.5 && x1 >= p.width - 0.5 && y1 >= p.height - 0.5;
    this.minimap.hidden = all || W === 0;
    if (this.minimap.hidden) return;
    const s = this.minimapScale;
    const mw = p.width * s;
    const mh = p.height * s;
    const cx = (a: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, a));
    const left = cx(x0 * s, 0, mw);
    const top = cx(y0 * s, 0, mh);
    const st = this.minimapView.style;
    st.left = `${left}px`;
    st.top = `${top}px`;
    st.width = `${Math.max(2, cx(x1 * s, 0, mw) - left)}px`;
    st.height = `${Math.max(2, cx(y1 * s, 0, mh) - top)}px`;
  }

  private installMinimap(): void {
    let dragging = -1;
    const go = (ev: PointerEvent) => {
      const r = this.minimapCanvas.getBoundingClientRect();
      const gx = (ev.clientX - r.left) / this.minimapScale;
      const gy = (ev.clientY - r.top) / this.minimapScale;
      this.tx = this.canvas.clientWidth / 2 - gx * this.k;
      this.ty = this.canvas.clientHeight / 2 - gy * this.k;
      this.atFit = false;
      this.applyTransform();
    };
    this.minimap.addEventListener("pointerdown", (ev) => {
      ev.stopPropagation();
      dragging = ev.pointerId;
      this.minimap.setPointerCapture?.(ev.pointerId);
      go(ev);
    });
    this.minimap.addEventListener("pointermove", (ev) => {
      if (dragging === ev.pointerId) go(ev);
    });
    const end = (ev: PointerEvent) => {
      if (dragging === ev.pointerId) dragging = -1;
    };
    this.minimap.addEventListener("pointerup", end);
    this.minimap.addEventListener("pointercancel", end);
    this.minimap.addEventListener("wheel", (ev) => ev.stopPropagation());
  }

  // ----- parameter plumbing --------------------------------------------------------------------

  private updatePlumbingButton(): void {
    const b = this.plumbingBtn;
    if (!b) return;
    const n = this.d.nPlumbing;
    b.textContent = this.plumbingHidden ? `+${n} params` : "\u2212 params";
    b.title = this.plumbingHidden
      ? `Show the ${n} nodes that compute only from weights, constants and sizes (Identity, Constant, Cast, Shape, ...) as boxes; now they are listed inside the boxes that read them`
      : "List the nodes that compute only from weights, constants and sizes inside the boxes that read them";
    b.setAttribute("aria-label", b.title);
    b.setAttribute("aria-pressed", String(!this.plumbingHidden));
  }

  /** List parameter plumbing inside the boxes that read it (true) or draw it as boxes (false). */
  setPlumbingHidden(hidden: boolean): void {
    if (hidden === this.plumbingHidden) return;
    this.plumbingHidden = hidden;
    this.updatePlumbingButton();
    // trees, box contents and layouts all change: start them afresh
    this.states.clear();
    this.contentCache.clear();
    this.engine.dispose();
    this.engine = new LayoutEngine();
    this.layers = null;
    this.elements = new Map();
    this.edgeEls = new Map();
    this.fitted = false;
    for (const i of this.selected) reveal(this.state(this.d.nodeGraph[i]).tree, i, this.state(this.d.nodeGraph[i]).expanded);
    void this.refresh(true);
  }

  private canvasSize(): { w: number; h: number } {
    return { w: this.canvas.clientWidth, h: this.canvas.clientHeight };
  }

  /**
   * Fit the whole graph into the view (never enlarging past 1:1; tall graphs start at the top).
   * A visible legend is kept clear: the graph goes beside it or above it, whichever shows it larger.
   */
  fit(): void {
    const { w, h } = this.canvasSize();
    this.fitTo(w, h);
  }

  private fitTo(W: number, H: number): void {
    const p = this.placement;
    if (!p) return;
    if (W === 0 || H === 0) {
      this.applyTransform();
      return;
    }
    this.fitted = true;
    const m = 24;
    const region = fitRegion(W, H, this.legend.hidden ? null : legendBox(this.legend), p.width, p.height, m);
    const mm = minimapSize(p.width, p.height);
    const v = chooseView({
      boxes: this.countedRects(),
      entry: this.entryRects(),
      next: this.entryReaders(),
      width: p.width,
      height: p.height,
      W: region.w,
      H: region.h,
      margin: m,
      blocked: [{ x: MINIMAP_INSET, y: H - MINIMAP_INSET - mm.h, w: mm.w, h: mm.h }],
    });
    this.k = v.k;
    this.tx = v.tx;
    this.ty = v.ty;
    this.applyTransform();
    this.atFit = true;
  }

  /** Rectangles a reader counts on screen: node and group boxes, and the headers of open groups. */
  private countedRects(): Rect[] {
    const p = this.placement;
    const v = this.visible;
    if (!p || !v) return [];
    const t = this.state().tree;
    const out: Rect[] = [];
    for (const b of v.boxes) {
      if (b >= this.d.nNodes && b < t.nItems) continue; // graph inputs and outputs: not what a reader counts
      const r = p.rect.get(b);
      if (r) out.push(r);
    }
    for (const g of v.frames) {
      const r = p.rect.get(t.nItems + g);
      if (r) out.push({ x: r.x, y: r.y, w: r.w, h: HEAD_H });
    }
    return out;
  }

  /** The input box the first view starts from: the entry of the data path (see dataInput). */
  private entryInput(): number {
    const v = this.visible;
    if (!v) return -1;
    const d = this.d;
    const t = this.state().tree;
    const inputs = v.boxes.filter((b) => b >= d.nNodes && b < t.nItems && d.ioKind[b - d.nNodes] === IO_INPUT && this.placement?.rect.has(b));
    return dataInput(d, inputs, this.plumbingHidden);
  }

  /** Boxes that read the entry input (the first real work), from the visible edges. */
  private entryReaders(): Rect[] {
    const p = this.placement;
    const v = this.visible;
    if (!p || !v) return [];
    const d = this.d;
    const t = this.state().tree;
    const input = this.entryInput();
    const out: Rect[] = [];
    for (const e of v.edges) {
      if (e.src === input && (e.dst < d.nNodes || e.dst >= t.nItems)) {
        const r = p.rect.get(e.dst);
        if (r) out.push(r);
      }
    }
    return out;
  }

  /** The graph's entry: the input its data path starts from; without inputs, the topmost box no
   * visible edge reaches. */
  private entryRects(): Rect[] {
    const p = this.placement;
    const v = this.visible;
    if (!p || !v) return [];
    const input = this.entryInput();
    const r = input >= 0 ? p.rect.get(input) : undefined;
    if (r) return [r];
    const reached = new Set(v.edges.map((e) => e.dst));
    const roots = v.boxes.filter((b) => !reached.has(b)).map((b) => p.rect.get(b) as Rect).filter((r) => r);
    roots.sort((a, b) => a.y - b.y || a.x - b.x);
    return roots.slice(0, 1);
  }

  zoomBy(f: number, cx?: number, cy?: number): void {
    const W = this.canvas.clientWidth;
    const H = this.canvas.clientHeight;
    const x = cx ?? W / 2;
    const y = cy ?? H / 2;
    const k = Math.min(4, Math.max(0.03, this.k * f));
    this.tx = x - ((x - this.tx) * k) / this.k;
    this.ty = y - ((y - this.ty) * k) / this.k;
    this.k = k;
    this.atFit = false;
    this.applyTransform();
  }

  /** Put a box in the middle of the view, at a readable scale. */
  centerOn(box: number): void {
    const r = this.placement?.rect.get(box);
    if (!r) return;
    const W = this.canvas.clientWidth || 600;
    const H = this.canvas.clientHeight || 400;
    if (this.k < 0.6) this.k = 0.8;
    this.tx = W / 2 - (r.x + r.w / 2) * this.k;
    this.ty = H / 2 - (r.y + r.h / 2) * this.k;
    this.fitted = true;
    this.atFit = false;
    this.applyTransform();
  }

  // ----- pointer -------------------------------------------------------------------------------

  private installPointer(): void {
    let down: { x: number; y: number; tx: number; ty: number; id: number } | null = null;
    let dragged = false;
    const svgEl = this.svgEl;
    svgEl.addEventListener("pointerdown", (ev) => {
      this.engine.quiet(INPUT_QUIET_MS);
      if (ev.button !== 0) return;
      down = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, id: ev.pointerId };
      dragged = false;
    });
    svgEl.addEventListener("pointermove", (ev) => {
      if (down && down.id === ev.pointerId) {
        const dx = ev.clientX - down.x;
        const dy = ev.clientY - down.y;
        if (!dragged && Math.abs(dx) + Math.abs(dy) > 4) {
          dragged = true;
          svgEl.setPointerCapture?.(ev.pointerId);
          this.root.classList.add("oi-panning");
          this.tooltip.hidden = true;
        }
        if (dragged) {
          this.tx = down.tx + dx;
          this.ty = down.ty + dy;
          this.atFit = false;
          this.applyTransform();
        }
        return;
      }
      this.hover(ev);
    });
    const up = (ev: PointerEvent) => {
      if (down && down.id === ev.pointerId) {
        if (dragged) svgEl.releasePointerCapture?.(ev.pointerId);
        down = null;
        this.root.classList.remove("oi-panning");
      }
    };
    svgEl.addEventListener("pointerup", up);
    svgEl.addEventListener("pointercancel", up);
    svgEl.addEventListener("pointerleave", () => {
      this.tooltip.hidden = true;
    });
    svgEl.addEventListener("click", (ev) => {
      if (dragged) {
        dragged = false;
        return;
      }
      this.onClick(ev);
    });
    svgEl.addEventListener("dblclick", (ev) => this.onDblClick(ev));
    svgEl.addEventListener(
      "wheel",
      (ev) => {
        ev.preventDefault();
        this.engine.quiet(INPUT_QUIET_MS);
        const rect = svgEl.getBoundingClientRect();
        const scale = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
        this.zoomBy(Math.exp(-ev.deltaY * scale * 0.0015), ev.clientX - rect.left, ev.clientY - rect.top);
      },
      { passive: false },
    );
  }

  private targetOf(ev: Event): Element | null {
    const t = ev.target as Element | null;
    return t?.closest?.("[data-node-id],[data-group-id],[data-expanded-group-id],[data-io-id]") ?? null;
  }

  private onClick(ev: MouseEvent): void {
    this.hideMenu();
    const target = this.targetOf(ev);
    const id = target?.getAttribute("data-node-id");
    if (id != null) {
      const i = this.d.nodeIndex.get(id);
      if (i === undefined) return;
      if (ev.shiftKey || ev.metaKey || ev.ctrlKey) {
        if (this.selected.has(i)) this.selected.delete(i);
        else this.selected.add(i);
      } else {
        this.selected = new Set([i]);
      }
      this.sendSelection();
      return;
    }
    const gid = target?.getAttribute("data-expanded-group-id");
    if (gid != null && (ev.target as Element).closest(".oi-frame-head") && (ev.target as Element).classList.contains("oi-toggle")) {
      this.toggleGroup(gid);
      return;
    }
    const cg = target?.getAttribute("data-group-id");
    if (cg != null && (ev.target as Element).classList.contains("oi-toggle")) {
      this.toggleGroup(cg);
      return;
    }
    if (!target && this.selected.size > 0 && !ev.shiftKey) {
      this.selected = new Set();
      this.sendSelection();
    }
  }

  private onDblClick(ev: MouseEvent): void {
    const target = this.targetOf(ev);
    if (!target) return;
    ev.preventDefault();
    const gid = target.getAttribute("data-group-id") ?? target.getAttribute("data-expanded-group-id");
    if (gid != null) {
      if (target.hasAttribute("data-expanded-group-id") && !(ev.target as Element).closest(".oi-frame-head")) return;
      this.toggleGroup(gid);
      return;
    }
    const id = target.getAttribute("data-node-id");
    if (id != null) {
      const i = this.d.nodeIndex.get(id);
      const bodies = i === undefined ? undefined : this.d.bodiesOf.get(i);
      if (bodies && bodies.length === 1) this.openBody(bodies[0]);
      else if (bodies && bodies.length > 1) this.showBodyMenu(bodies, ev);
    }
  }

  /** A small menu at the pointer offering each body of a node (an If's then and else branches). */
  private showBodyMenu(bodies: number[], ev: MouseEvent): void {
    const d = this.d;
    const items: HTMLElement[] = [el("div", "oi-body-menu-head", "open")];
    for (const g of bodies) {
      const b = button("oi-body-choice", d.graphAttr[g] || d.graphPath[g], `open ${d.graphPath[g]}`);
      b.setAttribute("data-graph", d.graphPath[g]);
      b.addEventListener("click", (e) => {
        e.stopPropagation();
        this.hideMenu();
        this.openBody(g);
      });
      items.push(b);
    }
    this.menu.replaceChildren(...items);
    this.menu.hidden = false;
    const box = this.canvas.getBoundingClientRect();
    const x = Math.min(ev.clientX - box.left + 4, Math.max(0, box.width - this.menu.offsetWidth - 4));
    const y = Math.min(ev.clientY - box.top + 4, Math.max(0, box.height - this.menu.offsetHeight - 4));
    this.menu.style.left = `${x}px`;
    this.menu.style.top = `${y}px`;
    this.tooltip.hidden = true;
  }

  private hideMenu(): void {
    this.menu.hidden = true;
  }

  /** Expand a collapsed group or collapse an expanded one, by its data-group-id. */
  toggleGroup(key: string): void {
    const s = this.state();
    const g = s.tree.groupIndex.get(key);
    if (g === undefined || g === 0) return;
    if (s.expanded.has(g)) collapse(s.tree, g, s.expanded);
    else s.expanded.add(g);
    void this.refresh();
  }

  /** Open the body graph `graph` (a subgraph of an If/Loop/Scan node, or a local function). */
  openBody(graph: number): void {
    this.openGraphPath(this.pathTo(graph));
  }

  private openGraphPath(path: number[]): void {
    this.hideMenu();
    this.stack = path;
    this.fitted = false;
    this.hideTooltip();
    void this.refresh(true);
  }

  private hideTooltip(): void {
    this.tooltip.hidden = true;
  }

  // ----- tooltip -------------------------------------------------------------------------------

  private hover(ev: PointerEvent): void {
    const target = this.targetOf(ev);
    if (!target) {
      this.tooltip.hidden = true;
      return;
    }
    const lines = this.tooltipLines(target);
    if (lines.length === 0) {
      this.tooltip.hidden = true;
      return;
    }
    const rows: HTMLElement[] = [];
    for (const [cls, text] of lines) rows.push(el("div", cls, text));
    this.tooltip.replaceChildren(...rows);
    this.tooltip.hidden = false;
    const box = this.canvas.getBoundingClientRect();
    let x = ev.clientX - box.left + 14;
    let y = ev.clientY - box.top + 14;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    if (x + tw > box.width) x = Math.max(0, ev.clientX - box.left - tw - 10);
    if (y + th > box.height) y = Math.max(0, ev.clientY - box.top - th - 10);
    this.tooltip.style.left = `${x}px`;
    this.tooltip.style.top = `${y}px`;
  }

  private tensorLine(t: number): string {
    const d = this.d;
    const shape = d.tensorShape[t] || "?";
    const dtype = d.tensorDtype[t] ? `${d.tensorDtype[t]} ` : "";
    const w = d.tensorKind[t] === KIND_INITIALIZER ? "  (weight)" : "";
    return `${d.tensorName[t]}: ${dtype}${shape}${w}`;
  }

  private tooltipLines(target: Element): [string, string][] {
    const d = this.d;
    const out: [string, string][] = [];
    const id = target.getAttribute("data-node-id");
    const ov = this.overlayInfo;
    if (id != null) {
      const i = d.nodeIndex.get(id);
      if (i === undefined) return out;
      out.push(["oi-tt-title", d.nodeDomain[i] ? `${d.nodeOp[i]} (${d.nodeDomain[i]})` : d.nodeOp[i]]);
      if (d.nodeName[i]) out.push(["oi-tt-name", d.nodeName[i]]);
      if (d.nodeId[i] !== d.nodeName[i]) out.push(["oi-tt-id", `id: ${d.nodeId[i]}`]);
      const ins = nodeInputs(d, i);
      if (ins.length) out.push(["oi-tt-head", "inputs"]);
      for (const t of ins) out.push(["oi-tt-row", t >= 0 ? this.tensorLine(t) : "(omitted)"]);
      const outs = nodeOutputs(d, i);
      if (outs.length) out.push(["oi-tt-head", "outputs"]);
      for (const t of outs) out.push(["oi-tt-row", t >= 0 ? this.tensorLine(t) : "(omitted)"]);
      const bodies = d.bodiesOf.get(i);
      if (bodies) out.push(["oi-tt-head", `double-click to open: ${bodies.map((g) => d.graphAttr[g] || d.graphPath[g]).join(", ")}`]);
      if (ov) {
        const v = ov.values.get(i);
        out.push(["oi-tt-overlay", `${ov.label}: ${v === undefined ? "\u2014" : typeof v === "number" ? formatNumber(v) : v}${ov.unit}`]);
      }
      return out;
    }
    const gid = target.getAttribute("data-group-id") ?? target.getAttribute("data-expanded-group-id");
    if (gid != null) {
      const t = this.state().tree;
      const g = t.groupIndex.get(gid);
      if (g === undefined) return out;
      out.push(["oi-tt-title", t.groupLabel[g] || gid]);
      out.push(["oi-tt-name", gid]);
      out.push(["oi-tt-row", `${t.groupCount[g]} nodes`]);
      out.push(["oi-tt-head", target.hasAttribute("data-group-id") ? "double-click to expand" : "double-click the header to collapse"]);
      if (ov) {
        const v = ov.groupValue(t, g);
        if (v !== undefined) out.push(["oi-tt-overlay", `${ov.label}: ${typeof v === "number" ? formatNumber(v) : v}${ov.unit}`]);
      }
      return out;
    }
    const io = target.getAttribute("data-io-id");
    if (io != null) {
      const cls = target.classList;
      out.push(["oi-tt-title", cls.contains("oi-input") ? "graph input" : cls.contains("oi-output") ? "graph output" : "value from an enclosing graph"]);
      const t = d.tensorName.indexOf(io);
      out.push(["oi-tt-row", t >= 0 ? this.tensorLine(t) : io]);
    }
    return out;
  }

  // ----- selection -----------------------------------------------------------------------------

  private sendSelection(): void {
    const ids = [...this.selected].map((i) => this.d.nodeId[i]);
    this.lastSent = JSON.stringify(ids);
    this.host.setSelected(ids);
    this.applySelection();
  }

  private onExternalSelected(): void {
    const ids = this.host.selected();
    const key = JSON.stringify(ids);
    if (key === this.lastSent) return;
    this.lastSent = key;
    const sel = new Set<number>();
    for (const id of ids) {
      const i = this.d.nodeIndex.get(id);
      if (i !== undefined) sel.add(i);
    }
    this.selected = sel;
    const first = [...sel][0];
    if (first === undefined) {
      this.applySelection();
      return;
    }
    this.reveal(first);
  }

  /** Show node i: open its graph, expand the groups around it, centre it. */
  reveal(i: number): void {
    if (this.plumbingHidden && this.d.nodePlumbing[i]) {
      this.setPlumbingHidden(false);
      void this.refresh().then(() => this.centerOn(i));
      return;
    }
    const graph = this.d.nodeGraph[i];
    const cur = this.stack[this.stack.length - 1];
    let changed = false;
    if (graph !== cur) {
      this.stack = this.pathTo(graph);
      changed = true;
    }
    const s = this.state();
    if (reveal(s.tree, i, s.expanded)) changed = true;
    if (changed) {
      void this.refresh().then(() => this.centerOn(i));
    } else {
      this.applySelection();
      this.applyHits();
      const r = this.placement?.rect.get(i);
      if (r && !this.inView(r)) this.centerOn(i);
    }
  }

  private inView(r: Rect): boolean {
    const W = this.canvas.clientWidth;
    const H = this.canvas.clientHeight;
    const x = r.x * this.k + this.tx;
    const y = r.y * this.k + this.ty;
    return x >= 0 && y >= 0 && x + r.w * this.k <= W && y + r.h * this.k <= H;
  }

  private applySelection(): void {
    const t = this.state().tree;
    const containing = new Set<number>();
    for (const i of this.selected) {
      for (let g = t.itemGroup[i]; g > 0; g = t.groupParent[g]) containing.add(t.nItems + g);
    }
    for (const [b, e] of this.elements) {
      e.classList.toggle("oi-selected", b < this.d.nNodes && this.selected.has(b));
      e.classList.toggle("oi-contains-selected", b >= t.nItems && containing.has(b));
    }
  }

  // ----- search --------------------------------------------------------------------------------

  private computeHits(): void {
    const q = this.searchInput.value;
    if (q === this.hitQuery) return;
    this.hitQuery = q;
    if (!this.hay) this.hay = buildSearchIndex(this.d);
    this.hits = searchNodes(this.d, this.hay, q, this.stack[this.stack.length - 1]);
    this.hitPos = -1;
  }

  private updateSearchCount(): void {
    this.computeHits();
    const q = this.searchInput.value.trim();
    this.searchCount.textContent = q === "" ? "" : this.hits.length === 0 ? "no match" : `${this.hits.length} found`;
    this.applyHits();
  }

  private clearSearch(): void {
    this.hitQuery = "";
    this.hits = [];
    this.hitPos = -1;
    this.searchCount.textContent = "";
    this.applyHits();
  }

  /** Go to the next (+1) or previous (-1) search hit. */
  stepSearch(dir: number): void {
    this.computeHits();
    if (this.hits.length === 0) {
      this.searchCount.textContent = this.searchInput.value.trim() === "" ? "" : "no match";
      this.applyHits();
      return;
    }
    this.hitPos = (this.hitPos + dir + this.hits.length) % this.hits.length;
    this.searchCount.textContent = `${this.hitPos + 1}/${this.hits.length}`;
    const i = this.hits[this.hitPos];
    if (this.plumbingHidden && this.d.nodePlumbing[i]) this.setPlumbingHidden(false);
    const graph = this.d.nodeGraph[i];
    const s = this.state(graph);
    const needs = graph !== this.stack[this.stack.length - 1] || reveal(s.tree, i, s.expanded);
    if (needs) {
      if (graph !== this.stack[this.stack.length - 1]) this.stack = this.pathTo(graph);
      void this.refresh().then(() => {
        this.applyHits();
        this.centerOn(i);
      });
    } else {
      this.applyHits();
      this.centerOn(i);
    }
  }

  private applyHits(): void {
    const current = this.hitPos >= 0 ? this.hits[this.hitPos] : -1;
    const all = new Set(this.searchInput.value.trim() === "" ? [] : this.hits);
    for (const [b, e] of this.elements) {
      e.classList.toggle("oi-hit", b === current);
      e.classList.toggle("oi-match", b !== current && all.has(b));
    }
  }

  // ----- overlay -------------------------------------------------------------------------------

  private overlayInfo: {
    label: string;
    unit: string;
    values: Map<number, number | string>;
    groupValue(t: Tree, g: number): number | string | undefined;
  } | null = null;

  private applyOverlay(): void {
    const o = this.host.overlay();
    const d = this.d;
    const t = this.state().tree;
    if (!o || !o.values || Object.keys(o.values).length === 0) {
      this.overlayInfo = null;
      this.legend.hidden = true;
      this.root.classList.remove("oi-has-overlay");
      for (const e of this.elements.values()) {
        e.classList.remove("oi-painted", "oi-novalue");
        const box = e.querySelector<SVGElement>(".oi-box");
        box?.style.removeProperty("fill");
        for (const tx of e.querySelectorAll<SVGElement>("text")) tx.style.removeProperty("fill");
      }
      return;
    }
    const values = new Map<number, number | string>();
    for (const [id, v] of Object.entries(o.values)) {
      const i = d.nodeIndex.get(id);
      if (i !== undefined && v !== null && v !== undefined) values.set(i, v);
    }
    const numeric = isNumeric(o);
    const how = o.aggregate ?? "sum";
    const groupCache = new Map<string, number | string | undefined>();
    const groupValue = (tree: Tree, g: number): number | string | undefined => {
      const key = `${tree.graph}:${g}`;
      if (groupCache.has(key)) return groupCache.get(key);
      const nums: number[] = [];
      const cats = new Set<string>();
      const stack = [g];
      while (stack.length > 0) {
        const x = stack.pop() as number;
        for (const b of tree.groupChildren[x]) {
          if (b >= tree.nItems) stack.push(b - tree.nItems);
          else {
            const v = values.get(b);
            if (v === undefined) continue;
            if (typeof v === "number") nums.push(v);
            else cats.add(String(v));
          }
        }
      }
      let out: number | string | undefined;
      if (numeric) out = nums.length ? aggregate(nums, how) : undefined;
      else out = cats.size === 0 ? undefined : cats.size === 1 ? [...cats][0] : "mixed";
      groupCache.set(key, out);
      return out;
    };
    this.overlayInfo = { label: o.label ?? "value", unit: o.unit ? ` ${o.unit}` : "", values, groupValue };

    // numeric: nodes are coloured on a scale over every node value of this graph (stable while
    // expanding), collapsed groups on their own scale over the aggregates on screen; both in the legend
    let nodeColor: (v: number | string) => string;
    let groupColor: (v: number | string) => string;
    if (numeric) {
      const nodeNums: number[] = [];
      for (const [i, v] of values) if (typeof v === "number" && d.nodeGraph[i] === t.graph) nodeNums.push(v);
      const groupNums: number[] = [];
      for (const b of this.elements.keys()) {
        if (b >= t.nItems) {
          const v = groupValue(t, b - t.nItems);
          if (typeof v === "number") groupNums.push(v);
        }
      }
      const ns = numericScale(nodeNums, o.scale ?? "linear");
      const gs = numericScale(groupNums, o.scale ?? "linear");
      nodeColor = (v) => (typeof v === "number" ? ns.color(v) : "#999999");
      groupColor = (v) => (typeof v === "number" ? gs.color(v) : "#999999");
      const rows: [string, number, number, boolean][] = [];
      if (nodeNums.length) rows.push(["nodes", ns.min, ns.max, ns.log]);
      if (groupNums.length) rows.push([`groups (${how})`, gs.min, gs.max, gs.log]);
      this.renderNumericLegend(o, rows);
    } else {
      const sc = categoricalScale([...values.values()].map(String));
      nodeColor = (v) => sc.color(String(v));
      groupColor = (v) => (v === "mixed" ? "#8c8c8c" : sc.color(String(v)));
      this.renderCategoricalLegend(o, sc.categories, (c) => sc.color(c));
    }
    this.root.classList.add("oi-has-overlay");
    for (const [b, e] of this.elements) {
      let v: number | string | undefined;
      if (b >= t.nItems) v = groupValue(t, b - t.nItems);
      else if (b < d.nNodes) v = values.get(b);
      else continue;
      const box = e.querySelector<SVGElement>(".oi-box");
      if (v === undefined) {
        e.classList.add("oi-novalue");
        e.classList.remove("oi-painted");
        box?.style.removeProperty("fill");
        for (const tx of e.querySelectorAll<SVGElement>("text")) tx.style.removeProperty("fill");
        continue;
      }
      const c = b >= t.nItems ? groupColor(v) : nodeColor(v);
      e.classList.add("oi-painted");
      e.classList.remove("oi-novalue");
      box?.style.setProperty("fill", c);
      const fg = textColorFor(c);
      for (const tx of e.querySelectorAll<SVGElement>("text")) tx.style.setProperty("fill", fg);
    }
  }

  private renderNumericLegend(o: Overlay, rows: [string, number, number, boolean][]): void {
    const parts: HTMLElement[] = [this.legendHead(`${o.label ?? "value"}${o.unit ? ` (${o.unit})` : ""}`)];
    for (const [what, min, max, log] of rows) {
      if (rows.length > 1 || log) parts.push(el("div", "oi-legend-sub", `${what}${log ? " \u00b7 log scale" : ""}`));
      const bar = el("div", "oi-legend-bar");
      bar.style.background = viridisGradient();
      const ticks = el("div", "oi-legend-ticks");
      ticks.append(el("span", "", formatNumber(min)), el("span", "", formatNumber(max)));
      parts.push(bar, ticks);
    }
    this.showLegend(parts);
  }

  /** Legend title row, with a button that folds the legend down to that row. */
  private legendHead(title: string): HTMLElement {
    const head = el("div", "oi-legend-head");
    const fold = button("oi-legend-toggle", this.legendFolded ? "+" : "\u2212", this.legendFolded ? "Show the legend" : "Fold the legend");
    fold.addEventListener("click", (ev) => {
      ev.stopPropagation();
      this.legendFolded = !this.legendFolded;
      this.legend.classList.toggle("oi-legend-folded", this.legendFolded);
      fold.textContent = this.legendFolded ? "+" : "\u2212";
      fold.title = this.legendFolded ? "Show the legend" : "Fold the legend";
      fold.setAttribute("aria-label", fold.title);
      if (this.atFit) this.fit();
    });
    const label = el("span", "oi-legend-title", title);
    label.title = title; // the row is cut to the legend's width
    head.append(label, fold);
    return head;
  }

  private showLegend(parts: HTMLElement[]): void {
    this.legend.replaceChildren(...parts);
    this.legend.classList.toggle("oi-legend-folded", this.legendFolded);
    this.legend.hidden = false;
  }

  private renderCategoricalLegend(o: Overlay, cats: string[], color: (c: string) => string): void {
    const rows: HTMLElement[] = [this.legendHead(o.label ?? "category")];
    for (const c of cats.slice(0, LEGEND_ROWS)) {
      const row = el("div", "oi-legend-row");
      const sw = el("span", "oi-swatch");
      sw.style.background = color(c);
      row.append(sw, el("span", "oi-legend-label", c));
      rows.push(row);
    }
    if (cats.length > LEGEND_ROWS) rows.push(el("div", "oi-legend-row oi-legend-more", `+${cats.length - LEGEND_ROWS} more`));
    this.showLegend(rows);
  }
}
