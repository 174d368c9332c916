import { ConnectError } from './errors.js';

// When to reconnect and after how long (web-surfaces W7, K5): 0.8 s × 1.7ⁿ capped at 15 s, times a random
// factor in [0.8, 1.2]; a server `retryAfterMs` replaces the delay; errors that need the user pause instead.

/** The backoff; every field optional. */
export interface ReconnectPolicy {
  /** First delay (default 800 ms). */
  initialDelayMs?: number;
  /** Growth per attempt (default 1.7). */
  factor?: number;
  /** Cap (default 15 000 ms). */
  maxDelayMs?: number;
  /** Random factor range ± (default 0.2: [0.8, 1.2]). */
  jitter?: number;
}

/** The delay before reconnect attempt `attempt` (0 for the first after a hello-ok); `unit` is a number in [0, 1). */
export function reconnectDelayMs(attempt: number, policy: ReconnectPolicy = {}, unit = 0.5, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return retryAfterMs;
  const { initialDelayMs = 800, factor = 1.7, maxDelayMs = 15_000, jitter = 0.2 } = policy;
  const base = Math.min(maxDelayMs, initialDelayMs * factor ** attempt);
  return Math.round(base * (1 - jitter + 2 * jitter * unit));
}

// detail codes that a retry cannot fix: the user must approve, re-enter a secret or update the page
const PAUSE_CODES = new Set(['PAIRING_REQUIRED', 'PROTOCOL_MISMATCH', 'CLIENT_VERSION_MISMATCH']);

/**
 * Whether `err` pauses reconnecting (K5): `PAIRING_REQUIRED`, `PROTOCOL_MISMATCH`, `CLIENT_VERSION_MISMATCH`,
 * any `AUTH_*` but the rate limit (which waits `retryAfterMs`), `DEVICE_*` and `CONTROL_UI_*` refusals, and a
 * close 1008 without an answer (a policy refusal).
 */
export function pausesReconnect(err: unknown): boolean {
  if (!(err instanceof ConnectError)) return false;
  if (err.failure === 'closed') return err.close?.code === 1008 || err.close?.code === 1002;
  if (err.failure !== 'rejected') return false;
  if (err.code === 'UNAVAILABLE' || err.retryable) return false;
  const detail = err.detailCode;
  if (detail === undefined) return true; // a refusal with no way to tell it apart: do not hammer the gateway
  if (detail === 'AUTH_RATE_LIMITED') return false;
  return PAUSE_CODES.has(detail) || /^(AUTH_|DEVICE_|CONTROL_UI_)/.test(detail);
}
