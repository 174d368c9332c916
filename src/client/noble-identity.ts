import { type DeviceIdentity, toBase64Url, toHex, utf8 } from './device-auth.js';
import { defaultRandom, type KeyStore, type RandomSource } from './key-store.js';

// A device identity in pure JS, for pages without WebCrypto (plain http under a LAN name). The 32-byte seed is
// kept in the store (localStorage in WebChat), so any script of that origin can read it: the page says so.
// The Ed25519 and SHA-256 code is passed in (`@noble/ed25519` and `@noble/hashes` in the WebChat bundle) so
// that this client carries no hard dependency and a Node caller bundles nothing it does not use.

/** The functions of `@noble/ed25519` (3.x) this identity uses. */
export interface NobleEd25519 {
  getPublicKeyAsync(secretKey: Uint8Array): Promise<Uint8Array>;
  signAsync(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array>;
}

/** What nobleIdentity needs: `ed25519` (`@noble/ed25519`), `sha256` (`@noble/hashes/sha2`), optionally `random`. */
export interface NobleParts {
  ed25519: NobleEd25519;
  sha256(data: Uint8Array): Uint8Array;
  random?: RandomSource;
}

/** The identity whose 32-byte seed is kept in `store`, made on first use. */
export async function nobleIdentity(store: KeyStore<Uint8Array>, parts: NobleParts): Promise<DeviceIdentity> {
  let seed = await store.load();
  if (seed?.length !== 32) {
    seed = (parts.random ?? defaultRandom)(32);
    await store.save(seed);
  }
  const secret = seed;
  const raw = await parts.ed25519.getPublicKeyAsync(secret);
  return {
    deviceId: toHex(parts.sha256(raw)),
    publicKey: toBase64Url(raw),
    async sign(payload) {
      return toBase64Url(await parts.ed25519.signAsync(utf8(payload), secret));
    },
  };
}
