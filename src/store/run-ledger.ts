import type { Bus, BusEvents, RunErrorInfo, Surface } from '../core/bus.js';
import type { Db } from './db.js';

// The inbound journal: every accepted run, written when `run.queued` is published — synchronously inside
// SessionRegistry.submit, so before any surface acknowledges the message — and moved through its states by
// the run.* events. After a crash, the entries still `queued` or `running` are what recover.ts re-runs or
// reports; finished entries are kept for the retention time so /status still answers after a restart.

export type JournalState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JournalEntry {
  runId: string;
  /** Acceptance order over all sessions (a re-queued id takes a new place at the end). */
  seq: number;
  sessionKey: string;
  surface: Surface;
  text: string;
  queuedAt: number;
  state: JournalState;
  startedAt?: number;
  finishedAt?: number;
  error?: RunErrorInfo;
  /** How many restarts re-submitted this run (recovery re-runs a run at most once). */
  recoveries: number;
}

interface Row {
  run_id: string; seq: number; session_key: string; surface: string; text: string; queued_at: number; state: string;
  started_at: number | null; finished_at: number | null; error_type: string | null; error_message: string | null; recoveries: number;
}

/** Prune finished entries once per this many finishes (and at startup): no timer, no idle work. */
const PRUNE_EVERY = 256;

export class RunJournal {
  private readonly q;
  private finishes = 0;
  private readonly now: () => number;

  constructor(db: Db, private readonly opts: { retentionMs: number; now?: () => number }) {
    this.now = opts.now ?? Date.now;
    this.q = {
      // a re-queued id (a failed run sent again, or a recovered one) starts over at the end of the order
      queued: db.prepare(`INSERT INTO journal (run_id, seq, session_key, surface, text, queued_at, state)
        VALUES (@runId, (SELECT coalesce(max(seq), 0) + 1 FROM journal), @sessionKey, @surface, @text, @at, 'queued')
        ON CONFLICT(run_id) DO UPDATE SET seq = excluded.seq, session_key = excluded.session_key, surface = excluded.surface,
          text = excluded.text, queued_at = excluded.queued_at, state = 'queued', started_at = NULL, finished_at = NULL,
          error_type = NULL, error_message = NULL, recoveries = 0`),
      started: db.prepare(`UPDATE journal SET state = 'running', started_at = ? WHERE run_id = ?`),
      finished: db.prepare(`UPDATE journal SET state = ?, finished_at = ?, error_type = ?, error_message = ? WHERE run_id = ?`),
      recoveries: db.prepare('UPDATE journal SET recoveries = ? WHERE run_id = ?'),
      pending: db.prepare<[], Row>(`SELECT * FROM journal WHERE state IN ('queued', 'running') ORDER BY seq`),
      finishedSince: db.prepare<[number], Row>('SELECT * FROM journal WHERE finished_at >= ? ORDER BY finished_at, seq'),
      get: db.prepare<[string], Row>('SELECT * FROM journal WHERE run_id = ?'),
      prune: db.prepare('DELETE FROM journal WHERE finished_at < ?'),
    };
  }

  /** Follow the bus: the write for `run.queued` is committed before submit() returns. Returns the detach
   *  function: shutdown detaches before it cancels what is queued or running, so those entries stay
   *  pending and the next start recovers them instead of losing them as "cancelled". */
  attach(bus: Bus): () => void {
    const handlers: { [K in keyof BusEvents]?: (e: BusEvents[K]) => void } = {
      'run.queued': (e) => {
        this.q.queued.run({ runId: e.runId, sessionKey: e.sessionKey, surface: e.surface, text: e.text, at: e.at });
      },
      'run.started': (e) => { this.q.started.run(e.at, e.runId); },
      'run.completed': (e) => this.finish(e.runId, 'completed', e.at),
      'run.failed': (e) => this.finish(e.runId, 'failed', e.at, e.error),
      'run.cancelled': (e) => this.finish(e.runId, 'cancelled', e.at),
    };
    const entries = Object.entries(handlers) as [keyof BusEvents, (e: unknown) => void][];
    for (const [name, h] of entries) bus.on(name, h);
    return () => { for (const [name, h] of entries) bus.off(name, h); };
  }

  finish(runId: string, state: 'completed' | 'failed' | 'cancelled', at: number, error?: RunErrorInfo): void {
    this.q.finished.run(state, at, error?.type ?? null, error?.message ?? null, runId);
    if (++this.finishes % PRUNE_EVERY === 0) this.prune();
  }

  setRecoveries(runId: string, n: number): void {
    this.q.recoveries.run(n, runId);
  }

  /** Runs accepted but not finished, in acceptance order. */
  pending(): JournalEntry[] {
    return this.q.pending.all().map(toEntry);
  }

  /** Finished runs still within the retention time, oldest finish first. */
  finishedEntries(): JournalEntry[] {
    return this.q.finishedSince.all(this.now() - this.opts.retentionMs).map(toEntry);
  }

  get(runId: string): JournalEntry | undefined {
    const row = this.q.get.get(runId);
    return row ? toEntry(row) : undefined;
  }

  /** Delete finished entries older than the retention time; returns how many went. */
  prune(): number {
    return this.q.prune.run(this.now() - this.opts.retentionMs).changes;
  }
}

function toEntry(r: Row): JournalEntry {
  return {
    runId: r.run_id, seq: r.seq, sessionKey: r.session_key, surface: r.surface as Surface, text: r.text,
    queuedAt: r.queued_at, state: r.state as JournalState, recoveries: r.recoveries,
    ...(r.started_at !== null ? { startedAt: r.started_at } : {}),
    ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
    ...(r.error_type !== null ? { error: { type: r.error_type, message: r.error_message ?? '' } } : {}),
  };
}
