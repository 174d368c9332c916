// Step 7 of the inbound pipeline (spec channels.md §1.5 "Run input"): what the model sees of a channel
// message. A plain DM is exactly its text; groups name the sender, and undownloaded media and reply
// context are spelled out in text. Downloaded media become content parts.
import type { ChannelMessage, InboundMedia } from '../../core/channel.js';
import type { InputPart } from '../../core/run.js';

/** The most characters kept of a quoted reply or of a group context message. */
export const QUOTE_MAX_CHARS = 500;

/** The run text of a message: text, media placeholders, reply context; in groups prefixed with the sender. */
export function runText(msg: ChannelMessage): string {
  const lines = [messageBody(msg)];
  if (msg.replyTo) {
    lines.push(`[Replying to ${msg.replyTo.senderLabel || 'unknown'} id:${msg.replyTo.messageId}]`);
    const quoted = msg.replyTo.text?.trim();
    if (quoted) lines.push(cutText(quoted, QUOTE_MAX_CHARS));
    lines.push('[/Replying]');
  }
  const text = lines.filter((line) => line !== '').join('\n');
  return msg.chatType === 'group' ? `${senderPrefix(msg)}${text}`.trimEnd() : text;
}

/** The message's own text and the placeholders of its undownloaded media, one per line. */
export function messageBody(msg: ChannelMessage): string {
  const placeholders = msg.media.filter((m) => m.data === undefined).map(mediaPlaceholder);
  return [msg.text.trim(), ...placeholders].filter((line) => line !== '').join('\n');
}

/** `[<senderLabel> id:<senderId>] `, the label of a group message. */
export function senderPrefix(msg: Pick<ChannelMessage, 'senderLabel' | 'senderId'>): string {
  return `[${msg.senderLabel} id:${msg.senderId}] `;
}

/** `<media:image>`, or with what is known of the file: `<media:document> (report.pdf, 120 KB)`. */
export function mediaPlaceholder(media: InboundMedia): string {
  const facts = [media.fileName, media.size !== undefined ? formatSize(media.size) : undefined].filter(Boolean);
  return `<media:${media.kind}>${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
}

/** Downloaded media as content parts: images (and static stickers) → image, voice/audio → audio, the rest → file. */
export function runParts(msg: ChannelMessage): InputPart[] {
  const parts: InputPart[] = [];
  for (const media of msg.media) {
    const data = media.data;
    if (data === undefined) continue;
    switch (media.kind) {
      case 'image':
      case 'sticker':
        parts.push({ type: 'image', data, format: imageFormat(media), detail: 'auto' });
        break;
      case 'voice':
      case 'audio':
        parts.push({ type: 'audio', data, format: audioFormat(media) });
        break;
      default:
        parts.push({
          type: 'file', data, filename: media.fileName || media.kind,
          mime: media.mime || 'application/octet-stream',
        });
    }
  }
  return parts;
}

/** Cut to at most `max` UTF-16 code units without splitting a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The MIME subtype (`image/png` → `png`), else the file extension, else the platform's usual format. */
function imageFormat(media: InboundMedia): string {
  return subtype(media.mime, 'image/') || extension(media.fileName) || (media.kind === 'sticker' ? 'webp' : 'jpeg');
}

function audioFormat(media: InboundMedia): string {
  const sub = subtype(media.mime, 'audio/');
  if (sub === 'mpeg') return 'mp3';
  if (sub === 'x-wav' || sub === 'wave') return 'wav';
  // Telegram voice notes are OGG/Opus.
  return sub || extension(media.fileName) || (media.kind === 'voice' ? 'ogg' : 'mp3');
}

function subtype(mime: string | undefined, prefix: string): string {
  const type = (mime ?? '').split(';')[0].trim().toLowerCase();
  return type.startsWith(prefix) ? type.slice(prefix.length) : '';
}

function extension(fileName: string | undefined): string {
  const dot = fileName?.lastIndexOf('.') ?? -1;
  return fileName && dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '';
}
