import { and, assign, cancel, emit, fromPromise, raise, setup } from 'xstate';
import type { RunInput } from '../core/run.js';

// One session = one lane: a queue of turns, at most one running at a time.
// Pure definition: the run itself is the `executeRun` actor, provided by src/actors/ (or by a test).
//
// Queue modes, chosen per message (the ENQUEUE's `mode`) while a run is going:
//   followup  — strict FIFO: the message becomes its own turn at the back of the queue;
//   collect   — the message is merged into the turn at the back of the queue if that turn was itself queued in
//               collect mode (and has not started), else it opens such a turn: every message that arrives during
//               one run ends up in ONE next turn. Each message keeps its own run id: the turn carries them all;
//   interrupt — the running turn is cancelled (as with CANCEL) and the message runs next, ahead of the queue.
// With nothing running every mode just runs the message.
// Idle: after `idleMs` with nothing queued or running the actor stops (its final state); with `idleMs` 0 it
// stops as its last run ends (however it ends), so a one-message session sets no timer and leaves nothing behind.
// Run deadline: a turn still running after `runTimeoutMs` (0 = none) is stopped; `timedOut` is emitted first,
// so whoever provides `executeRun` can tell a deadline from a cancel. The deadline arrives as DEADLINE (with the
// turn's run id): by default the actor's own delayed event (`armDeadline`, `disarmDeadline`: XState's scheduler
// on the actor's clock); the session registry provides both with a plain timer of its own, as XState's
// scheduler keeps each actor's delayed events in an object keyed by actor and id, which cost more per run
// than the rest of the session actor's step.

export { toQueueMode, WIRE_QUEUE_MODES, type QueueMode } from '../core/queue-mode.js';
import type { QueueMode } from '../core/queue-mode.js';

/** One turn waiting in (or running from) a session's queue. */
export interface QueuedRun {
  runId: string;
  input: RunInput;
  /** Queued in collect mode: later collect-mode messages merge into this turn until it starts. */
  collect?: boolean;
  /** Messages merged into this turn after this one, in arrival order (each keeps its own id and record). */
  merged?: QueuedRun[];
}

/** What the registry gives a session actor. */
export interface SessionInput {
  sessionKey: string;
  /** Stop the actor after this long with nothing queued or running; 0 or less: as soon as its last run ends. */
  idleMs: number;
  /** Stop a run still going after this long (0 or absent = no deadline). */
  runTimeoutMs?: number;
  /**
   * The message the session is created for: it starts running as the actor starts, exactly as if it had been
   * the actor's first ENQUEUE (with nothing running, every queue mode just runs it), one step less.
   */
  first?: QueuedRun;
}

/** A session actor's context: its queue and the turn running now. */
export interface SessionContext {
  sessionKey: string;
  idleMs: number;
  runTimeoutMs: number;
  queue: QueuedRun[];
  current: QueuedRun | null;
}

/** What the registry sends a session actor: a message to queue, or a cancel. */
export type SessionEvent =
  | { type: 'ENQUEUE'; run: QueuedRun; mode?: QueueMode }
  /** Cancel the running turn (its actor is stopped, which aborts its signal) or drop a queued message. */
  | { type: 'CANCEL'; runId: string }
  /** The run deadline of the turn led by `runId` passed (ignored unless that turn is still running). */
  | { type: 'DEADLINE'; runId: string };

/** What a session actor tells the registry besides its state. */
export type SessionEmitted =
  /** A queued message was removed before it started. */
  | { type: 'dequeued'; runId: string }
  /** The running turn passed its deadline; emitted before its actor is stopped. */
  | { type: 'timedOut'; runId: string; runIds: string[]; timeoutMs: number };

/** The run ids of a turn: its first message's, then the merged ones'. */
export function turnRunIds(turn: QueuedRun): string[] {
  return turn.merged && turn.merged.length > 0 ? [turn.runId, ...turn.merged.map((m) => m.runId)] : [turn.runId];
}

