import type { Bus, BusEvents } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { Redelivery } from '../cluster/failover.js';
import type { InboxDelivery } from '../cluster/inbox.js';
import type { LeaseLoss } from '../cluster/lease.js';
import type { OwnerHandler } from '../cluster/ownership.js';
import type { RunStatus, RunStatuses, RunStatusUpdate } from '../cluster/run-status.js';
import type { LiveSession, SessionResetAnswer } from '../cluster/session-requests.js';
import { liveSession, resetInCluster, type SessionHistory } from './cluster-history.js';
import type { RunLifecycle } from './run-lifecycle.js';
import type { RunListener, RunRecord, RunRegistry } from './run-registry.js';
import type { SessionRegistry } from './session-registry.js';

// Cluster mode, the owner's side (src/cluster/ownership.ts hands it the journaled messages of the sessions this
// instance owns). A message to run goes to the session registry exactly as a local one would, so the session
// actor alone decides when it runs; each step of its run (from the bus) is written to the cluster's run status,
// in order, and once its end is written the message is acked, which removes it from the inbox. Until then a
// successor after a crash gets it again and applies the failover rules.
//
// A run's end is written after its reply is in the session's history in the cluster (cluster-history.ts): a
// successor that finds the run finished finds its reply there too.
//
// A shutdown mirrors RunLifecycle: a queued run cancelled by the shutdown is not acked (the next owner runs
// it); a started one is ended `cancelled` and acked. A lost lease stops the session's runs here without
// acking or writing anything: they are the new owner's now.
// Only types are imported from src/cluster, so loading this file loads no NATS client.

type RunEnd = 'run.completed' | 'run.failed' | 'run.cancelled';

/** How long a shutdown waits for the runs here to be written ended and acked (endsWritten). */
const ENDS_WRITTEN_MAX_MS = 5_000;

/** A delivery whose run is under way here; `ending` once its end is being written (it is acked after). */
interface Held {
  d: InboxDelivery;
  recoveries: number;
  writes: Promise<unknown>;
  ending?: Promise<void>;
}

