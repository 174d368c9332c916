import { hostname } from 'node:os';
import { ConfigError, type ClusterConfig } from './gateway-config.js';
import { DEFAULTS } from './options.js';
import type { OptionReader } from './reader.js';

// Cluster mode (issue 17): `--nats-url` turns it on; `--instance-id` and `--lease-ttl-ms` only mean something
// with it, so either one alone is an error rather than a setting silently ignored.

/** Lease TTL bounds: renewals every third of it must fit between event-loop stalls; an hour is surely a typo. */
const MIN_LEASE_TTL_MS = 1_000;
const MAX_LEASE_TTL_MS = 3_600_000;
/** Carried in a NATS header and shown by `clawgate status`: one printable token. */
const INSTANCE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The cluster settings, or undefined without `--nats-url`. */
export function clusterMode(o: OptionReader): ClusterConfig | undefined {
  const url = o.str('nats-url')?.trim();
  const id = o.str('instance-id')?.trim();
  const ttl = o.int('lease-ttl-ms');
  if (!url) {
    if (id !== undefined) throw new ConfigError('--instance-id needs --nats-url (it names this gateway in a cluster)');
    if (ttl !== undefined) throw new ConfigError('--lease-ttl-ms needs --nats-url (session leases exist only in a cluster)');
    return undefined;
  }
  const instanceId = id ?? defaultInstanceId();
  if (!INSTANCE_ID.test(instanceId)) {
    throw new ConfigError(`--instance-id must be 1 to 128 letters, digits, '.', '_', ':' or '-' (got "${instanceId}")`);
  }
  const leaseTtlMs = ttl ?? DEFAULTS.leaseTtlMs;
  if (leaseTtlMs < MIN_LEASE_TTL_MS || leaseTtlMs > MAX_LEASE_TTL_MS) {
    throw new ConfigError(`--lease-ttl-ms must be between ${MIN_LEASE_TTL_MS} and ${MAX_LEASE_TTL_MS} (got ${leaseTtlMs})`);
  }
  return { natsUrl: natsUrl(url), instanceId, leaseTtlMs };
}

/** `nats://host[:port]` or `tls://host[:port]`, nothing else (no path, no query: the client would ignore them). */
function natsUrl(url: string): string {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  const ok = u && (u.protocol === 'nats:' || u.protocol === 'tls:') && u.hostname !== '' && (u.pathname === '' || u.pathname === '/') && !u.search && !u.hash;
  if (!ok) throw new ConfigError(`--nats-url must look like nats://host:4222 (got "${url}")`);
  return url;
}

/** `<hostname>:<pid>`, with anything an instance id may not hold replaced by `-`. */
function defaultInstanceId(): string {
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) || 'host'}:${process.pid}`;
}
