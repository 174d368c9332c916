import type { WAMessage, WAMessageKey, proto } from '@whiskeysockets/baileys';
import type { ChannelMessage, InboundMedia, WhatsAppAccountConfig } from '../../../core/channel.js';
import { decideAccess } from '../access.js';

// A Baileys `messages.upsert` as the channel pipeline's messages (spec channels.md §1.4 step 1, WA5, WA7, C10).
// Only `notify` upserts can start runs: `append` (history, offline catch-up) and messages older than the
// connection (by more than 30 s) are history, answered never, pairing included. Skipped: messages without
// content, broadcasts (status@broadcast and lists), newsletters and the account's own messages — except, under
// `self-chat-mode`, the owner writing in their own chat (unless the outbox sent that id). Baileys' helpers come
// in as an argument (the transport loads Baileys lazily); only its types are imported here.

/** The pure Baileys helpers normalizing uses (from `loadBaileys()`; tests pass the real module). */
export type BaileysHelpers = Pick<typeof import('@whiskeysockets/baileys'),
  'normalizeMessageContent' | 'jidNormalizedUser' | 'areJidsSameUser' | 'isPnUser' | 'isLidUser' | 'jidDecode'>;

/** What normalizing reads of the live socket (a subset of the transport's WASocketLike). */
export interface NormalizeSocket {
  /** The linked account: `id` is its PN JID with a device suffix (`1555999:2@s.whatsapp.net`), `lid` its LID. */
  user?: { id: string; lid?: string | null };
  signalRepository?: { lidMapping?: { getPNForLID(lid: string): Promise<string | null | undefined> } };
}

/** A `messages.upsert` event's payload. */
export interface WhatsAppUpsert {
  messages: WAMessage[];
  type: string;
}

/** What normalizing needs to know about the account. */
export interface WhatsAppNormalizeContext {
  accountId: string;
  sock: NormalizeSocket;
  helpers: BaileysHelpers;
  config: WhatsAppAccountConfig;
  /** When the socket opened (epoch ms): older messages are history (WA7). */
  connectedAt: number;
  /** Whether the outbox sent a message with this id (self-chat-mode: the assistant's own replies). */
  outboxSent(id: string): boolean;
  /** A group's subject (cached by the caller, see GroupSubjects); undefined when unknown. */
  groupSubject(jid: string): Promise<string | undefined>;
  /** Senders approved through pairing (history read receipts); none when absent. */
  isApproved?(senderId: string): boolean;
}

/** One upserted message, normalized: exactly one entry per message of the upsert, in order. */
export interface NormalizedWhatsAppMessage {
  /** The message for the pipeline; absent when it is skipped or history (never answered). */
  message?: ChannelMessage;
  /** An `append` upsert or a message from before the connection: no run, no reply (WA7). */
  history: boolean;
  /**
   * The key to mark read (`readMessages([key])`) when `send-read-receipts` is on and not in self-chat-mode: for a
   * live message once the pipeline accepts it (WhatsAppReadReceipts), for history at once (an allowed sender only).
   */
  readKey?: WAMessageKey;
  /** Why the message was skipped (debug logs), when it was. */
  skipped?: string;
  /** The message as received (media download needs it: `downloadMediaMessage(raw, …)`). */
  raw: WAMessage;
}

/** Messages older than connect time minus this are history (WA7). */
export const HISTORY_GRACE_MS = 30_000;

/** Normalizes every message of an upsert (see the file comment). */
export async function normalizeUpsert(upsert: WhatsAppUpsert, ctx: WhatsAppNormalizeContext): Promise<NormalizedWhatsAppMessage[]> {
  const out: NormalizedWhatsAppMessage[] = [];
  for (const raw of upsert.messages ?? []) out.push(await normalizeOne(raw, upsert.type === 'notify', ctx));
  return out;
}

