import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeChannels } from '../helpers/fake-channels.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type BrowserHarness, browserHarness } from './harness.js';

// WebChat's Channels panel (issue 15: channel status and the WhatsApp QR login): rows from `channels.status` of a
// gateway whose channel layer is the in-test fake; "Link WhatsApp" through a short admin connection of the same
// device (WebChat holds operator.read and operator.write, and web.login.* needs operator.admin), and refused
// with the way out when the gateway will not grant it; and the QR flow itself with
// page.routeWebSocket answering web.login.* in the gateway's place (B7), everything else going to the gateway.
// Needs `npm run build` first (npm test builds).

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

const TOKEN = 'webchat-channels-token-0123456789abcdefghij';

// two distinct 1×1 PNGs
const QR1 = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const QR2 = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

test('Channels panel: one row per account with its state and last error; Link WhatsApp links over an admin connection', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('channels-status');
  try {
    const fake = new FakeChannels();
    gw = await startTestGateway({}, { channels: fake });
    await p.page.goto(`${gw.url}/`);
    const table = p.page.getByRole('table', { name: 'Channel accounts' });
    await table.getByRole('rowheader', { name: 'WhatsApp · default' }).waitFor();
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).slice(0, 3).map((c) => c.textContent)));
    assert.deepEqual(rows, [['Telegram · default', 'online', ''], ['WhatsApp · default', 'backoff', 'connection closed (428)']]);

    fake.accounts.whatsapp = [{ ...fake.accounts.whatsapp[0]!, state: 'online', connected: true, lastError: null }];
    await p.page.getByRole('button', { name: 'Refresh channels' }).click();
    await table.getByRole('row', { name: /WhatsApp · default\s+online/ }).waitFor();

    fake.loginWaits = [{ connected: false, message: 'waiting for the scan', qrDataUrl: QR1 }, { connected: true, message: 'linked' }];
    await p.page.getByRole('button', { name: 'Link WhatsApp' }).click();
    await p.page.getByText('WhatsApp linked.').waitFor();
    assert.deepEqual(fake.calls.filter((c) => c.method.startsWith('login')).map((c) => c.method), ['loginStart', 'loginWait', 'loginWait']);
    const connects = p.json('sent').filter((f) => f.method === 'connect').map((f) => f.params);
    assert.deepEqual(connects.map((c) => c.scopes), [['operator.read', 'operator.write'], ['operator.admin']], 'the login has a connection of its own');
    assert.equal(connects[1].device.id, connects[0].device.id, 'of the same device');
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('Link WhatsApp on a token gateway without a stored token: refused, with the way out; the channel layer is not asked', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('channels-admin-refused');
  try {
    const fake = new FakeChannels();
    gw = await startTestGateway({ token: TOKEN }, { channels: fake });
    await p.page.goto(`${gw.url}/`);
    await p.page.getByLabel('Gateway token').fill(TOKEN);
    await p.page.getByRole('button', { name: 'Connect' }).click();
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    // the secret is forgotten with the tab's storage; the device token alone is read and write
    await p.page.evaluate(() => sessionStorage.clear());
    await p.page.getByRole('button', { name: 'Link WhatsApp' }).click();
    await p.page.getByText('Linking WhatsApp needs the operator.admin scope.').waitFor();
    await p.page.getByText('clawgate channels login whatsapp').waitFor();
    assert.ok(!fake.calls.some((c) => c.method === 'loginStart'), 'refused before the channel layer');
    assert.equal(await p.page.getByRole('img', { name: 'WhatsApp QR code' }).count(), 0);
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('Link WhatsApp: the QR code shows, a rotated one replaces it, then "WhatsApp linked." (web.login.* answered by the test)', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('whatsapp-qr');
  try {
    gw = await startTestGateway({}, { channels: new FakeChannels() });
    const logins: Record<string, any>[] = [];
    const held: ((payload: unknown) => void)[] = [];
    await p.page.routeWebSocket(/./, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        const frame = JSON.parse(String(message));
        if (typeof frame.method !== 'string' || !frame.method.startsWith('web.login.')) return server.send(message);
        logins.push(frame);
        held.push((payload) => ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload })));
      });
      server.onMessage((message) => ws.send(message));
    });
    await p.page.goto(`${gw.url}/`);
    await p.page.getByRole('button', { name: 'Link WhatsApp' }).click();
    const qr = p.page.getByRole('img', { name: 'WhatsApp QR code' });

    await waitFor(() => held.length === 1);
    assert.equal(logins[0]?.method, 'web.login.start');
    assert.equal(logins[0]?.params?.accountId, 'default');
    held.shift()!({ connected: false, message: 'Scan this QR code', qr: 'ref1', qrDataUrl: QR1 });
    await qr.waitFor();
    assert.equal(await qr.getAttribute('src'), QR1);
    await p.page.getByText('Scan this QR code with WhatsApp').waitFor();

    await waitFor(() => held.length === 1);
    assert.deepEqual([logins[1]?.method, logins[1]?.params?.currentQrDataUrl], ['web.login.wait', QR1]);
    held.shift()!({ connected: false, message: 'Scan this QR code', qr: 'ref2', qrDataUrl: QR2 });
    await p.page.locator(`img[src="${QR2}"]`).waitFor();

    await waitFor(() => held.length === 1);
    assert.equal(logins[2]?.params?.currentQrDataUrl, QR2);
    held.shift()!({ connected: true, message: 'linked' });
    await p.page.getByText('WhatsApp linked.').waitFor();
    assert.equal(await qr.count(), 0, 'the QR is gone once linked');
    assert.equal(logins.length, 3);
  } finally {
    await p.finish();
    await gw?.close();
  }
});

/** Waits (bounded) until `check` holds. */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'waited 10 s');
}
