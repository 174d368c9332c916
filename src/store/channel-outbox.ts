import type { ChannelName, ChannelTarget } from '../core/channel.js';
import { type Db, inTransaction } from './db.js';

// The channel outbox (channels.md §1.6): one row per message to send, written in the transaction of what
// caused it (a run's completion, a command, a pairing request), sent by the account's outbox worker. A chat's
// rows go out strictly in insertion order (seq), one at a time; a row is due only when every earlier row of
// its chat is terminal. `sending` is committed before the platform call, so a crash mid-call is visible at
// the next start (recoverAtStart). Pending rows older than 24 h expire unsent; terminal rows go after 7 days.

/** Where a row is: pending → sending → sent | failed | expired | unknown (unknown: it may have arrived). */
export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed' | 'expired' | 'unknown';

/** What a row sends. */
export interface OutboxPayload {
  kind: 'reply' | 'command' | 'pairing' | 'notice' | 'preview';
  text: string;
  /** Edit this platform message instead of sending a new one. */
  editMessageId?: string;
}

/** A row to enqueue. `id` is the idempotency key (`<runId>:<chunk>`, `<inboundId>:pairing`…). */
export interface NewOutboxRow {
  id: string;
  runId: string;
  channel: ChannelName;
  accountId: string;
  /** The chat (chat id + thread) whose rows are sent in order. */
  chatKey: string;
  target: ChannelTarget;
  payload: OutboxPayload;
  /** Default `pending`. */
  state?: OutboxState;
  remoteId?: string;
}

/** A stored row. */
export interface OutboxRow extends NewOutboxRow {
  /** Insertion order (a chat's FIFO order). */
  seq: number;
  state: OutboxState;
  /** Platform calls made (a rate-limited call does not count). */
  attempts: number;
  nextAttemptAt: number;
  remoteId?: string;
  lastError?: string;
  createdAt: number;
  updatedAt: number;
}

/** An account's rows by state (what `channels.status` shows as `outbox`). */
export interface OutboxCounts {
  pending: number;
  sending: number;
  unknown: number;
  failed: number;
  expired: number;
}

/** A pending row older than this (from creation) expires unsent. */
export const OUTBOX_PENDING_TTL_MS = 24 * 60 * 60 * 1000;
/** Terminal rows are deleted this long after their last change. */
export const OUTBOX_KEEP_TERMINAL_MS = 7 * 24 * 60 * 60 * 1000;

interface Row {
  seq: number; id: string; run_id: string; channel: string; account_id: string; chat_key: string; target: string;
  payload: string; state: string; attempts: number; next_attempt_at: number; remote_id: string | null;
  last_error: string | null; created_at: number; updated_at: number;
}

// Each chat's head: its lowest seq among the rows not yet terminal.
const HEADS = `SELECT min(seq) AS head FROM channel_outbox
  WHERE channel = @channel AND account_id = @accountId AND state IN ('pending', 'sending') GROUP BY chat_key`;

/** The outbox table; see the file comment. Every decision reads the injected `now`. */
export class ChannelOutbox {
  private readonly now: () => number;
  private readonly q;

