import assert from "node:assert/strict";
import { test } from "node:test";

import { boxContent, ellipsize, repeatsOp, shortShape, weightLines, weightSource } from "../src/boxes";
import { aggregate, categoricalScale, isNumeric, numericScale, textColorFor, viridis } from "../src/colors";
import { LayoutEngine } from "../src/engine";
import { CHUNK_MAX, FOLD_KEEP, buildTree, levelPairs, portIn, portOut } from "../src/groups";
import { runLayout } from "../src/layout";
import { decodeInts, decodePayload, decodeStrings } from "../src/payload";
import { type LevelGeometry, place, stretch } from "../src/place";
import { buildSearchIndex, searchNodes } from "../src/search";
import { ENTRY_K, LEGIBLE_K, MIN_BOXES, chooseView, countInside } from "../src/viewport";
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
  const pairs = levelPairs(t, a);
  const has = (u: number, v: number) => pairs.some((x, k) => k % 2 === 0 && x === u && pairs[k + 1] === v);
  assert.ok(has(portIn(t), 0) && has(portIn(t), 2) && has(2, portOut(t)) && has(0, 1) && has(1, 2));
  assert.ok(!levelPairs(t, 0).includes(portIn(t)), "the root has no ports");
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
  // exact op-type matches in any graph first (this graph's first), then the name containing it
  assert.deepEqual(searchNodes(d, hay, "conv"), [0, 2, 1]);
  assert.deepEqual(searchNodes(d, hay, "RELU"), [1]);
  assert.deepEqual(searchNodes(d, hay, "feat"), [0, 1]);
  assert.deepEqual(searchNodes(d, hay, "conv", 1), [2, 0, 1]);
  // the body node's id carries its owner's prefix ("relu_conv::..."): not a reason to match
  assert.deepEqual(searchNodes(d, hay, "relu_conv::"), []);
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

test("search: an If's body nodes do not match 'If' through their id prefix; exact op type leads", () => {
  const p = makePayload({
    nodes: [
      { id: "pre", op: "Relu", name: "gate_prep", ins: ["x"], outs: ["c"] },
      { id: "If_0", op: "If", name: "", ins: ["c"], outs: ["y"] },
      { id: "If_0::then::n0", op: "Identity", name: "", graph: 1, ins: [], outs: ["t"] },
      { id: "If_0::else::n0", op: "Neg", name: "", graph: 2, ins: [], outs: ["e"] },
      { id: "diff", op: "Sub", name: "diff_layer", ins: ["x"], outs: ["z"] },
    ],
    inputs: ["x"],
    outputs: ["y", "z"],
    graphs: [
      { path: "If_0::then", owner: "If_0", attr: "then_branch", parent: 0 },
      { path: "If_0::else", owner: "If_0", attr: "else_branch", parent: 0 },
    ],
  });
  const d = decodePayload(p);
  const hay = buildSearchIndex(d);
  // "If" finds the If node and the name containing "if" (diff_layer), not the branch bodies
  assert.deepEqual(searchNodes(d, hay, "If"), [1, 4]);
  // searched from inside a branch: exact matches elsewhere still lead over substring matches
  assert.deepEqual(searchNodes(d, hay, "neg", 1), [3]);
  assert.deepEqual(searchNodes(d, hay, "gate"), [0]);
  // an unnamed node is found by the last part of its id
  assert.deepEqual(searchNodes(d, hay, "n0"), [2, 3]);
});

test("first view: a graph legible at once is shown whole and centred", () => {
  const boxes = [0, 1, 2, 3, 4, 5, 6].map((k) => ({ x: 0, y: k * 60, w: 100, h: 30 }));
  const v = chooseView({ boxes, entry: [boxes[0]], width: 100, height: 390, W: 560, H: 600 });
  assert.ok(v.whole && v.k >= LEGIBLE_K && v.k <= 1);
  assert.equal(countInside(boxes, v.k, v.tx, v.ty, 560, 600), boxes.length);
});

