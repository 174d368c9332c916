import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent, RunInput, Runner } from '../../../../src/core/run.js';
import type { FakeTelegram } from '../../../helpers/fake-telegram.js';
import { dm, groupMessage, sentTexts, startTelegramGateway } from '../../../helpers/telegram-gateway.js';
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
