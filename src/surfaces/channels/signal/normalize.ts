import type { ChannelMessage, InboundMedia, SignalAccountConfig } from '../../../core/channel.js';
import type { SignalEnvelope } from './envelope.js';

// A signal-cli-rest-api envelope as the channel pipeline's ChannelMessage (spec channels.md §1.4 step 1, §1.5,
// SG2, C10): data messages with text or attachments, and Note to Self (a sync of a message the owner sent to the
// account's own number). Everything else — other sync messages, receipts, typing, group updates, expiration
// timer changes, reactions — is undefined, and the caller still counts the envelope as handled.

/** The object-replacement character signal-cli puts where a mention sits in the text. */
const MENTION_PLACEHOLDER = '\uFFFC';

/** What normalizing needs to know about the account. */
export interface SignalNormalizeContext {
  accountId: string;
  /** The account's own number (E.164). */
  account: string;
  /** The account's own UUID, once learned (SG1). */
  ownUuid?: string;
  config: SignalAccountConfig;
  /** True when this account sent a message with this timestamp (a `remote_id` of the last 24 h, C10). */
  sentTimestamps: (ts: number) => boolean;
}

/** The own UUID an envelope reveals: the first envelope whose `sourceNumber` is the account gives it (SG1). */
export function ownUuidFrom(env: SignalEnvelope, account: string): string | undefined {
  const number = env.sourceNumber ?? env.source;
  if (number !== account || !env.sourceUuid) return undefined;
  return env.sourceUuid.toLowerCase();
}

/** The normalized message of an envelope, or undefined when it starts nothing (see the file comment). */
export function normalizeEnvelope(env: SignalEnvelope, ctx: SignalNormalizeContext): ChannelMessage | undefined {
  const own = ctx.ownUuid?.toLowerCase();
  const uuid = env.sourceUuid ? env.sourceUuid.toLowerCase() : undefined;
  const number = env.sourceNumber ?? (env.source && !isUuid(env.source) ? env.source : undefined);
  const peer = uuid ?? number;
  if (peer === undefined || typeof env.timestamp !== 'number') return undefined;
  const fromSelf = number === ctx.account || (own !== undefined && uuid === own);

  let body: SignalBody;
  let noteToSelf = false;
  if (env.dataMessage) {
    body = env.dataMessage;
  } else {
    const sent = env.syncMessage?.sentMessage;
    if (!sent || !fromSelf || sent.groupInfo || !isAccount(sent, ctx.account, own)) return undefined;
    body = sent;
    noteToSelf = true;
  }

  const ts = typeof body.timestamp === 'number' ? body.timestamp : env.timestamp;
  const text = renderMentions(body.message ?? '', body.mentions ?? []);
  const media = (body.attachments ?? []).map(mediaOf);
  if (text.trim() === '' && media.length === 0) return undefined; // a timer change, a reaction, a group update (#27615)

  const groupId = noteToSelf ? undefined : body.groupInfo?.groupId ?? undefined;
  if (body.groupInfo && groupId === undefined) return undefined; // a group message we could not answer in its group
  const chatId = noteToSelf ? ctx.account : groupId !== undefined ? groupRecipient(groupId) : (env.sourceUuid ?? number)!;
  const quote = body.quote;
  return {
    channel: 'signal',
    accountId: ctx.accountId,
    inboundId: `sg:${ctx.accountId}:${peer}:${env.timestamp}`,
    chatType: groupId !== undefined ? 'group' : 'direct',
    chatId,
    ...(groupId !== undefined && { groupId }),
    senderId: noteToSelf ? ctx.account : peer,
    // allow-from may name a uuid sender by number (SG2)
    ...(!noteToSelf && uuid !== undefined && number !== undefined && { senderAliases: [number] }),
    senderLabel: (noteToSelf ? undefined : nonEmpty(env.sourceName ?? undefined)) ?? number ?? peer,
    messageId: String(ts),
    text,
    media,
    ...(quote && quote.id !== undefined && quote.id !== null && {
      replyTo: {
        messageId: String(quote.id),
        ...optional('senderLabel', nonEmpty(quote.authorNumber ?? quote.author ?? quote.authorUuid ?? undefined)),
        ...optional('text', nonEmpty(quote.text ?? undefined)),
        isToBot: isOwn(quote.authorNumber ?? quote.author, quote.authorUuid, ctx.account, own),
      },
    }),
    mentionsBot: (body.mentions ?? []).some((m) => isOwn(m.number, m.uuid, ctx.account, own)),
    // Note to Self is the owner writing to the assistant; a data message from our own number or uuid, or any
    // message carrying a timestamp we sent, is our own output coming back (C10).
    isFromSelf: (!noteToSelf && fromSelf) || ctx.sentTimestamps(ts) || ctx.sentTimestamps(env.timestamp),
    ts: env.timestamp,
  };
}

/** The send recipient of a Signal group: `group.` + base64 of the group id's UTF-8 (SG2). */
export function groupRecipient(groupId: string): string {
  return `group.${Buffer.from(groupId, 'utf8').toString('base64')}`;
}

type SignalBody = NonNullable<SignalEnvelope['dataMessage']>;
type SignalMention = NonNullable<SignalBody['mentions']>[number];
type SignalAttachment = NonNullable<SignalBody['attachments']>[number];

/** Each U+FFFC a mention covers becomes `@<name|number|uuid>` (right to left, so earlier offsets stay valid). */
function renderMentions(text: string, mentions: readonly SignalMention[]): string {
  let out = text;
  const placed = mentions.filter((m) => typeof m.start === 'number').sort((a, b) => (b.start ?? 0) - (a.start ?? 0));
  for (const m of placed) {
    const start = m.start!;
    const length = typeof m.length === 'number' && m.length > 0 ? m.length : 1;
    if (out.slice(start, start + length) !== MENTION_PLACEHOLDER.repeat(length)) continue; // offsets that do not fit: leave the text alone
    const label = nonEmpty(m.name ?? undefined) ?? nonEmpty(m.number ?? undefined) ?? nonEmpty(m.uuid ?? undefined) ?? 'unknown';
    out = `${out.slice(0, start)}@${label}${out.slice(start + length)}`;
  }
  return out;
}

function mediaOf(a: SignalAttachment): InboundMedia {
  const mime = a.contentType ?? undefined;
  return {
    kind: kindOf(mime, a.filename ?? undefined),
    ...optional('fileId', a.id ?? undefined),
    ...optional('fileName', a.filename ?? undefined),
    ...optional('mime', mime),
    ...optional('size', typeof a.size === 'number' ? a.size : undefined),
  };
}

/** Signal voice notes are audio without a file name; other audio is a file that plays. */
function kindOf(mime: string | undefined, fileName: string | undefined): InboundMedia['kind'] {
  const type = (mime ?? '').toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return fileName === undefined ? 'voice' : 'audio';
  return 'document';
}

function isAccount(sent: { destination?: string | null; destinationNumber?: string | null; destinationUuid?: string | null }, account: string, own: string | undefined): boolean {
  return isOwn(sent.destinationNumber ?? sent.destination, sent.destinationUuid, account, own);
}

function isOwn(number: string | null | undefined, uuid: string | null | undefined, account: string, own: string | undefined): boolean {
  if (number !== null && number !== undefined && number === account) return true;
  return own !== undefined && typeof uuid === 'string' && uuid.toLowerCase() === own;
}

function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
