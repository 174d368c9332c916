import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { BusEventName } from '../core/bus.js';

// The NATS names Clawgate uses, in one place: event, inbox and cancel subjects, the stream and KV buckets, the
// instance header, and the session token that puts a session key (any text) into a subject or KV key.

/** Every event subject starts with this; `clawgate.events.>` hears all of them. */
export const EVENTS_PREFIX = 'clawgate.events';
/** The header naming the instance that sent a message (its events are skipped when they come back to it). */
export const INSTANCE_HEADER = 'Clawgate-Instance';
/** The token of an event that belongs to no session (`channel.state`). */
export const NO_SESSION_TOKEN = '_';

/**
 * A session key as one NATS subject token and KV key: base64url of its UTF-8 bytes (letters, digits, `-`,
 * `_`; never empty for a non-empty key, never `.`, `*`, `>` or a space). Reversible: {@link sessionKeyOf}.
 */
export function sessionToken(sessionKey: string): string {
  if (sessionKey === '') throw new Error('a session key is never empty');
  return Buffer.from(sessionKey, 'utf8').toString('base64url');
}

/** The session key a {@link sessionToken} encodes; throws for anything sessionToken() cannot have produced. */
export function sessionKeyOf(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error(`not a session token: "${token}"`);
  const key = Buffer.from(token, 'base64url').toString('utf8');
  // Buffer decoding is lenient (stray trailing bits, invalid UTF-8): only a canonical token is accepted
  if (key === '' || sessionToken(key) !== token) throw new Error(`not a session token: "${token}"`);
  return key;
}

/** Fresh headers naming this instance in {@link INSTANCE_HEADER}. */
export function instanceHeaders(instanceId: string): MsgHdrs {
  const h = headers();
  h.set(INSTANCE_HEADER, instanceId);
  return h;
}

/** The KV bucket of the session leases (lease.ts). */
export const SESSIONS_BUCKET = 'clawgate-sessions';
/** The KV bucket of the channel account leases (channel-leases.ts): one poller per bot in the cluster. */
export const CHANNELS_BUCKET = 'clawgate-channels';
/** The KV bucket of the run status records (run-status.ts). */
export const RUNS_BUCKET = 'clawgate-runs';
/** The stream of accepted messages (inbox.ts). */
export const INBOX_STREAM = 'CLAWGATE_INBOX';
/** Every inbox subject starts with this. */
export const INBOX_PREFIX = 'clawgate.inbox';

/** `clawgate.inbox.<sessionToken>`: where a session's accepted messages are journaled. */
export function inboxSubject(sessionKey: string): string {
  return `${INBOX_PREFIX}.${sessionToken(sessionKey)}`;
}

/** The stream of the sessions' transcripts (transcripts.ts). */
export const TRANSCRIPT_STREAM = 'CLAWGATE_TRANSCRIPTS';
/** Every transcript subject starts with this. */
export const TRANSCRIPT_PREFIX = 'clawgate.transcript';

/** `clawgate.transcript.<sessionToken>`: a session's history, in order. */
export function transcriptSubject(sessionKey: string): string {
  return `${TRANSCRIPT_PREFIX}.${sessionToken(sessionKey)}`;
}

/** `clawgate.session.<sessionToken>`: the subject a session's owner answers its live state and resets on. */
export function sessionRequestSubject(sessionKey: string): string {
  return `clawgate.session.${sessionToken(sessionKey)}`;
}

/** `clawgate.cancel.<sessionToken>`: the subject a session's owner answers cancel requests on. */
export function cancelSubject(sessionKey: string): string {
  return `clawgate.cancel.${sessionToken(sessionKey)}`;
}

/** `clawgate.channel-rows.<token>`: the subject the holder of a channel account's lease takes forwarded reply rows on. */
export function channelRowsSubject(leaseKey: string): string {
  return `clawgate.channel-rows.${sessionToken(leaseKey)}`;
}

/** `clawgate.events.<kind>.<sessionToken>` (kinds are two tokens: `run.delta`, `channel.state`, …). */
export function eventSubject(kind: BusEventName, sessionKey: string | undefined): string {
  return `${EVENTS_PREFIX}.${kind}.${sessionKey === undefined ? NO_SESSION_TOKEN : sessionToken(sessionKey)}`;
}

/** The event kind of an event subject (`clawgate.events.run.delta.abc` → `run.delta`), unchecked. */
export function kindOfSubject(subject: string): string {
  const parts = subject.split('.');
  return parts.length === 5 ? `${parts[2]}.${parts[3]}` : '';
}

/** The KV bucket of the shared channel state: pairing requests, approved senders, group activation (channel-state.ts). */
export const CHANNEL_STATE_BUCKET = 'clawgate-channel-state';
