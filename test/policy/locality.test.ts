import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPeer, parseHop, parseTrustedProxies, type PeerHeaders } from '../../src/policy/locality.js';
import { isLoopbackAddress, normalizeAddress } from '../../src/policy/addresses.js';

// Locality and client address (openclaw-protocol.md §9, user-needs.md §2): pure functions, no sockets.

function hdrs(h: Partial<Omit<PeerHeaders, 'anyForwarded'>> & { anyForwarded?: boolean } = {}): PeerHeaders {
  const forwarded = h.forwarded ?? '', xForwardedFor = h.xForwardedFor ?? '', xRealIp = h.xRealIp ?? '';
  return { forwarded, xForwardedFor, xRealIp, anyForwarded: h.anyForwarded ?? (forwarded + xForwardedFor + xRealIp !== '') };
}

const NONE = parseTrustedProxies([]);

test('loopback peer without forwarding headers is local', () => {
  for (const peer of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) {
    const r = classifyPeer(peer, hdrs(), NONE);
    assert.equal(r.local, true, peer);
    assert.equal(r.proxied, false);
    assert.equal(r.untrustedForwarding, false);
  }
  assert.equal(classifyPeer('::ffff:127.0.0.1', hdrs(), NONE).clientAddress, '127.0.0.1');
});

test('non-loopback peer without headers is remote', () => {
  for (const peer of ['10.0.0.1', '192.168.1.5', '::2', 'fe80::1', '::ffff:10.0.0.1', '128.0.0.1']) {
    assert.equal(classifyPeer(peer, hdrs(), NONE).local, false, peer);
  }
});

test('loopback peer with X-Forwarded-For, no trusted proxies: remote, peer address, flagged', () => {
  const r = classifyPeer('127.0.0.1', hdrs({ xForwardedFor: '1.2.3.4' }), NONE);
  assert.deepEqual(r, { local: false, clientAddress: '127.0.0.1', proxied: false, untrustedForwarding: true });
});

test('any forwarding header, even empty or X-Forwarded-Proto only, makes a loopback peer remote', () => {
  const r = classifyPeer('127.0.0.1', hdrs({ anyForwarded: true }), NONE);
  assert.equal(r.local, false);
  assert.equal(r.untrustedForwarding, true);
  assert.equal(classifyPeer('::1', hdrs({ forwarded: 'for=127.0.0.1' }), NONE).local, false);
  assert.equal(classifyPeer('::1', hdrs({ xRealIp: '127.0.0.1' }), NONE).local, false);
});

test('untrusted peer spoofing X-Forwarded-For: 127.0.0.1 stays remote with its own address', () => {
  const trusted = parseTrustedProxies(['127.0.0.1']);
  const r = classifyPeer('127.0.0.2', hdrs({ xForwardedFor: '127.0.0.1' }), trusted);
  assert.deepEqual(r, { local: false, clientAddress: '127.0.0.2', proxied: false, untrustedForwarding: true });
  const lan = classifyPeer('192.168.1.20', hdrs({ xForwardedFor: '127.0.0.1', xRealIp: '127.0.0.1' }), trusted);
  assert.deepEqual(lan, { local: false, clientAddress: '192.168.1.20', proxied: false, untrustedForwarding: true });
});

test('trusted proxy: client is the right-most untrusted hop, never local', () => {
  const trusted = parseTrustedProxies(['127.0.0.2']);
  const r = classifyPeer('127.0.0.2', hdrs({ xForwardedFor: '1.2.3.4, 127.0.0.2' }), trusted);
  assert.deepEqual(r, { local: false, clientAddress: '1.2.3.4', proxied: true, untrustedForwarding: false });
  // a client claiming loopback through a trusted proxy is still not local
  const l = classifyPeer('127.0.0.2', hdrs({ xForwardedFor: '127.0.0.1' }), trusted);
  assert.deepEqual(l, { local: false, clientAddress: '127.0.0.1', proxied: true, untrustedForwarding: false });
});

test('chain with several trusted hops; spoofed left-most hops are ignored', () => {
  const trusted = parseTrustedProxies(['10.0.0.0/8', '192.168.0.1']);
  const r = classifyPeer('10.1.1.1', hdrs({ xForwardedFor: '9.9.9.9,5.6.7.8 ,  192.168.0.1,10.2.2.2' }), trusted);
  assert.equal(r.clientAddress, '5.6.7.8');
  assert.equal(r.proxied, true);
  // every hop trusted: the left-most is the origin
  assert.equal(classifyPeer('10.1.1.1', hdrs({ xForwardedFor: '10.3.3.3, 10.2.2.2' }), trusted).clientAddress, '10.3.3.3');
});

