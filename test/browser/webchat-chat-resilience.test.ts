import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { until } from '../helpers/wait.js';
import { type BrowserHarness, browserHarness, type TestPage } from './harness.js';

// WebChat's Stop and resilience (web-surfaces.md W6 "Stop", W7; page test WT7): Stop keeps the partial reply,
// marked "stopped"; a socket cut mid-reply reconnects, reloads the history and sends what was typed meanwhile
// exactly once, with no bubble shown twice; the tick watchdog closes 4000 and a new connect follows. Page timers
// run on page.clock only. Needs `npm run build` first (npm test builds).

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

const LONG = Array.from({ length: 30 }, (_, i) => `word${i + 1}`).join(' ');

/** The page at `/` of `gw` with its clock installed, and paused once Connected and the session is open. */
async function openPaused(p: TestPage, gw: TestGateway): Promise<void> {
  await p.page.clock.install();
  await p.page.goto(`${gw.url}/`);
  await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  await p.page.getByRole('combobox', { name: 'Session' }).filter({ hasText: 'agent:main:main' }).waitFor();
  // the page's clock runs on meanwhile: pause a little ahead of it (a busy machine may take a while to get there)
  for (let attempt = 1; ; attempt++) {
    const at = await p.page.evaluate(() => Date.now() + 2_000);
    try {
      return await p.page.clock.pauseAt(at);
    } catch (err) {
      if (attempt === 5 || !/past/.test(String(err))) throw err;
    }
  }
}

async function send(p: TestPage, text: string): Promise<void> {
  await p.page.getByRole('textbox', { name: 'Message' }).fill(text);
  await p.page.getByRole('button', { name: 'Send' }).click();
}

const reply = (p: TestPage) => p.page.locator('li[data-role="assistant"]');

test('WT7: Stop sends chat.abort; the partial reply stays, marked "stopped"', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('stop');
  try {
    gw = await startTestGateway({ mockDelayMs: 200 });
    await openPaused(p, gw);
    await send(p, LONG);
    await reply(p).locator('.text').filter({ hasText: 'Echo: word1' }).waitFor();
    await p.page.getByRole('button', { name: 'Stop' }).click();
    await reply(p).locator('.mark').filter({ hasText: /^stopped$/ }).waitFor();
    const key = p.json('sent').find((f) => f.method === 'chat.send')?.params?.idempotencyKey;
    const abort = p.json('sent').find((f) => f.method === 'chat.abort');
    assert.deepEqual(abort?.params, { sessionKey: 'agent:main:main', runId: key });
    const text = await reply(p).locator('.text').textContent();
    assert.match(text ?? '', /^Echo: word1\b/);
    assert.notEqual(text, `Echo: ${LONG}`, 'the reply was cut short');
    await p.page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'hidden' });
    assert.equal(await reply(p).count(), 1);
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('WT7: socket cut mid-reply; a message typed while down is sent once after the reconnect; no bubble twice', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('offline-send');
  try {
    gw = await startTestGateway({ mockDelayMs: 200 });
    await openPaused(p, gw);
    await send(p, LONG);
    await reply(p).locator('.text').filter({ hasText: 'Echo: word1' }).waitFor();
    const cut = gw.gw.ws.hub.closeWhere(() => true, 1012, 'service restart');
    assert.equal(cut, 1, 'the page had one socket');
    await p.page.getByRole('status').filter({ hasText: /^Reconnecting/ }).waitFor();
    await send(p, 'typed while down');
    const waiting = p.page.locator('li[data-role="user"]').filter({ hasText: 'typed while down' });
    await waiting.locator('.mark').filter({ hasText: /^waiting$/ }).waitFor();
    assert.equal(p.json('sent').filter((f) => f.method === 'chat.send').length, 1, 'nothing is sent while down');

    await p.page.clock.runFor(2_000);
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await reply(p).locator('.text').filter({ hasText: /^Echo: typed while down$/ }).waitFor({ timeout: 20_000 });
    await reply(p).locator('.text').filter({ hasText: `Echo: ${LONG}` }).waitFor();
    const sends = p.json('sent').filter((f) => f.method === 'chat.send');
    assert.deepEqual(sends.map((f) => f.params.message), [LONG, 'typed while down'], 'the waiting message went out once');
    const connects = p.json('sent').filter((f) => f.method === 'connect').length;
    assert.equal(connects, 2);
    const sent = p.json('sent');
    const lastConnect = sent.map((f) => f.method).lastIndexOf('connect');
    const sentAfter = sent.slice(lastConnect);
    const history = sentAfter.findIndex((f) => f.method === 'chat.history');
    assert.ok(history >= 0 && history < sentAfter.findIndex((f) => f.method === 'chat.send'), 'the history was reloaded before the send');

    const keys = await p.page.locator('#chat li.bubble').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.key));
    assert.equal(new Set(keys).size, keys.length, `no key twice: ${keys.join(', ')}`);
    const shown = await p.page.locator('#chat li.bubble .text').allTextContents();
    assert.deepEqual(shown, [LONG, `Echo: ${LONG}`, 'typed while down', 'Echo: typed while down']);
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('WT7: 61 s with no server frame → close 4000 "tick timeout", then a new connect', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('watchdog');
  try {
    gw = await startTestGateway();
    const closes: { code: number; reason: string }[] = [];
    await p.page.exposeFunction('recordClose', (code: number, reason: string) => void closes.push({ code, reason }));
    // the page's own WebSocket closes, as the page's code asked for them
    await p.page.addInitScript(() => {
      const close = WebSocket.prototype.close;
      WebSocket.prototype.close = function (this: WebSocket, code?: number, reason?: string) {
        void (globalThis as unknown as { recordClose(c?: number, r?: string): void }).recordClose(code, reason);
        return close.call(this, code, reason);
      };
    });
    await openPaused(p, gw);
    const tick = p.json('received').find((f) => f.ok === true && f.payload?.type === 'hello-ok')?.payload?.policy?.tickIntervalMs;
    assert.equal(tick, 30_000);
    await p.page.clock.runFor(61_000);
    await until(() => closes.length > 0, 'the page closing its socket');
    assert.deepEqual(closes, [{ code: 4000, reason: 'tick timeout' }]);
    await p.page.clock.runFor(2_000);
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    assert.equal(p.json('sent').filter((f) => f.method === 'connect').length, 2, 'a new connect followed');
  } finally {
    await p.finish();
    await gw?.close();
  }
});
