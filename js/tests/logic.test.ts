import assert from "node:assert/strict";
import { test } from "node:test";

import { boxContent, ellipsize, weightLines } from "../src/boxes";
import { aggregate, categoricalScale, isNumeric, numericScale, textColorFor, viridis } from "../src/colors";
import { LayoutEngine } from "../src/engine";
import { CHUNK_MAX, buildTree, portIn, portOut } from "../src/groups";
import { runLayout } from "../src/layout";
import { decodeInts, decodePayload, decodeStrings } from "../src/payload";
import { type LevelGeometry, place, stretch } from "../src/place";
import { buildSearchIndex, searchNodes } from "../src/search";
import { collapse, computeVisible, initialExpanded, representative, reveal } from "../src/visible";
import { chain, makePayload } from "./fixtures";

test("front-coded strings and coded int columns decode", () => {
  assert.deepEqual(decodeStrings({ prefix: [0, 3, 3, 0], suffix: ["abc", "d", "e", "x"] }), ["abc", "abcd", "abce", "x"]);
  assert.deepEqual(decodeStrings(["a", "b"]), ["a", "b"]);
  // surrogate pairs: prefix counts UTF-16 units
  assert.deepEqual(decodeStrings({ prefix: [0, 3], suffix: ["a\u{1F600}", "b"] }), ["a\u{1F600}", "a\u{1F600}b"]);
  assert.deepEqual([...decodeInts([1, 2, 3])], [1, 2, 3]);
  assert.deepEqual([...decodeInts({ rle: [7, 3, -1, 2] })], [7, 7, 7, -1, -1]);
  assert.deepEqual([...decodeInts({ delta: [5, 1, 1, -3] })], [5, 6, 7, 4]);
});

test("model text stays data: markup-like names are kept verbatim", () => {
  const evil = '<img src=x onerror="alert(1)">';
  const d = decodePayload(makePayload({ nodes: [{ id: evil, op: "Relu", ins: ["x"], outs: ["y"] }], inputs: ["x"], outputs: ["y"] }));
  assert.equal(d.nodeId[0], evil);
  assert.equal(d.nodeIndex.get(evil), 0);
  assert.equal(boxContent(d, buildTree(d, 0), 0).lines[0], ellipsize(evil, 30));
});

test("scopes become nested groups; io boxes sit at the root", () => {
  const p = chain(6, (k) => (k < 3 ? "enc/a" : "enc/b"));
  const d = decodePayload(p);
  const t = buildTree(d, 0);
  // "enc" has two children (a, b) and stays; a and b hold 3 nodes each
  const enc = t.groupIndex.get("enc") as number;
  const a = t.groupIndex.get("enc/a") as number;
  const b = t.groupIndex.get("enc/b") as number;
  assert.ok(enc > 0 && a > 0 && b > 0);
  assert.equal(t.groupParent[a], enc);
  assert.equal(t.groupCount[enc], 6);
  assert.deepEqual(t.groupChildren[a], [0, 1, 2]);
  assert.equal(t.itemGroup[d.nNodes], 0); // input box
  assert.equal(t.itemGroup[d.nNodes + 1], 0); // output box
  // root: input, enc, output in graph order
  assert.deepEqual(t.groupChildren[0], [d.nNodes, t.nItems + enc, d.nNodes + 1]);
});

test("a group with a single child is replaced by that child", () => {
  const d = decodePayload(chain(4, (k) => (k === 0 ? "solo" : "pair/inner")));
  const t = buildTree(d, 0);
  assert.equal(t.groupIndex.get("solo"), undefined);
  assert.equal(t.itemGroup[0], 0);
  // "pair" only holds "pair/inner": the inner group moves up with a combined label
  const inner = t.groupIndex.get("pair/inner") as number;
  assert.equal(t.groupIndex.get("pair"), undefined);
  assert.equal(t.groupParent[inner], 0);
  assert.equal(t.groupLabel[inner], "pair/inner");
});

