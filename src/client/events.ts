import type { Static } from 'typebox';
import type {
  AgentEvent, ChatEvent, DevicePairRequestedEvent, DevicePairResolvedEvent, HealthSnapshot, HeartbeatEvent,
  NodeHostStatsEvent, NodeInvokeRequestEvent, NodePairRequestedEvent, NodePairResolvedEvent, PresenceEvent,
  SessionMessageEvent, SessionsChangedEvent, ShutdownEvent, TickEvent,
} from '../../protocol/index.js';

// Event name → payload type, from protocol/'s schemas (types only). `connect.challenge` is the client's own
// business and is not delivered.

/** The payload type of every server event a client may receive. */
export interface GatewayEvents {
  tick: Static<typeof TickEvent>;
  shutdown: Static<typeof ShutdownEvent>;
  health: Static<typeof HealthSnapshot>;
  heartbeat: Static<typeof HeartbeatEvent>;
  presence: Static<typeof PresenceEvent>;
  agent: Static<typeof AgentEvent>;
  chat: Static<typeof ChatEvent>;
  'sessions.changed': Static<typeof SessionsChangedEvent>;
  'session.message': Static<typeof SessionMessageEvent>;
  'device.pair.requested': Static<typeof DevicePairRequestedEvent>;
  'device.pair.resolved': Static<typeof DevicePairResolvedEvent>;
  'node.pair.requested': Static<typeof NodePairRequestedEvent>;
  'node.pair.resolved': Static<typeof NodePairResolvedEvent>;
  'node.invoke.request': Static<typeof NodeInvokeRequestEvent>;
  'node.hostStats': Static<typeof NodeHostStatsEvent>;
}

/** An event name the client types; any other name is delivered with an `unknown` payload. */
export type GatewayEventName = keyof GatewayEvents;

/** What every event listener gets besides the payload. */
export interface EventMeta {
  event: string;
  /** The frame `seq` (per connection), when the frame had one. */
  seq?: number;
}
