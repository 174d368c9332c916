import type { Actor, ActorOptions, AnyActorLogic } from 'xstate';
import { pino } from 'pino';
import type { RunErrorInfo } from '../core/bus.js';
import type { RunInput, RunOrigin } from '../core/run.js';
import type { RunLifecycle } from './run-lifecycle.js';
import type { Logger } from '../core/log.js';
import { queuedMessages, sessionMachine, turnRunIds, type QueueMode, type QueuedRun, type SessionEvent, type SessionMachine } from '../machines/session.js';
import { firstRunSnapshot } from './session-activation.js';
import { TERMINAL, type RunListener, type RunRecord, type RunRegistry } from './run-registry.js';
import { createSupervisedActor, halt } from './supervise.js';

// Session actors are independent root actors held in a Map (never children of one parent: XState's child
// bookkeeping is quadratic). Every surface submits runs here, so one-run-per-session holds across all of them.
//
// Submitting is two steps so a surface can acknowledge in between: accept() checks the id and the queue
// bound and publishes `run.queued` (the run's record exists, and the inbound journal has it); start() hands the
// run to its session. submit() is both at once.
//
// A session actor that throws fails its running and queued runs (error type internal_error) and is dropped;
// the session's next message starts a new actor. No other session notices.

/** The outcome of submitting a message: accepted, answered from an earlier run, or refused. */
export type SubmitResult =
  | { kind: 'accepted'; record: RunRecord }
  /** A completed run with this id in the same session: answer from the record, run nothing. */
  | { kind: 'replay'; record: RunRecord }
  | { kind: 'conflict'; message: string }
  /** The session already has `queued` messages waiting (the bound is `max`): refused, nothing recorded. */
  | { kind: 'full'; message: string; queued: number; max: number };

/** One message for a session: its run id, the runner's input, and where the reply goes. */
export interface SubmitRequest {
  runId: string;
  /** The reply address; its `surface` says where the message came in. */
  origin: RunOrigin;
  input: RunInput;
  /** How to queue behind a running run; the registry's default when absent. */
  mode?: QueueMode;
  /** Skip the queue bound (crash recovery re-submitting runs that were accepted before the restart). */
  unbounded?: boolean;
  /** When it was first accepted (recovery keeps the journaled time); now when absent. */
  queuedAt?: number;
  /** Attached when the run is accepted, so it sees every event (a run may start within start()). */
  listener?: RunListener;
  /**
   * Cluster mode: the id is a platform's delivery id (a channel message), accepted once — an id the cluster
   * knows in any state is never run again, as a failed or cancelled request id sent again would be.
   */
  noRetry?: boolean;
  /** Cluster mode: nobody here waits for the run's end (its reply goes to a chat): it is not followed. */
  detached?: boolean;
}

/** What the session registry works with. */
export interface SessionRegistryDeps {
  /** Records and announces every step of a run. */
  lifecycle: RunLifecycle;
  runs: RunRegistry;
  executeRun: AnyActorLogic;
  idleMs: number;
  /** Default queue mode (default followup). */
  queueMode?: QueueMode;
  /** Messages that may wait behind a session's running run (default 100). */
  maxQueue?: number;
  /** Run deadline; 0 or absent = none. */
  runTimeoutMs?: number;
  now?: () => number;
  /** Where a failed session actor is reported (default: nowhere). */
  log?: Logger;
  /** The session machine (default: sessionMachine); tests inject faults through it. */
  machine?: SessionMachine;
  /** Told when a session's actor ended after its idle time (cluster mode gives the session up then). */
  onSessionEnd?: (sessionKey: string) => void;
  /** The session actors' clock for their idle and deadline timers (tests pass XState's SimulatedClock). */
  clock?: ActorOptions<SessionMachine>['clock'];
}

/** Messages that may wait behind a session's running run unless `maxQueue` says otherwise. */
export const DEFAULT_MAX_QUEUE = 100;

/** The error of the runs of a session whose actor failed. */
export const SESSION_FAILED: RunErrorInfo = {
  type: 'internal_error', message: 'internal error in the session: the run was stopped (it may be sent again)',
};

