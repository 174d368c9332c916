import { randomInt } from 'node:crypto';
import { type ChannelName, ChannelRequestError, type ChannelTarget, type PairingRequestView } from '../core/channel.js';
import type { ChannelStateChanged } from '../core/channel-state.js';
import { type Db, inTransaction } from './db.js';

// DM pairing (channels.md C3): an unknown sender of a `dm-policy: pairing` account gets a request with an
// 8-character code; the operator approves (the sender joins `channel_allow`; the first approval of an account
// makes that sender its owner) or rejects it. A request lives 1 h, at most 3 are pending per account; an
// expired one is kept 24 h so that `approve` can say it expired, a rejected one blocks its sender for 24 h.
// The request's `requestId` as the operator sees it is its code. In cluster mode every change of a request or
// an approval is reported through `changed` (the mirror shares it); a pending request's last-seen time is not
// (it moves at every DM of a waiting sender, and only this instance's `list` shows it).

/** A pending request lives this long from creation. */
export const PAIRING_TTL_MS = 60 * 60 * 1000;
/** At most this many unexpired pending requests per account. */
export const PAIRING_MAX_PENDING = 3;
/** A rejected request blocks its sender this long. */
export const PAIRING_REJECTED_KEEP_MS = 24 * 60 * 60 * 1000;
/** An expired request is kept this long after it expired (`approve` answers `expired`). */
export const PAIRING_EXPIRED_KEEP_MS = 24 * 60 * 60 * 1000;
/** The code alphabet: no 0/O, 1/I. */
export const PAIRING_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** Characters per code. */
export const PAIRING_CODE_LENGTH = 8;

/** What `request` came to: a new request (reply with its code once), or nothing to send. */
export type PairingRequestOutcome =
  | { kind: 'created'; code: string; expiresAt: number }
  | { kind: 'pending' }
  | { kind: 'rejected' }
  | { kind: 'capped' };

/** An approved request: who, where to tell them, and whether they became the account's owner. */
export interface PairingApproval {
  senderId: string;
  senderLabel: string;
  replyTo: ChannelTarget;
  ownerBootstrapped: boolean;
}

interface Row {
  channel: string; account_id: string; sender_id: string; code: string; state: 'pending' | 'rejected';
  sender_label: string; reply_to: string; created_at: number; last_seen_at: number; expires_at: number;
}

// Bounds the redraws of a colliding code (with 32^8 codes a collision is all but impossible; a broken
// injected random source must not loop forever).
const MAX_CODE_DRAWS = 100;

/** Pairing requests and approvals; see the file comment. */
export class ChannelPairingStore {
  private readonly now: () => number;
  private readonly randomInt: (max: number) => number;
  private readonly changed: ChannelStateChanged;
  private readonly q;

  constructor(private readonly db: Db, opts: { now: () => number; randomInt?: (max: number) => number; changed?: ChannelStateChanged }) {
    this.now = opts.now;
    this.changed = opts.changed ?? (() => {});
    this.randomInt = opts.randomInt ?? ((max) => randomInt(max));
    this.q = {
      approved: db.prepare<[string, string, string], { one: number }>(
        'SELECT 1 AS one FROM channel_allow WHERE channel = ? AND account_id = ? AND sender_id = ?'),
      owner: db.prepare<[string, string], { sender_id: string }>(
        'SELECT sender_id FROM channel_allow WHERE channel = ? AND account_id = ? AND is_owner = 1 ORDER BY approved_at LIMIT 1'),
      bySender: db.prepare<[string, string, string], Row>(
        'SELECT * FROM channel_pairing WHERE channel = ? AND account_id = ? AND sender_id = ?'),
      byCode: db.prepare<[string, string, string], Row>(
        `SELECT * FROM channel_pairing WHERE channel = ? AND account_id = ? AND code = ? AND state = 'pending'`),
      codeTaken: db.prepare<[string, string, string], { one: number }>(
        'SELECT 1 AS one FROM channel_pairing WHERE channel = ? AND account_id = ? AND code = ?'),
      pendingCount: db.prepare<[string, string, number], { n: number }>(
        `SELECT count(*) AS n FROM channel_pairing WHERE channel = ? AND account_id = ? AND state = 'pending' AND expires_at > ?`),
      seen: db.prepare('UPDATE channel_pairing SET last_seen_at = ? WHERE channel = ? AND account_id = ? AND sender_id = ?'),
      remove: db.prepare('DELETE FROM channel_pairing WHERE channel = ? AND account_id = ? AND sender_id = ?'),
      insert: db.prepare(`INSERT INTO channel_pairing
        (channel, account_id, sender_id, code, state, sender_label, reply_to, created_at, last_seen_at, expires_at)
        VALUES (@channel, @accountId, @senderId, @code, 'pending', @senderLabel, @replyTo, @now, @now, @expiresAt)`),
      list: db.prepare<{ channel: string | null; accountId: string | null; now: number }, Row>(`SELECT * FROM channel_pairing
        WHERE state = 'pending' AND expires_at > @now AND (@channel IS NULL OR channel = @channel)
          AND (@accountId IS NULL OR account_id = @accountId)
        ORDER BY created_at, channel, account_id, sender_id`),
      allow: db.prepare(`INSERT INTO channel_allow (channel, account_id, sender_id, approved_at, is_owner) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(channel, account_id, sender_id) DO UPDATE SET approved_at = excluded.approved_at,
          is_owner = max(is_owner, excluded.is_owner)`),
      reject: db.prepare(`UPDATE channel_pairing SET state = 'rejected', expires_at = ?, last_seen_at = ?
        WHERE channel = ? AND account_id = ? AND sender_id = ?`),
      prune: db.prepare<{ now: number }, { channel: string; account_id: string; sender_id: string }>(`DELETE FROM channel_pairing
        WHERE (state = 'rejected' AND expires_at <= @now) OR (state = 'pending' AND expires_at <= @now - ${PAIRING_EXPIRED_KEEP_MS})
        RETURNING channel, account_id, sender_id`),
    };
  }

