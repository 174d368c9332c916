import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectError, ConnectionClosedError } from '../../src/client/index.js';
import { connectOutcome, refusedOriginText, VERSION_TEXT } from '../../web/shared/connect-outcome.js';
import { credentialStore, storagePrefix } from '../../web/shared/credential-store.js';
import { basePath, cleanPageUrl, socketUrl } from '../../web/shared/url-hygiene.js';

// The pure parts of the page connection (web-surfaces W2, W3, W5, S9), without a browser: URL cleaning, the
// outcome table, and the per-<base> credential keys.

test('W2: a token= in the query or fragment is dropped whole; a directory page gets its slash; nothing else changes', () => {
  assert.deepEqual(cleanPageUrl('http://h:1/?token=T', true), { href: 'http://h:1/', tokenRemoved: true, changed: true });
  assert.deepEqual(cleanPageUrl('http://h:1/#token=T', true), { href: 'http://h:1/', tokenRemoved: true, changed: true });
  assert.deepEqual(cleanPageUrl('http://h:1/claw/?a=1&gatewayToken=T#x', true), { href: 'http://h:1/claw/#x', tokenRemoved: true, changed: true });
  assert.deepEqual(cleanPageUrl('http://h:1/claw', true), { href: 'http://h:1/claw/', tokenRemoved: false, changed: true });
  assert.deepEqual(cleanPageUrl('http://h:1/claw?x=1', true), { href: 'http://h:1/claw/?x=1', tokenRemoved: false, changed: true });
  assert.deepEqual(cleanPageUrl('http://h:1/__clawgate__/inspect', false), { href: 'http://h:1/__clawgate__/inspect', tokenRemoved: false, changed: false });
  assert.deepEqual(cleanPageUrl('http://h:1/?tokens=1', true).tokenRemoved, false, 'only token=');
});

test('S9: <base> and the socket URL come from the page URL only', () => {
  assert.equal(basePath('http://h:1/claw/'), '/claw/');
  assert.equal(basePath('http://h:1/__clawgate__/inspect'), '/__clawgate__/');
  assert.equal(socketUrl('http://h:1', '/claw/'), 'ws://h:1/claw/');
  assert.equal(socketUrl('https://h', '/'), 'wss://h/');
});

const rejected = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new ConnectError('rejected', message, { error: { code: 'X', message, details: { code, ...extra } } as never });

test('W5: each outcome of the table', () => {
  assert.deepEqual(connectOutcome(rejected('AUTH_TOKEN_MISMATCH', 'unauthorized: gateway token mismatch')),
    { kind: 'form', message: 'unauthorized: gateway token mismatch', wrongSecret: true });
  assert.deepEqual(connectOutcome(rejected('AUTH_TOKEN_MISSING', 'token missing')), { kind: 'form', message: 'token missing', wrongSecret: false });
  assert.equal(connectOutcome(rejected('AUTH_SCOPE_MISMATCH', 's')).kind, 'form');
  assert.equal(connectOutcome(rejected('AUTH_PASSWORD_MISMATCH', 'p')).kind, 'form');
  assert.deepEqual(connectOutcome(rejected('PAIRING_REQUIRED', 'pairing required', { requestId: 'r-1' })), { kind: 'pairing', requestId: 'r-1' });
  const limited = new ConnectError('rejected', 'slow down', { error: { code: 'X', message: 'm', retryAfterMs: 7000, details: { code: 'AUTH_RATE_LIMITED' } } as never });
  assert.deepEqual(connectOutcome(limited), { kind: 'rate-limited', retryAfterMs: 7000 });
  assert.deepEqual(connectOutcome(rejected('PROTOCOL_MISMATCH', 'v')), { kind: 'version', text: VERSION_TEXT });
  assert.deepEqual(connectOutcome(rejected('DEVICE_AUTH_SIGNATURE_INVALID', 'bad signature')), { kind: 'stop', text: 'DEVICE_AUTH_SIGNATURE_INVALID: bad signature' });
  assert.deepEqual(connectOutcome(new ConnectError('socket-error', 'could not connect')), { kind: 'not-opened' });
  assert.deepEqual(connectOutcome(new ConnectionClosedError('connection', { code: 4001, reason: 'device token revoked' })), { kind: 'device-token-dropped' });
  assert.deepEqual(connectOutcome(new ConnectionClosedError('connection', { code: 1006, reason: '' })),
    { kind: 'other', text: 'ERROR: connection: the connection to the gateway closed (1006)' });
  assert.match(refusedOriginText('http://lan.test:9'), /start it with --allowed-origins http:\/\/lan\.test:9$/);
});

/** A Web Storage in memory. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    key: (i) => [...items.keys()][i] ?? null,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, String(v)),
    removeItem: (k) => void items.delete(k),
    clear: () => items.clear(),
  };
}

test('W3: secrets and device tokens live per <base>, in session storage unless remembered; Forget clears only its own', async () => {
  const areas = { local: memoryStorage(), session: memoryStorage() };
  const a = credentialStore(storagePrefix('http://h:1', '/a/'), areas);
  const b = credentialStore(storagePrefix('http://h:1', '/b/'), areas);
  const ab = credentialStore(storagePrefix('http://h:1', '/a/b/'), areas);
  a.saveSecret('secret-a', false);
  assert.equal(areas.session.getItem('clawgate:http://h:1/a/:secret'), 'secret-a');
  assert.equal(areas.local.length, 0, 'not remembered: nothing in localStorage');
  b.saveSecret('secret-b', true);
  assert.equal(areas.local.getItem('clawgate:http://h:1/b/:secret'), 'secret-b');
  await b.tokenStore.set('dev', 'operator', { token: 'dt-b', scopes: ['operator.read'] });
  assert.deepEqual(await b.tokenStore.get('dev', 'operator'), { token: 'dt-b', scopes: ['operator.read'] });
  assert.equal(a.hasDeviceToken('dev', 'operator'), false, 'one gateway never sees the other one\'s token');
  ab.saveSecret('secret-ab', false);
  a.forget();
  assert.equal(a.secret(), undefined);
  assert.equal(b.secret(), 'secret-b');
  assert.equal(ab.secret(), 'secret-ab', '/a/ forgets nothing of /a/b/');
  a.saveSecret('again', false);
  a.dropSecret();
  assert.equal(a.secret(), undefined);
});
