import assert from "node:assert/strict";
import { test } from "node:test";

import { type RawPayload, decodeInts, decodePayload, isWireForm, readWireForm } from "../src/payload";
import { chain } from "./fixtures";

const TABLES = ["graphs", "scopes", "nodes", "tensors", "io", "edges", "bodies"] as const;

/** The wire form of a payload, built as views/graph_payload.py payload_bytes builds it. */
async function wireForm(p: RawPayload): Promise<Uint8Array> {
  const header: Record<string, unknown> = { ...p };
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
  const head = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((4 + head.length) % 4)) % 4;
  const body = new Uint8Array(4 + head.length + pad + 4 * ints.length);
  const view = new DataView(body.buffer);
  view.setUint32(0, head.length, true);
  body.set(head, 4);
  body.fill(0x20, 4 + head.length, 4 + head.length + pad);
  ints.forEach((v, k) => view.setInt32(4 + head.length + pad + 4 * k, v, true));
  const stream = new Blob([body]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const packed = new Uint8Array(await new Response(stream).arrayBuffer());
  const out = new Uint8Array(4 + packed.length);
  out.set([0x4f, 0x49, 0x47, 0x5a]);
  out.set(packed, 4);
  return out;
}

test("the wire form decodes to the same graph as the JSON payload", async () => {
  const p = chain(90, (k) => `blk${Math.floor(k / 30)}/sub${Math.floor(k / 10) % 3}`);
  const bytes = await wireForm(p);
  assert.ok(isWireForm(bytes) && !isWireForm(new TextEncoder().encode(JSON.stringify(p))));
  const a = decodePayload(p);
  const b = decodePayload(await readWireForm(bytes));
  for (const key of Object.keys(a) as (keyof typeof a)[]) {
    const [x, y] = [a[key], b[key]];
    if (x instanceof Int32Array) assert.deepEqual([...(y as Int32Array)], [...x], key);
    else if (!(x instanceof Map)) assert.deepEqual(y, x, key);
  }
  assert.deepEqual([...b.nodeIndex], [...a.nodeIndex]);
  assert.deepEqual([...b.bodiesOf], [...a.bodiesOf]);
});
