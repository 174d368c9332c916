import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowedHostKeys, checkRequest, interfaceAddressLookup, isAllowedHost, isAllowedOrigin, ownOrigins, parseHost, type GuardPolicy,
} from '../../src/policy/request-guard.js';
import { ConfigError, parseGatewayArgs } from '../../src/config.js';

// The Host / Origin / Sec-Fetch-Site rules shared by the HTTP plane and the WS upgrade (issue 6 item 3):
// pure functions, no sockets.

function policy(o: { bind?: string; port?: number; origins?: string[]; hosts?: string[]; interfaces?: string[] } = {}): GuardPolicy {
  const bind = o.bind ?? '127.0.0.1';
  const interfaces = new Set(o.interfaces ?? []);
  return {
    ownOrigins: ownOrigins(bind, o.port ?? 18789),
    allowedOrigins: new Set(o.origins ?? []),
    allowedHosts: allowedHostKeys(bind, o.hosts ?? []),
    ...(o.interfaces ? { isInterfaceAddress: (a: string) => interfaces.has(a) } : {}),
  };
}

const req = (over: Partial<{ origin: string; host: string; secFetchSite: string; skipHostCheck: boolean }> = {}) =>
  ({ origin: '', host: '127.0.0.1:18789', secFetchSite: '', ...over });

test('parseHost: names and addresses, with or without port, normalized', () => {
  assert.deepEqual(parseHost('LocalHost:18789'), { key: 'localhost', port: 18789 });
  assert.deepEqual(parseHost('gateway.lan.'), { key: 'gateway.lan' });
  assert.deepEqual(parseHost('[::1]:80'), { key: '::1', port: 80 });
  assert.deepEqual(parseHost('[::FFFF:127.0.0.1]'), { key: '127.0.0.1' });
  assert.deepEqual(parseHost('::1'), { key: '::1' });
  assert.deepEqual(parseHost('10.0.0.5:8080'), { key: '10.0.0.5', port: 8080 });
  for (const bad of ['', 'a b', 'evil.example:99999', 'evil.example:x', '[evil.example]', 'http://x', 'x/y', '[::1', 'a..b', '.']) {
    assert.equal(parseHost(bad), undefined, bad);
  }
});

