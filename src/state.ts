import type { GatewayConfig } from './config.js';
import type { Logger } from './core/log.js';
import type { DeferredMetrics } from './actors/deferred-metrics.js';
import type { GatewayOptions } from './gateway-types.js';
import { openDb, type Db } from './store/db.js';
import { SqliteTranscriptStore } from './store/transcripts-sqlite.js';
import { RunLedger } from './store/run-ledger.js';
import { probeWrite, StorageHealth } from './store/storage-health.js';
import { acquireStateLock, type StateLock } from './store/state-lock.js';
import { ensureStateDir, explainDbOpenError } from './store/state-dir.js';

// The composition root's state dir: its lock, the database, and what records into it (src/main.ts opens it
// before anything else and closes it last).

/** The state dir's database and what records into it. */
export interface State {
  /** One gateway per state dir: taken before the database opens, released after it closes. */
  lock: StateLock;
  db: Db;
  storage: StorageHealth;
  transcripts: SqliteTranscriptStore;
  ledger: RunLedger;
}

/** The database opens before listen: transcripts and the journal are durable from the first message. The state
 *  dir's lock comes first of all: a second gateway on the same dir stops before it touches anything. */
export function openState(config: GatewayConfig, log: Logger, options: GatewayOptions, metrics: DeferredMetrics): State {
  ensureStateDir(config.stateDir);
  const lock = acquireStateLock(config.stateDir);
  if (lock.takenOverFrom) log.warn({ stateDir: config.stateDir, stale: lock.takenOverFrom }, 'took over the lock of a gateway that is gone');
  let db: Db;
  try {
    db = openDb(config.stateDir, { fsyncCommits: config.fsyncCommits, faults: options.storage?.faults });
  } catch (err) {
    lock.release();
    throw explainDbOpenError(config.stateDir, err);
  }
  const storage = new StorageHealth({
    stateDir: config.stateDir, log, probe: () => probeWrite(db),
    schedule: options.storage?.schedule, probeEveryMs: options.storage?.probeEveryMs,
  });
  const transcripts = new SqliteTranscriptStore(db);
  const ledger = new RunLedger(db, transcripts, { retentionMs: config.runRetentionMs, storage, observe: metrics.observeJournal });
  return { lock, db, storage, transcripts, ledger };
}

/** Closes the database and frees the state dir (a start-up that failed after openState). */
export function closeState(state: State): void {
  state.storage.stop();
  state.db.close();
  state.lock.release();
}

