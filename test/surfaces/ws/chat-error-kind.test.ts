import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, type FakeOpenAI, type FakeScript } from '../../helpers/fake-openai.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startClient, uniq, type TappedClient } from '../../helpers/ws-client.js';

// A failed run's WS `chat` event (state `error`) carries the errorKind OpenClaw uses for that failure:
// rate_limit, timeout, context_length, else unknown (openclaw-protocol.md §13.2), not always `unknown`.

let fake: FakeOpenAI;
let tg: TestGateway;
let client: TappedClient;
before(async () => {
  fake = await startFakeOpenAI();
  // a short provider deadline so the `hang` script fails as a timeout (long enough that four quick 429s fit on a busy machine)
  tg = await startTestGateway({ model: 'openai', openaiBaseUrl: fake.url, openaiModel: 'fake-model', openaiTimeoutMs: 2000 });
  client = await startClient(tg.url, {}, 'kinds');
});
after(async () => {
  client?.stop();
  await tg?.close();
  await fake?.close();
});

async function failedKind(...scripts: FakeScript[]): Promise<Record<string, unknown>> {
  fake.enqueue(...scripts);
  const runId = uniq('kind');
  await client.request('chat.send', { sessionKey: `agent:main:${uniq('k')}`, message: 'hi', idempotencyKey: runId });
  const ev = await client.log.waitForEvent('chat', (p) => p.runId === runId && (p.state === 'error' || p.state === 'final'));
  assert.equal(ev.payload.state, 'error', JSON.stringify(ev.payload));
  return ev.payload;
}

describe('chat error events carry the errorKind of the failure', () => {
  test('429 after every retry → rate_limit', async () => {
    const too = { status: 429, headers: { 'retry-after': '0' } };
    assert.equal((await failedKind(too, too, too, too)).errorKind, 'rate_limit');
  });

  test('a provider that stops answering → timeout', async () => {
    assert.equal((await failedKind({ text: ['par'], hang: true })).errorKind, 'timeout');
  });

  test('context_length_exceeded → context_length', async () => {
    const errorBody = { error: { message: "This model's maximum context length is 8192 tokens", type: 'invalid_request_error', code: 'context_length_exceeded' } };
    const p = await failedKind({ status: 400, errorBody });
    assert.equal(p.errorKind, 'context_length');
    assert.match(String(p.errorMessage), /context/);
  });

  test('a provider 500 → unknown', async () => {
    assert.equal((await failedKind({ status: 500 })).errorKind, 'unknown');
  });
});
