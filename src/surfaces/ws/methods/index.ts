import type { Call, Handler, MethodName, WsServices } from './types.js';
import { agent, agentWait } from './agent.js';
import { chatAbort, chatHistory, chatSend } from './chat.js';
import { messagesSubscribe, messagesUnsubscribe, sessionsList, sessionsReset, sessionsSubscribe } from './sessions.js';
import { send } from './send.js';
import { devicePairApprove, devicePairList, devicePairReject, devicePairRemove, deviceTokenRevoke, deviceTokenRotate } from './devices.js';
import { health, lastHeartbeat, status, systemPresence } from './system.js';
import { channelsLogout, channelsStart, channelsStatus, channelsStop } from './channels.js';
import { channelsPairingApprove, channelsPairingDismiss, channelsPairingList, channelsPairingReject } from './channel-pairing.js';
import { webLoginStart, webLoginWait } from './web-login.js';
import { nodeDescribe, nodeEvent, nodeInvoke, nodeInvokeProgress, nodeInvokeResult, nodeList } from './nodes.js';
import { inspectTicket } from './inspect.js';
import { nodePairApprove, nodePairList, nodePairReject, nodePairRemove } from './node-pairing.js';

/** One handler per WS method, under that method's name (a handler's `Call<M>` ties it to its own name). */
export type MethodHandlers = { readonly [M in MethodName]: Handler<M> };

// A missing method, or a handler under another method's name, does not compile.
const HANDLERS: MethodHandlers = {
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
  'sessions.reset': sessionsReset,
  'channels.status': channelsStatus,
  'channels.logout': channelsLogout,
  'channels.start': channelsStart,
  'channels.stop': channelsStop,
  'channels.pairing.list': channelsPairingList,
  'channels.pairing.approve': channelsPairingApprove,
  'channels.pairing.reject': channelsPairingReject,
  'channels.pairing.dismiss': channelsPairingDismiss,
  'web.login.start': webLoginStart,
  'web.login.wait': webLoginWait,
  'device.pair.list': devicePairList,
  'device.pair.approve': devicePairApprove,
  'device.pair.reject': devicePairReject,
  'device.pair.remove': devicePairRemove,
  'device.token.rotate': deviceTokenRotate,
  'device.token.revoke': deviceTokenRevoke,
  'node.list': nodeList,
  'node.describe': nodeDescribe,
  'node.invoke': nodeInvoke,
  'node.invoke.result': nodeInvokeResult,
  'node.invoke.progress': nodeInvokeProgress,
  'node.event': nodeEvent,
  'node.pair.list': nodePairList,
  'node.pair.approve': nodePairApprove,
  'node.pair.reject': nodePairReject,
  'node.pair.remove': nodePairRemove,
  'clawgate.inspect.ticket': inspectTicket,
};

/**
 * A handler as dispatch holds it. Dispatch calls it only for a request the connection machine has already
 * checked against its method's params schema (protocol/validators.ts), which is what makes the params a
 * `ParamsOf<M>`.
 */
export type CheckedHandler = (params: unknown, call: Call, ctx: WsServices) => unknown;

/** Every WS method Clawgate implements (advertised in hello-ok `features.methods`). A Map: it is looked up by
 *  the method name a client sends, which may be `constructor` or `__proto__`. */
export const METHODS: ReadonlyMap<string, CheckedHandler> = new Map(Object.entries(HANDLERS) as [string, CheckedHandler][]);

/** Events Clawgate can emit (hello-ok `features.events`). */
export const EVENTS = [
  'connect.challenge', 'tick', 'health', 'shutdown', 'presence', 'agent', 'chat', 'sessions.changed', 'session.message',
  'device.pair.requested', 'device.pair.resolved', 'node.pair.requested', 'node.pair.resolved', 'node.invoke.request', 'node.hostStats',
];
