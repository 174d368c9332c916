import type { ChannelAccountConfig, ChannelSender, InboundMedia, SignalAccountConfig } from '../../../core/channel.js';
import { family, isLoopbackHost, isPrivateAddress } from '../../../policy/addresses.js';
import type { ChannelAdapter } from '../channel-account.js';
import type { AdapterContext } from '../manager.js';
import { SignalClient } from './client.js';
import { SignalSender } from './sender.js';
import { signalLoginWatch, signalPrepare, signalTransport } from './transport.js';

// Signal on the channel layer, through a bbernhard/signal-cli-rest-api server: the receiver in the server's mode
// (one WebSocket in json-rpc mode, a long-poll loop in normal/native mode), the sender, typing, attachments.
// The account's own UUID (for mentions) is learned from its first own envelope and kept in channel_meta; the
// timestamps of what it sent (remote ids) are remembered for 24 h, so its own echoes never start a run.

/** How long a sent message's timestamp is remembered as ours (spec C10). */
const SENT_MEMORY_MS = 24 * 60 * 60 * 1000;

/** Builds the adapter of one Signal account (the manager's AdapterFactory for `signal`). */
export function signalAdapter(account: ChannelAccountConfig, ctx: AdapterContext): ChannelAdapter {
  const config = account as SignalAccountConfig;
  warnIfExposed(config.apiUrl, ctx);
  const client = new SignalClient({ apiUrl: config.apiUrl, account: config.account, clock: ctx.clock });
  const closing = new Set<Promise<void>>();
  let mode: string | undefined;
  const sent = new Map<number, number>(); // send timestamp → when it was sent
  const rememberSent = (remoteId: string) => {
    const now = ctx.clock.now();
    sent.set(Number(remoteId), now);
    for (const [ts, at] of sent) if (now - at > SENT_MEMORY_MS) sent.delete(ts); else break;
  };
  const inner = new SignalSender({ client, onError: ctx.reportError });
  const sender: ChannelSender = {
    sendText: async (message) => {
      const outcome = await inner.sendText(message);
      if (outcome.kind === 'sent') rememberSent(outcome.remoteId);
      return outcome;
    },
    typing: (target, on) => inner.typing(target, on),
  };
  const transport = signalTransport({
    config, client, clock: ctx.clock, log: ctx.log, closing,
    onActivity: ctx.activity, setLastError: ctx.reportError, onMode: (m) => { mode = m; },
    sentTimestamps: (ts) => sent.has(ts),
    ownUuid: () => ctx.inboundStore.meta('signal', config.accountId, 'own-uuid'),
    onOwnUuid: (uuid) => ctx.inboundStore.setMeta('signal', config.accountId, 'own-uuid', uuid),
    handle: (_env, message) => ctx.handler.handle(message),
  });
  const limit = config.mediaMaxMb * 1024 * 1024;
  return {
    sender, transport, closing,
    loginWatch: signalLoginWatch(client, ctx.clock),
    prepare: signalPrepare,
    mode: () => mode ?? 'unknown',
    probe: async (timeoutMs) => {
      const started = ctx.clock.now();
      try {
        await withTimeout(Promise.all([client.about(), client.accounts()]), timeoutMs);
        return { ok: true, elapsedMs: ctx.clock.now() - started };
      } catch (err) {
        return { ok: false, elapsedMs: ctx.clock.now() - started, error: (err as Error).message };
      }
    },
    download: async (media: InboundMedia) => {
      if (!media.fileId || (media.size ?? 0) > limit) return media;
      const data = await client.attachment(media.fileId, limit).catch(() => undefined);
      return data ? { ...media, data } : media;
    },
    onAccepted: (msg) => {
      // read receipts for accepted DMs only, when configured (best effort)
      if (!config.sendReadReceipts || msg.chatType !== 'direct' || msg.senderId === config.account) return;
      client.receipt(msg.chatId, msg.ts).catch((err: Error) => ctx.log.debug({ err: err.message }, 'signal read receipt not sent'));
    },
    snapshotExtras: () => ({ baseUrl: config.apiUrl, linked: ctx.isOnline() }),
  };
}

/** signal-cli-rest-api has no authentication: plain http to a public host carries the account in clear (spec §7). */
function warnIfExposed(apiUrl: string, ctx: AdapterContext): void {
  const url = new URL(apiUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'http:' || isLoopbackHost(host) || (family(host) !== undefined && isPrivateAddress(host))) return;
  ctx.log.warn({ apiUrl }, 'signal api-url is plain http to a host that is neither loopback nor private: signal-cli-rest-api has no authentication, keep it on a private network');
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
