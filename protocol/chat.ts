import { Type, type Static } from 'typebox';
import { InputProvenance } from './agent.js';
import { Closed, LiteralUnion, NonEmptyString, NonNegativeInteger, Nullable, Open, TypedStringEnum, StringMap } from './primitives.js';

// `chat.send`, `chat.history`, `chat.abort` and the `chat` event (spec §13; published `ChatSendParams`,
// `ChatHistoryParams`, `ChatAbortParams`, `ChatEvent` and its variants).

export const CHAT_QUEUE_MODES = ['steer', 'followup', 'collect', 'interrupt'] as const;
export const SESSION_PERMISSION_MODES = ['read-only', 'guarded', 'workspace', 'full'] as const;

/** One attachment; open like the published schema (extra keys allowed). `content` is base64. */
export const ChatAttachment = Open({
  type: Type.Optional(Type.String()),
  mimeType: Type.Optional(Type.String()),
  fileName: Type.Optional(Type.String()),
  content: Type.Optional(Type.Unknown()),
  sizeBytes: Type.Optional(Type.Number()),
  durationMs: Type.Optional(Type.Number()),
  width: Type.Optional(Type.Number()),
  height: Type.Optional(Type.Number()),
});

export const ChatSendIntent = Closed({
  kind: Type.Literal('session-goal-start'),
  version: Type.Literal(1),
  issuedAtMs: NonNegativeInteger(),
});

export const ChatToolOverrides = Closed({
  mcpServers: Type.Optional(StringMap(Type.Boolean())),
  mcpToolsDeny: Type.Optional(StringMap(Type.Array(NonEmptyString()))),
  skills: Type.Optional(StringMap(Type.Boolean())),
  webSearch: Type.Optional(Type.Boolean()),
});

export const ChatSendParams = Closed({
  sessionKey: NonEmptyString({ maxLength: 512 }),
  agentId: Type.Optional(NonEmptyString()),
  sessionId: Type.Optional(NonEmptyString()),
  message: Type.String(),
  intent: Type.Optional(ChatSendIntent),
  thinking: Type.Optional(Type.String()),
  fastMode: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('auto')])),
  fastAutoOnSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  /** followup (FIFO), collect (merged into one next turn), interrupt (cancel the running run); steer = followup. */
  queueMode: Type.Optional(TypedStringEnum(CHAT_QUEUE_MODES)),
  deliver: Type.Optional(Type.Boolean()),
  originatingChannel: Type.Optional(Type.String()),
  originatingTo: Type.Optional(Type.String()),
  originatingAccountId: Type.Optional(Type.String()),
  originatingThreadId: Type.Optional(Type.String()),
  replyToId: Type.Optional(NonEmptyString()),
  attachments: Type.Optional(Type.Array(ChatAttachment)),
  toolBindings: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 16 })),
  timeoutMs: Type.Optional(NonNegativeInteger()),
  systemInputProvenance: Type.Optional(InputProvenance),
  systemProvenanceReceipt: Type.Optional(Type.String()),
  suppressCommandInterpretation: Type.Optional(Type.Boolean()),
  expectedLeafEntryId: Type.Optional(Nullable(NonEmptyString())),
  expectedSessionRoutingContract: Type.Optional(NonEmptyString()),
  expectedPermissionMode: Type.Optional(Nullable(LiteralUnion(SESSION_PERMISSION_MODES))),
  expectedToolOverrides: Type.Optional(Nullable(ChatToolOverrides)),
  idempotencyKey: NonEmptyString(),
});
export type ChatSendParams = Static<typeof ChatSendParams>;

/** `chat.history` (spec §13.3). */
export const ChatHistoryParams = Closed({
  sessionKey: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
  cursor: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(NonNegativeInteger()),
  pendingBefore: Type.Optional(Type.Integer({ minimum: 1 })),
  inputRunIds: Type.Optional(Type.Array(NonEmptyString({ maxLength: 256 }), { minItems: 1, maxItems: 50, uniqueItems: true })),
  messageId: Type.Optional(NonEmptyString()),
  sessionId: Type.Optional(NonEmptyString()),
  maxChars: Type.Optional(Type.Integer({ minimum: 1, maximum: 500000 })),
});
export type ChatHistoryParams = Static<typeof ChatHistoryParams>;

