// Grouping: the scope tree of one graph (main graph or a body) as collapsible groups, with groups
// that have too many children split into consecutive chunks so that no single layout call sees
// more than CHUNK_MAX boxes. Pure logic, no DOM.

import { type GraphData, IO_INPUT, IO_OUTPUT, timed } from "./payload";

/** Most children one group may have before it is split into consecutive chunks. */
export const CHUNK_MAX = 60;
/** Parallel siblings (same inputs) beyond this many are folded into one "+N more" group. */
export const FOLD_KEEP = 3;

export interface TreeOptions {
  /** most children per group before chunking */
  chunkMax?: number;
  /** node rows left out of the tree (parameter plumbing shown inside the boxes that read it) */
  hidden?: Int32Array | null;
  /** parallel siblings shown before the rest fold into a "+N more" group (0: never fold) */
  foldKeep?: number;
}

export interface Tree {
  graph: number;
  nItems: number;
  /** Group g has box id nItems + g; items (node rows, then io rows) are box ids 0..nItems-1. */
  groupKey: string[];
  groupLabel: string[];
  groupParent: number[];
  groupDepth: number[];
  /** child box ids, in graph order */
  groupChildren: number[][];
  /** number of nodes (not io boxes) inside, at any depth */
  groupCount: number[];
  /** true for groups made by chunking rather than by a scope */
  groupChunk: boolean[];
  /** true for "+N more" groups folding parallel siblings */
  groupFold: boolean[];
  /** box id -> group (the group that directly contains it); -1 when not in this graph */
  itemGroup: Int32Array;
  /** group key -> group index (built on first use: the first view does not need it) */
  groupIndex: Map<string, number>;
  /** edges of this graph (payload edge rows) */
  edges: Int32Array;
  /** per edge of `edges` (same position): lowest common group, and the two children of it on each side */
  edgeLca: Int32Array;
  edgeCu: Int32Array;
  edgeCv: Int32Array;
  /**
   * Every group's layout pairs with repeats, group by group: group g's are pairA/pairB[k] for
   * pairStart[g] <= k < pairStart[g + 1], in edge order. levelPairs(t, g) reads them.
   */
  pairStart: Int32Array;
  pairA: Int32Array;
  pairB: Int32Array;
  /** levelPairs results so far, per group */
  pairCache: (number[] | undefined)[];
}

/** Virtual box id of a group's entry port in its own layout. */
export function portIn(t: Tree): number {
  return t.nItems + t.groupKey.length;
}

/** Virtual box id of a group's exit port in its own layout. */
export function portOut(t: Tree): number {
  return t.nItems + t.groupKey.length + 1;
}

export function isGroupBox(t: Tree, box: number): boolean {
  return box >= t.nItems;
}

export function groupOfBox(t: Tree, box: number): number {
  return box - t.nItems;
}

export function boxOfGroup(t: Tree, g: number): number {
  return t.nItems + g;
}

/** The group containing a box (an item or a group), or -1 for the root. */
export function parentOfBox(t: Tree, box: number): number {
  return box >= t.nItems ? t.groupParent[box - t.nItems] : t.itemGroup[box];
}

function lastSegment(path: string): string {
  const i = path.lastIndexOf("/");
  return i >= 0 ? path.slice(i + 1) : path;
}

/**
 * Build the group tree of graph `graph`: scopes as groups, long rows of parallel siblings folded,
 * groups with more than chunkMax children chunked. `opts` may be a chunkMax (older callers).
 */
export function buildTree(d: GraphData, graph: number, opts: TreeOptions | number = {}): Tree {
  return timed("oi:tree", () => buildTreeNow(d, graph, opts));
}

/** The pairs group g's layout routes, flattened [a0, b0, a1, b1, ...] (see Tree.pairStart). */
export function levelPairs(t: Tree, g: number): number[] {
  const known = t.pairCache[g];
  if (known) return known;
  const out: number[] = [];
  const nBoxes = portOut(t) + 1;
  const seen = new Set<number>();
  for (let k = t.pairStart[g]; k < t.pairStart[g + 1]; k++) {
    const key = t.pairA[k] * nBoxes + t.pairB[k];
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t.pairA[k], t.pairB[k]);
  }
  t.pairCache[g] = out;
  return out;
}

