import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { parseTrustedProxies } from './policy/locality.js';
import { toQueueMode, WIRE_QUEUE_MODES, type QueueMode } from './core/queue-mode.js';
import { parseHost } from './policy/request-guard.js';

// Gateway configuration: flags, then a --config file (JSON or YAML, same keys), then defaults. Flags win.
// Every problem is a ConfigError with a one-line message; the CLI prints it and exits 2.

export interface GatewayConfig {
  bind: string;
  port: number;
  token?: string;
  stateDir: string;
  model: 'mock' | 'openai';
  mockDelayMs: number;
  /** undefined = everyone allowed; [] = nobody. */
  allowUsers?: string[];
  requireMention: boolean;
  mentionPatterns: string[];
  maxBodyBytes: number;
  /** Known model aliases; when set, an unknown `model` is refused. */
  modelCatalog?: string[];
  runRetentionMs: number;
  runRetentionMax: number;
  sessionIdleMs: number;
  sseKeepaliveMs: number;
  bodyTimeoutMs: number;
  allowPrivatePartUrls: boolean;
  logLevel: string;
  /** WS connections admitted at once; over it upgrades get 503. */
  maxConnections?: number;
  handshakeTimeoutMs: number;
  tickIntervalMs: number;
  /** Browser origins allowed (WS upgrade and HTTP requests with an Origin) besides the gateway's own. */
  allowedOrigins: string[];
  /** Host names the gateway answers to besides loopback, the bind address and (wildcard bind) local interfaces. */
  allowedHosts: string[];
  /** Per-socket outbound budget (policy.maxBufferedBytes). */
  maxBufferedBytes: number;
  /** fsync every SQLite commit (survives power loss; slower). */
  fsyncCommits: boolean;
  /** Silently pair devices on a direct-local socket (off: every device waits for approval). */
  autoApproveLocal: boolean;
  /** Peers whose forwarding headers are believed (IPs/CIDRs). */
  trustedProxies: string[];
  /** Node commands allowed beyond the platform defaults / always refused. */
  nodeAllow: string[];
  nodeDeny: string[];
  /** --model openai: the OpenAI-compatible endpoint, the default model name, the provider deadline. */
  openaiBaseUrl: string;
  openaiModel: string;
  openaiTimeoutMs: number;
  /** Built-in tools offered to the model (off unless listed), run concurrently or in order, rounds per run. */
  tools: string[];
  enableParallelTools: boolean;
  maxToolSteps: number;
  /** How a message to a busy session is queued when the request does not say (followup, collect, interrupt). */
  queueMode: QueueMode;
  /** Messages that may wait behind a session's running run; more are refused (429 / UNAVAILABLE). */
  maxQueue: number;
  /** Deadline of one run; 0 = none. A run past it fails with error type `timeout`. */
  runTimeoutMs: number;
  /** Transcript text given to the model as history per run (newest turns kept); 0 = none. */
  historyBudgetChars: number;
  /** What a restart does with a run that was running at the crash: run it again once, or fail it. */
  recovery: 'rerun' | 'fail';
}

export class ConfigError extends Error {}

const MIN_TOKEN_LENGTH = 32;
const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const OPENAI_MODEL = 'gpt-4o-mini';
/** The built-in tools `--tools` may enable (src/agent/tools/). */
export const BUILTIN_TOOLS: readonly string[] = ['time.now', 'nodes.invoke'];
const WEAK_TOKENS = new Set(['undefined', 'null', 'changeme', 'change-me', 'token', 'secret', 'password']);

