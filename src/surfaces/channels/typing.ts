// The typing indicator of running channel runs (spec channels.md C8): sent when a run starts and refreshed
// every interval (a Telegram chat action shows for at most 5 s), stopped when the run ends and by itself at the
// hard limit. Best effort: failures are logged at debug and never retried; skipped while the chat is paused.

import type { ChannelClock, ChannelSender, ChannelTarget } from '../../core/channel.js';
import type { Logger } from '../../core/log.js';
import { chatKeyOf } from './chat-key.js';

/** Refresh intervals of C8. */
export const TYPING_INTERVAL_MS = { telegram: 4000, whatsapp: 10_000, signal: 10_000 } as const;

interface Typing {
  target: ChannelTarget;
  timer: unknown;
  startedAt: number;
}

/** Options of a TypingLoop. */
export interface TypingLoopOptions {
  sender: ChannelSender;
  clock: ChannelClock;
  /** Telegram 4000, WhatsApp and Signal 10000. */
  intervalMs: number;
  /** Stopped after this long even while the run goes on (#27419). */
  hardLimitMs?: number;
  /** The channel has an explicit "stopped typing" signal (WhatsApp `paused`, Signal `DELETE`). */
  offSignal?: boolean;
  /** A chat paused by a 429 gets no typing. */
  isPaused?(chatKey: string): boolean;
  log?: Pick<Logger, 'debug'>;
}

/** One account's typing indicators, one per running run. */
export class TypingLoop {
  readonly #o: TypingLoopOptions & { hardLimitMs: number };
  readonly #runs = new Map<string, Typing>();

  constructor(options: TypingLoopOptions) {
    this.#o = { hardLimitMs: 120_000, ...options };
  }

  /** Starts typing for `runId` now and every interval (a second start of the same run is ignored). */
  start(runId: string, target: ChannelTarget): void {
    if (this.#runs.has(runId)) return;
    const typing: Typing = { target, timer: undefined, startedAt: this.#o.clock.now() };
    this.#runs.set(runId, typing);
    this.#tick(runId, typing);
  }

  /** Stops typing for `runId` (sending the off signal once where the channel has one); never sent again. */
  stop(runId: string): void {
    const typing = this.#runs.get(runId);
    if (!typing) return;
    this.#runs.delete(runId);
    this.#o.clock.clearTimeout(typing.timer);
    if (this.#o.offSignal) this.#send(typing.target, false);
  }

  /** Stops every run's typing (the account stops). */
  stopAll(): void {
    for (const runId of [...this.#runs.keys()]) this.stop(runId);
  }

  /** How many runs are typing now. */
  get active(): number {
    return this.#runs.size;
  }

  #tick(runId: string, typing: Typing): void {
    if (this.#runs.get(runId) !== typing) return;
    const elapsed = this.#o.clock.now() - typing.startedAt;
    if (elapsed >= this.#o.hardLimitMs) {
      this.stop(runId);
      return;
    }
    if (!this.#o.isPaused?.(chatKeyOf(typing.target))) this.#send(typing.target, true);
    const next = Math.min(this.#o.intervalMs, this.#o.hardLimitMs - elapsed);
    typing.timer = this.#o.clock.setTimeout(() => this.#tick(runId, typing), next);
  }

  #send(target: ChannelTarget, on: boolean): void {
    this.#o.sender.typing(target, on).catch((err: unknown) => {
      this.#o.log?.debug({ err: String(err) }, 'channel typing failed');
    });
  }
}
