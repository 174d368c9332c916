import type { GatewayConfig } from './config.js';
import type { Logger } from './core/log.js';
import { createLocalBus } from './core/local-bus.js';
import type { Bus } from './core/bus.js';
import type { Cluster } from './cluster/start-cluster.js';
import type { ClusterChannelLeases } from './cluster/channel-leases.js';
import type { ChannelStateMirror } from './cluster/channel-state.js';
import type { ClusterNode } from './actors/cluster-node.js';
import { createConfiguredRunner } from './agent/configured-runner.js';
import { RunRegistry } from './actors/run-registry.js';
import { SessionRegistry } from './actors/session-registry.js';
import { createRunExecutor } from './actors/run-executor.js';
import type { TranscriptStore } from './core/transcript.js';
import type { Runner } from './core/run.js';
import type { ChannelsControl } from './core/channel.js';
import { closeState, openState, type State } from './state.js';
import { RunLifecycle } from './actors/run-lifecycle.js';
import { Inbound } from './inbound/submit.js';
import { ReplyRouter } from './actors/reply-router.js';
import { recoverRuns } from './actors/recover.js';
import { logRunEnds } from './actors/run-log.js';
import { drainRuns } from './actors/drain.js';
import { withHistory, withHistoryFrom } from './agent/with-history.js';
import { DEFAULT_PART_POLICY } from './inbound/content-parts.js';
import { registerHttpRoutes } from './surfaces/http/routes.js';
import { registerWebChatRoutes } from './surfaces/web/webchat-routes.js';
import { controlPlaneEndpoint } from './surfaces/ws/upgrade-endpoint.js';
import { INSPECT_PREFIX, inspectEndpoint } from './surfaces/ws/inspect-endpoint.js';
import type { InspectTickets } from './surfaces/ws/inspect-tickets.js';
import type { InspectHub } from './actors/inspect-hub.js';
import { registerInspectRoutes } from './surfaces/web/inspect-routes.js';
import { startCanvasHost, type CanvasHost } from './canvas-host.js';
import { startServer, type ListeningServer } from './transport/server.js';
import { Lifecycle } from './transport/lifecycle.js';
import { Router } from './transport/router.js';
import { defaultMaxConnections } from './transport/open-files.js';
import { VERSION } from './core/version.js';
import { classifyPeer, parseTrustedProxies, type PeerClass, type PeerHeaders } from './policy/locality.js';
import type { WsPlane } from './surfaces/ws/plane.js';
import { AuthRateLimiter } from './policy/auth-rate-limit.js';
import { allowedHostKeys, checkRequest, interfaceAddressLookup, isWildcardBind, ownOrigins, type GuardPolicy } from './policy/request-guard.js';
import { RepeatedWarnings } from './core/repeated-warnings.js';
import { isLoopbackHost } from './policy/addresses.js';
import { DeferredMetrics } from './actors/deferred-metrics.js';
import { registerMetricsRoute } from './surfaces/http/metrics.js';
import type { AdapterFactories, ChannelManager } from './surfaces/channels/manager.js';
import { type ChannelClock, type ChannelName, CHANNELS } from './core/channel.js';
import type { Gateway, GatewayOptions } from './gateway-types.js';

export type { Gateway, GatewayOptions } from './gateway-types.js';

// The composition root: config → bus, registries, runner, store → HTTP and WS planes → transport.
//
// The port is bound and /healthz answers before the WS plane loads: its code (the precompiled validators,
// typebox/schema for their texts) is the largest part of the gateway's, loaded right after listen. Until then
// upgrades get 503 (the spec's startup gate) and /readyz says `starting`. `clawgate gateway` runs all this from
// the bundle `npm run build` writes (scripts/build-gateway.mjs), where each lazy import is a chunk of its own.

