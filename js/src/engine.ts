// Layout engine: runs one dagre layout per group (never the whole graph), caches results, and
// keeps the work off the main thread in Web Workers started from a Blob of bundled code (no file
// fetch, so it works inside JupyterLab and in a saved HTML file). A priority queue (schedule.ts)
// sits in front of the workers: layouts a user waits for go first, the first paint's layouts are
// spread over two workers, and prefetching runs one small batch at a time on one worker only.
// Falls back to the main thread where workers are unavailable (or for small urgent jobs, where a
// round trip costs more than the layout).

import type { BoxContent } from "./boxes";
import { type Tree, levelPairs, portIn, portOut } from "./groups";
import { type LayoutJob, type LayoutResult, runLayout } from "./layout";
import type { Decoded } from "./offthread";
import { measureSince } from "./payload";
import { BACKGROUND, LayoutScheduler, type Priority, type Runner, URGENT, VISIBLE } from "./schedule";
import workerSource from "virtual:layout-worker";

export { BACKGROUND, URGENT, VISIBLE } from "./schedule";

const PORT_SIZE = 2;
/** Edges routed per source (and per target) in one layout; more are drawn unrouted. */
export const FAN_MAX = 6;
/** Jobs with fewer boxes than this in total run on the main thread. */
const SYNC_BELOW = 60;
/** Urgent jobs up to this many boxes in total run on the main thread (no worker round trip). */
const URGENT_SYNC = 200;
/** Most layout workers (the first paint's layouts are split between them). */
const MAX_WORKERS = 2;
/** Workers idle this long are stopped (a later layout starts them again). */
const WORKER_IDLE_MS = 60_000;

type Reply = { id: number; results?: LayoutResult[]; decoded?: Decoded; text?: string; error?: string };
type Pending = { resolve: (r: Reply) => void; reject: (e: unknown) => void };

/** Runs batches on the main thread, each in its own task (so a chain of them never blocks input). */
class MainThreadRunner implements Runner {
  run(jobs: LayoutJob[]): Promise<LayoutResult[]> {
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(jobs.map(runLayout));
        } catch (err) {
          reject(err);
        }
      }, 0);
    });
  }
}

/** One layout worker, started on demand from a Blob URL; on failure it falls back to the main thread. */
let workerCount = 0;

/** Await `p`, recording the wait as a User Timing measure (per-worker balance, see benchmarks/scale.py). */
async function timedAsync<T>(name: string, p: Promise<T>): Promise<T> {
  const start = typeof performance !== "undefined" ? performance.now() : 0;
  const out = await p;
  try {
    performance.measure(name, { start, end: performance.now() });
  } catch {
    // no User Timing Level 3 here
  }
  return out;
}

class WorkerRunner implements Runner {
  private worker: Worker | null = null;
  private broken = false;
  private seq = 0;
  private pending = new Map<number, Pending>();
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private fallback = new MainThreadRunner();
  /** "oi:layout-worker-<k>": the User Timing name of this worker's batches (round trips) */
  private readonly measureName = `oi:layout-worker-${workerCount++}`;

  constructor(private url: string) {}

  /** Start the worker now, so its start-up overlaps other work. */
  warm(): void {
    if (this.get()) this.idleLater();
  }