/** flat[from..to) as a plain array */
function slice(flat: Int32Array, from: number, to: number): number[] {
  const out: number[] = [];
  for (let k = from; k < to; k++) out.push(flat[k]);
  return out;
}

/** Groups ordered deepest first (a counting sort: ties keep index order). */
function deepestFirst(depth: Int32Array, from: number, to: number): Int32Array {
  let maxDepth = 0;
  for (let g = from; g < to; g++) if (depth[g] > maxDepth) maxDepth = depth[g];
  const at = new Int32Array(maxDepth + 2);
  for (let g = from; g < to; g++) at[maxDepth - depth[g] + 1]++;
  for (let k = 1; k < at.length; k++) at[k] += at[k - 1];
  const out = new Int32Array(to - from);
  for (let g = from; g < to; g++) out[at[maxDepth - depth[g]]++] = g;
  return out;
}

// The build works on flat typed arrays (a 200k-node graph has ~60k groups), one small function per
// step so that each hot loop is compiled on its own early (the page runs the build once, cold): no
// per-node objects, no sort per group, no string-keyed maps. tests/tree.test.ts checks it against a
// straightforward build (tests/tree-reference.ts), which shows each step's meaning more plainly.

/** The tree's columns while it is built. */
interface Build {
  d: GraphData;
  graph: number;
  nItems: number;
  groupKey: string[];
  groupLabel: string[];
  groupParent: number[];
  groupChunk: boolean[];
  groupFold: boolean[];
  /** graph position of a group's first item (Infinity when it has none) */
  groupFirst: number[];
  groupChildren: number[][];
  itemGroup: Int32Array;
  /** graph position of each item: inputs (negative), nodes, outputs */
  order: Float64Array;
}

function addGroup(b: Build, key: string, label: string, parent: number, chunk: boolean, fold: boolean): number {
  const g = b.groupKey.length;
  b.groupKey.push(key);
  b.groupLabel.push(label);
  b.groupParent.push(parent);
  b.groupChunk.push(chunk);
  b.groupFold.push(fold);
  b.groupFirst.push(Infinity);
  return g;
}

function firstOf(b: Build, box: number): number {
  return box >= b.nItems ? b.groupFirst[box - b.nItems] : b.order[box];
}

/**
 * Scope groups, in scope row order with parents before children (the payload has one scope row per
 * (graph, path); a parent listed after its child is made first), then each item's group.
 */
function placeItems(b: Build, hidden: Int32Array | null): void {
  const d = b.d;
  const graph = b.graph;
  const scopeGroup = new Int32Array(d.scopeGraph.length).fill(-1);
  const groupOfScope = (s: number): number => {
    const known = scopeGroup[s];
    if (known >= 0) return known;
    const path = d.scopePath[s];
    let g = 0;
    if (path !== "") {
      const p = d.scopeParent[s];
      g = addGroup(b, path, lastSegment(path), p >= 0 && p !== s ? groupOfScope(p) : 0, false, false);
    }
    scopeGroup[s] = g;
    return g;
  };
  for (let s = 0; s < d.scopeGraph.length; s++) if (d.scopeGraph[s] === graph) groupOfScope(s);
  const itemGroup = b.itemGroup;
  const order = b.order;
  for (let i = 0; i < d.nNodes; i++) {
    if (d.nodeGraph[i] !== graph || (hidden && hidden[i])) continue;
    const s = d.nodeScope[i];
    itemGroup[i] = s >= 0 && d.scopeGraph[s] === graph ? groupOfScope(s) : 0;
    order[i] = i;
  }
  for (let r = 0; r < d.nIo; r++) {
    if (d.ioGraph[r] !== graph) continue;
    const item = d.nNodes + r;
    itemGroup[item] = 0;
    order[item] = d.ioKind[r] === IO_OUTPUT ? d.nNodes + r : -d.nIo + r;
  }
}

/**
 * Children lists in graph order: items visited in graph order (inputs, nodes, outputs) put
 * themselves and, the first time, each group on their way up into their parents' lists; groups
 * with no item come last, in index order. Returns each box's place in its parent's list.
 */
