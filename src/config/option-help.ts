import type { OptionName } from './options.js';

// What each option of the table in options.ts means, for `clawgate gateway --help` (and `clawgate doctor --help`).
// The help text is generated from OPTIONS, so a new option shows up in --help by itself; a test
// (test/cli/help.test.ts) fails while an option has no entry here.

/** One option's help: its value placeholder (none for a boolean), what it does, and its default as text. */
export interface OptionHelp {
  /** Placeholder for the value, e.g. `N`, `DIR`, `a,b`; absent for boolean flags. */
  arg?: string;
  /** One short sentence; may hold `\n` for a second line. */
  text: string;
  /** The default as a user reads it; absent = not set unless given. */
  default?: string;
}

/**
 * Help for every option in OPTIONS (see src/config/options.ts), keyed by flag name; defaults match the ones the
 * checks apply. Keyed by string so entries for options being added on other branches can land first.
 */
export const OPTION_HELP: Readonly<Partial<Record<OptionName | string, OptionHelp>>> = {
  bind: { arg: 'ADDR', text: 'listen address (non-loopback needs --token)', default: '127.0.0.1' },
  port: { arg: 'N', text: 'port (0 = any free port)', default: '18789' },
  token: { arg: 'SECRET', text: 'shared secret, at least 32 characters (env OPENCLAW_GATEWAY_TOKEN)', default: 'none' },
  'state-dir': { arg: 'DIR', text: 'state directory (database, lock)', default: '~/.clawgate' },
  model: { arg: 'mock|openai', text: 'model', default: 'mock' },
  'mock-delay-ms': { arg: 'N', text: 'mock streams one word per N ms (0: whole reply at once)', default: '0' },
  'allow-users': { arg: 'a,b', text: 'only these user ids may run messages', default: 'everyone' },
  'require-mention': { text: 'thread messages need one of the --mention patterns', default: 'off' },
  mention: { arg: 'a,b', text: 'mention patterns (case-sensitive substrings), e.g. "@bot,/agent"', default: 'none' },
  'max-body-bytes': { arg: 'N', text: 'request body limit', default: '12582912' },
  'model-catalog': { arg: 'a,b', text: 'known model aliases; others are refused', default: 'any' },
  'run-retention-ms': { arg: 'N', text: 'keep finished runs this long', default: '600000' },
  'run-retention-max': { arg: 'N', text: 'keep at most this many finished runs', default: '10000' },
  'session-idle-ms': { arg: 'N', text: 'stop an idle session actor after this long (0: as its last run ends)', default: '0' },
  'sse-keepalive-ms': { arg: 'N', text: 'SSE keepalive comment period', default: '15000' },
  'body-timeout-ms': { arg: 'N', text: 'deadline for reading a request body', default: '30000' },
  'allow-private-part-urls': { text: 'let content_parts URLs reach private addresses', default: 'off' },
  'log-level': { arg: 'LEVEL', text: 'fatal|error|warn|info|debug|trace|silent', default: 'info' },
  'max-connections': { arg: 'N', text: 'WebSocket connections at once; more get 503', default: 'open-files limit less headroom' },
  'handshake-timeout-ms': { arg: 'N', text: 'a WS client must finish the connect handshake within this', default: '15000' },
  'tick-interval-ms': { arg: 'N', text: 'WS tick event period (clients use it to detect a dead link)', default: '30000' },
  'allowed-origins': { arg: 'a,b', text: 'browser origins allowed besides the gateway\'s own (exact, e.g. https://ui.example)', default: 'none' },
  'allowed-hosts': {
    arg: 'a,b',
    text: 'Host names the gateway answers to besides loopback and the bind address\n(names behind a reverse proxy or on the LAN; others are refused: DNS rebinding)',
    default: 'none',
  },
  'max-buffered-bytes': { arg: 'N', text: 'a WS client with more unsent bytes than this is a slow consumer and is closed', default: '52428800' },
  'no-auto-approve-local': { text: 'loopback devices wait for the owner\'s approval like remote ones', default: 'off: auto-approved' },
  'fsync-commits': { text: 'fsync every database commit (survives power loss, slower)', default: 'off' },
  'trusted-proxies': { arg: 'a,b', text: 'proxies (IPs/CIDRs) whose X-Forwarded-For / Forwarded headers are believed', default: 'none' },
  'node-allow': { arg: 'a,b', text: 'node commands allowed besides each platform\'s defaults (dangerous ones only this way)', default: 'none' },
  'node-deny': { arg: 'a,b', text: 'node commands never allowed (deny wins over allow)', default: 'none' },
  'openai-base-url': { arg: 'URL', text: 'OpenAI-compatible endpoint (Ollama: http://127.0.0.1:11434/v1); key from env OPENAI_API_KEY', default: 'https://api.openai.com/v1' },
  'openai-model': { arg: 'NAME', text: 'model name sent to the endpoint', default: 'gpt-4o-mini' },
  'openai-timeout-ms': { arg: 'N', text: 'provider deadline for headers and between stream chunks', default: '120000' },
  tools: { arg: 'a,b', text: 'built-in tools offered to the model: time.now, nodes.invoke', default: 'none' },
  'enable-parallel-tools': { text: 'run the tool calls of one model turn concurrently', default: 'off: in order' },
  'max-tool-steps': { arg: 'N', text: 'tool rounds per run before the model must answer', default: '8' },
  'queue-mode': {
    arg: 'MODE',
    text: 'a message to a busy session: followup (FIFO), collect (merge into one next turn)\nor interrupt (cancel the running run); steer = followup',
    default: 'followup',
  },
  'max-queue': { arg: 'N', text: 'messages that may wait per session; more are refused', default: '100' },
  'run-timeout-ms': { arg: 'N', text: 'fail a run still going after N ms (error type timeout); 0 = none', default: '600000' },
  'history-budget-chars': { arg: 'N', text: 'transcript text sent to the model as history per run (0 = none)', default: '24000' },
  recovery: {
    arg: 'rerun|fail',
    text: 'after a crash, run an interrupted run once more, or fail it "interrupted by restart"\n(queued runs always run; a reply already in the transcript is never redone)',
    default: 'rerun',
  },
  // issue 8, options added on parallel branches (shown once they are in the table)
  'system-prompt': { arg: 'TEXT|@FILE', text: 'system message of every run (@FILE reads it from a file)', default: 'none' },
  'shutdown-grace-ms': { arg: 'N', text: 'on SIGINT/SIGTERM, let running runs finish this long, then cancel them', default: '10000' },
  'tls-cert': { arg: 'FILE', text: 'PEM certificate: serve HTTPS and WSS on the same port (needs --tls-key)', default: 'none' },
  inspect: { text: 'live actor inspector: stream at /__clawgate__/inspect/ws (ticket from clawgate.inspect.ticket, operator.admin)', default: 'off' },
  'inspect-stately-url': { arg: 'URL', text: 'with --inspect: the Stately inspector page that /__clawgate__/inspect/stately frames and feeds (https; http only on loopback)', default: 'none' },
  'tls-key': { arg: 'FILE', text: 'PEM private key for --tls-cert', default: 'none' },
  'canvas-root': { arg: 'DIR', text: 'canvas files served at /__openclaw__/canvas/ (bearer token or a node\'s capability URL)', default: '<state-dir>/canvas' },
  'no-canvas-host': { text: 'no canvas or A2UI routes, no live reload, no pluginSurfaceUrls in hello-ok', default: 'off: host on' },
  'no-canvas-live-reload': { text: 'canvas pages do not reload on file changes (no watcher; /__openclaw__/ws gets 404)', default: 'off: live reload on' },
  'nats-url': { arg: 'URL', text: 'cluster mode: join the other gateways on this NATS server (nats://host:port, JetStream on)', default: 'off: one process' },
  'instance-id': { arg: 'ID', text: 'with --nats-url: this gateway\'s name in the cluster (letters, digits, . _ : -)', default: '<hostname>:<pid>' },
  'lease-ttl-ms': { arg: 'N', text: 'with --nats-url: a session\'s lease outlives its owner\'s last renewal this long', default: '10000' },
};

/** `--config FILE`: not in the option table (it names where the others come from). */
export const CONFIG_OPTION_HELP: OptionHelp = { arg: 'FILE', text: 'JSON or YAML file with the same keys (kebab- or camelCase); flags win', default: 'none' };
