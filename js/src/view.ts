// The graph view: SVG rendering and interaction (pan, zoom, fit, select, expand/collapse groups,
// open bodies, search, tooltips, overlays). Model text only ever reaches the DOM through
// textContent and setAttribute.

import { type BoxContent, boxContent, dataInput, shortShape } from "./boxes";
import type { Overlay } from "./colors";
import { afterPaint, button, el, svg } from "./dom";
import { edgePoints, makeBox, pathThrough } from "./drawing";
import { LayoutEngine, URGENT, VISIBLE, warmLayoutWorkers } from "./engine";
import { type Tree, buildTree } from "./groups";
import { Legend, type OverlayInfo, clearPaint, overlayInfo, paintOverlay } from "./overlay";
import { type GraphData, IO_INPUT } from "./payload";
import { type Placement, type Rect, fitRegion, place } from "./place";
import type { Priority } from "./schedule";
import { buildSearchIndex, searchNodes } from "./search";
import { MINIMAP_INSET, Minimap, type ViewBox, minimapSize } from "./minimap";
import { showTooltip, tooltipLines } from "./tooltip";
import { chooseView } from "./viewport";
import { type Visible, collapse, computeVisible, initialExpanded, reveal } from "./visible";

/** At most this many boxes are shown when a graph is first opened. */
export const INITIAL_BUDGET = 250;
/** Graphs with at least this many boxes start the layout workers before building the view. */
const WARM_WORKERS_AT = 60;
/** Most collapsed groups prefetched after a refresh. */
const PREFETCH_MAX = 300;
/** Prefetching waits this long after pointer input (a double-click may be coming). */
const INPUT_QUIET_MS = 400;
/** Frame header height (keep in step with draw()). */
const HEAD_H = 20;

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
  private legend: Legend;
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
  /** Expanded groups' header labels with their frames' x and width, kept in view by stickLabels(). */
  private frameLabels: { x: number; w: number; label: SVGGElement }[] = [];
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
  private destroyed = false;
  private resizeObserver: ResizeObserver | null = null;
  /** watches JupyterLab's theme switches (attributes on <body>) to repaint the minimap's canvas */
  private themeObserver: MutationObserver | null = null;
  /** parameter plumbing (nodes computing only from weights) is listed inside boxes, not drawn */
  private plumbingHidden = true;
  private plumbingBtn: HTMLButtonElement | null = null;
  private minimap: Minimap;
  private menu: HTMLDivElement;

  /** the main graph's tree with plumbing hidden, built before (in a worker: offthread.ts); used once */
  private firstTree: Tree | null;

  constructor(container: HTMLElement, data: GraphData, host: Host, firstTree: Tree | null = null) {
    this.d = data;
    this.firstTree = firstTree;
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
    this.legend = new Legend(() => {
      if (this.atFit) this.fit();
    });
    this.status = el("div", "oi-status");
    this.minimap = new Minimap((gx, gy) => {
      this.tx = this.canvas.clientWidth / 2 - gx * this.k;
      this.ty = this.canvas.clientHeight / 2 - gy * this.k;
      this.atFit = false;
      this.applyTransform();
    });
    this.menu = el("div", "oi-body-menu");
    this.menu.hidden = true;
    this.canvas.append(this.tooltip, this.legend.el, this.minimap.el, this.menu, this.status);
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
    this.root.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !this.menu.hidden) this.hideMenu();
    });
    host.onSelected(() => this.onExternalSelected());
    host.onOverlay(() => {
      const had = this.legend.shown;
      this.applyOverlay();
      // a legend appearing (or going) over a fitted view: fit again, around it
      if (this.atFit && had !== this.legend.shown) this.fit();
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
      const prebuilt = graph === 0 && this.plumbingHidden ? this.firstTree : null;
      this.firstTree = null;
      const tree = prebuilt ?? buildTree(this.d, graph, { hidden: this.plumbingHidden ? this.d.nodePlumbing : null });
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
    const legendShown = this.legend.shown;
    this.drawMinimap();
    if (size) this.fitTo(size.w, size.h);
    else this.atFit = false;
    this.draw();
    // an overlay set before the first paint brings its legend only now: fit around it (rare, so
    // the forced layout this costs is acceptable)
    if (size && !legendShown && this.legend.shown) this.fit();
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
    const labels: { x: number; w: number; label: SVGGElement }[] = [];
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
      const label = svg("g", { class: "oi-frame-label" }) as SVGGElement;
      label.append(toggle, title);
      head.append(label);
      labels.push({ x: r.x, w: r.w, label });
      const tip = svg("title");
      tip.textContent = `${t.groupKey[g]} (double-click to collapse)`;
      head.appendChild(tip);
      fg.appendChild(head);
      frameEls.push(fg);
    }
    frames.replaceChildren(...outlines);
    heads.replaceChildren(...frameEls);
    this.frameLabels = labels;
    this.stickLabels();

    const marker = `url(#${this.arrowId})`;
    const liveEdges = new Set<string>();
    // A tensor read by many boxes gives a fan of edges, most of them unrouted ("loose", see
    // FAN_MAX in engine.ts): its shape is labelled once (on a routed edge where there is one), not
    // on every line of the fan, which would cost hundreds of overlapping text elements.
    const drawn: { key: string; pts: number[]; loose: boolean; tensors: number[]; what: string }[] = [];
    const labelled = new Set<string>();
    for (const e of v.edges) {
      const { pts, loose } = edgePoints(this.engine, t, p, e.src, e.dst, e.lca, e.cu, e.cv);
      if (pts.length < 4) continue;
      const tensors = [...new Set(e.rows.map((row) => d.edgeTensor[row]))].sort((a, b) => a - b);
      const what = tensors.join(",");
      drawn.push({ key: `${e.src}>${e.dst}`, pts, loose, tensors, what });
      if (!loose) labelled.add(what);
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
        ge.setAttribute("data-tensor", d.tensorNameAt(tensors[0]));
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
      if (text.getAttribute("data-label") !== label) {
        const shown = shortShape(label);
        text.setAttribute("data-label", label);
        text.textContent = shown;
        if (shown !== label) text.appendChild(svg("title", {})).textContent = label; // the full shape on hover
      }
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
        g = makeBox(d, t, b, r, this.content(t, b));
        boxes.appendChild(g);
        this.elements.set(b, g);
      }
      g.setAttribute("transform", `translate(${r.x},${r.y})`);
    }
    this.applySelection();
    this.applyOverlay();
    this.applyHits();
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
    this.stickLabels();
    this.root.classList.toggle("oi-zoom-far", this.k < 0.45);
    this.minimap.update(this.placement, this.viewBox());
  }

  /**
   * A group frame wider than the pane keeps its header label at the pane's left edge while the frame's
   * own left edge is scrolled out of view (else a narrow pane shows wide groups as unlabelled bands).
   */
  private stickLabels(): void {
    const left = -this.tx / this.k + 4; // the pane's left edge in graph coordinates, with a small margin
    for (const { x, w, label } of this.frameLabels) {
      const dx = Math.max(0, Math.min(left - x, w - 160));
      if (dx > 0) label.setAttribute("transform", `translate(${Math.round(dx)},0)`);
      else label.removeAttribute("transform");
    }
  }

  /** The canvas size and view transform (what the minimap outlines). */
  private viewBox(): ViewBox {
    return { W: this.canvas.clientWidth, H: this.canvas.clientHeight, tx: this.tx, ty: this.ty, k: this.k };
  }

  private drawMinimap(): void {
    this.minimap.draw(this.placement, this.visible, this.state().tree, this.root, this.viewBox());
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
    const region = fitRegion(W, H, this.legend.box(), p.width, p.height, m);
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
    const lines = target ? tooltipLines(this.d, this.state().tree, this.overlayInfo, target) : [];
    showTooltip(this.tooltip, this.canvas, ev, lines);
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

  private overlayInfo: OverlayInfo | null = null;

  private applyOverlay(): void {
    const o = this.host.overlay();
    if (!o || !o.values || Object.keys(o.values).length === 0) {
      this.overlayInfo = null;
      this.legend.hide();
      this.root.classList.remove("oi-has-overlay");
      clearPaint(this.elements.values());
      return;
    }
    this.overlayInfo = overlayInfo(o, this.d);
    paintOverlay(o, this.overlayInfo, this.d, this.state().tree, this.elements, this.legend);
    this.root.classList.add("oi-has-overlay");
  }
}
