import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

// Gives a burst's memory back once the burst is over. A burst of short-lived work — thousands of WS connects
// and closes — grows V8's young generation and its pages, and V8 keeps them until a full collection at a time
// of low allocation shrinks them: its memory reducer does that, but only once a full collection has armed it
// and only when the old generation grew by 10 MB since its last run, which a connect storm need not do. So
// after one nothing shrank: bench:storm read 1.33–1.35× the baseline RSS 30–40 s after 10 000 connects and
// closes. Here: every 2 s, if the event loop has been nearly idle for the last 3 checks (V8 judges allocation
// over the last 5 s: a collection sooner after the burst shrinks little) and V8's committed heap is 4 MiB or
// more above the least it was since the last round of collections made here, run one full collection; again at
// the next check while each one frees 4 MiB or more. Measured: 1.01–1.04× after the same storm, with two
// collections of 10–13 ms; after 19 000 handshakes (connections held), 20–35 ms each. Under load, and while
// the heap does not grow, it does nothing.

/** What the settle reads each check; the defaults are V8's and the event loop's own. */
export interface HeapSettleReadings {
  /** Bytes V8 holds for its heap (`total_heap_size`: committed, garbage and the young generation included). */
  committed(): number;
  /** Share of the time since the previous call that the event loop was busy, 0–1. */
  busy(): number;
}

/** Thresholds, readings and timers of the settle. */
export interface HeapSettleOptions {
  /** Runs one full collection (Node's `gc`, present with `--expose-gc`). */
  gc: () => void;
  /** Growth of the committed heap over its low-water mark that counts as a burst's leftovers (default 4 MiB). */
  growthBytes?: number;
  /** The event loop counts as quiet below this busy share (default 0.05). */
  quietBelow?: number;
  /** Consecutive quiet checks before a collection (default 3). */
  quietChecks?: number;
  /** Time between checks (default 2 000 ms). */
  intervalMs?: number;
  /** Told of each collection: the committed heap before and right after it, and how long it took. */
  onCollect?: (collection: { before: number; after: number; ms: number }) => void;
  readings?: HeapSettleReadings;
  /** Node's timers by default (they never keep the process alive); XState's SimulatedClock in tests. */
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
}

const MIB = 1024 * 1024;

/** The process's own readings: V8's heap statistics and the event loop's utilization between calls. */
export function processReadings(): HeapSettleReadings {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    committed: () => getHeapStatistics().total_heap_size,
    busy: () => {
      const now = performance.eventLoopUtilization();
      const share = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return share;
    },
  };
}

/** The decision of one check; {@link startHeapSettle} runs it on a timer. */
export class HeapSettle {
  private readonly growth: number;
  private readonly quietBelow: number;
  private readonly quietNeeded: number;
  private readonly readings: HeapSettleReadings;
  /** The smallest committed heap seen since the last round of collections ended (or since the start). */
  private low: number;
  /** Consecutive quiet checks so far. */
  private quiet = 0;

  constructor(private readonly opts: HeapSettleOptions) {
    this.growth = opts.growthBytes ?? 4 * MIB;
    this.quietBelow = opts.quietBelow ?? 0.05;
    this.quietNeeded = opts.quietChecks ?? 3;
    this.readings = opts.readings ?? processReadings();
    this.low = this.readings.committed();
  }

  /** One check: collects (and returns true) when the loop has been quiet long enough and the heap grew. */
  check(): boolean {
    this.quiet = this.readings.busy() < this.quietBelow ? this.quiet + 1 : 0;
    const before = this.readings.committed();
    if (before < this.low) this.low = before;
    if (this.quiet < this.quietNeeded || before - this.low < this.growth) return false;
    const t0 = performance.now();
    this.opts.gc();
    const ms = performance.now() - t0;
    const after = this.readings.committed();
    // one that freed less than the growth threshold ends the round: what is left is live, or V8's to shrink
    if (before - after < this.growth) this.low = after;
    this.opts.onCollect?.({ before, after, ms });
    return true;
  }
}

/** Checks every `intervalMs` until the returned function is called. */
export function startHeapSettle(opts: HeapSettleOptions): () => void {
  const settle = new HeapSettle(opts);
  const timers = opts.timers ?? {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
  const ms = opts.intervalMs ?? 2000;
  let handle: unknown;
  const next = () => {
    handle = timers.setTimeout(() => {
      settle.check();
      next();
    }, ms);
  };
  next();
  return () => timers.clearTimeout(handle);
}

/** Node's `gc` when the process runs with `--expose-gc`, else undefined. */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => { (gc as () => void)(); } : undefined;
}
