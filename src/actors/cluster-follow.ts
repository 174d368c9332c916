import type { RunStatus, RunStatuses } from '../cluster/run-status.js';
import type { Bus, BusEvents } from '../core/bus.js';
import { TERMINAL, type RunEventName, type RunListener, type RunRecord } from './run-registry.js';

// Cluster mode: a surface on this instance waiting for a run that may run on another one (its session's owner).
// The run's events come over the cluster bus (subscribeCluster: this instance's and the others'), so one
// follower per instance dispatches them by run id to the runs being waited for; a run's record is kept up
// to date from them as the run registry does locally. An event lost on the way (NATS reconnecting) must not
// leave a caller waiting forever, so the run status record is read now and then as well, and its end counts.
// Only types are imported from src/cluster, so loading this file loads no NATS client.

const RUN_EVENTS = ['run.queued', 'run.started', 'run.delta', 'run.message', 'run.usage', 'run.tool', 'run.completed', 'run.failed', 'run.cancelled'] as const;

/** How often a followed run's status is read, in case its end event was lost. */
const STATUS_POLL_MS = 2_000;

interface Followed {
  record: RunRecord;
  listener?: RunListener;
  settle: (r: RunRecord) => void;
}

/** One follow() of a run: its end, and the way to stop following it. */
export interface RunFollow {
  /** Resolves with the run's record once it has ended (never, after stop()). */
  settled: Promise<RunRecord>;
  /** Stop following (the run was not accepted after all, or the caller stopped waiting). */
  stop(): void;
}

/** The record a run status describes (for /status, replay and a followed run's end). */
export function recordOfStatus(s: RunStatus): RunRecord {
  return {
    runId: s.runId, sessionKey: s.sessionKey, surface: 'http', origin: { surface: 'http' }, state: s.state, queuedAt: s.queuedAt,
    ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}),
    ...(s.finishedAt !== undefined ? { finishedAt: s.finishedAt } : {}),
    reply: s.reply ?? '', text: '',
    ...(s.usage ? { usage: s.usage } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
}

/** Follows runs wherever they run; see the file comment. */
export class ClusterRunFollower {
  /** The follows of each run (a run may be waited for by several callers at once). */
  private readonly followed = new Map<string, Set<Followed>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly poller: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly deps: { bus: Bus; statuses: Pick<RunStatuses, 'get'>; pollMs?: number }) {
    for (const name of RUN_EVENTS) {
      this.unsubscribe.push(deps.bus.subscribeCluster(name, (e) => this.event(name, e as BusEvents[typeof name])));
    }
    this.poller = setInterval(() => {
      // one pass at a time (a pass reads one record per followed run)
      if (this.polling) return;
      this.polling = true;
      void this.poll().finally(() => { this.polling = false; });
    }, deps.pollMs ?? STATUS_POLL_MS);
    this.poller.unref();
  }

  /**
   * Follow run `runId` of `sessionKey` from now on (call it before the run is accepted, so no event is missed):
   * `listener` sees each of its events; `settled` resolves with its record once it has ended.
   */
  follow(runId: string, sessionKey: string, listener?: RunListener): RunFollow {
    let settle!: (r: RunRecord) => void;
    const settled = new Promise<RunRecord>((resolve) => { settle = resolve; });
    const record: RunRecord = { runId, sessionKey, surface: 'http', origin: { surface: 'http' }, state: 'queued', queuedAt: Date.now(), reply: '', text: '' };
    const f: Followed = { record, listener, settle };
    let set = this.followed.get(runId);
    if (!set) this.followed.set(runId, (set = new Set()));
    set.add(f);
    return { settled, stop: () => this.forget(f) };
  }

  /** Runs being followed. */
  get size(): number {
    return this.followed.size;
  }

  /** Stop following the bus and polling. */
  close(): void {
    clearInterval(this.poller);
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private event<K extends RunEventName>(name: K, e: BusEvents[K]): void {
    const set = this.followed.get(e.runId);
    if (set) for (const f of [...set]) this.apply(f, name, e);
  }

  private apply<K extends RunEventName>(f: Followed, name: K, e: BusEvents[K]): void {
    const r = f.record;
    const ev = e as Partial<BusEvents['run.completed'] & BusEvents['run.failed'] & BusEvents['run.delta'] & BusEvents['run.queued'] & BusEvents['run.usage']>;
    switch (name) {
      case 'run.queued': r.queuedAt = ev.at!; r.surface = ev.surface!; r.origin = ev.origin!; r.text = ev.text!; break;
      case 'run.started': r.state = 'running'; r.startedAt = ev.at; break;
      case 'run.delta': case 'run.message': r.reply = ev.text!; break;
      case 'run.usage': r.usage = ev.usage; break;
      case 'run.completed': r.state = 'completed'; r.reply = ev.reply!; r.usage = ev.usage; r.finishedAt = ev.at; break;
      case 'run.failed': r.state = 'failed'; r.reply = ev.reply!; r.error = ev.error; r.finishedAt = ev.at; break;
      case 'run.cancelled': r.state = 'cancelled'; r.reply = ev.reply!; r.finishedAt = ev.at; break;
    }
    f.listener?.(name, e);
    if (TERMINAL.has(r.state)) this.end(f);
  }

  private end(f: Followed): void {
    this.forget(f);
    f.settle(f.record);
  }

  private forget(f: Followed): void {
    const set = this.followed.get(f.record.runId);
    if (!set?.delete(f)) return;
    if (set.size === 0) this.followed.delete(f.record.runId);
  }

  /** The ends whose events were lost: read from the run status. */
  private async poll(): Promise<void> {
    for (const runId of [...this.followed.keys()]) {
      const s = await this.deps.statuses.get(runId).catch(() => undefined);
      if (!s || !TERMINAL.has(s.state) || !this.followed.has(runId)) continue;
      // a listener (a stream) is told the end as the bus would have told it
      const at = s.finishedAt ?? Date.now();
      const ref = { runId: s.runId, sessionKey: s.sessionKey };
      if (s.state === 'completed') this.event('run.completed', { ...ref, at, reply: s.reply ?? '', ...(s.usage ? { usage: s.usage } : {}) });
      else if (s.state === 'failed') this.event('run.failed', { ...ref, at, reply: s.reply ?? '', error: s.error ?? { type: 'internal_error', message: 'run failed' } });
      else this.event('run.cancelled', { ...ref, at, reply: s.reply ?? '', started: s.startedAt !== undefined });
    }
  }
}
