import { CHANNELS, type ChannelName, type ChannelsConfig } from '../core/channel.js';
import { isMapping } from './channel-keys.js';
import { signalAccounts } from './channels-signal.js';
import { telegramAccounts } from './channels-telegram.js';
import { whatsappAccounts } from './channels-whatsapp.js';
import { ConfigError } from './gateway-config.js';

// The config file's `channels` block (spec channels.md §2): one key per channel, each resolved into its accounts.
// A channel absent from the block has no account; every problem is one ConfigError line (exit 2).

/** Where the `channels` block came from, and the environment (TELEGRAM_BOT_TOKEN) it may draw on. */
export interface ChannelsSource {
  /** The block as parsed from the file (undefined when the file has none). */
  block: unknown;
  /** The `--config` argument, as messages name it. */
  file: string;
  env: NodeJS.ProcessEnv;
}

/** No channel configured: what a gateway without a `channels` block runs with. */
export function noChannels(): ChannelsConfig {
  return { telegram: [], whatsapp: [], signal: [] };
}

/** The `channels` block, checked and resolved into the accounts of each channel (enabled and disabled). */
export function resolveChannels(source: ChannelsSource): ChannelsConfig {
  const { block, file, env } = source;
  const channels = noChannels();
  if (block === null || block === undefined) return channels;
  if (!isMapping(block)) throw new ConfigError(`channels must be a mapping in config file ${file}`);
  for (const [name, value] of Object.entries(block)) {
    if (!(CHANNELS as readonly string[]).includes(name)) {
      throw new ConfigError(`unknown channel ${JSON.stringify(name)} under channels in config file ${file} (supported: ${CHANNELS.join(', ')})`);
    }
    switch (name as ChannelName) {
      case 'telegram': channels.telegram = telegramAccounts(value, file, env); break;
      case 'whatsapp': channels.whatsapp = whatsappAccounts(value, file); break;
      case 'signal': channels.signal = signalAccounts(value, file); break;
    }
  }
  return channels;
}
