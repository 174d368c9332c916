import { Type, type Static } from 'typebox';
import { Closed, LiteralUnion, NonNegativeInteger, NonNegativeNumber, Nullable, StringMap } from './primitives.js';

// `health` (spec §7.3): params, the HealthSnapshot result, which is also the `health` event payload and
// `hello-ok.snapshot.health`. Published as the inline `Snapshot.health` object (no named definition).

/** `health` params: `{}` or `{probe}`; absent params count as `{}`. Not in the published schema. */
export const HealthParams = Closed({
  probe: Type.Optional(Type.Boolean()),
});

/** `status` params: `{}`. Not in the published schema; the result has no published schema either. */
export const StatusParams = Closed({});

/** 2026.9.6 addition (spec §2): process CPU split reported beside the event-loop numbers. */
export const EventLoopCpuBreakdown = Closed({
  mainThreadCoreRatio: Type.Optional(NonNegativeNumber()),
  workerCoreRatio: Type.Optional(NonNegativeNumber()),
  otherThreadsCoreRatio: Type.Optional(NonNegativeNumber()),
  hostUtilization: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  hostCpuCount: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const EVENT_LOOP_DEGRADED_REASONS = ['event_loop_delay', 'event_loop_utilization', 'cpu'] as const;

export const EventLoopHealth = Closed({
  degraded: Type.Boolean(),
  degradedSinceMs: Type.Optional(Nullable(NonNegativeInteger())),
  reasons: Type.Array(LiteralUnion(EVENT_LOOP_DEGRADED_REASONS)),
  intervalMs: NonNegativeNumber(),
  delayP99Ms: NonNegativeNumber(),
  delayMaxMs: NonNegativeNumber(),
  utilization: NonNegativeNumber(),
  cpuCoreRatio: NonNegativeNumber(),
  cpuBreakdown: Type.Optional(EventLoopCpuBreakdown),
});

export const HealthPlugins = Closed({
  loaded: Type.Array(Type.String()),
  errors: Type.Array(Closed({
    id: Type.String(),
    origin: Type.String(),
    activated: Type.Boolean(),
    activationSource: Type.Optional(Type.String()),
    activationReason: Type.Optional(Type.String()),
    failurePhase: Type.Optional(Type.String()),
    error: Type.String(),
  })),
  unavailable: Type.Optional(Type.Array(Closed({
    id: Type.String(),
    state: Type.Literal('configured-unavailable'),
    diagnostic: Closed({
      kind: Type.Literal('plugin-verification'),
      reason: Type.String(),
      detail: Type.String(),
    }),
  }))),
});

export const HealthSessionSummary = Closed({
  path: Type.String(),
  count: NonNegativeInteger(),
  recent: Type.Array(Closed({
    key: Type.String(),
    updatedAt: Nullable(NonNegativeInteger()),
    age: Nullable(NonNegativeInteger()),
  })),
});

export const HealthAgentHeartbeat = Closed({
  enabled: Type.Boolean(),
  every: Type.String(),
  everyMs: Nullable(NonNegativeInteger()),
  prompt: Type.String(),
  target: Type.String(),
  model: Type.Optional(Type.String()),
  session: Type.Optional(Type.String()),
  ackMaxChars: NonNegativeInteger(),
});

export const HealthAgent = Closed({
  agentId: Type.String(),
  name: Type.Optional(Type.String()),
  isDefault: Type.Boolean(),
  heartbeat: HealthAgentHeartbeat,
  sessions: HealthSessionSummary,
});

/**
 * What Clawgate reports in `health`. Every field is optional, as published; the published snapshot also has
 * `contextEngines`, `deliveryQueues` and `modelPricing`, which Clawgate never sends and so does not model.
 */
export const HealthSnapshot = Closed({
  ok: Type.Optional(Type.Literal(true)),
  ts: Type.Optional(NonNegativeInteger()),
  durationMs: Type.Optional(NonNegativeInteger()),
  eventLoop: Type.Optional(EventLoopHealth),
  plugins: Type.Optional(HealthPlugins),
  configReload: Type.Optional(Closed({ hotReloadStatus: LiteralUnion(['active', 'disabled']) })),
  channels: Type.Optional(StringMap(Type.Unknown())),
  channelOrder: Type.Optional(Type.Array(Type.String())),
  channelLabels: Type.Optional(StringMap(Type.String())),
  heartbeatSeconds: Type.Optional(NonNegativeInteger()),
  defaultAgentId: Type.Optional(Type.String()),
  agents: Type.Optional(Type.Array(HealthAgent)),
  sessions: Type.Optional(HealthSessionSummary),
});
export type HealthSnapshot = Static<typeof HealthSnapshot>;
