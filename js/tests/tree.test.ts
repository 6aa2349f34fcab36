// The group tree (src/groups.ts, array-based since issue 15) against the straightforward build it
// replaced (tests/tree-reference.ts), on generated scoped graphs that have every case the build
// handles: nested scopes, chains of single-child scopes, rows of parallel siblings with one and
// with several inputs, groups too big for one layout, hidden plumbing, a body graph.

import assert from "node:assert/strict";
import { test } from "node:test";

import { buildTree, levelPairs } from "../src/groups";
import { type RawPayload, decodePayload } from "../src/payload";
import { type NodeSpec, makePayload } from "./fixtures";
import { treeDifference } from "./tree-compare";
import { referenceTree } from "./tree-reference";

/** A small seeded generator (mulberry32), so a failure names a graph that can be rebuilt. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A transformer-like graph with LLM-style scope names and random irregularities. */
export function scopedGraph(seed: number, layers: number): RawPayload {
  const rnd = rng(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const nodes: NodeSpec[] = [];
  let k = 0;
  const node = (scope: string, op: string, ins: string[], graph = 0): string => {
    const out = `t${k}`;
    nodes.push({ id: `n${k}`, op, scope, ins, outs: [out], graph });
    k++;
    return out;
  };
  const outputs: string[] = [];
  let x = node("model/embed", "Gather", ["ids", "wte"]);
  for (let l = 0; l < layers; l++) {
    const base = pick(4) === 0 ? `model/block${l % 3}/layers.${l}` : `model/layers.${l}`;
    const ln = node(`${base}/input_layernorm`, "LayerNormalization", [x, "g"]);
    const q = node(`${base}/attn/q_proj`, "MatMul", [ln, "wq"]);
    const kk = node(`${base}/attn/k_proj`, "MatMul", [ln, "wk"]);
    const v = node(`${base}/attn/v_proj`, "MatMul", [ln, "wv"]);
    const s = node(`${base}/attn`, "MatMul", [q, kk]);
    const p = node(`${base}/attn`, "Softmax", [s]);
    let a = node(`${base}/attn`, "MatMul", [p, v]);
    // a row of parallel siblings reading one value, or two values (folds with a list key)
    if (pick(2) === 0) {
      const n = 2 + pick(9);
      const two = pick(2) === 0;
      const fan: string[] = [];
      for (let j = 0; j < n; j++) fan.push(node(`${base}/attn/heads`, "Slice", two ? [a, q] : [a]));
      a = node(`${base}/attn`, "Concat", fan);
    }
    // a chain of single-child scopes around one node
    if (pick(3) === 0) a = node(`${base}/solo/inner/most`, "Identity", [a]);
    // an unscoped node between the layers
    if (pick(4) === 0) a = node("", "Cast", [a]);
    const o = node(`${base}/attn/o_proj`, "MatMul", [a, "wo"]);
    x = node(base, "Add", [x, o]);
    if (pick(5) === 0) outputs.push(x);
  }
  // a group too big for one layout (chunked), and many nodes at the root
  const big = 40 + pick(120);
  for (let j = 0; j < big; j++) x = node(j % 2 ? "model/norm" : "model/norm/deep", "Relu", [x]);
  for (let j = 0; j < 70; j++) x = node("", "Neg", [x]);
  // a body graph (owned by the last node) with a scope of its own
  const owner = nodes[nodes.length - 1].id;
  let y = node("loop/step", "Add", ["ids", "g"], 1);
  for (let j = 0; j < 8; j++) y = node(j % 3 ? "loop/step" : "loop/other", "Mul", [y], 1);
  outputs.push(x);
  const p = makePayload({
    nodes,
    inputs: ["ids"],
    outputs,
    weights: ["wte", "g", "wq", "wk", "wv", "wo"],
    graphs: [{ path: "body", owner, attr: "body", parent: 0 }],
  });
  // some nodes are parameter plumbing (hidden from the tree by default)
  p.nodes.plumbing = p.nodes.id.map(() => (pick(9) === 0 ? 1 : 0));
  return p;
}

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
