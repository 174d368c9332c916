import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { RawSocket, uniq } from '../../helpers/ws-client.js';

// chat.send and agent accept through the group commit queue (the ack waits for the commit). A repeat of the
// same idempotencyKey that arrives while the first accept is still queued — both frames in one TCP segment,
// so one tick — is answered in_flight and runs nothing: one run, one user message, as before the queue.

let tg: TestGateway;
let raw: RawSocket;
before(async () => {
  tg = await startTestGateway();
  raw = await RawSocket.connect(tg.url, {}, 'grouped');
});
after(async () => {
  await raw?.close();
  await tg?.close();
});

/** Sends `methods` as requests in one TCP write (one tick on the server); resolves with their `res` frames. */
function sendTogether(requests: Array<{ method: string; params: unknown }>): Promise<any[]> {
  const socket = (raw.ws as unknown as { _socket: Socket })._socket;
  socket.cork();
  const answers = requests.map((r) => raw.request(r.method, r.params));
  socket.uncork();
  return Promise.all(answers);
}

test('chat.send twice with one idempotencyKey in one tick: started, then in_flight; one run', async () => {
  const sessionKey = `agent:main:${uniq('grouped')}`;
  const key = uniq('dup');
  const params = { sessionKey, message: 'hello once', idempotencyKey: key };
  const [first, second] = await sendTogether([{ method: 'chat.send', params }, { method: 'chat.send', params }]);
  assert.equal(first.ok, true);
  assert.deepEqual(first.payload, { runId: key, status: 'started' });
  assert.equal(second.ok, true);
  assert.deepEqual(second.payload, { runId: key, status: 'in_flight' });
  const record = await tg.gw.runs.settled(key);
  assert.equal(record.state, 'completed');
  const { messages } = tg.gw.transcripts.messages(sessionKey, { limit: 100, offset: 0 });
  assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant'], 'one user message and one reply');
});

test('agent twice with one idempotencyKey in one tick: accepted, then in_flight; one run', async () => {
  const sessionKey = `agent:main:${uniq('grouped-agent')}`;
  const key = uniq('dup-agent');
  const params = { sessionKey, message: 'hello agent', idempotencyKey: key };
  const [first, second] = await sendTogether([{ method: 'agent', params }, { method: 'agent', params }]);
  assert.equal(first.ok, true);
  assert.equal(first.payload.status, 'accepted');
  assert.equal(second.ok, true);
  assert.equal(second.payload.status, 'in_flight');
  assert.equal((await tg.gw.runs.settled(key)).state, 'completed');
  const { messages } = tg.gw.transcripts.messages(sessionKey, { limit: 100, offset: 0 });
  assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant']);
});