function childLists(b: Build): Int32Array {
  const { d, nItems, itemGroup, order, groupParent, groupFirst } = b;
  const nGroups = groupParent.length;
  const emitParent = new Int32Array(nItems + nGroups);
  const emitBox = new Int32Array(nItems + nGroups);
  let n = 0;
  const visit = (item: number): void => {
    const g = itemGroup[item];
    if (g < 0) return;
    emitParent[n] = g;
    emitBox[n++] = item;
    const at = order[item];
    for (let a = g; a > 0 && groupFirst[a] === Infinity; a = groupParent[a]) {
      groupFirst[a] = at;
      emitParent[n] = groupParent[a];
      emitBox[n++] = nItems + a;
    }
    if (groupFirst[0] === Infinity) groupFirst[0] = at;
  };
  for (let r = 0; r < d.nIo; r++) if (d.ioKind[r] !== IO_OUTPUT) visit(d.nNodes + r);
  for (let i = 0; i < d.nNodes; i++) visit(i);
  for (let r = 0; r < d.nIo; r++) if (d.ioKind[r] === IO_OUTPUT) visit(d.nNodes + r);
  for (let g = 1; g < nGroups; g++) {
    if (groupFirst[g] !== Infinity) continue;
    emitParent[n] = groupParent[g];
    emitBox[n++] = nItems + g;
  }
  // bucket by parent (stable)
  const start = new Int32Array(nGroups + 1);
  for (let k = 0; k < n; k++) start[emitParent[k] + 1]++;
  for (let g = 0; g < nGroups; g++) start[g + 1] += start[g];
  const fillAt = start.slice(0, nGroups);
  const flat = new Int32Array(n);
  const pos = new Int32Array(nItems + nGroups);
  for (let k = 0; k < n; k++) {
    const p = emitParent[k];
    const j = fillAt[p]++;
    flat[j] = emitBox[k];
    pos[emitBox[k]] = j - start[p];
  }
  for (let g = 0; g < nGroups; g++) b.groupChildren.push(slice(flat, start[g], start[g + 1]));
  return pos;
}

/**
 * A group with a single child says nothing as a frame: put the child in its place (deepest first,
 * so chains of single groups collapse; a group child takes a combined label like "encoder/layer").
 * Returns the groups merged away, in order.
 */
function mergeSingles(b: Build, pos: Int32Array): number[] {
  const { nItems, groupParent, groupChildren, groupLabel, itemGroup } = b;
  const nGroups = groupParent.length;
  const depth = new Int32Array(nGroups);
  for (let g = 1; g < nGroups; g++) depth[g] = depth[groupParent[g]] + 1; // parents come first
  const merged: number[] = [];
  for (const g of deepestFirst(depth, 1, nGroups)) {
    if (groupChildren[g].length !== 1) continue;
    const child = groupChildren[g][0];
    const p = groupParent[g];
    const at = pos[nItems + g];
    groupChildren[p][at] = child;
    pos[child] = at;
    if (child >= nItems) {
      groupParent[child - nItems] = p;
      groupLabel[child - nItems] = `${groupLabel[g]}/${groupLabel[child - nItems]}`;
    } else {
      itemGroup[child] = p;
    }
    groupChildren[g] = [];
    merged.push(g);
  }
  return merged;
}

/** Fold long rows of parallel siblings into "+N more" groups, each in its first member's place. */
function applyFolds(b: Build, keep: number): void {
  const { nItems, groupKey, groupParent, groupChildren, itemGroup } = b;
  const folds = foldSiblings(b.d, nItems, itemGroup, groupParent, groupChildren, keep);
  const stamp = new Int32Array(nItems + groupKey.length);
  const foldBox: number[] = [];
  for (let f = 0; f < folds.length; f++) {
    const { parent, members } = folds[f];
    const key = `${groupKey[parent] === "" ? "" : `${groupKey[parent]}/`}+${firstOf(b, members[0])}`;
    const fg = addGroup(b, key, `+${members.length} more`, parent, false, true);
    groupChildren.push(members);
    b.groupFirst[fg] = firstOf(b, members[0]);
    foldBox.push(nItems + fg);
    for (const m of members) {
      stamp[m] = f + 1;
      if (m >= nItems) groupParent[m - nItems] = fg;
      else itemGroup[m] = fg;
    }
    // the last fold of this parent: rebuild its list once
    if (f + 1 < folds.length && folds[f + 1].parent === parent) continue;
    const next: number[] = [];
    for (const m of groupChildren[parent]) {
      const s = stamp[m];
      if (s === 0) next.push(m);
      else if (folds[s - 1].members[0] === m) next.push(foldBox[s - 1]);
    }
    groupChildren[parent] = next;
  }
}

