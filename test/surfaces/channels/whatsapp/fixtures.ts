// Shared fixtures of the WhatsApp inbound tests: the account's settings, a minimal socket (user, LID mapping,
// and recorded read receipts) and Baileys messages as `messages.upsert` delivers them. Only Baileys' pure helpers
// are used (spec channels.md §6.1).
import * as baileys from '@whiskeysockets/baileys';
import type { WAMessage, WAMessageKey, proto } from '@whiskeysockets/baileys';
import type { GroupRule, WhatsAppAccountConfig } from '../../../../src/core/channel.js';
import type { BaileysHelpers, NormalizeSocket, WhatsAppNormalizeContext } from '../../../../src/surfaces/channels/whatsapp/normalize.js';

/** The real pure helpers of Baileys. */
export const helpers: BaileysHelpers = baileys;

/** The linked account of W7: PN with a device suffix, and its LID. */
export const BOT_USER = { id: '1555999:2@s.whatsapp.net', lid: '987654321@lid' };

/** When the socket opened in these tests (epoch ms). */
export const CONNECTED_AT = 1_800_000_000_000;

/** A WhatsApp account's settings (allow-from holds E.164). */
export function waConfig(over: Partial<Omit<WhatsAppAccountConfig, 'groups'>> & { groups?: Record<string, GroupRule> } = {}): WhatsAppAccountConfig {
  const { groups = {}, ...rest } = over;
  return {
    channel: 'whatsapp', accountId: 'default', enabled: true, dmPolicy: 'pairing', dmScope: 'per-channel-peer',
    allowFrom: ['+15551230000'], groupPolicy: 'allowlist', groups: new Map(Object.entries(groups)), requireMention: true,
    mentionPatterns: [], historyLimit: 50, textChunkLimit: 4000, mediaMaxMb: 20, selfChatMode: false, sendReadReceipts: true, ...rest,
  };
}

/** A socket with the account's user and a LID → PN mapping. */
export function socket(mapping: Record<string, string | Error> = {}, user: NormalizeSocket['user'] = BOT_USER): NormalizeSocket & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    user,
    lookups,
    signalRepository: {
      lidMapping: {
        async getPNForLID(lid: string) {
          lookups.push(lid);
          const pn = mapping[lid];
          if (pn instanceof Error) throw pn;
          return pn ?? null;
        },
      },
    },
  };
}

/** A normalize context over `socket()` and `waConfig()`, with `over` applied. */
export function context(over: Partial<WhatsAppNormalizeContext> = {}): WhatsAppNormalizeContext {
  return {
    accountId: 'default', sock: socket(), helpers, config: waConfig(), connectedAt: CONNECTED_AT,
    outboxSent: () => false, groupSubject: async () => undefined, ...over,
  };
}

/** A received message: `key` fields, content and a timestamp (seconds) just after the connection by default. */
export function waMessage(key: WAMessageKey, message: proto.IMessage | null, over: Partial<WAMessage> = {}): WAMessage {
  return { key, message, messageTimestamp: CONNECTED_AT / 1000 + 5, pushName: 'Alice', ...over };
}
