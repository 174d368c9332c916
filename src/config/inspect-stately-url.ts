import { isLoopbackHost } from '../policy/addresses.js';
import { ConfigError } from './gateway-config.js';
import type { OptionReader } from './reader.js';

// --inspect-stately-url (web-surfaces.md I6): the Stately inspector page that the bridge page
// `/__clawgate__/inspect/stately` shows in an iframe and feeds `@xstate.*` frames by postMessage to its origin.
// An https URL; plain http only on loopback (a locally run inspector page). It needs --inspect (the bridge
// gets its frames through an inspector ticket).

/** The checked bridge target (absent: no bridge), or a ConfigError naming what is wrong. */
export function inspectStatelyUrl(o: OptionReader, inspect: boolean): { inspectStatelyUrl?: string } {
  const value = o.str('inspect-stately-url')?.trim();
  if (!value) return {};
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`--inspect-stately-url is not a URL: ${JSON.stringify(value)}`);
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!ok) throw new ConfigError('--inspect-stately-url must be an https:// URL (http:// only on a loopback address)');
  if (url.username || url.password) throw new ConfigError('--inspect-stately-url must not carry a user name or password');
  if (!inspect) throw new ConfigError('--inspect-stately-url needs --inspect');
  return { inspectStatelyUrl: url.href };
}
