// Where a device's key material lives between runs: IndexedDB or localStorage in a page, a file in Node, memory
// in tests. The identity builders take one.

/** Loads and saves one value (a key pair or a seed). */
export interface KeyStore<T> {
  load(): T | undefined | Promise<T | undefined>;
  save(value: T): void | Promise<void>;
}

/** A KeyStore in memory: the identity lives as long as the store object. */
export function memoryKeyStore<T>(initial?: T): KeyStore<T> {
  let value = initial;
  return { load: () => value, save: (v) => void (value = v) };
}

/** The source of random bytes the client uses (request ids, key seeds): by default `crypto.getRandomValues`. */
export type RandomSource = (length: number) => Uint8Array;

/** `crypto.getRandomValues`, present in browsers (also on non-secure origins) and in Node 20. */
export const defaultRandom: RandomSource = (length) => {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  if (!c?.getRandomValues) throw new Error('no crypto.getRandomValues here: pass `random`');
  return c.getRandomValues(new Uint8Array(length));
};