/** The bus, the run and session registries, and the way in and out of them. */
async function startActors(config: GatewayConfig, log: Logger, options: GatewayOptions, state: State, nodes: () => WsPlane | undefined, bus: Bus,
  onSessionEnd?: (sessionKey: string) => void, cluster?: Cluster) {
  const runs = new RunRegistry(bus, { retentionMs: config.runRetentionMs, retentionMax: config.runRetentionMax });
  // every step of a run is recorded in the ledger before the bus carries it
  const lifecycle = new RunLifecycle({ bus, ledger: state.ledger, log });
  const baseRunner = options.runner ?? await createConfiguredRunner(config, {
    extraTools: options.tools,
    invokeNode: async (nodeId, command, params, timeoutMs) => {
      const ws = nodes();
      if (!ws) throw new Error('nodes are not available yet: the gateway is starting');
      const answer = await ws.nodes.invoke({ nodeId, command, params, timeoutMs });
      if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
      return answer.payload;
    },
  });
  // the built-in mock never reads history: reading the transcript for it would only cost time per run. In
  // cluster mode the history is the session's transcript in the cluster, whichever instance recorded it
  const history = cluster?.transcripts;
  const withSessionHistory = (r: Runner) => history
    ? withHistoryFrom(r, async (key, limit) => (await history.messages(key, { limit })).messages, config.historyBudgetChars)
    : withHistory(r, state.transcripts, config.historyBudgetChars);
  const runner = options.runner || config.model !== 'mock' ? withSessionHistory(baseRunner) : baseRunner;
  const sessions: SessionRegistry = new SessionRegistry({
    lifecycle, runs, idleMs: config.sessionIdleMs, log,
    executeRun: createRunExecutor({ runner, lifecycle, abortReason: (runId) => sessions.abortReason(runId) }),
    queueMode: config.queueMode, maxQueue: config.maxQueue, runTimeoutMs: config.runTimeoutMs,
    ...(onSessionEnd ? { onSessionEnd } : {}),
  });
  // the one way in for every surface, and the way out for replies that must be sent (channels)
  const inbound = new Inbound(sessions);
  const replies = new ReplyRouter({ bus, runs, log });
  logRunEnds(bus, log);
  return { bus, runs, lifecycle, sessions, inbound, replies };
}

type Actors = Awaited<ReturnType<typeof startActors>>;

/** What the surfaces share: the repeated-warning log, the auth limiter, readiness. */
interface Shared {
  warnings: RepeatedWarnings;
  authLimiter: AuthRateLimiter;
  isDraining(): boolean;
  /** The actor inspector (--inspect): its hub and stream tickets. */
  inspect?: { hub: InspectHub; tickets: InspectTickets };
  /** The canvas host (web-surfaces.md §4). */
  canvas?: CanvasHost;
}

/** The actor inspector (--inspect): loaded only when it is on. With no viewer the hub attaches nothing to any
 *  actor (web-surfaces.md I1). */
async function loadInspector(options: GatewayOptions): Promise<NonNullable<Shared['inspect']>> {
  const [{ InspectHub }, { InspectTickets }] = await Promise.all([import('./actors/inspect-hub.js'), import('./surfaces/ws/inspect-tickets.js')]);
  return { hub: new InspectHub({ version: VERSION }), tickets: new InspectTickets({ now: options.inspectNow }) };
}

/** The WS control plane, its device and node stores: loaded right after listen (the largest part of the code). */
async function loadWsPlane(config: GatewayConfig, log: Logger, options: GatewayOptions, state: State, actors: Actors, shared: Shared,
  channels: ChannelsControl | undefined, cluster: Cluster | undefined, clusterNode: ClusterNode | undefined) {
  const [{ createWsPlane }, { DeviceStore }, { NodeStore }] = await Promise.all([
    import('./surfaces/ws/plane.js'), import('./store/devices.js'), import('./store/nodes.js'),
  ]);
  const devices = new DeviceStore(state.db, config.stateDir);
  const plane = createWsPlane({
    log, warnings: shared.warnings, bus: actors.bus, sessions: actors.sessions, inbound: actors.inbound, runs: actors.runs,
    transcripts: state.transcripts,
    token: config.token, version: VERSION, stateDir: config.stateDir, bindIp: config.bind,
    model: config.model === 'openai' ? { provider: 'openai', model: config.openaiModel } : { provider: config.model, model: config.model },
    handshakeTimeoutMs: config.handshakeTimeoutMs, tickIntervalMs: config.tickIntervalMs, maxBufferedBytes: config.maxBufferedBytes,
    healthIntervalMs: 60_000, pingIntervalMs: 25_000,
    isDraining: shared.isDraining,
    devices, autoApproveLocal: config.autoApproveLocal, rateLimit: shared.authLimiter,
    nodes: { store: new NodeStore(state.db), allow: config.nodeAllow, deny: config.nodeDeny },
    clock: options.clock, channels: options.channels ?? channels, inspectTickets: shared.inspect?.tickets,
    canvasCaps: shared.canvas?.caps, cluster: cluster?.link, ...(clusterNode ? { clusterRuns: clusterNode } : {}),
  });
  return { plane, devices };
}

