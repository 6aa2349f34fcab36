// The first view (and Fit): which part of the graph to show, at which scale. The whole graph when
// it is legible at once; otherwise, like Netron, scale 1 on the graph's entry (its inputs and what
// follows), moved sideways only as far as needed to show enough whole boxes, never past the graph's
// edges (no blank area). Pure logic, no DOM.

import type { Rect } from "./place";

/** Node titles are 11 px: at this scale or more they render at >= 10 px. */
export const LEGIBLE_K = 0.92;
/** Scale of the entry view when the whole graph cannot be legible (text at its CSS size). */
export const ENTRY_K = 1;
/** The first view should show at least this many whole boxes. */
export const MIN_BOXES = 6;

export interface ViewChoice {
  k: number;
  tx: number;
  ty: number;
  /** true when the whole graph is on screen */
  whole: boolean;
}

export interface ViewInput {
  /** the boxes that can be counted (visible items, collapsed groups, frame headers) */
  boxes: Rect[];
  /** the graph's entry boxes (inputs, or the first boxes when there are none) */
  entry: Rect[];
  /** the boxes that read the entry (shown instead when the entry sits apart from them) */
  next?: Rect[];
  /** size of the laid-out graph */
  width: number;
  height: number;
  /** the region to fill (the canvas, less a legend) */
  W: number;
  H: number;
  margin?: number;
  /** parts of the canvas covered by other things (minimap): boxes under them do not count */
  blocked?: Rect[];
}

/** Boxes fully inside the W x H view under transform (k, tx, ty), not under a blocked rect. */
export function countInside(boxes: Rect[], k: number, tx: number, ty: number, W: number, H: number, blocked: Rect[] = []): number {
  let n = 0;
  for (const r of boxes) {
    const x = r.x * k + tx;
    const y = r.y * k + ty;
    const w = r.w * k;
    const h = r.h * k;
    if (x < 0 || y < 0 || x + w > W || y + h > H) continue;
    if (blocked.some((b) => x < b.x + b.w && x + w > b.x && y < b.y + b.h && y + h > b.y)) continue;
    n++;
  }
  return n;
}

/** Keep a translation within the graph's extent: centred when it fits, else no blank beyond a margin. */
function clampAxis(t: number, size: number, view: number, m: number, top: boolean): number {
  if (size + 2 * m <= view) return top ? m : (view - size) / 2;
  return Math.min(m, Math.max(view - m - size, t));
}

/** Choose the first view. */
export function chooseView(v: ViewInput): ViewChoice {
  const m = v.margin ?? 24;
  const { W, H } = v;
  const gw = Math.max(1, v.width);
  const gh = Math.max(1, v.height);
  const fitK = Math.min(1, (W - 2 * m) / gw, (H - 2 * m) / gh);
  if (fitK >= LEGIBLE_K || W <= 0 || H <= 0) {
    const k = Math.max(0.05, fitK);
    return { k, tx: (W - gw * k) / 2, ty: (H - gh * k) / 2, whole: true };
  }
  // on the entry at scale 1 where that shows enough, else at the smallest legible scale; only then
  // moved away from the entry to where more boxes are
  let best: { view: ViewChoice; n: number; need: number } | null = null;
  // the first readers of the entry, a little below their top so the frames around them show
  const next = (v.next ?? []).slice().sort((a, b) => a.y - b.y || a.x - b.x);
  const byReaders = next.length ? { ...v, entry: [{ ...next[0], y: Math.max(0, next[0].y - 60) }] } : null;
  const onEntry: [ViewInput, number, boolean][] = [
    [v, ENTRY_K, false],
    [v, LEGIBLE_K, false],
  ];
  const onReaders: [ViewInput, number, boolean][] = byReaders
    ? [
        [byReaders, ENTRY_K, false],
        [byReaders, LEGIBLE_K, false],
      ]
    : [];
  // the entry's first reader out of the view on the entry (the layout put it far to a side): what
  // follows the entry is what a reader wants, so start there
  const e0 = entryView(v, ENTRY_K, m, false).view;
  const readerAside = next.length > 0 && countInside([next[0]], e0.k, e0.tx, e0.ty, W, H) === 0;
  // (and when that shows too little, moved sideways from the readers rather than from the entry)
  const nearReaders: [ViewInput, number, boolean][] =
    readerAside && byReaders
      ? [
          [byReaders, ENTRY_K, true],
          [byReaders, LEGIBLE_K, true],
        ]
      : [];
  const tries: [ViewInput, number, boolean][] = [
    ...(readerAside ? [...onReaders, ...nearReaders, ...onEntry] : [...onEntry, ...onReaders]),
    [v, ENTRY_K, true],
    [v, LEGIBLE_K, true],
  ];
  for (const [input, k, move] of tries) {
    const c = entryView(input, k, m, move);
    if (c.n >= c.need) return c.view;
    if (!best || c.n > best.n) best = c;
  }
  return (best as { view: ViewChoice }).view;
}

