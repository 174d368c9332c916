// What a failed or lost connection means for the person in front of the page (web-surfaces W5's table): the
// client's errors (src/client/errors.ts) sorted into the few things the page can show or do. Pure and duck-typed
// (no import of the client's classes), so node tests run it without a browser.

/** The page's reaction to one connection error. */
export type ConnectOutcome =
  | { kind: 'form'; message: string; wrongSecret: boolean } // ask for the secret again, with the gateway's words
  | { kind: 'pairing'; requestId: string } // wait for the owner to approve this browser
  | { kind: 'rate-limited'; retryAfterMs: number | undefined }
  | { kind: 'version'; text: string } // stops: only a reload helps
  | { kind: 'stop'; text: string } // DEVICE_AUTH_* and other refusals that a retry cannot fix
  | { kind: 'not-opened' } // the socket never opened: ask `<base>health` whether the gateway is there at all
  | { kind: 'device-token-dropped' } // close 4001: the device token is gone; the next try sends the secret
  | { kind: 'other'; text: string }; // shown while the client reconnects

/** What the page says on PROTOCOL_MISMATCH. */
export const VERSION_TEXT = 'This page and the gateway are different versions: reload the page';

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  failure?: unknown;
  details?: unknown;
  retryAfterMs?: unknown;
  close?: { code?: unknown } | undefined;
}

/** The detail code of a client error (`details.code`), if any. */
export function detailCodeOf(error: unknown): string | undefined {
  const details = (error as ErrorLike | undefined)?.details;
  const code = details !== null && typeof details === 'object' ? (details as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Sorts a client error (ConnectError, ConnectionClosedError or another Error) into what the page does. */
export function connectOutcome(error: unknown): ConnectOutcome {
  const e = (error ?? {}) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const detail = detailCodeOf(error);
  const code = detail ?? (typeof e.code === 'string' ? e.code : 'ERROR');
  if (e.close?.code === 4001) return { kind: 'device-token-dropped' };
  if (e.failure === 'socket-error') return { kind: 'not-opened' };
  if (detail === 'PAIRING_REQUIRED') {
    const requestId = (e.details as { requestId?: unknown }).requestId;
    return { kind: 'pairing', requestId: typeof requestId === 'string' ? requestId : '' };
  }
  if (detail === 'AUTH_RATE_LIMITED') return { kind: 'rate-limited', retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined };
  if (detail === 'PROTOCOL_MISMATCH' || detail === 'CLIENT_VERSION_MISMATCH') return { kind: 'version', text: VERSION_TEXT };
  if (detail?.startsWith('DEVICE_AUTH_')) return { kind: 'stop', text: `${detail}: ${message}` };
  if (detail?.startsWith('AUTH_')) {
    return { kind: 'form', message, wrongSecret: detail === 'AUTH_TOKEN_MISMATCH' || detail.startsWith('AUTH_PASSWORD_') };
  }
  return { kind: 'other', text: `${code}: ${message}` };
}

/** The W5 help when the socket never opened but `<base>health` answers: the Origin was refused (S7). */
export function refusedOriginText(origin: string): string {
  return `The gateway refused this page's WebSocket. If ${origin} is not the gateway's own address, start it with --allowed-origins ${origin}`;
}

/** What the page says when neither the socket nor `<base>health` answers. */
export const UNREACHABLE_TEXT = 'Gateway not reachable';

/** The rate-limit line: "Too many failed attempts; retrying at <time>". */
export function rateLimitedText(retryAt: Date): string {
  return `Too many failed attempts; retrying at ${retryAt.toLocaleTimeString()}`;
}
