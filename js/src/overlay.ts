// Overlays on the graph view: per-node values from the overlay spec (Python's views/overlay.py
// decides kind, scale, units and labels; this applies them), group aggregates, box colours, legend.

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
import { button, el } from "./dom";
import type { Tree } from "./groups";
import type { GraphData } from "./payload";

/** Distance of the legend from the canvas edges, px (keep in step with .oi-legend in style.css). */
export const LEGEND_INSET = 8;
/** Categories listed in the legend (the rest are counted). */
export const LEGEND_ROWS = 8;

/** An overlay resolved against the payload: node values by box index, group values on demand. */
export interface OverlayInfo {
  label: string;
  /** " us" (with its space) or "" */
  unit: string;
  numeric: boolean;
  values: Map<number, number | string>;
  groupValue(t: Tree, g: number): number | string | undefined;
}

/** The node values of an overlay, and the value of a collapsed group (its aggregate, or its one category). */
export function overlayInfo(o: Overlay, d: GraphData): OverlayInfo {
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
  return { label: o.label ?? "value", unit: o.unit ? ` ${o.unit}` : "", numeric, values, groupValue };
}

/**
 * Paint the boxes on screen as the overlay spec says (kind, scale) and show its legend: nodes on a
 * scale over every node value of this graph (stable while expanding), collapsed groups on their own
 * scale over the aggregates on screen.
 */
export function paintOverlay(
  o: Overlay,
  info: OverlayInfo,
  d: GraphData,
  t: Tree,
  elements: Map<number, SVGGElement>,
  legend: Legend,
): void {
  const { numeric, values, groupValue } = info;
  const how = o.aggregate ?? "sum";
  let nodeColor: (v: number | string) => string;
  let groupColor: (v: number | string) => string;
  if (numeric) {
    const nodeNums: number[] = [];
    for (const [i, v] of values) if (typeof v === "number" && d.nodeGraph[i] === t.graph) nodeNums.push(v);
    const groupNums: number[] = [];
    for (const b of elements.keys()) {
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
    legend.numeric(o, rows);
  } else {
    const sc = categoricalScale([...values.values()].map(String));
    nodeColor = (v) => sc.color(String(v));
    groupColor = (v) => (v === "mixed" ? "#8c8c8c" : sc.color(String(v)));
    legend.categorical(o, sc.categories, (c) => sc.color(c));
  }
  for (const [b, e] of elements) {
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

/** Take an overlay's colours off the boxes. */
export function clearPaint(elements: Iterable<SVGGElement>): void {
  for (const e of elements) {
    e.classList.remove("oi-painted", "oi-novalue");
    const box = e.querySelector<SVGElement>(".oi-box");
    box?.style.removeProperty("fill");
    for (const tx of e.querySelectorAll<SVGElement>("text")) tx.style.removeProperty("fill");
  }
}

/** The overlay's legend (bottom right of the canvas), foldable down to its title row. */
export class Legend {
  readonly el: HTMLDivElement;
  private folded = false;

  /** onFold: the legend was folded or unfolded (the view re-fits around it) */
  constructor(private readonly onFold: () => void) {
    this.el = el("div", "oi-legend");
    this.el.hidden = true;
  }

  get shown(): boolean {
    return !this.el.hidden;
  }

  hide(): void {
    this.el.hidden = true;
  }

  /** Its size plus its distance from the canvas edges, or null when hidden (fit() keeps it clear). */
  box(): { w: number; h: number } | null {
    if (this.el.hidden) return null;
    return { w: this.el.offsetWidth + 2 * LEGEND_INSET, h: this.el.offsetHeight + 2 * LEGEND_INSET };
  }

  numeric(o: Overlay, rows: [string, number, number, boolean][]): void {
    const parts: HTMLElement[] = [this.head(`${o.label ?? "value"}${o.unit ? ` (${o.unit})` : ""}`)];
    for (const [what, min, max, log] of rows) {
      if (rows.length > 1 || log) parts.push(el("div", "oi-legend-sub", `${what}${log ? " \u00b7 log scale" : ""}`));
      const bar = el("div", "oi-legend-bar");
      bar.style.background = viridisGradient();
      const ticks = el("div", "oi-legend-ticks");
      ticks.append(el("span", "", formatNumber(min)), el("span", "", formatNumber(max)));
      parts.push(bar, ticks);
    }
    this.show(parts);
  }

  /** Legend title row, with a button that folds the legend down to that row. */
  private head(title: string): HTMLElement {
    const head = el("div", "oi-legend-head");
    const fold = button("oi-legend-toggle", this.folded ? "+" : "\u2212", this.folded ? "Show the legend" : "Fold the legend");
    fold.addEventListener("click", (ev) => {
      ev.stopPropagation();
      this.folded = !this.folded;
      this.el.classList.toggle("oi-legend-folded", this.folded);
      fold.textContent = this.folded ? "+" : "\u2212";
      fold.title = this.folded ? "Show the legend" : "Fold the legend";
      fold.setAttribute("aria-label", fold.title);
      this.onFold();
    });
    const label = el("span", "oi-legend-title", title);
    label.title = title; // the row is cut to the legend's width
    head.append(label, fold);
    return head;
  }

  private show(parts: HTMLElement[]): void {
    this.el.replaceChildren(...parts);
    this.el.classList.toggle("oi-legend-folded", this.folded);
    this.el.hidden = false;
  }

  categorical(o: Overlay, cats: string[], color: (c: string) => string): void {
    const rows: HTMLElement[] = [this.head(o.label ?? "category")];
    for (const c of cats.slice(0, LEGEND_ROWS)) {
      const row = el("div", "oi-legend-row");
      const sw = el("span", "oi-swatch");
      sw.style.background = color(c);
      row.append(sw, el("span", "oi-legend-label", c));
      rows.push(row);
    }
    if (cats.length > LEGEND_ROWS) rows.push(el("div", "oi-legend-row oi-legend-more", `+${cats.length - LEGEND_ROWS} more`));
    this.show(rows);
  }
}
