import { Type, type Static, type TSchema } from 'typebox';
import { SessionRow } from './sessions.js';
import { Closed, NonEmptyString, NonNegativeInteger, Nullable, Open } from './primitives.js';

// Results the published OpenClaw schema does not define, as Clawgate sends them (web-surfaces K2): the
// `chat.send` ack, `chat.history`, `chat.abort` and `sessions.list`. The typed client takes its result types
// from here; server tests validate real answers against these schemas. Not part of the published comparison.

/** `chat.send`'s answer: `started` for a new run; `in_flight` or `ok` for a repeated idempotency key (§14). */
export const ChatSendAck = Closed({
  runId: NonEmptyString(),
  status: Type.Union([Type.Literal('started'), Type.Literal('in_flight'), Type.Literal('ok')]),
});
export type ChatSendAck = Static<typeof ChatSendAck>;

/** A transcript entry as `chat.history` and `session.message` carry it (spec §13.3). */
export const TranscriptEntry = Open({
  role: NonEmptyString(),
  content: Type.Array(Open({ type: NonEmptyString(), text: Type.Optional(Type.String()) })),
  timestamp: Type.Optional(Type.Number()),
});

/** `chat.history`'s answer: one page of the transcript, the pending inputs and the run in flight. */
export const ChatHistoryResult = Closed({
  sessionKey: NonEmptyString(),
  sessionId: Type.Optional(NonEmptyString()),
  messages: Type.Array(TranscriptEntry),
  pendingInputs: Type.Optional(Closed({
    items: Type.Array(Closed({ runId: NonEmptyString(), text: Type.String(), queuedAt: Type.Optional(Type.Number()) })),
    total: NonNegativeInteger(),
  })),
  hasMore: Type.Optional(Type.Boolean()),
  totalMessages: Type.Optional(NonNegativeInteger()),
  inFlightRun: Type.Optional(Closed({ runId: NonEmptyString() })),
});
export type ChatHistoryResult = Static<typeof ChatHistoryResult>;

/** `chat.abort`'s answer: the runs it cancelled. */
export const ChatAbortResult = Closed({
  ok: Type.Literal(true),
  aborted: Type.Boolean(),
  runIds: Type.Array(NonEmptyString()),
});
export type ChatAbortResult = Static<typeof ChatAbortResult>;

/** `sessions.list`'s answer: one page of the session index, newest first. */
export const SessionsListResult = Closed({
  ts: NonNegativeInteger(),
  path: Type.Optional(Type.String()),
  count: NonNegativeInteger(),
  totalCount: Type.Optional(NonNegativeInteger()),
  limitApplied: Type.Optional(NonNegativeInteger()),
  nextOffset: Type.Optional(Nullable(NonNegativeInteger())),
  hasMore: Type.Optional(Type.Boolean()),
  owners: Type.Optional(Type.Array(Type.Unknown())),
  defaults: Type.Optional(Closed({ defaultAgentId: NonEmptyString(), mainKey: NonEmptyString(), mainSessionKey: NonEmptyString() })),
  sessions: Type.Array(SessionRow),
});
export type SessionsListResult = Static<typeof SessionsListResult>;

/** Method → Clawgate result schema, for the methods above (`clawgate.inspect.ticket` has its own). */
export const CLAWGATE_RESULTS: Readonly<Record<string, TSchema>> = Object.freeze({
  'chat.send': ChatSendAck,
  'chat.history': ChatHistoryResult,
  'chat.abort': ChatAbortResult,
  'sessions.list': SessionsListResult,
});
