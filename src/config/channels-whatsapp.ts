import type { ChannelAccountConfig, WhatsAppAccountConfig } from '../core/channel.js';
import { accountLayers, commonSettings, completeAccount, type AccountLayer } from './channel-accounts.js';
import { readBool } from './channel-keys.js';

// `channels.whatsapp` (spec channels.md §2.2–2.3): the shared keys plus `self-chat-mode` and
// `send-read-receipts`. The login is made later (`clawgate channels login whatsapp`), so the top level is always
// account `default`; every `accounts` entry inherits all of its keys.

const WHATSAPP_KEYS = ['self-chat-mode', 'send-read-receipts'] as const;

/** The WhatsApp settings one layer gives (absent = not given there). */
interface WhatsAppSettings {
  selfChatMode?: boolean;
  sendReadReceipts?: boolean;
}

/** The accounts of `channels.whatsapp`: `default` (the top level), then each `accounts` entry. */
export function whatsappAccounts(block: unknown, file: string): WhatsAppAccountConfig[] {
  const { top, accounts } = accountLayers('whatsapp', block, file, WHATSAPP_KEYS);
  const topCommon = commonSettings('whatsapp', top, file);
  const topOwn = whatsappSettings(top);
  const layers = accounts.map((layer) => ({ layer, common: commonSettings('whatsapp', layer, file), own: whatsappSettings(layer) }));
  return [
    whatsappAccount(completeAccount('whatsapp', top.accountId, top.path, topCommon, {}), topOwn),
    ...layers.map(({ layer, common, own }) =>
      whatsappAccount(completeAccount('whatsapp', layer.accountId, layer.path, topCommon, common), { ...topOwn, ...own })),
  ];
}

function whatsappAccount(base: ChannelAccountConfig & { channel: 'whatsapp' }, s: WhatsAppSettings): WhatsAppAccountConfig {
  return { ...base, selfChatMode: s.selfChatMode ?? false, sendReadReceipts: s.sendReadReceipts ?? true };
}

function whatsappSettings(layer: AccountLayer): WhatsAppSettings {
  const s: WhatsAppSettings = {};
  for (const [key, value] of layer.keys) {
    if (key === 'self-chat-mode') s.selfChatMode = readBool(value, `${layer.path}.${key}`);
    if (key === 'send-read-receipts') s.sendReadReceipts = readBool(value, `${layer.path}.${key}`);
  }
  return s;
}
