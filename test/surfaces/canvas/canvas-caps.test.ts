import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { RawSocket, TOKEN } from '../../helpers/ws-client.js';
import { until } from '../../helpers/wait.js';
import { connectDevice } from '../../helpers/device-connect.js';
import { createTestDevice } from '../../helpers/device.js';
import { urlBaseOf } from '../../../src/surfaces/ws/url-base.js';

// web-surfaces.md C5 / CT3 without a browser: hello-ok's pluginSurfaceUrls.canvas, the capability prefix and
// `?oc_cap=` without any header, the 10-minute TTL on an injected clock (extended by use), a guessed capability,
// and the capability dying with its connection; in auth mode none a capability is always required.

const TEN_MINUTES = 600_000;
let g: TestGateway;
let root: string;
let now = 1_000_000;

const CAP_URL = /^http:\/\/127\.0\.0\.1:\d+\/__openclaw__\/cap\/[A-Za-z0-9_-]{24}$/;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'clawgate-canvas-'));
  writeFileSync(join(root, 'index.html'), '<p>canvas v1</p>');
  g = await startTestGateway({ token: TOKEN, canvasRoot: root }, { canvasNow: () => now });
});

after(async () => {
  await g.close();
  rmSync(root, { recursive: true, force: true });
});

/** The canvas URL a client was told in its hello-ok (from the Host it used: 127.0.0.1:<port>). */
function canvasUrl(s: RawSocket | Record<string, any>): string {
  const hello = s instanceof RawSocket ? s.hello : s;
  const url = hello.pluginSurfaceUrls?.canvas;
  assert.match(String(url), CAP_URL);
  return url as string;
}

