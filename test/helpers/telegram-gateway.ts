import type { GatewayConfig } from '../../src/config.js';
import type { TelegramAccountConfig } from '../../src/core/channel.js';
import type { GatewayOptions } from '../../src/main.js';
import { type FakeTelegram, startFakeTelegram } from './fake-telegram.js';
import { startTestGateway, type TestGateway } from './gateway.js';

// A real gateway with one Telegram account pointed at a fake Bot API on 127.0.0.1 (grammY's apiRoot), for the
// channel layer's end-to-end tests: fake → grammY → pipeline → session → runner → outbox → fake.

/** A Telegram account's settings as the config file would resolve them (streaming off unless a test says so). */
export function telegramAccount(fake: FakeTelegram, over: Partial<TelegramAccountConfig> = {}): TelegramAccountConfig {
  return {
    channel: 'telegram', accountId: 'default', enabled: true, botToken: fake.token, tokenSource: 'config', apiRoot: fake.apiRoot,
    dmPolicy: 'pairing', dmScope: 'per-channel-peer', allowFrom: [], groupPolicy: 'allowlist', groups: new Map(), requireMention: true,
    mentionPatterns: [], historyLimit: 50, textChunkLimit: 4000, mediaMaxMb: 20, streaming: 'off', ...over,
  };
}

/** A gateway with a Telegram account and its fake. */
export interface TelegramGateway {
  tg: TestGateway;
  fake: FakeTelegram;
  close(): Promise<void>;
}

/** Starts the fake (unless given) and a gateway whose only channel account is `account`; close() stops both, gateway first. */
export async function startTelegramGateway(opts: {
  fake?: FakeTelegram; account?: Partial<TelegramAccountConfig>; gateway?: Partial<GatewayConfig>; options?: GatewayOptions;
} = {}): Promise<TelegramGateway> {
  const fake = opts.fake ?? await startFakeTelegram({ username: 't_bot' });
  const tg = await startTestGateway({ channels: { telegram: [telegramAccount(fake, opts.account)], whatsapp: [], signal: [] }, ...opts.gateway }, opts.options);
  return {
    tg, fake,
    async close() {
      await tg.close(); // stops the account first (its final getUpdates), then the fake
      if (!opts.fake) await fake.close();
    },
  };
}

/** A DM update from user `from` (chat id = user id). */
export function dm(from: number, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { message: { message_id: nextMessageId(), date: Math.floor(Date.now() / 1000), chat: { id: from, type: 'private', first_name: `U${from}` }, from: { id: from, is_bot: false, first_name: `U${from}` }, text, ...extra } };
}

/** A message in group `chatId` from user `from`. */
export function groupMessage(chatId: number, from: number, text: string, extra: Record<string, unknown> = {}, chat: Record<string, unknown> = {}): Record<string, unknown> {
  return { message: { message_id: nextMessageId(), date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'supergroup', title: 'G', ...chat }, from: { id: from, is_bot: false, first_name: `U${from}` }, text, ...extra } };
}

let messageIds = 1000;
function nextMessageId(): number {
  return ++messageIds;
}

/** The texts the bot sent to `chatId` with sendMessage, in order. */
export function sentTexts(fake: FakeTelegram, chatId: number | string): string[] {
  return fake.callsOf('sendMessage').filter((c) => String(c.body.chat_id) === String(chatId)).map((c) => String(c.body.text));
}
