import { CHANNELS, type ChannelAccountSnapshot, type ChannelName } from '../../../core/channel.js';
import type { ChannelsStatusResult } from '../../../../protocol/index.js';

// The `channels.status` result (channels.md §5.2) built from the channel layer's snapshots: pure, so the
// shape is tested without a gateway. All three channels are always listed (or the one asked for).

/** How each channel is named in status and pairing views. */
export const CHANNEL_LABELS: Readonly<Record<ChannelName, string>> = { telegram: 'Telegram', whatsapp: 'WhatsApp', signal: 'Signal' };

/** The longer names of `channelDetailLabels`. */
export const CHANNEL_DETAIL_LABELS: Readonly<Record<ChannelName, string>> = {
  telegram: 'Telegram Bot', whatsapp: 'WhatsApp Web', signal: 'Signal (signal-cli-rest-api)',
};

/** Whether `name` is a channel Clawgate speaks (a client-sent string: never looked up on an object). */
export function isChannelName(name: string): name is ChannelName {
  return (CHANNELS as readonly string[]).includes(name);
}

/** The per-channel summary: configured = any account configured, running = any running, connected = every
 *  enabled account online (and at least one enabled). */
export function channelSummary(accounts: readonly ChannelAccountSnapshot[]): { configured: boolean; running: boolean; connected: boolean } {
  const enabled = accounts.filter((a) => a.enabled);
  return {
    configured: accounts.some((a) => a.configured),
    running: accounts.some((a) => a.running),
    connected: enabled.length > 0 && enabled.every((a) => a.connected),
  };
}

/** `default` when the channel has that account, else its first account's id, else `default`. */
export function defaultAccountId(accounts: readonly ChannelAccountSnapshot[]): string {
  return accounts.some((a) => a.accountId === 'default') || accounts.length === 0 ? 'default' : accounts[0].accountId;
}

/**
 * The §5.2 result: every channel of {@link CHANNELS} (or only `channel`), each with its summary, its account
 * snapshots (`[]` when it has none) and its default account id. Channels missing from `snapshots` are unconfigured.
 */
export function channelsStatusResult(
  snapshots: Partial<Record<ChannelName, readonly ChannelAccountSnapshot[]>>,
  o: { channel?: ChannelName; ts: number },
): ChannelsStatusResult {
  const order = o.channel ? [o.channel] : [...CHANNELS];
  const pick = <T>(f: (ch: ChannelName) => T): Record<string, T> => Object.fromEntries(order.map((ch) => [ch, f(ch)]));
  const accounts = (ch: ChannelName) => [...(snapshots[ch] ?? [])];
  return {
    ts: o.ts,
    channelOrder: order,
    channelLabels: pick((ch) => CHANNEL_LABELS[ch]),
    channelDetailLabels: pick((ch) => CHANNEL_DETAIL_LABELS[ch]),
    channels: pick((ch) => channelSummary(accounts(ch))),
    channelAccounts: pick(accounts),
    channelDefaultAccountId: pick((ch) => defaultAccountId(accounts(ch))),
  };
}
