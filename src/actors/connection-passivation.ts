import { createActor, type AnyActor, type Snapshot as AnySnapshot, type SnapshotFrom, type StateValue } from 'xstate';
import { initialContext, type ConnectionContext, type ConnectionInput, type ConnectionMachine } from '../machines/connection.js';

// Passivation of connection actors (as Orleans grains or Akka passivation do): after hello, a connection
// whose actor is idle — authenticated, no invoke pending, no frame held — has its actor stopped, and keeps
// only what the authenticated state's context holds beyond the hub's own knowledge of it (role and scopes
// are already on the connection; the flood guard's streak is the only extra). The next inbound frame or
// server close rebuilds the actor from that record with createActor(machine, { snapshot }). Requests in
// flight never need the actor: their answers go out through the hub, not through the machine.

/** What a passivated connection keeps of its actor: the authenticated state's context, compactly. */
export interface PassivationRecord {
  role: string;
  scopes: string[];
  /** Consecutive role-unauthorized answers (the machine's flood guard). */
  unauthorizedStreak: number;
}

type Snapshot = SnapshotFrom<ConnectionMachine>;

/** Nothing held before hello survives it: every rebuilt context shares these. */
const NO_PENDING: ConnectionContext['pending'] = Object.freeze([]);
const NO_PARAMS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * The flood-guard streak of an actor that may be passivated now, or undefined when it may not: only an
 * active actor in `authenticated`, with no child (no invoke pending) and no frame held.
 */
export function idleStreak(snapshot: Snapshot): number | undefined {
  if (snapshot.status !== 'active' || snapshot.value !== 'authenticated') return undefined;
  const { context } = snapshot;
  if (context.pending.length !== 0 || context.admitted === null) return undefined;
  for (const _ in snapshot.children) return undefined;
  return context.unauthorizedStreak;
}

/** The context an actor is rebuilt with: `authenticated`'s, with the record's role, scopes and streak. */
function rebuiltContext(input: ConnectionInput, record: PassivationRecord): ConnectionContext {
  return {
    input, connId: input.connId, peer: input.peer, pending: NO_PENDING, connectId: 'invalid', params: NO_PARAMS,
    admitted: { role: record.role, scopes: record.scopes }, unauthorizedStreak: record.unauthorizedStreak,
  };
}

/** The snapshot a passivated actor is rebuilt from (resolved: what the inspector shows in its place). */
export function rehydrationSnapshot(machine: ConnectionMachine, input: ConnectionInput, record: PassivationRecord): Snapshot {
  return machine.resolveState({ value: 'authenticated', context: rebuiltContext(input, record) });
}

/**
 * A persisted snapshot (the form createActor restores from) in state `value` with `context`, no child, no
 * history. Passing it is cheaper than resolving a snapshot first: createActor resolves it once, itself.
 */
function persisted(value: StateValue, context: ConnectionContext): AnySnapshot<unknown> {
  return { status: 'active', value, context, children: {}, historyValue: {}, output: undefined, error: undefined } as AnySnapshot<unknown>;
}

/** What createActor rebuilds a passivated connection's actor from (see rehydrationSnapshot). */
export function rehydration(input: ConnectionInput, record: PassivationRecord): AnySnapshot<unknown> {
  return persisted('authenticated', rebuiltContext(input, record));
}

/** The machine's initial state value, when its initial states run nothing on entry; per machine, once. */
const initialValues = new WeakMap<ConnectionMachine, StateValue | null>();

/**
 * What createActor starts a connection's actor from at its first frame: the machine's initial state with the
 * connection's own context, restored rather than computed per socket (about a fifth of an actor's first step).
 * Undefined when that would not be the same: if an initial state had an entry action, an `always` transition or
 * an invoke, restoring would skip it, so such a machine starts from its input as usual.
 */
export function activationSnapshot(machine: ConnectionMachine, input: ConnectionInput): AnySnapshot<unknown> | undefined {
  let value = initialValues.get(machine);
  if (value === undefined) {
    const initial = createActor(machine, { input }).getSnapshot();
    const inert = initial._nodes.every((node) => node.entry.length === 0 && node.always === undefined && node.invoke.length === 0);
    value = inert ? initial.value : null;
    initialValues.set(machine, value);
  }
  return value === null ? undefined : persisted(value, initialContext(input));
}

/**
 * What the inspector reads of a passivated connection in place of its actor: its session id, name, machine
 * and the snapshot it would be rebuilt from (built when read). It has no system to observe: nothing happens
 * to a passivated connection until it is rebuilt.
 */
export function passivatedRef(
  machine: ConnectionMachine, id: string, sessionId: string, snapshot: () => Snapshot,
): AnyActor {
  const ref = { id, sessionId, logic: machine, getSnapshot: snapshot };
  return ref as unknown as AnyActor;
}
