import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PAGE_HEADERS } from '../../src/surfaces/web/page-headers.js';
import { postJson, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type BrowserHarness, browserHarness, type TestPage } from './harness.js';

// WebChat's chat view (web-surfaces.md W6; page tests WT1(a), WT8, WT9): streaming replies through the one
// client, text only (S11) for messages from every surface, the §2.3 headers on the page and every asset it
// references, and the screenshot after one exchange (B8). Needs `npm run build` first (npm test builds).

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

/** The page at `/` of `gw`, once its status line says Connected. */
async function openChat(p: TestPage, gw: TestGateway): Promise<void> {
  await p.page.goto(`${gw.url}/`);
  await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
}

async function send(p: TestPage, text: string): Promise<void> {
  await p.page.getByRole('textbox', { name: 'Message' }).fill(text);
  await p.page.getByRole('button', { name: 'Send' }).click();
}

/** The bubbles shown, as `role: text (mark)`. */
async function bubbles(p: TestPage): Promise<string[]> {
  return p.page.locator('#chat li.bubble').evaluateAll((items) => items.map((li) => {
    const text = li.querySelector('.text')?.textContent ?? '';
    const mark = li.querySelector('.mark')?.textContent ?? '';
    return `${(li as HTMLElement).dataset.role}: ${text}${mark ? ` (${mark})` : ''}`;
  }));
}

