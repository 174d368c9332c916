import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import type { Logger } from '../core/log.js';
import type { RepeatedWarnings } from '../core/repeated-warnings.js';
import type { Connection, ConnectionHub, WsSocket } from '../actors/connection-hub.js';
import type { PeerInfo } from '../machines/connection.js';
import type { GuardInput, GuardRefusal } from './request-guard.js';
import { uws } from './uws.js';

// The WS control plane on the shared port. Upgrades are refused here, before any actor exists, when the
// gateway is at its connection limit, when one address holds too many unauthenticated sockets, or when
// the Host or Origin is not allowed. Everything after the upgrade belongs to the connection actor.

export interface WsTransportOptions {
  /** The hub, once the WS plane has loaded (undefined while the gateway is starting). */
  hub: () => ConnectionHub | undefined;
  log: Logger;
  /** Refused upgrades are warnings a peer can trigger at will: aggregated per reason, not one line each. */
  warnings: Pick<RepeatedWarnings, 'warn'>;
  maxConnections: number;
  /** Largest frame after hello (policy.maxPayload). */
  maxPayload: number;
  maxPreauthPerIp: number;
  /** Host / Origin rules (request-guard.ts), shared with the HTTP plane: a refusal is answered 403. */
  guard: (input: GuardInput) => GuardRefusal | undefined;
  /** Locality of a peer, from its address and the forwarding headers it sent. */
  classify: (remoteAddress: string, forwarded: ForwardingHeaders) => { local: boolean; clientAddress: string };
}

export interface ForwardingHeaders {
  forwarded: string;
  xForwardedFor: string;
  xRealIp: string;
  anyForwarded: boolean;
}

const PAYLOAD_HEADROOM = 8 * 1024 * 1024;

/** The hub's view of a uWS socket: methods on the prototype, not five closures per socket. Calls after the
 *  socket closed are ignored (uWS throws on a closed WebSocket). */
class UwsSocket implements WsSocket {
  constructor(private readonly ws: WebSocket<UserData>, private readonly data: UserData) {}
  send(text: string): void {
    if (!this.data.closed) this.ws.send(text, false);
  }
  bufferedAmount(): number {
    return this.data.closed ? 0 : this.ws.getBufferedAmount();
  }
  end(code: number, reason: string): void {
    if (!this.data.closed) this.ws.end(code, reason);
  }
  terminate(): void {
    if (!this.data.closed) this.ws.close();
  }
  ping(): void {
    if (!this.data.closed) this.ws.ping();
  }
}

interface UserData {
  peer: PeerInfo;
  conn?: Connection;
  closed: boolean;
}

function refuse(res: HttpResponse, status: string, type: string, message: string): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('Content-Type', 'application/json')
      .end(JSON.stringify({ error: { type, message } }), true);
  });
}

export function attachWebSocket(app: TemplatedApp, opts: WsTransportOptions): void {
  const { warnings } = opts;
  const hub = () => opts.hub()!; // set before any upgrade is accepted
  app.ws<UserData>('/*', {
    compression: uws.DISABLED,
    // uWS drops the TCP connection (no close frame) above maxPayloadLength, so it gets headroom and the
    // policy limit is enforced below with a proper 1009; only frames beyond the headroom are dropped bare
    maxPayloadLength: opts.maxPayload + PAYLOAD_HEADROOM,
    idleTimeout: 0, // keepalive is ours: ping every 25 s, terminate without pong (ConnectionHub.keepalive)
    maxBackpressure: 1024 * 1024 * 1024, // never dropped by uWS; the hub applies maxBufferedBytes itself
    sendPingsAutomatically: false,

    upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
      const url = req.getUrl();
      const key = req.getHeader('sec-websocket-key');
      const extensions = req.getHeader('sec-websocket-extensions');
      const origin = req.getHeader('origin');
      const host = req.getHeader('host');
      const secFetchSite = req.getHeader('sec-fetch-site');
      const fwd: ForwardingHeaders = {
        forwarded: req.getHeader('forwarded'),
        xForwardedFor: req.getHeader('x-forwarded-for'),
        xRealIp: req.getHeader('x-real-ip'),
        anyForwarded: false,
      };
      req.forEach((name) => {
        if (name === 'forwarded' || name === 'x-real-ip' || name.startsWith('x-forwarded-')) fwd.anyForwarded = true;
      });
      const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
      if (url === '/__openclaw__/worker') return refuse(res, '404 Not Found', 'not_found', 'the worker protocol is not served here');
      if (!opts.hub()) return refuse(res, '503 Service Unavailable', 'unavailable', 'gateway starting');
      if (hub().size >= opts.maxConnections) {
        warnings.warn('upgrade refused: connection limit', { connections: hub().size, remote });
        return refuse(res, '503 Service Unavailable', 'unavailable', 'connection limit reached');
      }
      const { local, clientAddress } = opts.classify(remote, fwd);
      if (hub().preauthCount(clientAddress) >= opts.maxPreauthPerIp) {
        warnings.warn('upgrade refused: too many unauthenticated sockets from one address', { clientAddress });
        return refuse(res, '503 Service Unavailable', 'unavailable', 'Too many unauthenticated sockets');
      }
      const refusal = opts.guard({ origin, host, secFetchSite });
      if (refusal) {
        warnings.warn('upgrade refused: host or origin not allowed', { origin, host, remote, reason: refusal.reason });
        return refuse(res, '403 Forbidden', 'forbidden', refusal.message);
      }
      const peer: PeerInfo = { remoteAddress: clientAddress, local, ...(origin ? { origin } : {}) };
      // no subprotocol, and no permessage-deflate (extensions are read only to be declined)
      void extensions;
      res.upgrade<UserData>({ peer, closed: false }, key, '', '', context);
    },

    open: (ws: WebSocket<UserData>) => {
      const data = ws.getUserData();
      data.conn = hub().open(new UwsSocket(ws, data), data.peer);
    },

    message: (ws: WebSocket<UserData>, message: ArrayBuffer) => {
      if (message.byteLength > opts.maxPayload) {
        ws.end(1009, 'message too big');
        return;
      }
      const conn = ws.getUserData().conn;
      if (conn) hub().frame(conn, Buffer.from(message).toString('utf8'), message.byteLength);
    },

    pong: (ws: WebSocket<UserData>) => {
      const conn = ws.getUserData().conn;
      if (conn) hub().pong(conn);
    },

    close: (ws: WebSocket<UserData>) => {
      const data = ws.getUserData();
      data.closed = true;
      const conn = data.conn;
      // outside uWS's callback: the actor may be mid-step when its own close triggered this
      if (conn) queueMicrotask(() => hub().socketClosed(conn));
    },
  });
}
