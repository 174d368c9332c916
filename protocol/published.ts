// Where Clawgate's wire shapes have a counterpart in the published OpenClaw schema
// (`@openclaw/gateway-protocol@2026.9.1` protocol.schema.json). Used by the compatibility tests and the
// published-schema test helper; runtime code does not need it.

/** `$id` of the published schema document. */
export const PUBLISHED_SCHEMA_ID = 'https://openclaw.ai/protocol.schema.json';

/** Method → published params definition. Methods missing here have no published params schema. */
export const PUBLISHED_PARAMS: Readonly<Record<string, string>> = Object.freeze({
  connect: 'ConnectParams',
  send: 'SendParams',
  agent: 'AgentParams',
  'agent.wait': 'AgentWaitParams',
  'chat.send': 'ChatSendParams',
  'chat.history': 'ChatHistoryParams',
  'chat.abort': 'ChatAbortParams',
  'sessions.list': 'SessionsListParams',
  'sessions.messages.subscribe': 'SessionsMessagesSubscribeParams',
  'sessions.messages.unsubscribe': 'SessionsMessagesUnsubscribeParams',
  'sessions.reset': 'SessionsResetParams',
  'channels.status': 'ChannelsStatusParams',
  'channels.logout': 'ChannelsLogoutParams',
  'channels.start': 'ChannelsStartParams',
  'channels.stop': 'ChannelsStopParams',
  'channels.pairing.list': 'ChannelsPairingListParams',
  'channels.pairing.approve': 'ChannelsPairingApproveParams',
  'channels.pairing.dismiss': 'ChannelsPairingDismissParams',
  'web.login.start': 'WebLoginStartParams',
  'web.login.wait': 'WebLoginWaitParams',
  'device.pair.list': 'DevicePairListParams',
  'device.pair.approve': 'DevicePairApproveParams',
  'device.pair.reject': 'DevicePairRejectParams',
  'device.pair.remove': 'DevicePairRemoveParams',
  'device.token.rotate': 'DeviceTokenRotateParams',
  'device.token.revoke': 'DeviceTokenRevokeParams',
  'node.pair.list': 'NodePairListParams',
  'node.pair.approve': 'NodePairApproveParams',
  'node.pair.reject': 'NodePairRejectParams',
  'node.pair.remove': 'NodePairRemoveParams',
  'node.list': 'NodeListParams',
  'node.describe': 'NodeDescribeParams',
  'node.invoke': 'NodeInvokeParams',
  'node.invoke.result': 'NodeInvokeResultParams',
  'node.invoke.progress': 'NodeInvokeProgressParams',
  'node.event': 'NodeEventParams',
});

/**
 * Method → JSON pointer (into the published document) of its result schema. `health` has no named
 * definition; its shape is the snapshot's inline `health`. `system-presence` returns `PresenceEntry[]`.
 */
export const PUBLISHED_RESULTS: Readonly<Record<string, string>> = Object.freeze({
  connect: '#/definitions/HelloOk',
  health: '#/definitions/Snapshot/properties/health',
  'system-presence': '#/definitions/Snapshot/properties/presence',
  'channels.status': '#/definitions/ChannelsStatusResult',
  'channels.pairing.list': '#/definitions/ChannelsPairingListResult',
  'channels.pairing.approve': '#/definitions/ChannelsPairingApproveResult',
  'channels.pairing.dismiss': '#/definitions/ChannelsPairingDismissResult',
  'channels.pairing.reject': '#/definitions/ChannelsPairingDismissResult',
  'device.token.rotate': '#/definitions/DeviceTokenRotateResult',
  'node.event': '#/definitions/NodeEventResult',
});

/** Event → JSON pointer of its payload schema. `presence` wraps `PresenceEntry[]` as `{presence}`. */
export const PUBLISHED_EVENTS: Readonly<Record<string, string>> = Object.freeze({
  tick: '#/definitions/TickEvent',
  shutdown: '#/definitions/ShutdownEvent',
  health: '#/definitions/Snapshot/properties/health',
  agent: '#/definitions/AgentEvent',
  chat: '#/definitions/ChatEvent',
  'device.pair.requested': '#/definitions/DevicePairRequestedEvent',
  'device.pair.resolved': '#/definitions/DevicePairResolvedEvent',
  'node.invoke.request': '#/definitions/NodeInvokeRequestEvent',
});

/** Events whose payload is `{presence: <pointer>}`. */
export const PUBLISHED_PRESENCE_LIST = '#/definitions/Snapshot/properties/presence';
