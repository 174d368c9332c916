import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { createGatewayClient } from '../../src/client/index.js';
import { PAGE_CSP } from '../../src/surfaces/web/page-headers.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { frameSpy } from '../helpers/client-kit.js';
import { until, within } from '../helpers/wait.js';
import { type BrowserHarness, browserHarness, type TestPage } from './harness.js';

// IT2 (web-surfaces.md §5.2): the inspector page on a live gateway shows the actors as they change. A second
// client sends two chat.send to one session: the session row goes idle → running → idle, with queue depth 1
// while the second message waits; a WebChat page opened in another context shows up as a connection row.
// IT4, page-level: on a token gateway, nothing the page's stream received holds a secret or raw frame text.
// Needs `npm run build` first (npm test builds).

const KEY = 'agent:main:inspect-it2';
let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

/** The rendered (state, queue depth) pairs of the session row, recorded in the page from now on. */
async function recordSessionRow(p: TestPage): Promise<void> {
  // a string, not a function: tsx's name helpers do not exist in the page
  await p.page.evaluate(`(() => {
    const key = ${JSON.stringify(KEY)};
    const seen = [];
    window.seen = seen;
    function look() {
      for (const tr of document.querySelectorAll('tbody tr')) {
        const cells = [...tr.cells].map((c) => c.textContent);
        if (cells[0] !== key) continue;
        const entry = cells[1] + ' q' + cells[2];
        if (seen.at(-1) !== entry) seen.push(entry);
      }
    }
    look();
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
}

/** Waits until the session row shows idle, nothing queued and `done` runs done. */
async function settled(p: TestPage, done: number): Promise<void> {
  await p.page.waitForFunction(([key, runs]) => [...document.querySelectorAll('tbody tr')].some((tr) => {
    const cells = [...(tr as HTMLTableRowElement).cells].map((c) => c.textContent);
    return cells[0] === key && cells[1] === 'idle' && cells[2] === '0' && cells[6] === runs;
  }), [KEY, String(done)]);
}

async function openInspector(p: TestPage, gw: TestGateway): Promise<void> {
  const res = await p.page.goto(`${gw.url}/__clawgate__/inspect`);
  assert.equal(res?.status(), 200);
  assert.equal(res?.headers()['content-security-policy'], PAGE_CSP);
  assert.equal(res?.headers()['x-frame-options'], 'DENY');
  await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  await p.page.getByText('Stream open').waitFor();
}

test('IT2: the session row goes idle → running → idle with queue depth 1; a WebChat page is a connection row', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  let gw: TestGateway | undefined;
  const p = await harness.open('live-page');
  let chat: TestPage | undefined;
  const client = () => createGatewayClient({
    url: `ws://127.0.0.1:${gw!.port}`, WebSocket,
    client: { id: 'cli', mode: 'cli', version: '1.0.0', platform: 'linux' }, scopes: ['operator.read', 'operator.write'],
  });
  let sender: ReturnType<typeof client> | undefined;
  try {
    // the session actor stays idle after its runs (idle time), so its row settles on idle
    gw = await startTestGateway({ inspect: true, mockDelayMs: 200, sessionIdleMs: 10_000 });
    await openInspector(p, gw);
    const connect = p.json('sent').find((f) => f.method === 'connect');
    assert.equal(connect?.params?.client?.id, 'webchat-ui');
    assert.equal(connect?.params?.client?.mode, 'ui');
    assert.deepEqual(connect?.params?.scopes, ['operator.admin']);
    assert.ok(p.json('sent').some((f) => f.method === 'clawgate.inspect.ticket'), 'the page asked for a ticket');
    assert.ok(p.requests().some((u) => u.includes('/__clawgate__/inspect/ws?ticket=')), 'the stream was opened with it');
    await recordSessionRow(p);

    sender = client();
    sender.start();
    const session = await within(sender.ready(), 'hello-ok');
    const finals = new Set<string>();
    const bothDone = new Promise<void>((resolve) => {
      sender!.onEvent('chat', (payload) => {
        if (payload.state === 'final') finals.add(payload.runId);
        if (finals.size === 2) resolve();
      });
    });
    await session.request('chat.send', { sessionKey: KEY, message: 'first message to watch', idempotencyKey: randomUUID() });
    await session.request('chat.send', { sessionKey: KEY, message: 'second message waits', idempotencyKey: randomUUID() });
    await within(bothDone, 'both replies');
    const row = p.page.getByRole('row').filter({ hasText: KEY });
    // the row settles: idle, nothing queued, two runs done
    await settled(p, 2);
    const seen = await p.page.evaluate('window.seen') as string[];
    const running = seen.findIndex((s) => /^running\S* q1$/.test(s));
    assert.ok(running >= 0, `the row showed running with queue depth 1: ${seen.join(' | ')}`);
    assert.ok(seen.slice(running).includes('idle q0'), `then idle: ${seen.join(' | ')}`);
    // the session actor is created with its first message, so it is announced already running it (its first frame)
    const first = p.frames().filter((f) => f.url.includes('/inspect/ws')).map((f) => JSON.parse(f.payload) as Record<string, any>)
      .find((f) => f.type === '@xstate.actor' && f.name === `session:${KEY}`);
    assert.ok(typeof first?.snapshot?.value === 'object' && 'running' in first.snapshot.value, JSON.stringify(first?.snapshot?.value));
    await row.click();
    await p.page.getByRole('region', { name: 'Detail' }).getByText(`session:${KEY}`).first().waitFor();
    assert.match(await p.page.getByLabel('Snapshot').textContent() ?? '', /"sessionKey": "agent:main:inspect-it2"/);

    chat = await harness.open('live-page-webchat');
    await chat.page.goto(`${gw.url}/`);
    await chat.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await p.page.getByRole('tab', { name: /^Connections/ }).click();
    const webchat = p.page.getByRole('row').filter({ hasText: 'webchat-ui · webchat' });
    await webchat.waitFor();
    const cells = await webchat.getByRole('cell').allTextContents();
    assert.ok(cells.includes('operator'), cells.join(' | '));
    assert.ok(cells.includes('operator.read, operator.write'), cells.join(' | '));
    assert.ok(cells.some((c) => c.startsWith('local')), cells.join(' | '));
    // idle after its hello, the page's connection actor is passivated: same row, its actor column says so
    await webchat.getByRole('cell', { name: 'passivated', exact: true }).waitFor();

    // the filter narrows the rows; Pause stops rendering while frames keep arriving; Resume shows them
    await p.page.getByRole('searchbox', { name: 'Filter' }).fill('webchat-ui · webchat');
    assert.equal(await p.page.locator('tbody tr').count(), 1);
    await p.page.getByRole('searchbox', { name: 'Filter' }).fill('');
    await p.page.getByRole('button', { name: 'Pause' }).click();
    const actorId = await webchat.getAttribute('data-actor');
    const stopFrame = `{"type":"@clawgate.stopped","createdAt":`;
    const stopped = () => p.frames().some((f) => f.url.includes('/inspect/ws') && f.payload.startsWith(stopFrame) && f.payload.includes(`"sessionId":"${actorId}"`));
    await chat.finish(); // the WebChat page's connection ends
    chat = undefined;
    await until(stopped, 'the stream tells the page the WebChat connection stopped', 20_000, 20);
    assert.equal(await webchat.count(), 1, 'paused: the row is still shown');
    assert.equal(await p.page.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed'), 'true');
    await p.page.getByRole('button', { name: 'Resume' }).click();
    await webchat.waitFor({ state: 'detached' });
  } finally {
    await p.finish(); // its screenshot shows the three connections and the session's detail
    await chat?.finish();
    sender?.stop();
    await gw?.close();
  }
});

