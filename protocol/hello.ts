import { Type, type Static } from 'typebox';
import { HealthSnapshot } from './health.js';
import { PresenceEntry } from './presence.js';
import { Closed, LiteralUnion, NonEmptyString, NonNegativeInteger, Nullable, StringMap } from './primitives.js';

// hello-ok (spec §5; published `HelloOk`, `Snapshot`, `StateVersion`, plus the 2026.9.6 additions
// `auth.method` and `controlUiLinkReaders`). Outbound only: a subset of what the published schema allows.

/** Two counters, both from 1 (spec §15.3); on `presence`/`health` frames and in the snapshot. */
export const StateVersion = Closed({
  presence: NonNegativeInteger(),
  health: NonNegativeInteger(),
});
export type StateVersion = Static<typeof StateVersion>;

export const SessionDefaults = Closed({
  defaultAgentId: NonEmptyString(),
  modelConfigured: Type.Optional(Type.Boolean()),
  ownership: Type.Optional(LiteralUnion(['sole', 'legacy', 'explicit'])),
  selectionRequired: Type.Optional(Type.Boolean()),
  mainKey: NonEmptyString(),
  mainSessionKey: NonEmptyString(),
  scope: Type.Optional(NonEmptyString()),
});

export const SNAPSHOT_AUTH_MODES = ['none', 'token', 'password', 'trusted-proxy'] as const;

/**
 * Snapshot (spec §5.1). The published snapshot also allows `updateAvailable` and `updateSchedule`; Clawgate
 * never sends them, so they are not modelled here.
 */
export const Snapshot = Closed({
  suspension: Type.Optional(Closed({ phase: LiteralUnion(['accepting', 'preparing', 'draining', 'prepared']) })),
  presence: Type.Array(PresenceEntry),
  health: HealthSnapshot,
  stateVersion: StateVersion,
  uptimeMs: NonNegativeInteger(),
  appliedConfigHash: Type.Optional(Nullable(NonEmptyString())),
  configPath: Type.Optional(NonEmptyString()),
  stateDir: Type.Optional(NonEmptyString()),
  sessionDefaults: Type.Optional(SessionDefaults),
  authMode: Type.Optional(LiteralUnion(SNAPSHOT_AUTH_MODES)),
});
export type Snapshot = Static<typeof Snapshot>;

export const HelloServer = Closed({
  version: NonEmptyString(),
  buildId: Type.Optional(NonEmptyString({ maxLength: 96 })),
  bootId: Type.Optional(NonEmptyString({ maxLength: 96 })),
  controlUiBuildSource: Type.Optional(LiteralUnion(['bundled', 'configured'])),
  connId: NonEmptyString(),
});

export const HelloFeatures = Closed({
  methods: Type.Array(NonEmptyString()),
  events: Type.Array(NonEmptyString()),
  capabilities: Type.Optional(Type.Array(NonEmptyString())),
});

export const ControlUiTab = Closed({
  pluginId: NonEmptyString(),
  id: NonEmptyString(),
  label: NonEmptyString(),
  description: Type.Optional(Type.String()),
  icon: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
  placement: Type.Optional(Type.String()),
  requiresGatewayAuth: Type.Optional(Type.Boolean()),
  group: Type.Optional(LiteralUnion(['control', 'agent'])),
  order: Type.Optional(Type.Number()),
});

export const ControlUiWidgetKind = Closed({
  pluginId: NonEmptyString(),
  kind: NonEmptyString(),
  label: NonEmptyString(),
});

/** 2026.9.6 addition (spec §2): plugin link readers advertised to the Control UI. Clawgate sends none. */
export const ControlUiLinkReader = Closed({
  pluginId: NonEmptyString(),
  id: NonEmptyString(),
  label: NonEmptyString(),
  icon: Type.Optional(Type.String()),
  linkReader: Closed({
    hosts: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { minItems: 1, maxItems: 16 }),
    pathPattern: Type.String({ minLength: 2, maxLength: 1024 }),
    detailMethod: Type.String({ minLength: 1, maxLength: 128 }),
    previewMethod: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    imageMethod: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  }),
});

/** `hello-ok.auth.method` values (2026.9.6 addition). Clawgate emits `none`, `token`, `password`, `device-token`. */
export const HELLO_AUTH_METHODS = [
  'none', 'token', 'password', 'tailscale', 'device-token', 'bootstrap-token', 'trusted-proxy',
] as const;
export type HelloAuthMethod = (typeof HELLO_AUTH_METHODS)[number];

export const HelloDeviceToken = Closed({
  deviceToken: NonEmptyString(),
  role: NonEmptyString(),
  scopes: Type.Array(NonEmptyString()),
  issuedAtMs: NonNegativeInteger(),
});

export const HelloAuth = Closed({
  method: Type.Optional(LiteralUnion(HELLO_AUTH_METHODS)),
  deviceToken: Type.Optional(NonEmptyString()),
  recoveryMigrationAllowed: Type.Optional(Type.Literal(true)),
  recoveryScope: Type.Optional(NonEmptyString()),
  role: NonEmptyString(),
  scopes: Type.Array(NonEmptyString()),
  issuedAtMs: Type.Optional(NonNegativeInteger()),
  deviceTokens: Type.Optional(Type.Array(HelloDeviceToken)),
});

export const SESSION_VISIBILITIES = ['shared', 'read-only', 'suggest', 'draft'] as const;

export const HelloPolicy = Closed({
  maxPayload: Type.Integer({ minimum: 1 }),
  maxBufferedBytes: Type.Integer({ minimum: 1 }),
  tickIntervalMs: Type.Integer({ minimum: 1 }),
  attachments: Type.Optional(Closed({
    maxBytes: Type.Integer({ minimum: 1 }),
    maxImageBytes: Type.Integer({ minimum: 1 }),
  })),
  allowedSessionVisibilities: Type.Optional(Type.Array(LiteralUnion(SESSION_VISIBILITIES))),
  hasMultipleSessionSharingIdentities: Type.Optional(Type.Boolean()),
});

export const HelloOk = Closed({
  type: Type.Literal('hello-ok'),
  protocol: Type.Integer({ minimum: 1 }),
  server: HelloServer,
  features: HelloFeatures,
  snapshot: Snapshot,
  controlUiTabs: Type.Optional(Type.Array(ControlUiTab)),
  controlUiWidgetKinds: Type.Optional(Type.Array(ControlUiWidgetKind)),
  controlUiLinkReaders: Type.Optional(Type.Array(ControlUiLinkReader)),
  pluginSurfaceUrls: Type.Optional(StringMap(NonEmptyString())),
  auth: HelloAuth,
  policy: HelloPolicy,
});
export type HelloOk = Static<typeof HelloOk>;
