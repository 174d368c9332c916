import type { Logger } from '../../core/log.js';
import type { Bus } from '../../core/bus.js';
import type { RunRegistry } from '../../actors/run-registry.js';
import type { SessionRegistry } from '../../actors/session-registry.js';
import type { Inbound } from '../../inbound/submit.js';
import { ConnectionHub, type Connection } from '../../actors/connection-hub.js';
import { timeBroadcasts } from '../../actors/broadcast-timing.js';
import { NodeRegistry } from '../../actors/node-registry.js';
import type { AdmitInput, Request } from '../../machines/connection.js';
import type { ErrorShape } from '../../policy/authorize.js';
import type { TranscriptStore } from '../../core/transcript.js';
import type { ChannelsControl } from '../../core/channel.js';
import { asStorageUnavailable } from '../../store/storage-health.js';
import { ShuttingDown } from '../../core/errors.js';
import { createAdmission, type RateLimit } from './admission.js';
import { scopeSatisfied } from '../../policy/authorize.js';
import type { DeviceStore, PairingRequest } from '../../store/devices.js';
import type { NodeStore } from '../../store/nodes.js';
import { Dedupe } from './dedupe.js';
import { encodeEvent, type EncodedEvent } from '../../../protocol/encode.js';
import { Health } from './health.js';
import { helloTemplate } from './hello.js';
import { pluginSurfaces, type CanvasCaps } from './plugin-surfaces.js';
import { EVENTS, METHODS } from './methods/index.js';
import { MethodError, RESPONDED, storageUnavailable, type Call, type WsServices } from './methods/types.js';
import { Presence } from './presence.js';
import { bridgeRunEvents } from './run-events.js';
import type { Clock } from './chat-delta-coalescer.js';
import type { RepeatedWarnings } from '../../core/repeated-warnings.js';
import type { ClusterStatus } from '../../core/cluster-status.js';
import type { InspectTickets } from './inspect-tickets.js';
import { INSPECT_TICKET_METHOD } from '../../../protocol/inspect-method.js';

// The WS control plane minus the socket library: connection actors (hub), admission, method dispatch,
// the run → agent/chat bridge, presence, health, tick, keepalive and shutdown.

/** What the WS control plane needs from the composition root. */
export interface WsPlaneOptions {
  log: Logger;
  /** Warnings a remote peer can trigger at will, aggregated per reason. */
  warnings: Pick<RepeatedWarnings, 'warn'>;
  bus: Bus;
  sessions: SessionRegistry;
  /** The one way in for messages (chat.send, agent). */
  inbound: Inbound;
  runs: RunRegistry;
  transcripts: TranscriptStore;
  token?: string;
  version: string;
  stateDir: string;
  bindIp: string;
  model: { provider: string; model: string };
  handshakeTimeoutMs: number;
  tickIntervalMs: number;
  maxBufferedBytes: number;
  healthIntervalMs: number;
  pingIntervalMs: number;
  isDraining: () => boolean;
  devices: DeviceStore;
  autoApproveLocal: boolean;
  rateLimit?: RateLimit;
  /** Node approvals, and the --node-allow / --node-deny command lists. */
  nodes: { store: NodeStore; allow: readonly string[]; deny: readonly string[] };
  /** The clock of the chat-delta throttle (default: wall clock and Node timers). */
  clock?: Clock;
  /** The channel layer behind the channels.* methods; without it they answer "not configured". */
  channels?: ChannelsControl;
  /** With --inspect: the inspector's tickets (`clawgate.inspect.ticket` is served and advertised only then). */
  inspectTickets?: InspectTickets;
  /** With the canvas host: the capabilities behind hello-ok's `pluginSurfaceUrls.canvas` (web-surfaces.md C5). */
  canvasCaps?: CanvasCaps;
  /** Cluster mode: this instance's id and NATS state (`status` shows them). */
  cluster?: ClusterStatus;
  /** Cluster mode: runs of other instances (agent.wait and chat.abort of a run its session's owner runs). */
  clusterRuns?: WsServices['clusterRuns'];
}

