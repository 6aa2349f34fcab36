import assert from "node:assert/strict";
import { test } from "node:test";

import { fitParts, opCounts, opSummary } from "../src/boxes";
import { buildTree } from "../src/groups";
import type { LayoutJob, LayoutResult } from "../src/layout";
import { decodePayload } from "../src/payload";
import { fitRegion } from "../src/place";
import { BACKGROUND, LayoutScheduler, type Runner, URGENT, VISIBLE, jobCost, takeBatches } from "../src/schedule";
import { computeVisible, representative } from "../src/visible";
import { chain } from "./fixtures";

/** A runner whose batches finish only when the test says so. */
class FakeRunner implements Runner {
  batches: { keys: string[]; open: () => boolean; finish: () => void; fail: (e: unknown) => void }[] = [];
  busy = 0;
  run(jobs: LayoutJob[]): Promise<LayoutResult[]> {
    this.busy++;
    return new Promise((resolve, reject) => {
      const results = jobs.map((j) => ({ key: j.key, x: [], y: [], w: j.w, h: j.h, width: 0, height: 0, points: [] }));
      let open = true;
      const end = () => {
        assert.ok(open, "batch ended twice");
        open = false;
        this.busy--;
      };
      this.batches.push({
        keys: jobs.map((j) => j.key),
        open: () => open,
        finish: () => {
          end();
          resolve(results);
        },
        fail: (e) => {
          end();
          reject(e);
        },
      });
    });
  }
  /** keys of every batch started so far, in order */
  get started(): string[][] {
    return this.batches.map((b) => b.keys);
  }
}

function job(key: string, boxes = 5): LayoutJob {
  return { key, w: new Array(boxes).fill(50), h: new Array(boxes).fill(20), src: [], dst: [] };
}

/** Let queued microtasks and promise callbacks run. */
async function settle(): Promise<void> {
  for (let k = 0; k < 5; k++) await new Promise<void>((r) => queueMicrotask(r));
  await new Promise((r) => setTimeout(r, 0));
}

/** Idle callbacks that run only when the test grants them. */
function manualIdle(): { idle: (cb: () => void) => void; grant: () => void; pending: () => number } {
  const waiting: (() => void)[] = [];
  return {
    idle: (cb) => void waiting.push(cb),
    grant: () => {
      const cbs = waiting.splice(0);
      for (const cb of cbs) cb();
    },
    pending: () => waiting.length,
  };
}

test("a user's layout overtakes queued prefetching, which runs on one runner, a batch per idle period", async () => {
  const a = new FakeRunner();
  const b = new FakeRunner();
  const idle = manualIdle();
  const s = new LayoutScheduler([a, b], { maxBackground: 1, batchJobs: 2, idle: idle.idle });
  const bg = ["g1", "g2", "g3", "g4", "g5"].map((k) => s.request(k, () => job(k), BACKGROUND));
  await settle();
  // background waits for an idle period
  assert.equal(a.busy + b.busy, 0);
  assert.equal(idle.pending(), 1);
  idle.grant();
  await settle();
  // one batch of two, on one runner only
  assert.equal(a.busy + b.busy, 1);
  const bgRunner = a.busy ? a : b;
  const other = a.busy ? b : a;
  assert.deepEqual(bgRunner.started, [["g1", "g2"]]);
  // an urgent job starts at once on the free runner, ahead of g3..g5
  const urgent = s.request("u", job("u"), URGENT);
  await settle();
  assert.deepEqual(other.started, [["u"]]);
  other.batches[0].finish();
  assert.equal((await urgent)?.key, "u");
  // finishing the background batch does not start the next one before the page is idle again
  bgRunner.batches[0].finish();
  await settle();
  assert.equal(a.busy + b.busy, 0);
  assert.deepEqual(s.queued(), { [URGENT]: 0, [VISIBLE]: 0, [BACKGROUND]: 3 });
  idle.grant();
  await settle();
  assert.equal(a.busy + b.busy, 1);
  assert.equal(s.backgroundRunning(), 1);
  assert.deepEqual([...a.started, ...b.started].flat().sort(), ["g1", "g2", "g3", "g4", "u"]);
  // cancelled prefetch resolves to null and never runs
  s.cancelBackground();
  assert.equal(await bg[4], null);
  for (const r of [a, b]) for (const batch of r.batches) if (batch.open()) batch.finish();
  await settle();
  assert.deepEqual(s.queued(), { [URGENT]: 0, [VISIBLE]: 0, [BACKGROUND]: 0 });
  assert.equal((await bg[2])?.key, "g3");
});

