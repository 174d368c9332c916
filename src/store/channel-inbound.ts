import type { ChannelName } from '../core/channel.js';
import type { ChannelStateChanged } from '../core/channel-state.js';
import type { Db } from './db.js';

// What the channel layer remembers of inbound traffic (channels.md C6, TG1): one record per message that
// passed the self-loop check, written in the transaction of its outcome so a redelivery (before or after a
// restart) is dropped; the Telegram completed-update watermark, per bot id (a token moved to another bot
// starts over); small per-account values (command-menu hash, Signal's own UUID); and the `/activation` mode
// of group sessions (shared with the cluster in cluster mode: its changes are reported through `changed`).
// Records are kept 7 days.

/** What became of an inbound message. */
export type InboundKind = 'run' | 'command' | 'pairing' | 'context' | 'denied' | 'buffered';

/** A group session's activation (`/activation`). */
export type ActivationMode = 'mention' | 'always';

/** Inbound dedupe records are deleted after this long. */
export const INBOUND_KEEP_MS = 7 * 24 * 60 * 60 * 1000;

/** Inbound records, update watermarks, per-account values and group activation; see the file comment. */
export class ChannelInboundStore {
  private readonly now: () => number;
  private readonly changed: ChannelStateChanged;
  private readonly q;

  constructor(db: Db, opts: { now: () => number; changed?: ChannelStateChanged }) {
    this.now = opts.now;
    this.changed = opts.changed ?? (() => {});
    this.q = {
      has: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM channel_inbound WHERE inbound_id = ?'),
      record: db.prepare(`INSERT OR IGNORE INTO channel_inbound (inbound_id, channel, account_id, kind, payload, at)
        VALUES (@inboundId, @channel, @accountId, @kind, @payload, @at)`),
      watermark: db.prepare<[string, string], { bot_id: string; completed_update_id: number }>(
        'SELECT bot_id, completed_update_id FROM channel_offsets WHERE channel = ? AND account_id = ?'),
      // a new bot id replaces the row; the same bot only moves forward
      setWatermark: db.prepare(`INSERT INTO channel_offsets (channel, account_id, bot_id, completed_update_id, updated_at)
        VALUES (@channel, @accountId, @botId, @updateId, @at)
        ON CONFLICT(channel, account_id) DO UPDATE SET
          completed_update_id = CASE WHEN bot_id = excluded.bot_id THEN max(completed_update_id, excluded.completed_update_id)
            ELSE excluded.completed_update_id END,
          bot_id = excluded.bot_id, updated_at = excluded.updated_at`),
      meta: db.prepare<[string, string, string], { value: string }>(
        'SELECT value FROM channel_meta WHERE channel = ? AND account_id = ? AND name = ?'),
      setMeta: db.prepare(`INSERT INTO channel_meta (channel, account_id, name, value, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(channel, account_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
      activation: db.prepare<[string], { mode: string }>('SELECT mode FROM channel_activation WHERE session_key = ?'),
      setActivation: db.prepare(`INSERT INTO channel_activation (session_key, mode, updated_at) VALUES (?, ?, ?)
        ON CONFLICT(session_key) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at`),
      prune: db.prepare('DELETE FROM channel_inbound WHERE at < ?'),
    };
  }

  /** The message was seen before (recorded with some outcome). */
  has(inboundId: string): boolean {
    return this.q.has.get(inboundId) !== undefined;
  }

  /** Record a message's outcome; true when it is new (false: already recorded, nothing changed). */
  record(rec: { inboundId: string; channel: ChannelName; accountId: string; kind: InboundKind; payload?: unknown }): boolean {
    return this.q.record.run({
      inboundId: rec.inboundId, channel: rec.channel, accountId: rec.accountId, kind: rec.kind,
      payload: rec.payload === undefined ? null : JSON.stringify(rec.payload), at: this.now(),
    }).changes === 1;
  }

  /** The last completed update id of this bot on the account; 0 when none, or when it was recorded for another bot. */
  watermark(channel: ChannelName, accountId: string, botId: string): number {
    const row = this.q.watermark.get(channel, accountId);
    return row && row.bot_id === botId ? row.completed_update_id : 0;
  }

  /** Move the watermark forward (never back); a different bot id starts a new one. */
  setWatermark(channel: ChannelName, accountId: string, botId: string, updateId: number): void {
    this.q.setWatermark.run({ channel, accountId, botId, updateId, at: this.now() });
  }

  /** A small per-account value. */
  meta(channel: ChannelName, accountId: string, name: string): string | undefined {
    return this.q.meta.get(channel, accountId, name)?.value;
  }

  /** Set a small per-account value. */
  setMeta(channel: ChannelName, accountId: string, name: string, value: string): void {
    this.q.setMeta.run(channel, accountId, name, value, this.now());
  }

  /** The `/activation` mode stored for a group session, if any. */
  activation(sessionKey: string): ActivationMode | undefined {
    return this.q.activation.get(sessionKey)?.mode as ActivationMode | undefined;
  }

  /** Store a group session's `/activation` mode. */
  setActivation(sessionKey: string, mode: ActivationMode): void {
    this.q.setActivation.run(sessionKey, mode, this.now());
    this.changed({ table: 'activation', sessionKey });
  }

  /** Delete inbound records older than 7 days; returns how many went. */
  prune(): number {
    return this.q.prune.run(this.now() - INBOUND_KEEP_MS).changes;
  }
}
