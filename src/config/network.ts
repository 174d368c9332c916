import { parseTrustedProxies } from '../policy/locality.js';
import { parseHost } from '../policy/request-guard.js';
import { ConfigError } from './gateway-config.js';
import { DEFAULTS } from './options.js';
import type { OptionReader } from './reader.js';

// Who may reach the gateway and how: connection limits, the handshake deadline, trusted proxies, and the
// browser origins and Host names it answers to.

/** `--handshake-timeout-ms`, at least 10 s. */
export function handshakeTimeout(o: OptionReader): number {
  const ms = o.int('handshake-timeout-ms') ?? DEFAULTS.handshakeTimeoutMs;
  if (ms < 10_000) throw new ConfigError('--handshake-timeout-ms must be at least 10000');
  return ms;
}

/** `--trusted-proxies`: IPs and CIDRs, each one checked. */
export function trustedProxies(o: OptionReader): string[] {
  const proxies = o.list('trusted-proxies') ?? [];
  try {
    parseTrustedProxies(proxies);
  } catch (err) {
    throw new ConfigError(`--trusted-proxies: ${(err as Error).message}`);
  }
  return proxies;
}

/** `--max-connections`, at least 1; undefined = no limit. */
export function maxConnections(o: OptionReader): number | undefined {
  const max = o.int('max-connections');
  if (max !== undefined && max < 1) throw new ConfigError('--max-connections must be at least 1');
  return max;
}

/** `--allowed-origins`: exact http(s) origins, lowercased; no wildcard. */
export function allowedOrigins(o: OptionReader): string[] {
  return (o.list('allowed-origins') ?? []).map((origin) => {
    if (origin === '*' || !/^https?:\/\/[^/]+$/.test(origin)) {
      throw new ConfigError(`--allowed-origins entries must be exact origins like https://app.example.com (got "${origin}")`);
    }
    return origin.toLowerCase();
  });
}

/** `--allowed-hosts`: host names or addresses without scheme, port or wildcard, as Host header keys. */
export function allowedHosts(o: OptionReader): string[] {
  return (o.list('allowed-hosts') ?? []).map((h) => {
    const parsed = h.includes('*') || h.includes('/') ? undefined : parseHost(h);
    if (!parsed || parsed.port !== undefined) {
      throw new ConfigError(`--allowed-hosts entries must be host names or addresses without scheme, port or wildcard, like gateway.lan or 192.168.1.20 (got "${h}")`);
    }
    return parsed.key;
  });
}
