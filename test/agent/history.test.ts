import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { postJson, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startClient, uniq, type TappedClient } from '../helpers/ws-client.js';

// Issue acceptance 2 — the model sees the conversation, and the conversation survives a restart. Three
// turns in one session against --model openai (the fake OpenAI server): the third request carries the
// first two turns; then the gateway restarts on the same state dir and chat.history has all six messages.

const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-history-'));
let fake: FakeOpenAI | undefined;
let tg: TestGateway | undefined;
let client: TappedClient | undefined;
after(async () => {
  client?.stop();
  await tg?.gw.close();
  await fake?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const start = (f: FakeOpenAI) => startTestGateway({ stateDir, model: 'openai', openaiBaseUrl: f.url, openaiModel: 'fake-model' });

async function send(url: string, sessionId: string, requestId: string, text: string): Promise<string> {
  const res = await postJson(`${url}/v1/gateway/messages`, { session_id: sessionId, request_id: requestId, user_id: 'u1', text },
    { headers: { 'Content-Type': 'application/json' } });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.reply;
}

const textOf = (content: unknown) => (typeof content === 'string' ? content : (content as { text?: string }[]).map((p) => p.text ?? '').join(''));

describe('history for the model, and after a restart', () => {
  test('the third request carries the first two turns; chat.history has all six messages after a restart', async () => {
    fake = await startFakeOpenAI();
    fake.enqueue({ text: ['Hello, ', 'Ada.'] }, { text: ['You said ', 'your name is Ada.'] }, { text: ['Ada, ', 'of course.'] });
    tg = await start(fake);
    const session = uniq('history');
    const turns = [['r1', 'My name is Ada.'], ['r2', 'What did I say?'], ['r3', 'And my name?']].map(([id, text]) => [uniq(id), text]);
    const replies: string[] = [];
    for (const [id, text] of turns) replies.push(await send(tg.url, session, id, text));
    assert.deepEqual(replies, ['Hello, Ada.', 'You said your name is Ada.', 'Ada, of course.']);
    assert.equal(fake.requests.length, 3);

    const sent = (i: number) => (fake!.requests[i].body.messages as { role: string; content: unknown }[])
      .filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => [m.role, textOf(m.content)]);
    assert.deepEqual(sent(0), [['user', 'My name is Ada.']]);
    assert.deepEqual(sent(2), [
      ['user', 'My name is Ada.'], ['assistant', 'Hello, Ada.'],
      ['user', 'What did I say?'], ['assistant', 'You said your name is Ada.'],
      ['user', 'And my name?'],
    ]);

    // restart on the same state dir
    await tg.gw.close();
    tg = await start(fake);
    client = await startClient(tg.url, {}, 'client');
    const history = await client.request('chat.history', { sessionKey: session });
    assert.equal(history.totalMessages, 6);
    assert.deepEqual(history.messages.map((m: any) => [m.role, m.content[0].text]), [
      ['user', 'My name is Ada.'], ['assistant', 'Hello, Ada.'],
      ['user', 'What did I say?'], ['assistant', 'You said your name is Ada.'],
      ['user', 'And my name?'], ['assistant', 'Ada, of course.'],
    ]);
    assert.deepEqual(history.messages.map((m: any) => m.__openclaw.idempotencyKey),
      turns.flatMap(([id]) => [`${id}:user`, id]));
  });

  test('the history budget keeps the newest turns only', async () => {
    const f = await startFakeOpenAI();
    const dir = mkdtempSync(join(tmpdir(), 'clawgate-history-budget-'));
    const g = await startTestGateway({ stateDir: dir, model: 'openai', openaiBaseUrl: f.url, openaiModel: 'fake-model', historyBudgetChars: 20 });
    try {
      f.enqueue({ text: ['first reply'] }, { text: ['second reply'] }, { text: ['third'] });
      const session = uniq('budget');
      await send(g.url, session, uniq('a'), 'first question');
      await send(g.url, session, uniq('b'), 'second question');
      await send(g.url, session, uniq('c'), 'third question');
      // 20 chars: "second reply" (12) fits, "second question" (15) would not
      const msgs = (f.requests[2].body.messages as { role: string; content: unknown }[]).map((m) => [m.role, textOf(m.content)]);
      assert.deepEqual(msgs.filter(([r]) => r !== 'system'), [['assistant', 'second reply'], ['user', 'third question']]);
    } finally {
      await g.close();
      await f.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
