import type { PeerInfo } from '../machines/connection.js';

// What the inspector shows of a connection beyond its actor's snapshot (web-surfaces.md I5): the hub's own
// knowledge of it (who the client is once admitted, its device, socket buffer, last seq, subscriptions). The
// snapshot alone cannot say: the machine forgets the connect params at admission (they hold the secret).

/** What the view reads of a hub connection (its `Connection`, without importing the hub). */
export interface ConnectionFacts {
  client: Record<string, unknown>;
  role: string;
  scopes: string[];
  peer: PeerInfo;
  open: boolean;
  socket: { bufferedAmount(): number };
  seq: number;
  sessionsSubscribed: boolean;
  messageKeys: ReadonlySet<string>;
  /** The running actor; undefined while the connection is passivated. */
  running?: object;
}

/** The connection's `@clawgate.vitals` view; strings and numbers only, nothing secret. */
export function connectionVitals(conn: ConnectionFacts): Record<string, unknown> {
  const client = conn.client;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    clientId: text(client.id), clientMode: text(client.mode), role: conn.role, scopes: conn.scopes,
    deviceId: text(client.deviceId), local: conn.peer.local, origin: conn.peer.origin ?? '',
    bufferedBytes: conn.open ? conn.socket.bufferedAmount() : 0, lastSeq: conn.seq,
    subscriptions: (conn.sessionsSubscribed ? 1 : 0) + conn.messageKeys.size, passivated: conn.running === undefined,
  };
}
