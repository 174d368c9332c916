import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { A2UI_MISSING_TEXT } from '../../src/surfaces/http/canvas/a2ui-files.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { RawSocket, TOKEN } from '../helpers/ws-client.js';
import { type BrowserHarness, browserHarness } from './harness.js';

// web-surfaces.md CT4 and CT6 (browser part): the A2UI page, loaded through a capability URL under the sandbox
// CSP with an Android-style bridge shim, renders the test's own v0.8 fixture and posts the button's user
// action; every request stays on loopback (B6 aborts the rest) and the page still renders; without the built
// bundle the page is a 503 saying so. Needs `npm run build` first (npm test builds).

const FIXTURE = [
  { surfaceUpdate: { surfaceId: 'main', components: [
    { id: 'root', component: { Column: { children: { explicitList: ['title', 'btn'] } } } },
    { id: 'title', component: { Text: { text: { literalString: 'Canvas works' }, usageHint: 'body' } } },
    { id: 'btn-label', component: { Text: { text: { literalString: 'Approve' } } } },
    { id: 'btn', component: { Button: { child: 'btn-label', action: { name: 'approve', context: [{ key: 'choice', value: { literalString: 'yes' } }] } } } },
  ] } },
  { beginRendering: { surfaceId: 'main', root: 'root' } },
];

/** What the node app's Android interface receives: JSON strings, kept for the test. */
const ANDROID_SHIM = `window.__posted = [];
window.openclawCanvasA2UIAction = { postMessage: (json) => window.__posted.push(JSON.parse(json)) };`;

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

/** A gateway and the canvas capability URL an operator socket was given. */
async function gatewayWithCap(options: Parameters<typeof startTestGateway>[1] = {}): Promise<{ gw: TestGateway; url: string; op: RawSocket }> {
  const gw = await startTestGateway({ token: TOKEN }, options);
  const op = await RawSocket.connect(gw.url, { token: TOKEN, scopes: ['operator.read'] }, 'op');
  return { gw, op, url: String(op.hello.pluginSurfaceUrls.canvas) };
}

test('CT4/CT6: A2UI renders the v0.8 fixture under the sandbox, offline, and a click posts the userAction', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const p = await harness.open('a2ui-renders-and-acts');
  let g: Awaited<ReturnType<typeof gatewayWithCap>> | undefined;
  try {
    g = await gatewayWithCap();
    await p.context.addInitScript(ANDROID_SHIM);
    const res = await p.page.goto(`${g.url}/__openclaw__/a2ui/`);
    assert.equal(res?.status(), 200);
    assert.equal(res?.headers()['content-security-policy'], 'sandbox allow-scripts allow-forms');
    await p.page.waitForFunction(() => typeof (globalThis as any).openclawA2UI?.applyMessages === 'function');
    assert.equal(await p.page.evaluate(() => origin), 'null', 'the page runs in an opaque origin');
    const bad = await p.page.evaluate(() => (globalThis as any).openclawA2UI.applyMessages('not a list'));
    assert.equal(bad.ok, false);
    const applied = await p.page.evaluate((m) => (globalThis as any).openclawA2UI.applyMessages(m), FIXTURE);
    assert.deepEqual(applied, { ok: true, surfaces: ['main'] });
    await p.page.getByText('Canvas works').waitFor();
    await p.page.getByRole('button', { name: 'Approve' }).click();
    await p.page.waitForFunction(() => (globalThis as any).__posted.length > 0);
    const posted = await p.page.evaluate(() => (globalThis as any).__posted);
    assert.equal(posted.length, 1);
    const { id, timestamp, ...action } = posted[0].userAction;
    assert.deepEqual(action, { name: 'approve', surfaceId: 'main', sourceComponentId: 'btn', context: { choice: 'yes' } });
    assert.equal(typeof id, 'string');
    assert.ok(!Number.isNaN(Date.parse(timestamp)), timestamp);
    assert.deepEqual(await p.page.evaluate(() => (globalThis as any).openclawA2UI.getSurfaces()), ['main']);
    assert.deepEqual(await p.page.evaluate(() => (globalThis as any).openclawA2UI.reset()), { ok: true, surfaces: [] });
    await p.page.getByText('Canvas works').waitFor({ state: 'detached' });
    const base = new URL(g.url).origin;
    assert.ok(p.requests().every((u) => u.startsWith(base)), p.requests().join('\n'));
  } finally {
    await p.finish();
    await g?.op.close();
    await g?.gw.close();
  }
});

test('CT4: boot messages from openclawA2UIBoot render at load', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const p = await harness.open('a2ui-boot');
  let g: Awaited<ReturnType<typeof gatewayWithCap>> | undefined;
  try {
    g = await gatewayWithCap();
    await p.context.addInitScript((messages) => { (globalThis as any).openclawA2UIBoot = { messages }; }, FIXTURE);
    await p.page.goto(`${g.url}/__openclaw__/a2ui/`);
    await p.page.getByText('Canvas works').waitFor();
  } finally {
    await p.finish();
    await g?.op.close();
    await g?.gw.close();
  }
});

test('CT6: with the bundle renamed away the page is a 503 "A2UI assets not found"', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-a2ui-'));
  copyFileSync(fileURLToPath(new URL('../../dist/web/a2ui/index.html', import.meta.url)), join(dir, 'index.html'));
  const p = await harness.open('a2ui-missing');
  let g: Awaited<ReturnType<typeof gatewayWithCap>> | undefined;
  try {
    g = await gatewayWithCap({ a2uiDir: dir });
    p.expectConsoleError(/status of 503/);
    const res = await p.page.goto(`${g.url}/__openclaw__/a2ui/`);
    assert.equal(res?.status(), 503);
    await p.page.getByText(A2UI_MISSING_TEXT).waitFor();
  } finally {
    await p.finish();
    await g?.op.close();
    await g?.gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
