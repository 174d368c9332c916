import type { ChannelAccountConfig, ChannelName, GroupRule } from '../core/channel.js';
import { groupId, senderIds } from './channel-ids.js';
import { readBool, readChoice, readIdMapping, readIntRange, readKeys, readPositiveNumber, readStringList, type KeyPath } from './channel-keys.js';
import { ConfigError } from './gateway-config.js';

// The keys every channel shares (spec channels.md §2.2) and the account rules of §2.3: the top level of a
// channel block is account `default`, each `accounts` entry another account that inherits the top level's keys.

/** The §2.2 keys of every channel (besides `accounts`). */
export const COMMON_KEYS = [
  'enabled', 'dm-policy', 'dm-scope', 'allow-from', 'group-policy', 'group-allow-from', 'groups',
  'require-mention', 'mention-patterns', 'history-limit', 'text-chunk-limit', 'media-max-mb',
] as const;

/** The account id of a channel block's top level. */
export const DEFAULT_ACCOUNT = 'default';

const ACCOUNT_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const DM_POLICIES = ['pairing', 'allowlist', 'open', 'disabled'] as const;
const DM_SCOPES = ['per-channel-peer', 'main'] as const;
const GROUP_POLICIES = ['allowlist', 'open', 'disabled'] as const;
const MEDIA_MAX_MB: Record<ChannelName, number> = { telegram: 20, whatsapp: 50, signal: 8 };
const TEXT_CHUNK_MAX: Record<ChannelName, number> = { telegram: 4096, whatsapp: 65536, signal: 65536 };

/** One account's mapping in the file: the top level (`default`) or an `accounts` entry. */
export interface AccountLayer {
  accountId: string;
  /** `channels.telegram` or `channels.telegram.accounts.work`. */
  path: string;
  /** Its keys by canonical name (null values left out). */
  keys: Map<string, unknown>;
}

/** The settings shared by every channel, as given in one layer (absent = not given there). */
export type CommonSettings = Partial<Omit<ChannelAccountConfig, 'channel' | 'accountId'>>;

/**
 * The layers of `channels.<channel>`: its top level (keys `COMMON_KEYS`, `ownKeys` and `accounts`) and one per
 * `accounts` entry (the same keys but `accounts`). Account ids are checked as written, never converted.
 */
export function accountLayers(channel: ChannelName, block: unknown, file: string, ownKeys: readonly string[]): { top: AccountLayer; accounts: AccountLayer[] } {
  const path = `channels.${channel}`;
  const accountKeys = [...COMMON_KEYS, ...ownKeys];
  const top: AccountLayer = { accountId: DEFAULT_ACCOUNT, path, keys: readKeys(block, { path, file }, [...accountKeys, 'accounts']) };
  const accounts = readIdMapping(top.keys.get('accounts'), { path: `${path}.accounts`, file }).map(([id, value]): AccountLayer => {
    if (id === DEFAULT_ACCOUNT) throw new ConfigError(`${path}.accounts: account id "default" is taken by the top level of ${path}`);
    if (!ACCOUNT_ID.test(id)) throw new ConfigError(`${path}.accounts: account id ${JSON.stringify(id)} must match [a-z0-9][a-z0-9_-]{0,31}`);
    const at: KeyPath = { path: `${path}.accounts.${id}`, file };
    return { accountId: id, path: at.path, keys: readKeys(value, at, accountKeys) };
  });
  return { top, accounts };
}

