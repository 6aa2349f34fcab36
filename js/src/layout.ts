// One layout call: a single group's children (at their collapsed sizes) laid out by dagre.
// Used both inside the Web Worker and, as a fallback, on the main thread.

import dagre from "@dagrejs/dagre";

export interface LayoutJob {
  key: string;
  w: number[];
  h: number[];
  /** edges as positions into w/h: src[k] -> dst[k] */
  src: number[];
  dst: number[];
  /** position in the group's pair list of each edge above (default: the same position) */
  pair?: number[];
  /** length of the group's pair list (default: number of edges) */
  nPairs?: number;
}

export interface LayoutResult {
  key: string;
  /** top-left corners, content origin at (0, 0) */
  x: number[];
  y: number[];
  /** sizes given to the layout, echoed back */
  w: number[];
  h: number[];
  width: number;
  height: number;
  /** per edge, flattened [x0, y0, x1, y1, ...] */
  points: number[][];
}

export const LAYOUT_OPTIONS = { rankdir: "TB", nodesep: 24, ranksep: 30, edgesep: 12, marginx: 0, marginy: 0 };

export function runLayout(job: LayoutJob): LayoutResult {
  const n = job.w.length;
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ ...LAYOUT_OPTIONS });
  g.setDefaultEdgeLabel(() => ({}));
  for (let i = 0; i < n; i++) g.setNode(String(i), { width: job.w[i], height: job.h[i] });
  for (let k = 0; k < job.src.length; k++) {
    if (job.src[k] !== job.dst[k]) g.setEdge(String(job.src[k]), String(job.dst[k]));
  }
  if (n > 0) dagre.layout(g);
  const x: number[] = new Array(n);
  const y: number[] = new Array(n);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const nd = g.node(String(i)) as { x: number; y: number };
    x[i] = nd.x - job.w[i] / 2;
    y[i] = nd.y - job.h[i] / 2;
    minX = Math.min(minX, x[i]);
    minY = Math.min(minY, y[i]);
    maxX = Math.max(maxX, x[i] + job.w[i]);
    maxY = Math.max(maxY, y[i] + job.h[i]);
  }
  const points: number[][] = [];
  for (let k = 0; k < (job.nPairs ?? job.src.length); k++) points.push([]);
  for (let k = 0; k < job.src.length; k++) {
    const e = job.src[k] !== job.dst[k] ? g.edge(String(job.src[k]), String(job.dst[k])) : undefined;
    const flat: number[] = [];
    for (const p of (e?.points as { x: number; y: number }[] | undefined) ?? []) {
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) flat.push(p.x, p.y);
    }
    points[job.pair ? job.pair[k] : k] = flat;
  }
  if (n === 0) {
    minX = minY = maxX = maxY = 0;
  }
  // move the content origin to (0, 0)
  for (let i = 0; i < n; i++) {
    x[i] -= minX;
    y[i] -= minY;
  }
  for (const flat of points) {
    for (let j = 0; j < flat.length; j += 2) {
      flat[j] -= minX;
      flat[j + 1] -= minY;
    }
  }
  return { key: job.key, x, y, w: job.w.slice(), h: job.h.slice(), width: maxX - minX, height: maxY - minY, points };
}
