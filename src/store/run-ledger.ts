import type { RunErrorInfo, RunRef } from '../core/bus.js';
import type { RunOrigin, Surface } from '../core/run.js';
import type { TranscriptMessage, TranscriptStore } from '../core/transcript.js';
import type { Db } from './db.js';
import { GroupCommit } from './group-commit.js';
import type { StorageHealth } from './storage-health.js';

// The run ledger: the one place that records a run's life — accepted, started, checkpointed, completed /
// failed / cancelled — each step in ONE SQLite transaction with the transcript writes that belong to it (the
// session index, the user message when the run starts, the reply when it completes). The actors call it
// by name before they tell anyone (run-lifecycle.ts); nothing wraps the bus.
//
// The journal part (table `journal`) is what a restart reads back: runs still `queued` or `running` are
// re-run or reported by recover.ts, finished ones answer /status for the retention time. `origin` is the
// reply address, so a reply after a restart still knows where to go.
//
// A write that fails because the disk is full or failing throws StorageUnavailable (and marks storage
// failing); nothing of that step was recorded.
//
// `acceptedGrouped`, `startedGrouped` and `completedGrouped` are those steps through the group commit queue
// (group-commit.ts): the steps of one tick share one transaction, each resolves once committed. Every synchronous step flushes that queue first,
// so no step overtakes an accept queued before it.
//
// The grouped steps are SQL (and a counter that only paces pruning), so the group commit may run them twice (group-commit.ts,
// `repeatable`) — the `completed` step only while no finish writer is registered.
//
// Finish writers (onFinish) add their own rows to the transaction of a run's completed / failed / cancelled
// step — the channel outbox's reply rows commit with the `completed` state or not at all.

/** Where a run is in its life, as the journal records it. */
export type JournalState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One journaled run, as read back after a restart. */
export interface JournalEntry {
  runId: string;
  /** Acceptance order over all sessions (a re-queued id takes a new place at the end). */
  seq: number;
  sessionKey: string;
  surface: Surface;
  /** The reply address (undefined for runs journaled before origins were recorded). */
  origin?: RunOrigin;
  text: string;
  queuedAt: number;
  state: JournalState;
  startedAt?: number;
  finishedAt?: number;
  error?: RunErrorInfo;
  /** The reply text so far at the last checkpoint of a run that did not finish. */
  partial?: string;
  /** How many restarts re-submitted this run (recovery re-runs a run at most once). */
  recoveries: number;
}

/** What the ledger records when a run is accepted. */
export interface AcceptedRun {
  runId: string;
  sessionKey: string;
  surface: Surface;
  origin: RunOrigin;
  text: string;
  at: number;
}

interface Row {
  run_id: string; seq: number; session_key: string; surface: string; origin: string | null; text: string; queued_at: number;
  state: string; started_at: number | null; finished_at: number | null; error_type: string | null; error_message: string | null;
  partial: string | null; recoveries: number;
}

/** A run's end as finish writers see it; `origin` is the journal's reply address (absent for old rows). */
export type FinishRecord =
  | { kind: 'completed'; ref: RunRef; at: number; reply: string; origin?: RunOrigin }
  | { kind: 'failed'; ref: RunRef; at: number; error: RunErrorInfo; origin?: RunOrigin }
  | { kind: 'cancelled'; ref: RunRef; at: number; origin?: RunOrigin };

/** Writes rows of its own inside a finish step's transaction; throwing aborts the whole step. */
export type FinishWriter = (record: FinishRecord) => void;

/** Prune finished entries once per this many finishes (and at startup): no timer, no idle work. */
const PRUNE_EVERY = 256;

/** Records every step of every run; see the file comment. */
export class RunLedger {
  private readonly q;
  /** The accepted, started and completed steps waiting for their shared transaction. */
  private readonly queue: GroupCommit;
  /** Runs a step in a transaction (a savepoint when already inside one). */
  private readonly inTransaction: (step: () => unknown) => unknown;
  private finishes = 0;
  private readonly finishWriters = new Set<FinishWriter>();
  private readonly noFinishWriters = () => this.finishWriters.size === 0;
  private readonly now: () => number;

