// Layout scheduling: a priority queue of layout jobs in front of a small pool of runners (Web
// Workers, or the main thread where there are none). Work a user waits for (an expand) always goes
// first; work needed for a paint comes next and is shared by every free runner; background work
// (prefetching layouts of groups on screen) runs one small batch at a time, on at most
// `maxBackground` runners, only while nothing else is queued, the caller has not paused it and the
// page is idle, so it never stands between a user action and its frame. Pure logic, no DOM.

import type { LayoutJob, LayoutResult } from "./layout";

/** A user action waits on it (expanding a group, revealing a node, opening a body). */
export const URGENT = 0;
/** Needed to paint (the first layout of a graph). */
export const VISIBLE = 1;
/** Prefetch: nobody waits; dropped when superseded. */
export const BACKGROUND = 2;

export type Priority = typeof URGENT | typeof VISIBLE | typeof BACKGROUND;

/** Something that lays out a batch of jobs (one worker, or the main thread). One batch at a time. */
export interface Runner {
  run(jobs: LayoutJob[]): Promise<LayoutResult[]>;
}

export interface SchedulerOptions {
  /** Runners that may do background work at once; the others stay free for user actions. */
  maxBackground?: number;
  /** A foreground batch of several jobs costs at most this (see jobCost); a single job may cost more. */
  batchCost?: number;
  /** A background batch holds at most this many jobs ... */
  batchJobs?: number;
  /** ... and at most this many boxes (one job is always allowed). */
  batchBoxes?: number;
  /** Waits until the page is idle before each background batch (e.g. requestIdleCallback). */
  idle?: (cb: () => void) => void;
  /** Calls cb after ms milliseconds (setTimeout; replaceable in tests). */
  later?: (cb: () => void, ms: number) => void;
  /** Current time in ms (performance.now; replaceable in tests). */
  now?: () => number;
  /** Jobs whose key this says is done (laid out elsewhere meanwhile) are skipped at dispatch. */
  isDone?: (key: string) => boolean;
}

interface Task {
  key: string;
  /** builds the job when first needed (at dispatch), so queued prefetch costs nothing up front */
  make: () => LayoutJob;
  job: LayoutJob | null;
  prio: Priority;
  seq: number;
  promise: Promise<LayoutResult | null>;
  resolve: (r: LayoutResult | null) => void;
  reject: (e: unknown) => void;
}

/** Cost estimate of a job: dagre's time grows with boxes and edges. */
export function jobCost(job: LayoutJob): number {
  return job.w.length + job.src.length;
}

/**
 * The batches free runners take next from foreground jobs: each takes the costliest job left, plus
 * the cheapest ones while the batch stays within maxCost (tiny layouts are not worth a message
 * each). Jobs not taken stay for the next runner that becomes free, so uneven jobs and a worker
 * that starts late even out. `jobs` must be sorted by cost, costliest first; taken jobs are removed.
 */
export function takeBatches<J>(jobs: J[], runners: number, cost: (j: J) => number, maxCost: number): J[][] {
  const out: J[][] = [];
  for (let r = 0; r < runners && jobs.length > 0; r++) {
    const batch = [jobs.shift() as J];
    let total = cost(batch[0]);
    while (jobs.length > 0 && total + cost(jobs[jobs.length - 1]) <= maxCost) {
      const j = jobs.pop() as J;
      total += cost(j);
      batch.push(j);
    }
    out.push(batch);
  }
  return out;
}

function jobOf(t: Task): LayoutJob {
  if (!t.job) t.job = t.make();
  return t.job;
}

export class LayoutScheduler {
  private readonly runners: Runner[];
  private readonly busy: boolean[];
  private readonly background: boolean[];
  private readonly queue: Task[] = [];
  private readonly byKey = new Map<string, Task>();
  private readonly opts: Required<Omit<SchedulerOptions, "idle" | "isDone">> & Pick<SchedulerOptions, "idle" | "isDone">;
  private seq = 0;
  private paused = 0;
  private quietUntil = 0;
  private idleAsked = false;
  private idleGranted = false;
  private wakeAt = 0;
  private pumpQueued = false;
  /** batches dispatched so far, per priority (diagnostics and tests) */
  readonly dispatched: Record<Priority, number> = { [URGENT]: 0, [VISIBLE]: 0, [BACKGROUND]: 0 };

  constructor(runners: Runner[], opts: SchedulerOptions = {}) {
    if (runners.length === 0) throw new Error("LayoutScheduler needs at least one runner");
    this.runners = runners;
    this.busy = runners.map(() => false);
    this.background = runners.map(() => false);
    this.opts = {
      maxBackground: Math.max(1, Math.min(opts.maxBackground ?? 1, runners.length)),
      batchCost: opts.batchCost ?? 100,
      batchJobs: opts.batchJobs ?? 4,
      batchBoxes: opts.batchBoxes ?? 80,
      later: opts.later ?? ((cb, ms) => void setTimeout(cb, ms)),
      now: opts.now ?? (() => (typeof performance !== "undefined" ? performance.now() : Date.now())),
      idle: opts.idle,
      isDone: opts.isDone,
    };
  }

