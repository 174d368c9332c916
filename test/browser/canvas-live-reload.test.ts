import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { RawSocket, TOKEN } from '../helpers/ws-client.js';
import { type BrowserHarness, browserHarness } from './harness.js';

// web-surfaces.md CT2: an operator's pluginSurfaceUrls.canvas opens the canvas in the browser with no header;
// writing a v2 index.html reloads the page by itself; the live-reload upgrade carried `Origin: null` (the page
// runs sandboxed, in an opaque origin), localStorage throws SecurityError, and a WebSocket from the page to the
// control plane never opens. Needs `npm run build` first (npm test builds).

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

const page = (text: string) => `<!doctype html><html><head><meta charset="utf-8"><title>canvas</title></head><body><h1>${text}</h1></body></html>`;

test('CT2: live reload shows v2 by itself; the page is sandboxed (Origin null, no localStorage, no control plane)', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const root = mkdtempSync(join(tmpdir(), 'clawgate-canvas-'));
  writeFileSync(join(root, 'index.html'), page('Canvas v1'));
  const p = await harness.open('live-reload');
  let gw: TestGateway | undefined;
  let op: RawSocket | undefined;
  try {
    gw = await startTestGateway({ token: TOKEN, canvasRoot: root });
    op = await RawSocket.connect(gw.url, { token: TOKEN, scopes: ['operator.read'] }, 'op');
    const url = String(op.hello.pluginSurfaceUrls.canvas);
    // the WebSocket handshakes as the browser sent them: URL, request headers, response status
    const cdp = await p.context.newCDPSession(p.page);
    const sockets = new Map<string, { url: string; origin?: string; status?: number }>();
    cdp.on('Network.webSocketCreated', (e) => sockets.set(e.requestId, { url: e.url }));
    cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
      const h = e.request.headers as Record<string, string>;
      const s = sockets.get(e.requestId);
      if (s) s.origin = h.Origin ?? h.origin;
    });
    cdp.on('Network.webSocketHandshakeResponseReceived', (e) => {
      const s = sockets.get(e.requestId);
      if (s) s.status = e.response.status;
    });
    await cdp.send('Network.enable');
    const liveReload = () => [...sockets.values()].filter((s) => s.url.endsWith('/__openclaw__/ws'));

    const res = await p.page.goto(`${url}/__openclaw__/canvas/`);
    assert.equal(res?.status(), 200);
    assert.equal(res?.headers()['content-security-policy'], 'sandbox allow-scripts allow-forms');
    await p.page.getByRole('heading', { name: 'Canvas v1' }).waitFor();
    await p.page.waitForFunction(() => true); // let the CDP events of the load arrive
    await until(() => liveReload().some((s) => s.status === 101), 'the live-reload socket is open (101)');
    assert.equal(liveReload()[0].url, `${url.replace(/^http/, 'ws')}/__openclaw__/ws`, 'the socket keeps the capability prefix');

    // the watcher starts with the first socket: a write it missed is followed by another (bounded)
    for (let attempt = 1; attempt <= 20; attempt++) {
      writeFileSync(join(root, 'index.html'), page('Canvas v2'));
      const shown = await p.page.getByRole('heading', { name: 'Canvas v2' }).waitFor({ timeout: 1_500 }).then(() => true, () => false);
      if (shown) break;
    }
    await p.page.getByRole('heading', { name: 'Canvas v2' }).waitFor();
    assert.ok(p.frames().some((f) => f.dir === 'received' && f.payload === 'reload' && f.url.includes('/__openclaw__/ws')), 'the reload frame');

    // a socket is listed when created; its handshake request (with the Origin) is a later CDP event
    await until(() => liveReload().every((s) => s.origin !== undefined), 'the handshake requests of the live-reload sockets');
    const origins = liveReload().map((s) => s.origin);
    assert.ok(origins.length >= 2 && origins.every((o) => o === 'null'), `live-reload upgrades sent Origin null: ${JSON.stringify(origins)}`);

    const storage = await p.page.evaluate(() => {
      try {
        return `readable: ${localStorage.length}`;
      } catch (err) {
        return (err as Error).name;
      }
    });
    assert.equal(storage, 'SecurityError');
    const cookie = await p.page.evaluate(() => {
      try {
        return `readable: ${document.cookie}`;
      } catch (err) {
        return (err as Error).name;
      }
    });
    assert.equal(cookie, 'SecurityError');

    p.expectConsoleError(/WebSocket connection to .* failed/);
    const control = await p.page.evaluate((wsUrl) => new Promise<string>((resolve) => {
      const ws = new WebSocket(wsUrl);
      ws.onopen = () => resolve('open');
      ws.onclose = (e) => resolve(`closed ${e.code}`);
    }), gw.url.replace(/^http/, 'ws'));
    assert.notEqual(control, 'open', 'the control plane refuses the sandboxed page');
  } finally {
    await p.finish();
    await op?.close();
    await gw?.close();
    rmSync(root, { recursive: true, force: true });
  }
});

/** Polls `ok` (bounded in count), failing with `what`. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out: ${what}`);
}
