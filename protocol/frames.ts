import { Type, type Static } from 'typebox';
import { StateVersion } from './hello.js';
import { Closed, NonEmptyString, NonNegativeInteger } from './primitives.js';

// Frames (spec §2; published `RequestFrame`, `ResponseFrame`, `EventFrame`, `ErrorShape`). All closed.
// `params`, `payload` and `details` are unknown here; each method/event has its own schema.

export const ErrorShape = Closed({
  code: NonEmptyString(),
  message: NonEmptyString(),
  details: Type.Optional(Type.Unknown()),
  retryable: Type.Optional(Type.Boolean()),
  retryAfterMs: Type.Optional(NonNegativeInteger()),
});
export type ErrorShape = Static<typeof ErrorShape>;

/**
 * Inbound request. `expectedProfileId` (spec §2) is not in the published 2026.9.1 frame but is accepted, and
 * ignored, so a newer client is not rejected.
 */
export const RequestFrame = Closed({
  type: Type.Literal('req'),
  id: NonEmptyString(),
  method: NonEmptyString(),
  params: Type.Optional(Type.Unknown()),
  traceparent: Type.Optional(Type.String({ maxLength: 128 })),
  expectedProfileId: Type.Optional(Type.String()),
});
export type RequestFrame = Static<typeof RequestFrame>;

export const ResponseFrame = Closed({
  type: Type.Literal('res'),
  id: NonEmptyString(),
  ok: Type.Boolean(),
  payload: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorShape),
});
export type ResponseFrame = Static<typeof ResponseFrame>;

/** Outbound event. The spec's `recipientProfileId` is never sent (and is not in the published frame). */
export const EventFrame = Closed({
  type: Type.Literal('event'),
  event: NonEmptyString(),
  payload: Type.Optional(Type.Unknown()),
  seq: Type.Optional(NonNegativeInteger()),
  stateVersion: Type.Optional(StateVersion),
});
export type EventFrame = Static<typeof EventFrame>;

/** Any frame (the published schema's top-level `oneOf`). */
export const GatewayFrame = Type.Union([RequestFrame, ResponseFrame, EventFrame]);
export type GatewayFrame = Static<typeof GatewayFrame>;

/** Frames the server sends. */
export const ServerFrame = Type.Union([ResponseFrame, EventFrame]);
export type ServerFrame = Static<typeof ServerFrame>;
