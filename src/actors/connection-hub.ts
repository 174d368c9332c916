import { randomUUID } from 'node:crypto';
import type { Actor } from 'xstate';
import type { Logger } from '../core/log.js';
import type { WsSocket } from '../core/ws-socket.js';
import type { RepeatedWarnings } from '../core/repeated-warnings.js';
import {
  connectionMachine, type AdmitInput, type AdmitResult, type Admitted, type ConnectionEvent, type ConnectionInput, type ConnectionMachine, type PeerInfo, type Request,
} from '../machines/connection.js';
import { scopeSatisfied } from '../policy/authorize.js';
import { directEvent, encodeFrame, resFrame, type EncodedEvent } from '../../protocol/encode.js';
import { actorDirectory, createSupervisedActor, type ActorDirectory, type LiveActor } from './supervise.js';
import { connectionVitals } from './connection-vitals.js';
import { admitAction } from './connection-admit.js';
import { compactClient, HubConnection, NO_CAPS } from './connection-fields.js';

export { addMessageKey, deleteMessageKey } from './connection-fields.js';
import { activationSnapshot, idleStreak, passivatedRef, rehydration, rehydrationSnapshot, type PassivationRecord } from './connection-passivation.js';

// Every WS connection is a connection actor, held here as an independent root (not a child of a parent).
// The hub feeds socket frames to the actor, carries out what it emits (send, close, requests), and
// delivers broadcasts: encoded once, then per socket only `seq`, the scope filter and the buffer check.
// A connection whose actor (or the work it emits) throws is closed 1011; the other connections never notice.
// After hello an idle connection is passivated (connection-passivation.ts): its actor is stopped and rebuilt
// from the connection's role, scopes and streak for the next frame or server close. Before hello the actor is
// activated by the first frame (as a virtual actor is by its first message), not at open: a socket waiting to
// send `connect` holds its nonce and a timer, not an actor. The timer is the handshake deadline, from open to
// hello whether the actor runs yet or not: at the deadline the actor gets HANDSHAKE_TIMEOUT (a socket that
// sent nothing gets its actor for it), and closes.

export type { WsSocket };

/** One WS connection as the hub and the method handlers see it: its actor, peer, role, scopes and subscriptions. */
export interface Connection extends PassivationRecord {
  id: string;
  socket: WsSocket;
  peer: PeerInfo;
  /** The connection's actor. Reading it activates (or rebuilds) the actor of an open socket: before the first
   *  frame and while passivated it exists only virtually (see `running`). */
  readonly actor: Actor<ConnectionMachine> | undefined;
  /** The actor while it runs; undefined before the first frame and while passivated. */
  running: Actor<ConnectionMachine> | undefined;
  /** The actor's inspector identity, kept across passivation. */
  sessionId: string;
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
  /** Session keys of `sessions.messages.subscribe`: a shared empty set until the first (addMessageKey). */
  messageKeys: ReadonlySet<string>;
  awaitingPong: boolean;
}

/** The hub's collaborators (admission actor, request dispatcher, lifecycle hooks) and its limits. */
export interface HubOptions {
  log: Logger;
  /** Warnings a peer can trigger at will (failed handshakes, slow consumers): aggregated, not one line each. */
  warnings: Pick<RepeatedWarnings, 'warn'>;
  /** Decides a `connect`: on the spot (the usual case), or a promise (a failure held by the rate limiter). */
  admit: (input: AdmitInput) => AdmitResult | Promise<AdmitResult>;
  dispatch: (conn: Connection, request: Request) => void;
  onAuthenticated?: (conn: Connection, admitted: Admitted) => void;
  onClosed?: (conn: Connection) => void;
  handshakeTimeoutMs: number;
  maxBufferedBytes: number;
  /** The methods with a handler. */
  methods: ReadonlySet<string>;
  /** Stop idle actors after hello (default true); tests compare with connections that never are. */
  passivate?: boolean;
  /** Where the actors are listed (default: the process's directory). */
  directory?: ActorDirectory;
}

/** `connect.challenge` (a direct event, no seq): the nonce is a UUID and ts an integer, nothing to escape. */
const challengeFrame = (nonce: string, ts: number) =>
  `{"type":"event","event":"connect.challenge","payload":{"nonce":"${nonce}","ts":${ts},"capabilities":[]}}`;