/** Runs the journaled messages of owned sessions through the session registry; see the file comment. */
export class ClusterRunOwner implements OwnerHandler {
  /** Deliveries whose runs are under way here, by run id: acked when the run's end is written. */
  private readonly unacked = new Map<string, Held>();
  /** Listeners of runs accepted here, attached when their message is delivered here (expect()). */
  private readonly waiting = new Map<string, RunListener>();
  private shuttingDown = false;
  private readonly unsubscribe: (() => void)[] = [];
  /** endsWritten() callers, told when `unacked` is empty. */
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: {
    bus: Bus; sessions: SessionRegistry; runs: RunRegistry; lifecycle: RunLifecycle; statuses: RunStatuses; log: Logger; now?: () => number;
    /** The sessions' history in the cluster: a run's end waits for its writes, resets go into it. */
    history: SessionHistory;
  }) {
    const { bus } = deps;
    this.unsubscribe.push(
      bus.subscribe('run.queued', (e) => this.step(e.runId, 'queued')),
      bus.subscribe('run.started', (e) => this.step(e.runId, 'running')),
      bus.subscribe('run.completed', (e) => this.end('run.completed', e)),
      bus.subscribe('run.failed', (e) => this.end('run.failed', e)),
      bus.subscribe('run.cancelled', (e) => this.end('run.cancelled', e)),
    );
  }

  async deliver(d: InboxDelivery, decision: Redelivery, status: RunStatus | undefined): Promise<void> {
    if (this.shuttingDown) return; // left in the inbox for the next owner
    const { entry } = d;
    const { runId } = entry;
    switch (decision.action) {
      case 'settled':
        await d.ack();
        return;
      case 'fail': {
        const at = (this.deps.now ?? Date.now)();
        const sessionKey = entry.input.sessionKey;
        await this.deps.statuses.write({ runId, sessionKey, state: 'failed', queuedAt: entry.queuedAt, finishedAt: at, error: decision.error, recoveries: status?.recoveries ?? 0 });
        this.deps.lifecycle.failed({ runId, sessionKey, at, error: decision.error, reply: '' });
        await d.ack();
        return;
      }
      case 'run':
      case 'rerun': {
        const live = this.unacked.get(runId);
        if (live) {
          // delivered again while under way here (a replaced reader): not run again; the new delivery is the
          // one to ack, at its end or, if that is being written, right after
          if (live.ending) await live.ending.then(() => d.ack());
          else live.d = d;
          return;
        }
        const recoveries = decision.action === 'rerun' ? decision.recoveries : 0;
        // registered before submit: its run.queued is published within submit()
        this.unacked.set(runId, { d, recoveries, writes: Promise.resolve() });
        const listener = this.waiting.get(runId);
        this.waiting.delete(runId);
        const result = this.deps.sessions.submit({
          runId, origin: entry.origin, input: entry.input, queuedAt: entry.queuedAt, unbounded: true, listener,
          // a re-run goes behind the others, as recover.ts re-submits
          mode: decision.action === 'rerun' ? 'followup' : entry.mode,
        });
        if (result.kind === 'replay') {
          this.forget(runId);
          await d.ack();
        } else if (result.kind === 'conflict') {
          // the id is taken here: by a finished run of another session, so this message can never run — acked
          // (the inbox would hold it for ever), its status left alone (the key is that other run's record) — or
          // by one still ending here after a lost lease: not acked, delivered again when the session's reader is next
          // replaced (a claim after a loss)
          this.forget(runId);
          const taken = this.deps.runs.get(runId);
          if (taken && taken.sessionKey !== entry.input.sessionKey) {
            this.deps.log.warn({ runId, sessionKey: entry.input.sessionKey }, `message not run: ${result.message}`);
            await d.ack();
          }
        }
        return;
      }
    }
  }

  /**
   * A run accepted on this instance, with a surface waiting on it: `listener` sees all its events if its
   * message is delivered here (this instance owns its session). unexpect() when it will not be.
   */
  expect(runId: string, listener: RunListener): void {
    this.waiting.set(runId, listener);
  }

  /** The run of expect() is not coming here (not journaled, or its session is owned elsewhere). */
  unexpect(runId: string): void {
    this.waiting.delete(runId);
  }

  live(runId: string): boolean {
    return this.unacked.has(runId);
  }

  /** Whether any run of `sessionKey` is under way here (for Ownership.releaseIdle). */
  busy(sessionKey: string): boolean {
    for (const { d } of this.unacked.values()) if (d.entry.input.sessionKey === sessionKey) return true;
    return false;
  }

  cancel(runId: string): boolean {
    return this.deps.sessions.cancel(runId);
  }

  abortRunning(sessionKey: string): string[] {
    return abortRunning(this.deps.sessions, sessionKey);
  }

  stopSession(sessionKey: string): string[] {
    return stopSession(this.deps.sessions, sessionKey);
  }

  inspect(sessionKey: string): LiveSession {
    return liveSession(this.deps.sessions, this.deps.runs, sessionKey);
  }

  reset(sessionKey: string, key?: string): Promise<SessionResetAnswer | undefined> {
    return resetInCluster({ sessions: this.deps.sessions, history: this.deps.history, now: this.deps.now }, sessionKey, key);
  }

  lost(sessionKey: string, why: LeaseLoss): void {
    const live = this.deps.runs.liveIn(sessionKey);
    for (const r of live) this.forget(r.runId);
    this.deps.log.warn({ sessionKey, why, runs: live.length }, 'lost the lease of a session: its runs here are stopped, the new owner settles them');
    for (const r of live) this.deps.sessions.cancel(r.runId);
  }

  failed(err: unknown, d: InboxDelivery): void {
    this.deps.log.error({ err, runId: d.entry.runId, seq: d.seq }, 'a journaled message could not be handed to its session; it stays in the inbox');
  }

  /** From now on, a queued run that is cancelled stays in the inbox for the next owner (RunLifecycle.beginShutdown). */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  /**
   * Resolves once every run under way here has been written ended and acked (or given up): a shutdown waits
   * for it after the drain, before it gives the leases up — which deletes the sessions' consumers — and closes
   * the connection, so a finished run is not left `running` for the next owner to run again, and no ack is
   * sent to a consumer already deleted. Not only the ends being written now: a run whose completion was
   * still in the ledger's group commit when the drain stopped its session publishes its end a turn later.
   * Bounded (ENDS_WRITTEN_MAX_MS; the drain has ended every run, so only a NATS that does not answer holds
   * it): what is left stays in the inbox for the next owner, which finds the status written so far.
   */
  async endsWritten(): Promise<void> {
    if (this.unacked.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ENDS_WRITTEN_MAX_MS); });
    const done = await Promise.race([idle, late]);
    clearTimeout(timer);
    if (!done) this.deps.log.warn({ runs: [...this.unacked.keys()] }, 'runs not written ended within 5 s at shutdown: left in the inbox for the next owner');
  }

  /** Stop following the bus. */
  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Runs under way here, not yet acked. */
  get pending(): number {
    return this.unacked.size;
  }

  private step(runId: string, state: 'queued' | 'running'): void {
    const held = this.unacked.get(runId);
    const record = this.deps.runs.get(runId);
    if (!held || held.ending || !record) return;
    this.write(runId, held, this.status(record, state, held.recoveries));
  }

  private end<K extends RunEnd>(name: K, e: BusEvents[K]): void {
    const held = this.unacked.get(e.runId);
    if (!held || held.ending) return;
    if (name === 'run.cancelled' && this.shuttingDown && !(e as BusEvents['run.cancelled']).started) {
      this.forget(e.runId); // left in the inbox: the next owner runs it
      return;
    }
    const record = this.deps.runs.get(e.runId);
    const state = name === 'run.completed' ? 'completed' : name === 'run.failed' ? 'failed' : 'cancelled';
    const status: RunStatusUpdate = record
      ? this.status(record, state, held.recoveries)
      : { runId: e.runId, sessionKey: e.sessionKey, state, queuedAt: held.d.entry.queuedAt, recoveries: held.recoveries };
    if (name === 'run.failed') status.error = (e as BusEvents['run.failed']).error;
    status.finishedAt ??= (e as { at: number }).at;
    status.reply = (e as { reply: string }).reply;
    // acked only once its end is written: a crash in between makes the successor see it finished or not at all;
    // held (busy) until then, so its session is not given up under the ack. The end is written once the
    // session's history writes so far are stored — the reply's, published on the bus right after this event
    // (hence the turn waited first)
    const { history } = this.deps;
    held.ending = Promise.resolve().then(() => history.flushed(e.sessionKey)).then(() => this.write(e.runId, held, status)).then(() => held.d.ack()).catch((err: unknown) => {
      this.deps.log.error({ err, runId: e.runId }, 'the end of a run could not be written to the cluster; it stays in the inbox');
    }).finally(() => {
      if (this.unacked.get(e.runId) === held) this.forget(e.runId);
    });
  }

  /** A run is no longer under way here (acked, left in the inbox, or the lease's new owner's). */
  private forget(runId: string): void {
    this.unacked.delete(runId);
    if (this.unacked.size > 0) return;
    for (const tell of this.idleWaiters.splice(0)) tell();
  }

  /** Writes one status after the run's earlier ones (they must land in order). */
  private write(runId: string, held: Held, status: RunStatusUpdate): Promise<unknown> {
    held.writes = held.writes.catch(() => {}).then(() => this.deps.statuses.write(status));
    held.writes.catch((err: unknown) => this.deps.log.warn({ err, runId }, 'run status not written'));
    return held.writes;
  }

  private status(r: RunRecord, state: RunStatusUpdate['state'], recoveries: number): RunStatusUpdate {
    return {
      runId: r.runId, sessionKey: r.sessionKey, state, queuedAt: r.queuedAt, recoveries,
      ...(r.startedAt !== undefined ? { startedAt: r.startedAt } : {}),
      ...(r.finishedAt !== undefined ? { finishedAt: r.finishedAt } : {}),
      ...(r.reply ? { reply: r.reply } : {}),
      ...(r.error ? { error: r.error } : {}),
      ...(r.usage ? { usage: r.usage } : {}),
    };
  }
}

/**
 * Abort the running run of `sessionKey` in this instance's session registry (chat.abort without a runId): the
 * run ids aborted — the running turn's first id, as in one process — or none when nothing runs here.
 */
export function abortRunning(sessions: Pick<SessionRegistry, 'inspect' | 'cancel'>, sessionKey: string): string[] {
  const running = sessions.inspect(sessionKey)?.running;
  return running && sessions.cancel(running) ? [running] : [];
}

/**
 * Stop `sessionKey` in this instance's session registry (a channel's /stop): its running turn and its waiting
 * messages are cancelled; the run ids cancelled, none when nothing was live here.
 */
export function stopSession(sessions: Pick<SessionRegistry, 'inspect' | 'cancel'>, sessionKey: string): string[] {
  const live = sessions.inspect(sessionKey);
  const ids = live ? [...live.runningIds, ...live.queued] : [];
  return ids.filter((id) => sessions.cancel(id));
}
