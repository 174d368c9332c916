// This browser's device identity (web-surfaces W4). WebCrypto Ed25519 where the browser has it, found by trying
// to generate a key (not guessed from isSecureContext): the pair is non-extractable and kept in IndexedDB, so
// no script can read it. Otherwise (plain http under a LAN name, where crypto.subtle is undefined) the bundled
// pure-JS @noble/ed25519 signs with a seed kept in localStorage, and the page says that scripts can read it.
import * as ed25519 from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { type DeviceIdentity, type KeyStore, nobleIdentity, webCryptoIdentity, type WebCryptoKeyPair } from '../../src/client/index.ts';

/** The notice shown with the pure-JS identity (W4), word for word. */
export const INSECURE_NOTICE = 'Not a secure connection: this browser\'s device key can be read by scripts of this origin. Use https or http://127.0.0.1.';

/** The identity and where its key lives. */
export interface BrowserIdentity {
  identity: DeviceIdentity;
  /** `webcrypto`: a non-extractable key in IndexedDB; `noble`: a seed in localStorage (show INSECURE_NOTICE). */
  kind: 'webcrypto' | 'noble';
}

// noble's async hashing defaults to crypto.subtle, which a non-secure page lacks
ed25519.hashes.sha512 = sha512;
ed25519.hashes.sha512Async = async (message: Uint8Array) => sha512(message);

const DB_NAME = 'clawgate';
const DB_STORE = 'device-keys';

/** The identity of the `<base>` whose storage prefix is `prefix`, made on first use. */
export async function loadBrowserIdentity(prefix: string): Promise<BrowserIdentity> {
  try {
    return { identity: await webCryptoIdentity(indexedDbStore(`${prefix}identity`)), kind: 'webcrypto' };
  } catch {
    // no WebCrypto, no Ed25519 in it, or no IndexedDB to keep the key in
  }
  const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));
  return { identity: await nobleIdentity(seedStore(`${prefix}deviceSeed`), { ed25519, sha256, random }), kind: 'noble' };
}

/** Deletes the IndexedDB record of `prefix` (the seed goes with the storage keys). */
export async function forgetBrowserIdentity(prefix: string): Promise<void> {
  await withStore('readwrite', (store) => store.delete(`${prefix}identity`)).catch(() => undefined);
}

function seedStore(name: string): KeyStore<Uint8Array> {
  return {
    load() {
      const hex = localStorage.getItem(name);
      if (!hex || !/^[0-9a-f]{64}$/.test(hex)) return undefined;
      return Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
    },
    save(seed) {
      localStorage.setItem(name, Array.from(seed, (b) => b.toString(16).padStart(2, '0')).join(''));
    },
  };
}

function indexedDbStore(key: string): KeyStore<WebCryptoKeyPair> {
  return {
    load: () => withStore('readonly', (store) => store.get(key)).then((v) => (v as WebCryptoKeyPair | undefined) ?? undefined),
    save: (pair) => withStore('readwrite', (store) => store.put(pair, key)).then(() => undefined),
  };
}

function withStore(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('no IndexedDB'));
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(DB_STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(DB_STORE, mode);
      const request = op(tx.objectStore(DB_STORE));
      tx.oncomplete = () => {
        db.close();
        resolve(request.result);
      };
      tx.onerror = tx.onabort = () => {
        db.close();
        reject(tx.error ?? request.error);
      };
    };
  });
}
