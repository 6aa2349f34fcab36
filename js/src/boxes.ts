// What each box shows and how big it is: text lines for nodes, collapsed groups and io boxes.
// Sizes are estimated from character counts (no DOM measuring), so layouts can run in a worker
// and in tests. Pure logic, no DOM.

import { type GraphData, IO_INPUT, IO_OUTPUT, KIND_INITIALIZER, nodeInputs } from "./payload";
import type { Tree } from "./groups";

export const CHAR_W = 6.4; // px per character at the 11px UI font (estimate)
export const OP_CHAR_W = 7.2; // bold op type line
export const LINE_H = 13;
export const MAX_WEIGHT_LINES = 3;
export const MAX_NAME_CHARS = 30;

export interface BoxContent {
  kind: "node" | "group" | "io";
  /** first (bold) line */
  title: string;
  /** further lines */
  lines: string[];
  /** extra lines listing weights (node boxes only) */
  weights: string[];
  w: number;
  h: number;
}

/** Shorten a string to n characters, keeping its end (names differ at the end). */
export function ellipsize(s: string, n: number): string {
  if (s.length <= n) return s;
  return `\u2026${s.slice(s.length - n + 1)}`;
}

/**
 * A shape label short enough for an edge: symbolic dims longer than a few characters become "(…)"
 * ("batch×16×(floor(height/2 - 1/2) + 1)×(…)" -> "batch×16×(…)×(…)"), keeping the rank and the plain dims;
 * whatever is still longer than n is cut. The full label stays in the edge's tooltip.
 */
export function shortShape(label: string, n = 32): string {
  if (label.length <= n) return label;
  let out = "";
  let depth = 0;
  let start = 0;
  for (let i = 0; i < label.length; i++) {
    const c = label[i];
    if (c === "(") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === ")" && depth > 0) {
      depth--;
      if (depth === 0) {
        const group = label.slice(start, i + 1);
        out += group.length > 10 ? "(\u2026)" : group;
      }
    } else if (depth === 0) {
      out += c;
    }
  }
  if (depth > 0) out += "(\u2026";
  return out.length <= n ? out : `${out.slice(0, n - 1)}\u2026`;
}

function widthOf(title: string, lines: string[], min: number, max: number): number {
  let w = title.length * OP_CHAR_W;
  for (const l of lines) w = Math.max(w, l.length * CHAR_W);
  return Math.round(Math.min(max, Math.max(min, w + 20)));
}

/** Value names made up by exporters ("onnx::MatMul_12", "/Constant_output_0", "val_3"). */
const GENERATED = /^onnx::|^\/|_output_\d+$|^val_\d+$/;

/**
 * The weight a tensor stands for: itself when it is an initializer; when it comes from parameter
 * plumbing (an Identity, Cast, Transpose, ... of weights), the weight at the start of that chain
 * (so a tied weight reads "word_embeddings.weight", not "onnx::MatMul_123"); -1 otherwise.
 */
export function weightSource(d: GraphData, t: number, plumbingHidden: boolean): number {
  for (let guard = 0; t >= 0 && guard < 64; guard++) {
    if (d.tensorKind[t] === KIND_INITIALIZER) return t;
    const p = d.tensorProducer[t];
    if (!plumbingHidden || p < 0 || !d.nodePlumbing[p]) return -1;
    // a name the exporter gave the weight itself ("layer.3.ln2.bias" out of an Identity) says most
    if (!GENERATED.test(d.tensorNameAt(t))) return t;
    // follow the first input that is a weight or plumbing; a Constant has none: it is the source
    let next = -1;
    for (const u of nodeInputs(d, p)) {
      if (u >= 0 && (d.tensorKind[u] === KIND_INITIALIZER || (d.tensorProducer[u] >= 0 && d.nodePlumbing[d.tensorProducer[u]]))) {
        next = u;
        break;
      }
    }
    if (next < 0) return t;
    t = next;
  }
  return t;
}

/** Weight inputs of a node (initializers, and with plumbingHidden what hidden plumbing makes of
 * them), as "shape name" lines: the shape the node reads, the weight's name. */
export function weightLines(d: GraphData, i: number, plumbingHidden = false): string[] {
  const out: string[] = [];
  let extra = 0;
  let last = "";
  for (const t of nodeInputs(d, i)) {
    if (t < 0) continue;
    const src = weightSource(d, t, plumbingHidden);
    if (src < 0) continue;
    if (out.length < MAX_WEIGHT_LINES - 1) {
      const shape = d.tensorShape[t] || d.tensorShape[src] || "?";
      out.push(`${shape}  ${ellipsize(d.tensorNameAt(src), 18)}`);
    } else {
      extra++;
      last = `${d.tensorShape[t] || d.tensorShape[src] || "?"}  ${ellipsize(d.tensorNameAt(src), 18)}`;
    }
  }
  // at most MAX_WEIGHT_LINES lines: the last says "+N more" unless it fits the last weight itself
  if (extra === 1 && last) out.push(last);
  else if (extra > 0) out.push(`+${extra} more`);
  return out;
}

