// Search over node names, op types and the names of the tensors a node reads or writes. Pure logic,
// no DOM. Node ids are not searched (a body node's id carries its owner's prefix, "If_0::...", so
// "If" would match every node of every branch); an unnamed node is found by its id's last part.

import { type GraphData, nodeInputs, nodeOutputs } from "./payload";

/** One lower-cased haystack per node: op type, name (or the id's last part), tensor names. */
export function buildSearchIndex(d: GraphData): string[] {
  const hay: string[] = new Array(d.nNodes);
  for (let i = 0; i < d.nNodes; i++) {
    const id = d.nodeId[i];
    const parts = [d.nodeOp[i], d.nodeName[i] || id.slice(id.lastIndexOf("::") + 2)];
    for (const t of nodeInputs(d, i)) if (t >= 0) parts.push(d.tensorName[t]);
    for (const t of nodeOutputs(d, i)) if (t >= 0) parts.push(d.tensorName[t]);
    hay[i] = parts.join("\n").toLowerCase();
  }
  return hay;
}

/**
 * Node rows matching `query` (case-insensitive substring of op type, name or a tensor name), best
 * first: exact op-type or name matches (in any graph), then names or op types that start with the
 * query, then the other matches; within each rank nodes of `graph` come first, then graph order.
 */
export function searchNodes(d: GraphData, hay: string[], query: string, graph = 0): number[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  // bucket rank * 2 + (elsewhere ? 1 : 0), each kept in graph order
  const buckets: number[][] = [[], [], [], [], [], []];
  for (let i = 0; i < hay.length; i++) {
    if (!hay[i].includes(q)) continue;
    const op = d.nodeOp[i].toLowerCase();
    const name = d.nodeName[i].toLowerCase();
    const rank = op === q || name === q ? 0 : op.startsWith(q) || name.startsWith(q) ? 1 : 2;
    buckets[rank * 2 + (d.nodeGraph[i] === graph ? 0 : 1)].push(i);
  }
  return buckets.flat();
}