  constructor(private readonly db: Db, opts: { now: () => number }) {
    this.now = opts.now;
    this.q = {
      insert: db.prepare(`INSERT OR IGNORE INTO channel_outbox
        (id, run_id, channel, account_id, chat_key, target, payload, state, attempts, next_attempt_at, remote_id, created_at, updated_at)
        VALUES (@id, @runId, @channel, @accountId, @chatKey, @target, @payload, @state, 0, @now, @remoteId, @now, @now)`),
      due: db.prepare<Record<string, unknown>, Row>(`SELECT * FROM channel_outbox WHERE seq IN (${HEADS})
        AND state = 'pending' AND next_attempt_at <= @now AND chat_key NOT IN (SELECT value FROM json_each(@busy))
        ORDER BY seq LIMIT @limit`),
      nextDueAt: db.prepare<Record<string, unknown>, { at: number | null }>(
        `SELECT min(next_attempt_at) AS at FROM channel_outbox WHERE seq IN (${HEADS}) AND state = 'pending'`),
      expireAccount: db.prepare(`UPDATE channel_outbox SET state = 'expired', updated_at = @now
        WHERE channel = @channel AND account_id = @accountId AND state = 'pending' AND created_at < @before`),
      expireAll: db.prepare(`UPDATE channel_outbox SET state = 'expired', updated_at = @now WHERE state = 'pending' AND created_at < @before`),
      sending: db.prepare(`UPDATE channel_outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ? AND state = 'pending'`),
      sent: db.prepare(`UPDATE channel_outbox SET state = 'sent', remote_id = ?, updated_at = ? WHERE id = ?`),
      retry: db.prepare(`UPDATE channel_outbox SET state = 'pending', next_attempt_at = @at, last_error = @error, updated_at = @now,
        attempts = CASE WHEN @counts THEN attempts ELSE max(attempts - 1, 0) END WHERE id = @id AND state = 'sending'`),
      terminal: db.prepare(`UPDATE channel_outbox SET state = ?, last_error = ?, updated_at = ? WHERE id = ?`),
      recover: db.prepare(`UPDATE channel_outbox SET state = @to, updated_at = @now,
        last_error = 'interrupted while sending: it may have arrived'
        WHERE channel = @channel AND account_id = @accountId AND state = 'sending'`),
      prune: db.prepare(`DELETE FROM channel_outbox WHERE state IN ('sent', 'failed', 'expired', 'unknown') AND updated_at < ?`),
      counts: db.prepare<[string, string], { state: string; n: number }>(
        'SELECT state, count(*) AS n FROM channel_outbox WHERE channel = ? AND account_id = ? GROUP BY state'),
      get: db.prepare<[string], Row>('SELECT * FROM channel_outbox WHERE id = ?'),
      byRun: db.prepare<[string], Row>('SELECT * FROM channel_outbox WHERE run_id = ? ORDER BY seq'),
      pending: db.prepare<[string, string, number], Row>(
        `SELECT * FROM channel_outbox WHERE channel = ? AND account_id = ? AND state = 'pending' ORDER BY seq LIMIT ?`),
      forwarded: db.prepare(`UPDATE channel_outbox SET state = 'sent', remote_id = ?, updated_at = ? WHERE id = ? AND state = 'pending'`),
    };
  }

  /** Insert rows (an existing id is left as it is); returns how many were new. Nests in an outer transaction. */
  enqueue(rows: NewOutboxRow[]): number {
    const now = this.now();
    return inTransaction(this.db, () => {
      let inserted = 0;
      for (const r of rows) {
        inserted += this.q.insert.run({
          id: r.id, runId: r.runId, channel: r.channel, accountId: r.accountId, chatKey: r.chatKey,
          target: JSON.stringify(r.target), payload: JSON.stringify(r.payload), state: r.state ?? 'pending',
          remoteId: r.remoteId ?? null, now,
        }).changes;
      }
      return inserted;
    });
  }

  /**
   * The rows to send now, oldest first, at most `limit`: each chat's head row when it is `pending` and its
   * time has come, skipping `busyChats` (a call in flight there). Expires the account's stale pending rows
   * first (a row older than 24 h is never sent).
   */
  due(channel: ChannelName, accountId: string, limit: number, busyChats: ReadonlySet<string>): OutboxRow[] {
    const now = this.now();
    this.q.expireAccount.run({ channel, accountId, now, before: now - OUTBOX_PENDING_TTL_MS });
    return this.q.due.all({ channel, accountId, now, limit, busy: JSON.stringify([...busyChats]) }).map(toRow);
  }

  /** When the earliest pending head row of the account becomes due (undefined: nothing pending). */
  nextDueAt(channel: ChannelName, accountId: string): number | undefined {
    return this.q.nextDueAt.get({ channel, accountId })?.at ?? undefined;
  }

