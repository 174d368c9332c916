import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { A2UI_MISSING_TEXT } from '../../../src/surfaces/http/canvas/a2ui-files.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { RawSocket, TOKEN } from '../../helpers/ws-client.js';

// web-surfaces.md C4, C2, C5, S4 without a browser: `/__openclaw__/a2ui/` serves the built page and bundle
// (from memory) to the bearer or a capability, sandboxed, the bundle with `Access-Control-Allow-Origin: *`;
// without credentials 401; without the built bundle 503 "A2UI assets not found". Needs `npm run build`.

const BUILT = fileURLToPath(new URL('../../../dist/web/a2ui', import.meta.url));
const SANDBOX = 'sandbox allow-scripts allow-forms';
let g: TestGateway;
const bearer = { Authorization: `Bearer ${TOKEN}` };

before(async () => {
  assert.ok(existsSync(join(BUILT, 'a2ui.bundle.js')), 'dist/web/a2ui is built (npm run build)');
  g = await startTestGateway({ token: TOKEN });
});
after(() => g.close());

test('the bearer opens the A2UI page and bundle, sandboxed; the bundle carries ACAO *', async () => {
  const page = await fetch(`${g.url}/__openclaw__/a2ui/`, { headers: bearer });
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('content-security-policy'), SANDBOX);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.equal(page.headers.get('access-control-allow-origin'), null, 'no CORS header on HTML');
  const html = await page.text();
  assert.match(html, /<script type="module" src="\.\/a2ui\.bundle\.js"><\/script>/);
  assert.doesNotMatch(html, /<script>/, 'no inline script');
  const bundle = await fetch(`${g.url}/__openclaw__/a2ui/a2ui.bundle.js`, { headers: bearer });
  assert.equal(bundle.status, 200);
  assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
  assert.equal(bundle.headers.get('access-control-allow-origin'), '*');
  assert.equal(bundle.headers.get('content-security-policy'), SANDBOX);
  assert.ok((await bundle.arrayBuffer()).byteLength > 10_000);
  const head = await fetch(`${g.url}/__openclaw__/a2ui/a2ui.bundle.js`, { method: 'HEAD', headers: bearer });
  assert.equal(head.status, 200);
  assert.ok(Number(head.headers.get('content-length')) > 10_000);
  const bare = await fetch(`${g.url}/__openclaw__/a2ui`, { headers: bearer, redirect: 'manual' });
  assert.deepEqual([bare.status, bare.headers.get('location')], [308, 'a2ui/']);
  for (const path of ['/nope.js', '/%2e%2e/index.html', '/.env', '/a/b']) {
    assert.equal((await fetch(`${g.url}/__openclaw__/a2ui${path}`, { headers: bearer })).status, 404, path);
  }
  const post = await fetch(`${g.url}/__openclaw__/a2ui/`, { method: 'POST', headers: bearer });
  assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
});

test('without credentials 401; a capability (prefix or oc_cap) opens the page', async () => {
  const none = await fetch(`${g.url}/__openclaw__/a2ui/`);
  assert.equal(none.status, 401);
  assert.deepEqual(await none.json(), { error: { message: 'Unauthorized', type: 'unauthorized' } });
  assert.equal(none.headers.get('content-security-policy'), SANDBOX);
  const op = await RawSocket.connect(g.url, { token: TOKEN, scopes: ['operator.read'] }, 'op');
  try {
    const url = String(op.hello.pluginSurfaceUrls.canvas);
    const cap = url.split('/').pop();
    assert.equal((await fetch(`${url}/__openclaw__/a2ui/`)).status, 200);
    assert.equal((await fetch(`${url}/__openclaw__/a2ui/a2ui.bundle.js`)).status, 200);
    assert.equal((await fetch(`${g.url}/__openclaw__/a2ui/?oc_cap=${cap}`)).status, 200);
    // a page opened with ?oc_cap= moves under the capability prefix, so its relative ./a2ui.bundle.js is allowed too
    const moved = await fetch(`${g.url}/__openclaw__/a2ui/?oc_cap=${cap}&theme=dark`, { redirect: 'manual' });
    assert.deepEqual([moved.status, moved.headers.get('location')], [307, `../../__openclaw__/cap/${cap}/__openclaw__/a2ui/?theme=dark`]);
    const landed = new URL(moved.headers.get('location')!, `${g.url}/__openclaw__/a2ui/`);
    assert.equal(landed.href, `${url}/__openclaw__/a2ui/?theme=dark`);
    assert.equal((await fetch(new URL('./a2ui.bundle.js', landed))).status, 200, 'the bundle, relative to the page');
    const deep = await fetch(`${g.url}/__openclaw__/canvas/sub/page.html?oc_cap=${cap}`, { redirect: 'manual' });
    assert.deepEqual([deep.status, deep.headers.get('location')], [307, `../../../__openclaw__/cap/${cap}/__openclaw__/canvas/sub/page.html`]);
    assert.equal((await fetch(`${g.url}/__openclaw__/a2ui/a2ui.bundle.js?oc_cap=${cap}`, { redirect: 'manual' })).status, 200, 'a file is served in place');
    assert.equal((await fetch(`${g.url}/__openclaw__/a2ui/?oc_cap=AAAAAAAAAAAAAAAAAAAAAAAA`, { redirect: 'manual' })).status, 401, 'a dead capability is not redirected');
    assert.equal((await fetch(`${g.url}/__openclaw__/cap/AAAAAAAAAAAAAAAAAAAAAAAA/__openclaw__/a2ui/`)).status, 401);
  } finally {
    await op.close();
  }
});

test('without the built bundle every A2UI path answers 503 "A2UI assets not found"', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-a2ui-'));
  copyFileSync(join(BUILT, 'index.html'), join(dir, 'index.html')); // the page without its bundle
  const broken = await startTestGateway({ token: TOKEN }, { a2uiDir: dir });
  try {
    for (const path of ['/', '/a2ui.bundle.js']) {
      const res = await fetch(`${broken.url}/__openclaw__/a2ui${path}`, { headers: bearer });
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get('content-security-policy'), SANDBOX);
      assert.match(await res.text(), new RegExp(A2UI_MISSING_TEXT));
    }
    assert.equal((await fetch(`${broken.url}/__openclaw__/a2ui/`)).status, 401, 'credentials are still checked first');
  } finally {
    await broken.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sandboxed page\'s sub-resource requests (Origin null, cross-site) pass on canvas and A2UI paths only', async () => {
  const sandboxed = { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' };
  const bundle = await fetch(`${g.url}/__openclaw__/a2ui/a2ui.bundle.js`, { headers: { ...bearer, ...sandboxed } });
  assert.equal(bundle.status, 200);
  assert.equal(bundle.headers.get('access-control-allow-origin'), '*');
  assert.equal((await fetch(`${g.url}/__openclaw__/canvas/`, { headers: { ...bearer, 'Sec-Fetch-Site': 'cross-site' } })).status, 200);
  assert.equal((await fetch(`${g.url}/__openclaw__/a2ui/`, { headers: sandboxed })).status, 401, 'still no access without a credential');
  assert.equal((await fetch(`${g.url}/__openclaw__/a2ui/`, { headers: { ...bearer, Origin: 'https://evil.example' } })).status, 403, 'a foreign origin is refused');
  assert.equal((await fetch(`${g.url}/health`, { headers: sandboxed })).status, 403, 'the JSON API still refuses origin null');
});
