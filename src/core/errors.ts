// Errors every layer may raise and every surface knows how to answer.

/**
 * A refusal with an HTTP-style status and a wire type: the HTTP plane answers it as
 * `{"error":{"type","message"}}` (http-gateway.md §2.3); other surfaces map `type` to their own codes.
 */
export class ApiError extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly headers?: Record<string, string>) {
    super(message);
  }
}

/** `400 invalid_request` with the given message. */
export const badRequest = (message: string) => new ApiError(400, 'invalid_request', message);

/** The listening port could not be bound (the CLI exits 78). */
export class ListenError extends Error {}

/** 507: the state dir's disk is full or failing (the message says so and names the dir); retry later. */
export const insufficientStorage = (message: string) => new ApiError(507, 'insufficient_storage', message);

/** 503: the gateway is stopping and takes no new message (HTTP `unavailable`; WS UNAVAILABLE, retryable). */
export class ShuttingDown extends ApiError {
  constructor() {
    super(503, 'unavailable', 'gateway shutting down', { 'Retry-After': '5' });
  }
}
