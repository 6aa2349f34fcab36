import assert from "node:assert/strict";
import { test } from "node:test";

import { buildTree, treeFromParts } from "../src/groups";
import { decodeHere, unpackTree } from "../src/offthread";
import { decodePayload } from "../src/payload";
import { scopedGraph, wireForm } from "./fixtures";
import { treeDifference } from "./tree-compare";
import { referenceTree } from "./tree-reference";

test("the worker's decode gives the JSON payload's columns and the first view's tree", async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const p = scopedGraph(seed, 3 + seed * 4);
    const { out, transfer } = await decodeHere(await wireForm(p));
    // what crosses to the main thread: a structured clone, the buffers moved
    const back = structuredClone(out, { transfer });
    assert.ok(transfer.every((b) => b.byteLength === 0), "the buffers are moved, not copied");
    const d = decodePayload(back.raw);
    const want = decodePayload(p);
    assert.deepEqual(d.nodeId, want.nodeId);
    assert.deepEqual(d.tensorName, want.tensorName);
    assert.deepEqual([...d.edgeSrc], [...want.edgeSrc]);
    const tree = treeFromParts(unpackTree(back.first));
    const opts = { hidden: want.nodePlumbing };
    assert.equal(treeDifference(tree, referenceTree(want, 0, opts)), null, `seed ${seed}`);
    assert.equal(treeDifference(buildTree(want, 0, opts), referenceTree(want, 0, opts)), null);
    assert.ok(tree.groupFold.some(Boolean) || seed > 1);
  }
});

test("a broken wire form is refused by the worker's decode", async () => {
  const bytes = await wireForm(scopedGraph(1, 3));
  await assert.rejects(decodeHere(bytes.subarray(0, bytes.length >> 1)));
});
