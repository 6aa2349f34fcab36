// The graph payload sent once from Python (onnx_inspect/views/graph_payload.py) and its decoding
// into flat typed columns. Everything that comes from the model is data: it is only ever put into
// the DOM through textContent / setAttribute.

/** Front-coded string table: s[i] = s[i-1].slice(0, prefix[i]) + suffix[i] (UTF-16 units). */
export interface FrontCoded {
  prefix: number[];
  suffix: string[];
}

/** An integer column: a plain list, run-length pairs, deltas from the previous value, or (the wire
 * form, already unpacked by readPayload) an Int32Array. */
export type IntColumn = number[] | { rle: number[] } | { delta: number[] } | Int32Array;

/** The wire form's string table (readWireForm): all strings in one, string i = text[ends[i-1], ends[i]). */
export interface PackedStrings {
  text: string;
  ends: Int32Array;
}

export interface RawPayload {
  format: string;
  version: number;
  strings: string[] | FrontCoded | PackedStrings;
  graphs: { path: IntColumn; owner: IntColumn; attr: IntColumn; parent: IntColumn };
  scopes: { graph: IntColumn; path: IntColumn; parent: IntColumn };
  nodes: {
    id: IntColumn;
    name: IntColumn;
    op: IntColumn;
    domain: IntColumn;
    graph: IntColumn;
    scope: IntColumn;
    in_ptr: IntColumn;
    in: IntColumn;
    out_ptr: IntColumn;
    out: IntColumn;
    /** 1 for parameter plumbing (the node computes only from weights and constants) */
    plumbing?: IntColumn;
  };
  tensors: { name: IntColumn; shape: IntColumn; dtype: IntColumn; kind: IntColumn };
  io: { graph: IntColumn; kind: IntColumn; tensor: IntColumn };
  edges: { src: IntColumn; dst: IntColumn; tensor: IntColumn };
  tensor_kinds: string[];
  bodies?: { node: IntColumn; graph: IntColumn };
  model?: { name?: number; n_nodes?: number };
}

/** Tensor kinds, in the order of payload.tensor_kinds. */
export const TENSOR_KINDS = ["intermediate", "input", "output", "initializer", "constant", "outer"] as const;
export const KIND_INITIALIZER = 3;

/** io row kinds: graph input, graph output, outer-scope value used by a body. */
export const IO_INPUT = 0;
export const IO_OUTPUT = 1;
export const IO_OUTER = 2;

/** String i of a payload's table, cut from the packed form only when first asked for. */
export interface StringTable {
  readonly length: number;
  at(i: number): string;
}

export interface GraphData {
  strings: StringTable;
  nNodes: number;
  nIo: number;
  // graphs
  graphPath: string[];
  graphOwner: Int32Array;
  graphAttr: string[];
  graphParent: Int32Array;
  // scopes
  scopeGraph: Int32Array;
  scopePath: string[];
  scopeParent: Int32Array;
  // nodes (the string columns here and below are built on first read: see lazyColumns)
  nodeId: string[];
  nodeName: string[];
  nodeOp: string[];
  nodeDomain: string[];
  nodeGraph: Int32Array;
  nodeScope: Int32Array;
  inPtr: Int32Array;
  ins: Int32Array;
  outPtr: Int32Array;
  outs: Int32Array;
  /** 1 for parameter plumbing nodes (see onnx_inspect/model/plumbing.py); all 0 when absent */
  nodePlumbing: Int32Array;
  /** number of plumbing nodes */
  nPlumbing: number;
  /** tensor row -> producing node row, or -1 */
  tensorProducer: Int32Array;
  // tensors
  tensorName: string[];
  /** tensorName[t] without building the whole column (the first view reads a few hundred of ~340k) */
  tensorNameAt(t: number): string;
  tensorShape: string[];
  tensorDtype: string[];
  tensorKind: Int32Array;
  // io rows: item index = nNodes + row
  ioGraph: Int32Array;
  ioKind: Int32Array;
  ioTensor: Int32Array;
  // edges between items (node rows, then io rows)
  edgeSrc: Int32Array;
  edgeDst: Int32Array;
  edgeTensor: Int32Array;
  /** node id -> node row */
  nodeIndex: Map<string, number>;
  /** graph row -> node rows that open it (owner for bodies, callers for model-local functions) */
  bodiesOf: Map<number, number[]>;
}

/** Decode a string table given as a plain list or front-coded. */
export function decodeStrings(s: string[] | FrontCoded): string[] {
  if (Array.isArray(s)) return s;
  const n = s.suffix.length;
  const out: string[] = new Array(n);
  let prev = "";
  for (let i = 0; i < n; i++) {
    prev = prev.slice(0, s.prefix[i]) + s.suffix[i];
    out[i] = prev;
  }
  return out;
}

