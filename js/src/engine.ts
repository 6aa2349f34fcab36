// Layout engine: runs one dagre layout per group (never the whole graph), caches results, and
// keeps the work off the main thread in a Web Worker started from a Blob of bundled code (no file
// fetch, so it works inside JupyterLab and in a saved HTML file). Falls back to running on the
// main thread where workers are unavailable (or for tiny jobs, where a round trip costs more).

import type { BoxContent } from "./boxes";
import { type Tree, portIn, portOut } from "./groups";
import { type LayoutJob, type LayoutResult, runLayout } from "./layout";
import workerSource from "virtual:layout-worker";

const PORT_SIZE = 2;
/** Edges routed per source (and per target) in one layout; more are drawn unrouted. */
export const FAN_MAX = 6;
/** Jobs with fewer boxes than this in total run on the main thread. */
const SYNC_BELOW = 60;
/** Urgent jobs up to this many boxes in total run on the main thread (no worker round trip). */
const URGENT_SYNC = 200;
/** Background (prefetch) work goes to the worker in batches of this many groups. */
const PREFETCH_BATCH = 2;

type Pending = { resolve: (r: LayoutResult[]) => void; reject: (e: unknown) => void };

export class LayoutEngine {
  private cache = new Map<string, LayoutResult>();
  private inflight = new Map<string, Promise<void>>();
  private running = new Set<string>();
  private pairs = new Map<string, Map<number, number>>();
  private worker: Worker | null | undefined = undefined;
  private url: string | null = null;
  private seq = 0;
  private pending = new Map<number, Pending>();
  /** layout calls made so far (for tests and diagnostics) */
  calls = 0;

  private key(t: Tree, g: number): string {
    return `${t.graph}:${g}`;
  }

  has(t: Tree, g: number): boolean {
    return this.cache.has(this.key(t, g));
  }

  get(t: Tree, g: number): LayoutResult {
    const r = this.cache.get(this.key(t, g));
    if (!r) throw new Error(`group ${t.groupKey[g]} has no layout yet`);
    return r;
  }

  /** (cu * nBoxes + cv) -> position of that pair in the group's layout edges. */
  pairIndex(t: Tree, g: number): Map<number, number> {
    const key = this.key(t, g);
    let m = this.pairs.get(key);
    if (!m) {
      m = new Map();
      const nBoxes = t.nItems + t.groupKey.length + 2;
      const pairs = t.levelPairs[g];
      for (let k = 0; k < pairs.length; k += 2) m.set(pairs[k] * nBoxes + pairs[k + 1], k / 2);
      this.pairs.set(key, m);
    }
    return m;
  }

  job(t: Tree, g: number, content: (box: number) => BoxContent): LayoutJob {
    const children = t.groupChildren[g];
    const pos = new Map<number, number>();
    const w: number[] = [];
    const h: number[] = [];
    children.forEach((b, j) => {
      pos.set(b, j);
      const c = content(b);
      w.push(c.w);
      h.push(c.h);
    });
    const src: number[] = [];
    const dst: number[] = [];
    const pairs = t.levelPairs[g];
    // entry / exit ports: tiny nodes that edges crossing the group's border are routed from / to
    for (const port of [portIn(t), portOut(t)]) {
      if (pairs.includes(port)) {
        pos.set(port, w.length);
        w.push(PORT_SIZE);
        h.push(PORT_SIZE);
      }
    }
    // A value read by many boxes (rotary tables, masks, ...) or many values into one box (outputs,
    // concat) would give dagre long edges over many ranks, each a chain of dummy nodes: route only
    // the first FAN_MAX of each fan; the rest are drawn unrouted.
    const outDeg = new Map<number, number>();
    const inDeg = new Map<number, number>();
    const pair: number[] = [];
    for (let k = 0; k < pairs.length; k += 2) {
      const a = pairs[k];
      const b = pairs[k + 1];
      const no = (outDeg.get(a) ?? 0) + 1;
      const ni = (inDeg.get(b) ?? 0) + 1;
      outDeg.set(a, no);
      inDeg.set(b, ni);
      if (no > FAN_MAX || ni > FAN_MAX) continue;
      src.push(pos.get(a) as number);
      dst.push(pos.get(b) as number);
      pair.push(k / 2);
    }
    return { key: this.key(t, g), w, h, src, dst, pair, nPairs: pairs.length / 2 };
  }

