import { BlockList, isIP } from 'node:net';
import { family, isLoopbackAddress, normalizeAddress, stripZone } from './addresses.js';

// Connection locality and client address (openclaw-protocol.md §9, user-needs.md §2). A socket is local only
// when its peer is loopback and it carries no forwarding header at all: a same-host reverse proxy must never
// make every client look local. Forwarding headers are believed only from configured trusted proxies, and
// addresses are compared as parsed addresses (BlockList), never as strings.

/** The configured trusted proxies (--trusted-proxies), as a membership test. */
export interface TrustedProxies {
  /** The entries as configured (normalized), for logs and diagnostics. */
  readonly entries: readonly string[];
  /** True when the address (any textual form, IPv4-mapped included) falls in a configured entry. */
  contains(address: string): boolean;
}

/** The forwarding headers of a request, as the transport read them. */
export interface PeerHeaders {
  forwarded: string;
  xForwardedFor: string;
  xRealIp: string;
  /** Any `Forwarded`, `X-Forwarded-*` or `X-Real-IP` header present, even with an empty value. */
  anyForwarded: boolean;
}

/** What a peer is: local or not, and the client address to key limits on. */
export interface PeerClass {
  /** `direct_local`: loopback peer, no forwarding header. */
  local: boolean;
  /** The address to key per-client limits on. */
  clientAddress: string;
  /** Forwarding headers came from a trusted proxy and were used. */
  proxied: boolean;
  /** Forwarding headers came from a peer that is not a trusted proxy and were ignored; the caller warns. */
  untrustedForwarding: boolean;
}


/** Longest text kept from an unparseable forwarding hop used as the client key. */
const MAX_GARBAGE_HOP = 64;





/** Parses `trustedProxies` (IPs and CIDRs). Throws on a malformed entry; wildcards and /0 are refused. */
export function parseTrustedProxies(list: string[]): TrustedProxies {
  const blocks = new BlockList();
  const entries: string[] = [];
  for (const raw of list) {
    const bad = (why: string) => new Error(`invalid trustedProxies entry "${raw}": ${why}`);
    const entry = raw.trim();
    if (entry === '') throw bad('empty entry');
    if (entry.includes('*')) throw bad('wildcards are not allowed, list addresses or CIDRs');
    const parts = entry.split('/');
    if (parts.length > 2) throw bad('expected an address or CIDR such as 10.0.0.0/8 or fd00::/8');
    const addr = normalizeAddress(parts[0]);
    const f = family(addr);
    if (f === undefined || addr.includes('%')) throw bad('not an IPv4 or IPv6 address');
    if (parts.length === 1) {
      blocks.addAddress(addr, f);
      entries.push(addr);
      continue;
    }
    if (!/^\d{1,3}$/.test(parts[1])) throw bad('prefix length must be a number');
    let prefix = Number(parts[1]);
    // an IPv4-mapped IPv6 CIDR was normalized to IPv4 above: shift its prefix accordingly
    if (f === 'ipv4' && isIP(parts[0].trim()) === 6) prefix -= 96;
    const max = f === 'ipv4' ? 32 : 128;
    if (prefix < 0 || prefix > max) throw bad(`prefix length must be between 1 and ${max}`);
    if (prefix === 0) throw bad('a /0 range would trust every peer');
    blocks.addSubnet(addr, prefix, f);
    entries.push(`${addr}/${prefix}`);
  }
  return {
    entries,
    contains(address: string): boolean {
      if (entries.length === 0) return false;
      const a = stripZone(normalizeAddress(address));
      const f = family(a);
      return f !== undefined && blocks.check(a, f);
    },
  };
}

/**
 * One hop of X-Forwarded-For / X-Real-IP / Forwarded `for=`: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80`,
 * optionally quoted. Returns the normalized address, or undefined when it is not an address.
 */
export function parseHop(text: string): string | undefined {
  let s = text.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1).trim();
  let addr: string | undefined;
  if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
    if (m && isIP(m[1]) === 6 && (m[2] === undefined || Number(m[2]) <= 65535)) addr = m[1];
  } else if (isIP(s) !== 0) {
    addr = s;
  } else {
    const m = /^([^:]+):(\d{1,5})$/.exec(s); // port only on IPv4; a bare IPv6 has no port syntax
    if (m && isIP(m[1]) === 4 && Number(m[2]) <= 65535) addr = m[1];
  }
  return addr === undefined ? undefined : normalizeAddress(addr);
}

/**
 * Right-to-left walk over a hop list appended to by proxies: the first hop that is not a trusted proxy is
 * the client. An unparseable hop stops the walk and is the client (anything to its left is unverifiable).
 * When every hop is a trusted proxy, the left-most is the origin.
 */
function clientFromChain(hops: string[], trusted: TrustedProxies): string | undefined {
  let last: string | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    const addr = parseHop(hops[i]);
    if (addr === undefined) return hops[i].trim().slice(0, MAX_GARBAGE_HOP) || 'unknown';
    if (!trusted.contains(addr)) return addr;
    last = addr;
  }
  return last;
}

/** RFC 7239 `for=` values in element order (`for=1.2.3.4;proto=https, for="[::1]:80"`). */
function forwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const element of header.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === 'for') out.push(pair.slice(eq + 1));
    }
  }
  return out;
}

/** Classify a socket's peer from its address and forwarding headers (trusted proxies only are believed). */
export function classifyPeer(remoteAddress: string, headers: PeerHeaders, trusted: TrustedProxies): PeerClass {
  const peer = normalizeAddress(remoteAddress);
  const xff = headers.xForwardedFor.trim();
  const xRealIp = headers.xRealIp.trim();
  const fwd = headers.forwarded.trim();
  const anyForwarded = headers.anyForwarded || xff !== '' || xRealIp !== '' || fwd !== '';
  if (!anyForwarded) return { local: isLoopbackAddress(peer), clientAddress: peer, proxied: false, untrustedForwarding: false };
  // Forwarding headers never make a socket local: neither a spoofed one nor one from a same-host proxy.
  if (!trusted.contains(peer)) return { local: false, clientAddress: peer, proxied: false, untrustedForwarding: true };
  let client: string | undefined;
  if (xff !== '') client = clientFromChain(xff.split(','), trusted);
  else if (xRealIp !== '') client = parseHop(xRealIp);
  if (client === undefined && fwd !== '') client = clientFromChain(forwardedFor(fwd), trusted);
  return { local: false, clientAddress: client ?? peer, proxied: true, untrustedForwarding: false };
}