/** The channel layer, loaded (with its libraries) only when the config file enables a channel. Its webhook
 *  routes must be on the router before listen; its accounts start once the WS plane is up. */
async function loadChannels(config: GatewayConfig, log: Logger, options: GatewayOptions, state: State, actors: Actors, router: Router,
  joinCluster: () => Promise<{ leases: ClusterChannelLeases; state: ChannelStateMirror } | undefined>) {
  const channels = config.channels;
  const enabled = (name: ChannelName) => channels[name].some((a) => a.enabled);
  if (!CHANNELS.some(enabled)) return undefined;
  // each channel's adapter (and its library: grammY, Baileys) is loaded only when one of its accounts is enabled
  const { ChannelManager } = await import('./surfaces/channels/manager.js');
  const adapters: AdapterFactories = {};
  if (enabled('telegram')) adapters.telegram = (await import('./surfaces/channels/telegram/adapter.js')).telegramAdapter;
  if (enabled('whatsapp')) adapters.whatsapp = (await import('./surfaces/channels/whatsapp/adapter.js')).whatsappAdapter;
  if (enabled('signal')) adapters.signal = (await import('./surfaces/channels/signal/adapter.js')).signalAdapter;
  const cluster = await joinCluster();
  return new ChannelManager({
    ...(cluster ? { leases: cluster.leases, stateChanged: (key) => cluster.state.changed(key) } : {}),
    config: channels, db: state.db, ledger: state.ledger, bus: actors.bus, replies: actors.replies, inbound: actors.inbound,
    sessions: actors.sessions, transcripts: state.transcripts, router, adapters,
    model: config.model === 'openai' ? `openai:${config.openaiModel}` : config.model,
    clock: options.channelClock ?? systemChannelClock, random: options.channelRandom, seams: options.channelSeams, log: log.child({ component: 'channels' }),
  });
}

/** Wall-clock time and unref'd Node timers: a channel timer never holds the process open. */
const systemChannelClock: ChannelClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Host / Origin rules for both planes (policy/request-guard.ts); the own origins need the port, known after listen. */
function requestGuard(config: GatewayConfig, hooks: Lifecycle) {
  const policy: GuardPolicy = {
    ownOrigins: new Set(),
    allowedOrigins: new Set(config.allowedOrigins),
    allowedHosts: allowedHostKeys(config.bind, config.allowedHosts),
    ...(isWildcardBind(config.bind) ? { isInterfaceAddress: interfaceAddressLookup() } : {}),
  };
  // the gateway's own origin is allowed by default; the Host header never grants an Origin trust
  hooks.onListen((port) => { policy.ownOrigins = ownOrigins(config.bind, port, config.tls ? 'https' : 'http'); });
  return (input: Parameters<typeof checkRequest>[0]) => checkRequest(input, policy);
}

