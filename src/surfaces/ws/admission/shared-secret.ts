import { timingSafeEqual } from 'node:crypto';
import { sha256Bytes } from '../../../core/sha256.js';
import type { AdmitResult } from '../../../machines/connection.js';
import type { ErrorShape } from '../../../policy/authorize.js';
import type { ConnectAttempt } from './attempt.js';
import { hint, refuse, tokenError } from './refusals.js';

/** What the shared-secret step decided: go on (and how), refuse, or refuse as a counted auth failure. */
export type SecretCheck =
  | { method: string; sharedOk: boolean; refusal?: undefined; failure?: undefined }
  | { refusal: AdmitResult; failure?: undefined }
  | { failure: ErrorShape; refusal?: undefined };

/** The digest the secret is compared by (equal lengths, so the compare is constant-time). */
export const secretDigest = sha256Bytes;

/**
 * Step 5: the shared secret (token and password are interchangeable; constant-time compare). `secret`
 * undefined = auth mode `none`. A device that sent something else may still hold a device token (step 8).
 */
export function checkSharedSecret(secret: Buffer | undefined, a: ConnectAttempt): SecretCheck {
  if (secret === undefined) return { method: 'none', sharedOk: true };
  const { supplied, deviceToken, p, peer } = a;
  if (supplied !== undefined && timingSafeEqual(secretDigest(supplied), secret)) return { method: 'token', sharedOk: true };
  if (supplied === undefined && deviceToken === undefined) {
    if (!p.device) return { refusal: refuse({ code: 'NOT_PAIRED', message: 'device identity required', details: { code: 'DEVICE_IDENTITY_REQUIRED' } }) };
    return { failure: tokenError('missing', hint(p.client.id, peer.local), false) };
  }
  if (!p.device) return { failure: tokenError('mismatch', hint(p.client.id, peer.local), false) };
  return { method: 'none', sharedOk: false };
}
