import type { UserFromGetMe } from 'grammy/types';
import type { ChannelAccountConfig, TelegramAccountConfig } from '../../../core/channel.js';
import type { ChannelAdapter } from '../channel-account.js';
import { COMMANDS } from '../commands.js';
import type { AdapterContext } from '../manager.js';
import { createTelegramApi } from './bot-api.js';
import { syncCommandMenu } from './commands-menu.js';
import { markdownToTelegramHtml } from './format.js';
import { downloadMedia } from './media.js';
import { normalizeUpdate } from './normalize.js';
import { probeTelegram } from './probe.js';
import { TelegramSender } from './sender.js';
import { telegramTransport } from './transport.js';
import { telegramWebhookHandler } from './webhook.js';

// Telegram on the channel layer: the grammY transport (long polling, or the webhook route on the gateway's own
// port), the sender (Markdown → Telegram HTML), media downloads within `media-max-mb`, the command menu, the
// getMe probe. The watermark of completed update ids is advanced inside the pipeline's transaction.

/** Builds the adapter of one Telegram account (the manager's AdapterFactory for `telegram`). */
export function telegramAdapter(account: ChannelAccountConfig, ctx: AdapterContext): ChannelAdapter {
  const config = account as TelegramAccountConfig;
  const api = createTelegramApi(config);
  const closing = new Set<Promise<void>>();
  let bot: UserFromGetMe | undefined;
  const ack = (botId: string, updateId: number) => () => ctx.inboundStore.setWatermark('telegram', config.accountId, botId, updateId);
  const transport = telegramTransport({
    config, clock: ctx.clock, log: ctx.log, closing, botRegistry: ctx.botRegistry,
    watermark: (botId) => ctx.inboundStore.watermark('telegram', config.accountId, botId),
    handle: (_update, message, a) => ctx.handler.handle(message, ack(a.botId, a.updateId)),
    onActivity: ctx.activity, onBotInfo: (info) => { bot = info; }, setLastError: ctx.reportError,
  });
  if (config.webhook) {
    // deliveries may come out of order: no watermark, the inbound records alone deduplicate them
    ctx.router.route(config.webhook.path, telegramWebhookHandler({
      secret: config.webhook.secret, isOnline: ctx.isOnline,
      handle: async (update) => {
        const message = bot ? normalizeUpdate(update, { accountId: config.accountId, botId: String(bot.id), botUsername: bot.username, mediaMaxMb: config.mediaMaxMb,
          hasTopicsEnabled: (bot as { has_topics_enabled?: boolean }).has_topics_enabled }) : undefined;
        await ctx.handler.handle(message);
      },
    }));
  }
  return {
    sender: new TelegramSender({ api, toHtml: markdownToTelegramHtml, token: config.botToken }),
    transport, closing,
    prepare: async () => ({}),
    mode: () => (config.webhook ? 'webhook' : 'polling'),
    probe: (timeoutMs) => probeTelegram(config, timeoutMs),
    onOnline: () => {
      void syncCommandMenu(api, COMMANDS.map((c) => ({ command: c.name, description: c.description })), {
        get: () => ctx.inboundStore.meta('telegram', config.accountId, 'command-menu'),
        set: (v) => ctx.inboundStore.setMeta('telegram', config.accountId, 'command-menu', v),
      }, ctx.log);
    },
    botUsername: () => bot?.username,
    dmTopics: () => (bot as { has_topics_enabled?: boolean } | undefined)?.has_topics_enabled === true,
    download: (media) => downloadMedia(api, config, media),
    snapshotExtras: () => ({ tokenSource: config.tokenSource, baseUrl: config.apiRoot }),
  };
}
