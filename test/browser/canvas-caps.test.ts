import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connectDevice } from '../helpers/device-connect.js';
import { createTestDevice } from '../helpers/device.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type ReverseProxy, startReverseProxy } from '../helpers/reverse-proxy.js';
import { RawSocket, TOKEN } from '../helpers/ws-client.js';
import { type BrowserHarness, browserHarness } from './harness.js';

// web-surfaces.md CT3 in the browser: a fake node's capability URL opens the canvas with no header, and gets
// 401 once the node is gone; a capability unused for 10 minutes (injected clock) and a guessed one get 401;
// behind a reverse proxy under /claw the URL starts with the proxy's origin and prefix, and the page, its
// relative sub-resource and its live-reload socket all work through it. Needs `npm run build` first.

const TEN_MINUTES = 600_000;
let harness: BrowserHarness;
let root: string;
before(async () => {
  harness = await browserHarness(import.meta.url);
  root = mkdtempSync(join(tmpdir(), 'clawgate-canvas-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><title>canvas</title>'
    + '<link rel="stylesheet" href="style.css"></head><body><h1>Canvas v1</h1></body></html>');
  writeFileSync(join(root, 'style.css'), 'h1 { color: rgb(1, 2, 3); }');
});
after(async () => {
  await harness.close();
  rmSync(root, { recursive: true, force: true });
});

test('CT3: a fake node\'s URL opens the canvas with no header; after the node disconnects it gets 401', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const p = await harness.open('node-capability');
  let gw: TestGateway | undefined;
  try {
    gw = await startTestGateway({ token: TOKEN, canvasRoot: root });
    const node = await connectDevice(gw.url, createTestDevice(), { role: 'node', mode: 'node', clientId: 'node-host', scopes: [], caps: ['canvas'], auth: { token: TOKEN } }, 'node');
    assert.equal(node.res.ok, true, JSON.stringify(node.res.error));
    const url = String(node.res.payload.pluginSurfaceUrls.canvas);
    const res = await p.page.goto(`${url}/__openclaw__/canvas/`);
    assert.equal(res?.status(), 200);
    await p.page.getByRole('heading', { name: 'Canvas v1' }).waitFor();
    assert.equal(await p.page.evaluate(() => getComputedStyle(document.querySelector('h1')!).color), 'rgb(1, 2, 3)', 'the relative stylesheet loaded');
    await node.close();
    p.expectConsoleError(/status of 401/);
    let status = 0;
    for (let i = 0; i < 50 && status !== 401; i++) status = (await p.page.goto(`${url}/__openclaw__/canvas/`))?.status() ?? 0;
    assert.equal(status, 401, 'the capability died with its connection');
    assert.match(await p.page.textContent('body') ?? '', /Unauthorized/);
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('CT3: a URL left unused for 10 minutes gets 401; so does a guessed capability', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const p = await harness.open('expiry-and-guess');
  let gw: TestGateway | undefined;
  let op: RawSocket | undefined;
  let now = 1_000_000;
  try {
    gw = await startTestGateway({ token: TOKEN, canvasRoot: root }, { canvasNow: () => now });
    op = await RawSocket.connect(gw.url, { token: TOKEN, scopes: ['operator.read'] }, 'op');
    const url = String(op.hello.pluginSurfaceUrls.canvas);
    p.expectConsoleError(/status of 401/);
    now += TEN_MINUTES;
    assert.equal((await p.page.goto(`${url}/__openclaw__/canvas/`))?.status(), 401, 'unused for 10 minutes');
    const guessed = `${gw.url}/__openclaw__/cap/AAAAAAAAAAAAAAAAAAAAAAAA/__openclaw__/canvas/`;
    assert.equal((await p.page.goto(guessed))?.status(), 401);
  } finally {
    await p.finish();
    await op?.close();
    await gw?.close();
  }
});

test('CT3: behind a proxy under /claw the URL starts with the proxy origin and prefix, and the page works through it', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const p = await harness.open('behind-proxy');
  let gw: TestGateway | undefined;
  let proxy: ReverseProxy | undefined;
  let op: Awaited<ReturnType<typeof connectDevice>> | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-canvas-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><body><h1>Proxied v1</h1></body></html>');
  try {
    gw = await startTestGateway({ token: TOKEN, canvasRoot: dir, trustedProxies: ['127.0.0.1'] });
    proxy = await startReverseProxy();
    proxy.mount('/claw/', gw.url);
    // through a proxy a socket is remote: its device is approved by the owner first (direct, with the token)
    const admin = await RawSocket.connect(gw.url, { token: TOKEN }, 'admin');
    const dev = createTestDevice();
    const how = { scopes: ['operator.read'], auth: { token: TOKEN } };
    const first = await connectDevice(`${proxy.url}/claw/`, dev, how, 'first');
    const requestId = first.res.error?.details?.requestId as string;
    assert.ok(requestId, JSON.stringify(first.res.error));
    await first.close();
    assert.equal((await admin.request('device.pair.approve', { requestId })).ok, true);
    await admin.close();
    op = await connectDevice(`${proxy.url}/claw/`, dev, how, 'via-proxy');
    assert.equal(op.res.ok, true, JSON.stringify(op.res.error));
    const url = String(op.res.payload.pluginSurfaceUrls?.canvas);
    assert.match(url, new RegExp(`^${proxy.url}/claw/__openclaw__/cap/[A-Za-z0-9_-]{24}$`));
    assert.equal((await p.page.goto(`${url}/__openclaw__/canvas/`))?.status(), 200);
    await p.page.getByRole('heading', { name: 'Proxied v1' }).waitFor();
    // the live-reload socket goes through the proxy too: the snippet keeps the /claw/… prefix
    for (let attempt = 1; attempt <= 20; attempt++) {
      writeFileSync(join(dir, 'index.html'), '<!doctype html><html><body><h1>Proxied v2</h1></body></html>');
      if (await p.page.getByRole('heading', { name: 'Proxied v2' }).waitFor({ timeout: 1_500 }).then(() => true, () => false)) break;
    }
    await p.page.getByRole('heading', { name: 'Proxied v2' }).waitFor();
    assert.ok(p.requests().some((u) => u === `${url.replace(/^http/, 'ws')}/__openclaw__/ws`), p.requests().join('\n'));
  } finally {
    await p.finish();
    await op?.close();
    await proxy?.close();
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
