// Build small payloads by hand, in the same format the Python side writes.

import type { RawPayload } from "../src/payload";

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