test("oversized groups are chunked so no level exceeds CHUNK_MAX boxes", () => {
  const n = CHUNK_MAX * CHUNK_MAX + 50; // needs two levels of chunks
  const d = decodePayload(chain(n));
  const t = buildTree(d, 0);
  for (let g = 0; g < t.groupKey.length; g++) assert.ok(t.groupChildren[g].length <= CHUNK_MAX, `group ${g}`);
  // every node still reachable exactly once
  const seen = new Set<number>();
  const stack = [0];
  while (stack.length) {
    const g = stack.pop() as number;
    for (const b of t.groupChildren[g]) {
      if (b >= t.nItems) stack.push(b - t.nItems);
      else seen.add(b);
    }
  }
  assert.equal(seen.size, n + 2);
  assert.equal(t.groupCount[0], n);
  // chunks keep graph order: the first chunk starts with node 0
  const first = t.groupChildren[0].find((b) => b >= t.nItems) as number;
  let g = first - t.nItems;
  while (t.groupChildren[g][0] >= t.nItems) g = t.groupChildren[g][0] - t.nItems;
  assert.equal(t.groupChildren[g][0], 0);
});

test("visible graph: collapsed groups stand in for their nodes and edges are aggregated", () => {
  // x -> [a: n0 n1] -> [b: n2 n3] -> y, plus a skip edge n0 -> n3
  const p = makePayload({
    nodes: [
      { id: "n0", op: "MatMul", scope: "a", ins: ["x"], outs: ["t0"] },
      { id: "n1", op: "Relu", scope: "a", ins: ["t0"], outs: ["t1"] },
      { id: "n2", op: "MatMul", scope: "b", ins: ["t1"], outs: ["t2"] },
      { id: "n3", op: "Add", scope: "b", ins: ["t2", "t0"], outs: ["y"] },
    ],
    inputs: ["x"],
    outputs: ["y"],
  });
  const d = decodePayload(p);
  const t = buildTree(d, 0);
  const a = t.groupIndex.get("a") as number;
  const b = t.groupIndex.get("b") as number;
  const A = t.nItems + a;
  const B = t.nItems + b;
  const X = d.nNodes;
  const Y = d.nNodes + 1;

  let v = computeVisible(t, d, new Set([0]));
  assert.deepEqual(new Set(v.boxes), new Set([X, A, B, Y]));
  assert.deepEqual(v.frames, []);
  const pairs = v.edges.map((e) => [e.src, e.dst, e.rows.length]);
  // a -> b carries two payload edges (t1 and the skip t0)
  assert.deepEqual(new Set(pairs.map((q) => q.join())), new Set([[X, A, 1], [A, B, 2], [B, Y, 1]].map((q) => q.join())));
  assert.equal(representative(t, 3, new Set([0])), B);

  v = computeVisible(t, d, new Set([0, b]));
  assert.deepEqual(new Set(v.boxes), new Set([X, A, 2, 3, Y]));
  assert.deepEqual(v.frames, [b]);
  const e2 = new Set(v.edges.map((e) => `${e.src}>${e.dst}`));
  assert.deepEqual(e2, new Set([`${X}>${A}`, `${A}>2`, `${A}>3`, "2>3", `3>${Y}`]));
  // internal edges inside a collapsed group are hidden
  v = computeVisible(t, d, new Set([0]));
  assert.ok(!v.edges.some((e) => e.src === e.dst));
});

test("initial expansion respects the budget; reveal and collapse", () => {
  const d = decodePayload(chain(400, (k) => `blk${Math.floor(k / 20)}`));
  const t = buildTree(d, 0);
  const small = initialExpanded(t, 30);
  // 20 groups + 2 io = 22 boxes fit, opening one group adds 19 -> 41 > 30: nothing opened
  assert.deepEqual([...small], [0]);
  const mid = initialExpanded(t, 100);
  // opened in graph order while they fit: 22 + 19k <= 100 -> 4 groups
  assert.equal(mid.size - 1, 4);
  assert.ok(mid.has(t.groupIndex.get("blk0") as number));
  const all = initialExpanded(t, 1000);
  assert.equal(all.size, 21);
  const ex = new Set([0]);
  assert.equal(reveal(t, 399, ex), true);
  assert.ok(ex.has(t.groupIndex.get("blk19") as number));
  assert.equal(reveal(t, 399, ex), false);
  collapse(t, t.groupIndex.get("blk19") as number, ex);
  assert.deepEqual([...ex], [0]);
});

