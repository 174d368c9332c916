import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, resolveConfig } from '../../../src/config.js';
import { PAGE_CSP } from '../../../src/surfaces/web/page-headers.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

// The inspector's pages (web-surfaces.md §2.1, §2.3, I5, I6): GET/HEAD `/__clawgate__/inspect` only with
// --inspect, the Stately bridge `/__clawgate__/inspect/stately` only with --inspect-stately-url (its CSP admits
// that origin as the one frame source, and the page learns the URL from a meta element); neither is reachable
// under `/webchat/`. The --inspect-stately-url flag itself: https (http only on loopback), and needs --inspect.

const STATELY = 'https://stately.example/inspect?x=1&y="2"';

function tempBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-inspect-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>w</title>');
  writeFileSync(join(dir, 'inspect.html'),
    '<!doctype html><meta name="clawgate-auth" content=""><meta name="clawgate-stately" content=""><title>i</title><script type="module" src="../webchat/inspect.js"></script>');
  writeFileSync(join(dir, 'stately.html'),
    '<!doctype html><meta name="clawgate-stately-url" content=""><title>s</title><script type="module" src="../../webchat/stately.js"></script>');
  writeFileSync(join(dir, 'inspect.js'), 'console.log(1)');
  return dir;
}

function assertPageHeaders(res: Response, csp: string): void {
  assert.equal(res.headers.get('content-security-policy'), csp);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.match(res.headers.get('etag') ?? '', /^"[^"]+"$/);
}

describe('inspector pages', () => {
  let dir: string;
  const gateways: TestGateway[] = [];
  const gateway = async (overrides: Record<string, unknown>) => {
    const g = await startTestGateway(overrides, { webchatDir: dir });
    gateways.push(g);
    return g;
  };
  before(() => {
    dir = tempBuild();
  });
  after(async () => {
    for (const g of gateways) await g.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('with --inspect: the page with the §2.3 headers, 304, HEAD, 405; the bridge is 404 without its flag', async () => {
    const g = await gateway({ inspect: true });
    const page = await fetch(`${g.url}/__clawgate__/inspect`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assertPageHeaders(page, PAGE_CSP);
    const html = await page.text();
    assert.match(html, /src="\.\.\/webchat\/inspect\.js"/);
    assert.match(html, /<meta name="clawgate-stately" content="">/, 'no "Open in Stately" without the bridge');
    assert.match(html, /<meta name="clawgate-auth" content="none">/, 'the auth mode, as WebChat is told');
    const again = await fetch(`${g.url}/__clawgate__/inspect`, { headers: { 'If-None-Match': page.headers.get('etag')! } });
    assert.equal(again.status, 304);
    const head = await fetch(`${g.url}/__clawgate__/inspect`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), Buffer.byteLength(html));
    const post = await fetch(`${g.url}/__clawgate__/inspect`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    await post.arrayBuffer();
    // the relative script URL resolves to a served asset, directly and under a proxy prefix alike
    assert.equal(new URL('../webchat/inspect.js', `${g.url}/__clawgate__/inspect`).pathname, '/webchat/inspect.js');
    assert.equal(new URL('../webchat/inspect.js', 'https://proxy.example/claw/__clawgate__/inspect').pathname, '/claw/webchat/inspect.js');
    assert.equal((await fetch(`${g.url}/webchat/inspect.js`)).status, 200);
    for (const path of ['/__clawgate__/inspect/stately', '/__clawgate__/inspect/', '/webchat/inspect.html', '/webchat/stately.html']) {
      const res = await fetch(`${g.url}${path}`);
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
  });

  test('with --inspect-stately-url: the bridge frames only that origin and carries the URL; the page offers it', async () => {
    const g = await gateway({ inspect: true, inspectStatelyUrl: new URL(STATELY).href, token: 'inspect-routes-token-0123456789abcdefghij' });
    const bridge = await fetch(`${g.url}/__clawgate__/inspect/stately`);
    assert.equal(bridge.status, 200);
    assertPageHeaders(bridge, `${PAGE_CSP}; frame-src https://stately.example`);
    const html = await bridge.text();
    assert.match(html, /<meta name="clawgate-stately-url" content="https:\/\/stately\.example\/inspect\?x=1&amp;y=%222%22">/);
    assert.match(html, /src="\.\.\/\.\.\/webchat\/stately\.js"/);
    const head = await fetch(`${g.url}/__clawgate__/inspect/stately`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-security-policy'), `${PAGE_CSP}; frame-src https://stately.example`);
    const page = await (await fetch(`${g.url}/__clawgate__/inspect`)).text();
    assert.match(page, /<meta name="clawgate-stately" content="on">/);
    assert.match(page, /<meta name="clawgate-auth" content="token">/);
    assert.doesNotMatch(page, /inspect-routes-token/, 'never the secret');
  });

  test('without --inspect the pages are 404 even with a build', async () => {
    const g = await gateway({});
    for (const path of ['/__clawgate__/inspect', '/__clawgate__/inspect/stately']) {
      const res = await fetch(`${g.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'not_found');
    }
  });
});

test('--inspect-stately-url: https anywhere, http on loopback only, no credentials, and only with --inspect', () => {
  assert.equal(resolveConfig({ inspect: true, 'inspect-stately-url': 'https://stately.ai/inspect' }).inspectStatelyUrl, 'https://stately.ai/inspect');
  assert.equal(resolveConfig({ inspect: true, 'inspect-stately-url': 'http://127.0.0.1:5173/' }).inspectStatelyUrl, 'http://127.0.0.1:5173/');
  assert.equal(resolveConfig({ inspect: true }).inspectStatelyUrl, undefined);
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ inspect: true, 'inspect-stately-url': 'http://stately.ai/inspect' }, /must be an https:\/\/ URL/],
    [{ inspect: true, 'inspect-stately-url': 'ws://127.0.0.1:1/' }, /must be an https:\/\/ URL/],
    [{ inspect: true, 'inspect-stately-url': 'not a url' }, /is not a URL/],
    [{ inspect: true, 'inspect-stately-url': 'https://u:p@stately.ai/' }, /user name or password/],
    [{ 'inspect-stately-url': 'https://stately.ai/inspect' }, /needs --inspect/],
  ];
  for (const [raw, message] of refused) {
    assert.throws(() => resolveConfig(raw as never), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(raw));
  }
});
