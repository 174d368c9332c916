// Everything that sends for one channel account, wired together: its send limits, outbox worker, typing loop,
// Telegram preview stream and run watcher. The account actor starts it on `online` and stops it when leaving
// (spec channels.md §1.3: the outbox worker and the run watcher live only while the account is online).

import type { Bus } from '../../core/bus.js';
import type { ChannelClock, ChannelName, ChannelSender } from '../../core/channel.js';
import type { Logger } from '../../core/log.js';
import type { ChannelOutbox, OutboxRow } from '../../store/channel-outbox.js';
import { OutboxWorker } from './outbox-worker.js';
import { PreviewStream } from './preview.js';
import { CHANNEL_RATE_LIMITS, SendRateLimiter } from './rate-limit.js';
import { watchAccountRuns, type WatchedRunEnd } from './run-watcher.js';
import { TYPING_INTERVAL_MS, TypingLoop } from './typing.js';

/** Options of an AccountOutbound. */
export interface AccountOutboundOptions {
  channel: ChannelName;
  accountId: string;
  bus: Bus;
  outbox: ChannelOutbox;
  sender: ChannelSender;
  clock: ChannelClock;
  /** The account's `text-chunk-limit` (the preview stops growing past it). */
  chunkLimit: number;
  /** Telegram `streaming: partial`. */
  streaming: boolean;
  log?: Pick<Logger, 'debug' | 'warn' | 'error'>;
  onSent?(row: OutboxRow): void;
  onFailed?(row: OutboxRow, error: string): void;
  onRunStart?(runId: string): void;
  onRunEnd?(runId: string, end: WatchedRunEnd): void;
}

/** One account's sending side; see the file comment. */
export class AccountOutbound {
  /** Shared by the worker, the preview and typing (a 429 pauses the chat for all three). */
  readonly limits: SendRateLimiter;
  readonly worker: OutboxWorker;
  readonly typing: TypingLoop;
  readonly preview: PreviewStream | undefined;
  readonly #o: AccountOutboundOptions;
  #unwatch: (() => void) | undefined;

  constructor(options: AccountOutboundOptions) {
    const { channel, accountId, outbox, sender, clock, log } = options;
    this.#o = options;
    this.limits = new SendRateLimiter({ clock, limits: CHANNEL_RATE_LIMITS[channel] });
    this.worker = new OutboxWorker({
      outbox, sender, clock, channel, accountId, limits: this.limits,
      ...(log ? { log } : {}), ...(options.onSent ? { onSent: options.onSent } : {}), ...(options.onFailed ? { onFailed: options.onFailed } : {}),
    });
    this.typing = new TypingLoop({
      sender, clock, intervalMs: TYPING_INTERVAL_MS[channel], offSignal: channel !== 'telegram',
      isPaused: (chatKey) => this.limits.isPaused(chatKey), ...(log ? { log } : {}),
    });
    this.preview = channel === 'telegram' && options.streaming
      ? new PreviewStream({ sender, outbox, clock, limit: options.chunkLimit, bucket: this.limits, accountId, ...(log ? { log } : {}) })
      : undefined;
  }

  /** Starts sending: recovers and drains the outbox, follows the account's runs. */
  start(): void {
    if (this.#unwatch) return;
    const o = this.#o;
    this.#unwatch = watchAccountRuns({
      bus: o.bus, channel: o.channel, accountId: o.accountId, typing: this.typing, streaming: this.preview !== undefined,
      ...(this.preview ? { preview: this.preview } : {}),
      ...(o.onRunStart ? { onRunStart: o.onRunStart } : {}), ...(o.onRunEnd ? { onRunEnd: o.onRunEnd } : {}),
    });
    this.worker.start();
  }

  /** New rows were written for this account. */
  kick(): void {
    this.worker.kick();
  }

  /** Stops following runs and typing at once, then waits for sends in flight (at most 5 s by the clock). */
  async stop(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.typing.stopAll();
    this.preview?.stopAll();
    await this.worker.stop();
  }
}
