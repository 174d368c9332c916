import { createActor, type Actor, type ActorOptions, type AnyActor, type AnyActorLogic, type InspectionEvent, type Subscription } from 'xstate';
import type { Logger } from '../core/log.js';

// XState v5 rethrows the error of an actor nobody observes from a timer (reportUnhandledError), and does the
// same with an exception thrown by a listener of the actor's emitted events: either ends the process, and
// every client and run with it. So the gateway's root actors (connections, sessions, nodes) are all created
// here: each gets an error observer before it starts, its listeners are guarded, and a failure is that
// actor's alone — its owner is told once, then the actor is stopped.
//
// It is also the inspection seam: every root actor is listed in the ActorDirectory while it lives, and an
// inspector (a viewer of the live actors) attaches an XState inspection observer to all of them through
// the directory — to those alive when it attaches and to those created while it watches — and detaches
// when it leaves. With nobody watching, no observer is attached to any actor.

/** The kinds of root actor the gateway runs. */
export type ActorKind = 'session' | 'connection' | 'node' | 'channel';

/** What an inspection observer is given with each event: which actor it came from. */
export type InspectionListener = (event: InspectionEvent, from: { kind: ActorKind; id: string }) => void;

/** What an inspector hears besides the actors' own events: a root actor listed or gone. */
export interface DirectoryHooks {
  /** A root actor was listed (before it starts); its observer is already attached. */
  added?(entry: LiveActor): void;
  /** A root actor stopped, ended or failed (or was passivated: see ActorDirectory.remove); its observer is
   *  already detached. */
  removed?(entry: LiveActor, passivated: boolean): void;
}

/** A live root actor, as the directory lists it. */
export interface LiveActor {
  kind: ActorKind;
  id: string;
  actor: AnyActor;
  /** What its registry knows about it beyond its snapshot, for the inspector (I1, `@clawgate.vitals`). */
  describe?: () => Record<string, unknown>;
  /** Passivated: `actor` is a stand-in holding the snapshot the actor would be rebuilt from. */
  passivated?: boolean;
}

/** Every live root actor, and the inspectors watching them; see the file comment. */
export class ActorDirectory {
  private readonly live = new Map<AnyActor, LiveActor>();
  private readonly watchers = new Map<InspectionListener, Map<AnyActor, Subscription>>();
  private readonly hooks = new Map<InspectionListener, DirectoryHooks>();
  private readonly passivatedSources = new Set<() => Iterable<LiveActor>>();

  /** The live actors, oldest first, then the passivated ones (stand-ins built now by their registries). */
  list(): LiveActor[] {
    const all = [...this.live.values()];
    for (const source of this.passivatedSources) for (const entry of source()) all.push(entry);
    return all;
  }

  /** A registry that passivates actors lists them through `source` (called only when listing); returns the
   *  function that unlists the source. */
  listPassivated(source: () => Iterable<LiveActor>): () => void {
    this.passivatedSources.add(source);
    return () => void this.passivatedSources.delete(source);
  }

  /** Watch every live actor and every actor created from now on; returns the function that stops watching. */
  inspect(listener: InspectionListener, hooks: DirectoryHooks = {}): () => void {
    const subscriptions = new Map<AnyActor, Subscription>();
    this.watchers.set(listener, subscriptions);
    this.hooks.set(listener, hooks);
    for (const entry of this.live.values()) subscriptions.set(entry.actor, attach(entry, listener));
    return () => {
      for (const s of subscriptions.values()) s.unsubscribe();
      this.watchers.delete(listener);
      this.hooks.delete(listener);
    };
  }

  /** Number of inspectors watching (0 = no observer attached anywhere). */
  get watching(): number {
    return this.watchers.size;
  }

  /** Lists a root actor (createSupervisedActor calls this before the actor starts). */
  add(entry: LiveActor): void {
    this.live.set(entry.actor, entry);
    if (this.watchers.size === 0) return;
    for (const [listener, subscriptions] of this.watchers) {
      subscriptions.set(entry.actor, attach(entry, listener));
      this.hooks.get(listener)?.added?.(entry);
    }
  }

