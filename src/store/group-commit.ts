import type { Db } from './db.js';
import type { StorageHealth } from './storage-health.js';

// Group commit: write steps that arrive within one tick share ONE SQLite transaction. A step is queued, and the
// queue is flushed on setImmediate (at the latest one event-loop turn later), in transactions of at most
// `maxSteps` steps (a queue that reaches that size is flushed at once). A step that throws rolls back only its
// own writes and fails only its own caller; the others commit. For that each step runs in its own savepoint —
// except in a batch of steps that are all `repeatable` (their only effects are their writes): such a batch
// runs plainly first (a savepoint per step costs ~2 statements each), and only if one of its steps throws is
// the whole transaction rolled back and the batch run again, a savepoint per step.
// A caller's promise settles only after COMMIT returned: durable (WAL) before it is acknowledged. A COMMIT
// that fails — or a step error after which SQLite rolled the whole transaction back (a full disk may) — fails
// every step of that transaction. Disk failures become StorageUnavailable (and mark storage failing), as for
// every other write. Steps run, commit and settle in the order they were queued.
//
// A step may come with `committed`, called synchronously right after its COMMIT, before the promise settles
// and before any later write: whoever must tell the world of the step (publish on the bus) does it there, so
// a synchronous writer that flushes the queue first also tells of the queued steps before its own.
//
// Writes made outside the queue never interleave with a batch (a batch runs synchronously), but a synchronous
// writer that must come after what is queued calls flush() first. flush() does nothing inside a transaction
// that is not its own (its COMMIT would not be ours): the scheduled flush commits the queue after it.

/** Steps per transaction unless the options say otherwise. */
export const DEFAULT_GROUP_COMMIT_MAX_STEPS = 256;

/** How a group commit queue is bounded and what it reports to. */
export interface GroupCommitOptions {
  /** Most steps in one transaction (default 256). */
  maxSteps?: number;
  /** Told of disk failures (StorageUnavailable) and of commits that worked. */
  storage?: StorageHealth;
  /** Told how long each committed step's transaction took (seconds), like every other journal step. */
  observe?: (step: string, seconds: number) => void;
  /** Runs the deferred flush (default setImmediate); tests may run it by hand. */
  schedule?: (flush: () => void) => void;
}

interface Queued {
  what: string;
  step: () => unknown;
  committed?: (value: unknown) => void;
  /** Safe to run twice (the first run rolled back): true, or asked when its batch runs. */
  repeatable?: boolean | (() => boolean);
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A step of a plainly run batch threw: the batch is run again, a savepoint per step. */
class RunAgain extends Error {}

/** The whole transaction was rolled back by SQLite while a step failed: nothing of the batch is left. */
class TransactionLost extends Error {
  constructor(readonly reason: unknown) {
    super('the transaction was rolled back');
  }
}

function isRepeatable(q: Queued): boolean {
  return typeof q.repeatable === 'function' ? q.repeatable() : q.repeatable === true;
}

/** A write queue whose steps share transactions; see the file comment. */
export class GroupCommit {
  private queue: Queued[] = [];
  private scheduled = false;
  private readonly maxSteps: number;
  private readonly schedule: (flush: () => void) => void;
  private readonly runBatch: (batch: Queued[], outcomes: Outcome[]) => void;
  private readonly runPlainly: (batch: Queued[], outcomes: Outcome[]) => void;
  private readonly inSavepoint: (step: () => unknown) => unknown;

  constructor(private readonly db: Db, private readonly opts: GroupCommitOptions = {}) {
    this.maxSteps = Math.max(1, opts.maxSteps ?? DEFAULT_GROUP_COMMIT_MAX_STEPS);
    this.schedule = opts.schedule ?? ((flush) => { setImmediate(flush); });
    // better-sqlite3: the outer call is BEGIN … COMMIT (ROLLBACK if COMMIT throws), a nested one a savepoint
    this.inSavepoint = db.transaction((step: () => unknown) => step());
    this.runBatch = db.transaction((batch: Queued[], outcomes: Outcome[]) => {
      for (const q of batch) {
        try {
          outcomes.push({ ok: true, value: this.inSavepoint(q.step) });
        } catch (error) {
          if (!db.inTransaction) throw new TransactionLost(error);
          outcomes.push({ ok: false, error });
        }
      }
    });
    this.runPlainly = db.transaction((batch: Queued[], outcomes: Outcome[]) => {
      for (const q of batch) {
        try {
          outcomes.push({ ok: true, value: q.step() });
        } catch {
          throw new RunAgain(); // rolls the transaction back
        }
      }
    });
  }

  /** Steps queued and not yet committed. */
  get size(): number {
    return this.queue.length;
  }

  /**
   * Queue `step` (named `what` in logs and metrics); resolves with its result once its transaction committed.
   * `committed` (optional) runs synchronously right after that COMMIT, with the result; if it throws, the
   * promise rejects with its error (the step stays committed). `repeatable` (true, or asked when its batch
   * runs): the step's only effects are its writes, so it may run twice, the first run rolled back (see the
   * file comment).
   */
  enqueue<R>(what: string, step: () => R, committed?: (value: R) => void, repeatable?: boolean | (() => boolean)): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({
        what, step, committed: committed as ((value: unknown) => void) | undefined, repeatable, resolve: resolve as (value: unknown) => void, reject,
      });
      if (this.queue.length >= this.maxSteps) this.flush();
      else this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Commit everything queued now (in transactions of at most maxSteps); a no-op inside another transaction. */
  flush(): void {
    if (this.db.inTransaction || this.queue.length === 0) return;
    // The next flush is scheduled before the callers hear back: the steps they queue next (a run's `completed`
    // after its `accepted`) then commit in the next turn ahead of what they wrote to sockets meanwhile, so the
    // transport's end-of-turn flush (scheduled after this one) sends a fast run's events in one write, not two.
    // With nothing queued by then it does nothing.
    this.scheduleFlush();
    // taken from the queue one batch at a time: a `committed` callback that writes (and so flushes) meanwhile
    // commits the next batches in their order
    while (this.queue.length > 0 && !this.db.inTransaction) this.commit(this.queue.splice(0, this.maxSteps));
  }

  private commit(batch: Queued[]): void {
    let outcomes: Outcome[] = [];
    const t0 = this.opts.observe ? process.hrtime.bigint() : 0n;
    try {
      if (batch.every(isRepeatable)) {
        try {
          this.runPlainly(batch, outcomes);
        } catch (err) {
          if (!(err instanceof RunAgain)) throw err; // COMMIT failed: every step fails, as below
          outcomes = [];
          this.runBatch(batch, outcomes);
        }
      } else {
        this.runBatch(batch, outcomes);
      }
    } catch (err) {
      const cause = err instanceof TransactionLost ? err.reason : err;
      const error = this.opts.storage?.failed(cause, batch[0].what) ?? cause;
      for (const q of batch) q.reject(error);
      return;
    }
    const seconds = this.opts.observe ? Number(process.hrtime.bigint() - t0) / 1e9 : 0;
    if (outcomes.some((o) => o.ok)) this.opts.storage?.succeeded();
    batch.forEach((q, i) => {
      const o = outcomes[i];
      if (o.ok) {
        this.opts.observe?.(q.what, seconds);
        try {
          q.committed?.(o.value);
        } catch (err) {
          q.reject(err);
          return;
        }
        q.resolve(o.value);
      } else {
        q.reject(this.opts.storage?.failed(o.error, q.what) ?? o.error);
      }
    });
  }
}