  /**
   * Lay out a job at `prio`; `job` may be a function that builds it when it is dispatched. A job
   * with the same key already queued or running is shared (and raised to the higher priority).
   * Resolves to null when background work is cancelled, or skipped because isDone says so.
   */
  request(key: string, job: LayoutJob | (() => LayoutJob), prio: Priority): Promise<LayoutResult | null> {
    const known = this.byKey.get(key);
    if (known) {
      if (prio < known.prio) known.prio = prio;
      this.schedulePump();
      return known.promise;
    }
    let resolve!: (r: LayoutResult | null) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<LayoutResult | null>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const make = typeof job === "function" ? job : () => job;
    const task: Task = { key, make, job: null, prio, seq: this.seq++, promise, resolve, reject };
    this.queue.push(task);
    this.byKey.set(key, task);
    this.schedulePump();
    return promise;
  }

  /** Dispatch once the caller's synchronous requests are all in (so they can be spread evenly). */
  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Drop queued background jobs (those whose key matches); they resolve to null. Running batches finish. */
  cancelBackground(match: (key: string) => boolean = () => true): void {
    for (let k = this.queue.length - 1; k >= 0; k--) {
      const task = this.queue[k];
      if (task.prio !== BACKGROUND || !match(task.key)) continue;
      this.queue.splice(k, 1);
      this.byKey.delete(task.key);
      task.resolve(null);
    }
  }

  /** Hold background dispatch until resume() (calls nest). */
  pause(): void {
    this.paused++;
  }

  resume(): void {
    this.paused = Math.max(0, this.paused - 1);
    this.pump();
  }

  /** Hold background dispatch for ms from now (user input: a double-click may follow). */
  quiet(ms: number): void {
    this.quietUntil = Math.max(this.quietUntil, this.opts.now() + ms);
  }

  /** Queued jobs (not yet dispatched) at each priority. */
  queued(): Record<Priority, number> {
    const out: Record<Priority, number> = { [URGENT]: 0, [VISIBLE]: 0, [BACKGROUND]: 0 };
    for (const t of this.queue) out[t.prio]++;
    return out;
  }

  /** Runners busy with background work right now. */
  backgroundRunning(): number {
    return this.background.filter(Boolean).length;
  }

  /** Resolve (to null) and drop queued tasks that were laid out elsewhere meanwhile. */
  private skipDone(tasks: Task[]): Task[] {
    const done = this.opts.isDone;
    if (!done) return tasks;
    return tasks.filter((t) => {
      if (!done(t.key)) return true;
      this.queue.splice(this.queue.indexOf(t), 1);
      this.byKey.delete(t.key);
      t.resolve(null);
      return false;
    });
  }

  private pump(): void {
    for (;;) {
      const free: number[] = [];
      this.busy.forEach((b, r) => {
        if (!b) free.push(r);
      });
      if (free.length === 0 || this.queue.length === 0) return;
      // foreground first: the best priority level queued, spread over all free runners (the
      // queue is in request order: tasks are appended and never reordered)
      let best: Priority = BACKGROUND;
      for (const t of this.queue) if (t.prio < best) best = t.prio;
      if (best !== BACKGROUND) {
        const tasks = this.skipDone(this.queue.filter((t) => t.prio === best));
        tasks.sort((x, y) => jobCost(jobOf(y)) - jobCost(jobOf(x)) || x.seq - y.seq);
        const batches = takeBatches(tasks, free.length, (t) => jobCost(jobOf(t)), this.opts.batchCost);
        batches.forEach((batch, k) => this.dispatch(free[k], batch, best));
        continue;
      }
      if (!this.backgroundAllowed()) return;
      const batch: Task[] = [];
      let boxes = 0;
      for (const t of this.skipDone(this.queue.slice(0, this.opts.batchJobs * 4))) {
        if (batch.length >= this.opts.batchJobs) break;
        const n = jobOf(t).w.length;
        if (batch.length > 0 && boxes + n > this.opts.batchBoxes) break;
        batch.push(t);
        boxes += n;
      }
      if (batch.length === 0) continue;
      this.idleGranted = false;
      this.dispatch(free[free.length - 1], batch, BACKGROUND);
      return;
    }
  }

  /** Background may start now: not paused, not quiet, a runner slot left for it, and the page idle. */
  private backgroundAllowed(): boolean {
    if (this.paused > 0) return false;
    if (this.backgroundRunning() >= this.opts.maxBackground) return false;
    const wait = this.quietUntil - this.opts.now();
    if (wait > 0) {
      const at = this.quietUntil;
      if (this.wakeAt < at) {
        this.wakeAt = at;
        this.opts.later(() => this.pump(), wait + 1);
      }
      return false;
    }
    const idle = this.opts.idle;
    if (!idle || this.idleGranted) return true;
    if (!this.idleAsked) {
      this.idleAsked = true;
      idle(() => {
        this.idleAsked = false;
        this.idleGranted = true;
        this.pump();
      });
    }
    return false;
  }

  private dispatch(r: number, tasks: Task[], prio: Priority): void {
    for (const t of tasks) this.queue.splice(this.queue.indexOf(t), 1);
    this.busy[r] = true;
    this.background[r] = prio === BACKGROUND;
    this.dispatched[prio]++;
    const finish = () => {
      for (const t of tasks) this.byKey.delete(t.key);
      this.busy[r] = false;
      this.background[r] = false;
      this.pump();
    };
    let out: Promise<LayoutResult[]>;
    try {
      out = this.runners[r].run(tasks.map(jobOf));
    } catch (err) {
      out = Promise.reject(err);
    }
    out.then(
      (results) => {
        tasks.forEach((t, k) => t.resolve(results[k] ?? null));
        finish();
      },
      (err) => {
        for (const t of tasks) t.reject(err);
        finish();
      },
    );
  }
}
