import type { WAMessage } from '@whiskeysockets/baileys';
import type { ChannelMessage, InboundMedia, WhatsAppAccountConfig } from '../../../core/channel.js';
import type { Logger } from '../../../core/log.js';
import type { GroupSubjects } from './group-subjects.js';
import { type BaileysHelpers, type NormalizeSocket, normalizeUpsert, type WhatsAppUpsert } from './normalize.js';
import type { ReadReceiptSocket, WhatsAppReadReceipts } from './receipts.js';

// The inbound side of a WhatsApp account (spec channels.md WA5, WA7, §1.4): the transport's `onMessages(upsert,
// sock)` lands here. Each upsert is normalized, then its messages go through the pipeline one at a time, in the
// order WhatsApp gave them (upserts are queued behind each other). History is never handed to the pipeline; an
// allowed sender's history is marked read at once. A live message's read key and raw message are held while the
// pipeline works on it: the key for the receipt after acceptance (adapter `onAccepted` → receipts), the raw
// message for the media download (adapter `download` → this class).

/** What Baileys provides here: the pure helpers plus `downloadMediaMessage` (production: `loadBaileys`). */
export type WhatsAppInboundBaileys = BaileysHelpers & Pick<typeof import('@whiskeysockets/baileys'), 'downloadMediaMessage'>;

/** What the inbound side needs of the adapter. */
export interface WhatsAppInboundDeps {
  config: WhatsAppAccountConfig;
  /** Baileys, loaded lazily (`loadBaileys` from ./baileys.js). */
  baileys(): Promise<WhatsAppInboundBaileys>;
  /** The pipeline (ChannelInboundHandler.handle). */
  handle(msg: ChannelMessage): Promise<void>;
  /** When the current socket opened (epoch ms): older messages are history (WA7). */
  connectedAt(): number;
  /** Whether the outbox sent a message with this WhatsApp id (self-chat-mode, C10). */
  outboxSent(id: string): boolean;
  groupSubjects: GroupSubjects;
  receipts: WhatsAppReadReceipts;
  /** Senders approved through pairing (history receipts). */
  isApproved?(senderId: string): boolean;
  log: Logger;
}

/** The socket calls the inbound side makes. */
export type InboundSocket = NormalizeSocket & ReadReceiptSocket;

/** One account's inbound side (see the file comment). */
export class WhatsAppInbound {
  private queue: Promise<void> = Promise.resolve();
  /** Raw messages of the messages in the pipeline, by inboundId (media downloads). */
  private readonly raws = new Map<string, WAMessage>();

  constructor(private readonly deps: WhatsAppInboundDeps) {}

  /** A `messages.upsert` of the live socket; resolves when its messages have been through the pipeline. Never rejects. */
  onUpsert(upsert: unknown, sock: InboundSocket): Promise<void> {
    const run = this.queue.then(() => this.process(upsert, sock)).catch((err: unknown) => {
      this.deps.log.error({ channel: 'whatsapp', accountId: this.deps.config.accountId, err }, 'whatsapp inbound failed');
    });
    this.queue = run;
    return run;
  }

  /** Fetches a media item of a message in the pipeline within `media-max-mb`; the ref alone when it cannot. */
  async download(media: InboundMedia): Promise<InboundMedia> {
    const raw = media.fileId !== undefined ? this.raws.get(media.fileId) : undefined;
    const limit = this.deps.config.mediaMaxMb * 1024 * 1024;
    if (!raw || (media.size !== undefined && media.size > limit)) return media;
    try {
      const { downloadMediaMessage } = await this.deps.baileys();
      const data = await downloadMediaMessage(raw, 'buffer', {});
      return data.byteLength > limit ? media : { ...media, data: new Uint8Array(data), size: data.byteLength };
    } catch (err) {
      this.deps.log.debug({ channel: 'whatsapp', accountId: this.deps.config.accountId, err }, 'whatsapp media download failed');
      return media;
    }
  }

  private async process(upsert: unknown, sock: InboundSocket): Promise<void> {
    const d = this.deps;
    if (!isUpsert(upsert)) {
      d.log.debug({ channel: 'whatsapp', accountId: d.config.accountId }, 'whatsapp: ignoring a malformed messages.upsert');
      return;
    }
    const helpers = await d.baileys();
    const entries = await normalizeUpsert(upsert, {
      accountId: d.config.accountId, sock, helpers, config: d.config, connectedAt: d.connectedAt(),
      outboxSent: (id) => d.outboxSent(id), groupSubject: (jid) => d.groupSubjects.subject(jid),
      ...(d.isApproved ? { isApproved: (id: string) => d.isApproved!(id) } : {}),
    });
    for (const entry of entries) {
      if (entry.history) {
        if (entry.readKey) d.receipts.readNow(entry.readKey);
        continue;
      }
      const msg = entry.message;
      if (!msg) {
        d.log.debug({ channel: 'whatsapp', accountId: d.config.accountId, reason: entry.skipped }, 'whatsapp message skipped');
        continue;
      }
      if (entry.readKey) d.receipts.remember(msg.inboundId, entry.readKey);
      this.raws.set(msg.inboundId, entry.raw);
      try {
        await d.handle(msg);
      } catch (err) {
        // Its outcome could not be recorded (a full disk): the next message still gets its turn.
        d.log.error({ channel: 'whatsapp', accountId: d.config.accountId, inboundId: msg.inboundId, err }, 'whatsapp message not handled');
      } finally {
        this.raws.delete(msg.inboundId);
        d.receipts.forget(msg.inboundId);
      }
    }
  }
}

function isUpsert(value: unknown): value is WhatsAppUpsert {
  const u = value as { messages?: unknown; type?: unknown } | null;
  return typeof u === 'object' && u !== null && Array.isArray(u.messages) && typeof u.type === 'string';
}
