import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthRateLimiter, errorShape, type AuthRateLimitKey, type AuthRateLimiterOptions } from '../../src/policy/auth-rate-limit.js';
import { addressKey } from '../../src/policy/addresses.js';

// Auth-failure limiter (openclaw-protocol.md §6.5, user-needs.md §1, issue 6 item 4) on an injected clock: no sleeps.

function setup(opts: AuthRateLimiterOptions = {}) {
  const clock = { t: 1_000_000 };
  const rl = new AuthRateLimiter({ now: () => clock.t, ...opts });
  return { rl, clock };
}

const remote = (source = '1.2.3.4', credentialClass = 'token'): AuthRateLimitKey => ({ source, credentialClass, exempt: false });

function fail(rl: AuthRateLimiter, key: AuthRateLimitKey, n: number): void {
  for (let i = 0; i < n; i++) rl.recordFailure(key);
}

test('10 failures lock the key for the lockout period', () => {
  const { rl, clock } = setup();
  const k = remote();
  fail(rl, k, 9);
  assert.deepEqual(rl.check(k), { allowed: true });
  clock.t += 1_000;
  rl.recordFailure(k);
  assert.deepEqual(rl.check(k), { allowed: false, retryAfterMs: 300_000 });
  clock.t += 100_000;
  assert.deepEqual(rl.check(k), { allowed: false, retryAfterMs: 200_000 });
  // another source and another credential class are unaffected
  assert.deepEqual(rl.check(remote('1.2.3.5')), { allowed: true });
  assert.deepEqual(rl.check(remote('1.2.3.4', 'password')), { allowed: true });
});

test('lockout expires and the key starts afresh', () => {
  const { rl, clock } = setup();
  const k = remote();
  fail(rl, k, 10);
  clock.t += 299_999;
  assert.equal(rl.check(k).allowed, false);
  clock.t += 1;
  assert.deepEqual(rl.check(k), { allowed: true });
  rl.recordFailure(k);
  assert.deepEqual(rl.check(k), { allowed: true }); // one failure after expiry does not re-lock
  fail(rl, k, 9);
  assert.equal(rl.check(k).allowed, false);
});

test('failures racing an existing lockout do not extend it', () => {
  const { rl, clock } = setup();
  const k = remote();
  fail(rl, k, 10);
  clock.t += 10_000;
  rl.recordFailure(k);
  assert.deepEqual(rl.check(k), { allowed: false, retryAfterMs: 290_000 });
});

test('the window slides: failures older than windowMs do not count', () => {
  const { rl, clock } = setup();
  const k = remote();
  fail(rl, k, 5);
  clock.t += 30_000;
  fail(rl, k, 4);
  clock.t += 30_000; // the first 5 are now exactly windowMs old
  fail(rl, k, 5);
  assert.deepEqual(rl.check(k), { allowed: true });
  rl.recordFailure(k); // 4 + 5 + 1 = 10 within the window
  assert.equal(rl.check(k).allowed, false);
});

test('success clears the key', () => {
  const { rl } = setup();
  const k = remote();
  fail(rl, k, 9);
  rl.recordSuccess(k);
  assert.equal(rl.size, 0);
  fail(rl, k, 9);
  assert.deepEqual(rl.check(k), { allowed: true });
});

test('exempt (direct-local, no Origin) is never limited nor counted', () => {
  const { rl } = setup({ globalMaxFailures: 5 });
  const k: AuthRateLimitKey = { source: '127.0.0.1', credentialClass: 'token', exempt: true };
  fail(rl, k, 1_000);
  assert.deepEqual(rl.check(k), { allowed: true });
  assert.equal(rl.size, 0);
  assert.equal(rl.recordFailure(remote()), 0, 'exempt failures do not count towards the global ceiling');
});

test('a browser origin has its own budget within its address, is never exempt, and locks nobody elsewhere', () => {
  const { rl } = setup();
  const browser: AuthRateLimitKey = { source: '127.0.0.1', credentialClass: 'token', origin: 'http://localhost:5173', exempt: true };
  const cli: AuthRateLimitKey = { source: '127.0.0.1', credentialClass: 'token', exempt: true };
  fail(rl, browser, 10);
  assert.deepEqual(rl.check(browser), { allowed: false, retryAfterMs: 300_000 });
  assert.deepEqual(rl.check({ ...browser, origin: 'HTTP://LOCALHOST:5173' }), { allowed: false, retryAfterMs: 300_000 });
  assert.deepEqual(rl.check(cli), { allowed: true });
  // the same origin from another address is another client; another origin is another budget
  assert.equal(rl.check({ ...browser, source: '9.9.9.9', exempt: false }).allowed, true);
  assert.equal(rl.check({ ...browser, origin: 'https://ui.example' }).allowed, true);
  // address failures without Origin do not feed the origin key of that address, and vice versa
  const remoteAddr = remote('5.5.5.5');
  fail(rl, remoteAddr, 10);
  assert.equal(rl.check({ ...remoteAddr, origin: 'https://ui.example' }).allowed, true);
  assert.equal(rl.check(remoteAddr).allowed, false);
});

