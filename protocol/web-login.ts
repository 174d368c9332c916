import { Type, type Static } from 'typebox';
import { Closed, NonNegativeInteger } from './primitives.js';

// `web.login.start` / `web.login.wait` (channels.md §5.1; published `WebLogin{Start,Wait}Params`): linking a
// WhatsApp account by QR code or pairing code. Clawgate adds `phoneNumber` to start (the pairing-code login of
// `clawgate channels login whatsapp --pairing-code +E164`); everything else is as published.

export const WebLoginStartParams = Closed({
  force: Type.Optional(Type.Boolean()),
  timeoutMs: Type.Optional(NonNegativeInteger()),
  verbose: Type.Optional(Type.Boolean()),
  accountId: Type.Optional(Type.String()),
  /** Link by pairing code for this number (E.164; only its digits are used). */
  phoneNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
});
export type WebLoginStartParams = Static<typeof WebLoginStartParams>;

export const WebLoginWaitParams = Closed({
  timeoutMs: Type.Optional(NonNegativeInteger()),
  accountId: Type.Optional(Type.String()),
  currentQrDataUrl: Type.Optional(Type.String({ maxLength: 16384, pattern: '^data:image/png;base64,' })),
});
export type WebLoginWaitParams = Static<typeof WebLoginWaitParams>;
