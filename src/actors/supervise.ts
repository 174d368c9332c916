import { createActor, type Actor, type ActorOptions, type AnyActor, type AnyActorLogic } from 'xstate';
import type { Logger } from '../core/log.js';

// XState v5 rethrows the error of an actor nobody observes from a timer (reportUnhandledError), and does the
// same with an exception thrown by a listener of the actor's emitted events: either ends the process, and
// every client and run with it. So the gateway's root actors (connections, sessions, nodes) are all created
// here: each gets an error observer before it starts, its listeners are guarded, and a failure is that
// actor's alone — its owner is told once, then the actor is stopped.

/** How a supervised actor reports its end to its owner. */
export interface Supervision {
  /** Called once, on the first failure (the actor's own error, or a guarded listener's exception). */
  onFailure(err: unknown): void;
  /** The actor stopped or reached its final state (not called after a failure). */
  onDone?(): void;
  /** Where an exception thrown by onFailure itself is logged. */
  log: Logger;
}

/** A supervised actor, and the wrapper for its emitted-event listeners. */
export interface Supervised<TLogic extends AnyActorLogic> {
  actor: Actor<TLogic>;
  /** Wraps a listener of the actor's emitted events: an exception in it fails this actor, not the process. */
  guard<E>(listener: (event: E) => void): (event: E) => void;
}

/** createActor() with an error observer (not started: attach listeners, then start). */
export function createSupervisedActor<TLogic extends AnyActorLogic>(
  logic: TLogic, options: ActorOptions<TLogic>, supervision: Supervision,
): Supervised<TLogic> {
  const actor = createActor(logic as AnyActorLogic, options as ActorOptions<AnyActorLogic>) as Actor<TLogic>;
  let failed = false;
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    try {
      supervision.onFailure(err);
    } catch (handlerErr) {
      supervision.log.error({ err: handlerErr, cause: err }, 'actor failure handler threw');
    }
    halt(actor);
  };
  // every observer needs an error callback: XState rethrows as soon as one of them has none
  actor.subscribe({ error: fail, complete: () => { if (!failed) supervision.onDone?.(); } });
  return {
    actor,
    guard: (listener) => (event) => {
      try {
        listener(event);
      } catch (err) {
        fail(err);
      }
    },
  };
}

/**
 * Stop an actor for good. A running one is stopped (its children with it). An errored one has already stopped
 * processing, but XState leaves its invoked children running (see Actor._stopProcedure): they are stopped
 * here, so a run does not go on without its session.
 */
export function halt(actor: AnyActor): void {
  const snapshot = actor.getSnapshot() as { status: string; children?: Record<string, unknown> };
  if (snapshot.status === 'active') {
    actor.stop();
    return;
  }
  if (snapshot.status !== 'error') return;
  for (const child of Object.values(snapshot.children ?? {})) {
    // not public API: a child cannot be stopped from outside its parent, and the parent is gone
    (child as { _stop?: () => void })._stop?.();
  }
}