  /** The sender was approved by pairing on this account. */
  isApproved(channel: ChannelName, accountId: string, senderId: string): boolean {
    return this.q.approved.get(channel, accountId, senderId) !== undefined;
  }

  /** The sender whose approval bootstrapped the account's ownership, if any. */
  owner(channel: ChannelName, accountId: string): string | undefined {
    return this.q.owner.get(channel, accountId)?.sender_id;
  }

  /**
   * An unknown sender wrote a DM: a new request (`created`: reply with the code, once), or nothing to send —
   * a request is pending (its last-seen time moves), the sender was rejected in the last 24 h, or the account
   * already has 3 pending requests (no row). An expired request is replaced by a new one.
   */
  request(req: { channel: ChannelName; accountId: string; senderId: string; senderLabel: string; replyTo: ChannelTarget }): PairingRequestOutcome {
    const { channel, accountId, senderId } = req;
    return inTransaction(this.db, (): PairingRequestOutcome => {
      const now = this.now();
      const existing = this.q.bySender.get(channel, accountId, senderId);
      if (existing && existing.expires_at > now) {
        if (existing.state === 'rejected') return { kind: 'rejected' };
        this.q.seen.run(now, channel, accountId, senderId);
        return { kind: 'pending' };
      }
      if ((this.q.pendingCount.get(channel, accountId, now)?.n ?? 0) >= PAIRING_MAX_PENDING) return { kind: 'capped' };
      if (existing) this.q.remove.run(channel, accountId, senderId);
      const code = this.newCode(channel, accountId);
      const expiresAt = now + PAIRING_TTL_MS;
      this.q.insert.run({ channel, accountId, senderId, code, senderLabel: req.senderLabel, replyTo: JSON.stringify(req.replyTo), now, expiresAt });
      this.changed({ table: 'pairing', channel, accountId, senderId });
      return { kind: 'created', code, expiresAt };
    });
  }

  /** Unexpired pending requests, oldest first (all channels and accounts unless narrowed). */
  list(filter: { channel?: ChannelName; accountId?: string } = {}): PairingRequestView[] {
    return this.q.list.all({ channel: filter.channel ?? null, accountId: filter.accountId ?? null, now: this.now() }).map((r) => ({
      requestId: r.code, channel: r.channel as ChannelName, accountId: r.account_id, senderId: r.sender_id,
      senderLabel: r.sender_label, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at,
    }));
  }

  /**
   * Approve by code (any case): the sender joins the allow list (the account's first approval makes them its
   * owner) and the request goes. Throws ChannelRequestError when there is no such pending request or it expired.
   */
  approve(req: { channel: ChannelName; accountId: string; code: string }): PairingApproval {
    return inTransaction(this.db, () => {
      const row = this.pendingByCode(req);
      const ownerBootstrapped = this.owner(req.channel, req.accountId) === undefined;
      this.q.allow.run(req.channel, req.accountId, row.sender_id, this.now(), ownerBootstrapped ? 1 : 0);
      this.q.remove.run(req.channel, req.accountId, row.sender_id);
      const who = { channel: req.channel, accountId: req.accountId, senderId: row.sender_id };
      this.changed({ table: 'allow', ...who });
      this.changed({ table: 'pairing', ...who });
      return { senderId: row.sender_id, senderLabel: row.sender_label, replyTo: JSON.parse(row.reply_to) as ChannelTarget, ownerBootstrapped };
    });
  }

  /** Reject by code (any case): the sender gets no new request and no reply for 24 h. Same errors as approve. */
  reject(req: { channel: ChannelName; accountId: string; code: string }): { senderId: string } {
    return inTransaction(this.db, () => {
      const row = this.pendingByCode(req);
      const now = this.now();
      this.q.reject.run(now + PAIRING_REJECTED_KEEP_MS, now, req.channel, req.accountId, row.sender_id);
      this.changed({ table: 'pairing', channel: req.channel, accountId: req.accountId, senderId: row.sender_id });
      return { senderId: row.sender_id };
    });
  }

  /** Delete rejected rows past their 24 h and expired requests 24 h after expiry; returns how many went. */
  prune(): number {
    return inTransaction(this.db, () => {
      const gone = this.q.prune.all({ now: this.now() });
      for (const r of gone) this.changed({ table: 'pairing', channel: r.channel as ChannelName, accountId: r.account_id, senderId: r.sender_id });
      return gone.length;
    });
  }

  private pendingByCode(req: { channel: ChannelName; accountId: string; code: string }): Row {
    const code = req.code.trim().toUpperCase();
    const now = this.now();
    const row = this.q.byCode.get(req.channel, req.accountId, code);
    if (!row || row.expires_at + PAIRING_EXPIRED_KEEP_MS <= now) {
      throw new ChannelRequestError(`no pending pairing request ${code} for ${req.channel} account ${req.accountId}`);
    }
    if (row.expires_at <= now) throw new ChannelRequestError(`pairing request ${code} for ${req.channel} has expired`);
    return row;
  }

  /** A code no row of the account uses (the unique index covers every state). */
  private newCode(channel: ChannelName, accountId: string): string {
    for (let draw = 0; draw < MAX_CODE_DRAWS; draw++) {
      let code = '';
      for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_CODE_ALPHABET[this.randomInt(PAIRING_CODE_ALPHABET.length)];
      if (!this.q.codeTaken.get(channel, accountId, code)) return code;
    }
    throw new Error(`no free pairing code after ${MAX_CODE_DRAWS} draws`);
  }
}