/** The session actors by session key; every surface submits its runs here (one run at a time per session). */
export class SessionRegistry {
  private readonly actors = new Map<string, Actor<SessionMachine>>();
  private readonly machine: SessionMachine;
  /** Accepted, not yet started. */
  private readonly pending = new Map<string, { input: RunInput; mode: QueueMode }>();
  /** Accepts waiting for their group commit (run ids), and how many per session. */
  private readonly accepting = new Set<string>();
  private readonly acceptingIn = new Map<string, number>();
  /** Runs stopped by their deadline (or by their session's failure), until their executor asks why it was aborted. */
  private readonly timedOut = new Map<string, RunErrorInfo>();
  /** The run deadline timer of each session whose turn runs with one (at most one turn runs per session). */
  private readonly deadlines = new Map<string, unknown>();
  private readonly clock: NonNullable<ActorOptions<SessionMachine>['clock']>;
  private readonly log: Logger;

  constructor(private readonly deps: SessionRegistryDeps) {
    this.clock = deps.clock ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => { clearTimeout(id as NodeJS.Timeout); } };
    // the run deadline on a plain timer of the actors' clock instead of XState's scheduler (see the machine)
    this.machine = (deps.machine ?? sessionMachine).provide({
      actors: { executeRun: deps.executeRun as never },
      actions: {
        armDeadline: ({ context, self }) => { this.armDeadline(context.sessionKey, context.current!.runId, context.runTimeoutMs, self); },
        disarmDeadline: ({ context }) => { this.disarmDeadline(context.sessionKey); },
      },
    });
    this.log = deps.log ?? pino({ level: 'silent' });
  }

  /** Set the session's run deadline timer for its running turn (led by `runId`). */
  private armDeadline(sessionKey: string, runId: string, ms: number, actor: { send(event: SessionEvent): void }): void {
    this.disarmDeadline(sessionKey);
    this.deadlines.set(sessionKey, this.clock.setTimeout(() => {
      this.deadlines.delete(sessionKey);
      actor.send({ type: 'DEADLINE', runId });
    }, ms));
  }

  /** Clear the session's run deadline timer, if one is set (a stopped actor leaves its state without exits). */
  private disarmDeadline(sessionKey: string): void {
    const timer = this.deadlines.get(sessionKey);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.deadlines.delete(sessionKey);
  }

  /** Accept then start: for surfaces with nothing to acknowledge in between. */
  submit(req: SubmitRequest): SubmitResult {
    const result = this.accept(req);
    if (result.kind === 'accepted') this.start(req.runId);
    return result;
  }

  /**
   * Id checks (conflict, replay) and the queue bound, then `run.queued`: the run is recorded (state queued)
   * but does not run until start(runId). Throws (StorageUnavailable when the disk is full) if its journal
   * write fails: then nothing at all is recorded, and the same id may be sent again.
   */
  accept(req: SubmitRequest): SubmitResult {
    const refused = this.refusal(req);
    if (refused) return refused;
    const { runId, input } = req;
    const now = this.deps.now ?? Date.now;
    // recorded before anything else knows of it; a failed write (full disk) throws with nothing recorded
    this.deps.lifecycle.accepted({
      runId, sessionKey: input.sessionKey, surface: req.origin.surface, origin: req.origin, at: req.queuedAt ?? now(), text: input.text,
    });
    return this.accepted(req);
  }

  /**
   * accept() with the journal write through the group commit queue: resolves once it committed (the accepts of
   * one tick share a transaction). Until then the id counts as queued (a repeat is a conflict) and the message
   * counts against its session's queue bound. Rejects (StorageUnavailable) with nothing recorded.
   */
  async acceptGrouped(req: SubmitRequest): Promise<SubmitResult> {
    const refused = this.refusal(req);
    if (refused) return refused;
    const { runId, input } = req;
    const now = this.deps.now ?? Date.now;
    const key = input.sessionKey;
    this.accepting.add(runId);
    this.acceptingIn.set(key, (this.acceptingIn.get(key) ?? 0) + 1);
    try {
      await this.deps.lifecycle.acceptedGrouped({
        runId, sessionKey: key, surface: req.origin.surface, origin: req.origin, at: req.queuedAt ?? now(), text: input.text,
      });
    } finally {
      this.accepting.delete(runId);
      const n = this.acceptingIn.get(key)! - 1;
      if (n === 0) this.acceptingIn.delete(key);
      else this.acceptingIn.set(key, n);
    }
    return this.accepted(req);
  }

  /** acceptGrouped() then start(): for surfaces with nothing to acknowledge in between. */
  async submitGrouped(req: SubmitRequest): Promise<SubmitResult> {
    const result = await this.acceptGrouped(req);
    if (result.kind === 'accepted') this.start(req.runId);
    return result;
  }

  /** The id checks (conflict, replay) and the queue bound: why `req` is not accepted, if it is not. */
  private refusal(req: SubmitRequest): SubmitResult | undefined {
    const { runId, input } = req;
    if (this.accepting.has(runId)) return { kind: 'conflict', message: `request_id "${runId}" is already queued or running` };
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
    const mode = req.mode ?? this.deps.queueMode ?? 'followup';
    // interrupt is never refused: it replaces the running run, so the number waiting does not grow
    if (mode !== 'interrupt' && !req.unbounded) {
      const max = this.deps.maxQueue ?? DEFAULT_MAX_QUEUE;
      const queued = this.waiting(input.sessionKey);
      if (queued >= max) {
        return { kind: 'full', queued, max, message: `session ${input.sessionKey} has ${queued} queued runs (max ${max})` };
      }
    }
    return undefined;
  }

  /** The accept of `req` was recorded (and `run.queued` published): it waits for start(). */
  private accepted(req: SubmitRequest): SubmitResult {
    const { runId, input } = req;
    if (req.listener) this.deps.runs.watch(runId, req.listener);
    this.pending.set(runId, { input, mode: req.mode ?? this.deps.queueMode ?? 'followup' });
    return { kind: 'accepted', record: this.deps.runs.get(runId)! };
  }

  /** Hand an accepted run to its session; false if it was not accepted (or already started). */
  start(runId: string): boolean {
    const p = this.pending.get(runId);
    if (!p) return false;
    this.pending.delete(runId);
    const record = this.deps.runs.get(runId);
    if (record?.state !== 'queued') return false; // cancelled in between
    const run = { runId, input: p.input };
    // a session with no actor gets one that starts with this run (one-message sessions are the common case)
    const actor = this.actors.get(p.input.sessionKey);
    if (actor) actor.send({ type: 'ENQUEUE', run, mode: p.mode });
    else this.sessionActor(p.input.sessionKey, run);
    return true;
  }

  /** Cancel a queued or running run; false if it is unknown or already finished. A running merged (collect)
   *  turn is cancelled as a whole. */
  cancel(runId: string): boolean {
    const record = this.deps.runs.get(runId);
    if (!record || (record.state !== 'queued' && record.state !== 'running')) return false;
    if (this.pending.delete(runId)) {
      const now = this.deps.now ?? Date.now;
      this.deps.lifecycle.cancelled({ runId, sessionKey: record.sessionKey, at: now(), reply: '', started: false });
      return true;
    }
    this.actors.get(record.sessionKey)?.send({ type: 'CANCEL', runId });
    return true;
  }

  /**
   * Why the run was stopped, if by its deadline (asked once by its executor when its signal aborts); undefined
   * for a cancel.
   */
  abortReason(runId: string): RunErrorInfo | undefined {
    const reason = this.timedOut.get(runId);
    this.timedOut.delete(runId);
    return reason;
  }

  /** Queue and running run of a live session (undefined if the session actor is not alive). `running` is the
   *  running turn's first id, `runningIds` all of its ids, `queued` every waiting message id in order. */
  inspect(sessionKey: string): { running: string | null; runningIds: string[]; queued: string[] } | undefined {
    const actor = this.actors.get(sessionKey);
    if (!actor) return undefined;
    const { current, queue } = actor.getSnapshot().context;
    return {
      running: current?.runId ?? null,
      runningIds: current ? turnRunIds(current) : [],
      queued: queue.flatMap(turnRunIds),
    };
  }

  get size(): number {
    return this.actors.size;
  }

  /** Messages waiting in every session (queued behind a running run, or accepted and not yet started). */
  queueDepth(): number {
    let n = this.pending.size;
    for (const actor of this.actors.values()) n += queuedMessages(actor.getSnapshot().context.queue);
    return n;
  }

  /**
   * Shutdown, first step: every message not yet started is cancelled (the lifecycle, shutting down, leaves
   * them journaled `queued` for the next start); running runs go on.
   */
  dropQueued(): void {
    for (const actor of this.actors.values()) {
      for (const runId of actor.getSnapshot().context.queue.flatMap(turnRunIds)) actor.send({ type: 'CANCEL', runId });
    }
    for (const runId of [...this.pending.keys()]) this.cancel(runId);
  }

  /** Stop every session: running runs are aborted (cancelled), queued ones are cancelled. */
  stopAll(): void {
    const now = this.deps.now ?? Date.now;
    for (const [key, actor] of this.actors) {
      const { queue } = actor.getSnapshot().context;
      actor.stop();
      this.disarmDeadline(key);
      for (const runId of queue.flatMap(turnRunIds)) {
        this.deps.lifecycle.cancelled({ runId, sessionKey: key, at: now(), reply: '', started: false });
      }
    }
    this.actors.clear();
    for (const runId of [...this.pending.keys()]) this.cancel(runId);
  }

  /** Messages waiting in a session: queued in its actor, plus accepted and not yet started. */
  private waiting(sessionKey: string): number {
    const actor = this.actors.get(sessionKey);
    let n = actor ? queuedMessages(actor.getSnapshot().context.queue) : 0;
    for (const p of this.pending.values()) if (p.input.sessionKey === sessionKey) n++;
    n += this.acceptingIn.get(sessionKey) ?? 0;
    return n;
  }

  /** A new session actor, started with its first run. */
  private sessionActor(sessionKey: string, first: QueuedRun): Actor<SessionMachine> {
    const runTimeoutMs = this.deps.runTimeoutMs ?? 0;
    // restored in its first step, running `first` (session-activation.ts), when the machine allows it
    const snapshot = firstRunSnapshot(this.machine, { sessionKey, idleMs: this.deps.idleMs, runTimeoutMs }, first);
    const { actor: created, guard } = createSupervisedActor(this.machine, {
      input: { sessionKey, idleMs: this.deps.idleMs, runTimeoutMs, first },
      ...(snapshot ? { snapshot } : {}),
      ...(this.deps.clock ? { clock: this.deps.clock } : {}),
    }, {
      kind: 'session', id: sessionKey, log: this.log,
      onDone: () => {
        if (this.actors.get(sessionKey) !== created) return;
        this.actors.delete(sessionKey);
        this.deps.onSessionEnd?.(sessionKey);
      },
      onFailure: (err) => this.failed(sessionKey, created, err),
    });
    created.on('dequeued', guard(({ runId }) => {
      const now = this.deps.now ?? Date.now;
      this.deps.lifecycle.cancelled({ runId, sessionKey, at: now(), reply: '', started: false });
    }));
    created.on('timedOut', guard(({ runId, timeoutMs }) => {
      this.timedOut.set(runId, { type: 'timeout', message: `run exceeded the run deadline of ${timeoutMs} ms and was aborted` });
    }));
    this.actors.set(sessionKey, created);
    created.start();
    // restoring ran no entry action: the deadline `running.timed` arms on entry is armed here
    if (snapshot && runTimeoutMs > 0 && created.getSnapshot().status === 'active') this.armDeadline(sessionKey, first.runId, runTimeoutMs, created);
    return created;
  }

  /**
   * A session actor threw. Every run it was given (queued or running, not merely accepted) fails with
   * SESSION_FAILED: the running turn through its executor (aborted with that reason), the rest here. The actor
   * is dropped, so the session's next message starts a new one.
   */
  private failed(sessionKey: string, actor: Actor<SessionMachine>, err: unknown): void {
    this.log.error({ err, sessionKey }, 'session actor failed: its runs fail, its next message starts a new actor');
    if (this.actors.get(sessionKey) === actor) {
      this.actors.delete(sessionKey);
      this.disarmDeadline(sessionKey); // its timer, not a later actor's of the same session
    }
    const given = this.deps.runs.liveIn(sessionKey).filter((r) => !this.pending.has(r.runId));
    for (const r of given) if (r.state === 'running') this.timedOut.set(r.runId, SESSION_FAILED);
    // aborts the running turn: its executor asks abortReason() and publishes run.failed with the reason set above
    halt(actor);
    const now = this.deps.now ?? Date.now;
    for (const r of given) {
      // still live: queued, or running in an actor that stops only after its current step (a listener's failure)
      if (!TERMINAL.has(r.state)) {
        this.deps.lifecycle.failed({ runId: r.runId, sessionKey, at: now(), error: SESSION_FAILED, reply: r.reply });
      }
    }
  }
}
