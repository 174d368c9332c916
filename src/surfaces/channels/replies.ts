// The fixed texts the channel layer sends on its own (spec channels.md C3, C5, C7, §1.4 step 8): pairing,
// command confirmations and notices. Every one goes through the outbox like a model reply.
import type { ChannelName } from '../../core/channel.js';

/**
 * The five-line pairing reply (C3): who the sender is, the code, and the command the owner runs.
 * Signal senders are named by number (`+…`) or by `uuid:<uuid>`; WhatsApp senders without a number by `lid:…`.
 */
export function pairingReplyText(channel: ChannelName, senderId: string, code: string): string {
  return [
    'Clawgate: access not configured.',
    senderLine(channel, senderId),
    `Pairing code: ${code}`,
    'Ask the owner to approve with:',
    `clawgate pairing approve ${channel} ${code}`,
  ].join('\n');
}

function senderLine(channel: ChannelName, senderId: string): string {
  const isNumber = senderId.startsWith('+');
  switch (channel) {
    case 'telegram': return `Your Telegram user id: ${senderId}`;
    case 'whatsapp': return isNumber ? `Your WhatsApp number: ${senderId}` : `Your WhatsApp id: ${senderId}`;
    case 'signal': return isNumber ? `Your Signal number: ${senderId}` : `Your Signal id: uuid:${senderId.toLowerCase().replace(/^uuid:/, '')}`;
  }
}

/** Queued to an approved sender when the approval asks to notify (C3). */
export const PAIRING_APPROVED_TEXT = 'Access approved. Send a message to start chatting.';

/** Sent instead of an empty final reply (C7, http-gateway.md §3). */
export const EMPTY_REPLY_TEXT = "I didn't produce a visible reply. Please try again.";

/** The notice for a failed run (C7); the error message itself is never sent. Blank type = `internal_error`. */
export function failedReplyText(errorType: string): string {
  return `Sorry, something went wrong (${errorType.trim() || 'internal_error'}). Please try again.`;
}

/** The notice when the session queue is full (§1.4 step 8); `n` = messages waiting. */
export function busyText(n: number): string {
  return `Busy: ${n} messages are waiting. Please try again later.`;
}

/** `/stop` cancelled a run or queued runs. */
export const STOPPED_TEXT = 'Stopped.';

/** `/stop` with nothing running or queued. */
export const NOTHING_TO_STOP_TEXT = 'Nothing to stop.';

/** `/new` and `/reset`. */
export const NEW_SESSION_TEXT = 'Started a new session.';

/** `/activation` in a DM. */
export const ACTIVATION_GROUPS_ONLY_TEXT = 'Activation applies to groups only.';

/** `/activation` from an owner in a group without `mention` or `always` (not in the spec's table: a usage hint). */
export const ACTIVATION_USAGE_TEXT = 'Usage: /activation mention|always';