/** `chat.abort` (spec §13.4). */
export const ChatAbortParams = Closed({
  sessionKey: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
  runId: Type.Optional(NonEmptyString()),
  preserveSideRuns: Type.Optional(Type.Boolean()),
});
export type ChatAbortParams = Static<typeof ChatAbortParams>;

/**
 * Startup phases of a `chat` `status` event. The spec also names `memory_flushing` (and a `retry` object);
 * neither is in the published schema, so Clawgate never sends them.
 */
export const CHAT_RUN_STARTUP_PHASES = [
  'preparing_workspace', 'naming_worktree', 'creating_worktree', 'running_setup', 'provisioning_environment',
  'preparing_context', 'starting_model',
] as const;

export const CHAT_ERROR_KINDS = ['refusal', 'timeout', 'rate_limit', 'context_length', 'unknown'] as const;

const chatBase = () => ({
  runId: NonEmptyString(),
  sessionKey: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
  spawnedBy: Type.Optional(NonEmptyString()),
  /** The run's agent `seq` (spec §13.2). */
  seq: NonNegativeInteger(),
});

export const ChatStatusEvent = Closed({
  ...chatBase(),
  state: Type.Literal('status'),
  phase: LiteralUnion(CHAT_RUN_STARTUP_PHASES),
});

export const ChatDeltaEvent = Closed({
  ...chatBase(),
  state: Type.Literal('delta'),
  /** Cumulative `{role:"assistant", content:[{type:"text", text}], timestamp}`. */
  message: Type.Optional(Type.Unknown()),
  deltaText: Type.String(),
  replace: Type.Optional(Type.Boolean()),
  usage: Type.Optional(Type.Unknown()),
});

export const ChatFinalEvent = Closed({
  ...chatBase(),
  state: Type.Literal('final'),
  message: Type.Optional(Type.Unknown()),
  usage: Type.Optional(Type.Unknown()),
  stopReason: Type.Optional(Type.String()),
  yielded: Type.Optional(Type.Literal(true)),
});

export const ChatAbortedEvent = Closed({
  ...chatBase(),
  state: Type.Literal('aborted'),
  message: Type.Optional(Type.Unknown()),
  errorMessage: Type.Optional(Type.String()),
  stopReason: Type.Optional(Type.String()),
});

export const ChatErrorDetail = Closed({
  provider: Type.Optional(Type.String({ maxLength: 300 })),
  model: Type.Optional(Type.String({ maxLength: 300 })),
  failoverReason: Type.Optional(Type.String({ maxLength: 300 })),
  providerRuntimeFailureKind: Type.Optional(Type.String({ maxLength: 300 })),
  providerErrorType: Type.Optional(Type.String({ maxLength: 300 })),
  httpStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
  providerErrorMessagePreview: Type.Optional(Type.String({ maxLength: 300 })),
});

export const ChatErrorEvent = Closed({
  ...chatBase(),
  state: Type.Literal('error'),
  message: Type.Optional(Type.Unknown()),
  errorMessage: Type.Optional(Type.String()),
  errorKind: Type.Optional(LiteralUnion(CHAT_ERROR_KINDS)),
  errorDetail: Type.Optional(ChatErrorDetail),
  usage: Type.Optional(Type.Unknown()),
  stopReason: Type.Optional(Type.String()),
});

/** `chat` event payload: one of the five states. */
export const ChatEvent = Type.Union([ChatStatusEvent, ChatDeltaEvent, ChatFinalEvent, ChatAbortedEvent, ChatErrorEvent]);
export type ChatEvent = Static<typeof ChatEvent>;
