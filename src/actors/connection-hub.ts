import { randomUUID } from 'node:crypto';
import type { Actor, AnyActorLogic } from 'xstate';
import type { Logger } from '../core/log.js';
import type { WsSocket } from '../core/ws-socket.js';
import type { RepeatedWarnings } from '../core/repeated-warnings.js';
import { connectionMachine, type Admitted, type ConnectionMachine, type PeerInfo, type Request } from '../machines/connection.js';
import { scopeSatisfied } from '../policy/authorize.js';
import { directEvent, resFrame, withSeq, type EncodedEvent } from '../../protocol/encode.js';
import { createSupervisedActor } from './supervise.js';
import { connectionVitals } from './connection-vitals.js';

// Every WS connection is a connection actor, held here as an independent root (not a child of a parent).
// The hub feeds socket frames to the actor, carries out what it emits (send, close, requests), and
// delivers broadcasts: encoded once, then per socket only `seq`, the scope filter and the buffer check.
// A connection whose actor (or the work it emits) throws is closed 1011; the other connections never notice.

export type { WsSocket };

/** One WS connection as the hub and the method handlers see it: its actor, peer, role, scopes and subscriptions. */
export interface Connection {
  id: string;
  socket: WsSocket;
  peer: PeerInfo;
  actor: Actor<ConnectionMachine>;
  open: boolean;
  authenticated: boolean;
  /** Per-connection frame sequence: every broadcast addressed to this socket takes the next value. */
  seq: number;
  role: string;
  scopes: string[];
  caps: ReadonlySet<string>;
  client: Record<string, unknown>;
  /** Precomputed: operator with operator.read (agent, chat, presence, sessions.* events). */
  reader: boolean;
  sessionsSubscribed: boolean;
  messageKeys: Set<string>;
  awaitingPong: boolean;
}

/** The hub's collaborators (admission actor, request dispatcher, lifecycle hooks) and its limits. */
export interface HubOptions {
  log: Logger;
  /** Warnings a peer can trigger at will (failed handshakes, slow consumers): aggregated, not one line each. */
  warnings: Pick<RepeatedWarnings, 'warn'>;
  admit: AnyActorLogic;
  dispatch: (conn: Connection, request: Request) => void;
  onAuthenticated?: (conn: Connection, admitted: Admitted) => void;
  onClosed?: (conn: Connection) => void;
  handshakeTimeoutMs: number;
  maxBufferedBytes: number;
  /** The methods with a handler. */
  methods: ReadonlySet<string>;
}

const PREAUTH_MAX_BYTES = 65_536;
const MAX_PENDING_FRAMES = 15;
/** Most sockets declare no caps: they share one empty set. */
const NO_CAPS: ReadonlySet<string> = new Set();

/** Every live WS connection, each a supervised connection actor: frames in, emitted work out, broadcasts fanned out. */
export class ConnectionHub {
  /** Running counts for /metrics: handshakes by result, frames not sent to a slow consumer. */
  readonly stats = { handshakesOk: 0, handshakesFailed: 0, droppedFrames: 0 };
  private readonly all = new Set<Connection>();
  private readonly authed = new Set<Connection>();
  private readonly preauthByIp = new Map<string, number>();
  private readonly machine: ConnectionMachine;

  constructor(private readonly opts: HubOptions) {
    this.machine = connectionMachine.provide({ actors: { admit: opts.admit as never } });
  }

  get size(): number {
    return this.all.size;
  }

  get authenticatedCount(): number {
    return this.authed.size;
  }

  connections(): Iterable<Connection> {
    return this.authed;
  }

  /** Unauthenticated sockets currently open from one address (upgrade budget). */
  preauthCount(ip: string): number {
    return this.preauthByIp.get(ip) ?? 0;
  }

  open(socket: WsSocket, peer: PeerInfo): Connection {
    const nonce = randomUUID();
    const conn: Connection = {
      id: randomUUID(), socket, peer, open: true, authenticated: false, seq: 0,
      role: '', scopes: [], caps: NO_CAPS, client: {}, reader: false,
      sessionsSubscribed: false, messageKeys: new Set(), awaitingPong: false,
      actor: undefined as unknown as Actor<ConnectionMachine>,
    };
    this.all.add(conn);
    this.preauthByIp.set(peer.remoteAddress, this.preauthCount(peer.remoteAddress) + 1);
    // the challenge goes out before anything else, without seq
    socket.send(directEvent('connect.challenge', { nonce, ts: Date.now(), capabilities: [] }));
    const { actor, guard } = createSupervisedActor(this.machine, {
      input: {
        connId: conn.id, nonce, peer, methods: this.opts.methods,
        handshakeTimeoutMs: this.opts.handshakeTimeoutMs,
        preauthMaxBytes: PREAUTH_MAX_BYTES, maxPendingFrames: MAX_PENDING_FRAMES,
      },
    }, { kind: 'connection', id: conn.id, log: this.opts.log, onFailure: (err) => this.failed(conn, err), describe: () => connectionVitals(conn) });
    conn.actor = actor;
    // one wildcard listener, not one per event type: each actor.on() allocates a Set (19 000 sockets)
    actor.on('*', guard((e) => {
      switch (e.type) {
        case 'send': return this.deliverDirect(conn, JSON.stringify(e.frame));
        case 'close':
          if (!conn.authenticated && e.code !== 1012) this.handshakeFailed(conn, e.code, e.reason);
          return this.end(conn, e.code, e.reason);
        case 'authenticated': return this.authenticate(conn, e.admitted);
        case 'request': return this.opts.dispatch(conn, e.request);
        case 'ignored': return this.opts.log.debug({ conn: conn.id, reason: e.reason }, 'frame ignored');
      }
    }));
    actor.start();
    return conn;
  }

