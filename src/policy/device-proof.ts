import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { ErrorShape } from './authorize.js';

// Device identity proof (openclaw-protocol.md §8): the key is Ed25519, the id is the hex SHA-256 of the
// raw 32-byte key, and the signature covers a v3 (or v2) payload that binds this connection's nonce.

/** The `device` object of a `connect`: the device's id, public key and signature over this handshake. */
export interface DeviceClaim {
  id: string;
  publicKey: string;
  signature: string;
  signedAt: number;
  nonce?: string;
}

/** What the device signature must bind: the challenge nonce and the connect's client, role, scopes and token. */
export interface ProofContext {
  nonce: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: string[];
  /** auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? "" */
  token: string;
  platform?: string;
  deviceFamily?: string;
  now: number;
}

/** How far `signedAt` may be from the gateway's clock. */
export const SIGNATURE_SKEW_MS = 120_000;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Raw 32-byte key from base64url (or a PEM key); undefined when it is neither. */
export function rawPublicKey(publicKey: string): Buffer | undefined {
  if (publicKey.includes('BEGIN PUBLIC KEY')) {
    try {
      const der = createPublicKey(publicKey).export({ format: 'der', type: 'spki' });
      return der.length === 44 ? der.subarray(12) : undefined;
    } catch {
      return undefined;
    }
  }
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(publicKey)) return undefined;
  const raw = Buffer.from(publicKey, 'base64url');
  return raw.length === 32 ? raw : undefined;
}

/** A device id: the hex SHA-256 of its raw 32-byte public key. */
export function deviceIdOf(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/** The canonical wire form of a key (base64url of the raw key), used to pin a paired device. */
export function canonicalPublicKey(raw: Buffer): string {
  return raw.toString('base64url');
}

const norm = (s: string | undefined) => (s ?? '').trim().toLowerCase();

/** The payloads a valid signature may cover, v3 first, then v2 (without platform and device family). */
export function signaturePayloads(d: DeviceClaim, c: ProofContext): string[] {
  const base = [d.id, c.clientId, c.clientMode, c.role, c.scopes.join(','), String(d.signedAt), c.token, d.nonce ?? ''];
  return [['v3', ...base, norm(c.platform), norm(c.deviceFamily)].join('|'), ['v2', ...base].join('|')];
}

const fail = (message: string, code: string, reason: string): ErrorShape =>
  ({ code: 'INVALID_REQUEST', message, details: { code, reason } });

/** The checks of §8.3 in order; returns the failure, or the verified raw key. */
export function checkDeviceProof(d: DeviceClaim, c: ProofContext): { error: ErrorShape } | { raw: Buffer } {
  const raw = rawPublicKey(d.publicKey);
  const id = raw ? deviceIdOf(raw) : createHash('sha256').update(Buffer.from(d.publicKey, 'base64url')).digest('hex');
  if (d.id !== id) return { error: fail('device identity mismatch', 'DEVICE_AUTH_DEVICE_ID_MISMATCH', 'device-id-mismatch') };
  if (Math.abs(c.now - d.signedAt) > SIGNATURE_SKEW_MS) {
    return { error: fail('device signature expired', 'DEVICE_AUTH_SIGNATURE_EXPIRED', 'device-signature-stale') };
  }
  // a blank nonce is a missing one (OpenClaw: `"   "` → DEVICE_AUTH_NONCE_REQUIRED), not a mismatch
  if (!d.nonce?.trim()) return { error: fail('device nonce required', 'DEVICE_AUTH_NONCE_REQUIRED', 'device-nonce-missing') };
  if (d.nonce !== c.nonce) return { error: fail('device nonce mismatch', 'DEVICE_AUTH_NONCE_MISMATCH', 'device-nonce-mismatch') };
  let key: KeyObject | undefined;
  try {
    key = raw && createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    key = undefined;
  }
  let signature: Buffer;
  try {
    signature = Buffer.from(d.signature, 'base64url');
  } catch {
    signature = Buffer.alloc(0);
  }
  const valid = key !== undefined && signature.length === 64
    && signaturePayloads(d, c).some((p) => verify(null, Buffer.from(p, 'utf8'), key!, signature));
  if (!valid) return { error: fail('device signature invalid', 'DEVICE_AUTH_SIGNATURE_INVALID', 'device-signature') };
  if (!raw) return { error: fail('device public key invalid', 'DEVICE_AUTH_PUBLIC_KEY_INVALID', 'device-public-key') };
  return { raw };
}