test("layout of one level gives non-overlapping boxes and edge routes", () => {
  const r = runLayout({ key: "k", w: [100, 80, 80, 100], h: [30, 30, 30, 30], src: [0, 0, 1, 2], dst: [1, 2, 3, 3] });
  assert.equal(r.x.length, 4);
  assert.ok(r.y[0] < r.y[1] && r.y[1] < r.y[3]);
  for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) assert.ok(!overlap(r, i, j), `${i} ${j}`);
  assert.equal(r.points.length, 4);
  assert.ok(r.points.every((p) => p.length >= 4));
});

function overlap(g: { x: number[]; y: number[]; w: number[]; h: number[] }, i: number, j: number): boolean {
  return g.x[i] < g.x[j] + g.w[j] - 1e-6 && g.x[j] < g.x[i] + g.w[i] - 1e-6 && g.y[i] < g.y[j] + g.h[j] - 1e-6 && g.y[j] < g.y[i] + g.h[i] - 1e-6;
}

test("stretching a box never makes boxes overlap", () => {
  // pseudo-random layouts of non-overlapping boxes on a grid, grow one, check all pairs
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let trial = 0; trial < 200; trial++) {
    const geo: LevelGeometry = { x: [], y: [], w: [], h: [], points: [], width: 0, height: 0 };
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 5; c++) {
        if (rnd() < 0.4) continue;
        geo.x.push(c * 120 + rnd() * 30);
        geo.y.push(r * 80 + rnd() * 20);
        geo.w.push(40 + rnd() * 50);
        geo.h.push(20 + rnd() * 40);
      }
    }
    if (geo.x.length < 2) continue;
    const i = Math.floor(rnd() * geo.x.length);
    stretch(geo, i, geo.w[i] + rnd() * 500, geo.h[i] + rnd() * 400);
    for (let a = 0; a < geo.x.length; a++) for (let b = a + 1; b < geo.x.length; b++) assert.ok(!overlap(geo, a, b), `trial ${trial}`);
  }
});

test("placement puts an expanded group's children inside its frame", () => {
  const d = decodePayload(chain(6, (k) => (k < 3 ? "a" : "b")));
  const t = buildTree(d, 0);
  const a = t.groupIndex.get("a") as number;
  const expanded = new Set([0, a]);
  const engine = new LayoutEngine();
  const content = () => ({ kind: "node" as const, title: "", lines: [], weights: [], w: 90, h: 40 });
  const layouts = new Map<number, ReturnType<typeof runLayout>>();
  for (const g of [0, a]) layouts.set(g, runLayout(engine.job(t, g, content)));
  const p = place(t, expanded, (g) => layouts.get(g) as ReturnType<typeof runLayout>);
  const frame = p.rect.get(t.nItems + a) as { x: number; y: number; w: number; h: number };
  for (const i of [0, 1, 2]) {
    const r = p.rect.get(i) as { x: number; y: number; w: number; h: number };
    assert.ok(r.x >= frame.x && r.y >= frame.y && r.x + r.w <= frame.x + frame.w + 1e-6 && r.y + r.h <= frame.y + frame.h + 1e-6);
  }
  const b = p.rect.get(t.nItems + (t.groupIndex.get("b") as number)) as { x: number; y: number; w: number; h: number };
  assert.ok(b.y >= frame.y + frame.h, "the group after the frame moved below it");
});

