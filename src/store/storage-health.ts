import type { Logger } from '../core/log.js';
import type { Db } from './db.js';

// Whether the state dir can be written. A write that fails because the disk is full or failing (SQLite's
// SQLITE_FULL / SQLITE_IOERR_* codes) turns into StorageUnavailable — answered HTTP 507 insufficient_storage or
// WS UNAVAILABLE (retryable) — and marks storage failing, which /readyz reports as `failing: ["storage"]`.
// It recovers by itself: the next write that commits clears it, and while failing a small probe write runs
// every probeEveryMs (one timer at a time, none while healthy), so an idle gateway becomes ready again too.

/** A better-sqlite3 error meaning the disk is full or failing (code SQLITE_FULL* or SQLITE_IOERR*). */
export function isStorageFailure(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && (code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR'));
}

/** A write to the state dir failed for lack of space (or a failing disk): nothing of it was recorded. */
export class StorageUnavailable extends Error {
  /** The wire error type (HTTP `error.type`, a failed run's `error.type`). */
  readonly type = 'insufficient_storage';

  constructor(readonly code: string, readonly stateDir: string) {
    super(`disk full or failing: cannot write to the state dir ${stateDir} (${code}); free some space there and retry`);
    this.name = 'StorageUnavailable';
  }
}

/** `err` as a StorageUnavailable if it is a storage failure (or already one), else undefined. */
export function asStorageUnavailable(err: unknown, stateDir: string): StorageUnavailable | undefined {
  if (err instanceof StorageUnavailable) return err;
  return isStorageFailure(err) ? new StorageUnavailable(err.code, stateDir) : undefined;
}

/** Runs `fn` after `ms`; returns the cancel function. Tests inject one they fire by hand. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/** How often a probe write runs while storage is failing. */
export const DEFAULT_PROBE_EVERY_MS = 5_000;

/** The state dir, the probe write and its schedule. */
export interface StorageHealthOptions {
  stateDir: string;
  log: Logger;
  /** A small write that commits (or throws) like any other: probeWrite(db). */
  probe: () => void;
  probeEveryMs?: number;
  schedule?: Schedule;
}

/** Whether the state dir's writes are failing, and the probe that notices when they work again. */
export class StorageHealth {
  private failure?: StorageUnavailable;
  private cancelProbe?: () => void;
  private stopped = false;

  constructor(private readonly opts: StorageHealthOptions) {}

  /** Writes are failing: /readyz answers 503 with `storage` in `failing`. */
  get failing(): boolean {
    return this.failure !== undefined;
  }

  /**
   * A write of `what` failed: for a storage failure, storage is now failing (logged, probed) and the
   * StorageUnavailable to answer with is returned; any other error gives undefined (not a disk problem).
   */
  failed(err: unknown, what: string): StorageUnavailable | undefined {
    const failure = asStorageUnavailable(err, this.opts.stateDir);
    if (!failure) return undefined;
    this.opts.log.error({ code: failure.code, stateDir: this.opts.stateDir, write: what }, 'write to the state dir failed: disk full or failing');
    this.failure = failure;
    this.scheduleProbe();
    return failure;
  }

  /** A write committed: the disk works again. */
  succeeded(): void {
    if (!this.failure) return;
    this.failure = undefined;
    this.cancelProbe?.();
    this.cancelProbe = undefined;
    this.opts.log.info({ stateDir: this.opts.stateDir }, 'the state dir is writable again');
  }

  /** No more probes (shutdown). */
  stop(): void {
    this.stopped = true;
    this.cancelProbe?.();
    this.cancelProbe = undefined;
  }

  private scheduleProbe(): void {
    if (this.cancelProbe || this.stopped) return;
    const schedule = this.opts.schedule ?? realSchedule;
    this.cancelProbe = schedule(() => {
      this.cancelProbe = undefined;
      if (!this.failure || this.stopped) return;
      try {
        this.opts.probe();
      } catch (err) {
        const still = asStorageUnavailable(err, this.opts.stateDir);
        if (still) {
          this.failure = still;
          this.scheduleProbe(); // quietly: the failure was logged when it began
        } else {
          this.opts.log.warn({ err }, 'storage probe failed for another reason: probing stops until the next failed write');
        }
        return;
      }
      this.succeeded();
    }, this.opts.probeEveryMs ?? DEFAULT_PROBE_EVERY_MS);
  }
}

/** A write that needs disk space and leaves nothing behind: a row written and deleted in one transaction. */
export function probeWrite(db: Db): void {
  db.transaction(() => {
    db.prepare("INSERT OR REPLACE INTO secrets (name, value) VALUES ('storage-probe', randomblob(64))").run();
    db.prepare("DELETE FROM secrets WHERE name = 'storage-probe'").run();
  })();
}
