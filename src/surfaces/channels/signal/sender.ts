import type { ChannelSender, ChannelTarget, SendOutcome, SendText } from '../../../core/channel.js';
import { type SignalClient, SignalRateLimited, SignalRejected, SignalUnreachable } from './client.js';

// The Signal send seam of the outbox (spec channels.md SG3, §1.6): one `POST /v2/send` per attempt, each
// failure classified so the outbox knows whether it may send again. `chatId` is the recipient as the
// transport built it (UUID, number or `group.<base64>`). Never throws.

/** What a SignalSender needs. */
export interface SignalSenderDeps {
  client: Pick<SignalClient, 'send' | 'typing'>;
  /** An account-level error worth showing as status `lastError` (the rate-limit challenge, S7). */
  onError?: (text: string) => void;
}

/** Sends and typing for one Signal account. */
export class SignalSender implements ChannelSender {
  readonly #deps: SignalSenderDeps;

  constructor(deps: SignalSenderDeps) {
    this.#deps = deps;
  }

  /** Sends one message; `remoteId` is Signal's send timestamp. Signal messages are not edited (no preview). */
  async sendText(message: SendText): Promise<SendOutcome> {
    if (message.editMessageId !== undefined) return { kind: 'rejected', error: 'signal: editing a sent message is not supported' };
    try {
      const { timestamp } = await this.#deps.client.send({ recipients: [message.chatId], message: message.text });
      return { kind: 'sent', remoteId: timestamp };
    } catch (err) {
      return this.#classify(err);
    }
  }

  /** `PUT` (on) or `DELETE` (off) the typing indicator; best effort (C8). */
  async typing(target: ChannelTarget, on: boolean): Promise<void> {
    try {
      await this.#deps.client.typing(target.chatId, on);
    } catch {
      // best effort
    }
  }

  #classify(err: unknown): SendOutcome {
    const error = err instanceof Error ? err.message : String(err);
    if (err instanceof SignalRateLimited) {
      // not a retry_after limit: Signal wants a challenge solved, so the row fails and the account shows why
      this.#deps.onError?.(error);
      return { kind: 'rejected', error };
    }
    if (err instanceof SignalRejected) return { kind: 'rejected', error };
    if (err instanceof SignalUnreachable) return { kind: 'notSent', error };
    return { kind: 'ambiguous', error }; // SignalAmbiguous, or anything unexpected after the request left
  }
}
