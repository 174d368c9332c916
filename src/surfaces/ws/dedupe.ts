// Idempotency for side-effecting WS methods (openclaw-protocol.md §14): keys `agent:<key>`, `chat:<key>`,
// `send:<key>`; TTL 5 min, at most 1000 entries, oldest first; entries of runs still in flight are never
// evicted.

/** The remembered state of one idempotency key: in flight, or the answer to repeat. */
export interface DedupeEntry {
  ts: number;
  inFlight: boolean;
  /** What the request asked (chat.send compares messages). */
  fingerprint?: string;
  ok?: boolean;
  payload?: unknown;
  error?: unknown;
}

/** Idempotency keys of the WS methods with their answers, bounded in time and count (see above). */
export class Dedupe {
  private readonly entries = new Map<string, DedupeEntry>();

  constructor(private readonly ttlMs = 300_000, private readonly max = 1000, private readonly now: () => number = Date.now) {}

  get(key: string): DedupeEntry | undefined {
    const e = this.entries.get(key);
    if (e && !e.inFlight && this.now() - e.ts > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  start(key: string, fingerprint?: string): DedupeEntry {
    const entry: DedupeEntry = { ts: this.now(), inFlight: true, fingerprint };
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.sweep();
    return entry;
  }

  finish(key: string, result: { ok: boolean; payload?: unknown; error?: unknown }): void {
    const e = this.entries.get(key);
    if (!e) return;
    Object.assign(e, result, { inFlight: false, ts: this.now() });
    this.sweep();
  }

  /** Drop an entry: the next request with this key runs again (its run failed for a retryable reason). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Evict expired entries and, over the cap, the oldest finished ones. */
  sweep(): void {
    const cutoff = this.now() - this.ttlMs;
    let excess = this.entries.size - this.max;
    for (const [key, e] of this.entries) {
      if (e.inFlight) continue;
      if (e.ts < cutoff || excess > 0) {
        this.entries.delete(key);
        excess--;
      } else if (excess <= 0) break;
    }
  }
}