test("with one runner, urgent and paint layouts go before prefetch queued earlier", async () => {
  const r = new FakeRunner();
  const s = new LayoutScheduler([r], { batchJobs: 1 });
  s.request("b1", job("b1"), BACKGROUND);
  s.request("b2", job("b2"), BACKGROUND);
  await settle();
  assert.deepEqual(r.started, [["b1"]]);
  s.request("v", job("v"), VISIBLE);
  s.request("u", job("u"), URGENT);
  r.batches[0].finish();
  await settle();
  assert.deepEqual(r.started[1], ["u"]);
  r.batches[1].finish();
  await settle();
  assert.deepEqual(r.started[2], ["v"]);
  r.batches[2].finish();
  await settle();
  assert.deepEqual(r.started[3], ["b2"]);
  r.batches[3].finish();
});

test("layouts for a paint are shared by all free runners, costliest first, tiny ones batched", async () => {
  const a = new FakeRunner();
  const b = new FakeRunner();
  const s = new LayoutScheduler([a, b], { batchCost: 40 });
  const sizes: Record<string, number> = { big1: 60, big2: 55, big3: 50, t1: 5, t2: 4, t3: 3 };
  const done = Object.entries(sizes).map(([k, n]) => s.request(k, job(k, n), VISIBLE));
  await settle();
  // requests made together are dispatched together: the two costliest first, one per runner
  assert.deepEqual([a.started, b.started], [[["big1"]], [["big2"]]]);
  a.batches[0].finish();
  await settle();
  assert.deepEqual(a.started[1], ["big3"]);
  b.batches[0].finish();
  await settle();
  // the tiny ones go together, to the runner that became free
  assert.deepEqual(b.started[1].sort(), ["t1", "t2", "t3"]);
  a.batches[1].finish();
  b.batches[1].finish();
  const results = await Promise.all(done);
  assert.deepEqual(
    results.map((r) => r?.key),
    Object.keys(sizes),
  );
  assert.deepEqual(s.dispatched, { [URGENT]: 0, [VISIBLE]: 4, [BACKGROUND]: 0 });
});

test("takeBatches: each runner takes the costliest job plus the cheapest while they fit", () => {
  const jobs = [90, 50, 30, 10, 5, 2];
  const left = jobs.slice();
  assert.deepEqual(takeBatches(left, 2, (x) => x, 60), [[90], [50, 2, 5]]);
  assert.deepEqual(left, [30, 10]);
  assert.deepEqual(takeBatches(left, 5, (x) => x, 60), [[30, 10]]);
  assert.deepEqual(left, []);
  assert.deepEqual(takeBatches([], 2, (x: number) => x, 60), []);
  assert.equal(jobCost({ key: "k", w: [1, 2, 3], h: [1, 2, 3], src: [0, 1], dst: [1, 2] }), 5);
});

test("prefetching is held while paused or right after input, and a queued prefetch can be raised to urgent", async () => {
  const r = new FakeRunner();
  let now = 1000;
  const timers: { at: number; cb: () => void }[] = [];
  const s = new LayoutScheduler([r], {
    now: () => now,
    later: (cb, ms) => void timers.push({ at: now + ms, cb }),
  });
  s.pause();
  const p = s.request("g", job("g"), BACKGROUND);
  await settle();
  assert.equal(r.busy, 0);
  s.quiet(300);
  s.resume();
  await settle();
  assert.equal(r.busy, 0, "still quiet");
  assert.equal(timers.length, 1);
  now += 301;
  timers[0].cb();
  await settle();
  assert.deepEqual(r.started, [["g"]]);
  r.batches[0].finish();
  assert.equal((await p)?.key, "g");

  // a job queued for prefetch and then wanted by the user is laid out once, at urgent priority
  s.pause();
  const bg = s.request("h", () => job("h"), BACKGROUND);
  const fg = s.request("h", () => job("h"), URGENT);
  await settle();
  assert.deepEqual(r.started[1], ["h"], "dispatched though background is paused");
  r.batches[1].finish();
  assert.equal(await bg, await fg);
  s.resume();
});

