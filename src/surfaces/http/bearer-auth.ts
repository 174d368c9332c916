import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthRateLimiter } from '../../policy/auth-rate-limit.js';
import { ApiError } from '../../core/errors.js';
import type { AuthRefusal, AuthRequest } from '../../transport/http-types.js';

// The data plane's `Authorization: Bearer <token>` check, under the same auth-failure limiter as the WS
// handshake (shared-secret class): guesses over HTTP and over WS count toward one lockout per client
// address. A locked-out client gets 429 with Retry-After, whatever token it sends; direct loopback clients
// without Origin or forwarding headers are exempt, so the owner is never locked out.

/** The parts of the auth-failure limiter the bearer check uses. */
export type AuthLimiter = Pick<AuthRateLimiter, 'check' | 'recordFailure' | 'recordSuccess'>;

/** Same credential class as a WS `connect` with auth.token / auth.password. */
const CREDENTIAL_CLASS = 'shared-secret';

/** Constant-time bearer check with failure limiting; undefined when no token is configured. */
export function bearerAuth(token: string | undefined, limiter?: AuthLimiter): ((req: AuthRequest) => AuthRefusal | undefined) | undefined {
  if (token === undefined) return undefined;
  const want = createHash('sha256').update(token).digest();
  return (req) => {
    const client = req.client();
    const origin = req.header('origin');
    const key = { source: client.address, credentialClass: CREDENTIAL_CLASS, ...(origin ? { origin } : {}), exempt: client.local && !origin };
    const gate = limiter?.check(key);
    if (gate && !gate.allowed) return { error: rateLimited(gate.retryAfterMs) };
    const m = /^Bearer\s+(.+)$/i.exec(req.header('authorization'));
    const got = createHash('sha256').update(m ? m[1].trim() : '').digest();
    if (m && timingSafeEqual(got, want)) {
      limiter?.recordSuccess(key);
      return undefined;
    }
    const holdMs = limiter?.recordFailure(key) ?? 0;
    return { error: new ApiError(401, 'unauthorized', 'Unauthorized'), holdMs };
  };
}

/** 429 `rate_limited` with Retry-After in whole seconds (at least 1). */
export function rateLimited(retryAfterMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApiError(429, 'rate_limited', `too many failed authentication attempts; retry in ${seconds} s`, { 'Retry-After': String(seconds) });
}
