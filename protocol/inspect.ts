import type { Static } from 'typebox';
import { Closed, NonEmptyString, NonNegativeInteger } from './primitives.js';

// `clawgate.inspect.ticket` (web-surfaces.md I4): a Clawgate-only method, served only with `--inspect`. No
// published OpenClaw schema exists for it.

/** Takes no params. */
export const ClawgateInspectTicketParams = Closed({});
export type ClawgateInspectTicketParams = Static<typeof ClawgateInspectTicketParams>;

/** A single-use ticket for `WS /__clawgate__/inspect/ws?ticket=<t>`, bound to the asking connection. */
export const ClawgateInspectTicketResult = Closed({
  /** 32 random bytes, base64url. */
  ticket: NonEmptyString(),
  /** Epoch ms after which the ticket is refused (60 s after issue). */
  expiresAtMs: NonNegativeInteger(),
});
export type ClawgateInspectTicketResult = Static<typeof ClawgateInspectTicketResult>;

export { INSPECT_TICKET_METHOD } from './inspect-method.js';
