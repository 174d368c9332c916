import type { ChannelName, ChannelsControl } from '../../../core/channel.js';
import type { ChannelsPairingListResult } from '../../../../protocol/index.js';
import { CHANNEL_LABELS } from './status-view.js';

// The `channels.pairing.list` result (channels.md §5.3) from what the channel layer lists: labels, ISO times,
// the fixed limits of C3. Pure.

/** Pending requests per account and their lifetime (channels.md C3). */
export const PAIRING_LIMITS = Object.freeze({ pendingPerAccount: 3, ttlMs: 3_600_000 });

/** What `ChannelsControl.pairingList` answers. */
export type PairingListing = ReturnType<ChannelsControl['pairingList']>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The §5.3 result. `commandOwnerConfigured` is true when there is an account and every listed one has an owner. */
export function pairingListResult(listing: PairingListing): ChannelsPairingListResult {
  const label = (ch: ChannelName) => CHANNEL_LABELS[ch];
  return {
    accounts: listing.accounts.map((a) => ({ channel: a.channel, channelLabel: label(a.channel), accountId: a.accountId, notifySupported: true })),
    requests: listing.requests.map((r) => ({
      requestId: r.requestId, channel: r.channel, channelLabel: label(r.channel), accountId: r.accountId,
      senderId: r.senderId, senderLabel: r.senderLabel || r.senderId,
      createdAt: iso(r.createdAt), lastSeenAt: iso(r.lastSeenAt), expiresAt: iso(r.expiresAt), notifySupported: true,
    })),
    commandOwnerConfigured: listing.accounts.length > 0 && listing.accounts.every((a) => a.hasOwner),
    limits: { ...PAIRING_LIMITS },
  };
}