  /** Forgets a root actor that stopped, ended or failed; `passivated`: it is being stopped to be kept in
   *  compact form by its registry, which lists it as passivated from now on (the viewers keep showing it). */
  remove(actor: AnyActor, passivated = false): void {
    const entry = this.live.get(actor);
    if (!entry) return;
    this.live.delete(actor);
    if (this.watchers.size === 0) return;
    for (const [listener, subscriptions] of this.watchers) {
      subscriptions.get(actor)?.unsubscribe();
      subscriptions.delete(actor);
      this.hooks.get(listener)?.removed?.(entry, passivated);
    }
  }
}

function attach(entry: LiveActor, listener: InspectionListener): Subscription {
  const from = { kind: entry.kind, id: entry.id };
  return entry.actor.system.inspect((event: InspectionEvent) => listener(event, from));
}

/** The gateway's directory of live root actors (one per process). */
export const actorDirectory = new ActorDirectory();

/** How a root actor is supervised: who is told of its failure, and how it is listed. */
export interface Supervision {
  kind: ActorKind;
  /** Its key: session key, connection id, node id, channel account. */
  id: string;
  /** Called once, on the first failure (the actor's own error, or a guarded listener's exception). */
  onFailure(err: unknown): void;
  /** The actor stopped or reached its final state (not called after a failure). */
  onDone?(): void;
  /** Where an exception thrown by onFailure itself is logged. */
  log: Logger;
  /** What the registry knows about the actor beyond its snapshot (the inspector's row; called only while a viewer watches). */
  describe?: () => Record<string, unknown>;
  /** The inspector identity (XState session id) of the passivated actor this one is rebuilt from. */
  sessionId?: string;
}

const ID_PREFIX: Record<ActorKind, string> = { session: 'session', connection: 'conn', node: 'node', channel: 'channel' };

/** A supervised actor and the guard for its listeners. */
export interface Supervised<TLogic extends AnyActorLogic> {
  actor: Actor<TLogic>;
  /** Wraps a listener of the actor's emitted events: an exception in it fails this actor, not the process. */
  guard<E>(listener: (event: E) => void): (event: E) => void;
}

/**
 * createActor() for every root actor: with an error observer, listed in the directory while it lives (not
 * started: attach listeners, then start).
 */
export function createSupervisedActor<TLogic extends AnyActorLogic>(
  logic: TLogic, options: ActorOptions<TLogic>, supervision: Supervision, directory: ActorDirectory = actorDirectory,
): Supervised<TLogic> {
  // a readable id for the inspector (session:<key>, conn:<id>, node:<id>, channel:<channel>:<account>)
  const id = options.id ?? `${ID_PREFIX[supervision.kind]}:${supervision.id}`;
  const actor = createActor(logic as AnyActorLogic, { ...options, id } as ActorOptions<AnyActorLogic>) as Actor<TLogic>;
  if (supervision.sessionId !== undefined) keepSessionId(actor, supervision.sessionId);
  directory.add({ kind: supervision.kind, id: supervision.id, actor, ...(supervision.describe ? { describe: supervision.describe } : {}) });
  let failed = false;
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    directory.remove(actor);
    try {
      supervision.onFailure(err);
    } catch (handlerErr) {
      supervision.log.error({ err: handlerErr, cause: err }, 'actor failure handler threw');
    }
    halt(actor);
  };
  // every observer needs an error callback: XState rethrows as soon as one of them has none
  actor.subscribe({
    error: fail,
    complete: () => {
      directory.remove(actor);
      if (!failed) supervision.onDone?.();
    },
  });
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
 * Gives a rebuilt actor the session id of the passivated actor it replaces, before it is listed or started: a
 * viewer sees one actor that was passivated and came back. Each root actor has its own system, and the
 * actor it replaces is stopped, so the id is free. (XState assigns it in the constructor; nothing reads it
 * before start but the actor scope.)
 */
function keepSessionId(actor: AnyActor, sessionId: string): void {
  const internals = actor as unknown as { sessionId: string; _actorScope?: { sessionId: string } };
  internals.sessionId = sessionId;
  if (internals._actorScope) internals._actorScope.sessionId = sessionId;
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
