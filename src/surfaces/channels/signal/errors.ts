// The typed failures of the signal-cli-rest-api client. The class says what the outbox may do next
// (spec channels.md §1.6, SG3): nothing was sent (safe to retry), the server refused (permanent), Signal
// wants a rate-limit challenge solved (permanent until a human solves it), or the request may have arrived.

/** Network failures where the request never left: nothing was sent. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Any failure of a SignalClient call. */
export class SignalError extends Error {
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignalError';
    this.status = status;
  }
}

/** The server could not be reached (connection refused, DNS failure…): nothing was sent. */
export class SignalUnreachable extends SignalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
    this.name = 'SignalUnreachable';
  }
}

/** The server refused the request (400 and other 4xx); `message` is the server's `error`. */
export class SignalRejected extends SignalError {
  constructor(message: string, status: number) {
    super(message, status);
    this.name = 'SignalRejected';
  }
}

/** Signal rate-limited the account (429); with `challengeTokens`, a captcha challenge must be solved first. */
export class SignalRateLimited extends SignalError {
  /** The challenge tokens of the 429 answer (empty when none were given). */
  readonly challengeTokens: string[];

  constructor(message: string, challengeTokens: string[]) {
    super(message, 429);
    this.name = 'SignalRateLimited';
    this.challengeTokens = challengeTokens;
  }
}

/** The request may have reached Signal (timeout or reset after it was written, a 5xx mid-send): never resend. */
export class SignalAmbiguous extends SignalError {
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, status, options);
    this.name = 'SignalAmbiguous';
  }
}

/** The lastError of a 429 with challenge tokens (SG3). */
export function rateLimitChallengeMessage(account: string): string {
  return `rate-limit challenge required: solve it with POST /v1/accounts/${account}/rate-limit-challenge`;
}

/** The error code of a fetch failure (`fetch failed` wraps it in `cause`, sometimes in an AggregateError). */
function networkCode(err: unknown): string | undefined {
  let cause: unknown = err;
  for (let depth = 0; depth < 4 && cause && typeof cause === 'object'; depth++) {
    const c = cause as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof c.code === 'string') return c.code;
    if (Array.isArray(c.errors) && c.errors.length > 0) cause = c.errors[0];
    else cause = c.cause;
  }
  return undefined;
}

/** A thrown fetch error as a SignalError: unreachable when nothing left, else ambiguous. `what` names the call. */
export function fromNetworkError(err: unknown, what: string, timedOut: boolean): SignalError {
  if (err instanceof SignalError) return err;
  if (timedOut) return new SignalAmbiguous(`${what}: timed out`, undefined, { cause: err });
  const code = networkCode(err);
  const detail = `${what}: ${err instanceof Error ? err.message : String(err)}${code ? ` (${code})` : ''}`;
  if (code !== undefined && NOT_SENT_CODES.has(code)) return new SignalUnreachable(detail, { cause: err });
  return new SignalAmbiguous(detail, undefined, { cause: err });
}

/** A non-2xx answer as a SignalError (`body` = the parsed JSON answer, if any). */
export function fromHttpStatus(status: number, body: unknown, what: string, account: string): SignalError {
  const b = (body && typeof body === 'object' ? body : {}) as { error?: unknown; challenge_tokens?: unknown };
  const serverError = typeof b.error === 'string' && b.error !== '' ? b.error : `HTTP ${status}`;
  if (status === 429) {
    const tokens = Array.isArray(b.challenge_tokens) ? b.challenge_tokens.filter((t): t is string => typeof t === 'string') : [];
    return new SignalRateLimited(tokens.length > 0 ? rateLimitChallengeMessage(account) : `${what}: rate limited: ${serverError}`, tokens);
  }
  if (status >= 500) return new SignalAmbiguous(`${what}: ${status} ${serverError}`, status);
  return new SignalRejected(serverError, status);
}