/** Chunk oversized groups (repeatedly, so chunk lists stay under chunkMax too). */
function applyChunks(b: Build, chunkMax: number): void {
  const { d, nItems, groupKey, groupParent, groupChildren, itemGroup } = b;
  const nUnchunked = groupKey.length;
  const isIo = (m: number) => m < nItems && m >= d.nNodes;
  const byFirst = (x: number, y: number) => firstOf(b, x) - firstOf(b, y);
  for (let g = 0; g < nUnchunked; g++) {
    const children = groupChildren[g];
    if (children.length <= chunkMax) continue;
    let keep: number[] = [];
    let rest = children;
    const ioCount = children.filter(isIo).length;
    if (ioCount <= chunkMax / 4) {
      keep = children.filter(isIo);
      rest = children.filter((m) => !isIo(m));
    }
    let level = 0;
    while (rest.length + keep.length > chunkMax) {
      const nChunks = Math.ceil(rest.length / chunkMax);
      const size = Math.ceil(rest.length / nChunks);
      const chunks: number[] = [];
      for (let c = 0; c < nChunks; c++) {
        const members = rest.slice(c * size, (c + 1) * size);
        if (members.length === 0) continue;
        const base = groupKey[g] === "" ? "" : `${groupKey[g]}/`;
        const key = `${base}\u2026${level > 0 ? `${level}.` : ""}${c + 1}`;
        const cg = addGroup(b, key, "", g, true, false);
        groupChildren.push(members);
        b.groupFirst[cg] = firstOf(b, members[0]);
        chunks.push(nItems + cg);
      }
      rest = chunks;
      level++;
    }
    groupChildren[g] = [...keep, ...rest].sort(byFirst);
  }
  // parents of everything moved into chunks
  for (let g = nUnchunked; g < groupKey.length; g++) {
    for (const m of groupChildren[g]) {
      if (m >= nItems) groupParent[m - nItems] = g;
      else itemGroup[m] = g;
    }
  }
  // chunk labels: "part k/n" among the chunks of the same parent
  const parents = new Set<number>();
  for (let g = nUnchunked; g < groupKey.length; g++) parents.add(groupParent[g]);
  for (const p of parents) {
    const chunks = groupChildren[p].filter((m) => m >= nItems && b.groupChunk[m - nItems]);
    chunks.forEach((m, k) => {
      b.groupLabel[m - nItems] = `part ${k + 1}/${chunks.length}`;
    });
  }
}

/** Every group's depth (groups merged away keep their last parent), the root's 0. */
function depths(groupParent: number[]): Int32Array {
  const nGroups = groupParent.length;
  const depth = new Int32Array(nGroups).fill(-1);
  depth[0] = 0;
  const climb: number[] = [];
  for (let g = 1; g < nGroups; g++) {
    let a = g;
    while (depth[a] < 0) {
      climb.push(a);
      a = groupParent[a];
    }
    for (let v = depth[a]; climb.length > 0; ) depth[climb.pop() as number] = ++v;
  }
  return depth;
}

/** Number of nodes inside each group, at any depth. */
function nodeCounts(b: Build, depth: Int32Array): number[] {
  const nGroups = depth.length;
  const count = new Float64Array(nGroups);
  for (let i = 0; i < b.d.nNodes; i++) if (b.itemGroup[i] >= 0) count[b.itemGroup[i]]++;
  const order = deepestFirst(depth, 1, nGroups);
  for (let k = 0; k < order.length; k++) count[b.groupParent[order[k]]] += count[order[k]];
  const out: number[] = [];
  for (let g = 0; g < nGroups; g++) out.push(count[g]);
  return out;
}

