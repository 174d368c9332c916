import type { ErrorShape } from '../../protocol/frames.js';

// The client's typed errors. Every message is made from the gateway's answer or the socket's event: a token
// or a signature is never put in one.

/** The gateway answered a request with `ok:false`. */
export class GatewayRequestError extends Error {
  /** The gateway's top-level code (`INVALID_REQUEST`, `FORBIDDEN`, `NOT_PAIRED`, `UNAVAILABLE`…). */
  readonly code: string;
  /** The gateway's `details` (its `code` is the detail code, e.g. `MISSING_SCOPE`). */
  readonly details: unknown;
  /** The gateway says that trying again may work. */
  readonly retryable: boolean;
  /** How long the gateway asks the client to wait before trying again. */
  readonly retryAfterMs: number | undefined;
  /** The method that was refused. */
  readonly method: string;

  constructor(method: string, error: Partial<ErrorShape> | undefined) {
    super(typeof error?.message === 'string' && error.message !== '' ? error.message : 'request failed');
    this.name = 'GatewayRequestError';
    this.method = method;
    this.code = typeof error?.code === 'string' ? error.code : 'ERROR';
    this.details = error?.details;
    this.retryable = error?.retryable === true;
    this.retryAfterMs = typeof error?.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
  }

  /** `details.code` when the gateway sent one (`MISSING_SCOPE`, `AUTH_TOKEN_MISMATCH`…). */
  get detailCode(): string | undefined {
    return detailCodeOf(this.details);
  }
}

/** Why a connection attempt ended before hello-ok (not an answer of the gateway). */
export type ConnectFailure =
  | 'socket-error' // the socket failed (refused, upgrade refused, network)
  | 'closed' // the socket closed before hello-ok without a `connect` answer
  | 'challenge-timeout' // no `connect.challenge` in time
  | 'connect-timeout' // no answer to `connect` in time
  | 'rejected'; // the gateway answered `connect` with an error (see `details.code`)

/** A connection attempt failed before hello-ok. */
export class ConnectError extends Error {
  /** The gateway's code when it answered `connect` with an error; else the failure kind in capitals. */
  readonly code: string;
  /** The gateway's `details`: `details.code` is the gateway's detail code (`PAIRING_REQUIRED`, `AUTH_TOKEN_MISMATCH`…). */
  readonly details: unknown;
  /** What went wrong. */
  readonly failure: ConnectFailure;
  /** The gateway says that trying again may work. */
  readonly retryable: boolean;
  /** How long the gateway asks the client to wait before trying again. */
  readonly retryAfterMs: number | undefined;
  /** The close code and reason, when the socket closed. */
  readonly close: { code: number; reason: string } | undefined;

  constructor(failure: ConnectFailure, message: string, extra: {
    error?: Partial<ErrorShape>; close?: { code: number; reason: string }; cause?: unknown;
  } = {}) {
    super(message, extra.cause !== undefined ? { cause: extra.cause } : undefined);
    this.name = 'ConnectError';
    this.failure = failure;
    this.code = typeof extra.error?.code === 'string' ? extra.error.code : failure.toUpperCase().replace(/-/g, '_');
    this.details = extra.error?.details;
    this.retryable = extra.error?.retryable === true;
    this.retryAfterMs = typeof extra.error?.retryAfterMs === 'number' ? extra.error.retryAfterMs : undefined;
    this.close = extra.close;
  }

  /** `details.code` when the gateway sent one. */
  get detailCode(): string | undefined {
    return detailCodeOf(this.details);
  }
}

/** The session's socket closed: its pending requests fail with this, and so does any later `request`. */
export class ConnectionClosedError extends Error {
  constructor(readonly method: string, readonly close: { code: number; reason: string } | undefined) {
    super(`${method}: the connection to the gateway closed${close ? ` (${close.code}${close.reason ? ` ${close.reason}` : ''})` : ''}`);
    this.name = 'ConnectionClosedError';
  }
}

/** No answer to a request within its timeout (the request may still run on the gateway). */
export class RequestTimeoutError extends Error {
  constructor(readonly method: string, readonly timeoutMs: number) {
    super(`${method}: no answer from the gateway within ${timeoutMs / 1000} s`);
    this.name = 'RequestTimeoutError';
  }
}

function detailCodeOf(details: unknown): string | undefined {
  const code = details !== null && typeof details === 'object' ? (details as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
