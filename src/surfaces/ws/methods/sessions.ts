import { sessionRow } from '../session-row.js';
import type { Handler } from './types.js';

// sessions.list and the subscriptions that gate `sessions.changed` and `session.message`.

export const sessionsList: Handler = (params: { limit?: number; offset?: number }, _call, ctx) => {
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
};

export const sessionsSubscribe: Handler = (params: Record<string, unknown>, call, ctx) => {
  call.conn.sessionsSubscribed = true;
  return Object.keys(params ?? {}).length > 0 ? { subscribed: true, list: sessionsList(params, call, ctx) } : { subscribed: true };
};

export const messagesSubscribe: Handler = (params: { key: string }, call) => {
  call.conn.messageKeys.add(params.key);
  return { subscribed: true, key: params.key };
};

export const messagesUnsubscribe: Handler = (params: { key: string }, call) => {
  call.conn.messageKeys.delete(params.key);
  return { subscribed: false, key: params.key };
};
