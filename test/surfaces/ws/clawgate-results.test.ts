import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Compile } from 'typebox/compile';
import WebSocket from 'ws';
import { CLAWGATE_RESULTS } from '../../../protocol/index.js';
import { createGatewayClient, type GatewaySession } from '../../../src/client/index.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { within } from '../../helpers/wait.js';

// web-surfaces K2: the results the published schema leaves undefined (chat.send ack, chat.history, chat.abort,
// sessions.list) have Clawgate schemas in protocol/clawgate-results.ts; real answers of a gateway validate.

const TOKEN = 'clawgate-results-token-0123456789abcdefgh';
const check = (method: string, payload: unknown) => {
  const validator = Compile(CLAWGATE_RESULTS[method]);
  assert.ok(validator.Check(payload), `${method}: ${JSON.stringify([...validator.Errors(payload)].slice(0, 3))}\n${JSON.stringify(payload)}`);
};

let tg: TestGateway;
let session: GatewaySession;
let stop: () => void;
before(async () => {
  tg = await startTestGateway({ token: TOKEN, mockDelayMs: 2 });
  const client = createGatewayClient({
    url: `ws://127.0.0.1:${tg.port}`, WebSocket, token: TOKEN,
    client: { id: 'cli', mode: 'cli', version: '1.0.0', platform: 'linux' }, scopes: ['operator.read', 'operator.write'],
  });
  stop = () => client.stop();
  client.start();
  session = await within(client.ready(), 'hello-ok');
});
after(async () => {
  stop();
  await tg.close();
});

test('chat.send (new and repeated key), chat.history, chat.abort and sessions.list answers validate', async () => {
  const sessionKey = 'agent:main:results';
  const runId = randomUUID();
  const ack = await session.request('chat.send', { sessionKey, message: 'hello', idempotencyKey: runId });
  check('chat.send', ack);
  assert.equal(ack.status, 'started');
  check('chat.send', await session.request('chat.send', { sessionKey, message: 'hello', idempotencyKey: runId }));
  const history = await session.request('chat.history', { sessionKey });
  check('chat.history', history);
  assert.ok(history.messages.length >= 1);
  check('chat.abort', await session.request('chat.abort', { sessionKey, runId: 'no-such-run' }));
  const list = await session.request('sessions.list', {});
  check('sessions.list', list);
  assert.ok(list.sessions.some((s) => s.key === sessionKey));
});