/** The shared keys given in `layer`, each checked (ids normalized, `groups` as a Map). */
export function commonSettings(channel: ChannelName, layer: AccountLayer, file: string): CommonSettings {
  const s: CommonSettings = {};
  const at = (key: string) => `${layer.path}.${key}`;
  for (const [key, value] of layer.keys) {
    switch (key) {
      case 'enabled': s.enabled = readBool(value, at(key)); break;
      case 'dm-policy': s.dmPolicy = readChoice(value, at(key), DM_POLICIES); break;
      case 'dm-scope': s.dmScope = readChoice(value, at(key), DM_SCOPES); break;
      case 'allow-from': s.allowFrom = senderIds(channel, readStringList(value, at(key)), at(key)); break;
      case 'group-policy': s.groupPolicy = readChoice(value, at(key), GROUP_POLICIES); break;
      case 'group-allow-from': s.groupAllowFrom = senderIds(channel, readStringList(value, at(key)), at(key)); break;
      case 'groups': s.groups = groupRules(channel, value, { path: at(key), file }); break;
      case 'require-mention': s.requireMention = readBool(value, at(key)); break;
      case 'mention-patterns': s.mentionPatterns = mentionPatterns(value, at(key)); break;
      case 'history-limit': s.historyLimit = readIntRange(value, at(key), 0, 500); break;
      case 'text-chunk-limit': s.textChunkLimit = readIntRange(value, at(key), 100, TEXT_CHUNK_MAX[channel]); break;
      case 'media-max-mb': s.mediaMaxMb = readPositiveNumber(value, at(key)); break;
    }
  }
  return s;
}

/**
 * One account's shared settings: `own` over `inherited` (the top level's), defaults for the rest, then the rules
 * that span keys (open needs `*`, allowlist needs entries, `dm-scope: main` never with `open`), reported at `path`.
 */
export function completeAccount<C extends ChannelName>(channel: C, accountId: string, path: string, inherited: CommonSettings, own: CommonSettings): ChannelAccountConfig & { channel: C } {
  const s = { ...inherited, ...own };
  const account = {
    channel,
    accountId,
    enabled: s.enabled ?? true,
    dmPolicy: s.dmPolicy ?? 'pairing',
    dmScope: s.dmScope ?? 'per-channel-peer',
    allowFrom: s.allowFrom ?? [],
    groupPolicy: s.groupPolicy ?? 'allowlist',
    ...(s.groupAllowFrom ? { groupAllowFrom: s.groupAllowFrom } : {}),
    // a copy: accounts inheriting one `groups` never share a Map
    groups: new Map<string, GroupRule>(s.groups ?? []),
    requireMention: s.requireMention ?? true,
    mentionPatterns: s.mentionPatterns ?? [],
    historyLimit: s.historyLimit ?? 50,
    textChunkLimit: s.textChunkLimit ?? 4000,
    mediaMaxMb: s.mediaMaxMb ?? MEDIA_MAX_MB[channel],
  };
  if (account.dmPolicy === 'open' && !account.allowFrom.includes('*')) throw new ConfigError(`${path}.dm-policy "open" needs "*" in allow-from`);
  if (account.dmPolicy === 'allowlist' && account.allowFrom.length === 0) throw new ConfigError(`${path}.dm-policy "allowlist" needs a non-empty allow-from`);
  if (account.dmScope === 'main' && account.dmPolicy === 'open') throw new ConfigError(`${path}.dm-scope "main" cannot be combined with dm-policy "open"`);
  return account;
}

function groupRules(channel: ChannelName, value: unknown, at: KeyPath): Map<string, GroupRule> {
  const rules = new Map<string, GroupRule>();
  for (const [id, ruleValue] of readIdMapping(value, at)) {
    const gid = groupId(channel, id, at.path);
    const ruleAt: KeyPath = { path: `${at.path}.${id}`, file: at.file };
    const keys = readKeys(ruleValue, ruleAt, ['require-mention', 'allow-from']);
    const rule: GroupRule = {};
    const requireMention = keys.get('require-mention');
    if (requireMention !== undefined) rule.requireMention = readBool(requireMention, `${ruleAt.path}.require-mention`);
    const allowFrom = keys.get('allow-from');
    if (allowFrom !== undefined) rule.allowFrom = senderIds(channel, readStringList(allowFrom, `${ruleAt.path}.allow-from`), `${ruleAt.path}.allow-from`);
    rules.set(gid, rule);
  }
  return rules;
}

function mentionPatterns(value: unknown, path: string): string[] {
  return readStringList(value, path).map((pattern) => {
    if (pattern.trim() === '') throw new ConfigError(`${path} must be non-empty strings`);
    return pattern.toLowerCase();
  });
}
