import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { PAGE_CSP } from '../../src/surfaces/web/page-headers.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type BrowserHarness, browserHarness } from './harness.js';

// IT5's bridge part (web-surfaces.md I6): the Stately bridge page, aimed by --inspect-stately-url at a local
// fake inspector page on another origin, delivers nothing before that page posts `@statelyai.connected`, and
// everything buffered after it — `@xstate.*` frames only. The inspector page then offers "Open in Stately".
// Needs `npm run build` first (npm test builds).

/** A stand-in for Stately's inspector: it records what it is posted, and says connected when asked. */
const FAKE = `<!doctype html><meta charset="utf-8"><title>fake inspector</title>
<button id="connect">Say connected</button><ol id="got"></ol>
<script>
window.got = [];
window.addEventListener('message', (e) => {
  window.got.push({ origin: e.origin, type: e.data && e.data.type });
  const li = document.createElement('li');
  li.textContent = String(e.data && e.data.type);
  document.getElementById('got').append(li);
});
document.getElementById('connect').addEventListener('click', () => parent.postMessage({ type: '@statelyai.connected' }, '*'));
</script>`;

let harness: BrowserHarness;
let fake: Server;
let fakeOrigin: string;
before(async () => {
  harness = await browserHarness(import.meta.url);
  fake = createServer((req, res) => {
    res.writeHead(req.url === '/inspect' ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(req.url === '/inspect' ? FAKE : '');
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakeOrigin = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});
after(async () => {
  await harness.close();
  await new Promise((r) => fake.close(r));
});

test('IT5 bridge: nothing reaches the inspector before @statelyai.connected, then every buffered @xstate.* frame', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('bridge');
  try {
    gw = await startTestGateway({ inspect: true, inspectStatelyUrl: `${fakeOrigin}/inspect` });
    const res = await p.page.goto(`${gw.url}/__clawgate__/inspect/stately`);
    assert.equal(res?.status(), 200);
    assert.equal(res?.headers()['content-security-policy'], `${PAGE_CSP}; frame-src ${fakeOrigin}`);
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    // the bridge's own connection is an actor: its frames are buffered
    await p.page.getByText(/Waiting for the Stately inspector at .*: [1-9]\d* frames buffered/).waitFor();
    const inspector = p.page.frames().find((f) => f.url().startsWith(fakeOrigin));
    assert.ok(inspector, 'the fake inspector is framed');
    assert.equal(await inspector.evaluate('window.got.length'), 0, 'nothing before @statelyai.connected');
    const buffered = Number((await p.page.locator('#bridge-state').textContent())?.match(/(\d+) frames buffered/)?.[1]);
    await p.page.frameLocator('iframe[title="Stately inspector"]').getByRole('button', { name: 'Say connected' }).click();
    await p.page.getByText(new RegExp(`Connected to ${fakeOrigin}: \\d+ frames forwarded`)).waitFor();
    await inspector.waitForFunction(`window.got.length >= ${buffered}`);
    const got = await inspector.evaluate('window.got') as { origin: string; type: string }[];
    assert.ok(got.length >= buffered, `${got.length} delivered, ${buffered} were buffered`);
    assert.ok(got.every((m) => m.type.startsWith('@xstate.')), got.map((m) => m.type).join(', '));
    assert.ok(got.every((m) => m.origin === gw!.url), 'posted by the bridge page');
    assert.ok(got.some((m) => m.type === '@xstate.actor'));

    await p.page.goto(`${gw.url}/__clawgate__/inspect`);
    const open = p.page.getByRole('link', { name: 'Open in Stately' });
    await open.waitFor();
    assert.equal(await open.getAttribute('href'), `${gw.url}/__clawgate__/inspect/stately`);
  } finally {
    await p.finish();
    await gw?.close();
  }
});
