// Small factories for the pure inbound-pipeline tests: a Telegram DM from user 111 and the default
// account settings (spec channels.md §2.2), each overridable field by field.
import type { ChannelAccountConfig, ChannelMessage, GroupRule } from '../../../src/core/channel.js';

/** A Telegram DM `hello` from user 111 (Alice); pass fields to change it. */
export function message(over: Partial<ChannelMessage> = {}): ChannelMessage {
  return {
    channel: 'telegram', accountId: 'default', inboundId: 'tg:default:42:1', chatType: 'direct', chatId: '111',
    senderId: '111', senderLabel: 'Alice', messageId: '10', text: 'hello', media: [], mentionsBot: false,
    isFromSelf: false, ts: 1_700_000_000_000, ...over,
  };
}

/** A message from `senderId` in group `chatId` (−100 unless given). */
export function groupMessage(over: Partial<ChannelMessage> = {}): ChannelMessage {
  return message({ chatType: 'group', chatId: '-100', ...over });
}

/** The default account settings; `groups` may be given as a plain object. */
export function accountConfig(over: Partial<Omit<ChannelAccountConfig, 'groups'>> & { groups?: Record<string, GroupRule> } = {}): ChannelAccountConfig {
  const { groups = {}, ...rest } = over;
  return {
    channel: 'telegram', accountId: 'default', enabled: true, dmPolicy: 'pairing', dmScope: 'per-channel-peer',
    allowFrom: [], groupPolicy: 'allowlist', groups: new Map(Object.entries(groups)), requireMention: true,
    mentionPatterns: [], historyLimit: 50, textChunkLimit: 4000, mediaMaxMb: 20, ...rest,
  };
}

/** A pairing store that knows nothing (no approvals, no owner). */
export const NOBODY = { isApproved: () => false };

/** A pairing store with these approved senders and optionally a bootstrapped owner. */
export function approved(ids: string[], owner?: string) {
  return { isApproved: (id: string) => ids.includes(id), ...(owner !== undefined && { owner }) };
}
