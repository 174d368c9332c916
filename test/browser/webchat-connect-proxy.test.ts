import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type ReverseProxy, startReverseProxy } from '../helpers/reverse-proxy.js';
import { TOKEN } from '../helpers/ws-client.js';
import { type BrowserHarness, browserHarness } from './harness.js';
import { chatThroughPage, connects, pairThroughProxy, recordSockets, waitFrames } from './webchat-connect-kit.js';

// WebChat behind a reverse proxy (web-surfaces W2, W3, S9; WT6): `<base>` and the socket URL come from the
// page's location, a proxied browser waits for approval (never direct-local), and two gateways under one origin
// (/a/, /b/) never share a secret, a device token or an identity. Needs `npm run build` first.

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

const OTHER_TOKEN = 'clawgate-other-token-0123456789abcdef-xyz';

/** A gateway behind `proxy`, trusting it and allowing its origin. */
function proxiedGateway(proxy: ReverseProxy, token: string): Promise<TestGateway> {
  return startTestGateway({ token, trustedProxies: ['127.0.0.1'], allowedOrigins: [proxy.url] });
}

test('WT6: under /claw/ the page and its socket go through the proxy; after approval it chats', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  let proxy: ReverseProxy | undefined;
  const p = await harness.open('proxy-claw');
  try {
    proxy = await startReverseProxy();
    gw = await proxiedGateway(proxy, TOKEN);
    proxy.mount('/claw/', gw.url);
    await recordSockets(p.page);
    await p.page.clock.install();
    await pairThroughProxy(p, `${proxy.url}/claw/`, TOKEN, gw);
    const sockets = new Set(p.frames().map((f) => f.url));
    assert.deepEqual([...sockets], [`${proxy.url.replace('http', 'ws')}/claw/`]);
    await chatThroughPage(p, 'via the proxy', 'px1');
    assert.ok(p.requests().every((u) => u.startsWith(proxy!.url) || u.startsWith(proxy!.url.replace('http', 'ws'))), 'nothing bypassed the proxy');
  } finally {
    await p.finish();
    await proxy?.close();
    await gw?.close();
  }
});

test('WT6: two gateways at /a/ and /b/ on one proxy keep their own token and device id', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let a: TestGateway | undefined;
  let b: TestGateway | undefined;
  let proxy: ReverseProxy | undefined;
  const p = await harness.open('proxy-two-gateways');
  try {
    proxy = await startReverseProxy();
    a = await proxiedGateway(proxy, TOKEN);
    b = await proxiedGateway(proxy, OTHER_TOKEN);
    proxy.mount('/a/', a.url);
    proxy.mount('/b/', b.url);
    await p.page.clock.install();
    const atA = await pairThroughProxy(p, `${proxy.url}/a/`, TOKEN, a);
    const atB = await pairThroughProxy(p, `${proxy.url}/b/`, OTHER_TOKEN, b);
    assert.notEqual(atA.params.device.id, atB.params.device.id, 'one identity per <base>');
    const stored = await p.page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
    assert.equal(stored[`clawgate:${proxy.url}/a/:secret`], TOKEN);
    assert.equal(stored[`clawgate:${proxy.url}/b/:secret`], OTHER_TOKEN);

    // back at /a/: its own device token, no form, the same identity as before
    const before = connects(p).length;
    await p.page.goto(`${proxy.url}/a/`);
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await waitFrames(() => connects(p).length > before, 'the connect at /a/');
    const back = connects(p)[before];
    assert.equal(back.params.device.id, atA.params.device.id);
    assert.equal(typeof back.params.auth.deviceToken, 'string');
    assert.equal(back.params.auth.token, undefined);
  } finally {
    await p.finish();
    await proxy?.close();
    await a?.close();
    await b?.close();
  }
});

test('W2: a page at /claw (no trailing slash) moves to /claw/ before its socket opens', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  let proxy: ReverseProxy | undefined;
  const p = await harness.open('proxy-no-slash');
  try {
    proxy = await startReverseProxy();
    gw = await startTestGateway({ trustedProxies: ['127.0.0.1'], allowedOrigins: [proxy.url] });
    proxy.mount('/claw/', gw.url);
    // the proxy answers /claw with the page too; its files, asked for one level too high, are served from /claw/
    const origin = proxy.url;
    await p.page.route(`${origin}/webchat/**`, async (route) =>
      route.fulfill({ response: await route.fetch({ url: route.request().url().replace(`${origin}/webchat/`, `${origin}/claw/webchat/`) }) }));
    await p.page.goto(`${origin}/claw`);
    await p.page.getByText('Waiting for approval').waitFor();
    assert.equal(p.page.url(), `${origin}/claw/`);
    assert.deepEqual([...new Set(p.frames().map((f) => f.url))], [`${origin.replace('http', 'ws')}/claw/`]);
  } finally {
    await p.finish();
    await proxy?.close();
    await gw?.close();
  }
});