/**
 * Edges of this graph with their level, and each group's layout pairs: child -> child edges at its
 * level, and edges crossing its border as (IN, child) coming in and (child, OUT) going out. Two
 * passes over the edges (count, then fill) give the pairs grouped by group without a sort.
 */
function edgeLevels(b: Build, depth: Int32Array) {
  const { d, nItems, itemGroup, groupParent } = b;
  const nGroups = groupParent.length;
  let nEdges = 0;
  const all = new Int32Array(d.edgeSrc.length);
  for (let e = 0; e < d.edgeSrc.length; e++) {
    const s = d.edgeSrc[e];
    const t = d.edgeDst[e];
    if (itemGroup[s] >= 0 && itemGroup[t] >= 0 && s !== t) all[nEdges++] = e;
  }
  const edges = all.slice(0, nEdges);
  const edgeLca = new Int32Array(nEdges);
  const edgeCu = new Int32Array(nEdges);
  const edgeCv = new Int32Array(nEdges);
  const IN = nItems + nGroups;
  const OUT = IN + 1;
  const pairStart = new Int32Array(nGroups + 1);
  let pairA = new Int32Array(0);
  let pairB = new Int32Array(0);
  let at = pairStart;
  for (let pass = 0; pass < 2; pass++) {
    const fill = pass === 1;
    for (let k = 0; k < nEdges; k++) {
      let u = d.edgeSrc[edges[k]];
      let v = d.edgeDst[edges[k]];
      let gu = itemGroup[u];
      let gv = itemGroup[v];
      // climb the deeper side until both sit in the same group; every group left on the way
      // routes the edge to (from) its exit (entry) port
      while (gu !== gv) {
        if (depth[gu] >= depth[gv]) {
          if (fill) {
            pairA[at[gu]] = u;
            pairB[at[gu]++] = OUT;
          } else pairStart[gu + 1]++;
          u = nItems + gu;
          gu = groupParent[gu];
        } else {
          if (fill) {
            pairA[at[gv]] = IN;
            pairB[at[gv]++] = v;
          } else pairStart[gv + 1]++;
          v = nItems + gv;
          gv = groupParent[gv];
        }
      }
      if (!fill) {
        if (u !== v) pairStart[gu + 1]++;
        continue;
      }
      if (u !== v) {
        pairA[at[gu]] = u;
        pairB[at[gu]++] = v;
      }
      edgeLca[k] = gu;
      edgeCu[k] = u;
      edgeCv[k] = v;
    }
    if (!fill) {
      for (let g = 0; g < nGroups; g++) pairStart[g + 1] += pairStart[g];
      pairA = new Int32Array(pairStart[nGroups]);
      pairB = new Int32Array(pairStart[nGroups]);
      at = pairStart.slice(0, nGroups);
    }
  }
  return { edges, edgeLca, edgeCu, edgeCv, pairStart, pairA, pairB };
}

/**
 * A tree as it crosses from a worker (structured clone): all of it but the key index, and what
 * treeFromParts needs to build that index on first use.
 */
export interface TreeParts {
  tree: Omit<Tree, "groupIndex">;
  /** groups made from scopes (their keys go in the index first) */
  nScopeGroups: number;
  /** scope groups merged into their single child (their keys leave the index) */
  merged: number[];
}

/** Build the tree's parts (buildTree without the timing and the lazy key index). */
export function buildTreeParts(d: GraphData, graph: number, opts: TreeOptions | number = {}): TreeParts {
  const o: TreeOptions = typeof opts === "number" ? { chunkMax: opts } : opts;
  const nItems = d.nNodes + d.nIo;
  const b: Build = {
    d,
    graph,
    nItems,
    groupKey: [],
    groupLabel: [],
    groupParent: [],
    groupChunk: [],
    groupFold: [],
    groupFirst: [],
    groupChildren: [],
    itemGroup: new Int32Array(nItems).fill(-1),
    order: new Float64Array(nItems),
  };
  addGroup(b, "", "", -1, false, false); // the root
  placeItems(b, o.hidden ?? null);
  const nScopeGroups = b.groupKey.length;
  const merged = mergeSingles(b, childLists(b));
  const foldKeep = o.foldKeep ?? FOLD_KEEP;
  if (foldKeep > 0) applyFolds(b, foldKeep);
  applyChunks(b, o.chunkMax ?? CHUNK_MAX);
  const depth = depths(b.groupParent);
  const groupCount = nodeCounts(b, depth);
  const groupDepth: number[] = [];
  for (let g = 0; g < depth.length; g++) groupDepth.push(depth[g]);
  const tree: Omit<Tree, "groupIndex"> = {
    graph,
    nItems,
    groupKey: b.groupKey,
    groupLabel: b.groupLabel,
    groupParent: b.groupParent,
    groupDepth,
    groupChildren: b.groupChildren,
    groupCount,
    groupChunk: b.groupChunk,
    groupFold: b.groupFold,
    itemGroup: b.itemGroup,
    ...edgeLevels(b, depth),
    pairCache: [],
  };
  return { tree, nScopeGroups, merged };
}

