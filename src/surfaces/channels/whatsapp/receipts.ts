import type { WAMessageKey } from '@whiskeysockets/baileys';
import type { ChannelMessage } from '../../../core/channel.js';

// WhatsApp read receipts (spec channels.md WA5, §1.4 step 8): a live message is marked read once, after the
// pipeline accepted it as a run — never for a denied, paired or merely kept message. The transport remembers
// each normalized message's `readKey` before handing it to the pipeline and forgets it afterwards; the
// adapter's `onAccepted` sends the receipt. History (WA7) is marked read at once with `readNow`.
// Best effort: a missing socket or a failed call is only logged.

/** Keys kept at most while their messages are in the pipeline (a safety bound; they are forgotten after). */
const MAX_PENDING = 1000;

/** The socket call receipts make (a subset of the transport's WASocketLike). */
export interface ReadReceiptSocket {
  readMessages(keys: WAMessageKey[]): Promise<void>;
}

/** Read receipts of one account (see the file comment). */
export class WhatsAppReadReceipts {
  private readonly pending = new Map<string, WAMessageKey>();

  constructor(
    private readonly socket: () => ReadReceiptSocket | undefined,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** A message entering the pipeline whose acceptance should mark it read. */
  remember(inboundId: string, key: WAMessageKey): void {
    this.pending.delete(inboundId);
    this.pending.set(inboundId, key);
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
  }

  /** The pipeline is done with a message (whatever its outcome). */
  forget(inboundId: string): void {
    this.pending.delete(inboundId);
  }

  /** The pipeline accepted a message: `readMessages([key])` once, when one was remembered. */
  accepted(msg: ChannelMessage): void {
    const key = this.pending.get(msg.inboundId);
    if (!key) return;
    this.pending.delete(msg.inboundId);
    this.readNow(key);
  }

  /** Marks a message read now (history of an allowed sender). */
  readNow(key: WAMessageKey): void {
    const sock = this.socket();
    if (!sock) return;
    try {
      sock.readMessages([key]).catch(this.onError);
    } catch (err) {
      this.onError(err);
    }
  }
}
