import type { RepeatedWarnings } from '../../core/repeated-warnings.js';
import type { Connection, ConnectionHub } from '../../actors/connection-hub.js';
import type { PeerInfo } from '../../machines/connection.js';
import type { PeerClassifier } from '../../transport/peer.js';
import type { UpgradeDecision, UpgradeRequest, WsEndpoint } from '../../transport/ws-endpoint.js';
import { urlBaseOf } from './url-base.js';

// The control plane as a transport WebSocket endpoint. Upgrades are refused here, before any actor exists,
// while the gateway is starting, at the connection limit, when one address holds too many unauthenticated
// sockets, and on the reserved worker path; everything after the upgrade belongs to the connection actor.
// (Type imports and the small url-base.ts only: the composition root loads this before the WS plane's heavier modules.)

/** The control plane's upgrade limits and where it finds the hub. */
export interface ControlPlaneEndpointOptions {
  /** The hub, once the WS plane has loaded (undefined while the gateway is starting: upgrades get 503). */
  hub: () => ConnectionHub | undefined;
  /** Refused upgrades are warnings a peer can trigger at will: aggregated per reason, not one line each. */
  warnings: Pick<RepeatedWarnings, 'warn'>;
  maxConnections: number;
  /** Largest frame after hello (policy.maxPayload); a bigger one closes 1009. */
  maxPayload: number;
  maxPreauthPerIp: number;
  /** Locality of a peer, from its address and the forwarding headers it sent. */
  classify: PeerClassifier;
  /** The scheme clients reach this gateway with (https with TLS): the base of URLs in hello-ok. */
  scheme?: 'http' | 'https';
  /** Sockets of other endpoints that count against the same maxConnections (canvas live reload). */
  otherSockets?: () => number;
}

/** The worker protocol's path: not served by this gateway. */
const WORKER_PATH = '/__openclaw__/worker';

const unavailable = (message: string): UpgradeDecision<PeerInfo> => ({ refuse: { status: 503, type: 'unavailable', message } });

/** The OpenClaw control plane's endpoint: admits upgrades, then hands each socket to the connection hub. */
export function controlPlaneEndpoint(o: ControlPlaneEndpointOptions): WsEndpoint<PeerInfo, Connection> {
  const hub = () => o.hub()!; // set before any upgrade is accepted
  return {
    maxPayload: o.maxPayload,
    upgrade(req: UpgradeRequest) {
      if (req.path === WORKER_PATH) return { refuse: { status: 404, type: 'not_found', message: 'the worker protocol is not served here' } };
      const h = o.hub();
      if (!h) return unavailable('gateway starting');
      if (h.size + (o.otherSockets?.() ?? 0) >= o.maxConnections) {
        o.warnings.warn('upgrade refused: connection limit', { connections: h.size, remote: req.remoteAddress });
        return unavailable('connection limit reached');
      }
      const { local, clientAddress, proxied } = o.classify(req.remoteAddress, req.forwarded);
      if (h.preauthCount(clientAddress) >= o.maxPreauthPerIp) {
        o.warnings.warn('upgrade refused: too many unauthenticated sockets from one address', { clientAddress });
        return unavailable('Too many unauthenticated sockets');
      }
      const origin = req.header('origin');
      const urlBase = urlBaseOf(req, o.scheme ?? 'http', proxied === true);
      return { accept: { remoteAddress: clientAddress, local, ...(origin ? { origin } : {}), ...(urlBase ? { urlBase } : {}) } };
    },
    open: (socket, peer) => hub().open(socket, peer),
    message: (conn, text, bytes) => hub().frame(conn, text, bytes),
    pong: (conn) => hub().pong(conn),
    close: (conn) => hub().socketClosed(conn),
  };
}
