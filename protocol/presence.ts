import { Type, type Static } from 'typebox';
import { Closed, NonEmptyString, NonNegativeInteger } from './primitives.js';

// Presence (spec §5.2; published `PresenceEntry` plus the 2026.9.6 `clientId` addition).

export const PresenceUser = Closed({
  id: NonEmptyString(),
  identity: Type.Optional(Closed({ type: Type.Literal('profile'), id: NonEmptyString() })),
  email: Type.Optional(NonEmptyString()),
  name: Type.Optional(NonEmptyString()),
  avatarUrl: Type.Optional(NonEmptyString()),
});

export const PresenceEntry = Closed({
  host: Type.Optional(NonEmptyString()),
  /** 2026.9.6 addition (spec §2): the connecting client's `client.id`. */
  clientId: Type.Optional(NonEmptyString()),
  ip: Type.Optional(NonEmptyString()),
  version: Type.Optional(NonEmptyString()),
  platform: Type.Optional(NonEmptyString()),
  deviceFamily: Type.Optional(NonEmptyString()),
  modelIdentifier: Type.Optional(NonEmptyString()),
  timeZone: Type.Optional(NonEmptyString()),
  mode: Type.Optional(NonEmptyString()),
  lastInputSeconds: Type.Optional(NonNegativeInteger()),
  reason: Type.Optional(NonEmptyString()),
  tags: Type.Optional(Type.Array(NonEmptyString())),
  text: Type.Optional(Type.String()),
  ts: NonNegativeInteger(),
  onlineSince: Type.Optional(NonNegativeInteger()),
  lastActivityAt: Type.Optional(NonNegativeInteger()),
  deviceId: Type.Optional(NonEmptyString()),
  roles: Type.Optional(Type.Array(NonEmptyString())),
  scopes: Type.Optional(Type.Array(NonEmptyString())),
  instanceId: Type.Optional(NonEmptyString()),
  user: Type.Optional(PresenceUser),
  watchedSessions: Type.Optional(Type.Array(NonEmptyString())),
});
export type PresenceEntry = Static<typeof PresenceEntry>;

/** `system-presence` params (`{}`) and result. */
export const SystemPresenceParams = Closed({});
export const SystemPresenceResult = Type.Array(PresenceEntry);

/** `presence` event payload (spec §15.1). The frame carries `stateVersion`. */
export const PresenceEvent = Closed({
  presence: Type.Array(PresenceEntry),
});
