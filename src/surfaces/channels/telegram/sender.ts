import { type Api, GrammyError, HttpError } from 'grammy';
import type { ChannelSender, ChannelTarget, SendOutcome, SendText } from '../../../core/channel.js';
import { scrubSecrets } from './bot-api.js';

// The Telegram send seam of the outbox (spec channels.md §1.6, TG5, TG7, TG8): one call per attempt, the
// channel's own fallbacks applied at once (HTML → plain text, no thread, edit → send), and every failure
// classified so the outbox knows whether it may send again. Never throws.

/** Network failures where the request never left (spec §1.6): safe to send again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Escapes the three characters Telegram HTML reserves. */
export function escapeTelegramHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** What a TelegramSender needs. */
export interface TelegramSenderDeps {
  /** An Api without retries on sends (createTelegramApi's is fine: sends bypass its retry). */
  api: Api;
  /** Markdown → Telegram HTML (default: escape &, <, > only). */
  toHtml?: (markdown: string) => string;
  /** For scrubbing error texts (the token also appears in URLs, which are scrubbed regardless). */
  token?: string;
}

interface Attempt {
  html: boolean;
  thread: boolean;
}

/** Sends, edits, deletes and typing for one Telegram account. */
export class TelegramSender implements ChannelSender {
  private readonly api: Api;
  private readonly toHtml: (markdown: string) => string;
  private readonly token: string | undefined;

  constructor(deps: TelegramSenderDeps) {
    this.api = deps.api;
    this.toHtml = deps.toHtml ?? escapeTelegramHtml;
    this.token = deps.token;
  }

  /** Sends (or edits) one message; see the file comment. */
  async sendText(message: SendText): Promise<SendOutcome> {
    if (message.editMessageId !== undefined) return this.edit(message, message.editMessageId, true);
    return this.send(message, { html: true, thread: true });
  }

  /** Best effort: errors are swallowed. */
  async deleteMessage(target: ChannelTarget, messageId: string): Promise<void> {
    try {
      await this.api.deleteMessage(target.chatId, Number(messageId));
    } catch {
      // best effort (TG8: a preview that is already gone is fine)
    }
  }

  /** `sendChatAction typing`, keeping the thread id even for General (TG5); Telegram has no "stop". */
  async typing(target: ChannelTarget, on: boolean): Promise<void> {
    if (!on) return;
    try {
      await this.api.sendChatAction(target.chatId, 'typing', target.threadId !== undefined ? { message_thread_id: Number(target.threadId) } : {});
    } catch {
      // best effort (C8)
    }
  }

  private async send(m: SendText, attempt: Attempt): Promise<SendOutcome> {
    // sendMessage omits the General topic's id (TG5)
    const thread = attempt.thread && m.threadId !== undefined && m.threadId !== '1';
    try {
      const sent = await this.api.sendMessage(m.chatId, attempt.html ? this.toHtml(m.text) : m.text, {
        ...(attempt.html ? { parse_mode: 'HTML' as const } : {}),
        ...(thread ? { message_thread_id: Number(m.threadId) } : {}),
        ...(m.replyToMessageId !== undefined
          ? { reply_parameters: { message_id: Number(m.replyToMessageId), allow_sending_without_reply: true } }
          : {}),
      });
      return { kind: 'sent', remoteId: String(sent.message_id) };
    } catch (err) {
      if (attempt.html && isBadRequest(err, /can't parse entities/i)) return this.send(m, { ...attempt, html: false });
      if (thread && isBadRequest(err, /message thread not found/i)) return this.send(m, { ...attempt, thread: false });
      return this.classify(err);
    }
  }

  private async edit(m: SendText, messageId: string, html: boolean): Promise<SendOutcome> {
    try {
      await this.api.editMessageText(m.chatId, Number(messageId), html ? this.toHtml(m.text) : m.text, html ? { parse_mode: 'HTML' } : {});
      return { kind: 'sent', remoteId: messageId };
    } catch (err) {
      if (isBadRequest(err, /message is not modified/i)) return { kind: 'sent', remoteId: messageId };
      if (isBadRequest(err, /message to edit not found/i)) {
        const { editMessageId: _gone, ...rest } = m;
        return this.send(rest, { html: true, thread: true });
      }
      if (html && isBadRequest(err, /can't parse entities/i)) return this.edit(m, messageId, false);
      return this.classify(err);
    }
  }

  private classify(err: unknown): SendOutcome {
    return classifySendError(err, this.token);
  }
}

function isBadRequest(err: unknown, description: RegExp): boolean {
  return err instanceof GrammyError && err.error_code === 400 && description.test(err.description);
}

/** What a failed Bot API send came to (spec §1.6); texts scrubbed of the token. */
export function classifySendError(err: unknown, token?: string): SendOutcome {
  if (err instanceof GrammyError) {
    const error = scrubSecrets(`${err.error_code}: ${err.description}`, token);
    if (err.error_code === 429) return { kind: 'rateLimited', retryAfterMs: (err.parameters.retry_after ?? 1) * 1000, error };
    if (err.error_code >= 500) return { kind: 'notSent', error };
    return { kind: 'rejected', error };
  }
  if (err instanceof HttpError) {
    const cause = err.error as { code?: unknown; errno?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? cause.code : typeof cause?.errno === 'string' ? cause.errno : undefined;
    const error = scrubSecrets(`${err.message}${code ? ` (${code})` : ''}`, token);
    if (code !== undefined && NOT_SENT_CODES.has(code)) return { kind: 'notSent', error };
    return { kind: 'ambiguous', error }; // a timeout, reset or abort after the request may have been written
  }
  return { kind: 'ambiguous', error: scrubSecrets(err instanceof Error ? err.message : String(err), token) };
}
