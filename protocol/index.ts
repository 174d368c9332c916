import type { Static, TSchema } from 'typebox';
import { AgentEvent, AgentParams, AgentWaitParams, InputProvenance } from './agent.js';
import {
  ChannelsPairingApproveParams, ChannelsPairingApproveResult, ChannelsPairingDismissParams, ChannelsPairingDismissResult,
  ChannelsPairingListParams, ChannelsPairingListResult,
} from './channel-pairing.js';
import { ChannelsLogoutParams, ChannelsStartParams, ChannelsStatusParams, ChannelsStatusResult, ChannelsStopParams } from './channels.js';
import {
  ChatAbortedEvent, ChatAbortParams, ChatAttachment, ChatDeltaEvent, ChatErrorEvent, ChatEvent, ChatFinalEvent,
  ChatHistoryParams, ChatSendParams, ChatStatusEvent,
} from './chat.js';
import { ConnectParams } from './connect.js';
import {
  DevicePairApproveParams, DevicePairListParams, DevicePairRejectParams, DevicePairRemoveParams,
  DevicePairRequestedEvent, DevicePairResolvedEvent, DeviceTokenRevokeParams, DeviceTokenRotateParams,
  DeviceTokenRotateResult,
} from './devices.js';
import { ConnectChallengeEvent, HeartbeatEvent, LastHeartbeatParams, ShutdownEvent, TickEvent } from './events.js';
import { ErrorShape, EventFrame, GatewayFrame, RequestFrame, ResponseFrame } from './frames.js';
import { EventLoopHealth, HealthParams, HealthSnapshot, StatusParams } from './health.js';
import { HelloOk, Snapshot, StateVersion } from './hello.js';
import {
  NodeDescribeParams, NodeEventParams, NodeEventResult, NodeHostStatsEvent, NodeInvokeParams,
  NodeInvokeProgressParams, NodeInvokeRequestEvent, NodeInvokeResultParams, NodeListParams, NodePairApproveParams,
  NodePairListParams, NodePairRejectParams, NodePairRemoveParams, NodePairRequestedEvent, NodePairResolvedEvent,
} from './nodes.js';
import { ClawgateInspectTicketParams, ClawgateInspectTicketResult } from './inspect.js';
import { PresenceEntry, PresenceEvent, SystemPresenceParams, SystemPresenceResult } from './presence.js';
import { SendParams } from './send.js';
import {
  SessionMessageEvent, SessionRow, SessionsChangedEvent, SessionsListParams, SessionsMessagesSubscribeParams,
  SessionsMessagesUnsubscribeParams, SessionsResetParams, SessionsResetResult, SessionsSubscribeParams,
} from './sessions.js';
import { WebLoginStartParams, WebLoginWaitParams } from './web-login.js';

// Clawgate's wire protocol: the single source of truth. Every schema here is closed; params schemas accept
// every field the published OpenClaw schema allows; outbound schemas (results, events, hello-ok) stay within
// the published 2026.9.1 schema plus exactly the 2026.9.6 additions of spec §2.

export * from './agent.js';
export * from './channel-pairing.js';
export * from './channels.js';
export * from './chat.js';
export * from './clawgate-results.js';
export * from './connect.js';
export * from './devices.js';
export * from './events.js';
export * from './frames.js';
export * from './health.js';
export * from './hello.js';
export * from './inspect.js';
export * from './nodes.js';
export * from './presence.js';
export * from './send.js';
export * from './sessions.js';
export * from './version.js';

// The method tables, each written once: the exported constants are looked up by client-sent names (so typed
// by string); the MethodParams / MethodResults types keep each method's own schema.
const methodParams = {
  connect: ConnectParams,
  health: HealthParams,
  status: StatusParams,
  'system-presence': SystemPresenceParams,
  'last-heartbeat': LastHeartbeatParams,
  send: SendParams,
  agent: AgentParams,
  'agent.wait': AgentWaitParams,
  'chat.send': ChatSendParams,
  'chat.history': ChatHistoryParams,
  'chat.abort': ChatAbortParams,
  'sessions.list': SessionsListParams,
  'sessions.subscribe': SessionsSubscribeParams,
  'sessions.messages.subscribe': SessionsMessagesSubscribeParams,
  'sessions.messages.unsubscribe': SessionsMessagesUnsubscribeParams,
  'sessions.reset': SessionsResetParams,
  'channels.status': ChannelsStatusParams,
  'channels.logout': ChannelsLogoutParams,
  'channels.start': ChannelsStartParams,
  'channels.stop': ChannelsStopParams,
  'channels.pairing.list': ChannelsPairingListParams,
  'channels.pairing.approve': ChannelsPairingApproveParams,
  'channels.pairing.reject': ChannelsPairingDismissParams,
  'channels.pairing.dismiss': ChannelsPairingDismissParams,
  'web.login.start': WebLoginStartParams,
  'web.login.wait': WebLoginWaitParams,
  'device.pair.list': DevicePairListParams,
  'device.pair.approve': DevicePairApproveParams,
  'device.pair.reject': DevicePairRejectParams,
  'device.pair.remove': DevicePairRemoveParams,
  'device.token.rotate': DeviceTokenRotateParams,
  'device.token.revoke': DeviceTokenRevokeParams,
  'node.pair.list': NodePairListParams,
  'node.pair.approve': NodePairApproveParams,
  'node.pair.reject': NodePairRejectParams,
  'node.pair.remove': NodePairRemoveParams,
  'node.list': NodeListParams,
  'node.describe': NodeDescribeParams,
  'node.invoke': NodeInvokeParams,
  'node.invoke.result': NodeInvokeResultParams,
  'node.invoke.progress': NodeInvokeProgressParams,
  'node.event': NodeEventParams,
  // Clawgate-only (web-surfaces.md I4), served only with --inspect
  'clawgate.inspect.ticket': ClawgateInspectTicketParams,
} satisfies Record<string, TSchema>;

