import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import type { RepeatedWarnings } from '../core/repeated-warnings.js';
import type { RequestGuard } from './guard.js';
import { readPeer } from './peer.js';
import type { Router } from './router.js';
import { statusLine } from './status-text.js';
import type { NumberedFrame } from '../core/ws-socket.js';
import type { UpgradeRequest, WsEndpoint, WsSocket } from './ws-endpoint.js';
import { uws } from './uws.js';

// WebSocket upgrades on the shared port, routed to the endpoint registered for the path (router.ts). Before
// any socket exists the transport refuses what no endpoint claims (404), the endpoint decides (its own
// limits), and the Host / Origin rules refuse what they do not allow (403); after the 101 it feeds the
// endpoint the socket's messages, pongs and close, and closes with 1009 a message over its maxPayload.

/** What the WebSocket side of the transport needs from its owner. */
export interface WsTransportOptions {
  /** Host / Origin rules, shared with the HTTP routes: a refusal is answered 403. */
  guard?: RequestGuard;
  /** Refused upgrades are warnings a peer can trigger at will: aggregated per reason, not one line each. */
  warnings: Pick<RepeatedWarnings, 'warn'>;
  /** True while a write is queued that will send more frames once it commits (the run ledger's group commit):
   *  the end-of-turn flush then waits one more turn, at most, so those frames share its write. */
  writesPending?: () => boolean;
}

/** uWS drops the TCP connection (no close frame) above maxPayloadLength, so it gets headroom and each
 *  endpoint's limit is enforced below with a proper 1009; only frames beyond the headroom are dropped bare. */
const PAYLOAD_HEADROOM = 8 * 1024 * 1024;

type Endpoint = WsEndpoint<unknown, unknown>;

interface UserData {
  endpoint: Endpoint;
  accepted: unknown;
  conn?: unknown;
  opened: boolean;
  /** The endpoint's view of the socket, from open on (it holds whether the socket closed). */
  socket: UwsSocket | undefined;
}

/** Sockets holding frames for the end of this turn of the event loop, and whether that flush is scheduled. A
 *  socket is listed with its first frame of the turn (an array, not a Set: no hashing of 19 000 sockets per turn;
 *  one listed twice, after an early flush, has nothing left the second time). */
let outbox: UwsSocket[] = [];
let flushScheduled = false;
/** The owners' writesPending hooks (one per server in this process), and whether this flush waited already. */
const pendingWriters = new Set<() => boolean>();
let flushHeld = false;

function flushOutbox(): void {
  // A run's reply commits a turn after its start (group commit) and the frames of both would otherwise leave
  // in two writes per socket; waiting one turn (never more) while a commit is queued sends them in one.
  if (!flushHeld && pendingWriters.size > 0) {
    for (const pending of pendingWriters) {
      if (!pending()) continue;
      flushHeld = true;
      setImmediate(flushOutbox);
      return;
    }
  }
  flushHeld = false;
  flushScheduled = false;
  const sockets = outbox;
  outbox = [];
  for (const socket of sockets) {
    try {
      socket.flush();
    } catch {
      // uWS throws only for a socket that closed meanwhile; its frames have nowhere to go, the others still do
    }
  }
}

/** What a socket waits to write: text frames, and numbered frames each followed by its number. */
type Pending = Array<string | NumberedFrame | number>;

/** The socket and frames being written inside the current cork (one shared callback, no closure per socket). */
let corkWs: WebSocket<UserData>;
let corkFrames: Pending;
function writeCorked(): void {
  const ws = corkWs;
  const frames = corkFrames;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i];
    // a numbered frame's bytes are rendered into a shared buffer and copied by uWS before the next one
    if (typeof frame === 'string') ws.send(frame, false);
    else ws.send((frame as NumberedFrame).bytes(frames[++i] as number), false);
  }
}

/** The endpoint's view of a uWS socket: methods on the prototype, not five closures per socket. Calls after
 *  the socket closed are ignored (uWS throws on a closed WebSocket).
 *
 *  Frames are not written one by one: what a socket is sent during one turn of the event loop (a run's
 *  lifecycle, delta and final events; a response and the events behind it) waits in order and goes out in
 *  one corked write at the end of the turn, as uWS's own publish does. A write per frame cost a syscall per
 *  frame per socket: ~12 µs per delivered frame against ~1.7 µs for uWS publishing the same frames. */