test("edges crossing a group's border are routed through its entry and exit ports", () => {
  // x -> [a: n0 n1 n2] -> y with a skip x -> n2: inside "a" the pairs include IN->n0, IN->n2, n2->OUT
  const p = makePayload({
    nodes: [
      { id: "n0", op: "MatMul", scope: "a", ins: ["x"], outs: ["t0"] },
      { id: "n1", op: "Relu", scope: "a", ins: ["t0"], outs: ["t1"] },
      { id: "n2", op: "Add", scope: "a", ins: ["t1", "x"], outs: ["y"] },
    ],
    inputs: ["x"],
    outputs: ["y"],
  });
  const d = decodePayload(p);
  const t = buildTree(d, 0);
  const a = t.groupIndex.get("a") as number;
  const pairs = t.levelPairs[a];
  const has = (u: number, v: number) => pairs.some((x, k) => k % 2 === 0 && x === u && pairs[k + 1] === v);
  assert.ok(has(portIn(t), 0) && has(portIn(t), 2) && has(2, portOut(t)) && has(0, 1) && has(1, 2));
  assert.ok(!t.levelPairs[0].includes(portIn(t)), "the root has no ports");
  // the layout job adds the two ports as tiny nodes after the children
  const job = new LayoutEngine().job(t, a, () => ({ kind: "node", title: "", lines: [], weights: [], w: 80, h: 30 }));
  assert.equal(job.w.length, t.groupChildren[a].length + 2);
  const r = runLayout(job);
  const inY = r.y[t.groupChildren[a].length];
  assert.ok(r.y.slice(0, 3).every((y) => y > inY), "entry port above the children");
});

test("search finds by op type, name and tensor, exact matches first, current graph first", () => {
  const p = makePayload({
    nodes: [
      { id: "conv_1", op: "Conv", ins: ["x"], outs: ["feat"] },
      { id: "relu_conv", op: "Relu", ins: ["feat"], outs: ["y"] },
      { id: "body_conv", op: "Conv", graph: 1, ins: [], outs: ["z"] },
    ],
    inputs: ["x"],
    outputs: ["y"],
    graphs: [{ path: "relu_conv::body", owner: "relu_conv", attr: "body", parent: 0 }],
  });
  const d = decodePayload(p);
  const hay = buildSearchIndex(d);
  assert.deepEqual(searchNodes(d, hay, "conv"), [0, 1, 2]);
  assert.deepEqual(searchNodes(d, hay, "RELU"), [1]);
  assert.deepEqual(searchNodes(d, hay, "feat"), [0, 1]);
  assert.deepEqual(searchNodes(d, hay, "conv", 1), [2, 0, 1]);
  assert.deepEqual(searchNodes(d, hay, "  "), []);
  assert.deepEqual(searchNodes(d, hay, "nothing"), []);
  assert.deepEqual(d.bodiesOf.get(1), [1]);
});

test("weights are listed inside the consuming box", () => {
  const d = decodePayload(chain(2));
  assert.equal(weightLines(d, 0).length, 1);
  assert.match(weightLines(d, 0)[0], /w0/);
  assert.equal(weightLines(d, 1).length, 0);
});

test("colour scales: numeric range, log, categories, contrast, aggregation", () => {
  const s = numericScale([1, 10, 100]);
  assert.equal(s.min, 1);
  assert.equal(s.max, 100);
  assert.equal(s.color(1), viridis(0));
  assert.equal(s.color(100), viridis(1));
  assert.notEqual(s.color(50), s.color(60));
  const lg = numericScale([1, 10, 100], "log");
  assert.equal(lg.log, true);
  assert.equal(lg.color(10), viridis(0.5));
  assert.equal(numericScale([-1, 5], "log").log, false);
  const flat = numericScale([3, 3]);
  assert.equal(flat.color(3), viridis(1));
  const c = categoricalScale(["CPU", "CUDA", "CPU"]);
  assert.deepEqual(c.categories, ["CPU", "CUDA"]);
  assert.notEqual(c.color("CPU"), c.color("CUDA"));
  assert.equal(textColorFor("#ffffff"), "#111111");
  assert.equal(textColorFor("#000000"), "#ffffff");
  assert.equal(textColorFor(viridis(0)), "#ffffff");
  assert.equal(textColorFor(viridis(1)), "#111111");
  assert.equal(aggregate([1, 2, 3]), 6);
  assert.equal(aggregate([1, 2, 3], "max"), 3);
  assert.equal(aggregate([1, 2, 3], "mean"), 2);
  assert.ok(Number.isNaN(aggregate([])));
  assert.equal(isNumeric({ values: { a: 1, b: 2 } }), true);
  assert.equal(isNumeric({ values: { a: "CPU" } }), false);
  assert.equal(isNumeric({ values: { a: 1 }, kind: "categorical" }), false);
});