/**
 * True for a name that only repeats the op type with an exporter's counter ("/Unsqueeze_1",
 * "/encoder/layer.0/Add_2", "node_MatMul_3", Paddle2ONNX's "p2o.Conv.0"): the box's title already says it, and the scope
 * shows in the group frame, so the line is left out to keep boxes small.
 */
export function repeatsOp(name: string, op: string): boolean {
  const last = name.slice(name.lastIndexOf("/") + 1);
  return new RegExp(`^(node_|p2o\\.)?${op.replace(/[^A-Za-z0-9]/g, "")}([_.]\\d+)?$`, "i").test(last);
}

export function nodeContent(d: GraphData, i: number, plumbingHidden = false): BoxContent {
  const title = d.nodeDomain[i] && d.nodeDomain[i] !== "ai.onnx" ? `${d.nodeOp[i]}` : d.nodeOp[i];
  // an unnamed node's id ("n12") and a name that repeats the op say nothing the title does not
  const name = d.nodeName[i];
  const label = ellipsize(name, MAX_NAME_CHARS);
  const lines = label && label !== title && !repeatsOp(name, d.nodeOp[i]) ? [label] : [];
  const weights = weightLines(d, i, plumbingHidden);
  const w = widthOf(title, [...lines, ...weights], 64, 230);
  const h = 12 + LINE_H + lines.length * LINE_H + weights.length * (LINE_H - 1) + (weights.length ? 3 : 0);
  return { kind: "node", title, lines, weights, w, h };
}

export function ioContent(d: GraphData, row: number): BoxContent {
  const t = d.ioTensor[row];
  const title = ellipsize(d.tensorNameAt(t), MAX_NAME_CHARS);
  const shape = d.tensorShape[t];
  const dtype = d.tensorDtype[t];
  const kind = d.ioKind[row] === IO_INPUT ? "input" : d.ioKind[row] === IO_OUTPUT ? "output" : "outer";
  const info = [dtype, shape].filter((x) => x).join(" ");
  // long symbolic shapes are cut to the box (the tooltip has them whole)
  const lines = [info ? `${kind} \u00b7 ${ellipsize(info, 31 - kind.length)}` : kind];
  return { kind: "io", title, lines, weights: [], w: widthOf(title, lines, 70, 230), h: 12 + 2 * LINE_H };
}

/** Per payload: each node's op type as a small number, and the op types by number. */
const opCodeCache = new WeakMap<GraphData, { code: Int32Array; names: string[] }>();

function opCodes(d: GraphData): { code: Int32Array; names: string[] } {
  let c = opCodeCache.get(d);
  if (!c) {
    const byName = new Map<string, number>();
    const names: string[] = [];
    const code = new Int32Array(d.nNodes);
    for (let i = 0; i < d.nNodes; i++) {
      let k = byName.get(d.nodeOp[i]);
      if (k === undefined) {
        k = names.length;
        names.push(d.nodeOp[i]);
        byName.set(d.nodeOp[i], k);
      }
      code[i] = k;
    }
    c = { code, names };
    opCodeCache.set(d, c);
  }
  return c;
}

/** Per tree: op type -> count of the nodes inside each group asked for so far. */
const opCountCache = new WeakMap<Tree, Map<number, Map<string, number>>>();

/**
 * Op type counts of the nodes inside group g, at any depth (memoised per group). One walk of the
 * group's subtree counting into an array: the first view's collapsed groups hold the whole graph
 * between them, so this stays linear without keeping a map for every group inside.
 */
export function opCounts(d: GraphData, t: Tree, g: number): Map<string, number> {
  let memo = opCountCache.get(t);
  if (!memo) {
    memo = new Map();
    opCountCache.set(t, memo);
  }
  const known = memo.get(g);
  if (known) return known;
  const { code, names } = opCodes(d);
  const n = new Int32Array(names.length);
  const stack = [g];
  while (stack.length > 0) {
    for (const b of t.groupChildren[stack.pop() as number]) {
      if (b >= t.nItems) stack.push(b - t.nItems);
      else if (b < d.nNodes) n[code[b]]++;
    }
  }
  const counts = new Map<string, number>();
  for (let k = 0; k < n.length; k++) if (n[k] > 0) counts.set(names[k], n[k]);
  memo.set(g, counts);
  return counts;
}

/** The most common op types inside a group, e.g. "MatMul×6 Add×2". */
export function opSummary(d: GraphData, t: Tree, g: number, top = 3): string {
  return [...opCounts(d, t, g).entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([op, n]) => `${op}\u00d7${n}`)
    .join(" ");
}

/**
 * Space-separated parts within n characters, most important first: whole parts are kept from the start
 * and the rest becomes "…" ("MatMul×480 Add×180 LayerNormalization×120" -> "MatMul×480 Add×180 …"),
 * so the commonest op is never the one cut; a single part too long keeps its start.
 */
