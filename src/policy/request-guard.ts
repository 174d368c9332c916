import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isLoopbackAddress, normalizeAddress } from './addresses.js';
import type { GuardInput, GuardRefusal } from '../core/request-guard.js';

export type { GuardInput, GuardRefusal };

// Which browser requests and which Host names the gateway answers, for the HTTP data plane and the WS
// upgrade alike (one set of rules, pure functions). A web page the owner visits can send requests to
// 127.0.0.1 (a text/plain POST needs no preflight), and a DNS-rebinding page can even read the answers:
// - a request with an `Origin` must come from the gateway's own origin or one in --allowed-origins;
// - without `Origin`, `Sec-Fetch-Site: cross-site` (a no-cors GET or navigation from another site) is
//   refused; an allowed Origin may be cross-site, that is what allowing it means;
// - the Host must name this gateway: loopback names and addresses, the bind address, any local interface
//   address when bound to a wildcard, or a name in --allowed-hosts; the port is not compared (a reverse
//   proxy forwards its own). The health routes skip the Host rule (probes address the pod IP).
// Clients that send no Origin and no Sec-Fetch-Site (curl, SDKs) and address the gateway by a loopback
// name or address pass untouched.

/** What the rules compare against: the gateway's own origins, the allowed origins and hosts. */
export interface GuardPolicy {
  /** The gateway's own origins (`http://127.0.0.1:<port>`…), lower case. */
  ownOrigins: ReadonlySet<string>;
  /** --allowed-origins, lower case. */
  allowedOrigins: ReadonlySet<string>;
  /** The bind address and --allowed-hosts, as hostKey() returns them. */
  allowedHosts: ReadonlySet<string>;
  /** Bound to 0.0.0.0 or `::`: is this address one of the host's interfaces? */
  isInterfaceAddress?: (address: string) => boolean;
}


/** Paths exempt from the Host rule (liveness and readiness probes use the pod IP as Host). */
export const HOST_EXEMPT_PATHS: ReadonlySet<string> = new Set(['/healthz', '/health', '/readyz', '/ready']);

/** Longest header value echoed in a refusal. */
const MAX_ECHO = 100;
const HOST_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '::0', '0:0:0:0:0:0:0:0']);

/**
 * The name or address a Host header (or an --allowed-hosts entry) designates: lower case, without port,
 * brackets or one trailing dot; addresses normalized (`::ffff:127.0.0.1` → `127.0.0.1`). `port` is set
 * when one was given. Undefined when the text is not a host.
 */
export function parseHost(text: string): { key: string; port?: number } | undefined {
  const s = text.trim().toLowerCase();
  if (s === '') return undefined;
  let name = s;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
    if (!m || isIP(m[1].replace(/%.*$/, '')) !== 6) return undefined;
    name = m[1];
    port = m[2];
  } else if (isIP(s) === 6) {
    name = s; // bare IPv6 (not valid in a Host header, but unambiguous)
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0) {
      port = s.slice(colon + 1);
      name = s.slice(0, colon);
      if (!/^\d{1,5}$/.test(port)) return undefined;
    }
  }
  if (port !== undefined && Number(port) > 65535) return undefined;
  if (isIP(name.replace(/%.*$/, '')) === 0) {
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (!HOST_NAME.test(name)) return undefined;
  } else {
    name = normalizeAddress(name.replace(/%.*$/, ''));
  }
  return port === undefined ? { key: name } : { key: name, port: Number(port) };
}

/** Is the bind address a wildcard (every interface)? */
export function isWildcardBind(bind: string): boolean {
  return WILDCARD_BINDS.has(bind.trim().toLowerCase());
}

/** Does a Host header name this gateway? An absent Host (HTTP/1.0) cannot come from a browser: allowed. */
export function isAllowedHost(host: string, policy: GuardPolicy): boolean {
  if (host.trim() === '') return true;
  const parsed = parseHost(host);
  if (!parsed) return false;
  const { key } = parsed;
  if (key === 'localhost' || isLoopbackAddress(key) || policy.allowedHosts.has(key)) return true;
  return isIP(key) !== 0 && policy.isInterfaceAddress !== undefined && policy.isInterfaceAddress(key);
}

/** Is this `Origin` the gateway's own or one in --allowed-origins (exact, case-insensitive)? */
export function isAllowedOrigin(origin: string, policy: GuardPolicy): boolean {
  const o = origin.trim().toLowerCase();
  return policy.ownOrigins.has(o) || policy.allowedOrigins.has(o);
}

/** The refusal of a request, or undefined when it may proceed. Host first, then Origin, then Sec-Fetch-Site. */
export function checkRequest(input: GuardInput, policy: GuardPolicy): GuardRefusal | undefined {
  if (!input.skipHostCheck && !isAllowedHost(input.host, policy)) {
    return { reason: 'host', message: `host not allowed: ${echo(input.host)} (add the name to --allowed-hosts)` };
  }
  if (input.origin !== '') {
    if (isAllowedOrigin(input.origin, policy)) return undefined;
    return { reason: 'origin', message: `origin not allowed: ${echo(input.origin)} (add it to --allowed-origins)` };
  }
  if (input.secFetchSite.trim().toLowerCase() === 'cross-site') {
    return { reason: 'cross-site', message: 'cross-site browser request refused (allow the page\'s origin with --allowed-origins)' };
  }
  return undefined;
}

/** The gateway's own origins: `<scheme>://<loopback name or bind address>:<port>` (https when TLS is on). */
export function ownOrigins(bind: string, port: number, scheme: 'http' | 'https' = 'http'): Set<string> {
  const hosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
  const b = bind.trim().toLowerCase();
  if (!isWildcardBind(b)) hosts.add(isIP(b) === 6 ? `[${b}]` : b);
  return new Set([...hosts].map((h) => `${scheme}://${h}:${port}`));
}

/** The host keys to accept besides loopback: the bind address (unless a wildcard) and --allowed-hosts. */
export function allowedHostKeys(bind: string, allowedHosts: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const h of isWildcardBind(bind) ? allowedHosts : [bind, ...allowedHosts]) {
    const parsed = parseHost(h);
    if (parsed) keys.add(parsed.key);
  }
  return keys;
}

/**
 * `isInterfaceAddress` for a wildcard bind: the host's interface addresses, read again on a miss (at most
 * once per `refreshMs`) so an address that appears later (DHCP, a VPN) is picked up.
 */
export function interfaceAddressLookup(read: typeof networkInterfaces = networkInterfaces, refreshMs = 5_000,
  now: () => number = Date.now): (address: string) => boolean {
  let known = new Set<string>();
  let readAt = -Infinity;
  const reload = () => {
    readAt = now();
    known = new Set(Object.values(read()).flatMap((list) => (list ?? []).map((i) => normalizeAddress(i.address.replace(/%.*$/, '')))));
  };
  return (address) => {
    const a = normalizeAddress(address);
    if (known.has(a)) return true;
    if (now() - readAt < refreshMs) return false;
    reload();
    return known.has(a);
  };
}

function echo(value: string): string {
  const v = value.trim();
  return JSON.stringify(v.length > MAX_ECHO ? `${v.slice(0, MAX_ECHO)}…` : v);
}
