import assert from "node:assert/strict";
import { test } from "node:test";

import { type RawPayload, decodeInts, decodePayload, isWireForm, readWireForm } from "../src/payload";
import { chain, wireForm } from "./fixtures";

test("the wire form decodes to the same graph as the JSON payload, and so does the older one-part form", async () => {
  // names with characters outside ASCII and the BMP: the packed table is cut in UTF-16 units
  const p = chain(90, (k) => `blk${Math.floor(k / 30)}/süb${Math.floor(k / 10) % 3}😀中`);
  for (const older of [false, true]) {
    const bytes = await wireForm(p, older);
    assert.ok(isWireForm(bytes) && !isWireForm(new TextEncoder().encode(JSON.stringify(p))));
    const a = decodePayload(p);
    const b = decodePayload(await readWireForm(bytes));
    for (const key of Object.keys(a) as (keyof typeof a)[]) {
      const [x, y] = [a[key], b[key]];
      if (key === "strings" || typeof x === "function") continue;
      if (x instanceof Int32Array) assert.deepEqual([...(y as Int32Array)], [...x], key);
      else if (!(x instanceof Map)) assert.deepEqual(y, x, key);
    }
    assert.equal(b.strings.length, a.strings.length);
    for (let i = 0; i < a.strings.length; i++) assert.equal(b.strings.at(i), a.strings.at(i));
    assert.ok(b.scopePath.some((s) => s.includes("😀中")));
    // names read one by one before the column is built (a fresh decode), then after
    const c = decodePayload(await readWireForm(bytes));
    const names = Array.from({ length: c.tensorKind.length }, (_, t) => c.tensorNameAt(t));
    assert.deepEqual(names, a.tensorName);
    assert.deepEqual(c.tensorName, a.tensorName);
    assert.equal(c.tensorNameAt(names.length - 1), names[names.length - 1]);
    assert.deepEqual([...b.nodeIndex], [...a.nodeIndex]);
    assert.deepEqual([...b.bodiesOf], [...a.bodiesOf]);
  }
});