describe('canvas capabilities (CT3)', () => {
  test('an operator with operator.read gets a capability URL that opens the canvas with no header', async () => {
    const op = await RawSocket.connect(g.url, { token: TOKEN, scopes: ['operator.read'] }, 'op');
    try {
      const url = canvasUrl(op);
      const page = await fetch(`${url}/__openclaw__/canvas/`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-security-policy'), 'sandbox allow-scripts allow-forms');
      assert.match(await page.text(), /canvas v1/);
      const cap = url.split('/').pop()!;
      assert.equal((await fetch(`${g.url}/__openclaw__/canvas/?oc_cap=${cap}`)).status, 200, 'the query form');
      assert.equal((await fetch(`${url}/__openclaw__/canvas`, { redirect: 'manual' })).status, 308);
      assert.equal((await fetch(`${url}/elsewhere`)).status, 404, 'the prefix opens only canvas paths');
    } finally {
      await op.close();
    }
  });

  test('an operator without operator.read gets no URL; a guessed capability gets 401', async () => {
    const op = await RawSocket.connect(g.url, { token: TOKEN, scopes: ['operator.approvals'] }, 'op-noread');
    try {
      assert.equal(op.hello.pluginSurfaceUrls, undefined);
    } finally {
      await op.close();
    }
    const guessed = await fetch(`${g.url}/__openclaw__/cap/AAAAAAAAAAAAAAAAAAAAAAAA/__openclaw__/canvas/`);
    assert.equal(guessed.status, 401);
    assert.deepEqual(await guessed.json(), { error: { message: 'Unauthorized', type: 'unauthorized' } });
    assert.equal((await fetch(`${g.url}/__openclaw__/canvas/?oc_cap=AAAAAAAAAAAAAAAAAAAAAAAA`)).status, 401);
  });

  test('a node that declared cap canvas gets a URL; it dies when the node disconnects', async () => {
    const node = await connectDevice(g.url, createTestDevice(), { role: 'node', mode: 'node', clientId: 'node-host', scopes: [], caps: ['canvas'], auth: { token: TOKEN } }, 'node');
    assert.equal(node.res.ok, true, JSON.stringify(node.res.error));
    const url = canvasUrl(node.res.payload);
    assert.equal((await fetch(`${url}/__openclaw__/canvas/`)).status, 200);
    await node.close();
    await until(async () => (await fetch(`${url}/__openclaw__/canvas/`)).status === 401, 'capability revoked on close');
    const plain = await connectDevice(g.url, createTestDevice(), { role: 'node', mode: 'node', clientId: 'node-host', scopes: [], auth: { token: TOKEN } }, 'node-nocanvas');
    assert.equal(plain.res.ok, true, JSON.stringify(plain.res.error));
    assert.equal(plain.res.payload.pluginSurfaceUrls, undefined, 'a node without cap canvas gets no URL');
    await plain.close();
  });

  test('a capability left unused for 10 minutes expires; each use extends it', async () => {
    const op = await RawSocket.connect(g.url, { token: TOKEN, scopes: ['operator.read'] }, 'op-ttl');
    try {
      const page = `${canvasUrl(op)}/__openclaw__/canvas/`;
      now += TEN_MINUTES - 1;
      assert.equal((await fetch(page)).status, 200, 'just before expiry');
      now += TEN_MINUTES - 1;
      assert.equal((await fetch(page)).status, 200, 'the use extended it');
      now += TEN_MINUTES;
      assert.equal((await fetch(page)).status, 401, 'unused for 10 minutes');
    } finally {
      await op.close();
    }
  });
});

test('auth mode none: the canvas needs a capability, a bearer header is no credential', async () => {
  const open = await startTestGateway({ canvasRoot: root });
  try {
    assert.equal((await fetch(`${open.url}/__openclaw__/canvas/`)).status, 401);
    assert.equal((await fetch(`${open.url}/__openclaw__/canvas/`, { headers: { Authorization: 'Bearer x' } })).status, 401);
    const op = await RawSocket.connect(open.url, { scopes: ['operator.read'] }, 'op-none');
    try {
      assert.equal((await fetch(`${canvasUrl(op)}/__openclaw__/canvas/`)).status, 200);
    } finally {
      await op.close();
    }
  } finally {
    await open.close();
  }
});

test('behind a trusted proxy the URL starts with the proxy origin and prefix; an untrusted peer\'s headers are ignored', async () => {
  const proxied = await startTestGateway({ token: TOKEN, canvasRoot: root, trustedProxies: ['127.0.0.1'] });
  const forwarded = { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'claw.example.org', 'X-Forwarded-Prefix': '/claw' };
  const admin = await RawSocket.connect(proxied.url, { token: TOKEN }, 'admin');
  try {
    // a remote device is paired by the owner first (a device-less remote socket keeps no scope)
    const dev = createTestDevice();
    const how = { scopes: ['operator.read'], auth: { token: TOKEN }, headers: forwarded };
    const first = await connectDevice(proxied.url, dev, how, 'first');
    const requestId = first.res.error?.details?.requestId as string;
    assert.ok(requestId, JSON.stringify(first.res.error));
    await first.close();
    assert.equal((await admin.request('device.pair.approve', { requestId })).ok, true);
    const viaProxy = await connectDevice(proxied.url, dev, how, 'via-proxy');
    assert.equal(viaProxy.res.ok, true, JSON.stringify(viaProxy.res.error));
    assert.match(viaProxy.res.payload.pluginSurfaceUrls.canvas, /^https:\/\/claw\.example\.org\/claw\/__openclaw__\/cap\/[A-Za-z0-9_-]{24}$/);
    await viaProxy.close();
  } finally {
    await admin.close();
    await proxied.close();
  }
  // from a peer that is not a trusted proxy the forwarding headers are ignored: the Host decides
  const header = (h: Record<string, string>) => (name: string) => h[name] ?? '';
  const sent = { host: '127.0.0.1:1234', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-forwarded-prefix': '/x' };
  assert.equal(urlBaseOf({ header: header(sent) }, 'http', false), 'http://127.0.0.1:1234');
  assert.equal(urlBaseOf({ header: header({ ...sent, 'x-forwarded-prefix': '/a"b' }) }, 'http', true), 'https://evil.example', 'a bad prefix is dropped');
  assert.equal(urlBaseOf({ header: header({ host: 'a b' }) }, 'http', false), undefined, 'no URL from an unusable Host');
});
