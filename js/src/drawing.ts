// Drawing pieces of the graph view: the SVG of one box, the points of an edge through the open groups'
// ports, and the smooth path through them. Pure functions of the layout and the payload.

import { type BoxContent, opCategory } from "./boxes";
import { svg } from "./dom";
import type { LayoutEngine } from "./engine";
import { type Tree, parentOfBox, portIn, portOut } from "./groups";
import { type GraphData, IO_INPUT, IO_OUTPUT } from "./payload";
import type { Placement, Rect } from "./place";

/** The SVG element of one box (a node, an io box or a collapsed group), at the origin. */
export function makeBox(d: GraphData, t: Tree, b: number, r: Rect, c: BoxContent): SVGGElement {
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
    g.setAttribute("data-io-id", d.tensorNameAt(d.ioTensor[row]));
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
function route(engine: LayoutEngine, t: Tree, p: Placement, g: number, a: number, b: number): number[] | null {
  const geo = p.level.get(g);
  const o = p.origin.get(g);
  if (!geo || !o) return null;
  const k = engine.pairIndex(t, g).get(a * (t.nItems + t.groupKey.length + 2) + b);
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
 * Absolute points of a visible edge (and whether a route is missing along it): from src's bottom out through the exit ports of the open
 * groups around it, along the route in the group where both ends meet, then in through the
 * entry ports of the open groups around dst, to dst's top.
 */
export function edgePoints(
  engine: LayoutEngine,
  t: Tree,
  p: Placement,
  src: number,
  dst: number,
  lca: number,
  cu: number,
  cv: number,
): { pts: number[]; loose: boolean } {
  const rs = p.rect.get(src) as Rect;
  const rd = p.rect.get(dst) as Rect;
  const segs: (number[] | null)[] = [];
  const OUT = portOut(t);
  const IN = portIn(t);
  for (let b = src; b !== cu; ) {
    const g = parentOfBox(t, b);
    segs.push(route(engine, t, p, g, b, OUT));
    b = t.nItems + g;
  }
  segs.push(route(engine, t, p, lca, cu, cv));
  const tail: (number[] | null)[] = [];
  for (let b = dst; b !== cv; ) {
    const g = parentOfBox(t, b);
    tail.push(route(engine, t, p, g, IN, b));
    b = t.nItems + g;
  }
  segs.push(...tail.reverse());
  const mid: number[] = [];
  const loose = segs.some((seg) => seg === null);
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
  return { pts: [...start, ...mid, ...end], loose };
}

/** Smooth path through points (a B-spline, as dagre-d3 draws edges). */
export function pathThrough(pts: number[]): string {
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
