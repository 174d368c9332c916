// The outbox worker of one channel account (spec channels.md §1.6): takes each chat's due head row, waits for
// the send limits, commits `sending`, calls the sender, and files the outcome. One call per chat at a time, at
// most `maxInFlight` per account; a clock timer wakes it when the next row is due. It never throws out and never
// sends a row twice (a row is sent only after its `pending → sending` update succeeded).

import type { ChannelClock, ChannelName, ChannelSender, SendOutcome } from '../../core/channel.js';
import type { Logger } from '../../core/log.js';
import type { ChannelOutbox, OutboxRow } from '../../store/channel-outbox.js';
import type { SendRateLimiter } from './rate-limit.js';

/** A row that was refused this many times without being sent is `failed`. */
export const MAX_SEND_ATTEMPTS = 7;
/** Backoff of a send that did not go out: 1 s × 2^(attempts−1), at most 5 min. */
export const SEND_BACKOFF_MAX_MS = 5 * 60 * 1000;
/** How long stop() waits for calls in flight. */
export const STOP_GRACE_MS = 5000;

/** The outbox calls the worker makes. */
export type OutboxWorkerStore = Pick<ChannelOutbox,
  'due' | 'nextDueAt' | 'markSending' | 'markSent' | 'retryLater' | 'markFailed' | 'markUnknown' | 'recoverAtStart' | 'expireStale'>;

/** Options of an OutboxWorker. */
export interface OutboxWorkerOptions {
  outbox: OutboxWorkerStore;
  sender: ChannelSender;
  clock: ChannelClock;
  channel: ChannelName;
  accountId: string;
  /** The account's send limits (shared with the preview stream and typing). */
  limits: SendRateLimiter;
  log?: Pick<Logger, 'debug' | 'warn' | 'error'>;
  /** A row became `sent` (status `lastOutboundAt`, `channel.outbound`). */
  onSent?(row: OutboxRow): void;
  /** A row became `failed` or `unknown`. */
  onFailed?(row: OutboxRow, error: string): void;
  maxInFlight?: number;
}