  private idleLater(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), WORKER_IDLE_MS);
  }

  private get(): Worker | null {
    if (this.broken) return null;
    if (this.worker) return this.worker;
    try {
      const w = new Worker(this.url);
      w.onmessage = (ev: MessageEvent<Reply>) => {
        const start = typeof performance !== "undefined" ? performance.now() : 0;
        const data = ev.data; // the first read deserializes the message, on this thread
        const p = this.pending.get(data.id);
        if (!p) return;
        this.pending.delete(data.id);
        if (data.error !== undefined) p.reject(new Error(data.error));
        else {
          if (!data.results) measureSince("oi:receive", start); // main-thread time to take a decoded payload part
          p.resolve(data);
        }
      };
      w.onerror = (ev) => {
        ev.preventDefault?.();
        this.fail();
      };
      this.worker = w;
    } catch {
      this.broken = true;
    }
    return this.worker;
  }

  private fail(): void {
    this.broken = true;
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error("layout worker failed"));
    this.pending.clear();
  }

  /** Send one request to the worker (its bytes moved there), or null when there is no worker. */
  async call(msg: Record<string, unknown>, bytes: Uint8Array): Promise<Reply | null> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.get();
    if (!worker) return null;
    try {
      return await new Promise<Reply>((resolve, reject) => {
        const id = ++this.seq;
        this.pending.set(id, { resolve, reject });
        const copy = bytes.slice(); // the widget keeps its bytes; the worker takes this copy
        worker.postMessage({ ...msg, id, bytes: copy }, [copy.buffer]);
      });
    } finally {
      if (this.pending.size === 0 && this.worker) this.idleLater();
    }
  }

  async run(jobs: LayoutJob[]): Promise<LayoutResult[]> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.get();
    if (!worker) return this.fallback.run(jobs);
    try {
      const job = new Promise<LayoutResult[]>((resolve, reject) => {
        const id = ++this.seq;
        this.pending.set(id, { resolve: (r) => resolve(r.results ?? []), reject });
        worker.postMessage({ id, jobs });
      });
      return await timedAsync(this.measureName, job);
    } catch {
      this.fail(); // broken worker: do this batch and the rest on the main thread
      return this.fallback.run(jobs);
    } finally {
      if (this.pending.size === 0 && this.worker) this.idleLater();
    }
  }

  private stop(): void {
    if (this.pending.size > 0) return;
    this.worker?.terminate();
    this.worker = null;
  }
}

