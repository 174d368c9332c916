// The one door to Baileys. It is ESM-only and heavy (about 0.5 s and 58 MB RSS at import), so a gateway without
// an enabled WhatsApp account must never load it (spec channels.md §1.8): every value import of
// '@whiskeysockets/baileys' in src/ goes through loadBaileys(); elsewhere only `import type` is allowed.

/** The Baileys module, as `await import('@whiskeysockets/baileys')` gives it. */
export type BaileysModule = typeof import('@whiskeysockets/baileys');

let loading: Promise<BaileysModule> | undefined;
let loaded = false;

/** Imports Baileys on first call and returns the same module afterwards (a failed import is retried next call). */
export function loadBaileys(): Promise<BaileysModule> {
  loading ??= import('@whiskeysockets/baileys').then(
    (mod) => {
      loaded = true;
      return mod;
    },
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** Whether loadBaileys() has imported the module in this process (a gateway without WhatsApp keeps it false). */
export function baileysLoaded(): boolean {
  return loaded;
}
