import { assign, emit, fromPromise, setup } from 'xstate';
import type { RunInput } from '../agent/runner.js';

// One session = one lane: a strict FIFO queue of runs, at most one running at a time.
// Pure definition: the run itself is the `executeRun` actor, provided by src/actors/ (or by a test).

export interface QueuedRun {
  runId: string;
  input: RunInput;
}

export interface SessionInput {
  sessionKey: string;
  /** Stop the actor after this long with nothing queued or running. */
  idleMs: number;
}

export interface SessionContext extends SessionInput {
  queue: QueuedRun[];
  current: QueuedRun | null;
}

export type SessionEvent =
  | { type: 'ENQUEUE'; run: QueuedRun }
  /** Cancel the running run (its actor is stopped, which aborts its signal) or drop a queued one. */
  | { type: 'CANCEL'; runId: string };

export type SessionEmitted =
  /** A queued run was removed before it started. */
  { type: 'dequeued'; runId: string };

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
    isCurrent: ({ context, event }) => event.type === 'CANCEL' && context.current?.runId === event.runId,
    isQueued: ({ context, event }) =>
      event.type === 'CANCEL' && context.queue.some((r) => r.runId === event.runId),
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
    takeNext: assign({
      current: ({ context }) => context.queue.shift() ?? null,
    }),
    clearCurrent: assign({ current: null }),
    dropQueued: assign({
      queue: ({ context, event }) =>
        event.type === 'CANCEL' ? context.queue.filter((r) => r.runId !== event.runId) : context.queue,
    }),
    emitDequeued: emit(({ event }) => ({ type: 'dequeued' as const, runId: (event as { runId: string }).runId })),
  },
  delays: {
    idleTimeout: ({ context }) => context.idleMs,
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({ ...input, queue: [], current: null }),
  initial: 'idle',
  states: {
    idle: {
      always: { guard: 'hasQueued', target: 'running' },
      after: { idleTimeout: 'stopped' },
      on: { ENQUEUE: { actions: 'enqueue', target: 'running' } },
    },
    running: {
      entry: 'takeNext',
      exit: 'clearCurrent',
      invoke: {
        src: 'executeRun',
        input: ({ context }) => context.current!,
        onDone: 'idle',
        onError: 'idle',
      },
      on: {
        ENQUEUE: { actions: 'enqueue' },
        CANCEL: [
          { guard: 'isCurrent', target: 'idle' },
          { guard: 'isQueued', actions: ['dropQueued', 'emitDequeued'] },
        ],
      },
    },
    stopped: { type: 'final' },
  },
});

export type SessionMachine = typeof sessionMachine;
