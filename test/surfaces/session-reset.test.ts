import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { postJson, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { RawSocket, uniq } from '../helpers/ws-client.js';

// Resetting a session's model context: HTTP POST /v1/gateway/sessions/reset {"session_id"} and WS
// sessions.reset {key} (operator.admin). The transcript keeps a marker; the model's history starts after
// it; chat.history still shows everything plus the marker. A run in flight finishes with its old context
// and its reply is not given to later runs.

let fake: FakeOpenAI;
let tg: TestGateway;
let admin: RawSocket;
before(async () => {
  fake = await startFakeOpenAI();
  tg = await startTestGateway({ model: 'openai', openaiBaseUrl: fake.url, openaiModel: 'fake-model' });
  admin = await RawSocket.connect(tg.url, {}, 'admin');
});
after(async () => {
  await admin?.close();
  await tg?.close();
  await fake?.close();
});

async function send(session: string, text: string, requestId = uniq('r')): Promise<{ reply: string; upstream: [string, string][] }> {
  const before = fake.requests.length;
  const res = await postJson(`${tg.url}/v1/gateway/messages`, { session_id: session, request_id: requestId, user_id: 'u1', text });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return { reply: res.json.reply, upstream: conversation(fake.requests[before].body) };
}

const conversation = (body: any): [string, string][] =>
  body.messages.filter((m: any) => m.role !== 'system').map((m: any) => [m.role, typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text).join('')]);

const resetHttp = (body: unknown) => postJson(`${tg.url}/v1/gateway/sessions/reset`, body);

describe('POST /v1/gateway/sessions/reset', () => {
  test('the next run sees no earlier turn; chat.history shows every message plus the marker', async () => {
    const session = uniq('reset-http');
    fake.enqueue({ text: ['Hi Ada.'] }, { text: ['Ada.'] });
    await send(session, 'My name is Ada.');
    assert.deepEqual((await send(session, 'My name?')).upstream, [['user', 'My name is Ada.'], ['assistant', 'Hi Ada.'], ['user', 'My name?']]);

    const r = await resetHttp({ session_id: session });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.session_id, session);
    assert.equal(r.json.reset, true);
    assert.equal(r.json.run_in_flight, undefined);

    fake.enqueue({ text: ['I do not know.'] });
    assert.deepEqual((await send(session, 'And now?')).upstream, [['user', 'And now?']]);
    // a later turn sees what came after the reset, not before
    assert.deepEqual((await send(session, 'Again?')).upstream, [['user', 'And now?'], ['assistant', 'I do not know.'], ['user', 'Again?']]);

    const history = await admin.request('chat.history', { sessionKey: session });
    assert.equal(history.ok, true, JSON.stringify(history.error));
    const roles = history.payload.messages.map((m: any) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'user', 'assistant', 'system', 'user', 'assistant', 'user', 'assistant']);
    assert.match(history.payload.messages[4].content[0].text, /^Context reset/);
  });

  test('an unknown session is 404 not_found; a missing or non-string session_id is 400', async () => {
    const unknown = await resetHttp({ session_id: uniq('never-seen') });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.type, 'not_found');
    for (const body of [{}, { session_id: '  ' }, { session_id: 42 }, []]) {
      const r = await resetHttp(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error.type, 'invalid_request');
    }
  });

  test('a reset while a run is going: the run finishes; neither its message nor its reply reach the next run', async () => {
    const session = uniq('reset-busy');
    fake.enqueue({ text: ['first'] });
    await send(session, 'one');
    // slow enough that the reset lands while it streams (a hang guard, not a timing assertion)
    fake.enqueue({ text: ['slow ', 'reply'], delayMs: 400 });
    const busyId = uniq('busy');
    const seen = fake.requests.length;
    const busy = postJson(`${tg.url}/v1/gateway/messages`, { session_id: session, request_id: busyId, user_id: 'u1', text: 'two' });
    await fake.waitForRequests(seen + 1); // its model request arrived: the run is running
    const r = await resetHttp({ session_id: session });
    assert.equal(r.status, 200);
    assert.equal(r.json.run_in_flight, busyId);
    assert.equal((await busy).json.reply, 'slow reply', 'the run in flight is not cancelled');
    fake.enqueue({ text: ['fresh'] });
    assert.deepEqual((await send(session, 'three')).upstream, [['user', 'three']]);
  });
});

describe('WS sessions.reset', () => {
  test('an admin resets the context; the result names the session', async () => {
    const session = uniq('reset-ws');
    fake.enqueue({ text: ['noted'] });
    await send(session, 'remember 42');
    const res = await admin.request('sessions.reset', { key: session, reason: 'reset' });
    assert.equal(res.ok, true, JSON.stringify(res.error));
    assert.equal(res.payload.ok, true);
    assert.equal(res.payload.key, session);
    assert.equal(typeof res.payload.resetAt, 'number');
    fake.enqueue({ text: ['?'] });
    assert.deepEqual((await send(session, 'what number?')).upstream, [['user', 'what number?']]);
  });

  test('without operator.admin → FORBIDDEN missing scope: operator.admin; an unknown key → INVALID_REQUEST', async () => {
    const writer = await RawSocket.connect(tg.url, { scopes: ['operator.write'] }, 'writer');
    try {
      const denied = await writer.request('sessions.reset', { key: 'agent:main:main' });
      assert.equal(denied.error.code, 'FORBIDDEN');
      assert.equal(denied.error.message, 'missing scope: operator.admin');
    } finally {
      await writer.close();
    }
    const unknown = await admin.request('sessions.reset', { key: uniq('nope') });
    assert.equal(unknown.error.code, 'INVALID_REQUEST');
    assert.match(unknown.error.message, /^session not found: /);
  });
});