/** The HTTP data plane, health routes and the WS upgrade endpoint on one router. */
function routeSurfaces(config: GatewayConfig, actors: Actors, shared: Shared, isReady: () => { ready: boolean; failing: string[] },
  hub: () => WsPlane['hub'] | undefined, classify: (remote: string, fwd: PeerHeaders) => PeerClass, transcripts: TranscriptStore,
  clusterNode: ClusterNode | undefined) {
  const router = new Router();
  registerHttpRoutes(router, {
    sessions: actors.sessions, runs: actors.runs, inbound: actors.inbound, transcripts,
    token: config.token, authLimiter: shared.authLimiter,
    sseKeepaliveMs: config.sseKeepaliveMs, startedAt: Date.now(), isReady,
    ...(clusterNode ? { cluster: clusterNode } : {}),
    admit: {
      allowUsers: config.allowUsers ? new Set(config.allowUsers) : undefined,
      requireMention: config.requireMention,
      mentionPatterns: config.mentionPatterns,
      modelCatalog: config.modelCatalog ? new Set(config.modelCatalog) : undefined,
      partPolicy: { ...DEFAULT_PART_POLICY, allowPrivateHosts: config.allowPrivatePartUrls },
    },
  });
  const maxConnections = config.maxConnections ?? defaultMaxConnections();
  // the inspector's stream (--inspect); without it every /__clawgate__/inspect* upgrade gets 404
  router.ws(INSPECT_PREFIX, inspectEndpoint({ inspect: shared.inspect }), { prefix: true });
  // the control plane answers upgrades on every path no other endpoint claims
  router.ws('/', controlPlaneEndpoint({
    hub, warnings: shared.warnings, maxConnections, maxPayload: 26_214_400, maxPreauthPerIp: 32, scheme: config.tls ? 'https' : 'http',
    otherSockets: () => shared.canvas?.liveReload?.size ?? 0,
    classify: (remote, fwd) => {
      const c = classify(remote, fwd);
      if (c.untrustedForwarding) shared.warnings.warn('forwarding headers from a peer that is not a trusted proxy: treated as remote', { remote });
      return c;
    },
  }), { prefix: true });
  return { router, maxConnections };
}

/** The certificate's fingerprint (for pinning) with TLS; without it, a warning when tokens cross a network in clear. */
function logTransportSecurity(config: GatewayConfig, server: ListeningServer, log: Logger): void {
  if (server.tls) {
    log.info({ fingerprint256: server.tls.fingerprint256, subject: server.tls.subject, validTo: server.tls.validTo }, 'TLS on: HTTPS and WSS');
  } else if (!isLoopbackHost(config.bind)) {
    log.warn({ bind: config.bind }, 'listening beyond loopback without TLS: tokens and messages travel in clear text (set --tls-cert and --tls-key, or put a TLS proxy in front)');
  }
}