/** The view at scale k on the graph's entry, moved to show at least `need` boxes where it can. */
function entryView(v: ViewInput, k: number, m: number, move: boolean): { view: ViewChoice; n: number; need: number } {
  const { W, H } = v;
  const gw = Math.max(1, v.width);
  const gh = Math.max(1, v.height);
  const blocked = v.blocked ?? [];
  const at = (cx: number, top: number): ViewChoice => {
    const tx = clampAxis(W / 2 - cx * k, gw * k, W, m, false);
    const ty = clampAxis(m - top * k, gh * k, H, m, true);
    return { k, tx, ty, whole: false };
  };
  // the entry: the inputs' centre when they share a row (as Netron does), else the first input
  const entry = v.entry.length ? v.entry : v.boxes.slice(0, 1);
  let cx = gw / 2;
  let top = 0;
  if (entry.length) {
    // several inputs are centred together only when they fit in the view side by side
    const span = Math.max(...entry.map((r) => r.x + r.w)) - Math.min(...entry.map((r) => r.x));
    const sameRow = entry.every((r) => Math.abs(r.y - entry[0].y) < 1) && span * k <= W - 2 * m;
    const xs = sameRow ? entry.map((r) => r.x + r.w / 2) : [entry[0].x + entry[0].w / 2];
    cx = xs.reduce((a, b) => a + b, 0) / xs.length;
    top = Math.min(...entry.map((r) => r.y));
  }
  const first = at(cx, top);
  const need = Math.min(MIN_BOXES, v.boxes.length);
  const n0 = countInside(v.boxes, k, first.tx, first.ty, W, H, blocked);
  if (n0 >= need || !move) return { view: first, n: n0, need };
  // not enough on screen around the entry (a lone input beside a wide graph): try centring each box
  // near the top, and keep the view showing the most boxes, nearest the entry on ties
  let best = first;
  let bestN = -1;
  let bestD = Infinity;
  // rows from the entry's down (not above it: that is away from what follows the entry)
  const tops = [top, ...v.boxes.map((r) => r.y).filter((y) => y >= top)]
    .sort((a, b) => a - b)
    .filter((y, j, a) => j === 0 || y - a[j - 1] > 1);
  const cands = v.boxes.length > 400 ? v.boxes.filter((_, j) => j % Math.ceil(v.boxes.length / 400) === 0) : v.boxes;
  for (const y0 of tops.slice(0, 12)) {
    for (const r of [{ x: cx, y: top, w: 0, h: 0 }, ...cands]) {
      const c = at(r.x + r.w / 2, y0);
      const n = countInside(v.boxes, k, c.tx, c.ty, W, H, blocked);
      const dist = Math.abs(c.tx - first.tx) + Math.abs(c.ty - first.ty);
      if (Math.min(n, need) > Math.min(bestN, need) || (Math.min(n, need) === Math.min(bestN, need) && dist < bestD)) {
        best = c;
        bestN = n;
        bestD = dist;
      }
    }
    if (bestN >= need) break;
  }
  return { view: best, n: bestN, need };
}
