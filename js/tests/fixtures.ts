// Build small payloads by hand, in the same format the Python side writes.

import { type RawPayload, decodeInts } from "../src/payload";

export interface NodeSpec {
  id: string;
  op: string;
  scope?: string;
  graph?: number;
  ins?: string[];
  outs?: string[];
  name?: string;
}

/**
 * A payload for one main graph (plus optional bodies): nodes wired by tensor names; tensors named
 * in `inputs` become graph inputs, `weights` become initializers, `outputs` graph outputs.
 */
export function makePayload(spec: {
  nodes: NodeSpec[];
  inputs?: string[];
  outputs?: string[];
  weights?: string[];
  shapes?: Record<string, string>;
  graphs?: { path: string; owner: string; attr: string; parent: number }[];
}): RawPayload {
  const strings: string[] = [];
  const sidx = new Map<string, number>();
  const s = (x: string) => {
    let i = sidx.get(x);
    if (i === undefined) {
      i = strings.length;
      strings.push(x);
      sidx.set(x, i);
    }
    return i;
  };
  const graphs = [{ path: "", owner: "", attr: "", parent: -1 }, ...(spec.graphs ?? [])];
  const nodeRow = new Map(spec.nodes.map((n, i) => [n.id, i]));
  // scopes: per graph, "" and every prefix of every node scope
  const scopeKey: string[] = [];
  const scopeRow = new Map<string, number>();
  const sg: number[] = [];
  const sp: number[] = [];
  const spar: number[] = [];
  const scope = (g: number, path: string): number => {
    const key = `${g}|${path}`;
    const r = scopeRow.get(key);
    if (r !== undefined) return r;
    const parent = path === "" ? -1 : scope(g, path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
    const row = scopeKey.length;
    scopeKey.push(key);
    scopeRow.set(key, row);
    sg.push(g);
    sp.push(s(path));
    spar.push(parent);
    return row;
  };
  graphs.forEach((_, g) => scope(g, ""));
  // tensors
  const tName: number[] = [];
  const tShape: number[] = [];
  const tDtype: number[] = [];
  const tKind: number[] = [];
  const tRow = new Map<string, number>();
  const tensor = (name: string, kind: number): number => {
    let r = tRow.get(name);
    if (r === undefined) {
      r = tName.length;
      tRow.set(name, r);
      tName.push(s(name));
      tShape.push(s(spec.shapes?.[name] ?? "1×4"));
      tDtype.push(s("float32"));
      tKind.push(kind);
    }
    return r;
  };
  for (const x of spec.inputs ?? []) tensor(x, 1);
  for (const x of spec.weights ?? []) tensor(x, 3);
  const producer = new Map<number, number>();
  spec.nodes.forEach((n, i) => {
    for (const o of n.outs ?? []) {
      const t = tensor(o, (spec.outputs ?? []).includes(o) ? 2 : 0);
      producer.set(t, i);
    }
  });
  const nodes = {
    id: [] as number[], name: [] as number[], op: [] as number[], domain: [] as number[], graph: [] as number[],
    scope: [] as number[], in_ptr: [0], in: [] as number[], out_ptr: [0], out: [] as number[],
  };
  const edges = { src: [] as number[], dst: [] as number[], tensor: [] as number[] };
  const io = { graph: [] as number[], kind: [] as number[], tensor: [] as number[] };
  const ioOf = new Map<number, number>();
  for (const x of spec.inputs ?? []) {
    ioOf.set(tRow.get(x) as number, io.graph.length);
    io.graph.push(0);
    io.kind.push(0);
    io.tensor.push(tRow.get(x) as number);
  }
  const nNodes = spec.nodes.length;
  spec.nodes.forEach((n, i) => {
    nodes.id.push(s(n.id));
    nodes.name.push(s(n.name ?? n.id));
    nodes.op.push(s(n.op));
    nodes.domain.push(s(""));
    nodes.graph.push(n.graph ?? 0);
    nodes.scope.push(scope(n.graph ?? 0, n.scope ?? ""));
    for (const x of n.ins ?? []) {
      const t = tensor(x, 0);
      nodes.in.push(t);
      const p = producer.get(t);
      const src = p !== undefined ? p : ioOf.has(t) ? nNodes + (ioOf.get(t) as number) : -1;
      if (src >= 0) {
        edges.src.push(src);
        edges.dst.push(i);
        edges.tensor.push(t);
      }
    }
    nodes.in_ptr.push(nodes.in.length);
    for (const o of n.outs ?? []) nodes.out.push(tRow.get(o) as number);
    nodes.out_ptr.push(nodes.out.length);
  });
  for (const x of spec.outputs ?? []) {
    const t = tRow.get(x) as number;
    const r = io.graph.length;
    io.graph.push(0);
    io.kind.push(1);
    io.tensor.push(t);
    const p = producer.get(t);
    if (p !== undefined) {
      edges.src.push(p);
      edges.dst.push(nNodes + r);
      edges.tensor.push(t);
    }
  }
  const bodies = { node: [] as number[], graph: [] as number[] };
  graphs.forEach((g, gi) => {
    if (gi > 0) {
      bodies.node.push(nodeRow.get(g.owner) as number);
      bodies.graph.push(gi);
    }
  });
  return {
    format: "onnx-inspect/graph",
    version: 1,
    strings,
    tensor_kinds: ["intermediate", "input", "output", "initializer", "constant", "outer"],
    graphs: {
      path: graphs.map((g) => s(g.path)),
      owner: graphs.map((g) => (g.owner ? (nodeRow.get(g.owner) as number) : -1)),
      attr: graphs.map((g) => s(g.attr)),
      parent: graphs.map((g) => g.parent),
    },
    scopes: { graph: sg, path: sp, parent: spar },
    nodes,
    tensors: { name: tName, shape: tShape, dtype: tDtype, kind: tKind },
    io,
    edges,
    bodies,
  };
}

/** A chain x -> n0 -> n1 -> ... -> y, node k in scope scopes(k). */
export function chain(n: number, scopes: (k: number) => string = () => ""): RawPayload {
  const nodes: NodeSpec[] = [];
  for (let k = 0; k < n; k++) {
    nodes.push({ id: `n${k}`, op: k % 2 ? "Relu" : "MatMul", scope: scopes(k), ins: [k === 0 ? "x" : `t${k - 1}`, ...(k % 2 ? [] : [`w${k}`])], outs: [k === n - 1 ? "y" : `t${k}`] });
  }
  const weights = nodes.filter((_, k) => k % 2 === 0).map((_, j) => `w${2 * j}`);
  return makePayload({ nodes, inputs: ["x"], outputs: ["y"], weights });
}

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

const TABLES = ["graphs", "scopes", "nodes", "tensors", "io", "edges", "bodies"] as const;

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The wire form of a payload, built as views/graph_payload.py payload_bytes builds it: two parts,
 * the strings the tree reads packed after the int32 data and the rest in the second part; or
 * (`older`) one part with the table as a JSON list in the header, as before.
 */
export async function wireForm(p: RawPayload, older = false): Promise<Uint8Array> {
  const header: Record<string, unknown> = { ...p };
  const strings = p.strings as string[];
  const ints: number[] = [];
  for (const table of TABLES) {
    const cols = (p as unknown as Record<string, Record<string, Parameters<typeof decodeInts>[0]>>)[table];
    if (!cols) continue;
    const refs: Record<string, unknown> = {};
    for (const [name, col] of Object.entries(cols)) {
      const values = [...decodeInts(col)];
      const delta = name.length % 2 === 0; // both codings, column by column
      refs[name] = { [delta ? "d32" : "i32"]: [ints.length, values.length] };
      values.forEach((v, k) => ints.push(delta && k > 0 ? v - values[k - 1] : v));
    }
    header[table] = refs;
  }
  let text = new Uint8Array(0);
  let rest = new Uint8Array(0);
  if (!older) {
    const codes = [...decodeInts(p.graphs.path), ...decodeInts(p.graphs.attr), ...decodeInts(p.scopes.path)];
    const split = Math.min(strings.length, 1 + Math.max(-1, ...codes));
    for (const s of strings) ints.push(s.length); // UTF-16 code units
    text = new TextEncoder().encode(strings.slice(0, split).join(""));
    rest = new TextEncoder().encode(strings.slice(split).join(""));
    header.strings = { d32: [ints.length - strings.length, strings.length], utf8: text.length, split };
  }
  const head = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((4 + head.length) % 4)) % 4;
  const body = new Uint8Array(4 + head.length + pad + 4 * ints.length + text.length);
  const view = new DataView(body.buffer);
  view.setUint32(0, head.length, true);
  body.set(head, 4);
  body.fill(0x20, 4 + head.length, 4 + head.length + pad);
  ints.forEach((v, k) => view.setInt32(4 + head.length + pad + 4 * k, v, true));
  body.set(text, 4 + head.length + pad + 4 * ints.length);
  const first = await deflate(body);
  if (older) return new Uint8Array([0x4f, 0x49, 0x47, 0x5a, ...first]);
  const second = await deflate(rest);
  const out = new Uint8Array(8 + first.length + second.length);
  out.set([0x4f, 0x49, 0x47, 0x32]);
  new DataView(out.buffer).setUint32(4, first.length, true);
  out.set(first, 8);
  out.set(second, 8 + first.length);
  return out;
}

