import { isLoopbackHost } from '../policy/addresses.js';
import { ConfigError } from './gateway-config.js';

// env CLAWGATE_INSPECT_WS (web-surfaces.md I6): with --inspect, the gateway also feeds `@xstate.*` frames to a
// developer's `createInspectorServer()` of @statelyai/inspect. Frames never leave the host: only a ws:// URL
// on a loopback address is accepted; anything else stops the start.

/** The checked feed URL, or a ConfigError naming what is wrong. */
export function inspectFeedUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(`CLAWGATE_INSPECT_WS is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'ws:') throw new ConfigError('CLAWGATE_INSPECT_WS must be a ws:// URL (e.g. ws://127.0.0.1:8080)');
  if (!isLoopbackHost(url.hostname)) {
    throw new ConfigError(`CLAWGATE_INSPECT_WS must be on a loopback address, not ${url.hostname}: inspector frames never leave this host`);
  }
  return url.href;
}
