import type { Bus, BusEvents, RunErrorInfo, RunRef } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { RunLedger } from '../store/run-ledger.js';

// Record, then tell: every step of a run goes through here. The ledger writes it (one transaction) and only
// once that has committed does the bus carry the event to the run records, streams and sockets — so nothing
// in memory or on the wire ever reflects a write that did not happen. When accepting or starting cannot be
// written, the error (StorageUnavailable for a full disk) goes back to the caller and nobody heard of it.
// A run must always end: `failed` and `cancelled` are published even when their own write fails.

/** The ledger steps the lifecycle records (a test may pass an in-memory one; without the `…Grouped` steps,
 *  grouped steps are written one by one). */
export type RunRecorder = Pick<RunLedger, 'accepted' | 'started' | 'checkpoint' | 'completed' | 'failed' | 'cancelled'>
  & Partial<Pick<RunLedger, 'acceptedGrouped' | 'startedGrouped' | 'completedGrouped'>>;

/** The progress events of a running run: published, not recorded (the reply is checkpointed instead). */
export type RunProgressName = 'run.delta' | 'run.message' | 'run.usage' | 'run.tool';

/** The reason recorded for a run that was running when the gateway stopped and outlived the grace period. */
export const SHUTDOWN_CANCEL: RunErrorInfo = { type: 'shutdown', message: 'cancelled by gateway shutdown (still running after the grace period)' };

/** The one way actors record and announce a run's steps; see the file comment. */
export class RunLifecycle {
  private shuttingDown = false;

  constructor(private readonly deps: { bus: Bus; ledger: RunRecorder; log?: Logger }) {}

  /** Accepted: durable before this returns (throws, recording nothing, when it cannot be written). */
  accepted(e: BusEvents['run.queued']): void {
    this.deps.ledger.accepted({ runId: e.runId, sessionKey: e.sessionKey, surface: e.surface, origin: e.origin, text: e.text, at: e.at });
    this.deps.bus.publish('run.queued', e);
  }

  /**
   * accepted() through the ledger's group commit queue: `run.queued` is published once the shared transaction
   * committed (rejects, recording and publishing nothing, when it cannot be written).
   */
  async acceptedGrouped(e: BusEvents['run.queued']): Promise<void> {
    const run = { runId: e.runId, sessionKey: e.sessionKey, surface: e.surface, origin: e.origin, text: e.text, at: e.at };
    if (this.deps.ledger.acceptedGrouped) await this.deps.ledger.acceptedGrouped(run);
    else this.deps.ledger.accepted(run);
    this.deps.bus.publish('run.queued', e);
  }

  /** Started, with the user message recorded in the transcript (throws when it cannot be written). */
  started(e: BusEvents['run.started'], userText: string): void {
    const message = this.deps.ledger.started(e, e.at, userText);
    this.deps.bus.publish('run.started', e);
    if (message) this.deps.bus.publish('session.message', { sessionKey: e.sessionKey, message });
  }

  /**
   * started() through the ledger's group commit queue: resolves once the shared transaction committed; rejects
   * (StorageUnavailable), publishing nothing, when it cannot be written. `run.started` is published right
   * after the COMMIT, synchronously: a cancel of the run (a synchronous step, which commits the queue first)
   * is published after it, as it is recorded after it. A recorder without group commit records and publishes
   * at once (returns nothing, throws when it cannot be written).
   */
  startedGrouped(e: BusEvents['run.started'], userText: string): Promise<unknown> | undefined {
    if (!this.deps.ledger.startedGrouped) {
      this.started(e, userText);
      return undefined;
    }
    return this.deps.ledger.startedGrouped(e, e.at, userText, (message) => {
      this.deps.bus.publish('run.started', e);
      if (message) this.deps.bus.publish('session.message', { sessionKey: e.sessionKey, message });
    });
  }

  /** A progress event: published only. */
  progress<K extends RunProgressName>(name: K, e: BusEvents[K]): void {
    this.deps.bus.publish(name, e);
  }

  /** The reply so far, kept in case the process dies before the run finishes; a failed write is only logged. */
  checkpoint(ref: RunRef, text: string): void {
    try {
      this.deps.ledger.checkpoint(ref.runId, text);
    } catch (err) {
      this.deps.log?.warn({ err, runId: ref.runId }, 'run checkpoint not written');
    }
  }

  /** Completed, with the reply recorded (throws when it cannot be written: the run must then fail). */
  completed(e: BusEvents['run.completed']): void {
    const message = this.deps.ledger.completed(e, e.at, e.reply);
    this.deps.bus.publish('run.completed', e);
    if (message) this.deps.bus.publish('session.message', { sessionKey: e.sessionKey, message });
  }

  /**
   * completed() through the ledger's group commit queue: `run.completed` is published once the shared
   * transaction committed (rejects, publishing nothing, when it cannot be written: the run must then fail).
   */
  async completedGrouped(e: BusEvents['run.completed']): Promise<void> {
    const message = this.deps.ledger.completedGrouped ? await this.deps.ledger.completedGrouped(e, e.at, e.reply) : this.deps.ledger.completed(e, e.at, e.reply);
    this.deps.bus.publish('run.completed', e);
    if (message) this.deps.bus.publish('session.message', { sessionKey: e.sessionKey, message });
  }

  /** Failed: published even when the record cannot be written. */
  failed(e: BusEvents['run.failed']): void {
    this.recordEnding(e, () => this.deps.ledger.failed(e, e.at, e.error));
    this.deps.bus.publish('run.failed', e);
  }

  /**
   * Cancelled: published even when the record cannot be written. During a shutdown a run that never started
   * is not recorded (it stays journaled `queued` and runs after the restart); a started one is recorded
   * `cancelled` with the reason `shutdown`, so the restart does not run it again.
   */
  cancelled(e: BusEvents['run.cancelled']): void {
    if (!this.shuttingDown) this.recordEnding(e, () => this.deps.ledger.cancelled(e, e.at));
    else if (e.started) this.recordEnding(e, () => this.deps.ledger.cancelled(e, e.at, SHUTDOWN_CANCEL));
    this.deps.bus.publish('run.cancelled', e);
  }

  /** From now on cancellations are shutdown cancellations (see cancelled()). */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  private recordEnding(ref: RunRef, write: () => void): void {
    try {
      write();
    } catch (err) {
      this.deps.log?.error({ err, runId: ref.runId }, 'the end of a run could not be recorded; recovery will see it unfinished');
    }
  }
}