/** Flag name → kind. The config file uses the same names (camelCase spellings are accepted too). */
const OPTIONS = {
  bind: 'string',
  port: 'int',
  token: 'string',
  'state-dir': 'string',
  model: 'string',
  'mock-delay-ms': 'int',
  'allow-users': 'list',
  'require-mention': 'boolean',
  mention: 'list',
  'max-body-bytes': 'int',
  'model-catalog': 'list',
  'run-retention-ms': 'int',
  'run-retention-max': 'int',
  'session-idle-ms': 'int',
  'sse-keepalive-ms': 'int',
  'body-timeout-ms': 'int',
  'allow-private-part-urls': 'boolean',
  'log-level': 'string',
  'max-connections': 'int',
  'handshake-timeout-ms': 'int',
  'tick-interval-ms': 'int',
  'allowed-origins': 'list',
  'allowed-hosts': 'list',
  'max-buffered-bytes': 'int',
  'no-auto-approve-local': 'boolean',
  'fsync-commits': 'boolean',
  'trusted-proxies': 'list',
  'node-allow': 'list',
  'node-deny': 'list',
  'openai-base-url': 'string',
  'openai-model': 'string',
  'openai-timeout-ms': 'int',
  tools: 'list',
  'enable-parallel-tools': 'boolean',
  'max-tool-steps': 'int',
  'queue-mode': 'string',
  'max-queue': 'int',
  'run-timeout-ms': 'int',
  'history-budget-chars': 'int',
  recovery: 'string',
} as const;
type OptionName = keyof typeof OPTIONS;
type RawValue = string | boolean | number | string[] | undefined;

export const DEFAULTS = {
  bind: '127.0.0.1',
  port: 18789,
  model: 'mock',
  mockDelayMs: 0,
  maxBodyBytes: 12_582_912,
  runRetentionMs: 600_000,
  runRetentionMax: 10_000,
  sessionIdleMs: 10_000,
  sseKeepaliveMs: 15_000,
  bodyTimeoutMs: 30_000,
  logLevel: 'info',
  handshakeTimeoutMs: 15_000,
  tickIntervalMs: 30_000,
  queueMode: 'followup',
  maxQueue: 100,
  runTimeoutMs: 600_000,
  historyBudgetChars: 24_000,
  recovery: 'rerun',
} as const;

export function parseGatewayArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(
          Object.entries(OPTIONS).map(([name, kind]) => [name, { type: kind === 'boolean' ? 'boolean' : 'string' }]),
        ),
        config: { type: 'string' },
      } as Record<string, { type: 'string' | 'boolean' }>,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message.split('\n')[0]);
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  const fromFile = typeof flags.config === 'string' ? readConfigFile(flags.config) : {};
  const raw: Partial<Record<OptionName, RawValue>> = { ...fromFile };
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    if (flags[name] !== undefined) raw[name] = coerce(name, flags[name], 'flag');
  }
  if (raw.token === undefined && env.OPENCLAW_GATEWAY_TOKEN !== undefined) raw.token = env.OPENCLAW_GATEWAY_TOKEN;
  const config = resolveConfig(raw);
  // local servers (Ollama, vLLM, LM Studio) need no key; api.openai.com without one would fail every run
  if (config.model === 'openai' && !env.OPENAI_API_KEY?.trim() && new URL(config.openaiBaseUrl).hostname.toLowerCase() === 'api.openai.com') {
    throw new ConfigError('--model openai against api.openai.com needs OPENAI_API_KEY (or set --openai-base-url to a local server)');
  }
  return config;
}