test("first view: a wide graph opens at a legible scale on its entry, never on blank space", () => {
  // a 6000 px wide graph: a chain under the input at x = 3000, plus a wide row of boxes at the bottom
  const chainBoxes = Array.from({ length: 12 }, (_, k) => ({ x: 2950, y: k * 60, w: 100, h: 30 }));
  const row = Array.from({ length: 50 }, (_, k) => ({ x: k * 120, y: 800, w: 100, h: 30 }));
  const boxes = [...chainBoxes, ...row];
  for (const [W, H] of [[560, 600], [1400, 600]]) {
    const v = chooseView({ boxes, entry: [chainBoxes[0]], width: 6000, height: 830, W, H });
    assert.equal(v.whole, false);
    assert.equal(v.k, ENTRY_K);
    // the entry is on screen, near the top, horizontally centred
    const ex = chainBoxes[0].x * v.k + v.tx;
    assert.ok(ex >= 0 && ex + 100 <= W && chainBoxes[0].y * v.k + v.ty >= 0);
    assert.ok(countInside(boxes, v.k, v.tx, v.ty, W, H) >= MIN_BOXES);
    // no blank beyond the margins: the view stays within the graph's extent
    assert.ok(v.tx <= 24 && v.tx + 6000 * v.k >= W - 24);
  }
});

test("first view: a lone entry beside the graph moves the view to where the boxes are", () => {
  // the only input sits at the far left; the graph's boxes are 2000 px to its right
  const entry = { x: 0, y: 0, w: 80, h: 30 };
  const rest = Array.from({ length: 20 }, (_, k) => ({ x: 2000 + (k % 4) * 110, y: 60 + Math.floor(k / 4) * 60, w: 100, h: 30 }));
  const boxes = [entry, ...rest];
  const blocked = [{ x: 8, y: 600 - 8 - 60, w: 150, h: 60 }];
  const v = chooseView({ boxes, entry: [entry], width: 2440, height: 400, W: 560, H: 600, blocked });
  assert.ok(countInside(boxes, v.k, v.tx, v.ty, 560, 600, blocked) >= MIN_BOXES);
  assert.ok(v.k >= LEGIBLE_K);
});

test("long rows of parallel siblings fold into a '+N more' group; short ones stay", () => {
  // x feeds 10 parallel branches (a, b, ...) that all feed one Concat; and 3 parallel ones (p, q, r)
  const nodes = [];
  const outs = [];
  for (let k = 0; k < 10; k++) {
    nodes.push({ id: `b${k}`, op: "Conv", ins: ["x"], outs: [`o${k}`] });
    outs.push(`o${k}`);
  }
  nodes.push({ id: "cat", op: "Concat", ins: outs, outs: ["c"] });
  for (const n of ["p", "q", "r"]) nodes.push({ id: n, op: "Relu", ins: ["c"], outs: [`${n}o`] });
  nodes.push({ id: "sum", op: "Sum", ins: ["po", "qo", "ro"], outs: ["y"] });
  const d = decodePayload(makePayload({ nodes, inputs: ["x"], outputs: ["y"] }));
  const t = buildTree(d, 0);
  const folds = t.groupFold.map((f, g) => (f ? g : -1)).filter((g) => g >= 0);
  assert.equal(folds.length, 1);
  const g = folds[0];
  assert.equal(t.groupLabel[g], `+${10 - FOLD_KEEP} more`);
  assert.deepEqual(t.groupChildren[g], [3, 4, 5, 6, 7, 8, 9]);
  assert.equal(t.groupCount[g], 10 - FOLD_KEEP);
  // the root row now has FOLD_KEEP branches and the fold box; p, q, r stay as boxes
  const root = t.groupChildren[0];
  for (const k of [0, 1, 2, 10, 11, 12, 13]) assert.ok(root.includes(k), `node ${k} at the root`);
  assert.ok(root.includes(t.nItems + g));
  // never folded when asked not to
  assert.equal(buildTree(d, 0, { foldKeep: 0 }).groupFold.filter((f) => f).length, 0);
  // a visible-graph edge from x reaches the fold box, and the fold box feeds the Concat
  const v = computeVisible(t, d, new Set([0]));
  assert.ok(v.edges.some((e) => e.src === t.nItems + g && e.dst === 10));
});

