import type { ChannelAccountConfig, InboundMedia, WhatsAppAccountConfig } from '../../../core/channel.js';
import { WaAuthStore, type WaAuthState } from '../../../store/wa-auth.js';
import type { ChannelAdapter } from '../channel-account.js';
import type { AdapterContext } from '../manager.js';
import { loadBaileys } from './baileys.js';
import { GroupSubjects } from './group-subjects.js';
import { LoginState, whatsappLoginWatch, whatsappPrepare } from './login.js';
import { WhatsAppInbound } from './inbound.js';
import { WhatsAppReadReceipts } from './receipts.js';
import { WhatsAppSender } from './sender.js';
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
  const auth = {
    load: async (): Promise<WaAuthState> => store.load(accountId, await loadBaileys()),
    wipe: () => store.wipe(accountId),
    isLinked: () => store.isLinked(accountId),
  };
  const login = new LoginState({ clock: ctx.clock, auth });
  const receipts = new WhatsAppReadReceipts(() => sock, (err) => ctx.log.debug({ err }, 'whatsapp read receipt not sent'));
  const subjects = new GroupSubjects({ groupMetadata: async (jid) => sock?.groupMetadata(jid), now: () => ctx.clock.now() });
  const sender = new WhatsAppSender(() => sock);
  // upserts → the pipeline in order; read keys and raw messages (media) held while a message is in it
  const inbound = new WhatsAppInbound({
    config, baileys: loadBaileys, handle: (msg) => ctx.handler.handle(msg), connectedAt: () => connectedAt,
    outboxSent: (id) => sender.sentHere(id), groupSubjects: subjects, receipts, log: ctx.log,
  });
  const transport = whatsappTransport({
    config, auth, clock: ctx.clock, log: ctx.log, login,
    makeSocket: (o) => makeSocket({ ...o, ...(seams.waWebSocketUrl ? { waWebSocketUrl: seams.waWebSocketUrl, fetchLatestVersion: false } : {}) }),
    onSocket: (s) => {
      sock = s;
      if (s) connectedAt = ctx.clock.now();
    },
    onMessages: (upsert, current) => inbound.onUpsert(upsert, current),
    onActivity: ctx.activity, setLastError: ctx.reportError,
    // a recipient's retry request re-sends our message: its content, from the sender's memory of this process
    getMessage: async (id) => sender.sentMessage(id),
  });
  return {
    sender, transport, closing: new Set(),
    prepare: whatsappPrepare(auth),
    loginWatch: whatsappLoginWatch(login),
    mode: () => 'web',
    probe: async () => ({ ok: sock !== undefined && ctx.isOnline(), elapsedMs: 0, ...(sock ? {} : { error: 'not connected' }) }),
    onAccepted: (msg) => receipts.accepted(msg),
    download: (media: InboundMedia) => inbound.download(media),
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