/** The running WS control plane, as the transport and the composition root use it. */
export interface WsPlane {
  hub: ConnectionHub;
  /** Broadcast `device.pair.resolved` (used by the pairing RPCs). */
  pairingResolved(r: { requestId: string; deviceId: string }, decision: 'approved' | 'rejected'): void;
  presence: Presence;
  health: Health;
  /** Live nodes; the agent's nodes.invoke tool goes through it. */
  nodes: NodeRegistry;
  /** Broadcast `shutdown`, then close every socket with 1012 `service restart`. */
  shutdown(reason?: string): void;
  stop(): void;
}

/** Builds the WS control plane: hub, admission, method dispatch, run-event bridge and timers. */
export function createWsPlane(o: WsPlaneOptions): WsPlane {
  const startedAt = Date.now();
  let hub!: ConnectionHub;
  const readers = (c: Connection) => c.reader;
  const everyone = () => true;
  const presence = new Presence({ version: o.version, ip: o.bindIp }, () => {
    hub?.broadcast(encodeEvent('presence', { presence: presence.list() }, { lossy: true, stateVersion: stateVersion() }), readers);
  });
  const health = new Health({
    stateDir: o.stateDir,
    sessionCount: () => o.transcripts.sessionCount(),
    recentSessions: () => o.transcripts.sessions({ limit: 5 }).map((r) => ({ key: r.key, updatedAt: r.updatedAt })),
    channels: () => (o.channels?.summary?.() ?? {}) as Record<string, { configured: boolean; running: boolean; connected: boolean }>,
  });
  const stateVersion = () => ({ presence: presence.version, health: health.version });
  // the `health` event every hello-ok is followed by: encoded once per presence and health version, not per connect
  let afterHello: { presence: number; health: number; event: EncodedEvent } | undefined;
  const healthAfterHello = (): EncodedEvent => {
    if (afterHello?.presence !== presence.version || afterHello.health !== health.version) {
      afterHello = { presence: presence.version, health: health.version, event: encodeEvent('health', health.current(), { stateVersion: stateVersion() }) };
    }
    return afterHello.event;
  };
  const methods = [...METHODS.keys()].filter((m) => m !== INSPECT_TICKET_METHOD || o.inspectTickets);
  const pairers = (c: Connection) => c.role === 'operator' && scopeSatisfied(c.scopes, 'operator.pairing');
  const pairingRequested = (r: PairingRequest, silent: boolean) => hub.broadcast(encodeEvent('device.pair.requested', {
    requestId: r.requestId, deviceId: r.deviceId, publicKey: r.publicKey,
    ...definedOnly({ displayName: r.client.displayName, platform: r.client.platform, deviceFamily: r.client.deviceFamily,
      clientId: r.client.clientId, clientMode: r.client.clientMode, browserOrigin: r.client.browserOrigin, remoteIp: r.remoteIp }),
    role: r.role, roles: [r.role], scopes: r.scopes, silent, isRepair: r.isRepair, ts: r.ts,
  }, { lossy: true }), pairers);
  const pairingResolved = (r: { requestId: string; deviceId: string }, decision: 'approved' | 'rejected') =>
    hub.broadcast(encodeEvent('device.pair.resolved', { requestId: r.requestId, deviceId: r.deviceId, decision, ts: Date.now() }), pairers);
  const hello = helloTemplate({
    version: o.version, startedAt, stateDir: o.stateDir, authMode: o.token ? 'token' : 'none',
    tickIntervalMs: o.tickIntervalMs, maxBufferedBytes: o.maxBufferedBytes, methods, events: EVENTS, presence, health,
  });
  const admission = createAdmission({
    token: o.token,
    isDraining: o.isDraining,
    devices: o.devices,
    autoApproveLocal: o.autoApproveLocal,
    rateLimit: o.rateLimit,
    onPairingRequested: pairingRequested,
    onPairingResolved: pairingResolved,
    hello: (input: AdmitInput, auth) => hello(input.connId, auth, pluginSurfaces(o.canvasCaps, input, auth)),
  });

  let services!: WsServices;
  let nodes!: NodeRegistry;
  const dispatch = (conn: Connection, req: Request) => {
    o.log.debug({ conn: conn.id, id: req.id, method: req.method }, 'ws request'); // per-frame detail: never the params
    const call: Call = {
      conn, id: req.id, method: req.method, respond: (ok, payload, error) => hub.respond(conn, req.id, ok, payload, error),
    };
    const fail = (err: unknown) => call.respond(false, undefined, toErrorShape(err, o.log, o.stateDir));
    const handler = METHODS.get(req.method);
    if (!handler) return call.respond(false, undefined, { code: 'INVALID_REQUEST', message: `unknown method: ${req.method}` });
    try {
      const out = handler(req.params, call, services);
      if (out === RESPONDED) return;
      if (out instanceof Promise) out.then((v) => v !== RESPONDED && call.respond(true, v), fail);
      else call.respond(true, out);
    } catch (err) {
      fail(err);
    }
  };

  hub = new ConnectionHub({
    log: o.log,
    warnings: o.warnings,
    // decided in the step of the `connect` frame (no promise, no microtask) unless a failure is held
    admit: admission,
    dispatch,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    maxBufferedBytes: o.maxBufferedBytes,
    methods: new Set(methods),
    onAuthenticated: (conn, admitted) => {
      hub.deliverEvent(conn, healthAfterHello());
      const deviceId = typeof admitted.client.deviceId === 'string' ? admitted.client.deviceId : undefined;
      presence.add(conn.id, admitted.client, { ip: conn.peer.remoteAddress, role: admitted.role, scopes: admitted.scopes, deviceId });
      nodes.connected(conn, admitted);
    },
    onClosed: (conn) => {
      presence.remove(conn.id);
      nodes.closed(conn);
      o.inspectTickets?.connectionClosed(conn.id);
      o.canvasCaps?.connectionClosed(conn.id);
    },
  });
  timeBroadcasts(hub);
  nodes = new NodeRegistry({ hub, store: o.nodes.store, devices: o.devices, policy: o.nodes, log: o.log });
  services = {
    bus: o.bus, sessions: o.sessions, inbound: o.inbound, runs: o.runs, transcripts: o.transcripts, presence, health,
    dedupe: new Dedupe(), hub, devices: o.devices, pairingResolved, nodes, channels: o.channels, inspectTickets: o.inspectTickets,
    ...(o.clusterRuns ? { clusterRuns: o.clusterRuns } : {}),
    info: { version: o.version, startedAt, stateDir: o.stateDir, provider: o.model.provider, model: o.model.model, cluster: o.cluster },
  };
  bridgeRunEvents(o.bus, hub, o.transcripts, o.model, o.clock);

  const timers = [
    setInterval(() => hub.broadcast(encodeEvent('tick', { ts: Date.now() }), everyone), o.tickIntervalMs),
    setInterval(() => {
      const snapshot = health.refresh();
      hub.broadcast(encodeEvent('health', snapshot, { stateVersion: stateVersion() }), everyone);
    }, o.healthIntervalMs),
    setInterval(() => hub.keepalive(), o.pingIntervalMs),
    setInterval(() => services.dedupe.sweep(), 60_000),
  ];

  return {
    hub, presence, health, pairingResolved, nodes,
    shutdown(reason = 'gateway stopping') {
      hub.broadcast(encodeEvent('shutdown', { reason }), everyone);
      hub.closeAll(1012, 'service restart');
    },
    stop() {
      for (const t of timers) clearInterval(t);
      health.stop();
    },
  };
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function toErrorShape(err: unknown, log: Logger, stateDir: string): ErrorShape {
  if (err instanceof MethodError) return err.shape;
  if (err instanceof ShuttingDown) return { code: 'UNAVAILABLE', message: err.message, retryable: true, retryAfterMs: 5000, details: { reason: 'shutting_down' } };
  // a full disk refused the method's write (nothing was recorded): retryable once there is space
  const unavailable = asStorageUnavailable(err, stateDir);
  if (unavailable) {
    if (unavailable !== err) log.error({ code: unavailable.code, stateDir }, 'ws method write failed: disk full or failing');
    return storageUnavailable(unavailable.message);
  }
  log.error({ err }, 'ws method failed');
  return { code: 'UNAVAILABLE', message: 'internal error', retryable: true };
}
