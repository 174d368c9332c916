import type { WsSocket } from '../core/ws-socket.js';
import type { ForwardingHeaders } from './peer.js';

export type { WsSocket };

// What a WebSocket surface implements to be served on a path: decide the upgrade (before any socket
// exists), then handle the socket's open, messages, pongs and close. The transport owns the socket library,
// the Host / Origin guard and the frame-size ceiling; the endpoint owns everything the protocol means.


/** An upgrade request while the endpoint decides (synchronously: the headers are gone afterwards). */
export interface UpgradeRequest {
  /** The request path, without the query. */
  path: string;
  /** The path after the endpoint's prefix ('' for an exact endpoint or the prefix itself). */
  rest: string;
  /** The raw query string, without `?` ('' when absent). */
  query: string;
  /** Lower-case header name → value ('' when absent). */
  header(name: string): string;
  /** The socket's peer address. */
  remoteAddress: string;
  forwarded: ForwardingHeaders;
}

/** An upgrade refused before the 101: answered with this status and `{"error":{"type","message"}}`. */
export interface UpgradeRefusal {
  status: number;
  type: string;
  message: string;
}

/** The endpoint's answer to an upgrade: accept with the data its `open` gets, or refuse. */
export type UpgradeDecision<A> = { accept: A } | { refuse: UpgradeRefusal };

/**
 * A WebSocket endpoint on one path (or a path prefix). `A` is what an accepted upgrade carries to `open`;
 * `C` is the endpoint's per-connection state, handed back to `message`, `pong` and `close`.
 */
export interface WsEndpoint<A = unknown, C = unknown> {
  /** Largest message accepted; a bigger one closes the socket with 1009 `message too big`. */
  maxPayload: number;
  /** Accept `Origin: null` (sandboxed pages send it); the Host rule still applies. */
  allowNullOrigin?: boolean;
  /** Decides an upgrade. It must hold nothing for an accepted one: the Host / Origin guard runs after it
   *  and may still refuse; resources belong in `open`. */
  upgrade(req: UpgradeRequest): UpgradeDecision<A>;
  open(socket: WsSocket, accepted: A): C;
  /** A text or binary message, as UTF-8 text, with its size in bytes. */
  message(conn: C, text: string, bytes: number): void;
  pong?(conn: C): void;
  /** The socket is gone (closed by either side); called in a microtask, outside the socket library's callback. */
  close(conn: C): void;
}
