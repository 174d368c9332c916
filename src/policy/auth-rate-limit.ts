import { addressKey } from './addresses.js';

// Auth-failure rate limiting (openclaw-protocol.md §6.5, user-needs.md §1), one limiter for the WS handshake
// and the HTTP bearer: 10 failures per 60 s per client address (IPv4 /32, IPv6 /64: one host or one
// customer network) and credential class lock that key for 5 min. A browser Origin gets its own budget
// within its address and is never exempt (a browser page on loopback must not brute-force the local
// gateway). One address never locks out another: past a global ceiling of failures the failure answers
// are only held a little (a cost for whoever guesses at scale), correct credentials are never refused.
// Memory is bounded by evicting the least recently touched key.

/** Per-key budget (failures, window, lockout), global ceiling and key bound of the limiter. */
export interface AuthRateLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  lockoutMs?: number;
  /** Failures per `windowMs` over all non-exempt keys above which failure answers are held. */
  globalMaxFailures?: number;
  /** How long a failure answer is held while over the global ceiling. */
  globalPenaltyMs?: number;
  maxKeys?: number;
  now?: () => number;
  /** Told of every refused authentication (the gateway logs it at warn, aggregated). */
  onFailure?: (key: AuthRateLimitKey) => void;
}

/** Who is failing: one budget per client network, credential kind and Origin. */
export interface AuthRateLimitKey {
  /** Client address after trusted-proxy resolution (classifyPeer().clientAddress). */
  source: string;
  /** e.g. `token`, `password`, `device-token`: separate budgets per credential kind. */
  credentialClass: string;
  /** The request's Origin header; when non-empty it gets its own budget within the address. */
  origin?: string;
  /** Only for direct-local sockets without Origin; ignored when `origin` is set. */
  exempt: boolean;
}

/** Whether an authentication attempt may go ahead, or how long the key is locked. */
export type AuthRateLimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** The protocol error answered to a rate-limited authentication attempt. */
export interface AuthRateLimitedError {
  code: 'INVALID_REQUEST';
  message: string;
  retryable: true;
  retryAfterMs: number;
  details: {
    code: 'AUTH_RATE_LIMITED';
    authReason: 'rate_limited';
    canRetryWithDeviceToken: false;
    recommendedNextStep: 'wait_then_retry';
  };
}

interface Entry {
  /** Failure times inside the window, oldest first; never longer than maxFailures. */
  failures: number[];
  lockedUntil: number;
}

/** Counts authentication failures per key and locks a key that fails too often (see above). */
export class AuthRateLimiter {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly maxKeys: number;
  private readonly penaltyMs: number;
  private readonly now: () => number;
  private readonly onFailure?: (key: AuthRateLimitKey) => void;
  /** Insertion order = recency: a touched key is re-inserted at the end, eviction takes the first. */
  private readonly entries = new Map<string, Entry>();
  /**
   * Ring of the latest globalMaxFailures + 1 failure times: the ceiling is exceeded exactly when all of
   * them are inside the window, so older times never need keeping.
   */
  private readonly ring: Float64Array;
  private ringNext = 0;
  private ringLen = 0;

  constructor(opts: AuthRateLimiterOptions = {}) {
    this.onFailure = opts.onFailure;
    this.maxFailures = opts.maxFailures ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
    this.lockoutMs = opts.lockoutMs ?? 300_000;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.penaltyMs = opts.globalPenaltyMs ?? 250;
    this.now = opts.now ?? Date.now;
    this.ring = new Float64Array((opts.globalMaxFailures ?? 1000) + 1);
  }

  /** Number of keys held (memory bound). */
  get size(): number {
    return this.entries.size;
  }

  /** Is this key locked out? Only its own failures count, never other addresses'. */
  check(key: AuthRateLimitKey): AuthRateLimitDecision {
    if (this.entries.size === 0) return { allowed: true };
    const id = keyOf(key);
    if (id === undefined) return { allowed: true };
    const now = this.now();
    const entry = this.entries.get(id);
    const wait = entry && entry.lockedUntil > now ? entry.lockedUntil - now : 0;
    if (entry && entry.lockedUntil !== 0 && wait === 0) this.entries.delete(id); // lockout over: fresh start
    return wait > 0 ? { allowed: false, retryAfterMs: Math.ceil(wait) } : { allowed: true };
  }

  /**
   * Counts a failure against the key. Returns how long to hold the failure answer: 0, or the global
   * penalty while failures over all keys exceed the ceiling.
   */
  recordFailure(key: AuthRateLimitKey): number {
    this.onFailure?.(key);
    const id = keyOf(key);
    if (id === undefined) return 0;
    const now = this.now();
    this.ring[this.ringNext] = now;
    this.ringNext = (this.ringNext + 1) % this.ring.length;
    this.ringLen = Math.min(this.ringLen + 1, this.ring.length);

    let entry = this.entries.get(id);
    if (entry && entry.lockedUntil !== 0 && entry.lockedUntil <= now) entry = undefined; // lockout over
    const penalty = this.overCeiling(now) ? this.penaltyMs : 0;
    if (entry?.lockedUntil) return penalty; // failures racing an existing lockout do not extend it
    if (!entry) entry = { failures: [], lockedUntil: 0 };
    const cutoff = now - this.windowMs;
    while (entry.failures.length > 0 && entry.failures[0] <= cutoff) entry.failures.shift();
    entry.failures.push(now);
    if (entry.failures.length >= this.maxFailures) {
      entry.lockedUntil = now + this.lockoutMs;
      entry.failures = [];
    }
    this.entries.delete(id);
    this.entries.set(id, entry);
    this.evict();
    return penalty;
  }

  /** A successful authentication clears that key's failures (not a global lockout). */
  recordSuccess(key: AuthRateLimitKey): void {
    if (this.entries.size === 0) return;
    const id = keyOf(key);
    if (id !== undefined) this.entries.delete(id);
  }

  /** More than globalMaxFailures failures inside the window (the one just recorded included)? */
  private overCeiling(now: number): boolean {
    if (this.ringLen < this.ring.length) return false;
    const oldest = this.ring[this.ringNext]; // full ring: the next slot to overwrite is the oldest
    return oldest + this.windowMs > now;
  }

  private evict(): void {
    if (this.entries.size <= this.maxKeys) return;
    for (const id of this.entries.keys()) {
      this.entries.delete(id);
      if (this.entries.size <= this.maxKeys) return;
    }
  }
}

/** Limiter key, or undefined for an exempt client. A browser origin has its own budget within its address. */
function keyOf(key: AuthRateLimitKey): string | undefined {
  const origin = key.origin ?? '';
  if (origin === '' && key.exempt) return undefined;
  return `${addressKey(key.source)}\u0000${key.credentialClass}\u0000${origin.toLowerCase()}`;
}


/** The AUTH_RATE_LIMITED error, with the time left on the lock. */
export function errorShape(retryAfterMs: number): AuthRateLimitedError {
  return {
    code: 'INVALID_REQUEST',
    message: 'unauthorized: too many failed authentication attempts (retry later)',
    retryable: true,
    retryAfterMs,
    details: {
      code: 'AUTH_RATE_LIMITED',
      authReason: 'rate_limited',
      canRetryWithDeviceToken: false,
      recommendedNextStep: 'wait_then_retry',
    },
  };
}