test('IT4 (page): on a token gateway the stream the page reads holds no secret and no raw frame text', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const TOKEN = 'inspect-page-token-0123456789abcdefghijklmn';
  let gw: TestGateway | undefined;
  const p = await harness.open('sanitized');
  const spy = frameSpy();
  let sender: ReturnType<typeof createGatewayClient> | undefined;
  try {
    gw = await startTestGateway({ inspect: true, mockDelayMs: 5, token: TOKEN, sessionIdleMs: 10_000 }); // the row settles on idle
    await p.page.goto(`${gw.url}/__clawgate__/inspect`);
    await p.page.getByLabel('Gateway token').fill(TOKEN);
    await p.page.getByRole('button', { name: 'Connect' }).click();
    await p.page.getByText('Stream open').waitFor();
    sender = createGatewayClient({
      url: `ws://127.0.0.1:${gw.port}`, WebSocket: spy.WebSocket, token: TOKEN,
      client: { id: 'cli', mode: 'cli', version: '1.0.0', platform: 'linux' }, scopes: ['operator.read', 'operator.write'],
    });
    sender.start();
    const session = await within(sender.ready(), 'hello-ok');
    const long = 'y'.repeat(300);
    const done = new Promise<void>((resolve) => sender!.onEvent('chat', (e) => e.state === 'final' && resolve()));
    await session.request('chat.send', { sessionKey: KEY, message: long, idempotencyKey: randomUUID() });
    await within(done, 'the reply');
    await settled(p, 1);

    const stream = p.frames().filter((f) => f.dir === 'received' && f.url.includes('/__clawgate__/inspect/ws')).map((f) => f.payload);
    assert.ok(stream.length > 10, `the page read the stream (${stream.length} frames)`);
    const all = stream.join('\n');
    const control = p.json('received');
    const secrets: [string, string | undefined][] = [
      ['the shared token', TOKEN],
      ['the page\'s device token', control.find((f) => f.payload?.type === 'hello-ok')?.payload?.auth?.deviceToken],
      ['the page\'s device signature', p.json('sent').find((f) => f.method === 'connect')?.params?.device?.signature],
      ['the stream ticket', control.find((f) => typeof f.payload?.ticket === 'string')?.payload?.ticket],
    ];
    for (const [what, secret] of secrets) if (secret) assert.ok(!all.includes(secret), `no frame holds ${what}`);
    assert.ok(secrets.filter(([, s]) => s).length >= 3, 'the secrets to look for were found');
    for (const raw of spy.sent) assert.ok(!all.includes(raw), `no raw frame text: ${raw.slice(0, 60)}`);
    assert.ok(all.includes(`${'y'.repeat(200)}…(+100)`), 'the 300-character message shows as 200 plus …(+100)');
    assert.ok(!all.includes('y'.repeat(201)));
  } finally {
    await p.finish();
    sender?.stop();
    await gw?.close();
  }
});
