import { randomUUID } from 'node:crypto';
import type { Actor } from 'xstate';
import type { PeerInfo, ConnectionMachine } from '../machines/connection.js';
import type { WsSocket } from '../core/ws-socket.js';

// The small parts of a hub connection that 19 000 idle sockets each hold: shared empty sets until used, a
// compact client record, a flat id.

/** Most sockets declare no caps and subscribe to no session's messages: they share one empty set. */
export const NO_CAPS: ReadonlySet<string> = new Set();
/** Shared by every connection that has no `sessions.messages.subscribe` key. */
export const NO_KEYS: ReadonlySet<string> = new Set();

/** `sessions.messages.subscribe`: the connection gets `session.message` for this session key. */
export function addMessageKey(conn: { messageKeys: ReadonlySet<string> }, key: string): void {
  if (conn.messageKeys === NO_KEYS) conn.messageKeys = new Set([key]);
  else (conn.messageKeys as Set<string>).add(key);
}

/** `sessions.messages.unsubscribe`: no more `session.message` for this session key. */
export function deleteMessageKey(conn: { messageKeys: ReadonlySet<string> }, key: string): void {
  if (conn.messageKeys !== NO_KEYS) (conn.messageKeys as Set<string>).delete(key);
}

/** A connection id. randomUUID() builds its string from 20 concatenated pieces, a tree of cons strings
 *  (~490 B of heap held per socket for as long as it lives): the id is kept as a flat copy (~60 B). */
export function flatUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

/** What the hub keeps of the admitted client record: what its readers use (device id; client id and mode for
 *  the inspector), not the whole record (declared commands, permissions, caps, platform …) per socket. */
export function compactClient(client: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = { id: client.id, mode: client.mode };
  if (client.deviceId !== undefined) kept.deviceId = client.deviceId;
  return kept;
}

/** Before hello a connection has no client record: they all share this empty one. */
const NO_CLIENT: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Where a connection's actor comes from when it is read while not running (the hub). */
export interface ActorSource {
  actorOf(conn: HubConnection): Actor<ConnectionMachine>;
}

/** The hub's connection record, its `Connection` (fields on the instance, the accessor on the prototype). */
export class HubConnection {
  id = flatUuid();
  open = true;
  authenticated = false;
  seq = 0;
  role = '';
  scopes: string[] = [];
  unauthorizedStreak = 0;
  caps = NO_CAPS;
  client = NO_CLIENT;
  reader = false;
  sessionsSubscribed = false;
  messageKeys = NO_KEYS;
  awaitingPong = false;
  running: Actor<ConnectionMachine> | undefined = undefined;
  sessionId = '';

  constructor(readonly socket: WsSocket, readonly peer: PeerInfo, private readonly source: ActorSource) {}

  get actor(): Actor<ConnectionMachine> | undefined {
    return this.running ?? (this.open ? this.source.actorOf(this) : undefined);
  }
}
