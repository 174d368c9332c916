import type { ChannelName } from '../core/channel.js';
import { ConfigError } from './gateway-config.js';

// The ids of `allow-from`, `group-allow-from` and `groups`, per channel, in the form the inbound pipeline
// compares: Telegram numeric user ids (no `tg:` prefix), E.164 numbers without spaces or dashes, Signal
// `uuid:<lower-case uuid>`. `"*"` means everyone (any group).

const E164 = /^\+[1-9]\d{6,14}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `+1 555-123 0000` → `+15551230000`, or undefined when it is not an E.164 number. */
export function e164(raw: string): string | undefined {
  const n = raw.trim().replace(/[\s-]/g, '');
  return E164.test(n) ? n : undefined;
}

/** One `allow-from` entry of `channel`, normalized; a malformed entry is a ConfigError naming it. */
export function senderId(channel: ChannelName, raw: string, path: string): string {
  const entry = raw.trim();
  if (entry === '*') return '*';
  switch (channel) {
    case 'telegram': {
      const id = entry.replace(/^(tg|telegram):/i, '');
      if (/^\d{1,20}$/.test(id)) return id;
      throw new ConfigError(`${path}: ${JSON.stringify(raw)} is not a numeric Telegram user id like 111`);
    }
    case 'whatsapp': {
      const n = e164(entry);
      if (n) return n;
      throw new ConfigError(`${path}: ${JSON.stringify(raw)} is not an E.164 number like +15551230000`);
    }
    case 'signal': {
      const lower = entry.toLowerCase();
      if (lower.startsWith('uuid:') && UUID.test(lower.slice(5))) return lower;
      const n = e164(entry);
      if (n) return n;
      throw new ConfigError(`${path}: ${JSON.stringify(raw)} is not an E.164 number like +15551230000 or uuid:<uuid>`);
    }
  }
}

/** A whole `allow-from` list of `channel`, normalized, duplicates dropped (first kept). */
export function senderIds(channel: ChannelName, list: string[], path: string): string[] {
  return [...new Set(list.map((raw) => senderId(channel, raw, path)))];
}

/** A `groups` key of `channel`, checked (never converted: it is the platform's group id as written). */
export function groupId(channel: ChannelName, id: string, path: string): string {
  if (id === '*') return id;
  const ok = channel === 'telegram' ? /^-\d{1,20}$/.test(id) : channel === 'whatsapp' ? /^[^\s@]+@g\.us$/.test(id) : id.trim() !== '' && id === id.trim();
  if (ok) return id;
  const like = channel === 'telegram' ? 'a Telegram group id (a negative number like -100123)' : channel === 'whatsapp' ? 'a WhatsApp group JID like 123456789-123@g.us' : 'a Signal group id';
  throw new ConfigError(`${path}: ${JSON.stringify(id)} is not ${like} or "*"`);
}