test('hops with ports and brackets are parsed by address', () => {
  const trusted = parseTrustedProxies(['10.0.0.0/8', '::1']);
  const x = (xff: string) => classifyPeer('10.0.0.1', hdrs({ xForwardedFor: xff }), trusted).clientAddress;
  assert.equal(x('1.2.3.4:5678'), '1.2.3.4');
  assert.equal(x('1.2.3.4, [::1]:80, 10.0.0.7:443'), '1.2.3.4');
  assert.equal(x('[2001:db8::5]:4711'), '2001:db8::5');
  assert.equal(x('2001:DB8::6'), '2001:db8::6');
  assert.equal(x('::ffff:8.8.8.8'), '8.8.8.8');
});

test('garbage hop is taken as the client and the walk stops', () => {
  const trusted = parseTrustedProxies(['10.0.0.0/8']);
  const x = (xff: string) => classifyPeer('10.0.0.1', hdrs({ xForwardedFor: xff }), trusted).clientAddress;
  assert.equal(x('1.2.3.4, unknown, 10.0.0.9'), 'unknown');
  assert.equal(x('1.2.3.4, 10.0.0.1/8'), '10.0.0.1/8');
  assert.equal(x('1.2.3.4,,10.0.0.9'), 'unknown');
  assert.equal(x('1.2.3.4, ' + 'z'.repeat(500)).length, 64);
  // a garbage hop left of the real client does not matter
  assert.equal(x('garbage, 5.6.7.8, 10.0.0.9'), '5.6.7.8');
});

test('substring tricks do not match', () => {
  const trusted = parseTrustedProxies(['127.0.0.1/32']);
  assert.equal(trusted.contains('127.0.0.10'), false);
  assert.equal(trusted.contains('127.0.0.1'), true);
  assert.equal(trusted.contains('::ffff:127.0.0.1'), true);
  const r = classifyPeer('127.0.0.10', hdrs({ xForwardedFor: '1.2.3.4' }), trusted);
  assert.deepEqual(r, { local: false, clientAddress: '127.0.0.10', proxied: false, untrustedForwarding: true });
  const hop = classifyPeer('127.0.0.1', hdrs({ xForwardedFor: '6.6.6.6, 127.0.0.10' }), trusted);
  assert.equal(hop.clientAddress, '127.0.0.10');
  assert.equal(parseTrustedProxies(['10.0.0.1']).contains('110.0.0.1'), false);
  assert.equal(isLoopbackAddress('127.evil.com'), false);
  assert.equal(isLoopbackAddress('::ffff:128.0.0.1'), false);
});

test('IPv6 proxies and clients', () => {
  const trusted = parseTrustedProxies(['fd00::/8', '::1']);
  assert.equal(trusted.contains('fd12:3456::1'), true);
  assert.equal(trusted.contains('fe00::1'), false);
  const r = classifyPeer('fd00::2', hdrs({ xForwardedFor: '2001:db8::1, fd00::3' }), trusted);
  assert.deepEqual(r, { local: false, clientAddress: '2001:db8::1', proxied: true, untrustedForwarding: false });
  assert.equal(classifyPeer('::1', hdrs({ xForwardedFor: '2001:db8::9' }), trusted).local, false);
  assert.equal(classifyPeer('fe80::1%eth0', hdrs(), NONE).local, false);
});

test('X-Real-IP and Forwarded are used only when X-Forwarded-For is absent', () => {
  const trusted = parseTrustedProxies(['10.0.0.1']);
  const c = (h: Parameters<typeof hdrs>[0]) => classifyPeer('10.0.0.1', hdrs(h), trusted).clientAddress;
  assert.equal(c({ xRealIp: ' 4.4.4.4 ' }), '4.4.4.4');
  assert.equal(c({ xRealIp: '4.4.4.4', xForwardedFor: '5.5.5.5' }), '5.5.5.5');
  assert.equal(c({ forwarded: 'for=192.0.2.60;proto=http;by=203.0.113.43' }), '192.0.2.60');
  assert.equal(c({ forwarded: 'for=1.1.1.1, For="[2001:db8:cafe::17]:4711"' }), '2001:db8:cafe::17');
  assert.equal(c({ forwarded: 'for=7.7.7.7, for=10.0.0.1' }), '7.7.7.7');
  assert.equal(c({ forwarded: 'for=7.7.7.7', xForwardedFor: '8.8.8.8' }), '8.8.8.8');
  assert.equal(c({ anyForwarded: true }), '10.0.0.1'); // only X-Forwarded-Proto: the proxy itself
  assert.equal(c({ xRealIp: 'nonsense' }), '10.0.0.1');
});

