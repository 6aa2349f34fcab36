// The group tree (src/groups.ts, array-based since issue 15) against the straightforward build it
// replaced (tests/tree-reference.ts), on generated scoped graphs that have every case the build
// handles: nested scopes, chains of single-child scopes, rows of parallel siblings with one and
// with several inputs, groups too big for one layout, hidden plumbing, a body graph.

import assert from "node:assert/strict";
import { test } from "node:test";

import { buildTree, levelPairs } from "../src/groups";
import { type RawPayload, decodePayload } from "../src/payload";
import { scopedGraph } from "./fixtures";
import { treeDifference } from "./tree-compare";
import { referenceTree } from "./tree-reference";

const OPTIONS = [{}, { hidden: "plumbing" }, { chunkMax: 8 }, { foldKeep: 0 }, { chunkMax: 5, foldKeep: 1 }] as const;

test("the group tree is the reference build's, on generated scoped graphs", () => {
  const seen = { fold: 0, chunk: 0, merged: 0, ports: 0 };
  for (let seed = 1; seed <= 12; seed++) {
    const d = decodePayload(scopedGraph(seed, 4 + seed * 3));
    for (const graph of [0, 1]) {
      for (const o of OPTIONS) {
        const opts = { ...o, hidden: "hidden" in o ? d.nodePlumbing : null };
        const t = buildTree(d, graph, opts);
        const diff = treeDifference(t, referenceTree(d, graph, opts));
        assert.equal(diff, null, `seed ${seed}, graph ${graph}, ${JSON.stringify(o)}: ${diff}`);
        seen.fold += t.groupFold.filter(Boolean).length;
        seen.chunk += t.groupChunk.filter(Boolean).length;
        seen.merged += t.groupLabel.filter((l) => l.includes("/")).length;
        for (let g = 0; g < t.groupKey.length; g++) if (levelPairs(t, g).includes(t.nItems + t.groupKey.length + 1)) seen.ports++;
      }
    }
  }
  // the comparison covered every step of the build
  for (const [what, n] of Object.entries(seen)) assert.ok(n > 0, `no ${what} in the generated graphs`);
});

test("pairs of a level come once each, in edge order; the group index is built on first use", () => {
  const d = decodePayload(scopedGraph(7, 6));
  const t = buildTree(d, 0);
  for (let g = 0; g < t.groupKey.length; g++) {
    const pairs = levelPairs(t, g);
    const keys = new Set<string>();
    for (let k = 0; k < pairs.length; k += 2) keys.add(`${pairs[k]},${pairs[k + 1]}`);
    assert.equal(keys.size, pairs.length / 2, `group ${g} repeats a pair`);
    assert.equal(levelPairs(t, g), pairs, "a level's pairs are computed once");
  }
  const g = t.groupIndex.get("model/layers.0/attn") ?? t.groupIndex.get("model/block0/layers.0/attn");
  assert.ok(g !== undefined && t.groupKey[g].endsWith("layers.0/attn"));
});
