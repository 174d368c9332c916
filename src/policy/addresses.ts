import { BlockList, isIP } from 'node:net';

// Every decision about an address as text, in one place: its normal form, whether it is loopback, private,
// and the part of it one client controls. Addresses are compared as parsed addresses (BlockList), never as
// strings, so IPv4-mapped forms and zone ids cannot slip past a check.

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6'); // BlockList also matches ::ffff:127.x against the IPv4 rule

/** `ipv4`, `ipv6`, or undefined when the text is not an IP address. */
export function family(address: string): 'ipv4' | 'ipv6' | undefined {
  const v = isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/** The address without its IPv6 zone id (`fe80::1%eth0` → `fe80::1`). */
export function stripZone(address: string): string {
  const i = address.indexOf('%'); // fe80::1%eth0: the zone does not take part in matching
  return i < 0 ? address : address.slice(0, i);
}

/** Lower-cases and unwraps IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:102:304`) to dotted IPv4. */
export function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const m = /^(?:::|(?:0{1,4}:){5})ffff:(.+)$/.exec(a);
  if (!m) return a;
  if (isIP(m[1]) === 4) return m[1];
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(m[1]);
  if (!hex) return a;
  const hi = parseInt(hex[1], 16), lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Answers already computed: every upgrade and request asks about the same few peer and Host texts, and a
 *  BlockList check builds a SocketAddress each time (~30 µs of a handshake). Bounded: cleared when full. */
const loopbackMemo = new Map<string, boolean>();
const LOOPBACK_MEMO_MAX = 4096;

/** An address in 127.0.0.0/8 or ::1, in any textual form (IPv4-mapped included). */
export function isLoopbackAddress(address: string): boolean {
  const known = loopbackMemo.get(address);
  if (known !== undefined) return known;
  const a = stripZone(normalizeAddress(address));
  const f = family(a);
  const loopback = f !== undefined && LOOPBACK.check(a, f);
  if (loopbackMemo.size >= LOOPBACK_MEMO_MAX) loopbackMemo.clear();
  loopbackMemo.set(address, loopback);
  return loopback;
}

/** A Host-like name that means this machine: `localhost`, or a loopback address (brackets allowed). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || isLoopbackAddress(h);
}

// Loopback, private, link-local, multicast and unspecified ranges (plus 0/8 and class E).
// BlockList also matches IPv4-mapped IPv6 (`::ffff:127.0.0.1`) against the IPv4 ranges.
const PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 3]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/** Loopback, private, link-local, multicast or unspecified (or unparseable): not for fetching user-given URLs. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip.split('%')[0]!);
  if (family === 0) return true; // unparseable: refuse rather than guess
  return PRIVATE.check(ip.split('%')[0]!, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The part of a client address one client controls: an IPv4 address, or the /64 of an IPv6 address (one
 * host or LAN gets a whole /64, so its interface id is free to rotate). Anything else (an unparseable
 * forwarding hop) is kept as is.
 */
export function addressKey(address: string): string {
  const a = normalizeAddress(address).replace(/%.*$/, '');
  if (isIP(a) !== 6) return a;
  const [head, tail] = a.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  if (tail === undefined) return `${headGroups.slice(0, 4).map(hex4).join(':')}::/64`;
  const tailGroups = tail === '' ? [] : tail.split(':').flatMap(groupsOf);
  const groups = [...headGroups.flatMap(groupsOf), ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).map(hex4).join(':')}::/64`;
}

/** One IPv6 group, or the two groups an embedded dotted IPv4 tail stands for. */
function groupsOf(part: string): string[] {
  if (isIP(part) !== 4) return [part];
  const [a, b, c, d] = part.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

const hex4 = (g: string) => parseInt(g, 16).toString(16);
