import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorTextLoaded, validateParams } from '../../protocol/precompiled.js';
import { validateParams as runtimeValidateParams } from '../../protocol/validators.js';
import { startTestGateway } from '../helpers/gateway.js';
import { until } from '../helpers/wait.js';

// The precompiled validators take their failure texts from TypeBox, whose modules load on demand. A gateway
// loads them in the background once it is ready: loaded synchronously by the first invalid frame, they stalled
// the event loop for seconds on a busy machine (every socket waited; a test's WS request timed out).

test('a ready gateway loads the validators\' failure texts in the background, before any invalid frame', async () => {
  assert.equal(errorTextLoaded(), false, 'nothing loaded them yet in this process');
  const tg = await startTestGateway();
  try {
    await until(() => errorTextLoaded(), 'the failure texts to be preloaded');
    const bad = { sessionKey: 'agent:main:x', message: 'hi', idempotencyKey: 'k', queueMode: 'later' };
    assert.deepEqual(validateParams('chat.send', bad), runtimeValidateParams('chat.send', bad));
  } finally {
    await tg.close();
  }
});
