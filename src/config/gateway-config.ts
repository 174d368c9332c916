import type { ChannelsConfig } from '../core/channel.js';
import type { QueueMode } from '../core/queue-mode.js';
import type { ClusterConfig } from '../core/cluster-status.js';

export type { ClusterConfig };

/** The resolved configuration of one gateway: every option with its default applied and its value checked. */
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
  /** Catalog alias → the provider's model name (`--model-catalog fast=gpt-4o-mini`); a bare entry maps to itself. */
  modelAliases?: Record<string, string>;
  /** The system message of every run (`--system-prompt TEXT` or `@FILE`, read at start); a request's own comes after it. */
  systemPrompt?: string;
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
  /** The actor inspector: its stream endpoint and `clawgate.inspect.ticket` (web-surfaces.md §5). */
  inspect: boolean;
  /** The canvas host's root (web-surfaces.md C1); default `<state-dir>/canvas`. */
  canvasRoot?: string;
  /** The canvas host (canvas and A2UI routes, live reload, pluginSurfaceUrls); off with --no-canvas-host (C5). */
  canvasHost: boolean;
  /** The canvas live reload (watcher, snippet socket, `/__openclaw__/ws`); off with --no-canvas-live-reload (C3). */
  canvasLiveReload: boolean;
  /** With --inspect, env CLAWGATE_INSPECT_WS: a loopback Stately inspector server fed `@xstate.*` frames (I6). */
  inspectFeedUrl?: string;
  /** --inspect-stately-url: the Stately inspector page the bridge `/__clawgate__/inspect/stately` frames (I6). */
  inspectStatelyUrl?: string;
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
  /** TLS (issue 8): serve HTTPS and WSS with this PEM certificate and key; both or neither. */
  tls?: { certFile: string; keyFile: string };
  /** On SIGINT/SIGTERM, how long running runs may go on before they are cancelled (recorded `cancelled`). */
  shutdownGraceMs: number;
  /** Cluster mode on NATS (`--nats-url`); absent = one process, no NATS. */
  cluster?: ClusterConfig;
  /** The config file's `channels` block, resolved (spec channels.md §2); no account of any channel when absent. */
  channels: ChannelsConfig;
}

/** A configuration problem, with a one-line message; the CLI prints it and exits 2. */
export class ConfigError extends Error {}
