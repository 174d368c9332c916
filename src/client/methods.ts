import type { MethodParams, MethodResults } from '../../protocol/index.js';
import type { ChatAbortResult, ChatHistoryResult, ChatSendAck, SessionsListResult } from '../../protocol/clawgate-results.js';

// The typed method map of the client (spec web-surfaces K2): every operator method of protocol/'s
// METHOD_PARAMS (not `connect`) plus `clawgate.inspect.ticket`. Types only, so a browser bundle carries no
// TypeBox; results without a published schema come from protocol/clawgate-results.ts.

export type { ChatAbortResult, ChatHistoryResult, ChatSendAck, SessionsListResult };

/** `clawgate.inspect.ticket`'s answer: a single-use ticket for the inspector stream. */
export interface InspectTicketResult {
  ticket: string;
  [key: string]: unknown;
}

/** Results typed here because the published schema has none. */
interface ClawgateResults {
  'chat.send': ChatSendAck;
  'chat.history': ChatHistoryResult;
  'chat.abort': ChatAbortResult;
  'sessions.list': SessionsListResult;
}

/** The operator methods of METHOD_PARAMS. */
type OperatorMethod = Exclude<keyof MethodParams, 'connect'>;

/** Method → `{params, result}` for every method a client session can call. */
export type GatewayMethods = {
  [M in OperatorMethod]: {
    params: MethodParams[M];
    result: M extends keyof MethodResults ? MethodResults[M] : M extends keyof ClawgateResults ? ClawgateResults[M] : unknown;
  };
} & {
  'clawgate.inspect.ticket': { params: Record<string, never>; result: InspectTicketResult };
};

/** A method name the client knows. */
export type GatewayMethod = keyof GatewayMethods;

/** The params of `M`. */
export type ParamsOf<M extends GatewayMethod> = GatewayMethods[M]['params'];

/** The result of `M`. */
export type ResultOf<M extends GatewayMethod> = GatewayMethods[M]['result'];

/** Every method of GatewayMethods, at run time (a test compares it with METHOD_PARAMS). */
export const GATEWAY_METHODS = [
  'health', 'status', 'system-presence', 'last-heartbeat', 'send', 'agent', 'agent.wait', 'chat.send',
  'chat.history', 'chat.abort', 'sessions.list', 'sessions.subscribe', 'sessions.messages.subscribe',
  'sessions.messages.unsubscribe', 'sessions.reset', 'channels.status', 'channels.logout', 'channels.start',
  'channels.stop', 'channels.pairing.list', 'channels.pairing.approve', 'channels.pairing.reject',
  'channels.pairing.dismiss', 'device.pair.list', 'device.pair.approve', 'device.pair.reject', 'device.pair.remove',
  'device.token.rotate', 'device.token.revoke', 'node.pair.list', 'node.pair.approve', 'node.pair.reject',
  'node.pair.remove', 'node.list', 'node.describe', 'node.invoke', 'node.invoke.result', 'node.invoke.progress',
  'node.event', 'web.login.start', 'web.login.wait', 'clawgate.inspect.ticket',
] as const satisfies readonly GatewayMethod[];

// the list names every method of the map (a method added to METHOD_PARAMS fails to type-check until listed)
type Unlisted = Exclude<GatewayMethod, (typeof GATEWAY_METHODS)[number]>;
const everyMethodListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyMethodListed;