  frame(conn: Connection, text: string, bytes: number): void {
    if (conn.open) conn.actor.send({ type: 'FRAME', text, bytes });
  }

  pong(conn: Connection): void {
    conn.awaitingPong = false;
  }

  /** The socket is gone (closed by either side). */
  socketClosed(conn: Connection): void {
    if (!this.all.delete(conn)) return;
    conn.open = false;
    if (conn.authenticated) this.authed.delete(conn);
    else this.releasePreauth(conn);
    conn.actor.send({ type: 'SOCKET_CLOSED' });
    conn.actor.stop();
    this.opts.onClosed?.(conn);
  }

  /** Ask the connection to close (server side): its actor emits the close. */
  close(conn: Connection, code: number, reason: string): void {
    if (conn.open) conn.actor.send({ type: 'CLOSE', code, reason });
  }

  respond(conn: Connection, id: string, ok: boolean, payload?: unknown, error?: unknown): void {
    this.deliverDirect(conn, resFrame(id, ok, payload, error));
  }

  /** A direct event without seq (node.invoke.request). */
  direct(conn: Connection, event: string, payload: unknown): void {
    this.deliverDirect(conn, directEvent(event, payload));
  }

  /** Deliver one event to every authenticated connection the filter accepts. Given a builder, the event
   *  is built and encoded only if some connection takes it (most runs have no WS listener at all). */
  broadcast(event: EncodedEvent | (() => EncodedEvent), accepts: (conn: Connection) => boolean): void {
    let encoded = typeof event === 'function' ? undefined : event;
    for (const conn of this.authed) {
      if (!accepts(conn)) continue;
      encoded ??= (event as () => EncodedEvent)();
      this.deliverEvent(conn, encoded);
    }
  }

  /** Deliver one encoded event to one connection (it takes that connection's next seq). */
  deliverEvent(conn: Connection, event: EncodedEvent): void {
    const seq = ++conn.seq;
    if (conn.socket.bufferedAmount() > this.opts.maxBufferedBytes) {
      this.stats.droppedFrames++;
      if (!event.lossy) this.slowConsumer(conn);
      return; // a dropped lossy event still consumed its seq: the client sees the gap
    }
    conn.socket.send(withSeq(event, seq));
  }

  /** Ping every socket; terminate those that did not answer the previous ping. */
  keepalive(): void {
    for (const conn of this.all) {
      if (conn.awaitingPong) {
        conn.socket.terminate();
        continue;
      }
      conn.awaitingPong = true;
      conn.socket.ping();
    }
  }

  /** Close every authenticated connection the predicate picks (credential invalidation). */
  closeWhere(pick: (conn: Connection) => boolean, code: number, reason: string): number {
    let n = 0;
    for (const conn of [...this.authed]) {
      if (pick(conn)) {
        this.close(conn, code, reason);
        n++;
      }
    }
    return n;
  }

  closeAll(code: number, reason: string): void {
    for (const conn of [...this.all]) this.close(conn, code, reason);
  }

  private authenticate(conn: Connection, admitted: Admitted): void {
    if (!conn.open) return;
    this.releasePreauth(conn);
    conn.authenticated = true;
    this.stats.handshakesOk++;
    conn.role = admitted.role;
    conn.scopes = admitted.scopes;
    conn.client = admitted.client;
    const caps = admitted.client.caps as string[] | undefined;
    conn.caps = caps && caps.length > 0 ? new Set(caps) : NO_CAPS;
    conn.reader = admitted.role === 'operator' && scopeSatisfied(admitted.scopes, 'operator.read');
    this.authed.add(conn);
    this.opts.onAuthenticated?.(conn, admitted);
  }

  /** The connection's actor, or what the hub did for it, threw: only this connection goes (1011). */
  private failed(conn: Connection, err: unknown): void {
    this.opts.log.error({ err, conn: conn.id }, 'connection failed: closing it with 1011');
    this.end(conn, 1011, 'internal error');
  }

  private deliverDirect(conn: Connection, text: string): void {
    if (!conn.open) return;
    if (conn.socket.bufferedAmount() > this.opts.maxBufferedBytes) {
      this.stats.droppedFrames++;
      this.slowConsumer(conn);
      return;
    }
    conn.socket.send(text);
  }

  private slowConsumer(conn: Connection): void {
    this.opts.warnings.warn('closing slow consumer', { conn: conn.id, buffered: conn.socket.bufferedAmount() });
    this.close(conn, 1008, 'slow consumer');
  }

  private handshakeFailed(conn: Connection, code: number, reason: string): void {
    this.stats.handshakesFailed++;
    this.opts.warnings.warn('ws handshake failed', { conn: conn.id, remote: conn.peer.remoteAddress, code, reason });
  }

  private end(conn: Connection, code: number, reason: string): void {
    if (!conn.open) return;
    conn.socket.end(code, reason);
  }

  private releasePreauth(conn: Connection): void {
    const ip = conn.peer.remoteAddress;
    const n = this.preauthCount(ip) - 1;
    if (n <= 0) this.preauthByIp.delete(ip);
    else this.preauthByIp.set(ip, n);
  }
}
