import type { BusEventName } from '../core/bus.js';

// The NATS names Clawgate uses, in one place: event subjects, the instance header, and the session token
// that puts a session key (any text) into a subject or KV key.

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

/** The session key a {@link sessionToken} encodes. */
export function sessionKeyOf(token: string): string {
  return Buffer.from(token, 'base64url').toString('utf8');
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
