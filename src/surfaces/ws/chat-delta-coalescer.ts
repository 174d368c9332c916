// Coalesces a run's `chat` deltas: at most one per 150 ms per run, as OpenClaw throttles them
// (`server-chat.ts`, openclaw-protocol.md §13.2). Each `chat` delta carries the cumulative `message`, so one
// per model chunk made a reply of N characters cost O(N²) bytes per reader; one per interval bounds it by
// the run's duration. Unlike OpenClaw, whose throttle only drops, a delta held back is sent when its
// interval ends (a trailing timer), so a stream that pauses does not leave readers behind; `flush` sends
// it at once, before any other event of the run, so no text is lost before a final.

/** The clock the throttle reads and schedules on; XState's `SimulatedClock` fits it (tests). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall-clock time and Node timers; timers are unref'd so a pending delta never holds the process. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** OpenClaw's chat-delta throttle. */
export const CHAT_DELTA_INTERVAL_MS = 150;

/** One coalesced `chat` delta. */
export interface ChatDelta {
  /** The agent `seq` of the last assistant event folded in (§13.2: a chat delta's seq is an agent seq). */
  seq: number;
  /** The text added since the previous chat delta; with `replace`, the whole text so far. */
  deltaText: string;
  /** The whole text so far (the delta's cumulative `message`). */
  text: string;
  /** The text so far restarted within this delta (a complete message, or a preamble dropped at a tool call). */
  replace: boolean;
}

interface RunState {
  sentAt?: number;
  pending?: ChatDelta;
  timer?: unknown;
}

/** Per-run throttle of `chat` deltas; `emit` is called with each delta that goes out. */
export class ChatDeltaCoalescer {
  private readonly runs = new Map<string, RunState>();

  constructor(
    private readonly emit: (runId: string, delta: ChatDelta) => void,
    private readonly clock: Clock = systemClock,
    private readonly intervalMs = CHAT_DELTA_INTERVAL_MS,
  ) {}

  /**
   * Folds one assistant chunk in: sent at once when the run's last delta is an interval old, else held
   * (merged with whatever is already held) until the interval ends. `replace`: the text so far restarted.
   */
  push(runId: string, chunk: { seq: number; deltaText: string; text: string; replace: boolean }): void {
    let run = this.runs.get(runId);
    if (!run) this.runs.set(runId, (run = {}));
    const held = run.pending;
    if (chunk.replace) run.pending = { seq: chunk.seq, deltaText: chunk.text, text: chunk.text, replace: true };
    else if (!held) run.pending = { ...chunk };
    else run.pending = { seq: chunk.seq, deltaText: held.deltaText + chunk.deltaText, text: chunk.text, replace: held.replace };
    const now = this.clock.now();
    const due = run.sentAt === undefined ? now : run.sentAt + this.intervalMs;
    if (due <= now) this.flush(runId);
    else if (run.timer === undefined) run.timer = this.clock.setTimeout(() => this.flush(runId), due - now);
  }

  /** Sends the run's held delta now, if there is one. */
  flush(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    if (run.timer !== undefined) {
      this.clock.clearTimeout(run.timer);
      run.timer = undefined;
    }
    const delta = run.pending;
    if (!delta) return;
    run.pending = undefined;
    run.sentAt = this.clock.now();
    this.emit(runId, delta);
  }

  /** The run is over: drops its state (and any held delta; `flush` first to send it). */
  forget(runId: string): void {
    const run = this.runs.get(runId);
    if (run?.timer !== undefined) this.clock.clearTimeout(run.timer);
    this.runs.delete(runId);
  }

  /** Runs with state (tests: nothing leaks once runs end). */
  get size(): number {
    return this.runs.size;
  }
}
