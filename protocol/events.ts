import { Type, type Static, type TSchema } from 'typebox';
import { AgentEvent } from './agent.js';
import { ChatEvent } from './chat.js';
import { DevicePairRequestedEvent, DevicePairResolvedEvent } from './devices.js';
import { HealthSnapshot } from './health.js';
import { NodeHostStatsEvent, NodeInvokeRequestEvent, NodePairRequestedEvent, NodePairResolvedEvent } from './nodes.js';
import { PresenceEvent } from './presence.js';
import { Closed, LiteralUnion, NonEmptyString, NonNegativeInteger } from './primitives.js';
import { SessionMessageEvent, SessionsChangedEvent } from './sessions.js';

// Event payloads (spec §15.1). Published names: TickEvent, ShutdownEvent, AgentEvent, ChatEvent,
// DevicePairRequestedEvent, DevicePairResolvedEvent, NodeInvokeRequestEvent; `health` is the published
// inline snapshot health. The rest have no published schema and follow the spec.

/** First frame on every socket, before hello; no `seq`. */
export const ConnectChallengeEvent = Closed({
  nonce: NonEmptyString(),
  /** Epoch ms; the client signs it as `signedAt`. */
  ts: NonNegativeInteger(),
  /** Capabilities the gateway implements (core: `[]`). */
  capabilities: Type.Array(NonEmptyString()),
});

/** Every 30 000 ms, to operators and nodes. */
export const TickEvent = Closed({
  ts: NonNegativeInteger(),
});

/** Sent before close 1012 `service restart`; default reason `gateway stopping`. */
export const ShutdownEvent = Closed({
  reason: NonEmptyString(),
  restartExpectedMs: Type.Optional(NonNegativeInteger()),
});

export const HEARTBEAT_STATUSES = ['ok-empty', 'ok-token', 'sent', 'failed', 'skipped'] as const;

/** Only when Clawgate runs heartbeats; `last-heartbeat` returns the last one (or `null`). */
export const HeartbeatEvent = Closed({
  ts: NonNegativeInteger(),
  status: LiteralUnion(HEARTBEAT_STATUSES),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
export type HeartbeatEvent = Static<typeof HeartbeatEvent>;

/** `last-heartbeat` params (`{}`); the result is `null` or the last `heartbeat` payload. */
export const LastHeartbeatParams = Closed({});

/** Event name → payload schema for every event Clawgate can emit. */
export const EVENT_PAYLOADS: Readonly<Record<string, TSchema>> = Object.freeze({
  'connect.challenge': ConnectChallengeEvent,
  tick: TickEvent,
  shutdown: ShutdownEvent,
  health: HealthSnapshot,
  heartbeat: HeartbeatEvent,
  presence: PresenceEvent,
  agent: AgentEvent,
  chat: ChatEvent,
  'sessions.changed': SessionsChangedEvent,
  'session.message': SessionMessageEvent,
  'device.pair.requested': DevicePairRequestedEvent,
  'device.pair.resolved': DevicePairResolvedEvent,
  'node.pair.requested': NodePairRequestedEvent,
  'node.pair.resolved': NodePairResolvedEvent,
  'node.invoke.request': NodeInvokeRequestEvent,
  'node.hostStats': NodeHostStatsEvent,
});

/** Names of the events in {@link EVENT_PAYLOADS}. */
export const EVENT_NAMES: readonly string[] = Object.freeze(Object.keys(EVENT_PAYLOADS));
