import { Type, type Static } from 'typebox';
import { PAIRING_DECISIONS } from './devices.js';
import { Closed, LiteralUnion, NonEmptyString, NonNegativeInteger, NonNegativeNumber, StringMap } from './primitives.js';

// Nodes (spec §11; published `NodePair*Params`, `NodeListParams`, `NodeDescribeParams`, `NodeInvoke*Params`,
// `NodeEventParams`, `NodeEventResult`, `NodeInvokeRequestEvent`) and the node events.

export const NodePairListParams = Closed({});
export const NodePairApproveParams = Closed({ requestId: NonEmptyString() });
export const NodePairRejectParams = Closed({ requestId: NonEmptyString() });
export const NodePairRemoveParams = Closed({ nodeId: NonEmptyString() });
export const NodeListParams = Closed({});
export const NodeDescribeParams = Closed({ nodeId: NonEmptyString() });

/** Operator → gateway (spec §11.4). Not deduped. */
export const NodeInvokeParams = Closed({
  nodeId: NonEmptyString(),
  command: NonEmptyString(),
  params: Type.Optional(Type.Unknown()),
  timeoutMs: Type.Optional(NonNegativeInteger()),
  idempotencyKey: NonEmptyString(),
  sessionKey: Type.Optional(NonEmptyString()),
  turnSourceChannel: Type.Optional(Type.String()),
  turnSourceTo: Type.Optional(Type.String()),
  turnSourceAccountId: Type.Optional(Type.String()),
  turnSourceThreadId: Type.Optional(Type.Union([Type.String(), Type.Number()])),
});
export type NodeInvokeParams = Static<typeof NodeInvokeParams>;

/** Node → gateway: streaming chunk of a running invoke. */
export const NodeInvokeProgressParams = Closed({
  invokeId: NonEmptyString(),
  nodeId: NonEmptyString(),
  seq: NonNegativeInteger(),
  chunk: Type.String({ maxLength: 16384 }),
});
export type NodeInvokeProgressParams = Static<typeof NodeInvokeProgressParams>;

/** Node → gateway: the invoke's outcome. */
export const NodeInvokeResultParams = Closed({
  id: NonEmptyString(),
  nodeId: NonEmptyString(),
  ok: Type.Boolean(),
  payload: Type.Optional(Type.Unknown()),
  payloadJSON: Type.Optional(Type.String()),
  error: Type.Optional(Closed({
    code: Type.Optional(NonEmptyString()),
    message: Type.Optional(NonEmptyString()),
  })),
});
export type NodeInvokeResultParams = Static<typeof NodeInvokeResultParams>;

/** Node → gateway event (`node.host.stats`, `node.presence.*`, `exec.*`, …). */
export const NodeEventParams = Closed({
  event: NonEmptyString(),
  payload: Type.Optional(Type.Unknown()),
  payloadJSON: Type.Optional(Type.String()),
});
export type NodeEventParams = Static<typeof NodeEventParams>;

export const NodeEventResult = Closed({
  ok: Type.Boolean(),
  event: NonEmptyString(),
  handled: Type.Boolean(),
  /** e.g. `updated`, `unsupported_event`. */
  reason: Type.Optional(NonEmptyString()),
});
export type NodeEventResult = Static<typeof NodeEventResult>;

/** Gateway → node, direct (no frame `seq`): run a command. `timeoutMs` is the remaining deadline. */
export const NodeInvokeRequestEvent = Closed({
  id: NonEmptyString(),
  nodeId: NonEmptyString(),
  command: NonEmptyString(),
  paramsJSON: Type.Optional(Type.String()),
  timeoutMs: Type.Optional(NonNegativeInteger()),
  idempotencyKey: Type.Optional(NonEmptyString()),
});
export type NodeInvokeRequestEvent = Static<typeof NodeInvokeRequestEvent>;

/** `node.pair.requested` payload (spec §11.2, §15.1). No published schema. */
export const NodePairRequestedEvent = Closed({
  requestId: NonEmptyString(),
  nodeId: NonEmptyString(),
  clientId: Type.Optional(NonEmptyString()),
  clientMode: Type.Optional(NonEmptyString()),
  displayName: Type.Optional(NonEmptyString()),
  platform: Type.Optional(NonEmptyString()),
  version: Type.Optional(NonEmptyString()),
  deviceFamily: Type.Optional(NonEmptyString()),
  caps: Type.Array(NonEmptyString()),
  commands: Type.Array(NonEmptyString()),
  /** `["operator.pairing","operator.write"]`, plus `operator.admin` for admin-class commands. */
  requiredApproveScopes: Type.Array(NonEmptyString()),
  permissions: Type.Optional(StringMap(Type.Boolean())),
  silent: Type.Optional(Type.Boolean()),
  ts: NonNegativeInteger(),
});

/** `node.pair.resolved` payload. No published schema. */
export const NodePairResolvedEvent = Closed({
  requestId: NonEmptyString(),
  nodeId: NonEmptyString(),
  decision: LiteralUnion(PAIRING_DECISIONS),
  ts: NonNegativeInteger(),
});

/** Host statistics a node reports through `node.event {event:"node.host.stats"}` (spec §11.5). */
export const NodeHostStats = Closed({
  cpuCount: Type.Optional(Type.Integer({ minimum: 1 })),
  loadAverage: Type.Optional(Type.Array(NonNegativeNumber())),
  memoryTotalBytes: Type.Optional(NonNegativeInteger()),
  memoryFreeBytes: Type.Optional(NonNegativeInteger()),
  diskTotalBytes: Type.Optional(NonNegativeInteger()),
  diskAvailableBytes: Type.Optional(NonNegativeInteger()),
  updatedAtMs: NonNegativeInteger(),
});

/** `node.hostStats` payload (operators with `operator.read`). No published schema. */
export const NodeHostStatsEvent = Closed({
  nodeId: NonEmptyString(),
  hostStats: NodeHostStats,
});
