import type { Message, MessageEntity, PhotoSize, Update } from 'grammy/types';
import type { ChannelMessage, InboundMedia } from '../../../core/channel.js';

// A Telegram update as the channel pipeline's ChannelMessage (spec channels.md §1.4 step 1, TG5, TG6):
// only new messages with text, a caption or media; everything else (edits, service messages, chat
// migrations) is undefined, and the caller still counts the update as handled.

/** What normalizing needs to know about the account and its bot. */
export interface NormalizeContext {
  accountId: string;
  botId: string;
  /** Without the `@`. */
  botUsername: string;
  /** getMe `has_topics_enabled`: DM thread ids count only then (TG5). */
  hasTopicsEnabled?: boolean;
  /** The media limit: a photo's largest size within it is chosen (default: the largest size). */
  mediaMaxMb?: number;
}

/** The normalized message of an update, or undefined when it starts nothing (see the file comment). */
export function normalizeUpdate(update: Update, ctx: NormalizeContext): ChannelMessage | undefined {
  const m = update.message;
  if (!m || m.migrate_to_chat_id !== undefined) return undefined;
  if (m.chat.type !== 'private' && m.chat.type !== 'group' && m.chat.type !== 'supergroup') return undefined;
  const text = m.text ?? m.caption ?? '';
  const media = mediaOf(m, ctx.mediaMaxMb);
  if (text === '' && media.length === 0) return undefined; // a service message
  const entities = m.entities ?? m.caption_entities ?? [];
  const botUsername = ctx.botUsername.toLowerCase();
  const fromId = m.from ? String(m.from.id) : m.sender_chat ? String(m.sender_chat.id) : String(m.chat.id);
  const reply = m.reply_to_message;
  return {
    channel: 'telegram',
    accountId: ctx.accountId,
    inboundId: `tg:${ctx.accountId}:${ctx.botId}:${update.update_id}`,
    chatType: m.chat.type === 'private' ? 'direct' : 'group',
    chatId: String(m.chat.id),
    ...threadOf(m, ctx),
    senderId: fromId,
    senderLabel: labelOf(m.from, m.sender_chat) ?? fromId,
    messageId: String(m.message_id),
    text,
    media,
    ...(reply ? {
      replyTo: {
        messageId: String(reply.message_id),
        ...optional('senderLabel', labelOf(reply.from, reply.sender_chat)),
        ...optional('text', reply.text ?? reply.caption),
        isToBot: reply.from !== undefined && String(reply.from.id) === ctx.botId,
      },
    } : {}),
    mentionsBot: entities.some((e) => mentionsBot(e, text, botUsername, ctx.botId)),
    isFromSelf: m.from !== undefined && String(m.from.id) === ctx.botId,
    ts: m.date * 1000,
    ...(isCommandForOtherBot(text, botUsername) ? { commandForOtherBot: true } : {}),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** TG5: forums always have a topic (General = 1); DMs only with topics enabled; reply threads elsewhere are ignored. */
function threadOf(m: Message, ctx: NormalizeContext): { threadId?: string } {
  if (m.chat.type === 'supergroup' && m.chat.is_forum) return { threadId: String(m.message_thread_id ?? 1) };
  if (m.chat.type === 'private' && ctx.hasTopicsEnabled && m.message_thread_id !== undefined) return { threadId: String(m.message_thread_id) };
  return {};
}

function labelOf(from: Message['from'], senderChat: Message['sender_chat']): string | undefined {
  if (from) {
    const name = [from.first_name, from.last_name].filter((s) => s).join(' ').trim();
    if (name !== '') return name;
    if (from.username) return `@${from.username}`;
    return undefined;
  }
  if (senderChat && 'title' in senderChat && senderChat.title) return senderChat.title;
  return undefined;
}

function mentionsBot(e: MessageEntity, text: string, botUsername: string, botId: string): boolean {
  if (e.type === 'mention') return text.slice(e.offset, e.offset + e.length).toLowerCase() === `@${botUsername}`;
  if (e.type === 'text_mention') return String(e.user.id) === botId;
  return false;
}

/** `/cmd@other_bot …`: a command meant for another bot in the same group. */
function isCommandForOtherBot(text: string, botUsername: string): boolean {
  const m = /^\/[A-Za-z0-9_]+@([A-Za-z0-9_]+)(?:\s|$)/.exec(text.trim());
  return m !== null && m[1].toLowerCase() !== botUsername;
}

/** The media items of a message, as references (media.ts downloads them). */
function mediaOf(m: Message, mediaMaxMb: number | undefined): InboundMedia[] {
  const out: InboundMedia[] = [];
  if (m.photo && m.photo.length > 0) {
    const p = pickPhoto(m.photo, mediaMaxMb);
    out.push({ kind: 'image', fileId: p.file_id, mime: 'image/jpeg', ...optional('size', p.file_size) });
  }
  if (m.sticker) {
    // Animated (TGS) and video (WEBM) stickers stay placeholders (TG6).
    const s = m.sticker;
    out.push(s.is_animated || s.is_video
      ? { kind: 'sticker', mime: s.is_animated ? 'application/x-tgsticker' : 'video/webm', ...optional('size', s.file_size) }
      : { kind: 'sticker', fileId: s.file_id, mime: 'image/webp', ...optional('size', s.file_size) });
  }
  const file = (kind: InboundMedia['kind'], f: { file_id: string; file_name?: string; mime_type?: string; file_size?: number } | undefined) => {
    if (f) out.push({ kind, fileId: f.file_id, ...optional('fileName', f.file_name), ...optional('mime', f.mime_type), ...optional('size', f.file_size) });
  };
  if (m.animation) file('video', m.animation);
  else file('document', m.document); // an animation also carries its file as `document`
  file('voice', m.voice);
  file('audio', m.audio);
  file('video', m.video);
  file('video', m.video_note);
  return out;
}

/** The largest photo size within the limit (Telegram lists sizes smallest first); when none fits, the smallest (a placeholder). */
function pickPhoto(sizes: PhotoSize[], mediaMaxMb: number | undefined): PhotoSize {
  const limit = mediaMaxMb === undefined ? Number.POSITIVE_INFINITY : mediaMaxMb * 1024 * 1024;
  const fitting = sizes.filter((s) => s.file_size === undefined || s.file_size <= limit);
  return fitting.at(-1) ?? sizes[0];
}
