// The group tree built the straightforward way (per-node objects, string-keyed maps, a sort per
// group): the reference that tests/tree.test.ts compares src/groups.ts's buildTree with. It is the
// build groups.ts had before issue 15 made it array-based, kept verbatim in behaviour.

import { CHUNK_MAX, FOLD_KEEP, type TreeOptions } from "../src/groups";
import { type GraphData, IO_OUTPUT } from "../src/payload";

/** What the reference build returns: the tree's columns, with every level's pairs built eagerly. */
export interface RefTree {
  graph: number;
  nItems: number;
  groupKey: string[];
  groupLabel: string[];
  groupParent: number[];
  groupDepth: number[];
  groupChildren: number[][];
  groupCount: number[];
  groupChunk: boolean[];
  groupFold: boolean[];
  itemGroup: Int32Array;
  groupIndex: Map<string, number>;
  edges: number[];
  edgeLca: Int32Array;
  edgeCu: Int32Array;
  edgeCv: Int32Array;
  levelPairs: number[][];
}

function lastSegment(path: string): string {
  const i = path.lastIndexOf("/");
  return i >= 0 ? path.slice(i + 1) : path;
}

export function referenceTree(d: GraphData, graph: number, opts: TreeOptions | number = {}): RefTree {
  const o: TreeOptions = typeof opts === "number" ? { chunkMax: opts } : opts;
  const chunkMax = o.chunkMax ?? CHUNK_MAX;
  const hidden = o.hidden ?? null;
  const foldKeep = o.foldKeep ?? FOLD_KEEP;
  const nItems = d.nNodes + d.nIo;
  const groupKey: string[] = [];
  const groupLabel: string[] = [];
  const groupParent: number[] = [];
  const groupChunk: boolean[] = [];
  const groupIndex = new Map<string, number>();
  const scopeToGroup = new Map<number, number>();

  const addGroup = (key: string, label: string, parent: number, chunk: boolean): number => {
    const g = groupKey.length;
    groupKey.push(key);
    groupLabel.push(label);
    groupParent.push(parent);
    groupChunk.push(chunk);
    groupIndex.set(key, g);
    return g;
  };
  // root group of this graph
  const root = addGroup("", "", -1, false);

  // scopes of this graph; parents may be listed after children, so resolve recursively
  const scopeRowsByPath = new Map<string, number>();
  for (let s = 0; s < d.scopeGraph.length; s++) {
    if (d.scopeGraph[s] === graph) scopeRowsByPath.set(d.scopePath[s], s);
  }
  const groupOfScope = (s: number): number => {
    const known = scopeToGroup.get(s);
    if (known !== undefined) return known;
    const path = d.scopePath[s];
    if (path === "") {
      scopeToGroup.set(s, root);
      return root;
    }
    const p = d.scopeParent[s];
    const parentGroup = p >= 0 && p !== s ? groupOfScope(p) : root;
    const g = addGroup(path, lastSegment(path), parentGroup, false);
    scopeToGroup.set(s, g);
    return g;
  };
  for (const s of scopeRowsByPath.values()) groupOfScope(s);

  const itemGroup = new Int32Array(nItems).fill(-1);
  const order = new Float64Array(nItems);
  for (let i = 0; i < d.nNodes; i++) {
    if (d.nodeGraph[i] !== graph || (hidden && hidden[i])) continue;
    const s = d.nodeScope[i];
    itemGroup[i] = s >= 0 && d.scopeGraph[s] === graph ? groupOfScope(s) : root;
    order[i] = i;
  }
  for (let r = 0; r < d.nIo; r++) {
    if (d.ioGraph[r] !== graph) continue;
    const item = d.nNodes + r;
    itemGroup[item] = root;
    order[item] = d.ioKind[r] === IO_OUTPUT ? d.nNodes + r : -d.nIo + r;
  }

  // children lists
  const groupChildren: number[][] = groupKey.map(() => []);
  const groupFirst: number[] = groupKey.map(() => Infinity);
  for (let item = 0; item < nItems; item++) {
    const g = itemGroup[item];
    if (g < 0) continue;
    groupChildren[g].push(item);
    // propagate first-position upwards for ordering groups among their siblings
    for (let a = g; a >= 0 && groupFirst[a] > order[item]; a = groupParent[a]) groupFirst[a] = order[item];
  }
  for (let g = 1; g < groupKey.length; g++) groupChildren[groupParent[g]].push(nItems + g);
  const firstOf = (box: number): number => (box >= nItems ? groupFirst[box - nItems] : order[box]);
  for (const ch of groupChildren) ch.sort((a, b) => firstOf(a) - firstOf(b));

  // a group with a single child says nothing as a frame: put the child in its place (bottom-up,
  // so chains of single groups collapse; a group child takes a combined label like "encoder/layer")
  const scopeDepth = (g: number): number => {
    let k = 0;
    for (let a = g; a > 0; a = groupParent[a]) k++;
    return k;
  };
  const byDepth = groupKey.map((_, g) => g).filter((g) => g !== root);
  const depthMemo = byDepth.map(scopeDepth);
  const order2 = byDepth.map((g, k) => [g, depthMemo[k]]).sort((a, b) => b[1] - a[1]);
  for (const [g] of order2) {
    if (groupChildren[g].length !== 1) continue;
    const child = groupChildren[g][0];
    const p = groupParent[g];
    const siblings = groupChildren[p];
    siblings[siblings.indexOf(nItems + g)] = child;
    if (child >= nItems) {
      groupParent[child - nItems] = p;
      groupLabel[child - nItems] = `${groupLabel[g]}/${groupLabel[child - nItems]}`;
    } else {
      itemGroup[child] = p;
    }
    groupChildren[g] = [];
    groupIndex.delete(groupKey[g]);
  }

  // fold long rows of parallel siblings (same inputs at their level) into a "+N more" group
  const groupFold: boolean[] = groupKey.map(() => false);
  if (foldKeep > 0) {
    const folds = foldSiblings(d, nItems, itemGroup, groupParent, groupChildren, foldKeep);
    for (const { parent, members } of folds) {
      const key = `${groupKey[parent] === "" ? "" : `${groupKey[parent]}/`}+${firstOf(members[0])}`;
      const fg = addGroup(key, `+${members.length} more`, parent, false);
      groupFold.push(true);
      groupChildren.push(members);
      groupFirst.push(firstOf(members[0]));
      const gone = new Set(members);
      groupChildren[parent] = groupChildren[parent].filter((b) => !gone.has(b));
      groupChildren[parent].push(nItems + fg);
      groupChildren[parent].sort((a, b) => firstOf(a) - firstOf(b));
      for (const b of members) {
        if (b >= nItems) groupParent[b - nItems] = fg;
        else itemGroup[b] = fg;
      }
    }
  }

  // chunk oversized groups (repeatedly, so chunk lists stay under chunkMax too)
  const nScopeGroups = groupKey.length;
  for (let g = 0; g < nScopeGroups; g++) {
    let children = groupChildren[g];
    if (children.length <= chunkMax) continue;
    const isIo = (b: number) => b < nItems && b >= d.nNodes;
    let keep: number[] = [];
    let rest = children;
    const ioCount = children.filter(isIo).length;
    if (ioCount <= chunkMax / 4) {
      keep = children.filter(isIo);
      rest = children.filter((b) => !isIo(b));
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
        const cg = addGroup(key, "", g, true);
        groupFold.push(false);
        groupChildren.push(members);
        groupFirst.push(firstOf(members[0]));
        chunks.push(nItems + cg);
      }
      rest = chunks;
      level++;
    }
    children = [...keep, ...rest].sort((a, b) => firstOf(a) - firstOf(b));
    groupChildren[g] = children;
  }
  // parents of everything moved into chunks
  for (let g = 0; g < groupKey.length; g++) {
    for (const b of groupChildren[g]) {
      if (b >= nItems) groupParent[b - nItems] = g;
      else itemGroup[b] = g;
    }
  }

  // depths and node counts
  const nGroups = groupKey.length;
  const groupDepth: number[] = new Array(nGroups).fill(0);
  const groupCount: number[] = new Array(nGroups).fill(0);
  const depthOf = (g: number): number => {
    if (g === root) return 0;
    if (groupDepth[g] > 0) return groupDepth[g];
    groupDepth[g] = depthOf(groupParent[g]) + 1;
    return groupDepth[g];
  };
  for (let g = 0; g < nGroups; g++) depthOf(g);
  for (let i = 0; i < d.nNodes; i++) {
    for (let g = itemGroup[i]; g >= 0; g = groupParent[g]) groupCount[g]++;
  }
  // chunk labels: "part k/n" among the chunks of the same parent
  for (let g = 0; g < nGroups; g++) {
    const chunks = groupChildren[g].filter((b) => b >= nItems && groupChunk[b - nItems]);
    chunks.forEach((b, k) => {
      groupLabel[b - nItems] = `part ${k + 1}/${chunks.length}`;
    });
  }

  // edges of this graph with their level
  const edges: number[] = [];
  for (let e = 0; e < d.edgeSrc.length; e++) {
    const s = d.edgeSrc[e];
    const t = d.edgeDst[e];
    if (itemGroup[s] >= 0 && itemGroup[t] >= 0 && s !== t) edges.push(e);
  }
  const edgeLca = new Int32Array(edges.length);
  const edgeCu = new Int32Array(edges.length);
  const edgeCv = new Int32Array(edges.length);
  const levelPairs: number[][] = [];
  for (let g = 0; g < nGroups; g++) levelPairs.push([]);
  const IN = nItems + nGroups;
  const OUT = IN + 1;
  // A pair (a, b) belongs to one group only (the parent of its non-port end), so pairs are
  // deduplicated for all groups at once: port pairs by a flag per box, the rest by one set of
  // a * nBoxes + b keys (exact in a double).
  const nBoxes = OUT + 1;
  const toOut = new Uint8Array(nBoxes);
  const fromIn = new Uint8Array(nBoxes);
  const seen = new Set<number>();
  const addPair = (g: number, a: number, b: number): void => {
    if (b === OUT) {
      if (toOut[a]) return;
      toOut[a] = 1;
    } else if (a === IN) {
      if (fromIn[b]) return;
      fromIn[b] = 1;
    } else {
      const key = a * nBoxes + b;
      if (seen.has(key)) return;
      seen.add(key);
    }
    levelPairs[g].push(a, b);
  };
  for (let k = 0; k < edges.length; k++) {
    let u = d.edgeSrc[edges[k]];
    let v = d.edgeDst[edges[k]];
    let gu = itemGroup[u];
    let gv = itemGroup[v];
    // climb the deeper side until both sit in the same group; every group left on the way
    // routes the edge to (from) its exit (entry) port
    while (gu !== gv) {
      if (groupDepth[gu] >= groupDepth[gv]) {
        addPair(gu, u, OUT);
        u = nItems + gu;
        gu = groupParent[gu];
      } else {
        addPair(gv, IN, v);
        v = nItems + gv;
        gv = groupParent[gv];
      }
    }
    edgeLca[k] = gu;
    edgeCu[k] = u;
    edgeCv[k] = v;
    if (u !== v) addPair(gu, u, v);
  }

  return {
    graph,
    nItems,
    groupKey,
    groupLabel,
    groupParent,
    groupDepth,
    groupChildren,
    groupCount,
    groupChunk,
    groupFold,
    itemGroup,
    groupIndex,
    edges,
    edgeLca,
    edgeCu,
    edgeCv,
    levelPairs,
  };
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
  // the live groups' depths (groups merged away by the single-child pass have no children)
  const depth = new Int32Array(groupParent.length).fill(-1);
  const depthOf = (g: number): number => {
    if (g <= 0) return 0;
    let v = depth[g];
    if (v >= 0) return v;
    v = depthOf(groupParent[g]) + 1;
    depth[g] = v;
    return v;
  };
  // predecessors of each box at its own level: edges climbed to their lowest common group. Pairs are
  // collected as numbers box * shift + (pred + 1) and sorted once (no Set per box: a 50k-node graph
  // spent most of its tree build allocating them)
  const OUTSIDE = -1;
  const nBoxes = nItems + groupParent.length + 1;
  const shift = nBoxes + 1;
  const pairs: number[] = [];
  for (let e = 0; e < d.edgeSrc.length; e++) {
    let u = d.edgeSrc[e];
    let v = d.edgeDst[e];
    if (u === v || itemGroup[u] < 0 || itemGroup[v] < 0) continue;
    let gu = itemGroup[u];
    let gv = itemGroup[v];
    while (gu !== gv) {
      if (depthOf(gu) >= depthOf(gv)) {
        u = nItems + gu;
        gu = groupParent[gu];
      } else {
        pairs.push(v * shift + (OUTSIDE + 1));
        v = nItems + gv;
        gv = groupParent[gv];
      }
    }
    if (u !== v) pairs.push(v * shift + (u + 1));
  }
  const sorted = Float64Array.from(pairs).sort();
  // CSR of distinct predecessors per box, ascending
  const predStart = new Int32Array(nBoxes).fill(-1);
  const predEnd = new Int32Array(nBoxes);
  const predOf = new Int32Array(sorted.length);
  let n = 0;
  for (let k = 0; k < sorted.length; k++) {
    if (k > 0 && sorted[k] === sorted[k - 1]) continue;
    const b = Math.floor(sorted[k] / shift);
    if (predStart[b] < 0) predStart[b] = n;
    predOf[n++] = sorted[k] - b * shift - 1;
    predEnd[b] = n;
  }
  const out: { parent: number; members: number[] }[] = [];
  groupChildren.forEach((children, g) => {
    if (children.length <= keep + 1) return;
    const rows = new Map<number | string, number[]>();
    for (const b of children) {
      if (b >= d.nNodes && b < nItems) continue; // graph inputs and outputs stay in place
      const from = predStart[b];
      if (from < 0) continue; // sources: nothing to say they are parallel
      const to = predEnd[b];
      // one predecessor (the common case): its number is the key; several: "a,b,c" (never a number)
      const key: number | string = to - from === 1 ? predOf[from] : Array.from(predOf.subarray(from, to)).join(",");
      const row = rows.get(key);
      if (row) row.push(b);
      else rows.set(key, [b]);
    }
    for (const row of rows.values()) {
      if (row.length > keep + 1) out.push({ parent: g, members: row.slice(keep) });
    }
  });
  return out;
}

