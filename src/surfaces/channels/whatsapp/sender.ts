import { createHash } from 'node:crypto';
import type { ChannelSender, ChannelTarget, SendOutcome, SendText } from '../../../core/channel.js';
import { markdownToWhatsApp } from './format.js';

// The WhatsApp send seam of the outbox (spec channels.md §1.6, WA6, C8): one `sendMessage` per attempt over the
// live socket, with a message id derived from the outbox row, so a resend after a disconnect or a crash is the
// same message to the recipient (WhatsApp drops the duplicate). Failures are classified for the outbox; nothing
// here throws. Baileys is not imported: the socket is whatever the transport holds at the time of the call.

/** How long a rate-limited chat waits when WhatsApp names no delay (it never does). */
export const WHATSAPP_RATE_LIMIT_WAIT_MS = 5_000;

/**
 * Disconnect codes (Baileys `DisconnectReason`) a send fails with when the socket closes under it: the message
 * may or may not have left, and the outbox resends it with the same id once the account is back.
 */
const CONNECTION_CODES = new Set([401, 403, 408, 411, 428, 440, 500, 503, 515]);

/** Error texts of a socket that closed or timed out mid-call (Baileys throws these, also without a Boom status). */
const CONNECTION_TEXT = /connection (closed|terminated|was lost|lost|failure)|timed out|socket|ECONNRESET|EPIPE|ETIMEDOUT/i;

/** The socket calls a WhatsApp sender makes (a subset of the transport's WASocketLike). */
export interface WhatsAppSendSocket {
  sendMessage(jid: string, content: { text: string }, options?: { messageId?: string }): Promise<unknown>;
  sendPresenceUpdate(type: 'composing' | 'paused', toJid?: string): Promise<void>;
}

/** The deterministic WhatsApp message id of an outbox row: `3EB0` + the first 18 hex digits (upper case) of sha256(rowId). */
export function whatsappMessageId(rowId: string): string {
  return `3EB0${createHash('sha256').update(rowId).digest('hex').slice(0, 18).toUpperCase()}`;
}

/** Messages remembered by `sentHere` / `sentMessage` (the newest; an echo or a retry request comes within minutes). */
const MAX_REMEMBERED_IDS = 2000;

/** Sends and typing for one WhatsApp account, over the socket that is live at the time of each call. */
export class WhatsAppSender implements ChannelSender {
  /** Message id → the text sent under it. */
  private readonly sent = new Map<string, string>();

  /**
   * @param socket the live socket, or undefined while there is none
   * @param format the reply's Markdown → the text sent (default: WhatsApp's own formatting)
   */
  constructor(
    private readonly socket: () => WhatsAppSendSocket | undefined,
    private readonly format: (markdown: string) => string = markdownToWhatsApp,
  ) {}

  /**
   * Whether this sender sent (or is sending) a message with this id in this process: under self-chat-mode the
   * account's own chat is the conversation, and its replies must not start runs (C10, WA5's `outboxSent`).
   */
  sentHere(id: string): boolean {
    return this.sent.has(id);
  }

  /**
   * The content of a message this sender sent in this process, for Baileys' `getMessage` (WA1): a recipient that
   * could not decrypt it asks for it again, and without the content it would show "Waiting for this message".
   */
  sentMessage(id: string): { conversation: string } | undefined {
    const text = this.sent.get(id);
    return text === undefined ? undefined : { conversation: text };
  }

  /** One `sendMessage(jid, {text}, {messageId})`; an edit is sent as a new message (WhatsApp has no preview edits here). */
  async sendText(message: SendText): Promise<SendOutcome> {
    const sock = this.socket();
    if (!sock) return { kind: 'notSent', error: 'WhatsApp is not connected' };
    const messageId = message.rowId !== undefined ? whatsappMessageId(message.rowId) : undefined;
    const text = this.format(message.text);
    if (messageId !== undefined) this.remember(messageId, text); // before the call: the echo may beat its answer
    try {
      const sent = await sock.sendMessage(message.chatId, { text }, messageId !== undefined ? { messageId } : {});
      const remoteId = messageId ?? keyIdOf(sent);
      if (remoteId !== undefined) this.remember(remoteId, text);
      return { kind: 'sent', remoteId: remoteId ?? '' };
    } catch (err) {
      return classifyWhatsAppSendError(err);
    }
  }

  private remember(id: string, text: string): void {
    this.sent.delete(id);
    this.sent.set(id, text);
    if (this.sent.size > MAX_REMEMBERED_IDS) this.sent.delete(this.sent.keys().next().value as string);
  }

  /** `composing` while on, `paused` when off (C8); best effort: errors and a missing socket are ignored. */
  async typing(target: ChannelTarget, on: boolean): Promise<void> {
    const sock = this.socket();
    if (!sock) return;
    try {
      await sock.sendPresenceUpdate(on ? 'composing' : 'paused', target.chatId);
    } catch {
      // best effort (C8)
    }
  }
}

/**
 * What a failed `sendMessage` came to (spec §1.6): 429 or a rate-limit text → rateLimited; a closed, lost or
 * timed-out connection (and any error we cannot place) → ambiguous, which the outbox resends with the same
 * message id (WA6); another 4xx → rejected.
 */
export function classifyWhatsAppSendError(err: unknown): SendOutcome {
  const status = statusOf(err);
  const text = err instanceof Error ? err.message : String(err);
  const error = status !== undefined ? `${status}: ${text}` : text;
  if (status === 429 || /rate.?(limit|overlimit)/i.test(text)) return { kind: 'rateLimited', retryAfterMs: WHATSAPP_RATE_LIMIT_WAIT_MS, error };
  if (status !== undefined && CONNECTION_CODES.has(status)) return { kind: 'ambiguous', error };
  if (CONNECTION_TEXT.test(text)) return { kind: 'ambiguous', error };
  if (status !== undefined && status >= 400 && status < 500) return { kind: 'rejected', error };
  return { kind: 'ambiguous', error };
}

/** A Boom's `output.statusCode` (Baileys' errors), else a numeric `statusCode` on the error or its `data`. */
function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { isBoom?: boolean; output?: { statusCode?: unknown }; statusCode?: unknown; data?: { statusCode?: unknown } };
  for (const candidate of [e.isBoom ? e.output?.statusCode : undefined, e.statusCode, e.data?.statusCode]) {
    if (typeof candidate === 'number') return candidate;
  }
  return undefined;
}

function keyIdOf(sent: unknown): string | undefined {
  const id = (sent as { key?: { id?: unknown } } | undefined)?.key?.id;
  return typeof id === 'string' ? id : undefined;
}
