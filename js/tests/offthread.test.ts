import assert from "node:assert/strict";
import { test } from "node:test";

import { buildTree, treeFromParts } from "../src/groups";
import { decodeHere, unpackTree } from "../src/offthread";
import { decodePayload, inflateText, wireParts } from "../src/payload";
import { scopedGraph, treeStringsFirst, wireForm } from "./fixtures";
import { treeDifference } from "./tree-compare";
import { referenceTree } from "./tree-reference";

test("the worker's decode gives the JSON payload's columns and the first view's tree", async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const p = treeStringsFirst(scopedGraph(seed, 3 + seed * 4));
    const [first, second] = wireParts(await wireForm(p));
    const { out, transfer } = await decodeHere(first);
    // what crosses to the main thread: a structured clone, the buffers moved
    const back = structuredClone(out, { transfer });
    assert.ok(transfer.every((b) => b.byteLength === 0), "the buffers are moved, not copied");
    // the first part's table holds the strings the tree reads; the second part has the rest
    const table = back.raw.strings as { text: string; ends: Int32Array };
    assert.ok(table.text.length < table.ends[table.ends.length - 1]);
    back.raw.strings = { text: table.text + (await inflateText(second)), ends: table.ends };
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
  const [first] = wireParts(await wireForm(scopedGraph(1, 3)));
  await assert.rejects(decodeHere(first.subarray(0, first.length >> 1)));
  const bytes = await wireForm(scopedGraph(1, 3));
  assert.throws(() => wireParts(bytes.subarray(0, 20)), /cut short/);
});