  /** The row goes out now: `sending`, one more attempt. Commit this before the platform call. False if it was not pending. */
  markSending(id: string): boolean {
    return this.q.sending.run(this.now(), id).changes === 1;
  }

  /** The platform took it (`remoteId`: its message id). */
  markSent(id: string, remoteId: string): void {
    this.q.sent.run(remoteId, this.now(), id);
  }

  /** A `sending` row goes back to `pending` until `nextAttemptAt`; a rate-limited call (`countsAsAttempt` false) takes its attempt back. */
  retryLater(id: string, nextAttemptAt: number, error: string, countsAsAttempt: boolean): void {
    this.q.retry.run({ id, at: nextAttemptAt, error, counts: countsAsAttempt ? 1 : 0, now: this.now() });
  }

  /** Permanently refused (or out of attempts). */
  markFailed(id: string, error: string): void {
    this.q.terminal.run('failed', error, this.now(), id);
  }

  /** The call may have reached the platform: never resent automatically. */
  markUnknown(id: string, error: string): void {
    this.q.terminal.run('unknown', error, this.now(), id);
  }

  /** At start: rows left `sending` by the last process become `unknown` (or `pending`, to resend). Returns how many. */
  recoverAtStart(channel: ChannelName, accountId: string, sendingBecomes: 'unknown' | 'pending'): number {
    return this.q.recover.run({ channel, accountId, to: sendingBecomes, now: this.now() }).changes;
  }

  /** Pending rows created more than 24 h ago become `expired` (never sent). Returns how many. */
  expireStale(): number {
    const now = this.now();
    return this.q.expireAll.run({ now, before: now - OUTBOX_PENDING_TTL_MS }).changes;
  }

  /** Delete terminal rows last changed more than 7 days ago. Returns how many. */
  prune(): number {
    return this.q.prune.run(this.now() - OUTBOX_KEEP_TERMINAL_MS).changes;
  }

  /** The account's rows per state (sent rows are not counted). */
  counts(channel: ChannelName, accountId: string): OutboxCounts {
    const counts: OutboxCounts = { pending: 0, sending: 0, unknown: 0, failed: 0, expired: 0 };
    for (const { state, n } of this.q.counts.all(channel, accountId)) {
      if (state in counts) counts[state as keyof OutboxCounts] = n;
    }
    return counts;
  }

  /** One row by id. */
  get(id: string): OutboxRow | undefined {
    const row = this.q.get.get(id);
    return row ? toRow(row) : undefined;
  }

  /** Cluster mode: the account's pending rows, oldest first, at most `limit` (what a standby instance forwards to the holder). */
  pendingOf(channel: ChannelName, accountId: string, limit: number): OutboxRow[] {
    return this.q.pending.all(channel, accountId, limit).map(toRow);
  }

  /** Cluster mode: rows the account's holder committed are done here (`sent`, remote id `forwarded:<holder>`). */
  markForwarded(ids: readonly string[], holder: string): void {
    const now = this.now();
    inTransaction(this.db, () => {
      for (const id of ids) this.q.forwarded.run(`forwarded:${holder}`, now, id);
    });
  }

  /** A run's rows, in order. */
  byRun(runId: string): OutboxRow[] {
    return this.q.byRun.all(runId).map(toRow);
  }
}

function toRow(r: Row): OutboxRow {
  return {
    seq: r.seq, id: r.id, runId: r.run_id, channel: r.channel as ChannelName, accountId: r.account_id, chatKey: r.chat_key,
    target: JSON.parse(r.target) as ChannelTarget, payload: JSON.parse(r.payload) as OutboxPayload,
    state: r.state as OutboxState, attempts: r.attempts, nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at, updatedAt: r.updated_at,
    ...(r.remote_id !== null ? { remoteId: r.remote_id } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
  };
}
