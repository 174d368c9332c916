import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { P } from '../../helpers/http-plane.js';
import { assertRefused, connectDevice, type DeviceConnection } from '../../helpers/device-connect.js';

// Issue 6 item 4: one auth-failure limiter for the HTTP and WS planes, per client address. Non-loopback
// clients are simulated with a trusted same-host proxy (127.0.0.1) and X-Forwarded-For; nothing leaves
// loopback. Direct loopback clients stay exempt.

const TOKEN = 'auth-lockout-test-token-0123456789abcdef';
const WRONG = 'wrong-token-0123456789abcdef-0123456789ab';
const RATE_LIMITED_WS = 'unauthorized: too many failed authentication attempts (retry later)';

let g: TestGateway;
before(async () => {
  g = await startTestGateway({ token: TOKEN, trustedProxies: ['127.0.0.1'] });
});
after(() => g?.close());

/** GET /status (no run, no body) as `client` behind the trusted proxy, or direct when client is undefined. */
async function httpAuth(token: string, client?: string): Promise<{ status: number; retryAfter: string | null; json: any }> {
  const res = await fetch(`${g.url}${P}/status?request_id=none`, {
    headers: { Authorization: `Bearer ${token}`, ...(client ? { 'X-Forwarded-For': client } : {}) },
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: text ? JSON.parse(text) : undefined };
}

async function wsAuth(token: string, client: string, label: string): Promise<DeviceConnection> {
  return connectDevice(g.url, undefined, { noDevice: true, auth: { token }, headers: { 'X-Forwarded-For': client } }, label);
}

function assertHttpLimited(a: { status: number; retryAfter: string | null; json: any }, what: string): void {
  assert.equal(a.status, 429, `${what}: ${JSON.stringify(a.json)}`);
  assert.match(a.retryAfter ?? '', /^[1-9]\d*$/, `${what}: Retry-After in whole seconds`);
  const seconds = Number(a.retryAfter);
  assert.ok(seconds <= 300, `${what}: Retry-After ${seconds}`);
  assert.deepEqual(a.json, {
    error: { type: 'rate_limited', message: `too many failed authentication attempts; retry in ${seconds} s` },
  });
}

describe('HTTP bearer guessing is rate limited like the WS handshake', () => {
  test('10 wrong bearers → 401; the 11th and later → 429 with Retry-After, even with the right token', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await httpAuth(WRONG, '198.51.100.1')).status, 401, `attempt ${i + 1}`);
    for (let i = 0; i < 5; i++) assertHttpLimited(await httpAuth(WRONG, '198.51.100.1'), `wrong ${i + 11}`);
    assertHttpLimited(await httpAuth(TOKEN, '198.51.100.1'), 'right token while locked');
    // another client address is not affected
    assert.equal((await httpAuth(TOKEN, '198.51.100.2')).status, 404);
  });

  test('an IPv6 client is keyed on its /64: rotating the interface id does not buy more guesses', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await httpAuth(WRONG, `2001:db8:7:7::${(i + 1).toString(16)}`)).status, 401);
    assertHttpLimited(await httpAuth(WRONG, '2001:db8:7:7:ffff:1:2:3'), 'same /64');
    assert.equal((await httpAuth(TOKEN, '2001:db8:7:8::1')).status, 404, 'another /64');
  });

  test('wrong WS tokens count toward the HTTP lockout', async () => {
    for (let i = 0; i < 5; i++) {
      await assertRefused(await wsAuth(WRONG, '198.51.100.3', `ws-wrong-${i}`), { code: 'INVALID_REQUEST', details: { code: 'AUTH_TOKEN_MISMATCH' } });
    }
    for (let i = 0; i < 5; i++) assert.equal((await httpAuth(WRONG, '198.51.100.3')).status, 401);
    assertHttpLimited(await httpAuth(TOKEN, '198.51.100.3'), 'after 5 WS + 5 HTTP failures');
  });

  test('wrong HTTP bearers count toward the WS lockout', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await httpAuth(WRONG, '198.51.100.4')).status, 401);
    const c = await wsAuth(TOKEN, '198.51.100.4', 'ws-after-http');
    await assertRefused(c, { code: 'INVALID_REQUEST', message: RATE_LIMITED_WS, details: { code: 'AUTH_RATE_LIMITED' } });
    assert.ok(c.res.error.retryAfterMs > 0);
  });

  test('direct loopback clients without forwarding headers are exempt: the owner is never locked out', async () => {
    for (let i = 0; i < 30; i++) assert.equal((await httpAuth(WRONG)).status, 401, `attempt ${i + 1}`);
    assert.equal((await httpAuth(TOKEN)).status, 404);
  });

  test('failures from 150 addresses do not make a correct token from another address fail (HTTP or WS)', async () => {
    // 9 failures per address (under the per-address lockout of 10): 7 over WS, 2 over HTTP; the 1 050 WS
    // failures alone are more than the old global ceiling (1 000 per minute), which then refused everyone
    const ADDRESSES = 150, PER = 9, WORKERS = 32;
    const jobs: { client: string; ws: boolean }[] = [];
    for (let a = 0; a < ADDRESSES; a++) for (let i = 0; i < PER; i++) jobs.push({ client: `10.77.${a >> 8}.${a & 255}`, ws: i < 7 });
    let next = 0;
    const outcomes: string[] = [];
    const worker = async () => {
      for (let j = next++; j < jobs.length; j = next++) {
        const { client, ws } = jobs[j];
        if (ws) {
          const c = await wsAuth(WRONG, client, `many-${j}`);
          outcomes.push(c.res.error?.details?.code ?? 'admitted');
          await c.close();
        } else {
          outcomes.push(String((await httpAuth(WRONG, client)).status));
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    assert.equal(outcomes.length, ADDRESSES * PER);
    assert.deepEqual([...new Set(outcomes)].sort(), ['401', 'AUTH_TOKEN_MISMATCH'], 'every failure was judged, none locked');
    // a correct token from a fresh address, and from one of the failing ones, still gets in
    assert.equal((await httpAuth(TOKEN, '192.0.2.200')).status, 404);
    assert.equal((await httpAuth(TOKEN, '10.77.0.5')).status, 404);
    const ws = await wsAuth(TOKEN, '192.0.2.201', 'fresh-right');
    assert.equal(ws.res.ok, true, JSON.stringify(ws.res.error));
    await ws.close();
  });
});
