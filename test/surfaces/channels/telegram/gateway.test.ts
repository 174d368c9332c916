import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent, RunInput, Runner } from '../../../../src/core/run.js';
import { type FakeTelegram, startFakeTelegram } from '../../../helpers/fake-telegram.js';
import { startTestGateway } from '../../../helpers/gateway.js';
import { assertPublishedFrame } from '../../../helpers/published-schema.js';
import { dm, groupMessage, sentTexts, startTelegramGateway, telegramAccount } from '../../../helpers/telegram-gateway.js';
import { RawSocket, TOKEN } from '../../../helpers/ws-client.js';
import { until } from '../../../helpers/wait.js';

// The channel layer end to end: the fake Bot API → grammY → the pipeline → a session → the runner → the outbox →
// the fake (spec channels.md §6.2). Time is real here; the timers of backoff, typing, retries and TTLs are
// driven by SimulatedClock in the unit tests of their parts.

/** Resolves once the poller asked for updates past `updateId` (the update was fully handled and committed). */
function handled(fake: FakeTelegram, updateId: number): Promise<void> {
  return until(() => fake.callsOf('getUpdates').some((c) => Number(c.body?.offset ?? 0) > updateId), `update ${updateId} handled`);
}

/** A runner that answers with facts about its input, so a test can see what reached the model. */
function inputEcho(seen: RunInput[] = []): Runner {
  return {
    async *run(input: RunInput): AsyncIterable<RunEvent> {
      seen.push(input);
      yield { type: 'message', text: `history:${input.history?.length ?? 0} text:${input.text}` };
    },
  };
}

test('T1: an unknown DM sender gets one pairing code; after approval the next DM runs in its own session', async (t) => {
  const g = await startTelegramGateway();
  t.after(() => g.close());
  const { fake, tg } = g;
  const first = fake.queueUpdate(dm(111, 'hello'));
  await handled(fake, first);
  const second = fake.queueUpdate(dm(111, 'hello again'));
  await handled(fake, second);
  const replies = sentTexts(fake, 111);
  assert.equal(replies.length, 1, 'exactly one pairing reply');
  const code = /Pairing code: ([A-HJ-NP-Z2-9]{8})/.exec(replies[0]!)?.[1];
  assert.ok(code, replies[0]);
  assert.match(replies[0]!, new RegExp(`clawgate pairing approve telegram ${code}`));
  assert.equal(tg.gw.transcripts.session('agent:main:telegram:direct:111'), undefined, 'no run before approval');
  const channels = tg.gw.channels!;
  const list = channels.pairingList({});
  assert.deepEqual(list.requests.map((r) => [r.senderId, r.requestId]), [['111', code]]);
  const approved = channels.pairingApprove({ channel: 'telegram', code: code!.toLowerCase() });
  assert.equal(approved.commandOwnerBootstrap, 'configured');
  assert.equal(approved.senderId, '111');
  fake.queueUpdate(dm(111, 'hello'));
  await fake.waitForCalls('sendMessage', 2);
  assert.deepEqual(sentTexts(fake, 111).slice(1), ['Echo: hello']);
  assert.ok(tg.gw.transcripts.session('agent:main:telegram:direct:111'), 'the run was in the per-person session');
});

test('T2: under allowlist a stranger gets nothing: no send, no run, no pairing request', async (t) => {
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['222'] } });
  t.after(() => g.close());
  const id = g.fake.queueUpdate(dm(111, 'hello'));
  await handled(g.fake, id);
  const ok = g.fake.queueUpdate(dm(222, 'hi'));
  await handled(g.fake, ok);
  await g.fake.waitForCalls('sendMessage', 1);
  assert.deepEqual(sentTexts(g.fake, 111), []);
  assert.deepEqual(sentTexts(g.fake, 222), ['Echo: hi']);
  assert.deepEqual(g.tg.gw.channels!.pairingList({}).requests, []);
});

test('T3: in a group only mentions, replies to the bot and own-bot commands start anything', async (t) => {
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['111'], groups: new Map([['-100', {}]]) } });
  t.after(() => g.close());
  const { fake } = g;
  await handled(fake, fake.queueUpdate(groupMessage(-100, 111, 'hello')));
  assert.equal(fake.callsOf('sendMessage').length, 0, 'an unmentioned message starts no run');
  fake.queueUpdate(groupMessage(-100, 111, '@t_bot hello', { entities: [{ type: 'mention', offset: 0, length: 6 }] }));
  const [mentioned] = await fake.waitForCalls('sendMessage', 1);
  assert.match(String(mentioned!.body.text), /Echo: \[U111 id:111\] @t_bot hello/);
  assert.ok(mentioned!.body.reply_parameters, 'the first chunk in a group quotes the trigger');
  const botMessageId = Number((await fake.waitForCalls('sendMessage', 1))[0]!.body.reply_parameters?.message_id ?? 0);
  assert.ok(botMessageId > 0);
  fake.queueUpdate(groupMessage(-100, 111, 'and this?', { reply_to_message: { message_id: 1, date: 0, chat: { id: -100, type: 'supergroup' }, from: { id: fake.botId, is_bot: true, first_name: 'T' }, text: 'x' } }));
  await fake.waitForCalls('sendMessage', 2);
  fake.queueUpdate(groupMessage(-100, 111, '/status@t_bot', { entities: [{ type: 'bot_command', offset: 0, length: 13 }] }));
  const replies = await fake.waitForCalls('sendMessage', 3);
  assert.match(String(replies[2]!.body.text), /Session: agent:main:telegram:group:-100/);
  const other = fake.queueUpdate(groupMessage(-100, 111, '/status@other_bot', { entities: [{ type: 'bot_command', offset: 0, length: 17 }] }));
  await handled(fake, other);
  assert.equal(fake.callsOf('sendMessage').length, 3, '/status@other_bot is dropped');
});

