import { mkdirSync } from 'node:fs';
import type { GatewayConfig } from './config.js';
import type { Logger } from './log.js';
import { createBus, type Bus } from './bus.js';
import { createMockRunner } from './agent/mock.js';
import type { Runner } from './agent/runner.js';
import { RunRegistry } from './actors/run-registry.js';
import { SessionRegistry } from './actors/session-registry.js';
import { createRunExecutor } from './actors/run-executor.js';
import { recordTranscripts } from './actors/transcript-recorder.js';
import { MemoryTranscriptStore, type TranscriptStore } from './store/transcripts.js';
import { DEFAULT_PART_POLICY } from './http/content-parts.js';
import { createRoutes } from './http/routes.js';
import { startServer, type ListeningServer } from './transport/server.js';
import { attachWebSocket, defaultMaxConnections } from './transport/ws.js';
import { VERSION } from './version.js';
import { classifyPeer, parseTrustedProxies } from './ws/locality.js';
import type { WsPlane } from './ws/plane.js';
import type { DeviceStore } from './store/devices.js';

// The composition root: config → bus, registries, runner, store → HTTP and WS planes → transport.
//
// The port is bound and /healthz answers before the WS plane loads: its schema validators and the
// database cost ~200 ms of imports, paid right after listen. Until then upgrades get 503 (the spec's
// startup gate) and /readyz says `starting`.

export interface Gateway {
  port: number;
  devices: DeviceStore;
  bus: Bus;
  runs: RunRegistry;
  sessions: SessionRegistry;
  transcripts: TranscriptStore;
  ws: WsPlane;
  /** Stop admitting, tell WS clients, cancel what is queued or running, close every socket. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Replaces the configured model (tests use this for failing or scripted runners). */
  runner?: Runner;
}


export async function startGateway(config: GatewayConfig, log: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const startedAt = Date.now();
  const bus = createBus();
  const runs = new RunRegistry(bus, { retentionMs: config.runRetentionMs, retentionMax: config.runRetentionMax });
  const runner = options.runner ?? createMockRunner({ delayMs: config.mockDelayMs });
  const sessions = new SessionRegistry({ bus, runs, executeRun: createRunExecutor({ runner, bus }), idleMs: config.sessionIdleMs });
  const transcripts = new MemoryTranscriptStore();
  let draining = false;
  let ws: WsPlane | undefined;

  const loadWsPlane = async () => {
    const [{ createWsPlane }, { openDb }, { DeviceStore }, { NodeStore }, { AuthRateLimiter }] = await Promise.all([
      import('./ws/plane.js'), import('./store/db.js'), import('./store/devices.js'), import('./store/nodes.js'), import('./ws/auth-rate-limit.js'),
    ]);
    const db = openDb(config.stateDir);
    const devices = new DeviceStore(db, config.stateDir);
    const plane = createWsPlane({
    log, bus, sessions, runs, transcripts,
    token: config.token, version: VERSION, stateDir: config.stateDir, bindIp: config.bind,
    model: { provider: config.model, model: config.model },
    handshakeTimeoutMs: config.handshakeTimeoutMs, tickIntervalMs: config.tickIntervalMs, maxBufferedBytes: config.maxBufferedBytes,
    healthIntervalMs: 60_000, pingIntervalMs: 25_000,
    isDraining: () => draining,
    devices, autoApproveLocal: config.autoApproveLocal, rateLimit: new AuthRateLimiter(),
    nodes: { store: new NodeStore(db), allow: config.nodeAllow, deny: config.nodeDeny },
    });
    return { plane, db, devices };
  };
  recordTranscripts(bus, runs, transcripts);
  const trusted = parseTrustedProxies(config.trustedProxies);
  const routes = createRoutes({
    sessions, runs,
    token: config.token,
    sseKeepaliveMs: config.sseKeepaliveMs,
    startedAt,
    isReady: () => (draining ? { ready: false, failing: ['draining'] } : ws ? { ready: true, failing: [] } : { ready: false, failing: ['starting'] }),
    admit: {
      allowUsers: config.allowUsers ? new Set(config.allowUsers) : undefined,
      requireMention: config.requireMention,
      mentionPatterns: config.mentionPatterns,
      modelCatalog: config.modelCatalog ? new Set(config.modelCatalog) : undefined,
      partPolicy: { ...DEFAULT_PART_POLICY, allowPrivateHosts: config.allowPrivatePartUrls },
    },
  });
  let ownOrigins = new Set<string>();
  const maxConnections = config.maxConnections ?? defaultMaxConnections();
  const server: ListeningServer = await startServer({
    bind: config.bind, port: config.port, routes,
    maxBodyBytes: config.maxBodyBytes, bodyTimeoutMs: config.bodyTimeoutMs, log,
    configure: (app) => attachWebSocket(app, {
      hub: () => ws?.hub, log, maxConnections, maxPayload: 26_214_400, maxPreauthPerIp: 32,
      checkOrigin: (origin) => ownOrigins.has(origin.toLowerCase()) || config.allowedOrigins.includes(origin.toLowerCase()),
      classify: (remote, fwd) => {
        const c = classifyPeer(remote, fwd, trusted);
        if (c.untrustedForwarding) log.warn({ remote }, 'forwarding headers from a peer that is not a trusted proxy: treated as remote');
        return c;
      },
    }),
  });
  // the gateway's own origin (it serves WebChat) is allowed by default; the Host header never grants trust
  ownOrigins = new Set([config.bind, '127.0.0.1', 'localhost', '[::1]'].map((h) => `http://${h}:${server.port}`));
  log.info({ bind: config.bind, port: server.port, model: config.model, authMode: config.token ? 'token' : 'none', maxConnections }, 'gateway ready');
  let loaded: Awaited<ReturnType<typeof loadWsPlane>>;
  try {
    loaded = await loadWsPlane();
  } catch (err) {
    server.close();
    throw err;
  }
  ws = loaded.plane;

  return {
    port: server.port, bus, runs, sessions, transcripts, ws: loaded.plane, devices: loaded.devices,
    async close() {
      if (draining) return;
      draining = true;
      loaded.plane.shutdown();
      sessions.stopAll();
      loaded.plane.stop();
      // let the cancelled runs' answers and the close frames reach their clients before the sockets go
      await new Promise((r) => setTimeout(r, 20));
      server.close();
      loaded.db.close();
    },
  };
}
