import { Type, type Static } from 'typebox';
import { Closed, NonEmptyString } from './primitives.js';

// `send` (spec §7.3; published `SendParams`): outbound delivery to a channel, deduped like `chat.send`.

export const SendParams = Closed({
  to: NonEmptyString(),
  message: Type.Optional(Type.String()),
  mediaUrl: Type.Optional(Type.String()),
  mediaUrls: Type.Optional(Type.Array(Type.String())),
  buffer: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String()),
  contentType: Type.Optional(Type.String()),
  asVoice: Type.Optional(Type.Boolean()),
  gifPlayback: Type.Optional(Type.Boolean()),
  channel: Type.Optional(Type.String()),
  accountId: Type.Optional(Type.String()),
  agentId: Type.Optional(Type.String()),
  replyToId: Type.Optional(Type.String()),
  threadId: Type.Optional(Type.String()),
  forceDocument: Type.Optional(Type.Boolean()),
  silent: Type.Optional(Type.Boolean()),
  parseMode: Type.Optional(Type.Literal('HTML')),
  sessionKey: Type.Optional(Type.String()),
  idempotencyKey: NonEmptyString(),
});
export type SendParams = Static<typeof SendParams>;
