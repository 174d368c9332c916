// The option table: every flag's name and kind, and the defaults of the options that have one.
// The config file uses the same names (camelCase spellings are accepted too).

/** Flag name → kind (how a flag or config file value is read). */
export const OPTIONS = {
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
  // TLS (issue 8): HTTPS and WSS on the same port
  'tls-cert': 'string',
  'tls-key': 'string',
  // shutdown that keeps its word (issue 8)
  'shutdown-grace-ms': 'int',
  // model set-up (issue 8): the system message of every run (TEXT or @FILE)
  'system-prompt': 'string',
  // web surfaces (issue 12): the actor inspector
  inspect: 'boolean',
  'inspect-stately-url': 'string',
  // web surfaces (issue 12): the canvas host
  'canvas-root': 'string',
  'no-canvas-host': 'boolean',
  'no-canvas-live-reload': 'boolean',
  // cluster mode on NATS (issue 17)
  'nats-url': 'string',
  'instance-id': 'string',
  'lease-ttl-ms': 'int',
} as const;

/** A flag name (kebab-case), as on the command line. */
export type OptionName = keyof typeof OPTIONS;

/** One option's value once coerced to its kind; undefined = not given. */
export type RawValue = string | boolean | number | string[] | undefined;

/** The options given (flags and config file merged), before defaults and checks. */
export type RawOptions = Partial<Record<OptionName, RawValue>>;

/** Defaults of the options that have a fixed one (the CLI's usage text states the same values). */
export const DEFAULTS = {
  bind: '127.0.0.1',
  port: 18789,
  model: 'mock',
  mockDelayMs: 0,
  maxBodyBytes: 12_582_912,
  runRetentionMs: 600_000,
  runRetentionMax: 10_000,
  // an idle session actor holds nothing (no queue, no run): it ends with its last run
  sessionIdleMs: 0,
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
  // shutdown that keeps its word (issue 8)
  shutdownGraceMs: 10_000,
  // cluster mode (issue 17): how long a session's lease outlives its owner's last renewal
  leaseTtlMs: 10_000,
} as const;