async function normalizeOne(raw: WAMessage, notify: boolean, ctx: WhatsAppNormalizeContext): Promise<NormalizedWhatsAppMessage> {
  const h = ctx.helpers;
  if (typeof raw !== 'object' || raw === null) return { history: !notify, skipped: 'not a message', raw };
  const key = raw.key ?? {};
  const remoteJid = key.remoteJid ?? '';
  const skip = (skipped: string, history = !notify): NormalizedWhatsAppMessage => ({ history, skipped, raw });
  if (!raw.message) return skip('no message content');
  if (remoteJid === '' || typeof key.id !== 'string' || key.id === '') return skip('no chat or message id');
  if (remoteJid.endsWith('@broadcast')) return skip('broadcast');
  if (remoteJid.endsWith('@newsletter')) return skip('newsletter');
  const selfChat = isOwnJid(remoteJid, ctx);
  if (key.fromMe && !(ctx.config.selfChatMode && selfChat && !ctx.outboxSent(key.id))) return skip('sent by this account');
  const content = h.normalizeMessageContent(raw.message);
  if (!content) return skip('no message content');
  const text = textOf(content);
  const inboundId = `wa:${ctx.accountId}:${remoteJid}:${key.id}`;
  const media = mediaOf(content, inboundId);
  if (text === '' && media.length === 0) return skip('unsupported message kind'); // reactions, protocol messages, polls…

  const ts = secondsOf(raw.messageTimestamp);
  const history = !notify || (ts !== undefined && ts * 1000 < ctx.connectedAt - HISTORY_GRACE_MS);
  const group = remoteJid.endsWith('@g.us');
  const senderJid = group ? key.participant ?? '' : remoteJid;
  if (senderJid === '' && !key.fromMe) return skip('group message without a participant');
  const senderAlt = group ? key.participantAlt : key.remoteJidAlt;
  const senderId = key.fromMe ? ownPhone(ctx) ?? (await senderIdOf(remoteJid, undefined, ctx)) : await senderIdOf(senderJid, senderAlt ?? undefined, ctx);
  const context = contextInfoOf(content);
  const replyToUs = context?.participant ? isOwnJid(context.participant, ctx) : false;
  const message: ChannelMessage = {
    channel: 'whatsapp',
    accountId: ctx.accountId,
    inboundId,
    chatType: group ? 'group' : 'direct',
    chatId: remoteJid,
    senderId,
    senderLabel: raw.pushName?.trim() || senderId,
    messageId: key.id,
    text,
    media,
    ...(context?.stanzaId ? {
      replyTo: {
        messageId: context.stanzaId,
        ...(context.quotedMessage ? optionalText(textOf(h.normalizeMessageContent(context.quotedMessage) ?? {})) : {}),
        isToBot: replyToUs,
      },
    } : {}),
    mentionsBot: replyToUs || (context?.mentionedJid ?? []).some((jid) => isOwnJid(jid, ctx)),
    isFromSelf: false,
    ts: ts !== undefined ? ts * 1000 : ctx.connectedAt,
    ...(ctx.config.selfChatMode ? { noPairing: true } : {}),
  };
  const receipts = ctx.config.sendReadReceipts && !ctx.config.selfChatMode && !key.fromMe;
  if (history) {
    // History is never answered; it is marked read only when its sender may reach the account (WA5).
    const allowed = receipts && decideAccess(message, ctx.config, { isApproved: (id) => ctx.isApproved?.(id) ?? false }).kind === 'allow';
    return { history: true, ...(allowed ? { readKey: key } : {}), raw };
  }
  if (group) {
    const subject = await ctx.groupSubject(remoteJid).catch(() => undefined);
    if (subject) message.chatLabel = subject;
  }
  return { message, history: false, ...(receipts ? { readKey: key } : {}), raw };
}

/** Whether a JID names the linked account, by its PN (any device) or its LID (#15783, #36829). */
function isOwnJid(jid: string, ctx: WhatsAppNormalizeContext): boolean {
  const user = ctx.sock.user;
  if (!user) return false;
  const normalized = ctx.helpers.jidNormalizedUser(jid);
  if (normalized === '') return false;
  if (normalized === ctx.helpers.jidNormalizedUser(user.id)) return true;
  return typeof user.lid === 'string' && user.lid !== '' && normalized === ctx.helpers.jidNormalizedUser(user.lid);
}

