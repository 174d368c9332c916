import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { noChannels, resolveChannels, type ChannelsSource } from './channels.js';
import { ConfigError, type GatewayConfig } from './gateway-config.js';
import { bindAndToken, listenPort } from './listen.js';
import { messageFilters, queueRules, recoveryMode } from './messages.js';
import { modelCatalog, modelKind, openaiEndpoint, systemPrompt, toolRules } from './model.js';
import { allowedHosts, allowedOrigins, handshakeTimeout, maxConnections, trustedProxies } from './network.js';
import { DEFAULTS, type RawOptions } from './options.js';
import { readOptions, type OptionReader } from './reader.js';
import { tlsFiles } from './tls.js';
import { inspectStatelyUrl } from './inspect-stately-url.js';
import { clusterMode } from './cluster.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Options (and the config file's `channels` block, when there is one) → a checked GatewayConfig with every
 * default applied; the first bad option is a ConfigError.
 */
export function resolveConfig(raw: RawOptions, channelsSource?: ChannelsSource): GatewayConfig {
  const o = readOptions(raw);
  // The checks run in this order, so that of two bad options the same one is always reported.
  const model = modelKind(o);
  const port = listenPort(o);
  const filters = messageFilters(o);
  const listen = bindAndToken(o);
  const maxBodyBytes = bodyLimit(o);
  const logLevel = logLevelOf(o);
  const handshakeTimeoutMs = handshakeTimeout(o);
  const proxies = trustedProxies(o);
  const connections = maxConnections(o);
  const origins = allowedOrigins(o);
  const hosts = allowedHosts(o);
  const recovery = recoveryMode(o);
  const queue = queueRules(o);
  const endpoint = openaiEndpoint(o);
  const tools = toolRules(o);
  const tls = tlsFiles(o);
  const catalog = modelCatalog(o);
  const prompt = systemPrompt(o);
  const stately = inspectStatelyUrl(o, o.bool('inspect') ?? false);
  const cluster = clusterMode(o);
  const channels = channelsSource ? resolveChannels(channelsSource) : noChannels();
  return {
    ...listen, port, model, ...filters, maxBodyBytes, logLevel, handshakeTimeoutMs,
    trustedProxies: proxies, maxConnections: connections, allowedOrigins: origins, allowedHosts: hosts,
    recovery, ...queue, ...endpoint, ...tools,
    ...catalog, systemPrompt: prompt,
    ...uncheckedSettings(o),
    ...(tls ? { tls } : {}),
    ...stately,
    ...(cluster ? { cluster } : {}),
    channels,
  };
}

function bodyLimit(o: OptionReader): number {
  const maxBodyBytes = o.int('max-body-bytes') ?? DEFAULTS.maxBodyBytes;
  if (maxBodyBytes < 1) throw new ConfigError('--max-body-bytes must be at least 1');
  return maxBodyBytes;
}

function logLevelOf(o: OptionReader): string {
  const logLevel = o.str('log-level') ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  return logLevel;
}

/** The options that cannot be wrong once coerced: a default, at most a floor. */
function uncheckedSettings(o: OptionReader) {
  const canvasRoot = o.str('canvas-root');
  return {
    stateDir: resolve(o.str('state-dir') ?? join(homedir(), '.clawgate')),
    ...(canvasRoot ? { canvasRoot: resolve(canvasRoot) } : {}),
    mockDelayMs: o.int('mock-delay-ms') ?? DEFAULTS.mockDelayMs,
    runRetentionMs: o.int('run-retention-ms') ?? DEFAULTS.runRetentionMs,
    runRetentionMax: o.int('run-retention-max') ?? DEFAULTS.runRetentionMax,
    sessionIdleMs: o.int('session-idle-ms') ?? DEFAULTS.sessionIdleMs,
    sseKeepaliveMs: Math.max(10, o.int('sse-keepalive-ms') ?? DEFAULTS.sseKeepaliveMs),
    bodyTimeoutMs: Math.max(10, o.int('body-timeout-ms') ?? DEFAULTS.bodyTimeoutMs),
    allowPrivatePartUrls: o.bool('allow-private-part-urls') ?? false,
    tickIntervalMs: Math.max(10, o.int('tick-interval-ms') ?? DEFAULTS.tickIntervalMs),
    maxBufferedBytes: Math.max(1024, o.int('max-buffered-bytes') ?? 52_428_800),
    autoApproveLocal: !(o.bool('no-auto-approve-local') ?? false),
    fsyncCommits: o.bool('fsync-commits') ?? false,
    inspect: o.bool('inspect') ?? false,
    canvasHost: !(o.bool('no-canvas-host') ?? false),
    canvasLiveReload: !(o.bool('no-canvas-live-reload') ?? false),
    nodeAllow: o.list('node-allow') ?? [],
    nodeDeny: o.list('node-deny') ?? [],
    openaiTimeoutMs: Math.max(100, o.int('openai-timeout-ms') ?? 120_000),
    enableParallelTools: o.bool('enable-parallel-tools') ?? false,
    runTimeoutMs: o.int('run-timeout-ms') ?? DEFAULTS.runTimeoutMs,
    historyBudgetChars: o.int('history-budget-chars') ?? DEFAULTS.historyBudgetChars,
    shutdownGraceMs: Math.max(0, o.int('shutdown-grace-ms') ?? DEFAULTS.shutdownGraceMs),
  } satisfies Partial<GatewayConfig>;
}
