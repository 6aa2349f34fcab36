// The wire form decoded off the main thread: a layout worker inflates it, unpacks its columns and
// builds the main graph's group tree, then hands all of it back. The columns travel as the one
// inflated buffer (transferred, not copied), the string table as one string cut lazily on this side
// (payload.ts stringTable), and the tree flattened into typed arrays and two strings (PackedTree),
// since a structured clone of its ~60k small arrays and ~120k strings costs the main thread more
// than rebuilding them (benchmarks/scale.py --browser: "oi:receive" + "oi:tree").

import { type Tree, type TreeParts, buildTreeParts } from "./groups";
import { type RawPayload, decodePayload, inflate, unpackWireForm } from "./payload";

/** The tree's columns that are flat already (typed arrays and numbers): they travel as they are. */
type FlatColumns = "graph" | "nItems" | "itemGroup" | "edges" | "edgeLca" | "edgeCu" | "edgeCv" | "pairStart" | "pairA" | "pairB";

/** A TreeParts as flat columns: lists as values + starts, strings as text + ends, flags as bytes. */
export interface PackedTree extends Pick<Tree, FlatColumns> {
  nScopeGroups: number;
  merged: Int32Array;
  keys: string;
  keyEnds: Int32Array;
  labels: string;
  labelEnds: Int32Array;
  groupParent: Int32Array;
  groupDepth: Int32Array;
  groupCount: Int32Array;
  groupChunk: Uint8Array;
  groupFold: Uint8Array;
  childStart: Int32Array;
  children: Int32Array;
}

/** What the worker sends back for a wire form. */
export interface Decoded {
  raw: RawPayload;
  /** buildTree(d, 0, { hidden: d.nodePlumbing }): the tree the first view shows */
  first: PackedTree;
  /** milliseconds the worker spent: inflate, unpack, decode (columns), tree (build and pack) */
  times: { inflate: number; unpack: number; decode: number; tree: number };
}

function packStrings(list: string[]): [string, Int32Array] {
  const ends = new Int32Array(list.length);
  let at = 0;
  for (let k = 0; k < list.length; k++) ends[k] = at += list[k].length;
  return [list.join(""), ends];
}

function unpackStrings(text: string, ends: Int32Array): string[] {
  const out: string[] = [];
  for (let k = 0, at = 0; k < ends.length; at = ends[k++]) out.push(text.slice(at, ends[k]));
  return out;
}

/** The tree's parts as flat columns (PackedTree). */
export function packTree({ tree: t, nScopeGroups, merged }: TreeParts): PackedTree {
  const nGroups = t.groupKey.length;
  const childStart = new Int32Array(nGroups + 1);
  for (let g = 0; g < nGroups; g++) childStart[g + 1] = childStart[g] + t.groupChildren[g].length;
  const children = new Int32Array(childStart[nGroups]);
  for (let g = 0; g < nGroups; g++) children.set(t.groupChildren[g], childStart[g]);
  const [keys, keyEnds] = packStrings(t.groupKey);
  const [labels, labelEnds] = packStrings(t.groupLabel);
  return {
    graph: t.graph,
    nItems: t.nItems,
    nScopeGroups,
    merged: Int32Array.from(merged),
    keys,
    keyEnds,
    labels,
    labelEnds,
    groupParent: Int32Array.from(t.groupParent),
    groupDepth: Int32Array.from(t.groupDepth),
    groupCount: Int32Array.from(t.groupCount),
    groupChunk: Uint8Array.from(t.groupChunk, Number),
    groupFold: Uint8Array.from(t.groupFold, Number),
    childStart,
    children,
    itemGroup: t.itemGroup,
    edges: t.edges,
    edgeLca: t.edgeLca,
    edgeCu: t.edgeCu,
    edgeCv: t.edgeCv,
    pairStart: t.pairStart,
    pairA: t.pairA,
    pairB: t.pairB,
  };
}

/** An int column as a plain array (a loop: Array.from on a typed array goes through its iterator). */
function numbers(a: Int32Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < a.length; k++) out.push(a[k]);
  return out;
}

function flags(a: Uint8Array): boolean[] {
  const out: boolean[] = [];
  for (let k = 0; k < a.length; k++) out.push(a[k] !== 0);
  return out;
}

/** PackedTree back to the tree's parts (groups.ts treeFromParts makes the Tree). */
export function unpackTree(p: PackedTree): TreeParts {
  const nGroups = p.keyEnds.length;
  const groupChildren: number[][] = [];
  for (let g = 0; g < nGroups; g++) {
    const list: number[] = [];
    for (let k = p.childStart[g]; k < p.childStart[g + 1]; k++) list.push(p.children[k]);
    groupChildren.push(list);
  }
  return {
    tree: {
      graph: p.graph,
      nItems: p.nItems,
      groupKey: unpackStrings(p.keys, p.keyEnds),
      groupLabel: unpackStrings(p.labels, p.labelEnds),
      groupParent: numbers(p.groupParent),
      groupDepth: numbers(p.groupDepth),
      groupChildren,
      groupCount: numbers(p.groupCount),
      groupChunk: flags(p.groupChunk),
      groupFold: flags(p.groupFold),
      itemGroup: p.itemGroup,
      edges: p.edges,
      edgeLca: p.edgeLca,
      edgeCu: p.edgeCu,
      edgeCv: p.edgeCv,
      pairStart: p.pairStart,
      pairA: p.pairA,
      pairB: p.pairB,
      pairCache: [],
    },
    nScopeGroups: p.nScopeGroups,
    merged: numbers(p.merged),
  };
}

/**
 * Decode the wire form's first part here (in a worker; payload.ts wireParts): the message to send
 * back and the buffers it moves. Its string table holds only the strings the tree reads; the main
 * thread appends the second part's text.
 */
export async function decodeHere(part: Uint8Array): Promise<{ out: Decoded; transfer: ArrayBuffer[] }> {
  const t0 = performance.now();
  const buf = await inflate(part);
  const t1 = performance.now();
  const raw = unpackWireForm(buf);
  const t2 = performance.now();
  const d = decodePayload(raw);
  const t3 = performance.now();
  const first = packTree(buildTreeParts(d, 0, { hidden: d.nodePlumbing }));
  const t4 = performance.now();
  const transfer = new Set<ArrayBuffer>([buf]);
  for (const v of Object.values(first)) if (ArrayBuffer.isView(v)) transfer.add(v.buffer as ArrayBuffer);
  const times = { inflate: t1 - t0, unpack: t2 - t1, decode: t3 - t2, tree: t4 - t3 };
  return { out: { raw, first, times }, transfer: [...transfer] };
}