/** Messages waiting in a queue (merged ones counted one by one). */
export function queuedMessages(queue: readonly QueuedRun[]): number {
  let n = 0;
  for (const t of queue) n += 1 + (t.merged?.length ?? 0);
  return n;
}

const inTurn = (turn: QueuedRun, runId: string) => turn.runId === runId || (turn.merged?.some((m) => m.runId === runId) ?? false);

/** The session machine: one lane of turns, at most one running (see the queue modes above). */
export const sessionMachine = setup({
  types: {
    input: {} as SessionInput,
    context: {} as SessionContext,
    events: {} as SessionEvent,
    emitted: {} as SessionEmitted,
  },
  actors: {
    // Replaced with .provide(); resolves when the run has finished in any way (never rejects on purpose).
    executeRun: fromPromise<void, QueuedRun>(async () => {
      throw new Error('executeRun not provided');
    }),
  },
  guards: {
    hasQueued: ({ context }) => context.queue.length > 0,
    hasDeadline: ({ context }) => context.runTimeoutMs > 0,
    // an idle session holds nothing (empty queue, no run): with no idle time it ends with its last run, and
    // no idle timer is set for it
    endsWithRun: ({ context }) => context.idleMs <= 0 && context.queue.length === 0,
    hasIdleTime: ({ context }) => context.idleMs > 0,
    isInterrupt: ({ event }) => event.type === 'ENQUEUE' && event.mode === 'interrupt',
    isCollect: ({ event }) => event.type === 'ENQUEUE' && event.mode === 'collect',
    isCurrent: ({ context, event }) => event.type === 'CANCEL' && context.current !== null && inTurn(context.current, event.runId),
    isCurrentDeadline: ({ context, event }) => event.type === 'DEADLINE' && context.current?.runId === event.runId,
    isQueued: ({ context, event }) =>
      event.type === 'CANCEL' && context.queue.some((t) => inTurn(t, event.runId)),
  },
  actions: {
    // The queue is appended and shifted in place: copying it per message made a burst to one session
    // quadratic. Nothing keeps old snapshots, so sharing the array between them is safe.
    enqueue: assign({
      queue: ({ context, event }) => {
        if (event.type === 'ENQUEUE') context.queue.push(event.run);
        return context.queue;
      },
    }),
    enqueueFront: assign({
      queue: ({ context, event }) => {
        if (event.type === 'ENQUEUE') context.queue.unshift(event.run);
        return context.queue;
      },
    }),
    collect: assign({
      queue: ({ context, event }) => {
        if (event.type !== 'ENQUEUE') return context.queue;
        const tail = context.queue.at(-1);
        if (tail?.collect) (tail.merged ??= []).push(event.run);
        else context.queue.push({ ...event.run, collect: true, merged: [] });
        return context.queue;
      },
    }),
    takeNext: assign({
      current: ({ context }) => context.queue.shift() ?? null,
    }),
    clearCurrent: assign({ current: null }),
    dropQueued: assign({
      queue: ({ context, event }) => {
        if (event.type !== 'CANCEL') return context.queue;
        const i = context.queue.findIndex((t) => inTurn(t, event.runId));
        if (i < 0) return context.queue;
        const turn = context.queue[i];
        if (turn.runId !== event.runId) {
          turn.merged = turn.merged!.filter((m) => m.runId !== event.runId);
        } else if (turn.merged && turn.merged.length > 0) {
          // the turn's first message goes: the next merged one leads it
          const [next, ...rest] = turn.merged;
          context.queue[i] = { ...next, collect: turn.collect, merged: rest };
        } else {
          context.queue.splice(i, 1);
        }
        return context.queue;
      },
    }),
    emitDequeued: emit(({ event }) => ({ type: 'dequeued' as const, runId: (event as { runId: string }).runId })),
    // the running turn's deadline (entering and leaving `running.timed`); see the file comment
    armDeadline: raise(({ context }) => ({ type: 'DEADLINE' as const, runId: context.current!.runId }), {
      id: 'runDeadline', delay: ({ context }) => context.runTimeoutMs,
    }),
    disarmDeadline: cancel('runDeadline'),
    emitTimedOut: emit(({ context }) => ({
      type: 'timedOut' as const,
      runId: context.current!.runId,
      runIds: turnRunIds(context.current!),
      timeoutMs: context.runTimeoutMs,
    })),
  },
  delays: {
    // no idle time: no timer at all (a raise without a delay is handled at once, and the guarded `after`
    // transition ignores it); the transitions that end a run stop the actor themselves (endsWithRun)
    idleTimeout: ({ context }) => (context.idleMs > 0 ? context.idleMs : (undefined as unknown as number)),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    sessionKey: input.sessionKey, idleMs: input.idleMs, runTimeoutMs: input.runTimeoutMs ?? 0,
    queue: input.first ? [input.first] : [], current: null,
  }),
  initial: 'start',
  states: {
    // the first message (input.first) runs at once; without one the session starts idle. Not entering `idle`
    // first spares a session created for a message the idle timer's raise and its cancel
    start: {
      always: [
        { guard: and(['hasQueued', 'hasDeadline']), target: 'running.timed' },
        { guard: 'hasQueued', target: 'running.untimed' },
        { target: 'idle' },
      ],
    },
    idle: {
      always: [
        { guard: and(['hasQueued', 'hasDeadline']), target: 'running.timed' },
        { guard: 'hasQueued', target: 'running.untimed' },
      ],
      after: { idleTimeout: { guard: 'hasIdleTime', target: 'stopped' } },
      on: {
        ENQUEUE: [
          { guard: 'hasDeadline', actions: 'enqueue', target: 'running.timed' },
          { actions: 'enqueue', target: 'running.untimed' },
        ],
      },
    },
    running: {
      entry: 'takeNext',
      exit: 'clearCurrent',
      invoke: {
        src: 'executeRun',
        input: ({ context }) => context.current!,
        onDone: [{ guard: 'endsWithRun', target: 'stopped' }, { target: 'idle' }],
        onError: [{ guard: 'endsWithRun', target: 'stopped' }, { target: 'idle' }],
      },
      // the transitions into `running` pick `timed` or `untimed` themselves (one microstep less per run than
      // choosing on entry); `choose` is the fallback for a plain `running` target
      initial: 'choose',
      states: {
        choose: {
          always: [{ guard: 'hasDeadline', target: 'timed' }, { target: 'untimed' }],
        },
        untimed: {},
        timed: {
          entry: 'armDeadline',
          exit: 'disarmDeadline',
          on: { DEADLINE: { guard: 'isCurrentDeadline', target: 'timedOut' } },
        },
        // A child of `running`, so `timedOut` is emitted while the run's actor still runs; leaving `running`
        // then stops it (its signal aborts) and the queue moves on.
        timedOut: {
          entry: 'emitTimedOut',
          always: [{ guard: 'endsWithRun', target: '#session.stopped' }, { target: '#session.idle' }],
        },
      },
      on: {
        ENQUEUE: [
          { guard: and(['isInterrupt', 'hasDeadline']), actions: 'enqueueFront', target: 'running.timed', reenter: true },
          { guard: 'isInterrupt', actions: 'enqueueFront', target: 'running.untimed', reenter: true },
          { guard: 'isCollect', actions: 'collect' },
          { actions: 'enqueue' },
        ],
        CANCEL: [
          { guard: and(['isCurrent', 'endsWithRun']), target: 'stopped' },
          { guard: 'isCurrent', target: 'idle' },
          { guard: 'isQueued', actions: ['dropQueued', 'emitDequeued'] },
        ],
      },
    },
    stopped: { type: 'final' },
  },
});

/** The type of {@link sessionMachine}. */
export type SessionMachine = typeof sessionMachine;