test('WT1(a): no token, one exchange streams (≥ 2 reply texts before the final Echo: hello); the frames; the screenshot (WT9)', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('one-exchange');
  try {
    gw = await startTestGateway({ mockDelayMs: 100 });
    // every text the reply bubble shows, in order, as the page's own DOM changes happen
    await p.page.addInitScript(() => {
      const seen: string[] = [];
      (globalThis as unknown as { replyTexts: string[] }).replyTexts = seen;
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('li[data-role="assistant"]')) {
          const text = `${el.querySelector('.text')?.textContent ?? ''}|${el.querySelector('.mark')?.textContent ?? ''}`;
          if (seen[seen.length - 1] !== text) seen.push(text);
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await openChat(p, gw);
    assert.equal(await p.page.getByRole('textbox', { name: 'Gateway token' }).count(), 0, 'no token form');
    await send(p, 'hello');
    await p.page.locator('li[data-role="assistant"] .text').filter({ hasText: /^Echo: hello$/ }).waitFor();
    await p.page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'hidden' });
    const texts = await p.page.evaluate(() => (globalThis as unknown as { replyTexts: string[] }).replyTexts);
    const final = texts.indexOf('Echo: hello|');
    assert.ok(final >= 0, texts.join(' / '));
    assert.ok(new Set(texts.slice(0, final)).size >= 2, `distinct reply texts before the final one: ${texts.join(' / ')}`);
    assert.deepEqual(await bubbles(p), ['user: hello (sent)', 'assistant: Echo: hello']);

    const sent = p.json('sent');
    const connect = sent.find((f) => f.method === 'connect');
    assert.equal(connect?.params?.client?.id, 'webchat-ui');
    assert.equal(connect?.params?.client?.mode, 'webchat');
    assert.match(connect?.params?.device?.id ?? '', /^[0-9a-f]{64}$/, 'a device block (W4)');
    const hello = p.json('received').find((f) => f.ok === true && f.payload?.type === 'hello-ok');
    assert.equal(typeof hello?.payload?.auth?.deviceToken, 'string', 'hello-ok issues a device token');
    const chatSend = sent.filter((f) => f.method === 'chat.send');
    assert.equal(chatSend.length, 1);
    assert.match(chatSend[0]?.params?.idempotencyKey, /^[0-9a-f]{32}$/, 'a fresh 128-bit hex key');
    assert.equal(chatSend[0]?.params?.sessionKey, 'agent:main:main', 'the default session of hello-ok');
    for (const method of ['sessions.list', 'sessions.subscribe', 'sessions.messages.subscribe', 'chat.history']) {
      assert.ok(sent.some((f) => f.method === method), `${method} was called`);
    }
    const finals = p.json('received').filter((f) => f.event === 'chat' && f.payload?.state === 'final');
    assert.equal(finals[0]?.payload?.runId, chatSend[0]?.params?.idempotencyKey);
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('WT8: / and every asset it references carry the §2.3 headers; HTML sent over HTTP shows as literal text, no dialog', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('injection');
  try {
    gw = await startTestGateway();
    const page = await fetch(`${gw.url}/`);
    const html = await page.text();
    const refs = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(refs.length >= 3, refs.join(', '));
    for (const path of ['', ...refs]) {
      const res: Response = path === '' ? page : await fetch(new URL(path, `${gw.url}/`));
      assert.equal(res.status, 200, `/${path}`);
      for (const [name, value] of Object.entries(PAGE_HEADERS)) assert.equal(res.headers.get(name), value, `${name} of /${path}`);
      assert.match(res.headers.get('etag') ?? '', /^"/, `a strong ETag on /${path}`);
      if (path !== '') await res.arrayBuffer();
    }

    const dialogs: string[] = [];
    p.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await openChat(p, gw);
    await p.page.getByRole('combobox', { name: 'Session' }).filter({ hasText: 'agent:main:main' }).waitFor();
    const evil = '<img src=x onerror=alert(1)>';
    const res = await postJson(`${gw.url}/v1/gateway/messages`, { session_id: 'agent:main:main', request_id: randomUUID(), user_id: 'u1', text: evil });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    await p.page.locator('li[data-role="assistant"] .text').filter({ hasText: `Echo: ${evil}` }).waitFor();
    assert.deepEqual(await bubbles(p), [`user: ${evil}`, `assistant: Echo: ${evil}`]);
    assert.equal(await p.page.locator('#chat img').count(), 0, 'no element was made from the text');
    assert.deepEqual(dialogs, []);
  } finally {
    await p.finish();
    await gw?.close();
  }
});

test('W6 sessions: the picker lists sessions of every surface; choosing one shows its history, sends to it, and is kept over a reload', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('sessions');
  try {
    gw = await startTestGateway();
    const http = await postJson(`${gw.url}/v1/gateway/messages`, { session_id: 'http:dm:alice', request_id: randomUUID(), user_id: 'alice', text: 'from HTTP' });
    assert.equal(http.status, 200, JSON.stringify(http.json));
    await openChat(p, gw);
    const picker = p.page.getByRole('combobox', { name: 'Session' });
    await picker.locator('option', { hasText: 'http:dm:alice' }).waitFor({ state: 'attached' });
    assert.equal(await picker.inputValue(), 'agent:main:main', 'the default of hello-ok comes first');
    await picker.selectOption('http:dm:alice');
    await p.page.locator('li[data-role="assistant"] .text').filter({ hasText: /^Echo: from HTTP$/ }).waitFor();
    await send(p, 'from the page');
    await p.page.locator('li[data-role="assistant"] .text').filter({ hasText: /^Echo: from the page$/ }).waitFor();
    assert.equal(p.json('sent').find((f) => f.method === 'chat.send')?.params?.sessionKey, 'http:dm:alice');
    assert.ok(p.json('sent').some((f) => f.method === 'sessions.messages.unsubscribe' && f.params?.key === 'agent:main:main'), 'the previous session was unsubscribed');

    await p.page.reload();
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await p.page.locator('li[data-role="assistant"] .text').filter({ hasText: /^Echo: from the page$/ }).waitFor();
    assert.equal(await picker.inputValue(), 'http:dm:alice', 'the last session chosen on this <base>');
    assert.deepEqual(await bubbles(p), ['user: from HTTP', 'assistant: Echo: from HTTP', 'user: from the page', 'assistant: Echo: from the page']);
  } finally {
    await p.finish();
    await gw?.close();
  }
});
