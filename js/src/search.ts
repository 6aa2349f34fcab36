// Search over node names, op types, node ids and the names of the tensors a node reads or writes.
// Pure logic, no DOM.

import { type GraphData, nodeInputs, nodeOutputs } from "./payload";

/** One lower-cased haystack per node: op type, name, id, input and output tensor names. */
export function buildSearchIndex(d: GraphData): string[] {
  const hay: string[] = new Array(d.nNodes);
  for (let i = 0; i < d.nNodes; i++) {
    const parts = [d.nodeOp[i], d.nodeName[i], d.nodeId[i]];
    for (const t of nodeInputs(d, i)) if (t >= 0) parts.push(d.tensorName[t]);
    for (const t of nodeOutputs(d, i)) if (t >= 0) parts.push(d.tensorName[t]);
    hay[i] = parts.join("\n").toLowerCase();
  }
  return hay;
}

/**
 * Node rows matching `query` (case-insensitive substring of op type, name, id or a tensor name).
 * Nodes of `graph` come first, then the rest; exact op-type or name matches lead within each.
 */
export function searchNodes(d: GraphData, hay: string[], query: string, graph = 0): number[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  const exact: number[] = [];
  const here: number[] = [];
  const elsewhere: number[] = [];
  for (let i = 0; i < hay.length; i++) {
    if (!hay[i].includes(q)) continue;
    if (d.nodeGraph[i] !== graph) elsewhere.push(i);
    else if (d.nodeOp[i].toLowerCase() === q || d.nodeName[i].toLowerCase() === q) exact.push(i);
    else here.push(i);
  }
  return exact.concat(here, elsewhere);
}
