import type { ChannelName } from '../core/channel.js';
import type { ChannelStateKey, ChannelStateRow, ChannelStateTables } from '../core/channel-state.js';
import type { Db } from './db.js';

// The SQLite side of the shared channel state (core/channel-state.ts): channel_pairing, channel_allow and
// channel_activation read and written row by row, for the cluster's mirror. A row from the cluster replaces
// the local one whole (INSERT OR REPLACE: a pending request whose code another sender's row holds here — an
// all but impossible collision — goes, so the cluster's copy always applies).

const COLUMNS = {
  pairing: ['channel', 'account_id', 'sender_id', 'code', 'state', 'sender_label', 'reply_to', 'created_at', 'last_seen_at', 'expires_at'],
  allow: ['channel', 'account_id', 'sender_id', 'approved_at', 'is_owner'],
  activation: ['session_key', 'mode', 'updated_at'],
} as const;

const TABLE = { pairing: 'channel_pairing', allow: 'channel_allow', activation: 'channel_activation' } as const;

/** The shared channel state's tables in the state dir's database; see the file comment. */
export class SqliteChannelStateTables implements ChannelStateTables {
  private readonly q;

  constructor(db: Db) {
    const bySender = 'channel = ? AND account_id = ? AND sender_id = ?';
    const upsert = (t: keyof typeof COLUMNS) =>
      db.prepare(`INSERT OR REPLACE INTO ${TABLE[t]} (${COLUMNS[t].join(', ')}) VALUES (${COLUMNS[t].map((c) => `@${c}`).join(', ')})`);
    this.q = {
      read: {
        pairing: db.prepare<unknown[], Record<string, string | number>>(`SELECT * FROM channel_pairing WHERE ${bySender}`),
        allow: db.prepare<unknown[], Record<string, string | number>>(`SELECT * FROM channel_allow WHERE ${bySender}`),
        activation: db.prepare<unknown[], Record<string, string | number>>('SELECT * FROM channel_activation WHERE session_key = ?'),
      },
      remove: {
        pairing: db.prepare(`DELETE FROM channel_pairing WHERE ${bySender}`),
        allow: db.prepare(`DELETE FROM channel_allow WHERE ${bySender}`),
        activation: db.prepare('DELETE FROM channel_activation WHERE session_key = ?'),
      },
      upsert: { pairing: upsert('pairing'), allow: upsert('allow'), activation: upsert('activation') },
      keys: {
        pairing: db.prepare<[], { channel: string; account_id: string; sender_id: string }>('SELECT channel, account_id, sender_id FROM channel_pairing'),
        allow: db.prepare<[], { channel: string; account_id: string; sender_id: string }>('SELECT channel, account_id, sender_id FROM channel_allow'),
        activation: db.prepare<[], { session_key: string }>('SELECT session_key FROM channel_activation'),
      },
    };
  }

  read(key: ChannelStateKey): ChannelStateRow {
    return this.q.read[key.table].get(...params(key)) ?? null;
  }

  apply(key: ChannelStateKey, row: ChannelStateRow): void {
    if (row === null) {
      this.q.remove[key.table].run(...params(key));
      return;
    }
    // the key's columns come from the key, so a row can never land under another key than the one it was sent as
    const values: Record<string, string | number> = {};
    for (const c of COLUMNS[key.table]) {
      const v = row[c];
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`channel state row for ${TABLE[key.table]} has no column ${c}`);
      values[c] = v;
    }
    if (key.table === 'activation') values.session_key = key.sessionKey;
    else Object.assign(values, { channel: key.channel, account_id: key.accountId, sender_id: key.senderId });
    this.q.upsert[key.table].run(values);
  }

  keys(table: ChannelStateKey['table']): ChannelStateKey[] {
    if (table === 'activation') return this.q.keys.activation.all().map((r) => ({ table, sessionKey: r.session_key }));
    return this.q.keys[table].all().map((r) => ({ table, channel: r.channel as ChannelName, accountId: r.account_id, senderId: r.sender_id }));
  }
}

function params(key: ChannelStateKey): string[] {
  return key.table === 'activation' ? [key.sessionKey] : [key.channel, key.accountId, key.senderId];
}
