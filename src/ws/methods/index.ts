import type { Handler } from './types.js';
import { agent, agentWait } from './agent.js';
import { chatAbort, chatHistory, chatSend } from './chat.js';
import { messagesSubscribe, messagesUnsubscribe, sessionsList, sessionsSubscribe } from './sessions.js';
import { send } from './send.js';
import { devicePairApprove, devicePairList, devicePairReject, devicePairRemove, deviceTokenRevoke, deviceTokenRotate } from './devices.js';
import { channelsStatus, health, lastHeartbeat, status, systemPresence } from './system.js';

/** Every WS method Clawgate implements (advertised in hello-ok `features.methods`). */
export const METHODS: Readonly<Record<string, Handler>> = {
  health,
  status,
  'system-presence': systemPresence,
  'last-heartbeat': lastHeartbeat,
  send,
  agent,
  'agent.wait': agentWait,
  'chat.send': chatSend,
  'chat.history': chatHistory,
  'chat.abort': chatAbort,
  'sessions.list': sessionsList,
  'sessions.subscribe': sessionsSubscribe,
  'sessions.messages.subscribe': messagesSubscribe,
  'sessions.messages.unsubscribe': messagesUnsubscribe,
  'channels.status': channelsStatus,
  'device.pair.list': devicePairList,
  'device.pair.approve': devicePairApprove,
  'device.pair.reject': devicePairReject,
  'device.pair.remove': devicePairRemove,
  'device.token.rotate': deviceTokenRotate,
  'device.token.revoke': deviceTokenRevoke,
};

/** Events Clawgate can emit (hello-ok `features.events`). */
export const EVENTS = [
  'connect.challenge', 'tick', 'health', 'shutdown', 'presence', 'agent', 'chat', 'sessions.changed', 'session.message',
  'device.pair.requested', 'device.pair.resolved',
];
