// The rows of the Channels panel from a `channels.status` answer: one per account, `<label> · <account>`, its
// state and its last error. Pure, so the page code around it stays small.
import type { ResultOf } from '../../../src/client/index.ts';

/** `channels.status`'s answer as the client types it. */
export type ChannelsStatus = ResultOf<'channels.status'>;

/** One account of one channel. */
export interface ChannelRow {
  channel: string;
  accountId: string;
  /** `Telegram · default`. */
  name: string;
  state: string;
  lastError: string;
}

/** The account's state: the gateway's `state` when it sends one, else one read from its flags. */
function stateOf(a: Record<string, unknown>): string {
  if (typeof a.state === 'string' && a.state !== '') return a.state;
  if (a.enabled === false) return 'disabled';
  if (a.connected === true) return 'online';
  if (a.running === true) return 'connecting';
  return a.configured === false ? 'not configured' : 'stopped';
}

/** Every configured account, in the gateway's channel order. */
export function channelRows(status: ChannelsStatus): ChannelRow[] {
  return status.channelOrder.flatMap((channel) => (status.channelAccounts[channel] ?? []).map((account) => {
    const a = account as Record<string, unknown>;
    return {
      channel,
      accountId: account.accountId,
      name: `${status.channelLabels[channel] ?? channel} · ${account.accountId}`,
      state: stateOf(a),
      lastError: typeof account.lastError === 'string' ? account.lastError : '',
    };
  }));
}
