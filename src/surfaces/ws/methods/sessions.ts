import type { SessionsListParams } from '../../../../protocol/sessions.js';
import { sessionRow } from '../session-row.js';
import { resetSessionContext } from '../../../inbound/session-reset.js';
import { addMessageKey, deleteMessageKey } from '../../../actors/connection-hub.js';
import { invalidRequest, type Handler, type WsServices } from './types.js';

// sessions.list and the subscriptions that gate `sessions.changed` and `session.message`.

/** One page of the session index (sessions.list, and sessions.subscribe with list params). */
function listSessions(params: SessionsListParams, ctx: WsServices) {
  const offset = params.offset ?? 0;
  const limit = params.limit ?? 100;
  const page = ctx.transcripts.sessions({ limit, offset }); // one page read from the index, never the whole list
  const total = ctx.transcripts.sessionCount();
  const next = offset + page.length;
  return {
    ts: Date.now(), path: ctx.info.stateDir, count: page.length, totalCount: total, limitApplied: limit,
    nextOffset: next < total ? next : null, hasMore: next < total, owners: [],
    defaults: { defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main' },
    sessions: page.map(sessionRow),
  };
}

/** `sessions.list`: one page of sessions, newest first. */
export const sessionsList: Handler<'sessions.list'> = (params, _call, ctx) => listSessions(params, ctx);

/** `sessions.subscribe`: turn on `sessions.changed` for this socket; with list params, also answer the list. */
export const sessionsSubscribe: Handler<'sessions.subscribe'> = (params, call, ctx) => {
  call.conn.sessionsSubscribed = true;
  return Object.keys(params).length > 0 ? { subscribed: true, list: listSessions(params, ctx) } : { subscribed: true };
};

/** `sessions.messages.subscribe`: turn on `session.message` for one session key. */
export const messagesSubscribe: Handler<'sessions.messages.subscribe'> = (params, call) => {
  addMessageKey(call.conn, params.key);
  return { subscribed: true, key: params.key };
};

/** `sessions.messages.unsubscribe`: turn `session.message` off for one session key. */
export const messagesUnsubscribe: Handler<'sessions.messages.unsubscribe'> = (params, call) => {
  deleteMessageKey(call.conn, params.key);
  return { subscribed: false, key: params.key };
};

/**
 * `sessions.reset`: empty the session's model context (a marker in the transcript; inbound/session-reset.ts).
 * A running run is not cancelled; the reset applies from the next run. An unknown session is INVALID_REQUEST.
 */
export const sessionsReset: Handler<'sessions.reset'> = (params, _call, ctx) => {
  const key = params.key.trim();
  const answer = (reset: { resetAt: number; runInFlight?: string } | undefined) => {
    if (!reset) throw invalidRequest(`session not found: ${params.key}`);
    return { ok: true as const, key, resetAt: reset.resetAt, ...(reset.runInFlight ? { runInFlight: reset.runInFlight } : {}) };
  };
  // cluster mode: reset on the session's owner, in the session's history in the cluster
  if (key !== '' && ctx.clusterRuns) return ctx.clusterRuns.resetSession(key).then(answer);
  const reset = key === '' ? undefined : resetSessionContext({ transcripts: ctx.transcripts, sessions: ctx.sessions }, key);
  return answer(reset && { resetAt: reset.marker.timestamp, ...(reset.runInFlight ? { runInFlight: reset.runInFlight } : {}) });
};
