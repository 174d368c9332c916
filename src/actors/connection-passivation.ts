import type { AnyActor, SnapshotFrom } from 'xstate';
import type { ConnectionContext, ConnectionInput, ConnectionMachine } from '../machines/connection.js';

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

/** The persisted snapshot an actor is rebuilt from: `authenticated`, with the record's role, scopes and streak. */
export function rehydrationSnapshot(machine: ConnectionMachine, input: ConnectionInput, record: PassivationRecord): Snapshot {
  const context: ConnectionContext = {
    input, connId: input.connId, peer: input.peer, pending: NO_PENDING, connectId: 'invalid', params: NO_PARAMS,
    admitted: { role: record.role, scopes: record.scopes }, unauthorizedStreak: record.unauthorizedStreak,
  };
  return machine.resolveState({ value: 'authenticated', context });
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
