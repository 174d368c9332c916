import type { ChannelAccountConfig, SignalAccountConfig, TelegramAccountConfig } from '../../core/channel.js';
import { StartupError } from '../../core/startup-error.js';

// Cluster mode: the key of a channel account's lease names what must never be run by two instances at once —
// the platform identity, not the account id, so two instances that name one bot differently still cannot both
// poll it. Telegram: the bot id (the token's numeric prefix, which is not secret and stays the same when the
// token is regenerated); Signal: the account's number; WhatsApp: the account id (its identity is known only
// after the link, which is per instance).

/** The lease key of an account: `telegram:bot:<botId>`, `signal:<number>`, `whatsapp:<accountId>`. */
export function accountLeaseKey(config: ChannelAccountConfig): string {
  switch (config.channel) {
    case 'telegram': {
      const botId = /^(\d+):/.exec((config as TelegramAccountConfig).botToken)?.[1];
      if (!botId) throw new Error(`telegram account ${config.accountId}: no bot token to key its lease by`);
      return `telegram:bot:${botId}`;
    }
    case 'signal':
      return `signal:${(config as SignalAccountConfig).account}`;
    case 'whatsapp':
      return `whatsapp:${config.accountId}`;
  }
}

/**
 * The lease key of each enabled account; throws (a clear start-up error) when two accounts share one, which
 * one lease cannot tell apart: both would run wherever it is held.
 */
export function accountLeaseKeys(accounts: readonly ChannelAccountConfig[]): Map<string, string> {
  const byKey = new Map<string, string>();
  const out = new Map<string, string>();
  for (const config of accounts) {
    if (!config.enabled) continue;
    const id = `${config.channel}:${config.accountId}`;
    const key = accountLeaseKey(config);
    const other = byKey.get(key);
    if (other) throw new StartupError(`channel accounts ${other} and ${id} are one ${config.channel} identity (lease key ${key}): one of them must be disabled or removed`);
    byKey.set(key, id);
    out.set(id, key);
  }
  return out;
}