const PREAUTH_MAX_BYTES = 65_536;
const MAX_PENDING_FRAMES = 15;
/** A socket before hello: its handshake deadline, and its challenge's nonce until its actor is activated. */
interface Handshake {
  nonce: string | undefined;
  deadline: NodeJS.Timeout;
}

/** Every live WS connection, each a supervised connection actor: frames in, emitted work out, broadcasts fanned out. */
export class ConnectionHub {
  /** Running counts for /metrics: handshakes by result, frames not sent to a slow consumer. */
  readonly stats = { handshakesOk: 0, handshakesFailed: 0, droppedFrames: 0 };
  private readonly all = new Set<Connection>();
  private readonly authed = new Set<Connection>();
  private readonly preauthByIp = new Map<string, number>();
  private readonly machine: ConnectionMachine;
  private readonly directory: ActorDirectory;
  /** The input fields every connection shares (each actor's input is a copy with its own id, nonce, peer). */
  private readonly shared: Pick<ConnectionInput, 'preauthMaxBytes' | 'maxPendingFrames' | 'methods'>;
  private passivatedCount = 0;
  /** Depth of deliver() calls on the stack (see deliver). */
  private delivering = 0;
  /** Open sockets before hello (see Handshake). */
  private readonly handshakes = new Map<Connection, Handshake>();

  constructor(private readonly opts: HubOptions) {
    this.machine = connectionMachine.provide({ actions: { admit: admitAction((input) => this.opts.admit(input)) } });
    this.directory = opts.directory ?? actorDirectory;
    this.shared = {
      preauthMaxBytes: PREAUTH_MAX_BYTES, maxPendingFrames: MAX_PENDING_FRAMES, methods: opts.methods,
    };
    this.directory.listPassivated(() => this.passivatedEntries());
  }

  /** Connections whose actor is passivated now. */
  get passivated(): number {
    return this.passivatedCount;
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
    const conn: Connection = new HubConnection(socket, peer, this);
    this.all.add(conn);
    this.preauthByIp.set(peer.remoteAddress, this.preauthCount(peer.remoteAddress) + 1);
    // the challenge goes out before anything else, without seq
    socket.send(challengeFrame(nonce, Date.now()));
    const deadline = setTimeout(() => this.handshakeExpired(conn), this.opts.handshakeTimeoutMs);
    this.handshakes.set(conn, { nonce, deadline });
    return conn;
  }

  /** The handshake deadline passed before hello: the actor (activated for it if the socket sent nothing) closes. */
  private handshakeExpired(conn: Connection): void {
    if (!this.handshakes.has(conn)) return;
    this.deliver(conn, { type: 'HANDSHAKE_TIMEOUT' });
  }

  /** The socket's handshake is over (hello, or the socket closed): its deadline goes. */
  private handshakeOver(conn: Connection): void {
    const handshake = this.handshakes.get(conn);
    if (!handshake) return;
    clearTimeout(handshake.deadline);
    this.handshakes.delete(conn);
  }

  /** A supervised actor for the connection: new (with the challenge's nonce), or rebuilt from its record. */
  private spawn(conn: Connection, nonce: string | undefined): Actor<ConnectionMachine> {
    const input: ConnectionInput = { ...this.shared, connId: conn.id, nonce: nonce ?? '', peer: conn.peer };
    const options = { input, snapshot: nonce === undefined ? rehydration(input, conn) : activationSnapshot(this.machine, input) };
    const { actor, guard } = createSupervisedActor(this.machine, options, {
      kind: 'connection', id: conn.id, log: this.opts.log, onFailure: (err) => this.failed(conn, err), describe: () => connectionVitals(conn),
      ...(conn.sessionId === '' ? {} : { sessionId: conn.sessionId }),
    }, this.directory);
    conn.running = actor;
    conn.sessionId = actor.sessionId;
    // one wildcard listener, not one per event type: each actor.on() allocates a Set (19 000 sockets)
    actor.on('*', guard((e) => {
      switch (e.type) {
        case 'send': return this.deliverDirect(conn, encodeFrame(e.frame));
        case 'close':
          if (!conn.authenticated && e.code !== 1012) this.handshakeFailed(conn, e.code, e.reason);
          return this.end(conn, e.code, e.reason);
        case 'authenticated':
          this.authenticate(conn, e.admitted);
          // the actor is mid-step (frames held behind connect are replayed next): passivate once it is done,
          // which deliver() does when the hello came from a frame's step (admission decided on the spot)
          if (this.opts.passivate !== false && this.delivering === 0) queueMicrotask(() => this.passivateIfIdle(conn));
          return;
        case 'request': return this.opts.dispatch(conn, e.request);
        case 'ignored': return this.opts.log.debug({ conn: conn.id, reason: e.reason }, 'frame ignored');
      }
    }));
    return actor;
  }