function requestIdle(cb: () => void): void {
  const ric = (globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
  if (ric) ric(cb, { timeout: 1000 });
  else setTimeout(cb, 30);
}

/**
 * The page's layout pool, shared by every graph view on it (a notebook with ten views still runs
 * at most MAX_WORKERS workers, and one view's prefetching gives way to another view's expand).
 * Scheduler keys are "<engine id>|<graph>:<group>".
 */
interface Pool {
  scheduler: LayoutScheduler;
  workers: WorkerRunner[];
  engines: Map<string, LayoutEngine>;
}

let pool: Pool | null = null;

function getPool(): Pool {
  if (pool) return pool;
  const workers: WorkerRunner[] = [];
  try {
    if (typeof Worker !== "undefined" && typeof Blob !== "undefined" && workerSource) {
      // the URL lives as long as the page: workers stopped when idle are started again from it
      const url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
      const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
      const n = Math.max(1, Math.min(MAX_WORKERS, cores));
      for (let k = 0; k < n; k++) workers.push(new WorkerRunner(url));
    }
  } catch {
    workers.length = 0;
  }
  const engines = new Map<string, LayoutEngine>();
  const runners: Runner[] = workers.length > 0 ? workers : [new MainThreadRunner()];
  const scheduler = new LayoutScheduler(runners, {
    maxBackground: 1,
    idle: requestIdle,
    isDone: (key) => {
      const bar = key.indexOf("|");
      const engine = engines.get(key.slice(0, bar));
      return !engine || engine.has(key.slice(bar + 1));
    },
  });
  pool = { scheduler, workers, engines };
  return pool;
}

/**
 * Decode the wire form's two parts (payload.ts wireParts) in the layout workers at once: the first
 * worker inflates the columns and builds the first view's group tree, the second (or the first,
 * after that, where there is one) inflates the rest of the strings. Null where workers cannot run
 * here (the caller decodes on this thread).
 */
export async function decodeOffThread(first: Uint8Array, second: Uint8Array): Promise<{ decoded: Decoded; rest: string } | null> {
  const workers = getPool().workers;
  if (workers.length === 0) return null;
  const [a, b] = await Promise.all([
    workers[0].call({ decode: true }, first),
    second.length ? workers[workers.length - 1].call({ text: true }, second) : { id: 0, text: "" },
  ]);
  if (!a?.decoded || !b || b.text === undefined) return null;
  return { decoded: a.decoded, rest: b.text };
}

/** Start the page's layout workers now, so their start-up overlaps decoding the payload. */
export function warmLayoutWorkers(): void {
  for (const w of getPool().workers) w.warm();
}

let engineSeq = 0;

export class LayoutEngine {
  private cache = new Map<string, LayoutResult>();
  private pairs = new Map<string, Map<number, number>>();
  private readonly id = `e${++engineSeq}`;
  private registered = false;
  /** layout calls made so far (for tests and diagnostics) */
  calls = 0;

  /** The shared scheduler, with this engine registered (so queued jobs can be skipped once cached). */
  private get scheduler(): LayoutScheduler {
    const p = getPool();
    if (!this.registered) {
      p.engines.set(this.id, this);
      this.registered = true;
    }
    return p.scheduler;
  }

  /** Whether layout `key` ("<graph>:<group>") is cached. */
  has(key: string): boolean;
  has(t: Tree, g: number): boolean;
  has(t: Tree | string, g?: number): boolean {
    return this.cache.has(typeof t === "string" ? t : this.key(t, g as number));
  }

  private key(t: Tree, g: number): string {
    return `${t.graph}:${g}`;
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
      const pairs = levelPairs(t, g);
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
    const pairs = levelPairs(t, g);
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

  /**
   * Make sure groups have layouts. Small urgent work runs right here; the rest goes through the
   * page's priority queue (see schedule.ts), where it overtakes any prefetching.
   */
  async ensure(t: Tree, groups: number[], content: (box: number) => BoxContent, priority: Priority = VISIBLE): Promise<void> {
    if (priority === BACKGROUND) {
      await Promise.all(this.request(t, groups, content, BACKGROUND));
      return;
    }
    const jobs: LayoutJob[] = [];
    for (const g of groups) if (!this.cache.has(this.key(t, g))) jobs.push(this.job(t, g, content));
    if (jobs.length === 0) return;
    let total = 0;
    for (const j of jobs) total += j.w.length;
    if (total <= (priority === URGENT ? URGENT_SYNC : SYNC_BELOW)) {
      this.store(jobs.map(runLayout));
      return;
    }
    const s = this.scheduler;
    await Promise.all(jobs.map((j) => s.request(`${this.id}|${j.key}`, j, priority).then((r) => r && this.store([r]))));
  }

  /**
   * Lay out these groups in the background (replacing this view's prefetch still queued), so
   * expanding them later is instant. Never blocks: one small batch at a time, when the page is idle.
   */
  prefetch(t: Tree, groups: number[], content: (box: number) => BoxContent): void {
    this.cancelPrefetch();
    for (const p of this.request(t, groups, content, BACKGROUND)) p.catch(() => {}); // failures surface when really needed
  }

  private cancelPrefetch(): void {
    const mine = `${this.id}|`;
    pool?.scheduler.cancelBackground((key) => key.startsWith(mine));
  }

  /** Queue layouts of groups not cached yet; jobs are built only when dispatched. */
  private request(t: Tree, groups: number[], content: (box: number) => BoxContent, prio: Priority): Promise<void>[] {
    const s = this.scheduler;
    const out: Promise<void>[] = [];
    for (const g of groups) {
      const key = this.key(t, g);
      if (this.cache.has(key)) continue;
      out.push(s.request(`${this.id}|${key}`, () => this.job(t, g, content), prio).then((r) => void (r && this.store([r]))));
    }
    return out;
  }

  /** Hold prefetching (page-wide) while a refresh is on its way to the screen (calls nest). */
  pauseBackground(): void {
    this.scheduler.pause();
  }

  resumeBackground(): void {
    pool?.scheduler.resume();
  }

  /** Hold prefetching for ms (user input just happened: a double-click may follow). */
  quiet(ms: number): void {
    pool?.scheduler.quiet(ms);
  }

  private store(results: LayoutResult[]): void {
    this.calls += results.length;
    for (const r of results) this.cache.set(r.key, r);
  }

  /** Forget this view: its queued prefetch is dropped; the shared workers stay (and stop when idle). */
  dispose(): void {
    this.cancelPrefetch();
    pool?.engines.delete(this.id);
  }
}
