import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthRateLimiter, errorShape, type AuthRateLimitKey, type AuthRateLimiterOptions } from '../../../src/policy/auth-rate-limit.js';

// Auth-failure limiter (openclaw-protocol.md §6.5, user-needs.md §1) on an injected clock: no sleeps.

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
  assert.deepEqual(rl.check(remote()), { allowed: true }); // not counted towards the global ceiling
});

test('origin-keyed limiter is separate from the address one and never exempt', () => {
  const { rl } = setup();
  const browser: AuthRateLimitKey = { source: '127.0.0.1', credentialClass: 'token', origin: 'http://localhost:5173', exempt: true };
  const cli: AuthRateLimitKey = { source: '127.0.0.1', credentialClass: 'token', exempt: true };
  fail(rl, browser, 10);
  assert.deepEqual(rl.check(browser), { allowed: false, retryAfterMs: 300_000 });
  assert.deepEqual(rl.check(cli), { allowed: true });
  // keyed by page origin: another source with the same origin shares the lockout, another origin does not
  assert.equal(rl.check({ ...browser, source: '9.9.9.9', exempt: false }).allowed, false);
  assert.equal(rl.check({ ...browser, origin: 'https://ui.example' }).allowed, true);
  // address failures do not feed the origin key
  const remoteAddr = remote('5.5.5.5');
  fail(rl, remoteAddr, 10);
  assert.equal(rl.check({ ...remoteAddr, origin: 'https://ui.example' }).allowed, true);
  assert.equal(rl.check(remoteAddr).allowed, false);
});

test('global ceiling refuses a fresh source until the window passes; exempt still allowed', () => {
  const { rl, clock } = setup({ globalMaxFailures: 1_000 });
  for (let i = 0; i < 1_000; i++) rl.recordFailure(remote(`10.0.${i >> 8}.${i & 255}`));
  assert.deepEqual(rl.check(remote('8.8.8.8')), { allowed: true }); // 1000 is not more than the ceiling
  clock.t += 20_000;
  rl.recordFailure(remote('10.9.9.9'));
  assert.deepEqual(rl.check(remote('8.8.8.8')), { allowed: false, retryAfterMs: 40_000 });
  assert.equal(rl.check({ source: '9.9.9.9', credentialClass: 'token', origin: 'https://ui.example', exempt: false }).allowed, false);
  assert.deepEqual(rl.check({ source: '127.0.0.1', credentialClass: 'token', exempt: true }), { allowed: true });
  clock.t += 40_000;
  assert.deepEqual(rl.check(remote('8.8.8.8')), { allowed: true });
});

test('a per-key lockout longer than the global wait wins', () => {
  const { rl } = setup({ globalMaxFailures: 15 });
  const k = remote();
  fail(rl, k, 16);
  assert.deepEqual(rl.check(k), { allowed: false, retryAfterMs: 300_000 });
  assert.deepEqual(rl.check(remote('2.2.2.2')), { allowed: false, retryAfterMs: 60_000 });
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