/** Method → params schema, for `connect` and every method of spec §7.3 (`sessions.unsubscribe` is not published). */
export const METHOD_PARAMS: Readonly<Record<string, TSchema>> = Object.freeze(methodParams);

/** Method → the static type of its params schema in `METHOD_PARAMS` (what a schema-checked request carries). */
export type MethodParams = { [M in keyof typeof methodParams]: Static<(typeof methodParams)[M]> };

/** Methods of spec §7.3 (without `connect`), for `hello-ok.features.methods`. */
export const CORE_METHODS: readonly string[] = Object.freeze(Object.keys(METHOD_PARAMS).filter((m) => m !== 'connect'));

const methodResults = {
  connect: HelloOk,
  health: HealthSnapshot,
  'system-presence': SystemPresenceResult,
  'channels.status': ChannelsStatusResult,
  'channels.pairing.list': ChannelsPairingListResult,
  'channels.pairing.approve': ChannelsPairingApproveResult,
  'channels.pairing.reject': ChannelsPairingDismissResult,
  'channels.pairing.dismiss': ChannelsPairingDismissResult,
  'device.token.rotate': DeviceTokenRotateResult,
  'node.event': NodeEventResult,
  'sessions.reset': SessionsResetResult,
  'clawgate.inspect.ticket': ClawgateInspectTicketResult,
} satisfies Record<string, TSchema>;

/** Method → result schema, where the published schema defines one. */
export const METHOD_RESULTS: Readonly<Record<string, TSchema>> = Object.freeze(methodResults);

/** Method → the static type of its result schema in `METHOD_RESULTS` (only methods that have one). */
export type MethodResults = { [M in keyof typeof methodResults]: Static<(typeof methodResults)[M]> };

/** Every named definition, as written to `protocol/schema.json`. */
export const DEFINITIONS: Readonly<Record<string, TSchema>> = Object.freeze({
  // frames
  GatewayFrame, RequestFrame, ResponseFrame, EventFrame, ErrorShape,
  // handshake
  ConnectParams, HelloOk, Snapshot, StateVersion, PresenceEntry, HealthSnapshot, EventLoopHealth,
  // method params
  HealthParams, StatusParams, SystemPresenceParams, LastHeartbeatParams, SendParams, AgentParams,
  AgentWaitParams, InputProvenance, ChatSendParams, ChatAttachment, ChatHistoryParams, ChatAbortParams,
  SessionsListParams, SessionsMessagesSubscribeParams, SessionsMessagesUnsubscribeParams, SessionsResetParams, ChannelsStatusParams,
  ChannelsLogoutParams, ChannelsStartParams, ChannelsStopParams, ChannelsPairingListParams, ChannelsPairingApproveParams,
  ChannelsPairingDismissParams, WebLoginStartParams, WebLoginWaitParams,
  DevicePairListParams, DevicePairApproveParams, DevicePairRejectParams, DevicePairRemoveParams,
  DeviceTokenRotateParams, DeviceTokenRevokeParams, NodePairListParams, NodePairApproveParams,
  NodePairRejectParams, NodePairRemoveParams, NodeListParams, NodeDescribeParams, NodeInvokeParams,
  NodeInvokeResultParams, NodeInvokeProgressParams, NodeEventParams, ClawgateInspectTicketParams,
  // results
  SystemPresenceResult, ChannelsStatusResult, ChannelsPairingListResult, ChannelsPairingApproveResult,
  ChannelsPairingDismissResult, DeviceTokenRotateResult, NodeEventResult, SessionsResetResult, SessionRow,
  ClawgateInspectTicketResult,
  // event payloads
  ConnectChallengeEvent, TickEvent, ShutdownEvent, HeartbeatEvent, PresenceEvent, AgentEvent, ChatEvent,
  ChatStatusEvent, ChatDeltaEvent, ChatFinalEvent, ChatAbortedEvent, ChatErrorEvent, SessionsChangedEvent,
  SessionMessageEvent, DevicePairRequestedEvent, DevicePairResolvedEvent, NodePairRequestedEvent,
  NodePairResolvedEvent, NodeInvokeRequestEvent, NodeHostStatsEvent,
});