/** The string table of a payload: a list, front-coded (JSON payloads) or packed (the wire form). */
export function stringTable(s: string[] | FrontCoded | PackedStrings): StringTable {
  if (Array.isArray(s)) return { length: s.length, at: (i) => s[i] };
  if (!("text" in s)) {
    const list = decodeStrings(s);
    return { length: list.length, at: (i) => list[i] };
  }
  const { text, ends } = s;
  const cut: (string | undefined)[] = new Array(ends.length);
  return {
    length: ends.length,
    at(i: number): string {
      let out = cut[i];
      if (out === undefined) {
        out = text.slice(i > 0 ? ends[i - 1] : 0, ends[i]);
        cut[i] = out;
      }
      return out;
    },
  };
}

/** Decode an integer column (plain, run-length or delta coded) into an Int32Array. */
export function decodeInts(c: IntColumn | undefined): Int32Array {
  if (c === undefined) return new Int32Array(0);
  if (c instanceof Int32Array) return c;
  if (Array.isArray(c)) return Int32Array.from(c);
  if ("rle" in c) {
    const pairs = c.rle;
    let n = 0;
    for (let k = 1; k < pairs.length; k += 2) n += pairs[k];
    const out = new Int32Array(n);
    let at = 0;
    for (let k = 0; k < pairs.length; k += 2) {
      out.fill(pairs[k], at, at + pairs[k + 1]);
      at += pairs[k + 1];
    }
    return out;
  }
  const d = c.delta;
  const out = new Int32Array(d.length);
  let acc = 0;
  for (let k = 0; k < d.length; k++) {
    acc += d[k];
    out[k] = acc;
  }
  return out;
}

const i32 = decodeInts;

function lookup(strings: StringTable, idx: Int32Array): string[] {
  const out: string[] = new Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = idx[i] >= 0 ? strings.at(idx[i]) : "";
  return out;
}

/** GraphData's string columns and the table codes they are read from. */
const STRING_COLUMNS = {
  graphPath: ["graphs", "path"],
  graphAttr: ["graphs", "attr"],
  scopePath: ["scopes", "path"],
  nodeId: ["nodes", "id"],
  nodeName: ["nodes", "name"],
  nodeOp: ["nodes", "op"],
  nodeDomain: ["nodes", "domain"],
  tensorName: ["tensors", "name"],
  tensorShape: ["tensors", "shape"],
  tensorDtype: ["tensors", "dtype"],
} as const;

/**
 * Make d's string columns lazy: each is built from its codes on first read (at 200k nodes the ten
 * columns are ~1.3M strings, and the first view reads a few of them for a few hundred boxes).
 * Assigning a column replaces it.
 */
function lazyColumns(d: GraphData, p: RawPayload): void {
  for (const [key, [table, col]] of Object.entries(STRING_COLUMNS)) {
    const codes = decodeInts((p[table] as Record<string, IntColumn>)[col]);
    let value: string[] | null = null;
    if (key === "tensorName") d.tensorNameAt = (t) => (value ? value[t] : codes[t] >= 0 ? d.strings.at(codes[t]) : "");
    Object.defineProperty(d, key, {
      enumerable: true,
      configurable: true,
      get(): string[] {
        if (!value) value = lookup(d.strings, codes);
        return value;
      },
      set(v: string[]) {
        value = v;
      },
    });
  }
}

/** Turn the raw payload into typed columns plus the lookups the view needs. */
/**
 * Record how long `fn` took as a User Timing measure named `name` (read by benchmarks/scale.py
 * --browser through performance.getEntriesByName; free when nobody reads it).
 */
export function timed<T>(name: string, fn: () => T): T {
  const perf = typeof performance !== "undefined" ? performance : null;
  if (!perf || typeof perf.measure !== "function") return fn();
  const start = perf.now();
  const out = fn();
  try {
    perf.measure(name, { start, end: perf.now() });
  } catch {
    // an engine without User Timing Level 3: no measure, same result
  }
  return out;
}

/** Decode the payload into flat columns, timed as "oi:decode" (from `since` when given: readPayload's start). */
export function decodePayload(p: RawPayload, since?: number): GraphData {
  if (since === undefined || typeof performance === "undefined") return timed("oi:decode", () => decodePayloadNow(p));
  const d = decodePayloadNow(p);
  try {
    performance.measure("oi:decode", { start: since, end: performance.now() });
  } catch {
    // no User Timing Level 3: no measure, same result
  }
  return d;
}

