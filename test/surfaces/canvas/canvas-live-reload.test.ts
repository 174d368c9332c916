import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { RawSocket, TOKEN, wsUrl } from '../../helpers/ws-client.js';
import { until, within } from '../../helpers/wait.js';

// web-surfaces.md C3 without a browser: the live-reload socket behind the capability prefix, `?oc_cap=` or the
// bearer; a file written into the canvas root sends the text frame `reload`; no credential → 401 before the 101;
// a frame over 1 KiB closes 1009.

let g: TestGateway;
let root: string;
let cap: string;
let operator: RawSocket;
let now = 1_000_000;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'clawgate-canvas-'));
  writeFileSync(join(root, 'index.html'), '<p>v1</p>');
  g = await startTestGateway({ token: TOKEN, canvasRoot: root }, { canvasNow: () => now });
  operator = await RawSocket.connect(g.url, { token: TOKEN, scopes: ['operator.read'] }, 'op');
  cap = String(operator.hello.pluginSurfaceUrls.canvas).split('/').pop()!;
});

after(async () => {
  await operator.close();
  await g.close();
  rmSync(root, { recursive: true, force: true });
});

/** An open live-reload socket and the text frames it received. */
async function open(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; frames: string[] }> {
  const ws = new WebSocket(url, { headers });
  const frames: string[] = [];
  ws.on('message', (d) => frames.push(d.toString()));
  await within(new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); }), `open ${url}`);
  return { ws, frames };
}

/** The HTTP status of a refused upgrade. */
function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return within(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('open', () => { ws.terminate(); reject(new Error('upgrade accepted')); });
    ws.once('error', () => { /* the refusal above decides */ });
  }), `refusal of ${url}`);
}

test('a file change sends `reload` to every live-reload socket (cap prefix, oc_cap and bearer)', async () => {
  const base = wsUrl(g.url);
  const sockets = [
    await open(`${base}/__openclaw__/cap/${cap}/__openclaw__/ws`),
    await open(`${base}/__openclaw__/ws?oc_cap=${cap}`),
    await open(`${base}/__openclaw__/ws`, { Authorization: `Bearer ${TOKEN}` }),
  ];
  try {
    writeFileSync(join(root, 'index.html'), '<p>v2</p>');
    for (const s of sockets) {
      await until(() => s.frames.includes('reload'), 'reload frame');
    }
  } finally {
    for (const s of sockets) s.ws.close();
  }
});

test('without a credential the upgrade is refused 401; a guessed capability too', async () => {
  const base = wsUrl(g.url);
  assert.equal(await refusedStatus(`${base}/__openclaw__/ws`), 401);
  assert.equal(await refusedStatus(`${base}/__openclaw__/ws?oc_cap=AAAAAAAAAAAAAAAAAAAAAAAA`), 401);
  assert.equal(await refusedStatus(`${base}/__openclaw__/cap/AAAAAAAAAAAAAAAAAAAAAAAA/__openclaw__/ws`), 401);
});

test('a frame over 1 KiB closes the socket 1009', async () => {
  const s = await open(`${wsUrl(g.url)}/__openclaw__/ws?oc_cap=${cap}`);
  const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)));
  s.ws.send('x'.repeat(2048));
  assert.equal(await within(closed, 'close'), 1009);
});

test('sandboxed pages send Origin: null: accepted on the live-reload path only; a plain GET there is 426', async () => {
  const base = wsUrl(g.url);
  const page = await open(`${base}/__openclaw__/ws?oc_cap=${cap}`, { Origin: 'null' });
  page.ws.close();
  assert.equal(await refusedStatus(`${base}/`, { Origin: 'null' }), 403, 'the control plane refuses Origin: null');
  const plain = await fetch(`${g.url}/__openclaw__/ws`);
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.get('content-security-policy'), 'sandbox allow-scripts allow-forms');
});

test('an open live-reload socket keeps its capability in use past 10 minutes; the clock restarts when it closes', async () => {
  const s = await open(`${wsUrl(g.url)}/__openclaw__/ws?oc_cap=${cap}`);
  const page = `${g.url}/__openclaw__/canvas/?oc_cap=${cap}`;
  now += 3 * 600_000;
  assert.equal((await fetch(page)).status, 200, 'pinned by the open socket');
  const closed = new Promise<void>((resolve) => s.ws.once('close', () => resolve()));
  s.ws.close();
  await within(closed, 'close');
  await until(async () => { now += 600_000; return (await fetch(page)).status === 401; }, 'expiry after the socket closed');
});

test('live-reload sockets count against --max-connections', async () => {
  const small = await startTestGateway({ token: TOKEN, canvasRoot: root, maxConnections: 2 });
  try {
    const base = wsUrl(small.url);
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const a = await open(`${base}/__openclaw__/ws`, auth);
    const b = await open(`${base}/__openclaw__/ws`, auth);
    assert.equal(await refusedStatus(`${base}/__openclaw__/ws`, auth), 503, 'a third live-reload socket');
    assert.equal(await refusedStatus(`${base}/`), 503, 'the control plane is full too');
    a.ws.close();
    b.ws.close();
  } finally {
    await small.close();
  }
});
