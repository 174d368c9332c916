import type { Logger } from './log.js';

// Warnings a remote peer can trigger at will (refused upgrades, handshake failures, untrusted forwarding
// headers, slow consumers) must not let it flood the log: one probe once wrote 1 314 lines. Per window,
// the first occurrence of a reason is logged with its details; later ones are only counted and summarised
// in one line when the window ends. Memory is bounded: at most `maxReasons` distinct reasons per window.

/** The timer functions the aggregator needs (Node's, or XState's SimulatedClock in tests). */
export interface WarningTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Window length, reason bound and timers of the warning aggregator. */
export interface RepeatedWarningsOptions {
  /** Length of a counting window (default 10 s). */
  windowMs?: number;
  /** Distinct reasons tracked per window; more are counted under {@link OTHER_REASONS} (default 64). */
  maxReasons?: number;
  timers?: WarningTimers;
}

/** Where occurrences of reasons beyond `maxReasons` are counted. */
export const OTHER_REASONS = '(other reasons)';
/** The message of a summary line; its fields are `{ reason, count, windowMs }`. */
export const SUMMARY_MESSAGE = 'repeated warnings not logged individually';

const nodeTimers: WarningTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), // never keeps the process alive
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Logs the first occurrence of each reason per window at warn, and summarises the rest at the window's
 *  end as `{ reason, count, windowMs }` (count = occurrences not logged individually). */
export class RepeatedWarnings {
  private readonly windowMs: number;
  private readonly maxReasons: number;
  private readonly timers: WarningTimers;
  /** Reason → occurrences in this window not logged individually. */
  private readonly counts = new Map<string, number>();
  private timer: unknown;

  constructor(private readonly log: Pick<Logger, 'warn'>, opts: RepeatedWarningsOptions = {}) {
    this.windowMs = opts.windowMs ?? 10_000;
    this.maxReasons = opts.maxReasons ?? 64;
    this.timers = opts.timers ?? nodeTimers;
  }

  /** A warning: `reason` is the constant message (the key it is counted under), `fields` its details. */
  warn(reason: string, fields: Record<string, unknown> = {}): void {
    this.timer ??= this.timers.setTimeout(() => this.flush(), this.windowMs);
    const seen = this.counts.get(reason);
    if (seen !== undefined) {
      this.counts.set(reason, seen + 1);
    } else if (this.counts.size < this.maxReasons) {
      this.counts.set(reason, 0);
      this.log.warn(fields, reason);
    } else {
      this.counts.set(OTHER_REASONS, (this.counts.get(OTHER_REASONS) ?? 0) + 1);
    }
  }

  /** Ends the window now: one summary line per reason that was repeated (also called on shutdown). */
  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    for (const [reason, count] of this.counts) {
      if (count > 0) this.log.warn({ reason, count, windowMs: this.windowMs }, SUMMARY_MESSAGE);
    }
    this.counts.clear();
  }
}