test("queued jobs laid out elsewhere meanwhile are skipped; a failing runner rejects its jobs", async () => {
  const r = new FakeRunner();
  const done = new Set<string>();
  const s = new LayoutScheduler([r], { isDone: (k) => done.has(k) });
  let built = 0;
  const make = (k: string) => () => {
    built++;
    return job(k);
  };
  const first = s.request("a", make("a"), BACKGROUND);
  const second = s.request("b", make("b"), BACKGROUND);
  await settle();
  assert.deepEqual(r.started, [["a", "b"]]);
  r.batches[0].fail(new Error("worker died"));
  await assert.rejects(first, /worker died/);
  await assert.rejects(second, /worker died/);
  done.add("c");
  const skipped = s.request("c", make("c"), VISIBLE);
  assert.equal(await skipped, null);
  assert.equal(built, 2, "jobs are built at dispatch, and not at all when skipped");
});

test("fit keeps clear of the legend: beside it for tall graphs, above it for wide ones", () => {
  assert.deepEqual(fitRegion(800, 600, null, 100, 100, 24), { w: 800, h: 600 });
  const legend = { w: 160, h: 90 };
  assert.deepEqual(fitRegion(800, 600, legend, 300, 3000, 24), { w: 640, h: 600 });
  assert.deepEqual(fitRegion(800, 600, legend, 3000, 300, 24), { w: 800, h: 510 });
  // a legend as large as the view leaves nothing to avoid it with: use the whole view
  assert.deepEqual(fitRegion(200, 150, { w: 190, h: 140 }, 100, 100, 24), { w: 200, h: 150 });
});

test("op counts of groups add up their children's (memoised) and give the summary line", () => {
  const ops = ["MatMul", "Add", "MatMul", "Relu", "MatMul", "Add"];
  const d = decodePayload(chain(6, (k) => (k < 3 ? "enc/a" : "enc/b")));
  for (let i = 0; i < 6; i++) d.nodeOp[i] = ops[i];
  const t = buildTree(d, 0);
  const enc = t.groupIndex.get("enc") as number;
  const a = t.groupIndex.get("enc/a") as number;
  assert.deepEqual(Object.fromEntries(opCounts(d, t, a)), { MatMul: 2, Add: 1 });
  assert.deepEqual(Object.fromEntries(opCounts(d, t, enc)), { MatMul: 3, Add: 2, Relu: 1 });
  assert.equal(opCounts(d, t, enc), opCounts(d, t, enc), "memoised");
  assert.equal(opSummary(d, t, enc), "MatMul\u00d73 Add\u00d72 Relu\u00d71");
  assert.equal(opSummary(d, t, enc, 1), "MatMul\u00d73");
  // a summary too long for the box keeps its commonest ops whole and drops the rest, never the first
  assert.equal(fitParts("MatMul\u00d7480 Add\u00d7180 LayerNormalization\u00d7120", 34), "MatMul\u00d7480 Add\u00d7180 \u2026");
  assert.equal(fitParts("MatMul\u00d73 Add\u00d72", 34), "MatMul\u00d73 Add\u00d72");
  assert.equal(fitParts("VeryLongCustomOperatorNameFromSomeDomain\u00d71", 20), "VeryLongCustomOpera\u2026");
});

test("visible edges join each item's outermost collapsed ancestor, for any expanded set", () => {
  const d = decodePayload(chain(90, (k) => `blk${Math.floor(k / 30)}/sub${Math.floor(k / 10) % 3}`));
  const t = buildTree(d, 0, 8);
  let seed = 3;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let trial = 0; trial < 40; trial++) {
    const expanded = new Set([0]);
    for (let g = 1; g < t.groupKey.length; g++) if (rnd() < 0.5) expanded.add(g);
    const v = computeVisible(t, d, expanded);
    const want = new Map<string, number>();
    for (const e of t.edges) {
      const s = representative(t, d.edgeSrc[e], expanded);
      const u = representative(t, d.edgeDst[e], expanded);
      if (s !== u) want.set(`${s}>${u}`, (want.get(`${s}>${u}`) ?? 0) + 1);
    }
    const got = new Map(v.edges.map((e) => [`${e.src}>${e.dst}`, e.rows.length]));
    assert.deepEqual(got, want, `trial ${trial}`);
    const shown = new Set(v.boxes);
    for (const e of v.edges) assert.ok(shown.has(e.src) && shown.has(e.dst));
  }
});
