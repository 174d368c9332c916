import type { AdmitResult } from '../../../machines/connection.js';
import type { ErrorShape } from '../../../policy/authorize.js';
import type { ConnectAttempt } from './attempt.js';
import { refuse } from './refusals.js';

// The auth-failure rate limit as admission uses it: one key per source and credential class; direct-local
// sockets without an Origin are exempt.

/** The limiter admission consults (src/policy/auth-rate-limit.ts implements it). */
export interface RateLimit {
  check(key: RateKey): { allowed: true } | { allowed: false; retryAfterMs: number };
  /** Counts a failure; returns how long to hold the failure answer (ms, 0 = none). */
  recordFailure(key: RateKey): number;
  recordSuccess(key: RateKey): void;
}

/** Who is failing: source address, credential class, browser origin; `exempt` = never limited. */
export interface RateKey {
  source: string;
  credentialClass: string;
  origin?: string;
  exempt: boolean;
}

/** The rate key of one `connect`. */
export function rateKeyOf(a: ConnectAttempt): RateKey {
  const { peer } = a;
  return {
    source: peer.remoteAddress, credentialClass: a.deviceToken ? 'device-token' : 'shared-secret',
    ...(peer.origin ? { origin: peer.origin } : {}), exempt: peer.local && !peer.origin,
  };
}

/** Refuses an authentication failure after counting it, held as long as the limiter says (then, and only
 *  then, the answer is a promise: every other admission is decided synchronously). */
export function refuseAuthFailure(rateLimit: RateLimit | undefined, key: RateKey, error: ErrorShape): AdmitResult | Promise<AdmitResult> {
  const holdMs = rateLimit?.recordFailure(key) ?? 0;
  if (holdMs <= 0) return refuse(error);
  // global ceiling: guessing at scale costs time
  return new Promise((resolve) => setTimeout(() => resolve(refuse(error)), holdMs));
}
