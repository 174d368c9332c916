import { Type, type Static } from 'typebox';
import { Closed, LiteralUnion, NonEmptyString, NonNegativeInteger, TypedStringEnum, StringMap } from './primitives.js';

// `agent`, `agent.wait` and the `agent` event (spec §12; published `AgentParams`, `AgentWaitParams`,
// `AgentEvent`). The params accept every published field; Clawgate acts on a few and ignores the rest.

export const INPUT_PROVENANCE_KINDS = ['external_user', 'inter_session', 'internal_system'] as const;

/** Where a turn's input came from (published `InputProvenance`); shared with `chat.send`. */
export const InputProvenance = Closed({
  kind: TypedStringEnum(INPUT_PROVENANCE_KINDS),
  originSessionId: Type.Optional(Type.String()),
  sourceSessionKey: Type.Optional(Type.String()),
  sourceChannel: Type.Optional(Type.String()),
  sourceTool: Type.Optional(Type.String()),
});

export const AgentInternalEventAttachment = Closed({
  type: Type.Optional(TypedStringEnum(['image', 'audio', 'video', 'file'])),
  path: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
  mediaUrl: Type.Optional(Type.String()),
  filePath: Type.Optional(Type.String()),
  mimeType: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  sizeBytes: Type.Optional(Type.Number()),
  durationMs: Type.Optional(Type.Number()),
  width: Type.Optional(Type.Number()),
  height: Type.Optional(Type.Number()),
});

/** A background task's completion announced into a run (`internalEvents[]`). */
export const AgentInternalEvent = Closed({
  type: Type.Literal('task_completion'),
  source: TypedStringEnum(['subagent', 'cron', 'image_generation', 'video_generation', 'music_generation']),
  childSessionKey: Type.String(),
  childSessionId: Type.Optional(Type.String()),
  announceType: Type.String(),
  taskLabel: Type.String(),
  status: TypedStringEnum(['ok', 'timeout', 'error', 'unknown']),
  statusLabel: Type.String(),
  result: Type.String(),
  modelRouteChange: Type.Optional(Type.String()),
  attachments: Type.Optional(Type.Array(AgentInternalEventAttachment)),
  mediaUrls: Type.Optional(Type.Array(Type.String())),
  statsLine: Type.Optional(Type.String()),
  replyInstruction: Type.String(),
});

export const AgentParams = Closed({
  message: NonEmptyString(),
  agentId: Type.Optional(NonEmptyString()),
  provider: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
  replyTo: Type.Optional(Type.String()),
  sessionId: Type.Optional(Type.String()),
  sessionKey: Type.Optional(Type.String()),
  expectedExistingSessionId: Type.Optional(NonEmptyString()),
  thinking: Type.Optional(Type.String()),
  deliver: Type.Optional(Type.Boolean()),
  attachments: Type.Optional(Type.Array(Type.Unknown())),
  channel: Type.Optional(Type.String()),
  replyChannel: Type.Optional(Type.String()),
  accountId: Type.Optional(Type.String()),
  replyAccountId: Type.Optional(Type.String()),
  threadId: Type.Optional(Type.String()),
  groupId: Type.Optional(Type.String()),
  groupChannel: Type.Optional(Type.String()),
  groupSpace: Type.Optional(Type.String()),
  /** Seconds. */
  timeout: Type.Optional(NonNegativeInteger()),
  bestEffortDeliver: Type.Optional(Type.Boolean()),
  lane: Type.Optional(Type.String()),
  cwd: Type.Optional(NonEmptyString()),
  cleanupBundleMcpOnRunEnd: Type.Optional(Type.Boolean()),
  modelRun: Type.Optional(Type.Boolean()),
  promptMode: Type.Optional(LiteralUnion(['full', 'minimal', 'none'])),
  extraSystemPrompt: Type.Optional(Type.String()),
  bootstrapContextMode: Type.Optional(LiteralUnion(['full', 'lightweight'])),
  bootstrapContextRunKind: Type.Optional(LiteralUnion(['default', 'heartbeat', 'cron'])),
  acpTurnSource: Type.Optional(Type.Literal('manual_spawn')),
  internalRuntimeHandoffId: Type.Optional(NonEmptyString()),
  internalExecutionIdentityRetry: Type.Optional(Type.Boolean()),
  internalExecutionIdentityRecoveryAttempt: Type.Optional(Type.Integer({ minimum: 1 })),
  execApprovalFollowupExpectedSessionId: Type.Optional(NonEmptyString()),
  internalEvents: Type.Optional(Type.Array(AgentInternalEvent)),
  inputProvenance: Type.Optional(InputProvenance),
  suppressPromptPersistence: Type.Optional(Type.Boolean()),
  sessionEffects: Type.Optional(LiteralUnion(['visible', 'internal'])),
  sourceReplyDeliveryMode: Type.Optional(LiteralUnion(['automatic', 'message_tool_only'])),
  disableMessageTool: Type.Optional(Type.Boolean()),
  swarmCollector: Type.Optional(Type.Boolean()),
  swarmOutputSchema: Type.Optional(StringMap(Type.Unknown())),
  forceRestartSafeTools: Type.Optional(Type.Boolean()),
  forceCodeModeTools: Type.Optional(Type.Boolean()),
  voiceWakeTrigger: Type.Optional(Type.String()),
  idempotencyKey: NonEmptyString(),
  label: Type.Optional(NonEmptyString({ maxLength: 512 })),
});
export type AgentParams = Static<typeof AgentParams>;

/** `agent.wait` (spec §12.3); `timeoutMs` defaults to 30 000. */
export const AgentWaitParams = Closed({
  runId: NonEmptyString(),
  timeoutMs: Type.Optional(NonNegativeInteger()),
});
export type AgentWaitParams = Static<typeof AgentWaitParams>;

/**
 * `agent` event payload (spec §12.2). `seq` is per run, from 1. `sessionKey`, `sessionId`, `agentId` are the
 * 2026.9.6 additions (spec §2). The spec's `lane` is not in the published schema and is never sent.
 */
export const AgentEvent = Closed({
  runId: NonEmptyString(),
  seq: NonNegativeInteger(),
  stream: NonEmptyString(),
  ts: NonNegativeInteger(),
  sessionKey: Type.Optional(NonEmptyString()),
  sessionId: Type.Optional(NonEmptyString()),
  agentId: Type.Optional(NonEmptyString()),
  spawnedBy: Type.Optional(NonEmptyString()),
  isHeartbeat: Type.Optional(Type.Boolean()),
  data: StringMap(Type.Unknown()),
});
export type AgentEvent = Static<typeof AgentEvent>;
