import { Type, type Static } from 'typebox';
import { Closed, LiteralUnion, NonEmptyString, NonNegativeInteger } from './primitives.js';

// Device pairing and device tokens (spec §10; published `DevicePair*Params`, `DeviceToken*`,
// `DevicePairRequestedEvent`, `DevicePairResolvedEvent`).

export const DevicePairListParams = Closed({});
export const DevicePairApproveParams = Closed({ requestId: NonEmptyString() });
export const DevicePairRejectParams = Closed({ requestId: NonEmptyString() });
export const DevicePairRemoveParams = Closed({ deviceId: NonEmptyString() });

export const DeviceTokenRotateParams = Closed({
  deviceId: NonEmptyString(),
  role: NonEmptyString(),
  scopes: Type.Optional(Type.Array(NonEmptyString())),
});
export type DeviceTokenRotateParams = Static<typeof DeviceTokenRotateParams>;

export const DeviceTokenRevokeParams = Closed({
  deviceId: NonEmptyString(),
  role: NonEmptyString(),
});
export type DeviceTokenRevokeParams = Static<typeof DeviceTokenRevokeParams>;

const rotated = () => ({
  deviceId: NonEmptyString(),
  role: NonEmptyString(),
  scopes: Type.Array(NonEmptyString()),
  rotatedAtMs: NonNegativeInteger(),
});

/**
 * `device.token.rotate` result. The published schema expresses "token only with in-band delivery" with
 * allOf/anyOf/not; the same three cases as a union: the device's own token in-band, withheld for another
 * device, or neither field.
 */
export const DeviceTokenRotateResult = Type.Union([
  Closed({ ...rotated(), token: NonEmptyString(), tokenDelivery: Type.Literal('in-band') }),
  Closed({ ...rotated(), tokenDelivery: Type.Literal('withheld-cross-device') }),
  Closed({ ...rotated(), token: Type.Optional(NonEmptyString()) }),
]);
export type DeviceTokenRotateResult = Static<typeof DeviceTokenRotateResult>;

/** `device.pair.requested` payload (spec §15.1). */
export const DevicePairRequestedEvent = Closed({
  requestId: NonEmptyString(),
  deviceId: NonEmptyString(),
  publicKey: NonEmptyString(),
  displayName: Type.Optional(NonEmptyString()),
  platform: Type.Optional(NonEmptyString()),
  deviceFamily: Type.Optional(NonEmptyString()),
  clientId: Type.Optional(NonEmptyString()),
  clientMode: Type.Optional(NonEmptyString()),
  browserOrigin: Type.Optional(NonEmptyString()),
  role: Type.Optional(NonEmptyString()),
  roles: Type.Optional(Type.Array(NonEmptyString())),
  scopes: Type.Optional(Type.Array(NonEmptyString())),
  remoteIp: Type.Optional(NonEmptyString()),
  silent: Type.Optional(Type.Boolean()),
  isRepair: Type.Optional(Type.Boolean()),
  ts: NonNegativeInteger(),
});

export const PAIRING_DECISIONS = ['approved', 'rejected'] as const;

/** `device.pair.resolved` payload. The published `decision` is any non-empty string; Clawgate sends these two. */
export const DevicePairResolvedEvent = Closed({
  requestId: NonEmptyString(),
  deviceId: NonEmptyString(),
  decision: LiteralUnion(PAIRING_DECISIONS),
  ts: NonNegativeInteger(),
});