test('loopback names and addresses are always answered; the port is not compared', () => {
  const p = policy();
  for (const host of ['localhost', 'localhost:1', 'LOCALHOST.', '127.0.0.1', '127.9.8.7:18789', '[::1]', '[::1]:18789', '[::ffff:127.0.0.1]:5']) {
    assert.equal(isAllowedHost(host, p), true, host);
  }
  for (const host of ['evil.example', 'evil.example:18789', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.1', '[fd00::1]', '0.0.0.0', 'a b']) {
    assert.equal(isAllowedHost(host, p), false, host);
  }
  assert.equal(isAllowedHost('', p), true, 'no Host (HTTP/1.0) cannot come from a browser');
});

test('the bind address and --allowed-hosts are answered', () => {
  const p = policy({ bind: '192.168.1.20', hosts: ['gateway.lan', 'fd00::20'] });
  for (const host of ['192.168.1.20', '192.168.1.20:18789', 'gateway.lan', 'GATEWAY.LAN:443', '[fd00::20]:18789']) {
    assert.equal(isAllowedHost(host, p), true, host);
  }
  assert.equal(isAllowedHost('192.168.1.21', p), false);
  assert.equal(isAllowedHost('sub.gateway.lan', p), false, 'exact names, no subdomains');
});

test('a wildcard bind answers every local interface address, and no other address or name', () => {
  const p = policy({ bind: '0.0.0.0', interfaces: ['10.0.0.7', 'fd00::7'] });
  assert.equal(isAllowedHost('10.0.0.7:18789', p), true);
  assert.equal(isAllowedHost('[fd00::7]', p), true);
  assert.equal(isAllowedHost('10.0.0.8', p), false);
  assert.equal(isAllowedHost('0.0.0.0', p), false);
  assert.equal(isAllowedHost('evil.example', p), false);
  assert.equal(allowedHostKeys('::', []).size, 0, 'the wildcard itself is not a host');
});

test('interfaceAddressLookup reads the interfaces again on a miss, at most once per refresh period', () => {
  const clock = { t: 0 };
  let reads = 0;
  let addrs = ['10.0.0.1'];
  const read = () => {
    reads++;
    return { eth0: addrs.map((address) => ({ address, netmask: '', family: 'IPv4', mac: '', internal: false, cidr: null })) } as never;
  };
  const has = interfaceAddressLookup(read, 5_000, () => clock.t);
  assert.equal(has('10.0.0.1'), true);
  addrs = ['10.0.0.1', '10.0.0.2'];
  assert.equal(has('10.0.0.2'), false, 'read less than a refresh period ago');
  assert.equal(has('10.0.0.3'), false);
  assert.equal(reads, 1);
  clock.t += 5_000;
  assert.equal(has('10.0.0.2'), true, 'a new address is picked up');
  assert.equal(reads, 2);
});

test('Origin: the gateway\'s own and --allowed-origins pass, exactly; anything else is refused', () => {
  const p = policy({ port: 18789, origins: ['https://ui.example'] });
  for (const o of ['http://127.0.0.1:18789', 'http://localhost:18789', 'http://[::1]:18789', 'https://ui.example', 'HTTPS://UI.EXAMPLE']) {
    assert.equal(isAllowedOrigin(o, p), true, o);
  }
  for (const o of ['null', 'http://evil.example', 'http://localhost:5173', 'https://127.0.0.1:18789', 'https://ui.example:8443', 'https://sub.ui.example']) {
    assert.equal(isAllowedOrigin(o, p), false, o);
  }
  assert.ok(ownOrigins('192.168.1.20', 1).has('http://192.168.1.20:1'));
  assert.ok(ownOrigins('fd00::1', 1).has('http://[fd00::1]:1'));
  assert.equal([...ownOrigins('0.0.0.0', 1)].some((o) => o.includes('0.0.0.0')), false);
});

test('checkRequest: Host, then Origin, then Sec-Fetch-Site; each refusal names its flag', () => {
  const p = policy({ origins: ['https://ui.example'] });
  assert.equal(checkRequest(req(), p), undefined, 'curl: no Origin, no fetch metadata');
  assert.equal(checkRequest(req({ secFetchSite: 'same-origin' }), p), undefined);
  assert.equal(checkRequest(req({ secFetchSite: 'none' }), p), undefined);
  assert.equal(checkRequest(req({ secFetchSite: 'same-site' }), p), undefined);

  const host = checkRequest(req({ host: 'evil.example:18789', origin: 'http://evil.example:18789' }), p);
  assert.equal(host?.reason, 'host');
  assert.equal(host?.message, 'host not allowed: "evil.example:18789" (add the name to --allowed-hosts)');

  const origin = checkRequest(req({ origin: 'http://evil.example' }), p);
  assert.equal(origin?.reason, 'origin');
  assert.equal(origin?.message, 'origin not allowed: "http://evil.example" (add it to --allowed-origins)');

  const cross = checkRequest(req({ secFetchSite: 'Cross-Site' }), p);
  assert.equal(cross?.reason, 'cross-site');
  assert.match(cross!.message, /--allowed-origins/);

  // an allowed origin may be cross-site: that is what allowing it means
  assert.equal(checkRequest(req({ origin: 'https://ui.example', secFetchSite: 'cross-site' }), p), undefined);
  // a foreign Origin is refused even where the Host rule is skipped (health routes)
  assert.equal(checkRequest(req({ host: '10.1.2.3:8080', skipHostCheck: true }), p), undefined);
  assert.equal(checkRequest(req({ host: '10.1.2.3', origin: 'http://evil.example', skipHostCheck: true }), p)?.reason, 'origin');
  // long values are cut in the message
  const long = checkRequest(req({ origin: `http://${'a'.repeat(500)}.example` }), p);
  assert.ok(long!.message.length < 200);
});

test('--allowed-hosts: names or addresses, normalized; a port, scheme, path or wildcard is a config error', () => {
  const parse = (v: string) => parseGatewayArgs(['--allowed-hosts', v], {}).allowedHosts;
  assert.deepEqual(parseGatewayArgs([], {}).allowedHosts, []);
  assert.deepEqual(parse('Gateway.LAN, 192.168.1.20,[fd00::1],claw.example.com.'), ['gateway.lan', '192.168.1.20', 'fd00::1', 'claw.example.com']);
  for (const bad of ['gateway.lan:18789', 'http://gateway.lan', '*.example.com', 'gateway.lan/x', 'a b']) {
    assert.throws(() => parse(bad), (err: Error) => err instanceof ConfigError && /--allowed-hosts/.test(err.message), bad);
  }
});