/** The backoff before attempt `attempts + 1` of a send that did not go out. */
export function sendBackoffMs(attempts: number): number {
  return Math.min(SEND_BACKOFF_MAX_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

/** One account's outbox worker; see the file comment. */
export class OutboxWorker {
  readonly #o: OutboxWorkerOptions & { maxInFlight: number };
  /** Chats with a call in flight. */
  readonly #busy = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  #running = false;
  #timer: { handle: unknown; at: number } | undefined;

  constructor(options: OutboxWorkerOptions) {
    this.#o = { maxInFlight: 8, ...options };
  }

  /** Recovers rows an earlier process left `sending` (Telegram, Signal: `unknown`; WhatsApp: `pending`), expires stale rows, starts sending. */
  start(): void {
    if (this.#running) return;
    const { outbox, channel, accountId } = this.#o;
    this.#guard('recover', () => {
      const recovered = outbox.recoverAtStart(channel, accountId, channel === 'whatsapp' ? 'pending' : 'unknown');
      if (recovered > 0) this.#o.log?.warn({ channel, accountId, recovered }, 'outbox rows were interrupted while sending');
      outbox.expireStale();
    });
    this.#running = true;
    this.kick();
  }

  /** New rows were written: send what is due. */
  kick(): void {
    if (!this.#running) return;
    this.#guard('pump', () => this.#pump());
  }

  /** Stops taking rows and waits for calls in flight, at most 5 s (by the clock). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#clearTimer();
    if (this.#inFlight.size === 0) return;
    let handle: unknown;
    const grace = new Promise<void>((resolve) => { handle = this.#o.clock.setTimeout(resolve, STOP_GRACE_MS); });
    await Promise.race([Promise.allSettled([...this.#inFlight]), grace]);
    this.#o.clock.clearTimeout(handle);
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  #pump(): void {
    const { outbox, channel, accountId, limits, clock, maxInFlight } = this.#o;
    if (this.#inFlight.size >= maxInFlight) return;
    const now = clock.now();
    let wakeAt: number | undefined;
    const rows = outbox.due(channel, accountId, maxInFlight * 4, this.#busy);
    for (const row of rows) {
      if (this.#inFlight.size >= maxInFlight) break;
      if (this.#busy.has(row.chatKey)) continue;
      const wait = limits.take(row.chatKey, row.target.chatType === 'group');
      if (wait > 0) {
        wakeAt = Math.min(wakeAt ?? Number.POSITIVE_INFINITY, now + wait);
        continue;
      }
      if (!outbox.markSending(row.id)) continue;
      this.#launch(row);
    }
    const next = outbox.nextDueAt(channel, accountId);
    if (next !== undefined && next > now) wakeAt = Math.min(wakeAt ?? next, next);
    else if (next !== undefined && wakeAt === undefined && this.#inFlight.size === 0) wakeAt = now + 1000;
    if (wakeAt !== undefined) this.#wakeAt(wakeAt);
  }

  #launch(row: OutboxRow): void {
    this.#busy.add(row.chatKey);
    const call = this.#send(row).finally(() => {
      this.#busy.delete(row.chatKey);
      this.#inFlight.delete(call);
      this.kick();
    });
    this.#inFlight.add(call);
  }

  async #send(row: OutboxRow): Promise<void> {
    const { sender, clock } = this.#o;
    let outcome: SendOutcome;
    try {
      outcome = await sender.sendText({ ...row.target, text: row.payload.text, rowId: row.id, ...(row.payload.editMessageId ? { editMessageId: row.payload.editMessageId } : {}) });
    } catch (err) {
      // The seam promises never to throw; if it does, the call may have gone out.
      outcome = { kind: 'ambiguous', error: err instanceof Error ? err.message : String(err) };
    }
    this.#guard('file outcome', () => this.#file(row, outcome, clock.now()));
  }

  #file(row: OutboxRow, outcome: SendOutcome, now: number): void {
    const { outbox, limits, channel } = this.#o;
    const attempts = row.attempts + 1;
    switch (outcome.kind) {
      case 'sent':
        outbox.markSent(row.id, outcome.remoteId);
        this.#o.onSent?.({ ...row, state: 'sent', attempts, remoteId: outcome.remoteId });
        return;
      case 'rateLimited':
        outbox.retryLater(row.id, now + outcome.retryAfterMs, outcome.error, false);
        limits.pause(row.chatKey, now + outcome.retryAfterMs);
        return;
      case 'rejected':
        this.#fail(row, attempts, outcome.error);
        return;
      case 'ambiguous':
        // WhatsApp resends with the same message id (WA6); elsewhere it may have arrived: never resent.
        if (channel !== 'whatsapp') {
          outbox.markUnknown(row.id, outcome.error);
          this.#o.onFailed?.({ ...row, state: 'unknown', attempts, lastError: outcome.error }, outcome.error);
          return;
        }
        this.#retryOrFail(row, attempts, outcome.error, now);
        return;
      case 'notSent':
        this.#retryOrFail(row, attempts, outcome.error, now);
        return;
    }
  }

  #retryOrFail(row: OutboxRow, attempts: number, error: string, now: number): void {
    if (attempts >= MAX_SEND_ATTEMPTS) this.#fail(row, attempts, `${error} (after ${attempts} attempts)`);
    else this.#o.outbox.retryLater(row.id, now + sendBackoffMs(attempts), error, true);
  }

  #fail(row: OutboxRow, attempts: number, error: string): void {
    this.#o.outbox.markFailed(row.id, error);
    this.#o.log?.warn({ channel: this.#o.channel, accountId: this.#o.accountId, rowId: row.id, error }, 'outbox row failed');
    this.#o.onFailed?.({ ...row, state: 'failed', attempts, lastError: error }, error);
  }

  #wakeAt(at: number): void {
    if (!this.#running) return;
    if (this.#timer && this.#timer.at <= at) return;
    this.#clearTimer();
    const handle = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.kick();
    }, Math.max(0, at - this.#o.clock.now()));
    this.#timer = { handle, at };
  }

  #clearTimer(): void {
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
  }

  #guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#o.log?.error({ err, channel: this.#o.channel, accountId: this.#o.accountId }, `outbox worker: ${what} failed`);
    }
  }
}
