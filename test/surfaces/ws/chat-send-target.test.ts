import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { RawSocket, uniq } from '../../helpers/ws-client.js';

// chat.send without a session key answers OpenClaw's refusal (openclaw-protocol.md §13.1), not the schema's
// "must have required property 'sessionKey'"; a sessionKey of the wrong type is still a schema error.

const NO_TARGET = {
  code: 'INVALID_REQUEST', message: 'session mutation target is unavailable',
  details: { code: 'SESSION_MUTATION_TARGET_REQUIRED', method: 'chat.send' },
};

let tg: TestGateway;
let s: RawSocket;
before(async () => {
  tg = await startTestGateway();
  s = await RawSocket.connect(tg.url, {}, 'target');
});
after(async () => {
  await s?.close();
  await tg?.close();
});

describe('chat.send without sessionKey', () => {
  test('absent, empty or blank sessionKey → INVALID_REQUEST "session mutation target is unavailable"', async () => {
    for (const sessionKey of [undefined, '', '   ']) {
      const r = await s.request('chat.send', { ...(sessionKey === undefined ? {} : { sessionKey }), message: 'hi', idempotencyKey: uniq('t') });
      assert.equal(r.ok, false);
      assert.deepEqual(r.error, NO_TARGET, `sessionKey ${JSON.stringify(sessionKey)}`);
    }
  });

  test('a sessionKey that is not a string is a schema error', async () => {
    const r = await s.request('chat.send', { sessionKey: 42, message: 'hi', idempotencyKey: uniq('t') });
    assert.equal(r.error.code, 'INVALID_REQUEST');
    assert.match(r.error.message, /^invalid chat\.send params: /);
  });
});
