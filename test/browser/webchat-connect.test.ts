import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { adminClient, stopClient, TOKEN } from '../helpers/ws-client.js';
import { type BrowserHarness, browserHarness } from './harness.js';
import { chatThroughPage, connects, recordSockets, waitFrames } from './webchat-connect-kit.js';

// WebChat's connection on loopback (web-surfaces W1–W5, W8; WT1, WT2, WT3): the token form, Remember, the device
// token sent instead of the secret after a reload, Forget, no secret taken from or left in a URL, and silent
// pairing of a local browser. Needs `npm run build` first (npm test builds).

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

test('WT1(a)/W8: with no token the page connects at once, and the gateway pairs the local browser silently', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('silent-pairing');
  try {
    gw = await startTestGateway();
    await p.page.goto(`${gw.url}/`);
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    assert.equal(await p.page.getByLabel('Gateway token').isVisible(), false, 'no form');
    const [connect] = connects(p);
    assert.equal(connect.params.client.id, 'webchat-ui');
    assert.equal(connect.params.client.mode, 'webchat');
    assert.equal(connect.params.client.platform, 'web');
    assert.deepEqual(connect.params.scopes, ['operator.read', 'operator.write']);
    assert.equal(connect.params.auth, undefined, 'mode none: no secret');
    assert.match(connect.params.device.id, /^[0-9a-f]{64}$/);
    const hello = p.json('received').find((f) => f.payload?.type === 'hello-ok');
    assert.equal(typeof hello?.payload?.auth?.deviceToken, 'string');
    const device = gw.gw.devices.get(connect.params.device.id);
    assert.equal(device?.approvedVia, 'silent');
    assert.equal(await p.page.evaluate(() => isSecureContext), true);
    assert.equal(await p.page.getByText('Not a secure connection').count(), 0, 'WebCrypto: no insecure notice');
    // W5: the gateway goes away: neither the socket nor <base>health answers
    p.expectConsoleError(/WebSocket connection to .* failed|Failed to load resource|ERR_CONNECTION_REFUSED/);
    await gw.close();
    gw = undefined;
    await p.page.getByText('Gateway not reachable', { exact: true }).waitFor();
    await p.page.getByRole('status').filter({ hasText: /Reconnecting in \d+ s/ }).waitFor();
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('WT1(b), WT2, Forget: the form, then Connected and chat; after a reload the device token alone; Forget clears it all', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('token-remember-forget');
  try {
    gw = await startTestGateway({ token: TOKEN });
    await recordSockets(p.page);
    await p.page.goto(`${gw.url}/`);
    const field = p.page.getByLabel('Gateway token');
    await field.waitFor();
    assert.equal(connects(p).length, 0, 'mode token with nothing stored: no wasted attempt before the form');
    await field.fill(TOKEN);
    await p.page.getByRole('checkbox', { name: 'Remember on this browser' }).check();
    await p.page.getByRole('button', { name: 'Connect' }).click();
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    const first = connects(p)[0];
    assert.equal(first.params.auth.token, TOKEN);
    assert.equal(typeof first.params.device?.signature, 'string');
    await waitFrames(() => p.json('received').some((f) => typeof f.payload?.auth?.deviceToken === 'string'), 'hello-ok with a device token');
    // WT1(b): the same exchange as without a token, through the page
    await p.page.getByRole('textbox', { name: 'Message' }).fill('hello');
    await p.page.getByRole('button', { name: 'Send' }).click();
    await p.page.getByText('Echo: hello', { exact: true }).waitFor();

    // W3: remembered, under this <base>'s prefix
    const prefix = `clawgate:${gw.url}/:`;
    const local = await p.page.evaluate(() => Object.keys(localStorage));
    assert.ok(local.includes(`${prefix}secret`) && local.includes(`${prefix}remember`), `remembered keys: ${local}`);
    assert.ok(local.every((k) => k.startsWith(prefix)), 'every key carries the prefix');
    assert.ok(local.some((k) => k.startsWith(`${prefix}deviceToken:${first.params.device.id}:operator`)), 'the device token is kept per (base, deviceId, role)');

    // WT2: reload: no form, the device token instead of the secret, the same identity
    const before = connects(p).length;
    await p.page.reload();
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await waitFrames(() => connects(p).length > before, 'a connect after the reload');
    const again = connects(p)[before];
    assert.equal(typeof again.params.auth.deviceToken, 'string');
    assert.equal(again.params.auth.token, undefined, 'no secret once a device token is stored');
    assert.equal(again.params.device.id, first.params.device.id, 'the identity persists (IndexedDB)');
    assert.equal(await p.page.getByLabel('Gateway token').isVisible(), false, 'no form after the reload');
    // WT2: the history shows both messages, each exactly once
    await p.page.getByText('Echo: hello', { exact: true }).waitFor();
    assert.equal(await p.page.getByText('hello', { exact: true }).count(), 1, 'the user message once');
    assert.equal(await p.page.getByText('Echo: hello', { exact: true }).count(), 1, 'the reply once');
    await chatThroughPage(p, 'again', 'k2');

    // W5: the owner revokes the device token (close 4001): the page drops it and retries with the stored secret
    const deviceId = first.params.device.id as string;
    const op = await adminClient(gw.url);
    try {
      const n = connects(p).length;
      await op.request('device.token.revoke', { deviceId, role: 'operator' });
      await waitFrames(() => connects(p).length > n, 'a connect after the revoke');
      assert.equal(connects(p)[n].params.auth.token, TOKEN, 'the secret, not the revoked device token');
      assert.equal(connects(p)[n].params.auth.deviceToken, undefined);
      await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    } finally {
      await stopClient(op);
    }
    // W5: a stale stored device token (AUTH_DEVICE_TOKEN_MISMATCH) is dropped; the retry sends the secret
    await p.page.evaluate(([key]) => localStorage.setItem(key, JSON.stringify({ token: 'stale-device-token', scopes: [] })),
      [`${prefix}deviceToken:${deviceId}:operator`]);
    const m = connects(p).length;
    await p.page.reload();
    await waitFrames(() => connects(p).length > m + 1, 'the retry after the mismatch');
    assert.equal(connects(p)[m].params.auth.deviceToken, 'stale-device-token');
    assert.deepEqual(connects(p)[m + 1].params.auth, { token: TOKEN });
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    assert.equal(await p.page.getByLabel('Gateway token').isVisible(), false, 'no form: the stored secret was enough');

    // Forget this browser: everything of this <base> goes, the page reloads to the form
    await p.page.getByRole('button', { name: 'Forget this browser' }).click();
    await p.page.getByLabel('Gateway token').waitFor();
    assert.deepEqual(await p.page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)]), []);
    await p.page.getByLabel('Gateway token').fill(TOKEN);
    await p.page.getByRole('button', { name: 'Connect' }).click();
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    const fresh = connects(p).at(-1)!;
    assert.notEqual(fresh.params.device.id, first.params.device.id, 'a new identity after Forget');
    assert.ok(!(await p.page.evaluate(() => Object.keys(localStorage))).some((k) => k.endsWith(':secret')), 'not remembered this time');
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('WT1(b) wrong token, WT3: the form shows the gateway\'s message; a token in the URL is never used and leaves the address bar', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('no-token-in-url');
  const T = 'url-token-0123456789abcdef-0123456789';
  try {
    gw = await startTestGateway({ token: TOKEN });
    for (const suffix of [`/?token=${T}`, `/#token=${T}`]) {
      await p.page.goto(`${gw.url}${suffix}`);
      await p.page.getByLabel('Gateway token').waitFor();
      assert.equal(p.page.url(), `${gw.url}/`, `the address bar after ${suffix}`);
      await p.page.getByText('tokens are never taken from URLs').waitFor();
    }
    await p.page.getByLabel('Gateway token').fill('wrong-token-0123456789abcdef-0123456789');
    await p.page.getByRole('button', { name: 'Connect' }).click();
    await p.page.getByText(/token mismatch/).waitFor();
    assert.equal(await p.page.evaluate(() => Object.keys(sessionStorage).some((k) => k.endsWith(':secret'))), false, 'a refused secret is not kept');
    await p.page.getByLabel('Gateway token').fill(TOKEN);
    await p.page.getByRole('button', { name: 'Connect' }).click();
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    assert.deepEqual(p.requests().filter((u) => u.includes(T)), [`${gw.url}/?token=${T}`], 'only the typed navigation carried T');
    assert.ok(!p.frames().some((f) => f.payload.includes(T)), 'no frame carries T');
    assert.ok(!p.frames().some((f) => f.url.includes('token')), 'the socket URL has no token');
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('W5: after too many wrong tokens the page says when it retries, and waits that long', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('rate-limited');
  try {
    gw = await startTestGateway({ token: TOKEN });
    await p.page.goto(`${gw.url}/`);
    for (let i = 0; i < 12 && (await p.page.getByText('Too many failed attempts').count()) === 0; i++) {
      const n = p.json('received').filter((f) => f.type === 'res' && f.ok === false).length;
      await p.page.getByLabel('Gateway token').fill(`wrong-token-${i}-0123456789abcdef-0123456789`);
      await p.page.getByRole('button', { name: 'Connect' }).click();
      await waitFrames(() => p.json('received').filter((f) => f.type === 'res' && f.ok === false).length > n, `refusal ${i}`);
    }
    await p.page.getByText(/^Too many failed attempts; retrying at \d/).waitFor();
    const limited = p.json('received').filter((f) => f.type === 'res' && f.ok === false).at(-1);
    assert.equal(limited?.error?.details?.code, 'AUTH_RATE_LIMITED');
    const seconds = Math.ceil(limited.error.retryAfterMs / 1000);
    await p.page.getByRole('status').filter({ hasText: `Reconnecting in ${seconds} s` }).waitFor();
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('W5: PROTOCOL_MISMATCH and DEVICE_AUTH_* stop with their text (a stand-in gateway answers the connect)', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('stopping-refusals');
  try {
    gw = await startTestGateway();
    const refusals = [
      { code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { code: 'PROTOCOL_MISMATCH' } },
      { code: 'INVALID_REQUEST', message: 'device signature invalid', details: { code: 'DEVICE_AUTH_SIGNATURE_INVALID' } },
    ];
    let next = 0;
    await p.page.routeWebSocket(`${gw.url.replace('http', 'ws')}/`, (ws) => {
      ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n-1', ts: Date.now() } }));
      ws.onMessage((text) => {
        const req = JSON.parse(String(text));
        if (req.method === 'connect') ws.send(JSON.stringify({ type: 'res', id: req.id, ok: false, error: refusals[next++] ?? refusals[1] }));
      });
    });
    await p.page.goto(`${gw.url}/`);
    await p.page.getByText('This page and the gateway are different versions: reload the page', { exact: true }).waitFor();
    await p.page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    await p.page.reload();
    await p.page.getByText('DEVICE_AUTH_SIGNATURE_INVALID: device signature invalid', { exact: true }).waitFor();
    await p.page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    assert.equal(next, 2, 'one connect each: neither is retried');
  } finally {
    await p.finish();
    await gw?.close();
  }
});
