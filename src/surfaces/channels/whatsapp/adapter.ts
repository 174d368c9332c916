import type { WAMessage } from '@whiskeysockets/baileys';
import type { ChannelAccountConfig, ChannelSender, InboundMedia, WhatsAppAccountConfig } from '../../../core/channel.js';
import { WaAuthStore, type WaAuthState } from '../../../store/wa-auth.js';
import type { ChannelAdapter } from '../channel-account.js';
import type { AdapterContext } from '../manager.js';
import { loadBaileys } from './baileys.js';
import { GroupSubjects } from './group-subjects.js';
import { LoginState, whatsappLoginWatch, whatsappPrepare } from './login.js';
import { normalizeUpsert, type WhatsAppUpsert } from './normalize.js';
import { WhatsAppReadReceipts } from './receipts.js';
import { WhatsAppSender, whatsappMessageId } from './sender.js';
import { makeBaileysSocket, type MakeSocket, type WASocketLike } from './socket.js';
import { whatsappTransport } from './transport.js';

// WhatsApp on the channel layer, as a linked device through Baileys (loaded on first connect, never by a gateway
// without WhatsApp): the transport (one socket per connect; QR or pairing-code login; WA4's close codes), the
// auth state in SQLite, the inbound side (upserts → the pipeline, read receipts after acceptance, media), and
// the sender (deterministic message ids, so a resend is the same message).

/** Replaces the socket factory (tests: a fake socket; nothing may reach WhatsApp). */
export interface WhatsAppSeams {
  makeSocket?: MakeSocket;
  /** Another WhatsApp Web endpoint for the real socket, with no version lookup (tests: a closed local port). */
  waWebSocketUrl?: string;
}

/** Builds the adapter of one WhatsApp account (the manager's AdapterFactory for `whatsapp`). */
export function whatsappAdapter(account: ChannelAccountConfig, ctx: AdapterContext): ChannelAdapter {
  const config = account as WhatsAppAccountConfig;
  const { accountId } = config;
  const store = new WaAuthStore(ctx.db);
  const seams = (ctx.seams?.whatsapp ?? {}) as WhatsAppSeams;
  const makeSocket = seams.makeSocket ?? makeBaileysSocket;
  let sock: WASocketLike | undefined;
  let connectedAt = 0;
  const sentIds = new Set<string>(); // message ids the outbox sent (self-chat mode: the assistant's own replies)
  const raws = new Map<string, WAMessage>(); // media file id → its message, for the download
  const auth = {
    load: async (): Promise<WaAuthState> => store.load(accountId, await loadBaileys()),
    wipe: () => store.wipe(accountId),
    isLinked: () => store.isLinked(accountId),
  };
  const login = new LoginState({ clock: ctx.clock, auth });
  const receipts = new WhatsAppReadReceipts(() => sock, (err) => ctx.log.debug({ err }, 'whatsapp read receipt not sent'));
  const subjects = new GroupSubjects({ groupMetadata: async (jid) => sock?.groupMetadata(jid), now: () => ctx.clock.now() });
  const inner = new WhatsAppSender(() => sock);
  const sender: ChannelSender = {
    sendText: async (message) => {
      const outcome = await inner.sendText(message);
      if (outcome.kind === 'sent' && message.rowId) sentIds.add(whatsappMessageId(message.rowId));
      return outcome;
    },
    typing: (target, on) => inner.typing(target, on),
  };
  const transport = whatsappTransport({
    config, auth, clock: ctx.clock, log: ctx.log, login,
    makeSocket: (o) => makeSocket({ ...o, ...(seams.waWebSocketUrl ? { waWebSocketUrl: seams.waWebSocketUrl, fetchLatestVersion: false } : {}) }),
    onSocket: (s) => {
      sock = s;
      if (s) connectedAt = ctx.clock.now();
    },
    onMessages: async (upsert) => {
      const helpers = await loadBaileys();
      const current = sock;
      if (!current) return;
      const entries = await normalizeUpsert(upsert as WhatsAppUpsert, {
        accountId, sock: current, helpers, config, connectedAt, outboxSent: (id) => sentIds.has(id),
        groupSubject: (jid) => subjects.subject(jid),
      });
      for (const entry of entries) {
        const readable = entry.readKey && config.sendReadReceipts && !config.selfChatMode;
        if (!entry.message) {
          if (entry.history && readable) receipts.readNow(entry.readKey!);
          continue;
        }
        for (const m of entry.message.media) if (m.fileId) raws.set(m.fileId, entry.raw);
        if (readable) receipts.remember(entry.message.inboundId, entry.readKey!);
        try {
          await ctx.handler.handle(entry.message);
        } finally {
          receipts.forget(entry.message.inboundId);
          for (const m of entry.message.media) if (m.fileId) raws.delete(m.fileId);
        }
      }
    },
    onActivity: ctx.activity, setLastError: ctx.reportError,
  });
  const limit = config.mediaMaxMb * 1024 * 1024;
  return {
    sender, transport, closing: new Set(),
    prepare: whatsappPrepare(auth),
    loginWatch: whatsappLoginWatch(login),
    mode: () => 'web',
    probe: async () => ({ ok: sock !== undefined && ctx.isOnline(), elapsedMs: 0, ...(sock ? {} : { error: 'not connected' }) }),
    onAccepted: (msg) => receipts.accepted(msg),
    download: async (media: InboundMedia) => {
      const raw = media.fileId ? raws.get(media.fileId) : undefined;
      if (!raw || (media.size ?? 0) > limit) return media;
      try {
        const { downloadMediaMessage } = await loadBaileys();
        const data = await downloadMediaMessage(raw, 'buffer', {});
        return data.length <= limit ? { ...media, data: new Uint8Array(data) } : media;
      } catch (err) {
        ctx.log.debug({ err: (err as Error).message }, 'whatsapp media not downloaded');
        return media;
      }
    },
    loginStart: (params) => login.start(params),
    loginWait: (params) => login.wait(params),
    logout: async () => {
      await sock?.logout().catch((err: Error) => ctx.log.debug({ err: err.message }, 'whatsapp logout call failed; wiping anyway'));
      store.wipe(accountId);
      login.unlink();
    },
    snapshotExtras: () => ({ linked: store.isLinked(accountId) }),
  };
}
