// Telegram preview streaming (spec channels.md TG8, `streaming: partial`): the first delta that fits the chunk
// limit is sent as a message (through the per-chat limits, outside the outbox) and recorded as the row
// `<runId>:preview`; later deltas edit it with the text so far, at most once per 1000 ms, while it fits. Edits
// are best effort: nothing is retried, a 429 pauses the chat. The final reply's chunk 0 is an outbox row that
// edits the preview (reply-rows.ts); cancel or failure deletes the preview.

import type { ChannelClock, ChannelSender, ChannelTarget } from '../../core/channel.js';
import type { Logger } from '../../core/log.js';
import type { ChannelOutbox } from '../../store/channel-outbox.js';
import { chatKeyOf } from './chat-key.js';
import type { SendRateLimiter } from './rate-limit.js';

/** The least spacing of preview edits. */
export const PREVIEW_EDIT_INTERVAL_MS = 1000;

interface Preview {
  runId: string;
  target: ChannelTarget;
  chatKey: string;
  /** The preview's platform message id, once sent. */
  messageId?: string;
  /** The first send or an edit is in flight. */
  busy: boolean;
  /** The text the preview shows now. */
  shown: string;
  /** The latest text not shown yet. */
  pending?: string;
  lastCallAt: number;
  timer?: unknown;
  /** The run ended (final, cancel): no more edits; a preview still arriving is deleted when `orphan`. */
  ended: boolean;
  orphan: boolean;
  /** Past the limit, or the first send failed: the preview stops changing. */
  frozen: boolean;
}

/** Options of a PreviewStream. */
export interface PreviewStreamOptions {
  sender: ChannelSender;
  outbox: Pick<ChannelOutbox, 'enqueue'>;
  clock: ChannelClock;
  /** The account's `text-chunk-limit`. */
  limit: number;
  /** The account's send limits (the preview takes from the per-chat window like any send). */
  bucket: SendRateLimiter;
  accountId: string;
  log?: Pick<Logger, 'debug'>;
}

/** One account's preview messages, one per streaming run. */
export class PreviewStream {
  readonly #o: PreviewStreamOptions;
  readonly #runs = new Map<string, Preview>();

  constructor(options: PreviewStreamOptions) {
    this.#o = options;
  }

  /** The run's text so far (`run.delta` / `run.message`). */
  onDelta(runId: string, target: ChannelTarget, textSoFar: string): void {
    let p = this.#runs.get(runId);
    if (!p) {
      p = { runId, target, chatKey: chatKeyOf(target), busy: false, shown: '', lastCallAt: 0, ended: false, orphan: false, frozen: false };
      this.#runs.set(runId, p);
    }
    if (p.ended || p.frozen || textSoFar.trim() === '') return;
    if (textSoFar.length > this.#o.limit) {
      // Over the limit: no preview at all if none was sent, else it stops changing (a waiting edit still fits).
      p.frozen = true;
      if (p.messageId === undefined && !p.busy) this.#forget(p);
      return;
    }
    p.pending = textSoFar;
    this.#schedule(p);
  }

  /** The run completed: any throttled edit is dropped (chunk 0 of the reply edits the preview through the outbox). */
  final(runId: string): void {
    const p = this.#runs.get(runId);
    if (!p) return;
    p.ended = true;
    p.pending = undefined;
    // Reply rows were written before this point; a preview that arrives later is not theirs to edit.
    if (p.messageId === undefined && p.busy) p.orphan = true;
    else this.#forget(p);
  }

  /** The run was cancelled or failed: the preview is deleted (best effort). */
  cancel(runId: string): void {
    const p = this.#runs.get(runId);
    if (!p) return;
    p.ended = true;
    p.pending = undefined;
    p.orphan = true;
    if (p.messageId !== undefined) this.#delete(p);
    else if (!p.busy) this.#forget(p);
  }

  /** Drops every preview's timers (the account stops). */
  stopAll(): void {
    for (const p of [...this.#runs.values()]) {
      p.ended = true;
      this.#forget(p);
    }
  }

  /** Runs with preview state (tests, leak checks). */
  get active(): number {
    return this.#runs.size;
  }

  #schedule(p: Preview): void {
    if (p.busy || p.timer !== undefined || p.pending === undefined || p.ended) return;
    const { clock, bucket } = this.#o;
    const now = clock.now();
    const spacing = p.messageId === undefined ? 0 : p.lastCallAt + PREVIEW_EDIT_INTERVAL_MS - now;
    const wait = spacing > 0 ? spacing : bucket.take(p.chatKey, p.target.chatType === 'group');
    if (wait > 0) {
      p.timer = clock.setTimeout(() => {
        p.timer = undefined;
        this.#schedule(p);
      }, wait);
      return;
    }
    const text = p.pending;
    p.pending = undefined;
    if (text === p.shown) return;
    p.busy = true;
    p.lastCallAt = now;
    void this.#call(p, text);
  }

  async #call(p: Preview, text: string): Promise<void> {
    const first = p.messageId === undefined;
    const message = first ? { ...p.target, text } : { ...p.target, text, editMessageId: p.messageId };
    try {
      const outcome = await this.#o.sender.sendText(message);
      if (outcome.kind === 'sent') {
        p.shown = text;
        if (first) this.#record(p, text, outcome.remoteId);
      } else {
        if (outcome.kind === 'rateLimited') this.#o.bucket.pause(p.chatKey, this.#o.clock.now() + outcome.retryAfterMs);
        // A preview that could not be sent is given up; a failed edit (not modified, 429…) is just dropped.
        if (first) p.frozen = true;
        this.#o.log?.debug({ runId: p.runId, error: outcome.error }, first ? 'preview not sent' : 'preview edit dropped');
      }
    } catch (err) {
      if (first) p.frozen = true;
      this.#o.log?.debug({ runId: p.runId, err: String(err) }, 'preview call failed');
    } finally {
      p.busy = false;
    }
    if (p.orphan && p.messageId !== undefined) this.#delete(p);
    else if (p.ended || (p.frozen && p.messageId === undefined)) this.#forget(p);
    else this.#schedule(p);
  }

  #record(p: Preview, text: string, remoteId: string): void {
    p.messageId = remoteId;
    try {
      this.#o.outbox.enqueue([{
        id: `${p.runId}:preview`, runId: p.runId, channel: 'telegram', accountId: this.#o.accountId, chatKey: p.chatKey,
        target: p.target, payload: { kind: 'preview', text }, state: 'sent', remoteId,
      }]);
    } catch (err) {
      this.#o.log?.debug({ runId: p.runId, err: String(err) }, 'preview row not recorded');
    }
  }

  #delete(p: Preview): void {
    const id = p.messageId;
    this.#forget(p);
    if (id === undefined || !this.#o.sender.deleteMessage) return;
    this.#o.sender.deleteMessage(p.target, id).catch((err: unknown) => {
      this.#o.log?.debug({ runId: p.runId, err: String(err) }, 'preview delete failed');
    });
  }

  #forget(p: Preview): void {
    if (p.timer !== undefined) this.#o.clock.clearTimeout(p.timer);
    p.timer = undefined;
    if (this.#runs.get(p.runId) === p) this.#runs.delete(p.runId);
  }
}
