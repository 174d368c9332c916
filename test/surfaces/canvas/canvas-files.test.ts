import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { rawExchange, requestHead, type RawResponse } from '../../helpers/raw-http.js';
import { TOKEN } from '../../helpers/ws-client.js';

// web-surfaces.md CT1 and C2 without a browser: the canvas path matrix (traversal, dotfiles, symlinks out of
// the root), directories, the 308, and the sandbox headers on every status; bearer access (C5).

const SANDBOX = 'sandbox allow-scripts allow-forms';
let g: TestGateway;
let root: string;
let outside: string;

/** A raw request (no client-side path normalization), with the bearer unless `auth` is false. */
function get(path: string, o: { method?: string; auth?: boolean } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = o.auth === false ? {} : { Authorization: `Bearer ${TOKEN}` };
  return rawExchange(g.port, { head: o.method === 'HEAD', write: (s) => { s.write(requestHead(o.method ?? 'GET', path, headers)); } });
}

function assertSandboxed(r: RawResponse, what: string): void {
  assert.equal(r.headers['content-security-policy'], SANDBOX, `${what}: CSP`);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(r.headers['referrer-policy'], 'no-referrer', `${what}: referrer`);
  assert.equal(r.headers['cache-control'], 'no-store', `${what}: cache`);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'clawgate-canvas-'));
  outside = mkdtempSync(join(tmpdir(), 'clawgate-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'outside the root');
  writeFileSync(join(root, 'index.html'), '<html><body><p>root page</p></body></html>');
  writeFileSync(join(root, 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'data.bin'), 'raw');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'index.html'), '<p>sub page</p>');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'out.txt'));
  symlinkSync(join(root, 'app.js'), join(root, 'in.js'));
  g = await startTestGateway({ token: TOKEN, canvasRoot: root });
});

after(async () => {
  await g.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('canvas files (CT1)', () => {
  test('traversal, malformed escapes, dotfiles, backslashes, NUL and symlinks out of the root are 404', async () => {
    for (const p of ['/../x', '/%2e%2e%2fx', '/%2e%2e/%2e%2e/etc/passwd', '/%E0%A4%A', '/.env', '/a\\b', '/a%5cb', '/a%00b', '/out.txt', '/nope.txt']) {
      const r = await get(`/__openclaw__/canvas${p}`);
      assert.equal(r.status, 404, p);
      assertSandboxed(r, p);
      assert.doesNotMatch(r.body.toString(), /outside the root|SECRET/, p);
    }
  });

  test('files, a symlink inside the root, directories and the trailing-slash redirect', async () => {
    const js = await get('/__openclaw__/canvas/app.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['access-control-allow-origin'], '*');
    assertSandboxed(js, 'js');
    assert.equal((await get('/__openclaw__/canvas/in.js')).status, 200);
    assert.equal((await get('/__openclaw__/canvas/data.bin')).headers['content-type'], 'application/octet-stream');

    const index = await get('/__openclaw__/canvas/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['access-control-allow-origin'], undefined, 'HTML gets no CORS header');
    assert.match(index.body.toString(), /root page<\/p><script>[\s\S]*openclawSendUserAction[\s\S]*<\/script><\/body>/);
    assert.match((await get('/__openclaw__/canvas/sub/')).body.toString(), /sub page/);

    const missing = await get('/__openclaw__/canvas/empty/');
    assert.equal(missing.status, 404);
    assertSandboxed(missing, 'missing index');
    assert.match(missing.body.toString(), /Missing file: create index.html in the canvas root \(empty\/index.html\)/);
    assert.ok(!missing.body.toString().includes(root), 'never an absolute path');

    const redirect = await get('/__openclaw__/canvas');
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.location, 'canvas/');
    assertSandboxed(redirect, '308');

    const head = await get('/__openclaw__/canvas/app.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String('console.log(1)'.length));
  });

  test('POST is 405 with Allow: GET, HEAD', async () => {
    const r = await get('/__openclaw__/canvas/app.js', { method: 'POST' });
    assert.equal(r.status, 405);
    assert.match(r.headers.allow ?? '', /GET, HEAD/);
  });

  test('without credentials (or with a wrong bearer) every canvas path is 401 JSON, sandboxed', async () => {
    for (const p of ['/__openclaw__/canvas/', '/__openclaw__/canvas/app.js', '/__openclaw__/canvas/../x', '/__openclaw__/canvas']) {
      const r = await get(p, { auth: false });
      assert.equal(r.status, 401, p);
      assertSandboxed(r, p);
      assert.deepEqual(JSON.parse(r.body.toString()), { error: { message: 'Unauthorized', type: 'unauthorized' } });
    }
    const wrong = await rawExchange(g.port, { write: (s) => { s.write(requestHead('GET', '/__openclaw__/canvas/app.js', { Authorization: 'Bearer nope' })); } });
    assert.equal(wrong.status, 401);
  });
});

test('a missing default root (<state-dir>/canvas) is created 0700 with a starter index.html', async () => {
  const fresh = await startTestGateway({ token: TOKEN });
  try {
    const dir = join(fresh.config.stateDir, 'canvas');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const r = await fetch(`${fresh.url}/__openclaw__/canvas/`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 200);
    const html = await r.text();
    assert.equal((html.match(/<button type="button" onclick="openclawSendUserAction/g) ?? []).length, 4);
  } finally {
    await fresh.close();
  }
});
