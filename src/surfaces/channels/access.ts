// Step 4 of the inbound pipeline (spec channels.md C2): may this sender reach the assistant here? A pure
// decision over the account's settings and what the pairing store knows; the caller does the I/O.
import type { ChannelAccountConfig, ChannelMessage, GroupRule } from '../../core/channel.js';

/** What the pairing store knows of an account's senders (approvals and the bootstrapped owner). */
export interface KnownSenders {
  /** The sender was approved through pairing (grants DMs only). */
  isApproved(senderId: string): boolean;
  /** The sender whose pairing approval bootstrapped ownership of the account, if any. */
  owner?: string;
}

/**
 * The outcome of the access step: `allow` (with whether the sender owns the account, for `/activation`),
 * `deny` (dropped silently; `reason` is for the debug log) or `pair` (a DM under `pairing` from an unknown
 * sender: the pairing flow, no run).
 */
export type AccessDecision = { kind: 'allow'; isOwner: boolean } | { kind: 'deny'; reason: string } | { kind: 'pair' };

/** Decide whether a normalized message may proceed (C2); `pair` only for DMs under `dm-policy: pairing`. */
export function decideAccess(msg: ChannelMessage, cfg: ChannelAccountConfig, known: KnownSenders): AccessDecision {
  // Signal: allow-from names a sender by UUID or by number, and a message carries both (SG2).
  const ids = [msg.senderId, ...(msg.senderAliases ?? [])];
  const allow = (): AccessDecision => ({ kind: 'allow', isOwner: ids.some((id) => isOwner(id, cfg, known)) });
  if (msg.chatType === 'direct') {
    switch (cfg.dmPolicy) {
      case 'disabled': return deny('dm-policy disabled');
      case 'open': return allow();
      case 'allowlist':
      case 'pairing':
        if (ids.some((id) => listAllows(cfg.allowFrom, id) || known.isApproved(id))) return allow();
        if (cfg.dmPolicy === 'pairing' && msg.noPairing) return deny('sender unknown; no pairing for this message');
        return cfg.dmPolicy === 'pairing' ? { kind: 'pair' } : deny('sender not in allow-from');
    }
  }
  switch (cfg.groupPolicy) {
    case 'disabled': return deny('group-policy disabled');
    case 'open': return allow();
    case 'allowlist': {
      const rule = groupRuleFor(msg.groupId ?? msg.chatId, cfg);
      if (!rule) return deny('group not in groups');
      // The group's own list, else group-allow-from, else allow-from; pairing approvals never count here.
      const senders = rule.allowFrom ?? cfg.groupAllowFrom ?? cfg.allowFrom;
      return ids.some((id) => listAllows(senders, id)) ? allow() : deny('sender not allowed in this group');
    }
  }
}

/** Owners: the explicit `allow-from` entries (not `*`) plus the sender whose approval bootstrapped ownership. */
export function isOwner(senderId: string, cfg: ChannelAccountConfig, known: Pick<KnownSenders, 'owner'>): boolean {
  if (known.owner !== undefined && sameSender(known.owner, senderId)) return true;
  return cfg.allowFrom.some((entry) => entry !== '*' && sameSender(entry, senderId));
}

/** The `groups` entry that admits a chat: its own key, else the `*` entry; undefined when the group is not listed. */
export function groupRuleFor(chatId: string, cfg: ChannelAccountConfig): GroupRule | undefined {
  return cfg.groups.get(chatId) ?? cfg.groups.get('*');
}

function listAllows(list: readonly string[], senderId: string): boolean {
  return list.some((entry) => entry === '*' || sameSender(entry, senderId));
}

/**
 * Ids are normalized by config and normalizers; Signal UUIDs may be written `uuid:<uuid>` in allow-from
 * while the normalizer reports the bare UUID (or the reverse), so that prefix and case do not matter for them.
 */
function sameSender(entry: string, senderId: string): boolean {
  if (entry === senderId) return true;
  const bare = (id: string) => id.toLowerCase().replace(/^uuid:/, '');
  return (entry.startsWith('uuid:') || senderId.startsWith('uuid:')) && bare(entry) === bare(senderId);
}

function deny(reason: string): AccessDecision {
  return { kind: 'deny', reason };
}
