import type { AdmitResult } from '../../../machines/connection.js';
import type { ErrorShape } from '../../../policy/authorize.js';
import { WEB_CLIENTS } from './clients.js';

// The answers of a refused `connect`: the error in the `res`, and the close that follows it.

/** A refusal: `res ok:false` with `error`, then a close (1008 policy violation unless said otherwise). */
export const refuse = (error: ErrorShape, code = 1008, reason = error.message): AdmitResult => ({ ok: false, error, close: { code, reason } });

/** A missing or wrong shared secret (AUTH_TOKEN_MISSING / AUTH_TOKEN_MISMATCH). */
export function tokenError(kind: 'missing' | 'mismatch', hintText: string, canRetryWithDeviceToken: boolean): ErrorShape {
  return {
    code: 'INVALID_REQUEST',
    message: `unauthorized: gateway token ${kind} ${hintText}`,
    details: {
      code: kind === 'missing' ? 'AUTH_TOKEN_MISSING' : 'AUTH_TOKEN_MISMATCH',
      authReason: `token_${kind}`,
      canRetryWithDeviceToken,
      recommendedNextStep: canRetryWithDeviceToken ? 'retry_with_device_token' : kind === 'missing' ? 'update_auth_configuration' : 'update_auth_credentials',
    },
  };
}

/** Too many failed authentication attempts from this source (AUTH_RATE_LIMITED). */
export function rateLimited(retryAfterMs: number): ErrorShape {
  return {
    code: 'INVALID_REQUEST', message: 'unauthorized: too many failed authentication attempts (retry later)', retryable: true, retryAfterMs,
    details: { code: 'AUTH_RATE_LIMITED', authReason: 'rate_limited', canRetryWithDeviceToken: false, recommendedNextStep: 'wait_then_retry' },
  };
}

/** Where this kind of client sets the shared secret, for the token error's message. */
export function hint(clientId: string, local: boolean): string {
  if (clientId === 'cli') return local ? "(use this gateway's gateway.auth.token or pair the device)" : '(set gateway.remote.token to match gateway.auth.token)';
  if (WEB_CLIENTS.has(clientId)) return '(open the dashboard URL and paste the token in Control UI settings)';
  return '(provide gateway auth token)';
}
