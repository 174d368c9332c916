import { Type, type Static } from 'typebox';
import { EVENT_LOOP_DEGRADED_REASONS } from './health.js';
import { Closed, LiteralUnion, NonEmptyString, NonNegativeInteger, NonNegativeNumber, Nullable, Open, StringMap } from './primitives.js';

// `channels.status` (spec §7.3; published `ChannelsStatusParams`, `ChannelsStatusResult`).

export const ChannelsStatusParams = Closed({
  probe: Type.Optional(Type.Boolean()),
  timeoutMs: Type.Optional(NonNegativeInteger()),
  channel: Type.Optional(NonEmptyString()),
});
export type ChannelsStatusParams = Static<typeof ChannelsStatusParams>;

const nullableTime = () => Type.Optional(Nullable(NonNegativeInteger()));
const nullableString = () => Type.Optional(Nullable(Type.String()));

/** One channel account; open like the published schema. */
export const ChannelAccountSnapshot = Open({
  accountId: NonEmptyString(),
  name: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean()),
  configured: Type.Optional(Type.Boolean()),
  linked: Type.Optional(Type.Boolean()),
  running: Type.Optional(Type.Boolean()),
  connected: Type.Optional(Type.Boolean()),
  reconnectAttempts: Type.Optional(NonNegativeInteger()),
  lastConnectedAt: nullableTime(),
  lastError: nullableString(),
  healthState: Type.Optional(Type.String()),
  lastStartAt: nullableTime(),
  lastStopAt: nullableTime(),
  lastInboundAt: nullableTime(),
  lastOutboundAt: nullableTime(),
  lastTransportActivityAt: nullableTime(),
  busy: Type.Optional(Type.Boolean()),
  activeRuns: Type.Optional(NonNegativeInteger()),
  lastRunActivityAt: nullableTime(),
  activeRunStartedAt: nullableTime(),
  lastProbeAt: nullableTime(),
  mode: Type.Optional(Type.String()),
  dmPolicy: Type.Optional(Type.String()),
  allowFrom: Type.Optional(Type.Array(Type.String())),
  tokenSource: Type.Optional(Type.String()),
  botTokenSource: Type.Optional(Type.String()),
  appTokenSource: Type.Optional(Type.String()),
  credentialSource: nullableString(),
  audienceType: nullableString(),
  audience: nullableString(),
  webhookPath: nullableString(),
  webhookUrl: nullableString(),
  baseUrl: Type.Optional(Type.String()),
  allowUnmentionedGroups: Type.Optional(Type.Boolean()),
  cliPath: nullableString(),
  dbPath: nullableString(),
  port: Type.Optional(Nullable(NonNegativeInteger())),
  probe: Type.Optional(Type.Unknown()),
  audit: Type.Optional(Type.Unknown()),
  application: Type.Optional(Type.Unknown()),
});

export const ChannelMeta = Closed({
  id: NonEmptyString(),
  label: NonEmptyString(),
  detailLabel: NonEmptyString(),
  systemImage: Type.Optional(Type.String()),
});

/** Event-loop block of `channels.status`; unlike `health.eventLoop`, `intervalMs` is an integer here. */
export const ChannelsEventLoop = Closed({
  degraded: Type.Boolean(),
  degradedSinceMs: Type.Optional(Nullable(NonNegativeInteger())),
  reasons: Type.Array(LiteralUnion(EVENT_LOOP_DEGRADED_REASONS)),
  intervalMs: NonNegativeInteger(),
  delayP99Ms: NonNegativeNumber(),
  delayMaxMs: NonNegativeNumber(),
  utilization: NonNegativeNumber(),
  cpuCoreRatio: NonNegativeNumber(),
});

export const ChannelsStatusResult = Closed({
  ts: NonNegativeInteger(),
  channelOrder: Type.Array(NonEmptyString()),
  channelLabels: StringMap(NonEmptyString()),
  channelDetailLabels: Type.Optional(StringMap(NonEmptyString())),
  channelSystemImages: Type.Optional(StringMap(NonEmptyString())),
  channelMeta: Type.Optional(Type.Array(ChannelMeta)),
  channels: StringMap(Type.Unknown()),
  channelAccounts: StringMap(Type.Array(ChannelAccountSnapshot)),
  channelDefaultAccountId: StringMap(NonEmptyString()),
  eventLoop: Type.Optional(ChannelsEventLoop),
  partial: Type.Optional(Type.Boolean()),
  warnings: Type.Optional(Type.Array(Type.String())),
});
export type ChannelsStatusResult = Static<typeof ChannelsStatusResult>;

// `channels.start`, `channels.stop`, `channels.logout` (channels.md §5.1; published `Channels{Start,Stop,Logout}Params`).
// `accountId` is any string as published; empty means the channel's default account.

export const ChannelsStartParams = Closed({
  channel: NonEmptyString(),
  accountId: Type.Optional(Type.String()),
});
export type ChannelsStartParams = Static<typeof ChannelsStartParams>;

export const ChannelsStopParams = Closed({
  channel: NonEmptyString(),
  accountId: Type.Optional(Type.String()),
});
export type ChannelsStopParams = Static<typeof ChannelsStopParams>;

export const ChannelsLogoutParams = Closed({
  channel: NonEmptyString(),
  accountId: Type.Optional(Type.String()),
});
export type ChannelsLogoutParams = Static<typeof ChannelsLogoutParams>;
