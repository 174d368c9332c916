import { type DeviceIdentity, toBase64Url, toHex, utf8 } from './device-auth.js';
import type { KeyStore } from './key-store.js';

// A device identity on WebCrypto Ed25519 (browsers on a secure origin; Node 20's globalThis.crypto). The key is
// generated non-extractable, so a page's scripts can use it but never read it; the store keeps the CryptoKey
// pair itself (IndexedDB can hold one).

/** An Ed25519 CryptoKey pair, as `subtle.generateKey` returns it (opaque here). */
export interface WebCryptoKeyPair {
  publicKey: unknown;
  privateKey: unknown;
}

/** The part of `SubtleCrypto` this identity uses. */
export interface SubtleLike {
  generateKey(algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<unknown>;
  exportKey(format: 'raw', key: never): Promise<ArrayBuffer>;
  sign(algorithm: { name: string }, key: never, data: Uint8Array): Promise<ArrayBuffer>;
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
}

/** `crypto.subtle` when this runtime has it (undefined on non-secure browser origins). */
export function defaultSubtle(): SubtleLike | undefined {
  return (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle;
}

/**
 * The identity kept in `store`, made (non-extractable) on first use. Rejects when WebCrypto or its Ed25519 is
 * missing: use nobleIdentity then.
 */
export async function webCryptoIdentity(store: KeyStore<WebCryptoKeyPair>, subtle = defaultSubtle()): Promise<DeviceIdentity> {
  if (!subtle) throw new Error('WebCrypto is not available here (non-secure origin?): use nobleIdentity');
  let pair = await store.load();
  if (!pair) {
    pair = (await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as WebCryptoKeyPair;
    await store.save(pair);
  }
  const { publicKey, privateKey } = pair;
  const raw = new Uint8Array(await subtle.exportKey('raw', publicKey as never));
  const deviceId = toHex(new Uint8Array(await subtle.digest('SHA-256', raw)));
  return {
    deviceId,
    publicKey: toBase64Url(raw),
    async sign(payload) {
      return toBase64Url(new Uint8Array(await subtle.sign({ name: 'Ed25519' }, privateKey as never, utf8(payload))));
    },
  };
}
