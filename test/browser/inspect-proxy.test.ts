import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type ReverseProxy, startReverseProxy } from '../helpers/reverse-proxy.js';
import { TOKEN } from '../helpers/ws-client.js';
import { type BrowserHarness, browserHarness } from './harness.js';
import { pairThroughProxy } from './webchat-connect-kit.js';

// The inspector behind a reverse proxy (web-surfaces.md I4, I5, S9): at `/claw/__clawgate__/inspect` the page
// loads its assets relatively, connects to `<base>` = `/claw/` as WebChat does (token, then approval: a proxied
// browser is never direct-local), and opens its stream at `/claw/__clawgate__/inspect/ws`. Nothing bypasses
// the proxy. Needs `npm run build` first.

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

test('under /claw/ the inspector page, its socket and its stream go through the proxy', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  let proxy: ReverseProxy | undefined;
  const p = await harness.open('proxy-claw');
  try {
    proxy = await startReverseProxy();
    gw = await startTestGateway({ inspect: true, token: TOKEN, trustedProxies: ['127.0.0.1'], allowedOrigins: [proxy.url] });
    proxy.mount('/claw/', gw.url);
    await p.page.clock.install();
    await pairThroughProxy(p, `${proxy.url}/claw/__clawgate__/inspect`, TOKEN, gw, false);
    await p.page.getByText('Stream open').waitFor();
    await p.page.getByRole('tab', { name: /^Connections/ }).click();
    await p.page.getByRole('row').filter({ hasText: 'webchat-ui · ui' }).waitFor();
    const ws = proxy.url.replace('http', 'ws');
    const sockets = new Set(p.frames().map((f) => f.url.replace(/ticket=[\w-]+/, 'ticket=T')));
    assert.deepEqual([...sockets].sort(), [`${ws}/claw/`, `${ws}/claw/__clawgate__/inspect/ws?ticket=T`]);
    assert.ok(p.requests().includes(`${proxy.url}/claw/webchat/inspect.js`), 'the script, relative to the page');
    assert.ok(p.requests().every((u) => u.startsWith(proxy!.url) || u.startsWith(ws)), 'nothing bypassed the proxy');
  } finally {
    await p.finish();
    await proxy?.close();
    await gw?.close();
  }
});
