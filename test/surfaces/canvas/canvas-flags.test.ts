import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { resolveConfig } from '../../../src/config.js';
import { startTestGateway } from '../../helpers/gateway.js';
import { RawSocket, TOKEN, wsUrl } from '../../helpers/ws-client.js';
import { within } from '../../helpers/wait.js';

// web-surfaces.md §8, C5 and C3 off switches: --no-canvas-host (no canvas or A2UI route, no live reload, no
// pluginSurfaceUrls, no root created) and --no-canvas-live-reload (the path 404s, as an upgrade too; served
// pages keep the bridge but lose the socket code).

const bearer = { Authorization: `Bearer ${TOKEN}` };

/** The HTTP status of a refused upgrade (or 101). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return within(new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('open', () => { resolve(101); ws.terminate(); });
    ws.once('error', () => { /* the answer above decides */ });
  }), `upgrade of ${url}`);
}

test('the flags resolve: both on by default, off with --no-canvas-host / --no-canvas-live-reload', () => {
  assert.deepEqual([resolveConfig({}).canvasHost, resolveConfig({}).canvasLiveReload], [true, true]);
  assert.equal(resolveConfig({ 'no-canvas-host': true }).canvasHost, false);
  assert.equal(resolveConfig({ 'no-canvas-live-reload': true }).canvasLiveReload, false);
});

test('--no-canvas-host: no canvas or A2UI route, no live reload, no pluginSurfaceUrls, no root created', async () => {
  const g = await startTestGateway({ token: TOKEN, canvasHost: false });
  try {
    assert.equal(existsSync(join(g.config.stateDir, 'canvas')), false, 'no default root');
    for (const path of ['/__openclaw__/canvas/', '/__openclaw__/a2ui/', '/__openclaw__/ws', '/__openclaw__/cap/AAAAAAAAAAAAAAAAAAAAAAAA/__openclaw__/canvas/']) {
      const res = await fetch(`${g.url}${path}`, { headers: bearer });
      assert.equal(res.status, 404, path);
      assert.equal((await res.json()).error.type, 'not_found', path);
    }
    const op = await RawSocket.connect(g.url, { token: TOKEN, scopes: ['operator.read'] }, 'op');
    try {
      assert.equal(op.hello.pluginSurfaceUrls, undefined);
    } finally {
      await op.close();
    }
  } finally {
    await g.close();
  }
});

test('--no-canvas-live-reload: the path 404s (GET and upgrade), pages keep the bridge without the socket', async () => {
  const root = mkdtempSync(join(tmpdir(), 'clawgate-canvas-'));
  writeFileSync(join(root, 'index.html'), '<html><body><p>static</p></body></html>');
  const g = await startTestGateway({ token: TOKEN, canvasRoot: root, canvasLiveReload: false });
  const op = await RawSocket.connect(g.url, { token: TOKEN, scopes: ['operator.read'] }, 'op');
  try {
    const url = String(op.hello.pluginSurfaceUrls.canvas);
    const page = await fetch(`${url}/__openclaw__/canvas/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /openclawSendUserAction/, 'the bridge stays');
    assert.doesNotMatch(html, /WebSocket|__openclaw__\/ws/, 'no socket code');
    assert.equal((await fetch(`${g.url}/__openclaw__/ws`, { headers: bearer })).status, 404);
    const cap = url.split('/').pop();
    assert.equal(await upgradeStatus(`${wsUrl(g.url)}/__openclaw__/ws`, bearer), 404);
    assert.equal(await upgradeStatus(`${wsUrl(g.url)}/__openclaw__/ws?oc_cap=${cap}`), 404);
    assert.equal(await upgradeStatus(`${wsUrl(url)}/__openclaw__/ws`), 404);
  } finally {
    await op.close();
    await g.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('with live reload on, served pages carry the socket code (the contrast to the case above)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'clawgate-canvas-'));
  writeFileSync(join(root, 'index.html'), '<html><body><p>live</p></body></html>');
  const g = await startTestGateway({ token: TOKEN, canvasRoot: root });
  try {
    const html = await (await fetch(`${g.url}/__openclaw__/canvas/`, { headers: bearer })).text();
    assert.match(html, /new WebSocket\(/);
    assert.equal(await upgradeStatus(`${wsUrl(g.url)}/__openclaw__/ws`, bearer), 101);
  } finally {
    await g.close();
    rmSync(root, { recursive: true, force: true });
  }
});
