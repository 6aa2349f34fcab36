// Placement: combine the cached per-group layouts (children at collapsed size) into absolute
// positions for the current expanded set. An expanded child grows in place and the rest of its
// level "stretches" to make room: boxes right of its centre move right by the extra width, boxes
// below it move down by the extra height. This keeps every other box's relative position (the
// picture stays stable while exploring), never makes boxes overlap, and costs O(boxes) instead of
// a new layout call per ancestor. Pure logic, no DOM.

import type { LayoutResult } from "./layout";
import type { Tree } from "./groups";

export const FRAME_PAD = 14;
export const FRAME_HEADER = 24;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LevelGeometry {
  x: number[];
  y: number[];
  w: number[];
  h: number[];
  points: number[][];
  width: number;
  height: number;
}

export interface Placement {
  /** absolute rectangles of visible boxes and of frames (group box ids) */
  rect: Map<number, Rect>;
  /** absolute content origin of each open group (root included) */
  origin: Map<number, { x: number; y: number }>;
  /** per open group: geometry after stretching, coordinates relative to its content origin */
  level: Map<number, LevelGeometry>;
  width: number;
  height: number;
}

/**
 * Grow box `i` of a level to (W, H) in place, moving the others so nothing overlaps. The box grows
 * equally to both sides and downwards. Boxes entirely right (left) of its old extent move right
 * (left) by half the extra width; boxes that share its column do not move sideways (so a chain
 * stays straight); boxes starting below its old bottom move down by the extra height. Each move is
 * a monotone shift in x and in y, so boxes that did not overlap before do not overlap after.
 */
export function stretch(geo: LevelGeometry, i: number, W: number, H: number): void {
  const dw = Math.max(0, W - geo.w[i]);
  const dh = Math.max(0, H - geo.h[i]);
  const half = dw / 2;
  const left = geo.x[i];
  const right = geo.x[i] + geo.w[i];
  const bottom = geo.y[i] + geo.h[i];
  const eps = 0.5;
  if (dw > 0 || dh > 0) {
    for (let j = 0; j < geo.x.length; j++) {
      if (j === i) continue;
      if (geo.x[j] >= right - eps) geo.x[j] += half;
      else if (geo.x[j] + geo.w[j] <= left + eps) geo.x[j] -= half;
      if (geo.y[j] >= bottom - eps) geo.y[j] += dh;
    }
    for (const pts of geo.points) {
      for (let k = 0; k < pts.length; k += 2) {
        if (pts[k] >= right - eps) pts[k] += half;
        else if (pts[k] <= left + eps) pts[k] -= half;
        if (pts[k + 1] >= bottom - eps) pts[k + 1] += dh;
      }
    }
  }
  geo.x[i] -= half;
  geo.w[i] = Math.max(W, geo.w[i]);
  geo.h[i] = Math.max(H, geo.h[i]);
}

/** Move the level so its content starts at (0, 0), and record its size. */
function normalise(geo: LevelGeometry): void {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let j = 0; j < geo.x.length; j++) {
    minX = Math.min(minX, geo.x[j]);
    minY = Math.min(minY, geo.y[j]);
    maxX = Math.max(maxX, geo.x[j] + geo.w[j]);
    maxY = Math.max(maxY, geo.y[j] + geo.h[j]);
  }
  if (geo.x.length === 0) {
    minX = minY = maxX = maxY = 0;
  }
  for (let j = 0; j < geo.x.length; j++) {
    geo.x[j] -= minX;
    geo.y[j] -= minY;
  }
  for (const pts of geo.points) {
    for (let k = 0; k < pts.length; k += 2) {
      pts[k] -= minX;
      pts[k + 1] -= minY;
    }
  }
  geo.width = maxX - minX;
  geo.height = maxY - minY;
}

/**
 * Place every open group. `base(g)` is the cached layout of group g's children at collapsed sizes
 * (positions follow t.groupChildren[g]); every open group must have one.
 */
export function place(
  t: Tree,
  expanded: ReadonlySet<number>,
  base: (g: number) => LayoutResult,
  minFrameWidth: (g: number) => number = () => 0,
): Placement {
  const level = new Map<number, LevelGeometry>();
  const sizeOf = (g: number): LevelGeometry => {
    const b = base(g);
    const ch = t.groupChildren[g];
    // entries past the children are the group's entry/exit ports (see groups.ts levelPairs)
    const geo: LevelGeometry = {
      x: b.x.slice(),
      y: b.y.slice(),
      w: b.w.slice(),
      h: b.h.slice(),
      points: b.points.map((p) => p.slice()),
      width: b.width,
      height: b.height,
    };
    const open: number[] = [];
    for (let j = 0; j < ch.length; j++) {
      if (ch[j] >= t.nItems && expanded.has(ch[j] - t.nItems)) open.push(j);
    }
    open.sort((a, c) => geo.y[a] - geo.y[c] || geo.x[a] - geo.x[c]);
    for (const j of open) {
      const cg = ch[j] - t.nItems;
      const inner = sizeOf(cg);
      const W = Math.max(inner.width + 2 * FRAME_PAD, minFrameWidth(cg));
      const H = inner.height + FRAME_HEADER + FRAME_PAD;
      stretch(geo, j, W, H);
    }
    normalise(geo);
    level.set(g, geo);
    return geo;
  };
  const root = sizeOf(0);

  const rect = new Map<number, Rect>();
  const origin = new Map<number, { x: number; y: number }>();
  const walk = (g: number, ox: number, oy: number): void => {
    origin.set(g, { x: ox, y: oy });
    const geo = level.get(g) as LevelGeometry;
    const ch = t.groupChildren[g];
    for (let j = 0; j < ch.length; j++) {
      const r = { x: ox + geo.x[j], y: oy + geo.y[j], w: geo.w[j], h: geo.h[j] };
      rect.set(ch[j], r);
      if (ch[j] >= t.nItems && expanded.has(ch[j] - t.nItems)) {
        walk(ch[j] - t.nItems, r.x + FRAME_PAD, r.y + FRAME_HEADER);
      }
    }
  };
  walk(0, 0, 0);
  return { rect, origin, level, width: root.width, height: root.height };
}

/**
 * Where to fit a graph of size (gw, gh) in a W x H view whose bottom-right corner holds a box of
 * size `obstacle` (the legend): the whole view when there is none, else the strip left of it or
 * the strip above it, whichever lets the graph be drawn larger. Regions start at the top left.
 */
export function fitRegion(
  W: number,
  H: number,
  obstacle: { w: number; h: number } | null,
  gw: number,
  gh: number,
  margin: number,
): { w: number; h: number } {
  if (!obstacle || obstacle.w <= 0 || obstacle.h <= 0) return { w: W, h: H };
  const scale = (r: { w: number; h: number }) => Math.min((r.w - 2 * margin) / Math.max(1, gw), (r.h - 2 * margin) / Math.max(1, gh));
  const beside = { w: W - obstacle.w, h: H };
  const above = { w: W, h: H - obstacle.h };
  const ok = [beside, above].filter((r) => r.w > 2 * margin + 40 && r.h > 2 * margin + 40);
  if (ok.length === 0) return { w: W, h: H };
  return ok.reduce((a, b) => (scale(b) > scale(a) ? b : a));
}