test('T4: forum topics get their own session; General (no thread id) is topic 1 and its reply carries no thread id', async (t) => {
  const seen: RunInput[] = [];
  const g = await startTelegramGateway({
    account: { dmPolicy: 'allowlist', allowFrom: ['111'], groups: new Map([['-100', { requireMention: false }]]) },
    options: { runner: inputEcho(seen) },
  });
  t.after(() => g.close());
  const { fake } = g;
  fake.queueUpdate(groupMessage(-100, 111, 'in topic', { message_thread_id: 42, is_topic_message: true }, { is_forum: true }));
  const [inTopic] = await fake.waitForCalls('sendMessage', 1);
  assert.equal(seen[0]!.sessionKey, 'agent:main:telegram:group:-100:topic:42');
  assert.equal(inTopic!.body.message_thread_id, 42);
  fake.queueUpdate(groupMessage(-100, 111, 'in general', {}, { is_forum: true }));
  const sends = await fake.waitForCalls('sendMessage', 2);
  assert.equal(seen[1]!.sessionKey, 'agent:main:telegram:group:-100:topic:1');
  assert.equal(sends[1]!.body.message_thread_id, undefined);
});

test('X6: /stop cancels the running run and sends only "Stopped."; /new gives the next message an empty history', async (t) => {
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['111'] }, gateway: { mockDelayMs: 400 } });
  t.after(() => g.close());
  const { fake, tg } = g;
  const cancelled: string[] = [];
  tg.gw.bus.subscribe('run.cancelled', (e) => cancelled.push(e.runId));
  fake.queueUpdate(dm(111, 'a long answer please'));
  await until(() => tg.gw.sessions.inspect('agent:main:telegram:direct:111')?.running != null, 'the run started');
  fake.queueUpdate(dm(111, '/stop'));
  await until(() => cancelled.length === 1, 'run.cancelled');
  await fake.waitForCalls('sendMessage', 1);
  assert.deepEqual(sentTexts(fake, 111), ['Stopped.']);
});

test('X6: /new empties the model context of the session', async (t) => {
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['111'] }, options: { runner: inputEcho() } });
  t.after(() => g.close());
  const { fake } = g;
  fake.queueUpdate(dm(111, 'one'));
  await fake.waitForCalls('sendMessage', 1);
  fake.queueUpdate(dm(111, 'two'));
  await fake.waitForCalls('sendMessage', 2);
  fake.queueUpdate(dm(111, '/new'));
  await fake.waitForCalls('sendMessage', 3);
  fake.queueUpdate(dm(111, 'three'));
  await fake.waitForCalls('sendMessage', 4);
  assert.deepEqual(sentTexts(fake, 111), ['history:0 text:one', 'history:2 text:two', 'Started a new session.', 'history:0 text:three']);
});