  /** The connection's actor: activated first if the socket had no frame yet, rebuilt if it is passivated. */
  actorOf(conn: Connection): Actor<ConnectionMachine> {
    return this.live(conn);
  }

  private live(conn: Connection): Actor<ConnectionMachine> {
    if (conn.running) return conn.running;
    const handshake = this.handshakes.get(conn);
    if (handshake?.nonce !== undefined) {
      // activated by its first frame (or its deadline)
      const { nonce } = handshake;
      handshake.nonce = undefined;
      return this.spawn(conn, nonce).start();
    }
    this.passivatedCount--;
    return this.spawn(conn, undefined).start();
  }

  /** Hands an event to the connection's actor, then passivates it if that left it idle. Not from inside
   *  another delivery: a handler that closes a socket while its actor is mid-step only queues the CLOSE. */
  private deliver(conn: Connection, event: ConnectionEvent): void {
    this.delivering++;
    try {
      this.live(conn).send(event);
    } finally {
      this.delivering--;
    }
    if (this.delivering === 0 && this.opts.passivate !== false) this.passivateIfIdle(conn);
  }

  /** Stops the actor of an open, authenticated connection that is idle (see connection-passivation.ts); the
   *  hub calls it after every step of the actor unless `passivate: false`. Whether it did. */
  passivateIfIdle(conn: Connection): boolean {
    const actor = conn.running;
    if (!actor || !conn.open) return false;
    const streak = idleStreak(actor.getSnapshot());
    if (streak === undefined) return false;
    conn.unauthorizedStreak = streak;
    conn.running = undefined;
    this.passivatedCount++;
    this.directory.remove(actor, true);
    actor.stop();
    return true;
  }

  /** The inspector's stand-ins for the passivated connections (built only when a viewer lists them). */
  private *passivatedEntries(): Iterable<LiveActor> {
    if (this.passivatedCount === 0) return;
    for (const conn of this.authed) if (!conn.running) yield this.standIn(conn);
  }

  private standIn(conn: Connection): LiveActor {
    const snapshot = () => rehydrationSnapshot(this.machine, { ...this.shared, connId: conn.id, nonce: '', peer: conn.peer }, conn);
    const actor = passivatedRef(this.machine, `conn:${conn.id}`, conn.sessionId, snapshot);
    return { kind: 'connection', id: conn.id, actor, describe: () => connectionVitals(conn), passivated: true };
  }

  frame(conn: Connection, text: string, bytes: number): void {
    if (conn.open) this.deliver(conn, { type: 'FRAME', text, bytes });
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
    // a passivated actor would only go to `closed` (SOCKET_CLOSED has no action): it is rebuilt for that
    // only while an inspector watches, which shows the event
    const dormant = !conn.running && this.handshakes.get(conn)?.nonce !== undefined;
    const actor = conn.running ?? (this.directory.watching > 0 ? this.live(conn) : undefined);
    this.handshakeOver(conn);
    if (actor) {
      actor.send({ type: 'SOCKET_CLOSED' });
      actor.stop();
    } else if (!dormant) {
      this.passivatedCount--;
    }
    this.opts.onClosed?.(conn);
  }

  /** Ask the connection to close (server side): its actor emits the close. */
  close(conn: Connection, code: number, reason: string): void {
    if (conn.open) this.deliver(conn, { type: 'CLOSE', code, reason });
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
    conn.socket.sendNumbered(event, seq);
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
    this.handshakeOver(conn);
    conn.authenticated = true;
    this.stats.handshakesOk++;
    conn.role = admitted.role;
    conn.scopes = admitted.scopes;
    conn.client = compactClient(admitted.client);
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
    this.handshakeOver(conn); // closing: no deadline left to keep
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