/** The account's own number (E.164), from its PN JID. */
function ownPhone(ctx: WhatsAppNormalizeContext): string | undefined {
  const user = ctx.sock.user?.id;
  return user && ctx.helpers.isPnUser(user) ? e164Of(user, ctx) : undefined;
}

/**
 * A sender as E.164 (WA5): the JID itself or its alternate when one is a PN JID, else the LID mapping Baileys
 * keeps, else `lid:<user>` (allowlists, which hold E.164 only, then never match it).
 */
async function senderIdOf(jid: string, alt: string | undefined, ctx: WhatsAppNormalizeContext): Promise<string> {
  const h = ctx.helpers;
  if (h.isPnUser(jid)) return e164Of(jid, ctx);
  if (alt && h.isPnUser(alt)) return e164Of(alt, ctx);
  if (h.isLidUser(jid)) {
    try {
      const pn = await ctx.sock.signalRepository?.lidMapping?.getPNForLID(jid);
      if (pn && h.isPnUser(pn)) return e164Of(pn, ctx);
    } catch {
      // no mapping: the LID stands
    }
    return `lid:${h.jidDecode(jid)?.user ?? jid}`;
  }
  return h.jidDecode(jid)?.user ?? jid;
}

function e164Of(pnJid: string, ctx: WhatsAppNormalizeContext): string {
  return `+${ctx.helpers.jidDecode(pnJid)?.user ?? pnJid.split('@')[0]}`;
}

/** `conversation`, else `extendedTextMessage.text`, else a media caption (WA5). */
function textOf(c: proto.IMessage): string {
  return c.conversation ?? c.extendedTextMessage?.text ?? c.imageMessage?.caption ?? c.videoMessage?.caption
    ?? c.documentMessage?.caption ?? '';
}

function optionalText(text: string): { text?: string } {
  return text === '' ? {} : { text };
}

/** The context (mentions, quoted message) of whichever content kind carries one. */
function contextInfoOf(c: proto.IMessage): proto.IContextInfo | undefined {
  return (c.extendedTextMessage ?? c.imageMessage ?? c.videoMessage ?? c.documentMessage ?? c.audioMessage ?? c.stickerMessage)?.contextInfo ?? undefined;
}

/** Media references; `fileId` is the message's inboundId (WhatsAppInbound downloads from the raw message). */
function mediaOf(c: proto.IMessage, inboundId: string): InboundMedia[] {
  const ref = (kind: InboundMedia['kind'], m: { mimetype?: string | null; fileLength?: unknown; fileName?: string | null }): InboundMedia => {
    const size = numberOf(m.fileLength);
    return {
      kind, fileId: inboundId,
      ...(m.mimetype ? { mime: m.mimetype } : {}),
      ...(m.fileName ? { fileName: m.fileName } : {}),
      ...(size !== undefined ? { size } : {}),
    };
  };
  const out: InboundMedia[] = [];
  if (c.imageMessage) out.push(ref('image', c.imageMessage));
  if (c.videoMessage) out.push(ref('video', c.videoMessage));
  if (c.audioMessage) out.push(ref(c.audioMessage.ptt ? 'voice' : 'audio', c.audioMessage));
  if (c.documentMessage) out.push(ref('document', c.documentMessage));
  if (c.stickerMessage) out.push(ref('sticker', c.stickerMessage));
  return out;
}

/** A protobuf integer (number or Long) as a number. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'object' && value !== null && typeof (value as { toNumber?: unknown }).toNumber === 'function') {
    return (value as { toNumber(): number }).toNumber();
  }
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function secondsOf(value: unknown): number | undefined {
  const n = numberOf(value);
  return n !== undefined && n > 0 ? n : undefined;
}
