import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VERSION } from '../../src/core/version.js';
import { PAGE_CSP } from '../../src/surfaces/web/page-headers.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type BrowserHarness, browserHarness } from './harness.js';

// The chain every page stands on (web-surfaces.md S2–S4, B1–B9): the built WebChat bundle, served by a real
// gateway with the strict CSP, connects through the one client and shows it; nothing leaves loopback.
// Needs `npm run build` first (npm test builds).

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

test('WebChat with no token: the page says Connected and the gateway version, under the CSP, on loopback only', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('connected');
  try {
    gw = await startTestGateway();
    const res = await p.page.goto(`${gw.url}/`);
    assert.equal(res?.status(), 200);
    assert.equal(res?.headers()['content-security-policy'], PAGE_CSP);
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await p.page.getByText(`Clawgate ${VERSION}`).waitFor();
    const connect = p.json('sent').find((f) => f.method === 'connect');
    assert.equal(connect?.params?.client?.id, 'webchat-ui');
    assert.equal(connect?.params?.client?.version, VERSION, 'the bundle carries the package version');
    assert.ok(p.json('received').some((f) => f.ok === true && f.payload?.type === 'hello-ok'), 'a hello-ok came back');
    assert.ok(p.requests().every((u) => u.startsWith(gw!.url) || u.startsWith(gw!.url.replace('http', 'ws'))), 'only the gateway was asked');
  } finally {
    await p.finish();
    await gw?.close();
  }
});
