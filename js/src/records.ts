// The one record of node facts (contract: /work/wt/_notes/RECORD.md; Python builds it in
// onnx_inspect/views/records.py). JSON-ready, named fields; strings are model text and are only ever
// shown through textContent by details.ts.

/** Everything the details panel shows about one node. */
export interface NodeRecord {
  id: string;
  op: string;
  domain: string; // "ai.onnx" for the default domain
  opset: number | null;
  name: string; // "" when unnamed
  graph: string; // graph path ("" = main graph)
  scope: string;
  ort: string | null; // the name onnxruntime uses for it, if different
  doc: string;
  doc_url: string | null;
  meta: { key: string; value: string }[];
  bodies: string[]; // subgraph paths and the model-local function body path
  attrs: AttrRow[];
  inputs: IoRow[];
  outputs: IoRow[];
  weights: string[]; // tensor ids of this node's weights
  sections: Section[]; // extra per-node facts from fact sources (costs, quantization, accuracy, profile)
}

export interface AttrRow {
  name: string;
  type: string;
  value: string;
  source: "set" | "default" | "missing" | "model";
  ref: string | null; // a graph path this attribute refers to
}

export interface IoRow {
  slot: string;
  name: string; // "" for an omitted optional input
  tensor: string | null;
  dtype: string;
  shape: string;
  shape_source: string;
  kind: string;
  producer: string | null; // inputs only
  consumers: string[]; // outputs only, at most MAX_CONSUMERS
  more_consumers: number;
}

export type Cell = string | number | null;

/** A table of extra facts about a node; a 2-column table reads as a key/value list. */
export interface Section {
  id: string;
  title: string;
  columns: string[];
  rows: Cell[][];
  units?: (string | null)[]; // "B" bytes, "s", "us", "%", "FLOP", ...
  note?: string;
}

/** Statistics of a tensor as views.tensors.tensor_stats returns them (JSON-safe numbers). */
export interface Stats {
  family?: string; // "float" | "int" | "bool" | "string" | "complex" | "other"
  dtype?: string;
  shape?: number[];
  size?: number | null;
  summarised?: number | null;
  min?: number | string | null; // exact integers beyond 2**53 arrive as text
  max?: number | string | null;
  mean?: number | null;
  std?: number | null;
  nan?: number | null;
  inf?: number | null;
  finite?: number | null;
  zero_fraction?: number | null;
  unique?: number | null;
  sampled?: boolean;
  basis?: string;
  note?: string;
  [key: string]: unknown;
}

/** Histogram bins: numeric edges (len = counts + 1) or labels (bool / strings). */
export interface Hist {
  edges?: (number | null)[];
  labels?: string[];
  counts: number[];
  sampled: boolean;
  magnitude: boolean; // complex values: histogram of |z|
}

export interface WeightRecord {
  id: string;
  source: string;
  name: string;
  graph: string;
  dtype: string;
  shape: string;
  nbytes: number | null;
  kind: string;
  where: string;
  external: boolean;
  stats?: Stats;
  hist?: Hist | null;
  head?: (string | number | boolean | null)[];
  error?: string;
}

/** What details.ts calls back into its host for (graph selection, opening a body, a weight). */
export interface Hooks {
  select(nodeId: string): void;
  showGraph(path: string): void;
  showWeight(tensorId: string): void;
}