  /** Make sure groups have layouts; background work is batched so urgent requests get in first. */
  async ensure(t: Tree, groups: number[], content: (box: number) => BoxContent, background = false): Promise<void> {
    const waits: Promise<void>[] = [];
    const jobs: LayoutJob[] = [];
    for (const g of groups) {
      const key = this.key(t, g);
      if (this.cache.has(key)) continue;
      const fl = this.inflight.get(key);
      // background work waits for whatever is queued; urgent work overtakes it (see below)
      if (fl && background) waits.push(fl);
      else if (!fl || !background) jobs.push(this.job(t, g, content));
    }
    if (!background && jobs.length) {
      // urgent and small (expanding a group), or the worker is busy prefetching: lay out right here
      let total = 0;
      for (const j of jobs) total += j.w.length;
      if (total <= URGENT_SYNC || this.pending.size > 0) this.store(jobs.map(runLayout));
      else waits.push(this.runBatch(jobs));
    } else if (background) {
      let chain: Promise<void> = Promise.resolve();
      for (let k = 0; k < jobs.length; k += PREFETCH_BATCH) {
        const batch = jobs.slice(k, k + PREFETCH_BATCH);
        const p = chain.then(() => this.runBatch(batch));
        chain = p;
        for (const j of batch) this.inflight.set(j.key, p);
        waits.push(p);
      }
    }
    await Promise.all(waits);
  }

  private async runBatch(all: LayoutJob[]): Promise<void> {
    const jobs = all.filter((j) => !this.cache.has(j.key));
    for (const j of jobs) this.running.add(j.key);
    try {
      if (jobs.length === 0) return;
      let total = 0;
      for (const j of jobs) total += j.w.length;
      let results: LayoutResult[];
      const worker = total >= SYNC_BELOW ? this.getWorker() : null;
      if (worker) {
        try {
          results = await this.post(worker, jobs);
        } catch {
          this.worker = null; // broken worker: do the rest on the main thread
          results = jobs.map(runLayout);
        }
      } else {
        results = jobs.map(runLayout);
      }
      this.store(results);
    } finally {
      for (const j of all) {
        this.running.delete(j.key);
        if (this.inflight.get(j.key)) this.inflight.delete(j.key);
      }
    }
  }

  private store(results: LayoutResult[]): void {
    this.calls += results.length;
    for (const r of results) this.cache.set(r.key, r);
  }

  private getWorker(): Worker | null {
    if (this.worker !== undefined) return this.worker;
    this.worker = null;
    try {
      if (typeof Worker === "undefined" || typeof Blob === "undefined" || !workerSource) return null;
      this.url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
      const w = new Worker(this.url);
      w.onmessage = (ev: MessageEvent<{ id: number; results?: LayoutResult[]; error?: string }>) => {
        const p = this.pending.get(ev.data.id);
        if (!p) return;
        this.pending.delete(ev.data.id);
        if (ev.data.results) p.resolve(ev.data.results);
        else p.reject(new Error(ev.data.error ?? "layout failed"));
      };
      w.onerror = (ev) => {
        ev.preventDefault?.();
        for (const p of this.pending.values()) p.reject(new Error("layout worker failed"));
        this.pending.clear();
        this.worker = null;
      };
      this.worker = w;
    } catch {
      this.worker = null;
    }
    return this.worker;
  }

  private post(worker: Worker, jobs: LayoutJob[]): Promise<LayoutResult[]> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, jobs });
    });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    if (this.url) URL.revokeObjectURL(this.url);
    for (const p of this.pending.values()) p.reject(new Error("disposed"));
    this.pending.clear();
  }
}
