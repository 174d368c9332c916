import { createHash, generateKeyPairSync, sign, createPublicKey } from 'node:crypto';
import type { GatewayClientOptions } from '@openclaw/gateway-client';

// A fresh Ed25519 device identity, and the host dependencies the reference client needs to use it
// (signing, raw public key, and an in-memory store for the device tokens the gateway issues).

export interface TestDevice {
  deviceId: string;
  publicKeyPem: string;
  privateKeyPem: string;
  /** Raw 32-byte public key, base64url (the wire form). */
  publicKey: string;
  /** Tokens the client stored, by role. */
  tokens: Map<string, { token: string; scopes: string[] }>;
  hostDeps: NonNullable<GatewayClientOptions['hostDeps']>;
  /** Sign a payload string (base64url signature). */
  sign(payload: string): string;
}

export function createTestDevice(): TestDevice {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(12);
  const deviceId = createHash('sha256').update(raw).digest('hex');
  const tokens = new Map<string, { token: string; scopes: string[] }>();
  const device: TestDevice = {
    deviceId, publicKeyPem, privateKeyPem, publicKey: raw.toString('base64url'), tokens,
    sign: (payload) => sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64url'),
    hostDeps: {
      loadOrCreateDeviceIdentity: () => ({ deviceId, publicKeyPem, privateKeyPem }),
      signDevicePayload: (_pem, payload) => sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64url'),
      publicKeyRawBase64UrlFromPem: (pem) => createPublicKey(pem).export({ type: 'spki', format: 'der' }).subarray(12).toString('base64url'),
      loadDeviceAuthToken: ({ role }) => tokens.get(role) ?? null,
      storeDeviceAuthToken: ({ role, token, scopes }) => void tokens.set(role, { token, scopes }),
      clearDeviceAuthToken: ({ role }) => void tokens.delete(role),
    },
  };
  return device;
}
