import { Type, type Static } from 'typebox';
import { Closed, NonEmptyString, NonNegativeInteger, StringEnum, StringMap } from './primitives.js';

// `connect` params (spec §4; published `ConnectParams`). Property order follows the published schema, so the
// first missing required property reported is the same one OpenClaw reports.

/** `client.id` values (`GATEWAY_CLIENT_IDS`); anything else is a schema error. */
export const GATEWAY_CLIENT_IDS = [
  'webchat-ui', 'openclaw-control-ui', 'openclaw-browser-copilot', 'openclaw-tui', 'webchat', 'cli',
  'gateway-client', 'openclaw-macos', 'openclaw-linux', 'openclaw-ios', 'openclaw-watchos', 'openclaw-android',
  'node-host', 'openclaw-worker', 'test', 'fingerprint', 'openclaw-probe',
] as const;
export type GatewayClientId = (typeof GATEWAY_CLIENT_IDS)[number];

/** `client.mode` values. */
export const GATEWAY_CLIENT_MODES = ['webchat', 'cli', 'ui', 'backend', 'node', 'worker', 'probe', 'test'] as const;
export type GatewayClientMode = (typeof GATEWAY_CLIENT_MODES)[number];

/**
 * Known `caps` (`GATEWAY_CLIENT_CAPS`). The published schema types `caps` as free non-empty strings, so the
 * params schema does too; this list is for code that acts on caps (Clawgate: `tool-events`,
 * `session-scoped-events`).
 */
export const GATEWAY_CLIENT_CAPS = [
  'agent-kind', 'approvals', 'exec-approvals', 'inline-widgets', 'model-catalog-snapshot',
  'model-selection-policy', 'run-tool-bindings', 'session-scoped-events', 'skill-curator-live-inventory',
  'plugin-approvals', 'task-suggestions', 'terminal-offset-seq', 'terminal-session-metadata',
  'terminal-upload-path-style', 'tool-events', 'ui-commands', 'usage-refreshing',
] as const;
export type GatewayClientCap = (typeof GATEWAY_CLIENT_CAPS)[number];

/** The closed operator scope set (spec §7.1). `scopes` is typed as free strings on the wire, as published. */
export const OPERATOR_SCOPES = [
  'operator.admin', 'operator.read', 'operator.write', 'operator.sessions.read', 'operator.sessions.write',
  'operator.approvals', 'operator.questions', 'operator.pairing', 'operator.talk', 'operator.talk.secrets',
] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

/** Roles valid on the gateway WS (spec §4.2); the schema keeps `role` a free string, admission rejects others. */
export const GATEWAY_ROLES = ['operator', 'node'] as const;
export type GatewayRole = (typeof GATEWAY_ROLES)[number];

export const ConnectClient = Closed({
  id: StringEnum(GATEWAY_CLIENT_IDS),
  displayName: Type.Optional(NonEmptyString()),
  version: NonEmptyString(),
  buildId: Type.Optional(NonEmptyString({ maxLength: 96 })),
  platform: NonEmptyString(),
  deviceFamily: Type.Optional(NonEmptyString()),
  modelIdentifier: Type.Optional(NonEmptyString()),
  timeZone: Type.Optional(NonEmptyString({ maxLength: 64 })),
  mode: StringEnum(GATEWAY_CLIENT_MODES),
  instanceId: Type.Optional(NonEmptyString()),
});

/** Deprecated node-host worker admission envelope; accepted and ignored. */
export const ConnectWorkerRuns = Closed({
  bundleHash: Type.String({ minLength: 64, maxLength: 64, pattern: '^[a-f0-9]{64}$' }),
  openclawVersion: NonEmptyString({ maxLength: 128 }),
  protocolFeatures: Type.Array(NonEmptyString({ maxLength: 128 }), { maxItems: 64, uniqueItems: true }),
  bundlePrewarm: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
});

/** Ed25519 device proof (spec §8); every field required inside. */
export const ConnectDevice = Closed({
  id: NonEmptyString(),
  publicKey: NonEmptyString(),
  signature: NonEmptyString(),
  signedAt: NonNegativeInteger(),
  nonce: NonEmptyString(),
});

export const ConnectAuth = Closed({
  token: Type.Optional(Type.String()),
  bootstrapToken: Type.Optional(Type.String()),
  deviceToken: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  approvalRuntimeToken: Type.Optional(Type.String()),
  agentRuntimeIdentityToken: Type.Optional(Type.String()),
});

/**
 * Model-catalog selector (spec §4, 2026.9.6). Not in the published 2026.9.1 `ConnectParams`; accepted and
 * ignored so a newer client is not rejected.
 */
export const ConnectModelCatalog = Type.Union([
  Closed({ agentId: Type.Optional(Type.String()), sessionKey: Type.Optional(Type.String()) }),
  Closed({ agentId: Type.Optional(Type.String()), shortId: Type.String(), slugHint: Type.Optional(Type.String()) }),
]);

export const ConnectParams = Closed({
  minProtocol: Type.Integer({ minimum: 1 }),
  maxProtocol: Type.Integer({ minimum: 1 }),
  client: ConnectClient,
  caps: Type.Optional(Type.Array(NonEmptyString(), { default: [] })),
  commands: Type.Optional(Type.Array(NonEmptyString())),
  computerUse: Type.Optional(Type.Unknown()),
  workerRuns: Type.Optional(ConnectWorkerRuns),
  permissions: Type.Optional(StringMap(Type.Boolean())),
  pathEnv: Type.Optional(Type.String()),
  role: Type.Optional(NonEmptyString()),
  scopes: Type.Optional(Type.Array(NonEmptyString())),
  device: Type.Optional(ConnectDevice),
  auth: Type.Optional(ConnectAuth),
  locale: Type.Optional(Type.String()),
  userAgent: Type.Optional(Type.String()),
  modelCatalog: Type.Optional(ConnectModelCatalog),
});
export type ConnectParams = Static<typeof ConnectParams>;
