// In-memory send limits (sliding windows) for one channel account's sends (spec channels.md §1.6): per chat, per group chat
// (Telegram) and per account, plus a per-chat pause after a 429. Time comes from the injected clock.

import type { ChannelClock, ChannelName } from '../../core/channel.js';

/** A rate: `count` messages per `perMs` milliseconds (also the burst). */
export interface Rate {
  count: number;
  perMs: number;
}

/** The send limits of one channel. */
export interface ChannelRateLimits {
  perChat: Rate;
  /** Extra limit on group chats (Telegram: 20 per minute). */
  perGroupChat?: Rate;
  perAccount: Rate;
}

/** The platform limits of §1.6, per channel. */
export const CHANNEL_RATE_LIMITS: Record<ChannelName, ChannelRateLimits> = {
  telegram: { perChat: { count: 1, perMs: 1000 }, perGroupChat: { count: 20, perMs: 60_000 }, perAccount: { count: 30, perMs: 1000 } },
  whatsapp: { perChat: { count: 1, perMs: 1000 }, perAccount: { count: 10, perMs: 1000 } },
  signal: { perChat: { count: 1, perMs: 1000 }, perAccount: { count: 5, perMs: 1000 } },
};

/** The send times inside the current window, oldest first (at most `count`). */
type Window = number[];

/** Idle windows are forgotten past this many chats (an empty window is the same as none). */
const MAX_TRACKED = 1000;

/**
 * The send limits of one account: at most `count` sends in any `perMs` window, per chat, per group chat and
 * per account (a sliding window: unlike a refilling bucket it never lets a burst double a per-minute limit).
 * `take` either records a send in every window that applies or in none.
 */
export class SendRateLimiter {
  readonly #clock: ChannelClock;
  readonly #limits: ChannelRateLimits;
  readonly #chats = new Map<string, Window>();
  readonly #groups = new Map<string, Window>();
  readonly #account: Window = [];
  readonly #paused = new Map<string, number>();

  constructor(options: { clock: ChannelClock; limits: ChannelRateLimits }) {
    this.#clock = options.clock;
    this.#limits = options.limits;
  }

  /** Holds every send to `chatKey` until `untilMs` (a 429's retry_after). */
  pause(chatKey: string, untilMs: number): void {
    const current = this.#paused.get(chatKey) ?? 0;
    if (untilMs > current) this.#paused.set(chatKey, untilMs);
  }

  /** Whether `chatKey` is paused by a 429 right now. */
  isPaused(chatKey: string): boolean {
    return this.#pauseLeft(chatKey) > 0;
  }

  /** 0 = go (the send is recorded); otherwise the milliseconds to wait (nothing recorded). */
  take(chatKey: string, isGroup: boolean): number {
    const now = this.#clock.now();
    const windows: [Window, Rate][] = [[this.#window(this.#chats, chatKey, this.#limits.perChat, now), this.#limits.perChat]];
    if (isGroup && this.#limits.perGroupChat) {
      windows.push([this.#window(this.#groups, chatKey, this.#limits.perGroupChat, now), this.#limits.perGroupChat]);
    }
    windows.push([slide(this.#account, this.#limits.perAccount, now), this.#limits.perAccount]);
    let wait = this.#pauseLeft(chatKey);
    for (const [w, rate] of windows) {
      if (w.length >= rate.count) wait = Math.max(wait, (w[w.length - rate.count] as number) + rate.perMs - now);
    }
    if (wait > 0) return wait;
    for (const [w] of windows) w.push(now);
    return 0;
  }

  #pauseLeft(chatKey: string): number {
    const until = this.#paused.get(chatKey);
    if (until === undefined) return 0;
    const left = until - this.#clock.now();
    if (left <= 0) this.#paused.delete(chatKey);
    return Math.max(0, left);
  }

  #window(map: Map<string, Window>, key: string, rate: Rate, now: number): Window {
    let w = map.get(key);
    if (!w) {
      if (map.size >= MAX_TRACKED) for (const [k, old] of map) if (slide(old, rate, now).length === 0) map.delete(k);
      w = [];
      map.set(key, w);
    }
    return slide(w, rate, now);
  }
}

/** Drops the sends that left the window. */
function slide(w: Window, rate: Rate, now: number): Window {
  while (w.length > 0 && (w[0] as number) <= now - rate.perMs) w.shift();
  return w;
}