// -- the wire form (views/graph_payload.py payload_bytes) ------------------------------------------------

/** "OIG2": the wire form's first bytes, then the first part's length and two raw deflate parts. */
const MAGIC = [0x4f, 0x49, 0x47, 0x32];
/** "OIGZ": the older wire form (one raw deflate stream, the string table a JSON list in its header). */
const OLD_MAGIC = [0x4f, 0x49, 0x47, 0x5a];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, k) => bytes[k] === b);
}

/** Whether `bytes` is the wire form (else it is UTF-8 JSON, as payloads before issue 15 were). */
export function isWireForm(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC) || startsWith(bytes, OLD_MAGIC);
}

/**
 * The wire form's two deflated parts (views/graph_payload.py MAGIC): the header, columns and the
 * strings the group tree reads; and the other strings (empty in the older, one-part form).
 */
export function wireParts(bytes: Uint8Array): [Uint8Array, Uint8Array] {
  if (startsWith(bytes, OLD_MAGIC)) return [bytes.subarray(OLD_MAGIC.length), new Uint8Array(0)];
  if (!startsWith(bytes, MAGIC) || bytes.length < MAGIC.length + 4) throw new Error("not an onnx-inspect graph payload");
  const n = new DataView(bytes.buffer, bytes.byteOffset + MAGIC.length, 4).getUint32(0, true);
  const at = MAGIC.length + 4;
  if (at + n > bytes.length) throw new Error("graph payload cut short: its first part is incomplete");
  return [bytes.subarray(at, at + n), bytes.subarray(at + n)];
}

type ColumnRef = { i32: [number, number] } | { d32: [number, number] };
const TABLES = ["graphs", "scopes", "nodes", "tensors", "io", "edges", "bodies"] as const;

/** Record the time since `start` as a User Timing measure (read by benchmarks/scale.py --browser). */
export function measureSince(name: string, start: number): void {
  try {
    performance.measure(name, { start, end: performance.now() });
  } catch {
    // no User Timing Level 3 here: no measure, same result
  }
}

/** Record `ms` that ended now (another thread measured them) as a User Timing measure. */
export function measureDone(name: string, ms: number): void {
  if (typeof performance !== "undefined") measureSince(name, performance.now() - ms);
}

/** Raw deflate inflated by the browser's own DecompressionStream (an empty part stays empty). */
export async function inflate(part: Uint8Array): Promise<ArrayBuffer> {
  if (part.length === 0) return new ArrayBuffer(0);
  if (typeof DecompressionStream === "undefined") {
    throw new Error("this browser has no DecompressionStream; use a current Chrome, Firefox, Safari or Edge");
  }
  // written and read by hand: a Blob's stream and Response.arrayBuffer() cost about half as much again
  const ds = new DecompressionStream("deflate-raw");
  const writer = ds.writable.getWriter();
  const written = writer.write(part as Uint8Array<ArrayBuffer>).then(() => writer.close());
  written.catch(() => {}); // when read() fails first, its error is the one thrown
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  await written; // a truncated or corrupt stream rejects here or in read()
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out.buffer;
}

/** The second part's strings, decoded as one (they follow the first part's in the table). */
export async function inflateText(part: Uint8Array): Promise<string> {
  return new TextDecoder().decode(await inflate(part));
}

/**
 * The first part, inflated, as a RawPayload: the JSON header, each integer column an Int32Array
 * over `buf` (delta-coded columns summed in place), and the string table packed with the text of
 * the strings it holds (`rest`, the second part's text, completes it; readWireForm), or a list.
 */
export function unpackWireForm(buf: ArrayBuffer, rest = ""): RawPayload {
  const n = new DataView(buf).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n))) as Record<string, unknown>;
  const base = 4 + n + ((4 - ((4 + n) % 4)) % 4);
  const column = (ref: ColumnRef): Int32Array => {
    const [at, len] = "d32" in ref ? ref.d32 : ref.i32;
    const col = new Int32Array(buf, base + 4 * at, len);
    if ("d32" in ref) for (let k = 1; k < len; k++) col[k] += col[k - 1];
    return col;
  };
  for (const table of TABLES) {
    const cols = header[table] as Record<string, ColumnRef> | undefined;
    if (!cols) continue;
    const out: Record<string, Int32Array> = {};
    for (const [name, ref] of Object.entries(cols)) out[name] = column(ref);
    header[table] = out;
  }
  const table = header.strings as string[] | { d32: [number, number]; utf8: number; split: number };
  if (!Array.isArray(table)) {
    // the UTF-8 bytes follow the strings' lengths, the last int32 column
    const [at, len] = table.d32;
    const text = new TextDecoder().decode(new Uint8Array(buf, base + 4 * (at + len), table.utf8));
    header.strings = { text: text + rest, ends: column(table) } satisfies PackedStrings;
  }
  return header as unknown as RawPayload;
}

