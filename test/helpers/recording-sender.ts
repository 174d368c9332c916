// A ChannelSender for channel tests: records every call with the simulated time, answers sends from a script
// (default: sent, remote ids 1, 2, …), and can hold sends open until the test releases them.

import type { ChannelClock, ChannelSender, ChannelTarget, SendOutcome, SendText } from '../../src/core/channel.js';

/** One recorded call. */
export type SenderCall =
  | { op: 'send'; at: number; message: SendText }
  | { op: 'delete'; at: number; target: ChannelTarget; messageId: string }
  | { op: 'typing'; at: number; target: ChannelTarget; on: boolean };

/** A recording sender (see the file comment). */
export class RecordingSender implements ChannelSender {
  readonly calls: SenderCall[] = [];
  /** Outcomes for the next sends, in order; `undefined` answers sent (an edit: the edited message's id). */
  readonly script: (SendOutcome | ((m: SendText) => SendOutcome) | undefined)[] = [];
  /** When true, sends wait until `release()`. */
  hold = false;
  #nextId = 1;
  #held: (() => void)[] = [];
  #inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly clock: ChannelClock) {}

  get sends(): (SendText & { at: number })[] {
    return this.calls.flatMap((c) => (c.op === 'send' ? [{ ...c.message, at: c.at }] : []));
  }

  get typings(): { at: number; on: boolean; chatId: string }[] {
    return this.calls.flatMap((c) => (c.op === 'typing' ? [{ at: c.at, on: c.on, chatId: c.target.chatId }] : []));
  }

  /** Lets every held send answer. */
  release(): void {
    const held = this.#held;
    this.#held = [];
    for (const go of held) go();
  }

  get heldCount(): number {
    return this.#held.length;
  }

  async sendText(message: SendText): Promise<SendOutcome> {
    this.calls.push({ op: 'send', at: this.clock.now(), message });
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      if (this.hold) await new Promise<void>((resolve) => this.#held.push(resolve));
      const next = this.script.shift();
      const outcome = typeof next === 'function' ? next(message) : next;
      return outcome ?? { kind: 'sent', remoteId: message.editMessageId ?? String(this.#nextId++) };
    } finally {
      this.#inFlight--;
    }
  }

  async deleteMessage(target: ChannelTarget, messageId: string): Promise<void> {
    this.calls.push({ op: 'delete', at: this.clock.now(), target, messageId });
  }

  async typing(target: ChannelTarget, on: boolean): Promise<void> {
    this.calls.push({ op: 'typing', at: this.clock.now(), target, on });
  }
}

/** Lets pending promise callbacks run (a few macrotask turns; bounded). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Advances a SimulatedClock by `ms` in `step` increments, settling promises between steps (bounded). */
export async function advance(clock: { increment(ms: number): void }, ms: number, step = 100): Promise<void> {
  const steps = Math.ceil(ms / step);
  for (let i = 0; i < steps; i++) {
    clock.increment(Math.min(step, ms - i * step));
    await settle();
  }
}