class UwsSocket implements WsSocket {
  private pending: Pending | undefined;
  private pendingBytes = 0;
  /** uWS held nothing for the socket at this turn's first check (valid while frames are pending). */
  private keepingUp = false;
  /** uWS reported the socket closed (kept here, not in the user data: a broadcast touches one object less per socket). */
  closed = false;
  constructor(private readonly ws: WebSocket<UserData>) {}
  send(text: string): void {
    if (this.closed) return;
    this.waiting().push(text);
    this.pendingBytes += text.length;
  }
  sendNumbered(frame: NumberedFrame, n: number): void {
    if (this.closed) return;
    this.waiting().push(frame, n);
    this.pendingBytes += frame.length;
  }
  /** The frames waiting for the end of this turn (the flush is scheduled with the first). */
  private waiting(): Pending {
    if (this.pending !== undefined) return this.pending;
    outbox.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushOutbox);
    }
    return (this.pending = []);
  }
  /** Bytes uWS holds for the socket; once it holds any (the peer is not keeping up), plus the frames waiting
   *  for the end of the turn. A socket that keeps up is never charged for what one turn sends it. */
  bufferedAmount(): number {
    if (this.closed) return 0;
    // nothing is written to uWS before the flush, so a socket that held nothing at this turn's first check
    // still holds nothing: no call into uWS per event of a burst
    if (this.pending !== undefined && this.keepingUp) return 0;
    const held = this.ws.getBufferedAmount();
    this.keepingUp = held === 0;
    return held === 0 ? 0 : held + this.pendingBytes;
  }
  end(code: number, reason: string): void {
    if (this.closed) return;
    this.flush(); // what was sent before the close goes out before it
    this.ws.end(code, reason);
  }
  terminate(): void {
    this.pending = undefined;
    if (!this.closed) this.ws.close();
  }
  ping(): void {
    if (!this.closed) this.ws.ping();
  }
  /** Writes the waiting frames, in order, in one cork. */
  flush(): void {
    const frames = this.pending;
    if (frames === undefined) return;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.keepingUp = false;
    if (this.closed) return;
    corkWs = this.ws;
    corkFrames = frames;
    this.ws.cork(writeCorked);
  }
}

function refuse(res: HttpResponse, status: number, type: string, message: string): void {
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('Content-Type', 'application/json')
      .end(JSON.stringify({ error: { type, message } }), true);
  });
}

/** Serves the router's WebSocket endpoints on `app` (every path; unclaimed ones are refused 404); returns the
 *  function that forgets its writesPending hook (when the server closes). */
export function attachWebSocket(app: TemplatedApp, router: Router, opts: WsTransportOptions): () => void {
  const { warnings, writesPending } = opts;
  if (writesPending) pendingWriters.add(writesPending);
  const largest = Math.max(0, ...router.endpoints().map((e) => e.maxPayload));
  app.ws<UserData>('/*', {
    compression: uws.DISABLED,
    maxPayloadLength: largest + PAYLOAD_HEADROOM,
    idleTimeout: 0, // keepalive belongs to the endpoint (the control plane pings every 25 s)
    maxBackpressure: 1024 * 1024 * 1024, // never dropped by uWS; endpoints apply their own buffer limits
    sendPingsAutomatically: false,

    upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
      const path = req.getUrl();
      const key = req.getHeader('sec-websocket-key');
      const origin = req.getHeader('origin');
      const host = req.getHeader('host');
      const { remoteAddress, forwarded } = readPeer(res, req);
      const match = router.matchUpgrade(path);
      if (!match) return refuse(res, 404, 'not_found', `no WebSocket endpoint at ${path}`);
      const upgrade: UpgradeRequest = { path, rest: match.rest, query: req.getQuery() ?? '', header: (name) => req.getHeader(name), remoteAddress, forwarded };
      const decision = match.target.upgrade(upgrade);
      if ('refuse' in decision) return refuse(res, decision.refuse.status, decision.refuse.type, decision.refuse.message);
      // after the endpoint's own refusals (its limits answer first, as they always have), before any socket
      // `Origin: null` only where the endpoint says so (canvas live reload, web-surfaces.md S7)
      const checkedOrigin = origin === 'null' && match.target.allowNullOrigin ? '' : origin;
      const refusal = opts.guard?.({ origin: checkedOrigin, host, secFetchSite: req.getHeader('sec-fetch-site') });
      if (refusal) {
        // S7: an Origin refusal names its fix (a LAN name, a proxy's origin must be listed)
        if (refusal.reason === 'origin') warnings.warn('upgrade refused: origin not allowed', { origin, fix: `--allowed-origins ${origin}`, host, remote: remoteAddress });
        else warnings.warn('upgrade refused: host or origin not allowed', { origin, host, remote: remoteAddress, reason: refusal.reason });
        return refuse(res, 403, 'forbidden', refusal.message);
      }
      // no subprotocol, and no permessage-deflate (offered extensions are declined)
      res.upgrade<UserData>({ endpoint: match.target, accepted: decision.accept, opened: false, socket: undefined }, key, '', '', context);
    },

    open: (ws: WebSocket<UserData>) => {
      const data = ws.getUserData();
      data.socket = new UwsSocket(ws);
      data.conn = data.endpoint.open(data.socket, data.accepted);
      data.opened = true;
    },

    message: (ws: WebSocket<UserData>, message: ArrayBuffer) => {
      const data = ws.getUserData();
      if (message.byteLength > data.endpoint.maxPayload) {
        ws.end(1009, 'message too big');
        return;
      }
      if (data.opened) data.endpoint.message(data.conn, Buffer.from(message).toString('utf8'), message.byteLength);
    },

    pong: (ws: WebSocket<UserData>) => {
      const data = ws.getUserData();
      if (data.opened) data.endpoint.pong?.(data.conn);
    },

    close: (ws: WebSocket<UserData>) => {
      const data = ws.getUserData();
      if (data.socket) data.socket.closed = true;
      // outside uWS's callback: the endpoint may be mid-step when its own close triggered this
      if (data.opened) queueMicrotask(() => data.endpoint.close(data.conn));
    },
  });
  return () => {
    if (writesPending) pendingWriters.delete(writesPending);
  };
}