  constructor(
    db: Db,
    private readonly transcripts: TranscriptStore,
    private readonly opts: {
      retentionMs: number; storage?: StorageHealth; now?: () => number;
      /** Told how long each committed step took (seconds): the journal commit latency of /metrics. */
      observe?: (step: string, seconds: number) => void;
      /** Most accepted steps that share one transaction (default 256). */
      groupCommitMaxSteps?: number;
    },
  ) {
    this.now = opts.now ?? Date.now;
    this.q = {
      // a re-queued id (a failed run sent again, or a recovered one) starts over at the end of the order
      queued: db.prepare(`INSERT INTO journal (run_id, seq, session_key, surface, origin, text, queued_at, state)
        VALUES (@runId, (SELECT coalesce(max(seq), 0) + 1 FROM journal), @sessionKey, @surface, @origin, @text, @at, 'queued')
        ON CONFLICT(run_id) DO UPDATE SET seq = excluded.seq, session_key = excluded.session_key, surface = excluded.surface,
          origin = excluded.origin, text = excluded.text, queued_at = excluded.queued_at, state = 'queued', started_at = NULL,
          finished_at = NULL, error_type = NULL, error_message = NULL, partial = NULL, recoveries = 0`),
      started: db.prepare(`UPDATE journal SET state = 'running', started_at = ? WHERE run_id = ?`),
      checkpoint: db.prepare('UPDATE journal SET partial = ? WHERE run_id = ?'),
      finished: db.prepare(`UPDATE journal SET state = ?, finished_at = ?, error_type = ?, error_message = ?, partial = NULL WHERE run_id = ?`),
      recoveries: db.prepare('UPDATE journal SET recoveries = ? WHERE run_id = ?'),
      pending: db.prepare<[], Row>(`SELECT * FROM journal WHERE state IN ('queued', 'running') ORDER BY seq`),
      finishedSince: db.prepare<[number], Row>('SELECT * FROM journal WHERE finished_at >= ? ORDER BY finished_at, seq'),
      get: db.prepare<[string], Row>('SELECT * FROM journal WHERE run_id = ?'),
      origin: db.prepare<[string], { origin: string | null }>('SELECT origin FROM journal WHERE run_id = ?'),
      prune: db.prepare('DELETE FROM journal WHERE finished_at < ?'),
    };
    this.inTransaction = db.transaction((step: () => unknown) => step());
    this.queue = new GroupCommit(db, { maxSteps: opts.groupCommitMaxSteps, storage: opts.storage, observe: opts.observe });
  }

  /** The run was accepted: journaled `queued`, the session index points at it. Durable before this returns. */
  accepted(run: AcceptedRun): void {
    this.write('run.queued', () => this.queuedStep(run));
  }

  /**
   * accepted() through the group commit queue: resolves once the transaction it shares with the other accepts
   * of this tick committed; rejects (StorageUnavailable for a full disk) with nothing of it recorded.
   */
  acceptedGrouped(run: AcceptedRun): Promise<void> {
    return this.queue.enqueue('run.queued', () => this.queuedStep(run), undefined, true);
  }

  /** Steps are queued for the group commit (they will be published once it commits). */
  get writesPending(): boolean {
    return this.queue.size > 0;
  }

  /** Commit the queued steps now (a shutdown does before it closes the database). */
  flush(): void {
    this.queue.flush();
  }

  /**
   * The run started: journaled `running`, and its user message appended to the transcript unless it is
   * already there (a recovered run starts again). Returns the appended message, if any.
   */
  started(ref: RunRef, at: number, userText: string): TranscriptMessage | undefined {
    return this.write('run.started', () => this.startedStep(ref, at, userText));
  }

  /**
   * started() through the group commit queue: resolves once its shared transaction committed. `committed`
   * runs synchronously right after that COMMIT (see group-commit.ts): the lifecycle publishes there, so a
   * synchronous step of the same run (a cancel, which flushes the queue first) is told after it, never before.
   */
  startedGrouped(ref: RunRef, at: number, userText: string, committed?: (message: TranscriptMessage | undefined) => void): Promise<TranscriptMessage | undefined> {
    return this.queue.enqueue('run.started', () => this.startedStep(ref, at, userText), committed, true);
  }

  /** The reply so far of a running run (kept until it finishes: /status after a crash shows how far it got). */
  checkpoint(runId: string, text: string): void {
    this.write('run.checkpoint', () => { this.q.checkpoint.run(text, runId); });
  }

  /**
   * The run completed: journaled `completed`, and its reply appended once (a merged turn's one reply is
   * recorded by its lead message only). Returns the appended message, if any.
   */
  completed(ref: RunRef, at: number, reply: string): TranscriptMessage | undefined {
    return this.write('run.completed', () => this.completedStep(ref, at, reply));
  }

  /** completed() through the group commit queue: resolves once its shared transaction committed. */
  completedGrouped(ref: RunRef, at: number, reply: string): Promise<TranscriptMessage | undefined> {
    // finish writers keep state of their own (a merged turn's chats): with one, the step must not run twice
    return this.queue.enqueue('run.completed', () => this.completedStep(ref, at, reply), undefined, this.noFinishWriters);
  }

  /** The run failed with `error`. */
  failed(ref: RunRef, at: number, error: RunErrorInfo): void {
    this.write('run.failed', () => {
      this.finish(ref.runId, 'failed', at, error);
      this.tellFinishWriters({ kind: 'failed', ref, at, error });
      this.transcripts.touch(ref.sessionKey, { status: 'failed' });
    });
  }

  /** The run was cancelled (before or while it ran), with the reason when there is one (a shutdown). */
  cancelled(ref: RunRef, at: number, reason?: RunErrorInfo): void {
    this.write('run.cancelled', () => {
      this.finish(ref.runId, 'cancelled', at, reason);
      this.tellFinishWriters({ kind: 'cancelled', ref, at });
      this.transcripts.touch(ref.sessionKey, { status: 'killed' });
    });
  }

