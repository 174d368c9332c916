import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../../src/config.js';
import { startGateway } from '../../../src/main.js';
import { PAGE_CSP } from '../../../src/surfaces/web/page-headers.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

// WebChat's routes (web-surfaces.md S3, S4, §2.3): `/` and `/webchat/<file>` from a build directory read once,
// with the page headers and a strong ETag; a missing build is a loud 503 and one error log line.

const PAGE_HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache',
};

function assertPageHeaders(res: Response, what: string): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) assert.equal(res.headers.get(name), value, `${what}: ${name}`);
  assert.equal(res.headers.get('set-cookie'), null, `${what}: no cookie`);
  assert.match(res.headers.get('etag') ?? '', /^"[^"]+"$/, `${what}: a strong ETag`);
}

describe('WebChat routes with a build', () => {
  let dir: string;
  let gw: TestGateway;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clawgate-webchat-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title><script type="module" src="webchat/app.js"></script>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'app.css'), 'body{}');
    writeFileSync(join(dir, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    gw = await startTestGateway({}, { webchatDir: dir });
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET / is the page, and every asset carries the §2.3 headers and its type', async () => {
    const page = await fetch(`${gw.url}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await page.text(), /webchat\/app\.js/);
    assertPageHeaders(page, '/');
    for (const [file, type] of [['app.js', 'text/javascript; charset=utf-8'], ['app.css', 'text/css; charset=utf-8'], ['icon.svg', 'image/svg+xml']]) {
      const res = await fetch(`${gw.url}/webchat/${file}`);
      assert.equal(res.status, 200, file);
      assert.equal(res.headers.get('content-type'), type, file);
      assertPageHeaders(res, file);
      await res.arrayBuffer();
    }
  });

  test('If-None-Match with the ETag gets 304; HEAD gets the headers and the length, no body', async () => {
    const first = await fetch(`${gw.url}/webchat/app.js`);
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();
    const again = await fetch(`${gw.url}/webchat/app.js`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    const head = await fetch(`${gw.url}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get('content-length')) > 0);
    assertPageHeaders(head, 'HEAD /');
  });

  test('a wrong method gets 405 with Allow; an unknown file or a path outside the build gets 404 JSON', async () => {
    const post = await fetch(`${gw.url}/`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal(((await post.json()) as { error: { type: string } }).error.type, 'method_not_allowed');
    for (const path of ['/webchat/nope.js', '/webchat/%2e%2e%2fpackage.json', '/webchat/index.html', '/webchat/a/app.js']) {
      const res = await fetch(`${gw.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'not_found', path);
    }
  });
});

test('missing WebChat assets: 503 text/html saying how to build, and one error log line naming the file', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  const empty = mkdtempSync(join(tmpdir(), 'clawgate-webchat-'));
  mkdirSync(join(empty, 'sub'));
  const lines: { level: number; msg: string; missing?: string }[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  const config = { ...resolveConfig({}), port: 0, stateDir, shutdownGraceMs: 0 };
  const gw = await startGateway(config, pino({ level: 'info' }, sink), { webchatDir: empty });
  try {
    for (const path of ['/', '/webchat/app.js']) {
      const res = await fetch(`http://127.0.0.1:${gw.port}${path}`);
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8', path);
      assert.match(await res.text(), /WebChat assets not found: run `npm run build`/, path);
    }
    const errors = lines.filter((l) => l.level >= 50 && l.msg === 'WebChat assets not found');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.missing, join(empty, 'index.html'));
  } finally {
    await gw.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
});
