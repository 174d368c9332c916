import { mkdirSync } from 'node:fs';
import type { GatewayConfig } from './config.js';
import type { Logger } from './log.js';
import { createBus, type Bus } from './bus.js';
import { createConfiguredRunner } from './agent/configured-runner.js';
import type { Tool } from './agent/tools/registry.js';
import type { Runner } from './agent/runner.js';
import { RunRegistry } from './actors/run-registry.js';
import { SessionRegistry } from './actors/session-registry.js';
import { createRunExecutor } from './actors/run-executor.js';
import { recordTranscripts } from './actors/transcript-recorder.js';
import type { TranscriptStore } from './store/transcripts.js';
import { openDb } from './store/db.js';
import { SqliteTranscriptStore } from './store/transcripts-sqlite.js';
import { RunJournal } from './store/journal.js';
import { commitPerRunEvent } from './store/event-transactions.js';
import { recoverRuns } from './actors/recover.js';
import { withHistory } from './agent/with-history.js';
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
  /** Tools offered to the model besides the enabled built-ins (with --model openai). */
  tools?: Tool[];
}


export async function startGateway(config: GatewayConfig, log: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const startedAt = Date.now();
  const bus = createBus();
  const runs = new RunRegistry(bus, { retentionMs: config.runRetentionMs, retentionMax: config.runRetentionMax });
  // the database opens before listen: transcripts and the journal are durable from the first message
  const db = openDb(config.stateDir, { fsyncCommits: config.fsyncCommits });
  const transcripts = new SqliteTranscriptStore(db);
  const journal = new RunJournal(db, { retentionMs: config.runRetentionMs });
  const detachJournal = journal.attach(bus);
  commitPerRunEvent(bus, db);
  let ws: WsPlane | undefined;
  const baseRunner = options.runner ?? await createConfiguredRunner(config, {
    extraTools: options.tools,
    invokeNode: async (nodeId, command, params, timeoutMs) => {
      if (!ws) throw new Error('nodes are not available yet: the gateway is starting');
      const answer = await ws.nodes.invoke({ nodeId, command, params, timeoutMs });
      if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
      return answer.payload;
    },
  });
  // the built-in mock never reads history: reading the transcript for it would only cost time per run
  const runner = options.runner || config.model !== 'mock' ? withHistory(baseRunner, transcripts, config.historyBudgetChars) : baseRunner;
  const sessions: SessionRegistry = new SessionRegistry({
    bus, runs, idleMs: config.sessionIdleMs, log,
    executeRun: createRunExecutor({ runner, bus, abortReason: (runId) => sessions.abortReason(runId) }),
    queueMode: config.queueMode, maxQueue: config.maxQueue, runTimeoutMs: config.runTimeoutMs,
  });
  let draining = false;

  const loadWsPlane = async () => {
    const [{ createWsPlane }, { DeviceStore }, { NodeStore }, { AuthRateLimiter }] = await Promise.all([
      import('./ws/plane.js'), import('./store/devices.js'), import('./store/nodes.js'), import('./ws/auth-rate-limit.js'),
    ]);
    const devices = new DeviceStore(db, config.stateDir);
    const plane = createWsPlane({
    log, bus, sessions, runs, transcripts,
    token: config.token, version: VERSION, stateDir: config.stateDir, bindIp: config.bind,
    model: config.model === 'openai' ? { provider: 'openai', model: config.openaiModel } : { provider: config.model, model: config.model },
    handshakeTimeoutMs: config.handshakeTimeoutMs, tickIntervalMs: config.tickIntervalMs, maxBufferedBytes: config.maxBufferedBytes,
    healthIntervalMs: 60_000, pingIntervalMs: 25_000,
    isDraining: () => draining,
    devices, autoApproveLocal: config.autoApproveLocal, rateLimit: new AuthRateLimiter(),
    nodes: { store: new NodeStore(db), allow: config.nodeAllow, deny: config.nodeDeny },
    });
    return { plane, devices };
  };
  recordTranscripts(bus, runs, transcripts);
  // before listen: journaled runs are re-submitted ahead of any new message in their sessions
  recoverRuns({ journal, transcripts, runs, sessions, policy: config.recovery, log });
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
    db.close();
    throw err;
  }
  ws = loaded.plane;

  return {
    port: server.port, bus, runs, sessions, transcripts, ws: loaded.plane, devices: loaded.devices,
    async close() {
      if (draining) return;
      draining = true;
      loaded.plane.shutdown();
      detachJournal(); // runs cancelled by the shutdown stay journaled as pending: the next start recovers them
      sessions.stopAll();
      loaded.plane.stop();
      // let the cancelled runs' answers and the close frames reach their clients before the sockets go
      await new Promise((r) => setTimeout(r, 20));
      server.close();
      db.close();
    },
  };
}