/**
 * Unpack the wire form on this thread: inflate it, parse the header, and give each integer column
 * as an Int32Array over the one inflated buffer. The result is a RawPayload like the JSON one, so
 * decodePayload reads either. (The widget does this in a layout worker: see offthread.ts.)
 */
export async function readWireForm(bytes: Uint8Array): Promise<RawPayload> {
  const entered = typeof performance !== "undefined" ? performance.now() : 0;
  const [first, second] = wireParts(bytes);
  const [buf, rest] = await Promise.all([inflate(first), inflateText(second)]);
  const start = typeof performance !== "undefined" ? performance.now() : 0;
  measureSince("oi:inflate", entered); // the DecompressionStream, awaited
  const p = unpackWireForm(buf, rest);
  measureSince("oi:unpack", start); // after the inflate: header and columns
  return p;
}

function decodePayloadNow(p: RawPayload): GraphData {
  if (!p || p.format !== "onnx-inspect/graph") {
    throw new Error("not an onnx-inspect graph payload");
  }
  const strings = stringTable(p.strings);
  const n = decodeInts(p.nodes.id).length;
  const none: string[] = [];
  const d: GraphData = {
    strings,
    nNodes: n,
    nIo: 0,
    graphPath: none,
    graphOwner: i32(p.graphs.owner),
    graphAttr: none,
    graphParent: i32(p.graphs.parent),
    scopeGraph: i32(p.scopes.graph),
    scopePath: none,
    scopeParent: i32(p.scopes.parent),
    nodeId: none,
    nodeName: none,
    nodeOp: none,
    nodeDomain: none,
    nodeGraph: i32(p.nodes.graph),
    nodeScope: i32(p.nodes.scope),
    inPtr: i32(p.nodes.in_ptr),
    ins: i32(p.nodes.in),
    outPtr: i32(p.nodes.out_ptr),
    outs: i32(p.nodes.out),
    nodePlumbing: new Int32Array(0),
    nPlumbing: 0,
    tensorProducer: new Int32Array(0),
    tensorName: none,
    tensorNameAt: () => "",
    tensorShape: none,
    tensorDtype: none,
    tensorKind: i32(p.tensors.kind),
    ioGraph: i32(p.io.graph),
    ioKind: i32(p.io.kind),
    ioTensor: i32(p.io.tensor),
    edgeSrc: i32(p.edges.src),
    edgeDst: i32(p.edges.dst),
    edgeTensor: i32(p.edges.tensor),
    nodeIndex: new Map(),
    bodiesOf: new Map(),
  };
  lazyColumns(d, p);
  d.nIo = d.ioGraph.length;
  const plumbing = decodeInts(p.nodes.plumbing);
  d.nodePlumbing = plumbing.length === n ? plumbing : new Int32Array(n);
  for (let i = 0; i < n; i++) if (d.nodePlumbing[i]) d.nPlumbing++;
  d.tensorProducer = new Int32Array(d.tensorKind.length).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let k = d.outPtr[i]; k < d.outPtr[i + 1]; k++) if (d.outs[k] >= 0) d.tensorProducer[d.outs[k]] = i;
  }
  // id -> row is built on first use: the first paint does not need it (a 50k-id map is ~10-20 ms)
  let index: Map<string, number> | null = null;
  Object.defineProperty(d, "nodeIndex", {
    get(): Map<string, number> {
      if (!index) {
        index = new Map();
        for (let i = 0; i < n; i++) index.set(d.nodeId[i], i);
      }
      return index;
    },
  });
  // bodies a node opens: subgraphs it owns and model-local functions it calls
  const bn = decodeInts(p.bodies?.node);
  const bg = decodeInts(p.bodies?.graph);
  for (let k = 0; k < bn.length; k++) {
    const list = d.bodiesOf.get(bn[k]) ?? [];
    list.push(bg[k]);
    d.bodiesOf.set(bn[k], list);
  }
  return d;
}

/** Input tensor rows of node i (-1 for an omitted optional input). */
export function nodeInputs(d: GraphData, i: number): Int32Array {
  return d.ins.subarray(d.inPtr[i], d.inPtr[i + 1]);
}

export function nodeOutputs(d: GraphData, i: number): Int32Array {
  return d.outs.subarray(d.outPtr[i], d.outPtr[i + 1]);
}
