import { Type, type Static } from 'typebox';
import { Closed, NonEmptyString, NonNegativeInteger, StringMap, TypedStringEnum } from './primitives.js';

// Channel DM pairing (channels.md §5.1, §5.3; published `ChannelsPairing{List,Approve,Dismiss}{Params,Result}`).
// Deliberately wider params than published: `accountId` may be left out (the channel's default account) and
// the request may be named by `code` instead of `requestId` (they are equal); the handler requires one of them.
// `channels.pairing.reject` is Clawgate's name for `channels.pairing.dismiss`, with the same params.

export const ChannelsPairingListParams = Closed({
  channel: Type.Optional(NonEmptyString()),
  accountId: Type.Optional(NonEmptyString()),
});
export type ChannelsPairingListParams = Static<typeof ChannelsPairingListParams>;

export const ChannelsPairingApproveParams = Closed({
  channel: NonEmptyString(),
  accountId: Type.Optional(NonEmptyString()),
  requestId: Type.Optional(NonEmptyString()),
  code: Type.Optional(NonEmptyString()),
  notify: Type.Optional(Type.Boolean()),
  /** Accepted and ignored: the first approval of an account always bootstraps its owner. */
  bootstrapCommandOwner: Type.Optional(Type.Boolean()),
});
export type ChannelsPairingApproveParams = Static<typeof ChannelsPairingApproveParams>;

export const ChannelsPairingDismissParams = Closed({
  channel: NonEmptyString(),
  accountId: Type.Optional(NonEmptyString()),
  requestId: Type.Optional(NonEmptyString()),
  code: Type.Optional(NonEmptyString()),
});
export type ChannelsPairingDismissParams = Static<typeof ChannelsPairingDismissParams>;

export const ChannelsPairingAccount = Closed({
  channel: NonEmptyString(),
  channelLabel: NonEmptyString(),
  accountId: NonEmptyString(),
  accountLabel: Type.Optional(NonEmptyString()),
  notifySupported: Type.Boolean(),
});

export const ChannelsPairingRequest = Closed({
  requestId: NonEmptyString(),
  channel: NonEmptyString(),
  channelLabel: NonEmptyString(),
  accountId: NonEmptyString(),
  accountLabel: Type.Optional(NonEmptyString()),
  senderId: NonEmptyString(),
  senderLabel: NonEmptyString(),
  metadata: Type.Optional(StringMap(Type.String())),
  /** ISO-8601. */
  createdAt: NonEmptyString(),
  lastSeenAt: NonEmptyString(),
  expiresAt: NonEmptyString(),
  notifySupported: Type.Boolean(),
});

export const ChannelsPairingListResult = Closed({
  accounts: Type.Array(ChannelsPairingAccount),
  requests: Type.Array(ChannelsPairingRequest),
  commandOwnerConfigured: Type.Boolean(),
  limits: Closed({ pendingPerAccount: NonNegativeInteger(), ttlMs: NonNegativeInteger() }),
});
export type ChannelsPairingListResult = Static<typeof ChannelsPairingListResult>;

export const ChannelsPairingApproveResult = Closed({
  requestId: NonEmptyString(),
  senderId: NonEmptyString(),
  notification: TypedStringEnum(['not-requested', 'sent']),
  commandOwnerBootstrap: TypedStringEnum(['configured', 'already-configured']),
});
export type ChannelsPairingApproveResult = Static<typeof ChannelsPairingApproveResult>;

export const ChannelsPairingDismissResult = Closed({
  requestId: NonEmptyString(),
  senderId: NonEmptyString(),
});
export type ChannelsPairingDismissResult = Static<typeof ChannelsPairingDismissResult>;