/** Start the gateway with a resolved configuration: store, actors, both planes, then listen. */
export async function startGateway(config: GatewayConfig, log: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const metrics = new DeferredMetrics(); // prom-client is loaded right after `gateway ready`
  const state = openState(config, log, options, metrics);
  let cluster: Cluster | undefined;
  const failed = (err: unknown): never => { // a failed start frees the state dir and leaves the cluster
    void cluster?.close();
    closeState(state);
    throw err;
  };
  // cluster mode (--nats-url): @nats-io is loaded only then; NATS must be reachable at start
  if (config.cluster) cluster = await import('./cluster/start-cluster.js').then((m) => m.startCluster(config.cluster!, log)).catch(failed);
  let ws: WsPlane | undefined;
  let draining = false;
  let clusterNode: ClusterNode | undefined;
  // cluster mode: a session whose actor went idle is given up, unless a run of it is under way or a message came meanwhile
  const onSessionEnd = cluster ? (key: string) => {
    const node = clusterNode;
    if (node) void node.ownership.releaseIdle(key, () => !node.owner.busy(key) && !actors.sessions.inspect(key)).catch(() => {});
  } : undefined;
  const actors = await startActors(config, log, options, state, () => ws, cluster?.bus ?? createLocalBus(), onSessionEnd, cluster).catch(failed);
  if (cluster) {
    // session ownership: accepted messages go to the cluster's inbox, the owner of their session runs them
    clusterNode = await import('./actors/cluster-node.js').then((m) => m.startClusterNode({
      cluster: cluster!, sessions: actors.sessions, runs: actors.runs, lifecycle: actors.lifecycle, log,
      leaseTtlMs: config.cluster!.leaseTtlMs, runRetentionMs: config.runRetentionMs, policy: config.recovery,
      maxQueue: config.maxQueue, queueMode: config.queueMode,
    })).catch(failed);
    actors.inbound.useCluster(clusterNode);
  }
  // what a remote peer can make us warn about, it could otherwise make us write without bound; one
  // auth-failure limiter for the WS handshake and the HTTP bearer
  const warnings = new RepeatedWarnings(log);
  const authLimiter = new AuthRateLimiter({
    onFailure: (k) => warnings.warn('authentication refused', { clientAddress: k.source, credential: k.credentialClass }),
  });
  const shared: Shared = { warnings, authLimiter, isDraining: () => draining };
  if (config.inspect) shared.inspect = await loadInspector(options).catch(failed);
  const trusted = parseTrustedProxies(config.trustedProxies);
  const classify = (remote: string, fwd: PeerHeaders) => classifyPeer(remote, fwd, trusted);
  let channels: ChannelManager | undefined;
  const isReady = () => {
    const failing = draining ? ['draining'] : ws ? [] : ['starting'];
    if (state.storage.failing) failing.push('storage');
    if (cluster && !cluster.link.connected) failing.push('nats');
    if (channels) failing.push(...channels.notOnline());
    return { ready: failing.length === 0, failing };
  };
  const { router, maxConnections } = routeSurfaces(config, actors, shared, isReady, () => ws?.hub, classify, state.transcripts, clusterNode);
  shared.canvas = startCanvasHost(config, router, log, { now: options.canvasNow, otherSockets: () => ws?.hub.size ?? 0, maxConnections, a2uiDir: options.a2uiDir });
  // cluster mode: an account runs where its lease is held (one poller per bot in the cluster), in standby
  // elsewhere; pairing and group activation are mirrored from the cluster into the local tables first
  let channelLeases: ClusterChannelLeases | undefined;
  let channelState: ChannelStateMirror | undefined;
  const joinChannelCluster = async () => {
    if (!cluster) return undefined;
    const { openChannelStateMirror } = await import('./cluster/channel-state.js');
    const { SqliteChannelStateTables } = await import('./store/channel-state-tables.js');
    channelState = await openChannelStateMirror(cluster.link.nc, new SqliteChannelStateTables(state.db), { log: log.child({ component: 'channel-state' }) });
    const { openChannelLeases: open } = await import('./cluster/channel-leases.js');
    channelLeases = await open(cluster.link.nc, { instanceId: cluster.link.instanceId, ttlMs: config.cluster!.leaseTtlMs });
    return { leases: channelLeases, state: channelState };
  };
  channels = await loadChannels(config, log, options, state, actors, router, joinChannelCluster).catch(failed);
  // before listen, and after the channel layer registered its reply writer: journaled runs are re-submitted
  // ahead of any new message in their sessions, and a recovered channel run's reply still reaches its chat
  // (in cluster mode the inbox is the journal: a session's next owner runs what its last one left)
  if (!cluster) recoverRuns({ ledger: state.ledger, transcripts: state.transcripts, runs: actors.runs, sessions: actors.sessions, policy: config.recovery, log });
  const stopMetrics = metrics.attach({ bus: actors.bus, sessions: actors.sessions, hub: () => ws?.hub, cluster: cluster?.link });
  registerMetricsRoute(router, { scrape: () => metrics.scrape(), token: config.token, authLimiter: shared.authLimiter });
  registerWebChatRoutes(router, { log, authMode: config.token ? 'token' : 'none', ...(options.webchatDir !== undefined ? { dir: options.webchatDir } : {}) });
  registerInspectRoutes(router, { log, inspect: config.inspect, statelyUrl: config.inspectStatelyUrl, authMode: config.token ? 'token' : 'none', dir: options.webchatDir });
  const hooks = new Lifecycle();
  const server: ListeningServer = await startServer({
    bind: config.bind, port: config.port, router, lifecycle: hooks, guard: requestGuard(config, hooks),
    maxBodyBytes: config.maxBodyBytes, bodyTimeoutMs: config.bodyTimeoutMs, log, warnings: shared.warnings, classify,
    tls: config.tls, writesPending: () => state.ledger.writesPending,
  }).catch(failed);
  logTransportSecurity(config, server, log);
  log.debug({ bind: config.bind, port: server.port }, 'http plane listening; loading the ws plane');
  let loaded: Awaited<ReturnType<typeof loadWsPlane>>;
  try {
    loaded = await loadWsPlane(config, log, options, state, actors, shared, channels, cluster, clusterNode);
  } catch (err) {
    await server.close();
    await cluster?.close();
    closeState(state);
    throw err;
  }
  ws = loaded.plane;
  const stopInspectFeed = shared.inspect && config.inspectFeedUrl
    ? (await import('./surfaces/ws/inspect-feed.js')).startInspectFeed({ url: config.inspectFeedUrl, hub: shared.inspect.hub, log })
    : undefined;
  channels?.startAll(); // the gateway sends START to every enabled account once the WS plane is up
  // the banner: both planes are ready (/readyz answers 200 from here on)
  log.info({ ...bannerUrls(config.bind, server.port), bind: config.bind, port: server.port, stateDir: config.stateDir,
    model: config.model === 'openai' ? `openai:${config.openaiModel}` : config.model, authMode: config.token ? 'token' : 'none', maxConnections,
    ...(cluster ? { instanceId: cluster.link.instanceId } : {}) }, 'gateway ready');
  metrics.load().catch((err: unknown) => log.warn({ err }, 'metrics could not be loaded: /metrics will fail'));
  const { bus, inbound, replies, runs, sessions } = actors;
  let closing: Promise<void> | undefined;
  return {
    port: server.port, bus, inbound, replies, ledger: state.ledger, runs, sessions, transcripts: state.transcripts,
    ws: loaded.plane, devices: loaded.devices, ...(channels ? { channels } : {}),
    close() {
      closing ??= (async () => {
        draining = true; // /readyz 503, WS upgrades refused
        await channels?.stopAll(); // no new channel message; in-flight sends finish (bounded)
        await channelLeases?.close(); // cluster mode: the accounts' leases go, a standby instance takes them at its next ask
        await channelState?.close(); // cluster mode: the last pairing / activation changes go to the cluster
        state.storage.stop();
        inbound.close(); // new messages: 503 / UNAVAILABLE "gateway shutting down"
        // accepts waiting for their group commit: committed, acknowledged and handed to their sessions first
        state.ledger.flush();
        await new Promise((r) => setImmediate(r));
        // queued messages stay journaled for the next start; running runs get the grace period, then are
        // cancelled and recorded so (reason shutdown)
        // cluster mode: no session is claimed from now on, and a queued message stays in the inbox for the next owner
        clusterNode?.beginShutdown();
        await drainRuns({ bus, runs, sessions, lifecycle: actors.lifecycle, log, graceMs: config.shutdownGraceMs });
        await channels?.close(); // the drain's runs wrote their reply rows; cluster mode: handed to the accounts' holders
        await clusterNode?.close(); // the owned sessions are given up: their successors need not wait for the TTL
        stopInspectFeed?.();
        shared.canvas?.liveReload?.stop();
        loaded.plane.shutdown();
        loaded.plane.stop();
        // let the cancelled runs' answers and the close frames reach their clients before the sockets go
        await new Promise((r) => setTimeout(r, 20));
        await server.close();
        shared.warnings.flush(); // the counts of the unfinished window
        stopMetrics();
        await cluster?.close(); // what the drain published reaches the other instances before the connection goes
        state.ledger.flush();
        state.db.close();
        state.lock.release();
      })();
      return closing;
    },
  };
}

