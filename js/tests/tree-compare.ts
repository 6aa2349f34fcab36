// Compare a group tree (src/groups.ts) with the reference build (tests/tree-reference.ts).

import { type Tree, levelPairs } from "../src/groups";
import type { RefTree } from "./tree-reference";

/** The first field where the two trees differ, or null when they are the same. */
export function treeDifference(t: Tree, r: RefTree): string | null {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const columns = ["graph", "nItems", "groupKey", "groupLabel", "groupParent", "groupDepth", "groupCount", "groupChunk", "groupFold"] as const;
  for (const c of columns) if (!same(t[c], r[c])) return c;
  for (let g = 0; g < r.groupChildren.length; g++) {
    if (!same(t.groupChildren[g], r.groupChildren[g])) return `groupChildren[${g}]`;
    if (!same(levelPairs(t, g), r.levelPairs[g])) return `levelPairs[${g}]`;
  }
  if (t.groupChildren.length !== r.groupChildren.length) return "groupChildren.length";
  const arrays = ["itemGroup", "edges", "edgeLca", "edgeCu", "edgeCv"] as const;
  for (const c of arrays) if (!same(Array.from(t[c]), Array.from(r[c]))) return c;
  if (!same([...t.groupIndex], [...r.groupIndex])) return "groupIndex";
  return null;
}