test('parseHop and normalizeAddress', () => {
  assert.equal(parseHop(' "[::1]:80" '), '::1');
  assert.equal(parseHop('::1'), '::1');
  assert.equal(parseHop('::1:80'), '::1:80'); // a bare IPv6 is an address, not address:port
  assert.equal(parseHop('1.2.3.4:99999'), undefined);
  assert.equal(parseHop('[1.2.3.4]:80'), undefined);
  assert.equal(parseHop('[::1]:70000'), undefined);
  assert.equal(parseHop('1.2.3.4:65535'), '1.2.3.4');
  assert.equal(parseHop('localhost'), undefined);
  assert.equal(normalizeAddress('::FFFF:1.2.3.4'), '1.2.3.4');
  assert.equal(normalizeAddress('::ffff:7f00:1'), '127.0.0.1');
  assert.equal(normalizeAddress('0:0:0:0:0:ffff:0102:0304'), '1.2.3.4');
  assert.equal(normalizeAddress('2001:db8::ffff:1.2.3.4'), '2001:db8::ffff:1.2.3.4');
});

test('parseTrustedProxies accepts addresses and CIDRs', () => {
  const t = parseTrustedProxies([' 10.0.0.0/8 ', '127.0.0.2/32', '::1', 'fd00::/8', '::ffff:192.168.0.0/112']);
  assert.deepEqual(t.entries, ['10.0.0.0/8', '127.0.0.2/32', '::1', 'fd00::/8', '192.168.0.0/16']);
  assert.equal(t.contains('10.255.0.1'), true);
  assert.equal(t.contains('11.0.0.1'), false);
  assert.equal(t.contains('127.0.0.2'), true);
  assert.equal(t.contains('127.0.0.3'), false);
  assert.equal(t.contains('192.168.44.1'), true);
  assert.equal(t.contains('not an ip'), false);
  assert.equal(parseTrustedProxies([]).contains('127.0.0.1'), false);
});

test('malformed trusted entries throw a one-line message naming the entry', () => {
  for (const bad of ['', '*', '10.0.0.*', '0.0.0.0/0', '::/0', 'example.com', '10.0.0.0/33', 'fd00::/129',
    '10.0.0.0/8/8', '10.0.0.0/', '10.0.0.0/x', '10.0.0.256', '[::1]', '1.2.3.4:80', 'fe80::1%eth0', '::ffff:10.0.0.0/64']) {
    assert.throws(() => parseTrustedProxies(['10.0.0.1', bad]), (e: Error) => {
      assert.match(e.message, /^invalid trustedProxies entry "/);
      assert.ok(e.message.includes(`"${bad}"`));
      assert.ok(!e.message.includes('\n'));
      return true;
    }, bad);
  }
});

test('isLoopbackAddress: remembered answers stay right, also past the memo\'s bound', () => {
  for (let round = 0; round < 2; round++) {
    assert.equal(isLoopbackAddress('127.0.0.9'), true);
    assert.equal(isLoopbackAddress('::ffff:127.0.0.1'), true);
    assert.equal(isLoopbackAddress('10.0.0.1'), false);
    assert.equal(isLoopbackAddress('127.evil.com'), false);
  }
  // more distinct texts than the memo holds: each answer is still computed right
  for (let i = 0; i < 5000; i++) {
    const octet = i % 256;
    assert.equal(isLoopbackAddress(`127.0.${Math.floor(i / 256)}.${octet}`), true);
    assert.equal(isLoopbackAddress(`10.1.${Math.floor(i / 256)}.${octet}`), false);
  }
  assert.equal(isLoopbackAddress('::1'), true);
  assert.equal(isLoopbackAddress('::2'), false);
});