/** The payload with its string table reordered as graph_columns orders it: the strings the group
 * tree reads (graph paths and attributes, scope paths) first, so the wire form's first part is small. */
export function treeStringsFirst(p: RawPayload): RawPayload {
  const strings = p.strings as string[];
  const tree = [p.graphs.path, p.graphs.attr, p.scopes.path].flatMap((c) => [...decodeInts(c)]);
  const order = [...new Set(tree.filter((c) => c >= 0))];
  const inTree = new Set(order);
  strings.forEach((_, c) => inTree.has(c) || order.push(c));
  const code = new Int32Array(strings.length);
  order.forEach((old, k) => {
    code[old] = k;
  });
  const map = (c: Parameters<typeof decodeInts>[0]) => [...decodeInts(c)].map((x) => (x >= 0 ? code[x] : x));
  return {
    ...p,
    strings: order.map((c) => strings[c]),
    graphs: { ...p.graphs, path: map(p.graphs.path), attr: map(p.graphs.attr) },
    scopes: { ...p.scopes, path: map(p.scopes.path) },
    nodes: { ...p.nodes, id: map(p.nodes.id), name: map(p.nodes.name), op: map(p.nodes.op), domain: map(p.nodes.domain) },
    tensors: { ...p.tensors, name: map(p.tensors.name), shape: map(p.tensors.shape), dtype: map(p.tensors.dtype) },
    model: p.model?.name !== undefined ? { ...p.model, name: code[p.model.name] } : p.model,
  };
}
