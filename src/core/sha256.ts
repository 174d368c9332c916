import * as crypto from 'node:crypto';

// SHA-256 of a short string in one call. crypto.hash (Node ≥ 20.12) skips the Hash object createHash builds
// and throws away: about half the cost, on every handshake (shared secret, canvas capability).

const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: string) => unknown }).hash;

/** SHA-256 of `s` (UTF-8) as base64url. */
export function sha256Base64url(s: string): string {
  return oneShot ? (oneShot('sha256', s, 'base64url') as string) : crypto.createHash('sha256').update(s).digest('base64url');
}

/** SHA-256 of `s` (UTF-8) as bytes. */
export function sha256Bytes(s: string): Buffer {
  return oneShot ? (oneShot('sha256', s, 'buffer') as Buffer) : crypto.createHash('sha256').update(s).digest();
}