test('a long reply goes out as ordered chunks of at most text-chunk-limit characters', async (t) => {
  const long = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} ${'x'.repeat(200)}.`).join('\n\n');
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['111'], textChunkLimit: 1000 } });
  t.after(() => g.close());
  g.fake.queueUpdate(dm(111, long));
  await until(() => sentTexts(g.fake, 111).join('').includes('Paragraph 39'), 'the last chunk');
  const chunks = sentTexts(g.fake, 111);
  assert.ok(chunks.length >= 9, `${chunks.length} chunks`);
  for (const c of chunks) assert.ok(c.length <= 1000);
  assert.equal(chunks.join('\n\n').replace(/\s+/g, ' '), `Echo: ${long}`.replace(/\s+/g, ' '));
});

test('T14: stopping the gateway ends the poller with one confirming getUpdates and nothing after', async (t) => {
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['111'] } });
  let closed = false;
  t.after(async () => { if (!closed) await g.close(); });
  await until(() => g.tg.gw.channels!.notOnline().length === 0, 'online');
  await g.tg.close();
  const n = g.fake.calls.length;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(g.fake.calls.length, n, 'no request after stop');
  closed = true;
  await g.fake.close();
});

test('T12: webhook mode: a wrong secret is refused, the right one answers 200 before the run ends, a repeated update runs once', async (t) => {
  const g = await startTelegramGateway({
    account: { dmPolicy: 'allowlist', allowFrom: ['111'], webhook: { url: 'https://x.test/tg/hook', path: '/tg/hook', secret: 's3cret' } },
    gateway: { mockDelayMs: 300 },
  });
  t.after(() => g.close());
  const { fake, tg } = g;
  await until(() => tg.gw.channels!.notOnline().length === 0, 'online (setWebhook done)');
  assert.equal(fake.webhookUrl(), 'https://x.test/tg/hook');
  const post = (secret: string, body: unknown) => fetch(`${tg.url}/tg/hook`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body: JSON.stringify(body),
  });
  const update = { update_id: 7, ...dm(111, 'via webhook') };
  assert.equal((await post('wrong', update)).status, 401);
  const ok = await post('s3cret', update);
  assert.equal(ok.status, 200);
  assert.equal(fake.callsOf('sendMessage').length, 0, 'answered before the run finished');
  assert.equal((await post('s3cret', update)).status, 200);
  await fake.waitForCalls('sendMessage', 1);
  await new Promise((r) => setTimeout(r, 800)); // a second run would have answered by now (mock: 2 words × 300 ms)
  assert.deepEqual(sentTexts(fake, 111), ['Echo: via webhook']);
  assert.equal(fake.callsOf('getUpdates').length, 0);
});

test('T11: streaming partial shows one preview message, edited, that ends as the reply', async (t) => {
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['111'], streaming: 'partial' }, gateway: { mockDelayMs: 150 } });
  t.after(() => g.close());
  const { fake } = g;
  const words = Array.from({ length: 12 }, (_, i) => `w${i}`).join(' ');
  fake.queueUpdate(dm(111, words));
  const [preview] = await fake.waitForCalls('sendMessage', 1);
  await until(() => fake.messageText(111, Number((preview as { result?: { message_id: number } }).result?.message_id ?? 0)) === `Echo: ${words}`
    || fake.callsOf('editMessageText').some((c) => c.body.text === `Echo: ${words}`), 'the preview became the reply');
  assert.equal(fake.callsOf('sendMessage').length, 1, 'one message: the preview, edited into the reply');
  assert.ok(fake.callsOf('editMessageText').length >= 1);
});

test('T13: a photo is downloaded (getFile + one file GET) and reaches the model as an image part', async (t) => {
  const seen: RunInput[] = [];
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['111'] }, options: { runner: inputEcho(seen) } });
  t.after(() => g.close());
  const { fake } = g;
  const fileId = fake.addFile(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), { filePath: 'photos/p.jpg' });
  const photo = dm(111, '', { text: undefined, caption: 'look', photo: [{ file_id: fileId, file_unique_id: 'u', width: 10, height: 10, file_size: 7 }] });
  fake.queueUpdate(photo);
  await fake.waitForCalls('sendMessage', 1);
  assert.equal(fake.callsOf('getFile').length, 1);
  assert.equal(seen[0]!.parts.filter((p) => p.type === 'image').length, 1);
  assert.equal(seen[0]!.text, 'look');
});

test('a failing account takes down nothing else: a wrong token is failed (unauthorized) while the other bot answers; X1 on the real layer', async (t) => {
  const fake = await startFakeTelegram({ username: 't_bot' });
  const good = telegramAccount(fake, { dmPolicy: 'allowlist', allowFrom: ['111'] });
  const bad = telegramAccount(fake, { accountId: 'work', botToken: '999:wrong' });
  const tg = await startTestGateway({ token: TOKEN, channels: { telegram: [good, bad], whatsapp: [], signal: [] } });
  t.after(async () => { await tg.close(); await fake.close(); });
  await until(() => tg.gw.channels!.notOnline().join() === 'channel:telegram:work', 'default online, work not');
  fake.queueUpdate(dm(111, 'still here'));
  await fake.waitForCalls('sendMessage', 1);
  assert.deepEqual(sentTexts(fake, 111), ['Echo: still here']);
  const ready = await fetch(`${tg.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /channel:telegram:work/);
  const ws = await RawSocket.connect(tg.url, { token: TOKEN, scopes: ['operator.read'] }, 'status');
  t.after(() => ws.ws.close());
  const res = await ws.request('channels.status', {});
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assertPublishedFrame(res, { method: 'channels.status' });
  const accounts = res.payload.channelAccounts.telegram as { accountId: string; state: string; connected: boolean; lastError: string | null; reconnectAttempts: number }[];
  const byId = new Map(accounts.map((a) => [a.accountId, a]));
  assert.equal(byId.get('default')?.connected, true);
  assert.equal(byId.get('work')?.state, 'failed');
  assert.match(byId.get('work')?.lastError ?? '', /unauthorized/);
  assert.ok(!JSON.stringify(res.payload).includes('999:wrong'), 'no token in status');
});