test("parameter plumbing is left out of the tree and listed in the box that reads it", () => {
  // w -> Identity (tied copy, named by the exporter) -> Transpose -> MatMul; a Constant -> Add
  const p = makePayload({
    nodes: [
      { id: "tie", op: "Identity", ins: ["w"], outs: ["layer.1.weight"] },
      { id: "tr", op: "Transpose", ins: ["layer.1.weight"], outs: ["onnx::MatMul_7"] },
      { id: "c", op: "Constant", ins: [], outs: ["/Constant_output_0"] },
      { id: "mm", op: "MatMul", ins: ["x", "onnx::MatMul_7"], outs: ["h"] },
      { id: "add", op: "Add", ins: ["h", "/Constant_output_0"], outs: ["y"] },
    ],
    inputs: ["x"],
    outputs: ["y"],
    weights: ["w"],
  });
  p.nodes.plumbing = [1, 1, 1, 0, 0];
  const d = decodePayload(p);
  assert.equal(d.nPlumbing, 3);
  const hidden = buildTree(d, 0, { hidden: d.nodePlumbing });
  for (const i of [0, 1, 2]) assert.equal(hidden.itemGroup[i], -1);
  assert.ok(hidden.groupChildren[0].includes(3) && hidden.groupChildren[0].includes(4));
  // the MatMul lists the weight under the name the exporter gave it, the Add its constant
  assert.equal(d.tensorName[weightSource(d, d.ins[d.inPtr[3] + 1], true)], "layer.1.weight");
  assert.match(weightLines(d, 3, true).join("|"), /layer\.1\.weight/);
  assert.match(weightLines(d, 4, true).join("|"), /Constant_output_0/);
  // shown as boxes, nothing is listed twice
  assert.equal(weightLines(d, 3, false).length, 0);
  const shown = buildTree(d, 0);
  for (const i of [0, 1, 2]) assert.equal(shown.itemGroup[i], 0);
});

test("a node name that only repeats the op type is not a line of its box", () => {
  assert.ok(repeatsOp("/Unsqueeze_1", "Unsqueeze"));
  assert.ok(repeatsOp("/encoder/layer.0/attention/MatMul", "MatMul"));
  assert.ok(repeatsOp("node_MatMul_3", "MatMul"));
  assert.ok(repeatsOp("p2o.Conv.0", "Conv"));
  assert.ok(repeatsOp("node_unsqueeze_2", "Unsqueeze")); // dynamo
  assert.ok(!repeatsOp("/encoder/layer.0/attention/query/MatMul_q", "MatMul"));
  assert.ok(!repeatsOp("conv1", "Conv"));
  assert.ok(!repeatsOp("classifier", "Gemm"));
});

test("first view: an input placed apart from its readers gives way to the readers", () => {
  // the input sits at the top right, above nothing; the work it feeds starts 1500 px to its left
  const input = { x: 3000, y: 0, w: 200, h: 38 };
  const work = Array.from({ length: 10 }, (_, k) => ({ x: 1500, y: 200 + k * 60, w: 150, h: 30 }));
  const v = chooseView({ boxes: work, entry: [input], next: [work[0]], width: 3200, height: 900, W: 560, H: 600 });
  assert.ok(countInside(work, v.k, v.tx, v.ty, 560, 600) >= MIN_BOXES);
  const x = work[0].x * v.k + v.tx;
  const y = work[0].y * v.k + v.ty;
  assert.ok(x >= 0 && x + 150 <= 560 && y >= 0 && y < 120, `the first reader near the top: ${x}, ${y}`);
});

test("folds stay folded in the first view", () => {
  const nodes = [];
  for (let k = 0; k < 12; k++) nodes.push({ id: `b${k}`, op: "Relu", ins: ["x"], outs: [`o${k}`] });
  const d = decodePayload(makePayload({ nodes, inputs: ["x"], outputs: nodes.map((n) => n.outs[0]) }));
  const t = buildTree(d, 0);
  const fold = t.groupFold.indexOf(true);
  assert.ok(fold > 0);
  assert.ok(!initialExpanded(t, 250).has(fold));
});

test("long symbolic edge labels keep their rank and plain dims", () => {
  const long = "batch\u00d716\u00d7(floor(height/2 - 1/2) + 1)\u00d7(floor(width/2 - 1/2) + 1)";
  assert.equal(shortShape(long), "batch\u00d716\u00d7(\u2026)\u00d7(\u2026)");
  assert.equal(shortShape("1\u00d73\u00d7224\u00d7224"), "1\u00d73\u00d7224\u00d7224"); // short: unchanged
  assert.equal(shortShape("batch\u00d7(s*2)\u00d7" + "7\u00d7".repeat(12) + "7"), "batch\u00d7(s*2)" + "\u00d77".repeat(10) + "\u2026");
  assert.ok(shortShape("x".repeat(80)).length <= 32);
  assert.equal(shortShape("a\u00d7(" + "b".repeat(40)), "a\u00d7(\u2026"); // unbalanced: cut at the group
});
