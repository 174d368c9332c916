import type { AuthenticationCreds, SignalDataSet, SignalDataTypeMap, SignalKeyStore } from '@whiskeysockets/baileys';
import { type Db, inTransaction } from './db.js';

// WhatsApp auth state in SQLite (spec channels.md WA2), instead of Baileys' useMultiFileAuthState (per-file
// writes without transactions: the corrupt-creds race of openclaw#58480). Creds are one BufferJSON text row per
// account in `wa_creds`; signal keys are rows of `wa_keys` keyed (account, type, id). Each creds save and each
// key batch is one transaction, so a crash or a failing write never leaves half a batch behind.
// The Baileys helpers are passed in (from the lazy loader), so this layer never loads Baileys: only types here.

/** The Baileys pure helpers this store needs (pass the module loadBaileys() returns). */
export interface WaAuthHelpers {
  BufferJSON: { replacer(key: string, value: unknown): unknown; reviver(key: string, value: unknown): unknown };
  initAuthCreds(): AuthenticationCreds;
  proto: { Message: { AppStateSyncKeyData: { fromObject(object: Record<string, unknown>): SignalDataTypeMap['app-state-sync-key'] } } };
}

/** One account's auth state: what Baileys' `auth` option takes (`creds`, `keys`), plus saving and a linked check. */
export interface WaAuthState {
  /** Loaded from `wa_creds`, or fresh from initAuthCreds(); Baileys mutates it in place (then call saveCreds). */
  creds: AuthenticationCreds;
  /** The signal key store over `wa_keys` (wrap it with makeCacheableSignalKeyStore). */
  keys: SignalKeyStore;
  /** Writes the current `creds` in one transaction (on every `creds.update`). */
  saveCreds(): void;
  /** Whether a creds row exists for the account. */
  hasCreds(): boolean;
  /**
   * Deletes the account's creds and keys (logout, forced re-link) and replaces `creds` with fresh ones, so the next
   * socket made from this state links anew. Detach the old socket's `creds.update` listener first: a late save
   * would write a creds row again.
   */
  wipe(): void;
}

/** The creds row and key rows of WhatsApp accounts; see the file comment. */
export class WaAuthStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      creds: db.prepare<[string], { creds: string }>('SELECT creds FROM wa_creds WHERE account_id = ?'),
      saveCreds: db.prepare<[string, string, number]>(
        `INSERT INTO wa_creds (account_id, creds, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET creds = excluded.creds, updated_at = excluded.updated_at`),
      key: db.prepare<[string, string, string], { value: string }>('SELECT value FROM wa_keys WHERE account_id = ? AND type = ? AND id = ?'),
      setKey: db.prepare<[string, string, string, string]>(
        `INSERT INTO wa_keys (account_id, type, id, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id, type, id) DO UPDATE SET value = excluded.value`),
      deleteKey: db.prepare<[string, string, string]>('DELETE FROM wa_keys WHERE account_id = ? AND type = ? AND id = ?'),
      wipeCreds: db.prepare<[string]>('DELETE FROM wa_creds WHERE account_id = ?'),
      wipeKeys: db.prepare<[string]>('DELETE FROM wa_keys WHERE account_id = ?'),
    };
  }

  /** The account's auth state: its creds (fresh when none are stored) and a key store over its rows. */
  load(accountId: string, helpers: WaAuthHelpers): WaAuthState {
    const { BufferJSON, proto } = helpers;
    const stored = this.readCreds(accountId, helpers);
    const state: WaAuthState = {
      creds: stored ?? helpers.initAuthCreds(),
      keys: {
        get: <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
          const out: { [id: string]: SignalDataTypeMap[T] } = {};
          for (const id of ids) {
            const row = this.q.key.get(accountId, type, id);
            if (!row) continue;
            let value = JSON.parse(row.value, BufferJSON.reviver) as SignalDataTypeMap[T];
            // Baileys expects the protobuf class here, not the plain object JSON gives back.
            if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>) as SignalDataTypeMap[T];
            out[id] = value;
          }
          return out;
        },
        set: (data: SignalDataSet) => {
          inTransaction(this.db, () => {
            for (const [type, entries] of Object.entries(data)) {
              for (const [id, value] of Object.entries(entries ?? {})) {
                if (value === null || value === undefined) this.q.deleteKey.run(accountId, type, id);
                else this.q.setKey.run(accountId, type, id, JSON.stringify(value, BufferJSON.replacer));
              }
            }
          });
        },
        clear: () => {
          this.q.wipeKeys.run(accountId);
        },
      },
      saveCreds: () => {
        const text = JSON.stringify(state.creds, BufferJSON.replacer);
        inTransaction(this.db, () => this.q.saveCreds.run(accountId, text, Date.now()));
      },
      hasCreds: () => this.q.creds.get(accountId) !== undefined,
      wipe: () => {
        this.wipe(accountId);
        state.creds = helpers.initAuthCreds();
      },
    };
    return state;
  }

  /** Deletes the account's creds and keys in one transaction (logout, forced re-link, a second badSession). */
  wipe(accountId: string): void {
    inTransaction(this.db, () => {
      this.q.wipeKeys.run(accountId);
      this.q.wipeCreds.run(accountId);
    });
  }

  /** Whether the account is linked: a creds row exists and says `registered` or names `me`. Needs no Baileys. */
  isLinked(accountId: string): boolean {
    const row = this.q.creds.get(accountId);
    if (!row) return false;
    try {
      const creds = JSON.parse(row.creds) as { registered?: unknown; me?: unknown };
      return creds.registered === true || (typeof creds.me === 'object' && creds.me !== null);
    } catch {
      return false;
    }
  }

  private readCreds(accountId: string, helpers: WaAuthHelpers): AuthenticationCreds | undefined {
    const row = this.q.creds.get(accountId);
    if (!row) return undefined;
    try {
      return JSON.parse(row.creds, helpers.BufferJSON.reviver) as AuthenticationCreds;
    } catch (err) {
      throw new Error(`whatsapp account ${accountId}: stored creds are not valid JSON (${(err as Error).message}); re-link with clawgate channels login whatsapp --force`);
    }
  }
}
