import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { TOKEN } from '../helpers/ws-client.js';
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
    await chatThroughPage(p, 'hello', 'k1');

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
    await chatThroughPage(p, 'again', 'k2');

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