/**
 * The tree from its parts, with key -> group built on first use as the build would have kept it:
 * every group's key set when made, merged groups' keys deleted after the scope groups were made.
 */
export function treeFromParts({ tree, nScopeGroups, merged }: TreeParts): Tree {
  const keys = tree.groupKey;
  let index: Map<string, number> | null = null;
  Object.defineProperty(tree, "groupIndex", {
    enumerable: true,
    get(): Map<string, number> {
      if (!index) {
        index = new Map();
        for (let g = 0; g < nScopeGroups; g++) index.set(keys[g], g);
        for (const g of merged) index.delete(keys[g]);
        for (let g = nScopeGroups; g < keys.length; g++) index.set(keys[g], g);
      }
      return index;
    },
  });
  return tree as Tree;
}

function buildTreeNow(d: GraphData, graph: number, opts: TreeOptions | number): Tree {
  return treeFromParts(buildTreeParts(d, graph, opts));
}

/**
 * Rows of parallel siblings: children of one group that read exactly the same boxes at their level
 * (and so sit side by side in a layout). Each row longer than keep + 1 gives one fold: all but its
 * first `keep` members. Box ids are as in buildTree (items, then nItems + group).
 */
function foldSiblings(
  d: GraphData,
  nItems: number,
  itemGroup: Int32Array,
  groupParent: number[],
  groupChildren: number[][],
  keep: number,
): { parent: number; members: number[] }[] {
  // the live groups' depths (groups merged away by the single-child pass have no children);
  // parents have lower indices than children here
  const nGroups = groupParent.length;
  const depth = new Int32Array(nGroups);
  for (let g = 1; g < nGroups; g++) depth[g] = depth[groupParent[g]] + 1;
  // only boxes in a group with more than keep + 1 children can be in a row
  const nBoxes = nItems + nGroups;
  const big = new Uint8Array(nGroups);
  for (let g = 0; g < nGroups; g++) if (groupChildren[g].length > keep + 1) big[g] = 1;
  // predecessors of each box at its own level (edges climbed to their lowest common group; an
  // edge from outside the box's group counts as one predecessor, OUTSIDE = 0), as (box, pred + 1)
  // pairs bucketed by box in two passes (count, fill)
  const OUTSIDE = 0;
  const predStart = new Int32Array(nBoxes + 1);
  let predOf = new Int32Array(0);
  let at = predStart;
  for (let pass = 0; pass < 2; pass++) {
    const fill = pass === 1;
    for (let e = 0; e < d.edgeSrc.length; e++) {
      let u = d.edgeSrc[e];
      let v = d.edgeDst[e];
      if (u === v || itemGroup[u] < 0 || itemGroup[v] < 0) continue;
      let gu = itemGroup[u];
      let gv = itemGroup[v];
      while (gu !== gv) {
        if (depth[gu] >= depth[gv]) {
          u = nItems + gu;
          gu = groupParent[gu];
        } else {
          if (big[gv]) {
            if (fill) predOf[at[v]++] = OUTSIDE;
            else predStart[v + 1]++;
          }
          v = nItems + gv;
          gv = groupParent[gv];
        }
      }
      if (u !== v && big[gv]) {
        if (fill) predOf[at[v]++] = u + 1;
        else predStart[v + 1]++;
      }
    }
    if (!fill) {
      for (let k = 0; k < nBoxes; k++) predStart[k + 1] += predStart[k];
      predOf = new Int32Array(predStart[nBoxes]);
      at = predStart.slice(0, nBoxes);
    }
  }
  // each box's predecessors sorted and distinct, in place: predEnd marks the distinct ones' end
  const predEnd = new Int32Array(nBoxes);
  for (let box = 0; box < nBoxes; box++) {
    const from = predStart[box];
    const to = predStart[box + 1];
    if (to - from > 16) {
      predOf.subarray(from, to).sort();
    } else {
      for (let k = from + 1; k < to; k++) {
        const x = predOf[k];
        let j = k - 1;
        for (; j >= from && predOf[j] > x; j--) predOf[j + 1] = predOf[j];
        predOf[j + 1] = x;
      }
    }
    let n = from;
    for (let k = from; k < to; k++) if (k === from || predOf[k] !== predOf[k - 1]) predOf[n++] = predOf[k];
    predEnd[box] = n;
  }
  // rows: a row long enough to fold has that many boxes sharing their first predecessor, so boxes
  // are first counted by it (firstCount, reset after each group) and only those in a big enough
  // bucket are keyed: by their predecessor when it is the only one (rowOf), by the list as a
  // string when there are several; a row's members are collected only when it is long enough
  const out: { parent: number; members: number[] }[] = [];
  // each box's first predecessor + 1, or 0 for a box that is in no row: graph inputs and outputs
  // stay in place, and sources have nothing to say they are parallel
  const first = new Int32Array(nBoxes);
  for (let box = 0; box < nBoxes; box++) {
    if (predEnd[box] > predStart[box] && !(box >= d.nNodes && box < nItems)) first[box] = predOf[predStart[box]] + 1;
  }
  const firstCount = new Int32Array(nBoxes + 2);
  const rowOf = new Int32Array(nBoxes + 1);
  const byList = new Map<string, number>();
  const rowCount: number[] = [];
  const rowOfChild: number[] = [];
  for (let g = 0; g < nGroups; g++) {
    if (!big[g]) continue;
    const children = groupChildren[g];
    let candidates = false;
    for (let j = 0; j < children.length; j++) {
      const f = first[children[j]];
      if (f > 0 && ++firstCount[f] > keep + 1) candidates = true;
    }
    if (candidates) {
      rowCount.length = 0;
      rowOfChild.length = 0;
      for (let j = 0; j < children.length; j++) {
        const b = children[j];
        let r = -1;
        if (first[b] > 0 && firstCount[first[b]] > keep + 1) {
          const from = predStart[b];
          if (predEnd[b] - from === 1) {
            const k = predOf[from];
            r = rowOf[k] - 1;
            if (r < 0) {
              r = rowCount.length;
              rowCount.push(0);
              rowOf[k] = r + 1;
            }
          } else {
            const key = predOf.subarray(from, predEnd[b]).join(",");
            const known = byList.get(key);
            if (known === undefined) {
              r = rowCount.length;
              rowCount.push(0);
              byList.set(key, r);
            } else {
              r = known;
            }
          }
          rowCount[r]++;
        }
        rowOfChild.push(r);
      }
      const rows: (number[] | null)[] = rowCount.map((n) => (n > keep + 1 ? [] : null));
      for (let j = 0; j < children.length; j++) if (rowOfChild[j] >= 0) rows[rowOfChild[j]]?.push(children[j]);
      for (const row of rows) if (row) out.push({ parent: g, members: row.slice(keep) });
      for (const b of children) if (first[b] > 0) rowOf[first[b] - 1] = 0;
      byList.clear();
    }
    for (const b of children) firstCount[first[b]] = 0;
  }
  return out;
}

/** Groups from a box up to (not including) the root, innermost first. */
export function ancestors(t: Tree, box: number): number[] {
  const out: number[] = [];
  for (let g = parentOfBox(t, box); g > 0; g = t.groupParent[g]) out.push(g);
  return out;
}

/** Input io rows first in the sort order: used by callers that need the kind of an io item. */
export function ioKindOf(d: GraphData, item: number): number {
  return item >= d.nNodes ? d.ioKind[item - d.nNodes] : -1;
}

export { IO_INPUT };