/** The URLs the banner names: HTTP, WS and WebChat (W8; a wildcard bind is reached on loopback). */
function bannerUrls(bind: string, port: number): { url: string; wsUrl: string; webchat: string } {
  const host = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '[::1]' : bind.includes(':') ? `[${bind}]` : bind;
  return { url: `http://${host}:${port}/`, wsUrl: `ws://${host}:${port}/`, webchat: `http://${host}:${port}/` };
}

/** Options of {@link createGateway}: any configuration key (defaults as `clawgate gateway`), a logger, and the runner or tools. */
export interface CreateGatewayOptions extends GatewayOptions {
  config?: Partial<GatewayConfig>;
  /** A pino logger; silent when absent. */
  logger?: Logger;
}

/**
 * Start a gateway in this process, the way an embedder or a test does: `createGateway({ config: { port: 0 } })`.
 * The configuration starts from the CLI's defaults; call `close()` on the result to stop it.
 */
export async function createGateway(options: CreateGatewayOptions = {}): Promise<Gateway> {
  const [{ resolveConfig }, { pino }] = await Promise.all([import('./config.js'), import('pino')]);
  const config: GatewayConfig = { ...resolveConfig({}), ...options.config };
  return startGateway(config, options.logger ?? pino({ level: 'silent' }), options);
}
