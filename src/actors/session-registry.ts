import { createActor, type Actor, type AnyActorLogic } from 'xstate';
import type { Bus, Surface } from '../bus.js';
import type { RunInput } from '../agent/runner.js';
import { sessionMachine, type SessionMachine } from '../machines/session.js';
import type { RunListener, RunRecord, RunRegistry } from './run-registry.js';

// Session actors are independent root actors held in a Map (never children of one parent: XState's child
// bookkeeping is quadratic). Every surface submits runs here, so one-run-per-session holds across all of them.

export type SubmitResult =
  | { kind: 'accepted'; record: RunRecord }
  /** A completed run with this id in the same session: answer from the record, run nothing. */
  | { kind: 'replay'; record: RunRecord }
  | { kind: 'conflict'; message: string };

export interface SubmitRequest {
  runId: string;
  surface: Surface;
  input: RunInput;
  /** Attached before the run is queued, so it sees every event (a run may start within submit()). */
  listener?: RunListener;
}

export class SessionRegistry {
  private readonly actors = new Map<string, Actor<SessionMachine>>();
  private readonly machine: SessionMachine;

  constructor(private readonly deps: {
    bus: Bus;
    runs: RunRegistry;
    executeRun: AnyActorLogic;
    idleMs: number;
    now?: () => number;
  }) {
    this.machine = sessionMachine.provide({ actors: { executeRun: deps.executeRun as never } });
  }

  submit(req: SubmitRequest): SubmitResult {
    const { runId, input } = req;
    const existing = this.deps.runs.get(runId);
    if (existing) {
      if (existing.state === 'queued' || existing.state === 'running') {
        return { kind: 'conflict', message: `request_id "${runId}" is already queued or running` };
      }
      if (existing.state === 'completed') {
        return existing.sessionKey === input.sessionKey
          ? { kind: 'replay', record: existing }
          : { kind: 'conflict', message: `request_id "${runId}" was already used by another session` };
      }
      // failed or cancelled: a new run replaces the record
    }
    const now = this.deps.now ?? Date.now;
    this.deps.bus.emit('run.queued', {
      runId, sessionKey: input.sessionKey, surface: req.surface, at: now(), text: input.text,
    });
    if (req.listener) this.deps.runs.watch(runId, req.listener);
    this.sessionActor(input.sessionKey).send({ type: 'ENQUEUE', run: { runId, input } });
    return { kind: 'accepted', record: this.deps.runs.get(runId)! };
  }

  /** Cancel a queued or running run; false if it is unknown or already finished. */
  cancel(runId: string): boolean {
    const record = this.deps.runs.get(runId);
    if (!record || (record.state !== 'queued' && record.state !== 'running')) return false;
    this.actors.get(record.sessionKey)?.send({ type: 'CANCEL', runId });
    return true;
  }

  /** Queue length and running run of a live session (undefined if the session actor is not alive). */
  inspect(sessionKey: string): { running: string | null; queued: string[] } | undefined {
    const actor = this.actors.get(sessionKey);
    if (!actor) return undefined;
    const { current, queue } = actor.getSnapshot().context;
    return { running: current?.runId ?? null, queued: queue.map((r) => r.runId) };
  }

  get size(): number {
    return this.actors.size;
  }

  /** Stop every session: running runs are aborted (cancelled), queued ones are cancelled. */
  stopAll(): void {
    const now = this.deps.now ?? Date.now;
    for (const [key, actor] of this.actors) {
      const { queue } = actor.getSnapshot().context;
      actor.stop();
      for (const run of queue) {
        this.deps.bus.emit('run.cancelled', { runId: run.runId, sessionKey: key, at: now(), reply: '', started: false });
      }
    }
    this.actors.clear();
  }

  private sessionActor(sessionKey: string): Actor<SessionMachine> {
    let actor = this.actors.get(sessionKey);
    if (actor) return actor;
    const created = createActor(this.machine, { input: { sessionKey, idleMs: this.deps.idleMs } });
    actor = created;
    created.on('dequeued', ({ runId }) => {
      const now = this.deps.now ?? Date.now;
      this.deps.bus.emit('run.cancelled', { runId, sessionKey, at: now(), reply: '', started: false });
    });
    created.subscribe({
      complete: () => {
        if (this.actors.get(sessionKey) === created) this.actors.delete(sessionKey);
      },
    });
    this.actors.set(sessionKey, created);
    created.start();
    return created;
  }
}