function readConfigFile(path: string): Partial<Record<OptionName, RawValue>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both; loaded only when a config file is given
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`invalid config file ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`invalid config file ${path}: expected a mapping of options`);
  const out: Partial<Record<OptionName, RawValue>> = {};
  for (const [key, value] of Object.entries(doc)) {
    const name = kebab(key);
    if (!Object.hasOwn(OPTIONS, name)) throw new ConfigError(`unknown option "${key}" in config file ${path}`);
    out[name as OptionName] = coerce(name as OptionName, value, `config file key "${key}"`);
  }
  return out;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function coerce(name: OptionName, value: unknown, where: string): RawValue {
  if (value === null || value === undefined) return undefined;
  const kind = OPTIONS[name];
  const bad = (what: string) => new ConfigError(`--${name} (${where}) must be ${what}`);
  switch (kind) {
    case 'string':
      if (typeof value !== 'string' && typeof value !== 'number') throw bad('a string');
      return String(value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad('true or false');
    case 'int': {
      const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n < 0) throw bad('a non-negative integer');
      return n;
    }
    case 'list':
      if (Array.isArray(value)) return value.map((v) => String(v));
      if (typeof value === 'string') return value.split(',');
      throw bad('a comma-separated list');
  }
}

function cleanList(list: RawValue): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((s) => s.trim()).filter((s) => s !== '');
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

export function resolveConfig(raw: Partial<Record<OptionName, RawValue>>): GatewayConfig {
  const str = (n: OptionName) => raw[n] as string | undefined;
  const int = (n: OptionName) => raw[n] as number | undefined;

  const model = str('model') ?? DEFAULTS.model;
  if (model !== 'mock' && model !== 'openai') throw new ConfigError(`--model must be "mock" or "openai", got "${model}"`);

  const port = int('port') ?? DEFAULTS.port;
  if (port > 65535) throw new ConfigError('--port must be between 0 and 65535');

  // An all-blank --allow-users list (",,") means "no allowlist", as with the tRPC binary's -allow-users.
  const allowRaw = raw['allow-users'];
  let allowUsers = cleanList(allowRaw);
  if (allowUsers && allowUsers.length === 0 && Array.isArray(allowRaw) && allowRaw.length > 0) allowUsers = undefined;

  const mentionPatterns = cleanList(raw.mention) ?? [];
  const requireMention = (raw['require-mention'] as boolean | undefined) ?? false;
  if (requireMention && mentionPatterns.length === 0) throw new ConfigError('gateway: require mention enabled without patterns');

  // `[::1]` is how people write an IPv6 host, but the listener wants the bare address
  const bind = (str('bind') ?? DEFAULTS.bind).trim().replace(/^\[(.*)\]$/, '$1');
  // Trimmed: an HTTP header value cannot carry surrounding whitespace, so an untrimmed token (a stray
  // newline from an env file) could never be presented and would lock every client out.
  const token = str('token')?.trim();
  if (token !== undefined) {
    if (token === '' || WEAK_TOKENS.has(token.toLowerCase())) {
      throw new ConfigError('--token is empty or a placeholder: use a random secret of at least 32 characters');
    }
    if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError(`--token must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  if (!isLoopbackHost(bind) && token === undefined) {
    throw new ConfigError(`refusing to bind ${bind} without a token: set --token (at least ${MIN_TOKEN_LENGTH} characters) or bind 127.0.0.1`);
  }

  const maxBodyBytes = int('max-body-bytes') ?? DEFAULTS.maxBodyBytes;
  if (maxBodyBytes < 1) throw new ConfigError('--max-body-bytes must be at least 1');

  const stateDir = str('state-dir') ?? join(homedir(), '.clawgate');
  const logLevel = str('log-level') ?? DEFAULTS.logLevel;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  const catalog = cleanList(raw['model-catalog']);
  const handshakeTimeoutMs = int('handshake-timeout-ms') ?? DEFAULTS.handshakeTimeoutMs;
  if (handshakeTimeoutMs < 10_000) throw new ConfigError('--handshake-timeout-ms must be at least 10000');
  const trustedProxies = cleanList(raw['trusted-proxies']) ?? [];
  try {
    parseTrustedProxies(trustedProxies);
  } catch (err) {
    throw new ConfigError(`--trusted-proxies: ${(err as Error).message}`);
  }
  const maxConnections = int('max-connections');
  if (maxConnections !== undefined && maxConnections < 1) throw new ConfigError('--max-connections must be at least 1');
  const allowedOrigins = (cleanList(raw['allowed-origins']) ?? []).map((o) => {
    if (o === '*' || !/^https?:\/\/[^/]+$/.test(o)) throw new ConfigError(`--allowed-origins entries must be exact origins like https://app.example.com (got "${o}")`);
    return o.toLowerCase();
  });
  const allowedHosts = (cleanList(raw['allowed-hosts']) ?? []).map((h) => {
    const parsed = h.includes('*') || h.includes('/') ? undefined : parseHost(h);
    if (!parsed || parsed.port !== undefined) {
      throw new ConfigError(`--allowed-hosts entries must be host names or addresses without scheme, port or wildcard, like gateway.lan or 192.168.1.20 (got "${h}")`);
    }
    return parsed.key;
  });

  const recovery = str('recovery') ?? DEFAULTS.recovery;
  if (recovery !== 'rerun' && recovery !== 'fail') throw new ConfigError(`--recovery must be "rerun" or "fail", got "${recovery}"`);

  const queueModeRaw = str('queue-mode') ?? DEFAULTS.queueMode;
  const queueMode = toQueueMode(queueModeRaw.trim());
  if (!queueMode) throw new ConfigError(`--queue-mode must be one of ${WIRE_QUEUE_MODES.join(', ')} (got "${queueModeRaw}")`);
  const maxQueue = int('max-queue') ?? DEFAULTS.maxQueue;
  if (maxQueue < 1) throw new ConfigError('--max-queue must be at least 1');

  const openaiBaseUrl = (str('openai-base-url') ?? OPENAI_BASE_URL).trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(openaiBaseUrl) || !URL.canParse(openaiBaseUrl)) {
    throw new ConfigError(`--openai-base-url must be an http(s) URL such as http://127.0.0.1:11434/v1 (got "${openaiBaseUrl}")`);
  }
  const openaiModel = str('openai-model')?.trim() || OPENAI_MODEL;
  const tools = cleanList(raw.tools) ?? [];
  for (const t of tools) {
    if (!BUILTIN_TOOLS.includes(t)) throw new ConfigError(`--tools: unknown tool "${t}" (available: ${BUILTIN_TOOLS.join(', ')})`);
  }
  const maxToolSteps = int('max-tool-steps') ?? 8;
  if (maxToolSteps < 1 || maxToolSteps > 100) throw new ConfigError('--max-tool-steps must be between 1 and 100');

  return {
    bind, port, token,
    stateDir: resolve(stateDir),
    model,
    mockDelayMs: int('mock-delay-ms') ?? DEFAULTS.mockDelayMs,
    allowUsers,
    requireMention,
    mentionPatterns,
    maxBodyBytes,
    modelCatalog: catalog && catalog.length > 0 ? catalog : undefined,
    runRetentionMs: int('run-retention-ms') ?? DEFAULTS.runRetentionMs,
    runRetentionMax: int('run-retention-max') ?? DEFAULTS.runRetentionMax,
    sessionIdleMs: int('session-idle-ms') ?? DEFAULTS.sessionIdleMs,
    sseKeepaliveMs: Math.max(10, int('sse-keepalive-ms') ?? DEFAULTS.sseKeepaliveMs),
    bodyTimeoutMs: Math.max(10, int('body-timeout-ms') ?? DEFAULTS.bodyTimeoutMs),
    allowPrivatePartUrls: (raw['allow-private-part-urls'] as boolean | undefined) ?? false,
    logLevel,
    maxConnections,
    handshakeTimeoutMs,
    tickIntervalMs: Math.max(10, int('tick-interval-ms') ?? DEFAULTS.tickIntervalMs),
    allowedOrigins,
    allowedHosts,
    maxBufferedBytes: Math.max(1024, int('max-buffered-bytes') ?? 52_428_800),
    autoApproveLocal: !((raw['no-auto-approve-local'] as boolean | undefined) ?? false),
    fsyncCommits: (raw['fsync-commits'] as boolean | undefined) ?? false,
    trustedProxies,
    nodeAllow: cleanList(raw['node-allow']) ?? [],
    nodeDeny: cleanList(raw['node-deny']) ?? [],
    openaiBaseUrl, openaiModel,
    openaiTimeoutMs: Math.max(100, int('openai-timeout-ms') ?? 120_000),
    tools: [...new Set(tools)],
    enableParallelTools: (raw['enable-parallel-tools'] as boolean | undefined) ?? false,
    maxToolSteps,
    queueMode,
    maxQueue,
    runTimeoutMs: int('run-timeout-ms') ?? DEFAULTS.runTimeoutMs,
    historyBudgetChars: int('history-budget-chars') ?? DEFAULTS.historyBudgetChars,
    recovery,
  };
}
