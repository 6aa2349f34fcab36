// Visible-graph computation: which boxes, frames and edges show for a given set of expanded
// groups. Edges between items hidden inside collapsed groups are aggregated onto the groups.
// Pure logic, no DOM.

import type { GraphData } from "./payload";
import type { Tree } from "./groups";

export interface VisibleEdge {
  /** visible box ids (items or collapsed groups) */
  src: number;
  dst: number;
  /** payload edge rows aggregated here */
  rows: number[];
  /** group whose layout routes this edge, and its two children on the path */
  lca: number;
  cu: number;
  cv: number;
}

export interface Visible {
  /** boxes drawn as leaves: items and collapsed groups */
  boxes: number[];
  /** expanded non-root groups, drawn as frames around their children */
  frames: number[];
  edges: VisibleEdge[];
}

/** The box that stands for `box` given the expanded set: its outermost collapsed ancestor, or itself. */
export function representative(t: Tree, box: number, expanded: ReadonlySet<number>): number {
  let rep = box;
  let g = box >= t.nItems ? t.groupParent[box - t.nItems] : t.itemGroup[box];
  while (g > 0) {
    if (!expanded.has(g)) rep = t.nItems + g;
    g = t.groupParent[g];
  }
  return rep;
}

/** Compute visible boxes, frames and aggregated edges. The root group (0) is always open. */
export function computeVisible(t: Tree, d: GraphData, expanded: ReadonlySet<number>): Visible {
  const boxes: number[] = [];
  const frames: number[] = [];
  const stack = [0];
  while (stack.length > 0) {
    const g = stack.pop() as number;
    for (const b of t.groupChildren[g]) {
      if (b >= t.nItems && expanded.has(b - t.nItems)) {
        frames.push(b - t.nItems);
        stack.push(b - t.nItems);
      } else {
        boxes.push(b);
      }
    }
  }
  // representative of every item, in one pass down the tree: items inside a collapsed group are
  // drawn as that group (its outermost collapsed ancestor), the others as themselves
  const rep = new Int32Array(t.nItems).fill(-1);
  // (group, stand-in) pairs to visit, flattened: no object per group (a big graph has ~60k)
  const walk: number[] = [0, -1];
  while (walk.length > 0) {
    const standIn = walk.pop() as number;
    const g = walk.pop() as number;
    for (const b of t.groupChildren[g]) {
      if (b >= t.nItems) {
        const open = standIn < 0 && expanded.has(b - t.nItems);
        walk.push(b - t.nItems, open ? -1 : standIn >= 0 ? standIn : b);
      } else {
        rep[b] = standIn >= 0 ? standIn : b;
      }
    }
  }
  const byPair = new Map<number, Map<number, VisibleEdge>>();
  const edges: VisibleEdge[] = [];
  for (let k = 0; k < t.edges.length; k++) {
    const s = rep[d.edgeSrc[t.edges[k]]];
    const v = rep[d.edgeDst[t.edges[k]]];
    if (s === v) continue;
    let m = byPair.get(s);
    if (!m) {
      m = new Map();
      byPair.set(s, m);
    }
    let ve = m.get(v);
    if (!ve) {
      ve = { src: s, dst: v, rows: [], lca: t.edgeLca[k], cu: t.edgeCu[k], cv: t.edgeCv[k] };
      m.set(v, ve);
      edges.push(ve);
    }
    ve.rows.push(t.edges[k]);
  }
  return { boxes, frames, edges };
}

/** Number of boxes shown if group g is expanded (its children replace it). */
function childCount(t: Tree, g: number): number {
  return t.groupChildren[g].length;
}

/**
 * The initial set of expanded groups: whole depth levels are opened while the number of visible
 * boxes stays within `budget`; at the first level that does not fit whole, its groups are opened
 * in graph order while they fit (so the start of the model shows its real nodes), and a group
 * that is the only child of its parent is always opened.
 */
export function initialExpanded(t: Tree, budget: number): Set<number> {
  const expanded = new Set<number>([0]);
  let frontier = [0];
  let visible = childCount(t, 0);
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const g of frontier) {
      // a "+N more" fold stays folded: it exists to keep the first view narrow
      for (const b of t.groupChildren[g]) if (b >= t.nItems && !t.groupFold?.[b - t.nItems]) next.push(b - t.nItems);
    }
    if (next.length === 0) break;
    let delta = 0;
    for (const g of next) delta += childCount(t, g) - 1;
    if (visible + delta <= budget) {
      for (const g of next) expanded.add(g);
      visible += delta;
      frontier = next;
      continue;
    }
    const opened: number[] = [];
    for (const g of next) {
      const extra = childCount(t, g) - 1;
      const only = t.groupChildren[t.groupParent[g]].length === 1;
      if (visible + extra <= budget || (only && visible + extra <= budget * 2)) {
        expanded.add(g);
        visible += extra;
        opened.push(g);
      } else if (!only) {
        break;
      }
    }
    if (opened.length === next.length) {
      frontier = next;
      continue;
    }
    // stop descending once a level is only partly open
    break;
  }
  return expanded;
}

/** Expand every ancestor of `box` so that it becomes visible; returns true when something changed. */
export function reveal(t: Tree, box: number, expanded: Set<number>): boolean {
  let changed = false;
  let g = box >= t.nItems ? t.groupParent[box - t.nItems] : t.itemGroup[box];
  while (g > 0) {
    if (!expanded.has(g)) {
      expanded.add(g);
      changed = true;
    }
    g = t.groupParent[g];
  }
  return changed;
}

/** Collapse group g and every group inside it. */
export function collapse(t: Tree, g: number, expanded: Set<number>): void {
  const stack = [g];
  while (stack.length > 0) {
    const x = stack.pop() as number;
    expanded.delete(x);
    for (const b of t.groupChildren[x]) if (b >= t.nItems) stack.push(b - t.nItems);
  }
}