test('an IPv6 client is keyed on its /64, an IPv4 client on its address', () => {
  const { rl } = setup();
  for (let i = 1; i <= 10; i++) rl.recordFailure(remote(`2001:db8:1:2::${i.toString(16)}`));
  for (const same of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002::abcd', '2001:db8:1:2:0:0:1.2.3.4']) {
    assert.equal(rl.check(remote(same)).allowed, false, same);
  }
  assert.equal(rl.check(remote('2001:db8:1:3::1')).allowed, true);
  fail(rl, remote('192.0.2.1'), 10);
  assert.equal(rl.check(remote('192.0.2.2')).allowed, true);
  assert.equal(rl.check(remote('::ffff:192.0.2.1')).allowed, false, 'IPv4-mapped is the IPv4 client');
});

test('addressKey: /64 for IPv6 in every spelling, the address for IPv4, other text kept', () => {
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('2001:db8:a:b:c:d:e:f'), '2001:db8:a:b::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  assert.equal(addressKey('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(addressKey('10.0.0.1'), '10.0.0.1');
  assert.equal(addressKey('garbage-hop'), 'garbage-hop');
});

test('global ceiling: never a lockout of correct or fresh clients, only a bounded hold on failure answers', () => {
  const { rl, clock } = setup({ globalMaxFailures: 1_000, globalPenaltyMs: 250 });
  for (let i = 0; i < 1_000; i++) assert.equal(rl.recordFailure(remote(`10.0.${i >> 8}.${i & 255}`)), 0);
  clock.t += 20_000;
  assert.equal(rl.recordFailure(remote('10.9.9.9')), 250, 'the 1 001st failure in the window is held');
  for (const fresh of [remote('8.8.8.8'), { source: '9.9.9.9', credentialClass: 'token', origin: 'https://ui.example', exempt: false }]) {
    assert.deepEqual(rl.check(fresh), { allowed: true });
  }
  assert.deepEqual(rl.check(remote('10.0.0.1')), { allowed: true }, 'one failure there: not locked');
  assert.equal(rl.recordFailure({ source: '127.0.0.1', credentialClass: 'token', exempt: true }), 0, 'exempt: never held');
  clock.t += 40_000; // the first 1 000 leave the window
  assert.equal(rl.recordFailure(remote('10.9.9.9')), 0);
});

test('a locked key stays locked while others fail; its failures are held too when over the ceiling', () => {
  const { rl } = setup({ globalMaxFailures: 15, globalPenaltyMs: 100 });
  const k = remote();
  fail(rl, k, 10);
  fail(rl, remote('2.2.2.2'), 5);
  assert.equal(rl.recordFailure(k), 100);
  assert.deepEqual(rl.check(k), { allowed: false, retryAfterMs: 300_000 });
  assert.deepEqual(rl.check(remote('3.3.3.3')), { allowed: true });
});

test('maxKeys bounds memory under 100 000 distinct sources, evicting the oldest', () => {
  const { rl, clock } = setup({ maxKeys: 10_000, globalMaxFailures: 1_000_000 });
  const locked = remote('203.0.113.1');
  fail(rl, locked, 10);
  for (let i = 0; i < 100_000; i++) {
    rl.recordFailure(remote(`src-${i}`));
    if (i % 1000 === 0) clock.t += 1;
    assert.ok(rl.size <= 10_000);
  }
  assert.equal(rl.size, 10_000);
  assert.deepEqual(rl.check(locked), { allowed: true }); // the oldest key went first
  // the newest keys are still tracked
  fail(rl, remote('src-99999'), 9);
  assert.equal(rl.check(remote('src-99999')).allowed, false);
});

test('errorShape matches the spec error', () => {
  assert.deepEqual(errorShape(1234), {
    code: 'INVALID_REQUEST',
    message: 'unauthorized: too many failed authentication attempts (retry later)',
    retryable: true,
    retryAfterMs: 1234,
    details: { code: 'AUTH_RATE_LIMITED', authReason: 'rate_limited', canRetryWithDeviceToken: false, recommendedNextStep: 'wait_then_retry' },
  });
});
