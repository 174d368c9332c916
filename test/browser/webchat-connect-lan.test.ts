import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/cli.js';
import { adminClient, stopClient, type TappedClient, TOKEN } from '../helpers/ws-client.js';
import { type BrowserHarness, browserHarness } from './harness.js';
import { chatThroughPage, connects, type LoggedGateway, recordSockets, startLoggedGateway, waitFrames } from './webchat-connect-kit.js';

// WebChat from a LAN-like, non-secure origin (web-surfaces W4, W5, S7; WT4, WT5): `lan.test` is mapped to
// 127.0.0.1 (B2), so the page has no WebCrypto, signs with the bundled pure-JS Ed25519, and waits for the owner
// to approve the pairing; a page of a foreign origin is refused before the upgrade, and WebChat under an
// origin not listed explains the --allowed-origins fix. Needs `npm run build` first (npm test builds).

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url, { args: ['--host-resolver-rules=MAP lan.test 127.0.0.1'] });
});
after(() => harness.close());

// Chromium says so on every non-secure origin; the gateway sends COOP anyway (§2.3)
const COOP_IGNORED = /Cross-Origin-Opener-Policy header has been ignored/;
const INSECURE = "Not a secure connection: this browser's device key can be read by scripts of this origin. Use https or http://127.0.0.1.";

test('WT4: over plain http under a LAN name the pure-JS signature is accepted, the page waits for approval and then connects', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: LoggedGateway | undefined;
  let op: TappedClient | undefined;
  const p = await harness.open('lan-pairing');
  p.expectConsoleError(COOP_IGNORED);
  try {
    const port = await freePort();
    const origin = `http://lan.test:${port}`;
    gw = await startLoggedGateway({ port, token: TOKEN, allowedOrigins: [origin], allowedHosts: ['lan.test'], autoApproveLocal: false });
    await recordSockets(p.page);
    await p.page.clock.install();
    await p.page.goto(`${origin}/`);
    assert.equal(await p.page.evaluate(() => isSecureContext), false);
    await p.page.getByText(INSECURE, { exact: true }).waitFor();
    await p.page.getByLabel('Gateway token').fill(TOKEN);
    await p.page.getByRole('button', { name: 'Connect' }).click();
    await p.page.getByText('Waiting for approval').waitFor();
    const refusal = p.json('received').find((f) => f.type === 'res' && f.ok === false);
    assert.equal(refusal?.error?.details?.code, 'PAIRING_REQUIRED', 'the noble signature passed: pairing, not DEVICE_AUTH_*');
    const requestId = refusal.error.details.requestId as string;
    await p.page.getByText(`Request ${requestId}`).waitFor();
    await p.page.getByText(`clawgate devices approve ${requestId}`, { exact: true }).waitFor();

    // nobody approves for 10 min: the page stops knocking and offers "Try again"
    await p.page.clock.runFor(10 * 60_000);
    await p.page.getByRole('button', { name: 'Try again' }).waitFor();
    const waited = connects(p).length;
    await p.page.getByRole('button', { name: 'Try again' }).click();
    await waitFrames(() => connects(p).length > waited, 'a connect after Try again');
    await p.page.getByText(`Request ${requestId}`).waitFor(); // the gateway reused the pending request

    op = await adminClient(gw.url);
    await op.request('device.pair.approve', { requestId });
    const tries = connects(p).length;
    await p.page.clock.runFor(5_000);
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    assert.ok(connects(p).length > tries, 'the page retried after 5 s');
    assert.equal(gw.gw.devices.get(connects(p)[0].params.device.id)?.approvedVia, 'owner');
    await chatThroughPage(p, 'from the lan', 'lan1');
  } finally {
    await stopClient(op);
    await p.finish();
    await gw?.close();
  }
});

test('WT5(a): a page of a foreign origin gets no socket: closed before opening, no connection, the log names the origin and the fix', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: LoggedGateway | undefined;
  let other: Server | undefined;
  const p = await harness.open('foreign-origin');
  p.expectConsoleError(/WebSocket connection to .* failed/);
  try {
    gw = await startLoggedGateway();
    other = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>other</title>'));
    await new Promise<void>((resolve) => other!.listen(0, '127.0.0.2', resolve));
    const foreign = `http://127.0.0.2:${(other.address() as AddressInfo).port}`;
    await p.page.goto(`${foreign}/`);
    const before = gw.gw.ws.hub.size;
    const result = await p.page.evaluate((url) => new Promise<{ opened: boolean; code: number }>((resolve) => {
      const ws = new WebSocket(url);
      let opened = false;
      ws.onopen = () => { opened = true; };
      ws.onclose = (ev) => resolve({ opened, code: ev.code });
    }), gw.url.replace('http', 'ws') + '/');
    assert.deepEqual(result, { opened: false, code: 1006 });
    assert.equal(gw.gw.ws.hub.size, before, 'no new connection');
    const line = gw.lines.find((l) => l.msg === 'upgrade refused: origin not allowed');
    assert.equal(line?.origin, foreign);
    assert.equal(line?.fix, `--allowed-origins ${foreign}`);
  } finally {
    await p.finish();
    await new Promise((r) => (other ? other.close(r) : r(undefined)));
    await gw?.close();
  }
});

test('WT5(b): WebChat under a LAN name that --allowed-origins does not list shows the fix', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: LoggedGateway | undefined;
  const p = await harness.open('origin-help');
  p.expectConsoleError(COOP_IGNORED);
  p.expectConsoleError(/WebSocket connection to .* failed/);
  try {
    const port = await freePort();
    const origin = `http://lan.test:${port}`;
    gw = await startLoggedGateway({ port, allowedHosts: ['lan.test'] });
    await p.page.goto(`${origin}/`);
    await p.page.getByText(`start it with --allowed-origins ${origin}`).waitFor();
    await p.page.getByText(`The gateway refused this page's WebSocket. If ${origin} is not the gateway's own address`).waitFor();
    await p.page.getByRole('status').filter({ hasText: /Reconnecting in \d+ s/ }).waitFor();
    await waitFrames(() => p.requests().some((u) => u === `${origin}/health`), 'the health probe');
  } finally {
    await p.finish();
    await gw?.close();
  }
});
