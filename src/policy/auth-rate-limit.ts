// Auth-failure rate limiting (openclaw-protocol.md §6.5, user-needs.md §1): 10 failures per 60 s per source
// and credential class lock that key for 5 min. Sockets with an Origin are keyed by page origin instead and
// never exempt (a browser page on loopback must not brute-force the local gateway). A global ceiling caps
// guessing from many sources, and memory is bounded by evicting the least recently touched key.

export interface AuthRateLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  lockoutMs?: number;
  /** Failures per `windowMs` over all non-exempt keys above which every non-exempt check is refused. */
  globalMaxFailures?: number;
  maxKeys?: number;
  now?: () => number;
}

export interface AuthRateLimitKey {
  /** Client address (classifyPeer().clientAddress). */
  source: string;
  /** e.g. `token`, `password`, `device-token`: separate budgets per credential kind. */
  credentialClass: string;
  /** The upgrade's Origin header; when non-empty the origin limiter applies. */
  origin?: string;
  /** Only for direct-local sockets without Origin; ignored when `origin` is set. */
  exempt: boolean;
}

export type AuthRateLimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

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

export class AuthRateLimiter {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
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
    this.maxFailures = opts.maxFailures ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
    this.lockoutMs = opts.lockoutMs ?? 300_000;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.ring = new Float64Array((opts.globalMaxFailures ?? 1000) + 1);
  }

  /** Number of keys held (memory bound). */
  get size(): number {
    return this.entries.size;
  }

  check(key: AuthRateLimitKey): AuthRateLimitDecision {
    const id = keyOf(key);
    if (id === undefined) return { allowed: true };
    const now = this.now();
    const globalWait = this.globalRetryAfter(now);
    const entry = this.entries.get(id);
    const localWait = entry && entry.lockedUntil > now ? entry.lockedUntil - now : 0;
    if (entry && entry.lockedUntil !== 0 && localWait === 0) this.entries.delete(id); // lockout over: fresh start
    const wait = Math.max(globalWait, localWait);
    return wait > 0 ? { allowed: false, retryAfterMs: Math.ceil(wait) } : { allowed: true };
  }

  recordFailure(key: AuthRateLimitKey): void {
    const id = keyOf(key);
    if (id === undefined) return;
    const now = this.now();
    this.ring[this.ringNext] = now;
    this.ringNext = (this.ringNext + 1) % this.ring.length;
    this.ringLen = Math.min(this.ringLen + 1, this.ring.length);

    let entry = this.entries.get(id);
    if (entry && entry.lockedUntil !== 0 && entry.lockedUntil <= now) entry = undefined; // lockout over
    if (entry?.lockedUntil) return; // failures racing an existing lockout do not extend it
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
  }

  /** A successful authentication clears that key's failures (not a global lockout). */
  recordSuccess(key: AuthRateLimitKey): void {
    const id = keyOf(key);
    if (id !== undefined) this.entries.delete(id);
  }

  private globalRetryAfter(now: number): number {
    if (this.ringLen < this.ring.length) return 0;
    const oldest = this.ring[this.ringNext]; // full ring: the next slot to overwrite is the oldest
    return Math.max(0, oldest + this.windowMs - now);
  }

  private evict(): void {
    if (this.entries.size <= this.maxKeys) return;
    for (const id of this.entries.keys()) {
      this.entries.delete(id);
      if (this.entries.size <= this.maxKeys) return;
    }
  }
}

/** Limiter key, or undefined for an exempt socket. Origin and address keys live in separate namespaces. */
function keyOf(key: AuthRateLimitKey): string | undefined {
  if (key.origin !== undefined && key.origin !== '') return `origin\u0000${key.origin.toLowerCase()}`;
  if (key.exempt) return undefined;
  return `addr\u0000${key.source}\u0000${key.credentialClass}`;
}

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
