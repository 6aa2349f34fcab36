import assert from "node:assert/strict";
import { test } from "node:test";

import { buildTree } from "../src/groups";
import { overlayInfo } from "../src/overlay";
import { decodePayload } from "../src/payload";
import { chain } from "./fixtures";

test("overlay values map to boxes; a collapsed group gets its aggregate or its one category", () => {
  const d = decodePayload(chain(6, (k) => (k < 3 ? "enc/a" : "enc/b")));
  const t = buildTree(d, 0);
  const a = t.groupIndex.get("enc/a") as number;
  const enc = t.groupIndex.get("enc") as number;
  const num = overlayInfo({ values: { n0: 1, n1: 2, n2: 4, n3: 8, ghost: 99 }, kind: "numeric", aggregate: "max", unit: "us" }, d);
  assert.equal(num.numeric, true);
  assert.equal(num.unit, " us");
  assert.deepEqual([...num.values.entries()], [[0, 1], [1, 2], [2, 4], [3, 8]]); // unknown ids are skipped
  assert.equal(num.groupValue(t, a), 4);
  assert.equal(num.groupValue(t, enc), 8);
  const sum = overlayInfo({ values: { n0: 1, n1: 2, n2: 4 }, kind: "numeric" }, d);
  assert.equal(sum.groupValue(t, a), 7); // "sum" by default
  const cat = overlayInfo({ values: { n0: "CPU", n1: "CPU", n2: "CPU", n3: "CUDA" }, kind: "categorical" }, d);
  assert.equal(cat.numeric, false);
  assert.equal(cat.groupValue(t, a), "CPU");
  assert.equal(cat.groupValue(t, enc), "mixed");
  assert.equal(cat.groupValue(t, t.groupIndex.get("enc/b") as number), "CUDA");
});