  /** Recovery found the run's reply already in the transcript: journaled `completed` at that time. */
  completedFromTranscript(ref: RunRef, at: number): void {
    this.write('recovery', () => {
      this.finish(ref.runId, 'completed', at);
      this.transcripts.touch(ref.sessionKey, { status: 'done' });
    });
  }

  /** Recovery re-submitted the run for the n-th time. */
  setRecoveries(runId: string, n: number): void {
    this.write('recovery', () => { this.q.recoveries.run(n, runId); });
  }

  /** Runs accepted but not finished, in acceptance order. */
  pending(): JournalEntry[] {
    return this.q.pending.all().map(toEntry);
  }

  /** Finished runs still within the retention time, oldest finish first. */
  finishedEntries(): JournalEntry[] {
    return this.q.finishedSince.all(this.now() - this.opts.retentionMs).map(toEntry);
  }

  /** One run's journal entry. */
  get(runId: string): JournalEntry | undefined {
    const row = this.q.get.get(runId);
    return row ? toEntry(row) : undefined;
  }

  /** Delete finished entries older than the retention time; returns how many went. */
  prune(): number {
    return this.q.prune.run(this.now() - this.opts.retentionMs).changes;
  }

  /**
   * Run `writer` inside the transaction of every completed, failed and cancelled step, after the journal
   * update; if it throws, nothing of that step is committed. Returns the unsubscribe function.
   */
  onFinish(writer: FinishWriter): () => void {
    this.finishWriters.add(writer);
    return () => { this.finishWriters.delete(writer); };
  }

  /** Inside a finish step: each writer gets the record with the journaled origin (read only when someone listens). */
  private tellFinishWriters(record: FinishRecord): void {
    if (this.finishWriters.size === 0) return;
    const origin = this.q.origin.get(record.ref.runId)?.origin;
    const full: FinishRecord = origin ? { ...record, origin: JSON.parse(origin) as RunOrigin } : record;
    for (const writer of [...this.finishWriters]) writer(full);
  }

  private queuedStep(run: AcceptedRun): void {
    this.q.queued.run({ ...run, origin: JSON.stringify(run.origin) });
    this.transcripts.touch(run.sessionKey, { lastRunId: run.runId, status: 'queued' });
  }

  private startedStep(ref: RunRef, at: number, userText: string): TranscriptMessage | undefined {
    this.q.started.run(at, ref.runId);
    // unless it is already there (a recovered run starts again); the session index is set either way
    return this.transcripts.appendOnce(ref.sessionKey, { role: 'user', text: userText, timestamp: at, runId: ref.runId, idempotencyKey: `${ref.runId}:user` },
      { lastRunId: ref.runId, status: 'running' });
  }

  private completedStep(ref: RunRef, at: number, reply: string): TranscriptMessage | undefined {
    this.finish(ref.runId, 'completed', at);
    this.tellFinishWriters({ kind: 'completed', ref, at, reply });
    if (ref.turn && ref.turn.leadRunId !== ref.runId) {
      this.transcripts.touch(ref.sessionKey, { status: 'done' });
      return undefined;
    }
    return this.transcripts.appendOnce(ref.sessionKey, { role: 'assistant', text: reply, timestamp: at, runId: ref.runId, idempotencyKey: ref.runId }, { status: 'done' });
  }

  private finish(runId: string, state: 'completed' | 'failed' | 'cancelled', at: number, error?: RunErrorInfo): void {
    this.q.finished.run(state, at, error?.type ?? null, error?.message ?? null, runId);
    if (++this.finishes % PRUNE_EVERY === 0) this.prune();
  }

  /** One step in one transaction; a disk failure becomes StorageUnavailable, a success clears the failing state. */
  private write<R>(what: string, step: () => R): R {
    this.queue.flush(); // what was queued before this step commits before it
    let result: R;
    const t0 = this.opts.observe ? process.hrtime.bigint() : 0n;
    try {
      result = this.inTransaction(step) as R;
    } catch (err) {
      throw this.opts.storage?.failed(err, what) ?? err;
    }
    this.opts.storage?.succeeded();
    this.opts.observe?.(what, Number(process.hrtime.bigint() - t0) / 1e9);
    return result;
  }
}

function toEntry(r: Row): JournalEntry {
  return {
    runId: r.run_id, seq: r.seq, sessionKey: r.session_key, surface: r.surface as Surface, text: r.text,
    queuedAt: r.queued_at, state: r.state as JournalState, recoveries: r.recoveries,
    ...(r.origin !== null ? { origin: JSON.parse(r.origin) as RunOrigin } : {}),
    ...(r.started_at !== null ? { startedAt: r.started_at } : {}),
    ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
    ...(r.error_type !== null ? { error: { type: r.error_type, message: r.error_message ?? '' } } : {}),
    ...(r.partial !== null ? { partial: r.partial } : {}),
  };
}
