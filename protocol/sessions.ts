import { Type, type Static } from 'typebox';
import { Closed, LiteralUnion, NonEmptyString, NonNegativeInteger, Nullable } from './primitives.js';

// Sessions (spec §7.3, §13.5; published `SessionsListParams`, `SessionsMessagesSubscribeParams`,
// `SessionsMessagesUnsubscribeParams`, `SessionRow`) and the session events.

export const SessionsListParams = Closed({
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  offset: Type.Optional(NonNegativeInteger()),
  activeMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
  requireLastInteraction: Type.Optional(Type.Boolean()),
  sortBy: Type.Optional(LiteralUnion(['updatedAt', 'lastInteractionAt'])),
  includeGlobal: Type.Optional(Type.Boolean()),
  includeUnknown: Type.Optional(Type.Boolean()),
  configuredAgentsOnly: Type.Optional(Type.Boolean()),
  includeDerivedTitles: Type.Optional(Type.Boolean()),
  includeLastMessage: Type.Optional(Type.Boolean()),
  label: Type.Optional(NonEmptyString({ maxLength: 512 })),
  boardFace: Type.Optional(LiteralUnion(['chat', 'dashboard'])),
  creatorId: Type.Optional(NonEmptyString()),
  ownerId: Type.Optional(NonEmptyString()),
  ownerFirst: Type.Optional(Type.Boolean()),
  involvingMe: Type.Optional(Type.Boolean()),
  involvingProfileId: Type.Optional(NonEmptyString()),
  includePeople: Type.Optional(Type.Boolean()),
  spawnedBy: Type.Optional(NonEmptyString()),
  agentId: Type.Optional(NonEmptyString()),
  search: Type.Optional(Type.String()),
  archived: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('all')])),
});
export type SessionsListParams = Static<typeof SessionsListParams>;

/**
 * `sessions.subscribe`: `{}` or list params (spec §7.3); with list params the result also carries `list`.
 * Not in the published schema, which has no params definition for this method.
 */
export const SessionsSubscribeParams = SessionsListParams;

export const SessionsMessagesSubscribeParams = Closed({
  key: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
  includeApprovals: Type.Optional(Type.Literal(true)),
});
export type SessionsMessagesSubscribeParams = Static<typeof SessionsMessagesSubscribeParams>;

export const SessionsMessagesUnsubscribeParams = Closed({
  key: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
});
export type SessionsMessagesUnsubscribeParams = Static<typeof SessionsMessagesUnsubscribeParams>;

/** `sessions.reset` (published `SessionsResetParams`): empty the model context of session `key`. */
export const SessionsResetParams = Closed({
  key: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
  reason: Type.Optional(LiteralUnion(['new', 'reset'])),
});
export type SessionsResetParams = Static<typeof SessionsResetParams>;

/**
 * `sessions.reset` result (Clawgate's; the published schema has none): the session, when the reset took
 * effect (the transcript marker's time), and the run still running with its old context, if any.
 */
export const SessionsResetResult = Closed({
  ok: Type.Literal(true),
  key: Type.String(),
  resetAt: Type.Number(),
  runInFlight: Type.Optional(Type.String()),
});
export type SessionsResetResult = Static<typeof SessionsResetResult>;

export const SESSION_KINDS = ['direct', 'group', 'global', 'unknown'] as const;
export const SESSION_CHAT_TYPES = ['direct', 'group', 'channel'] as const;
export const SESSION_RUN_STATUSES = ['queued', 'running', 'done', 'failed', 'killed', 'timeout'] as const;

/**
 * The session row Clawgate emits (spec §7.3 `sessions.list`). A closed subset of the published `SessionRow`
 * (which is open and much larger); field types match the published ones.
 */
export const SessionRow = Closed({
  key: Type.String(),
  sessionId: Type.Optional(Type.String()),
  kind: LiteralUnion(SESSION_KINDS),
  label: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  derivedTitle: Type.Optional(Type.String()),
  lastMessagePreview: Type.Optional(Type.String()),
  channel: Type.Optional(Type.String()),
  agentId: Type.Optional(NonEmptyString()),
  accountId: Type.Optional(NonEmptyString()),
  isMain: Type.Optional(Type.Boolean()),
  chatType: Type.Optional(LiteralUnion(SESSION_CHAT_TYPES)),
  updatedAt: Type.Optional(Nullable(Type.Number())),
  lastActivityAt: Type.Optional(Type.Number()),
  lastInteractionAt: Type.Optional(Type.Number()),
  status: Type.Optional(LiteralUnion(SESSION_RUN_STATUSES)),
  lastRunError: Type.Optional(Type.String()),
  lastRunId: Type.Optional(NonEmptyString()),
  createdAt: Type.Optional(Type.Number()),
  inputTokens: Type.Optional(Type.Number()),
  outputTokens: Type.Optional(Type.Number()),
  totalTokens: Type.Optional(Type.Number()),
  model: Type.Optional(Type.String()),
  modelProvider: Type.Optional(Type.String()),
});
export type SessionRow = Static<typeof SessionRow>;

/** `sessions.changed` payload (spec §13.5); only to sockets that called `sessions.subscribe`. */
export const SessionsChangedEvent = Closed({
  sessionKey: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
  /** e.g. `participants`, `agent.run.started`, `agent.input.settled`. */
  reason: Type.Optional(NonEmptyString()),
  /** e.g. `start`, `model`, `end`, `error`. */
  phase: Type.Optional(NonEmptyString()),
  runId: Type.Optional(NonEmptyString()),
  ts: NonNegativeInteger(),
  session: Type.Optional(SessionRow),
});

/** `session.message` payload (spec §13.5); only after `sessions.messages.subscribe {key}`. */
export const SessionMessageEvent = Closed({
  sessionKey: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
  /** Transcript entry `{role, content:[…], timestamp, __openclaw:{…}}`. */
  message: Type.Unknown(),
  messageId: Type.Optional(NonEmptyString()),
  messageSeq: Type.Optional(NonNegativeInteger()),
  session: Type.Optional(SessionRow),
  senderIsOwner: Type.Optional(Type.Boolean()),
});
