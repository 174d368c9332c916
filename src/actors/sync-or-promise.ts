import type { ActorLogic, AnyEventObject, NonReducibleUnknown, PromiseSnapshot } from 'xstate';

// An invoked actor for work that is usually synchronous and only sometimes waits (admission: a `connect` is
// decided on the spot, only a rate-limited failure is held on a timer). XState's fromPromise always pays for
// an AbortController, a promise and a microtask turn before its parent hears the answer; this logic answers
// from start() when the work returned a value, so the parent gets the done event in the same step, and
// behaves like fromPromise (done / error, ignored once stopped) when it returned a promise. A throw is the
// actor's error, as a rejected promise is.

/** The snapshot: fromPromise's, so onDone / onError read `output` / `error` as they would from it. */
type Snap<TOutput, TInput> = PromiseSnapshot<TOutput, TInput>;

type Settled<TOutput> = { type: 'sync-or-promise.resolve'; data: TOutput } | { type: 'sync-or-promise.reject'; data: unknown };

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/** Actor logic running `work(input)` once at start: its value, or its promise's, is the actor's output. */
export function fromSyncOrPromise<TOutput, TInput extends NonReducibleUnknown>(
  work: (input: TInput) => TOutput | Promise<TOutput>,
): ActorLogic<Snap<TOutput, TInput>, AnyEventObject, TInput> {
  return {
    config: work,
    transition: (snapshot, event) => {
      if (snapshot.status !== 'active') return snapshot;
      const e = event as Settled<TOutput> | AnyEventObject;
      switch (e.type) {
        case 'sync-or-promise.resolve': return { status: 'done', output: e.data as TOutput, error: undefined, input: undefined };
        case 'sync-or-promise.reject': return { status: 'error', output: undefined, error: e.data, input: undefined };
        case 'xstate.stop': return { status: 'stopped', output: undefined, error: undefined, input: undefined };
        default: return snapshot;
      }
    },
    start: (snapshot, { self }) => {
      if (snapshot.status !== 'active') return;
      // a throw here is caught by the actor (Actor.start) and becomes its error, as a rejection would
      const out = work(snapshot.input as TInput);
      if (!isThenable(out)) {
        // queued in the actor's mailbox, which starts right after this returns: done within this step
        self.send({ type: 'sync-or-promise.resolve', data: out });
        return;
      }
      out.then(
        (data) => self.getSnapshot().status === 'active' && self.send({ type: 'sync-or-promise.resolve', data }),
        (data) => self.getSnapshot().status === 'active' && self.send({ type: 'sync-or-promise.reject', data }),
      );
    },
    getInitialSnapshot: (_, input) => ({ status: 'active', output: undefined, error: undefined, input }),
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as Snap<TOutput, TInput>,
  };
}