export function fitParts(s: string, n: number): string {
  if (s.length <= n) return s;
  const parts = s.split(" ");
  let out = "";
  for (const p of parts) {
    const next = out ? `${out} ${p}` : p;
    if (next.length + 2 > n) break; // room for " …"
    out = next;
  }
  return out ? `${out} …` : `${s.slice(0, n - 1)}…`;
}

export function groupContent(d: GraphData, t: Tree, g: number): BoxContent {
  const title = ellipsize(t.groupLabel[g] || t.groupKey[g], MAX_NAME_CHARS);
  const n = t.groupCount[g];
  const lines = [`${n} node${n === 1 ? "" : "s"}`, fitParts(opSummary(d, t, g), 34)];
  return { kind: "group", title, lines, weights: [], w: widthOf(title, lines, 90, 250), h: 14 + 3 * LINE_H };
}

/** Content of any box of a tree. */
export function boxContent(d: GraphData, t: Tree, box: number, plumbingHidden = false): BoxContent {
  if (box >= t.nItems) return groupContent(d, t, box - t.nItems);
  if (box >= d.nNodes) return ioContent(d, box - d.nNodes);
  return nodeContent(d, box, plumbingHidden);
}

/** Broad op category, for the colour of a node's accent bar. */
export function opCategory(op: string): string {
  if (/^(Conv|ConvTranspose|Gemm|MatMul|MatMulInteger|QLinearConv|QLinearMatMul|FusedMatMul|Einsum)$/.test(op)) return "linear";
  if (/^(Relu|LeakyRelu|PRelu|Sigmoid|Tanh|Gelu|FastGelu|BiasGelu|Softmax|LogSoftmax|Elu|Selu|HardSigmoid|HardSwish|Mish|Softplus|Clip|Erf|QuickGelu)$/.test(op)) return "activation";
  if (/Norm|^(BatchNormalization|Dropout|LRN)$/.test(op)) return "norm";
  if (/Pool|^(Resize|Upsample)$/.test(op)) return "pool";
  if (/^(Reshape|Transpose|Flatten|Squeeze|Unsqueeze|Concat|Split|Slice|Gather|GatherElements|GatherND|Expand|Tile|Shape|Size|Pad|Cast|Identity|ScatterND|ScatterElements|Where|Range|DepthToSpace|SpaceToDepth)$/.test(op)) return "shape";
  if (/^(Constant|ConstantOfShape)$/.test(op)) return "const";
  if (/^(If|Loop|Scan)$/.test(op)) return "control";
  if (/QuantizeLinear|DequantizeLinear|DynamicQuantize/.test(op)) return "quant";
  return "math";
}

/** Whether node i reads a weight: a floating-point initializer that is not a scalar, directly or
 * through hidden plumbing (a tied weight's Identity, a DequantizeLinear). */
export function readsWeight(d: GraphData, i: number, plumbingHidden: boolean): boolean {
  for (const t of nodeInputs(d, i)) {
    if (t < 0) continue;
    const s = weightSource(d, t, plumbingHidden);
    if (s < 0 || d.tensorKind[s] !== KIND_INITIALIZER || !/float/.test(d.tensorDtype[s])) continue;
    const shape = d.tensorShape[s];
    if (shape && shape !== "scalar" && shape !== "1") return true;
  }
  return false;
}

/**
 * Of a graph's input items, the entry of its data path: the input whose readers reach a node that
 * reads a weight in the fewest hops through drawn nodes (a transformer's input_ids before its
 * attention_mask); the first listed on ties. -1 without inputs.
 */
export function dataInput(d: GraphData, inputs: number[], plumbingHidden: boolean): number {
  if (inputs.length < 2) return inputs.length ? inputs[0] : -1;
  const next = new Map<number, number[]>();
  for (let e = 0; e < d.edgeSrc.length; e++) {
    const s = d.edgeSrc[e];
    const list = next.get(s);
    if (list) list.push(d.edgeDst[e]);
    else next.set(s, [d.edgeDst[e]]);
  }
  const drawn = (i: number) => i < d.nNodes && !(plumbingHidden && d.nodePlumbing[i]);
  let best = inputs[0];
  let bestHops = Infinity;
  for (const b of inputs) {
    const seen = new Set<number>([b]);
    let layer = [b];
    for (let hops = 1; layer.length && hops < Math.min(bestHops, 64); hops++) {
      const nextLayer: number[] = [];
      for (const u of layer) {
        for (const v of next.get(u) ?? []) {
          if (seen.has(v) || !drawn(v)) continue;
          seen.add(v);
          if (readsWeight(d, v, plumbingHidden)) {
            best = b;
            bestHops = hops;
            break;
          }
          nextLayer.push(v);
        }
        if (bestHops === hops) break;
      }
      layer = bestHops === hops ? [] : nextLayer;
    }
  }
  return best;
}
