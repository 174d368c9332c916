import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/config.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { postJson, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { uniq } from '../helpers/ids.js';

// Model set-up end to end against the fake OpenAI server: a catalog alias is sent upstream as the provider's
// model name, a bare catalog name as itself, and the gateway's system prompt leads every run's messages
// with the request's own system prompt after it.

let fake: FakeOpenAI;
let tg: TestGateway;
before(async () => {
  fake = await startFakeOpenAI();
  const setup = resolveConfig({ 'model-catalog': ['fast=gpt-4o-mini', 'smart=gpt-4.1', 'llama3'], 'system-prompt': 'You are Clawgate.' });
  tg = await startTestGateway({
    model: 'openai', openaiBaseUrl: fake.url, openaiModel: 'default-model', historyBudgetChars: 0,
    modelCatalog: setup.modelCatalog, modelAliases: setup.modelAliases, systemPrompt: setup.systemPrompt,
  });
});
after(async () => {
  await tg?.close();
  await fake?.close();
});

async function send(body: Record<string, unknown>) {
  const before = fake.requests.length;
  const res = await postJson(`${tg.url}/v1/gateway/messages`, { session_id: uniq('s'), request_id: uniq('r'), user_id: 'u1', text: 'Hi', ...body });
  return { res, upstream: fake.requests[before]?.body };
}

describe('model catalog aliases and the system prompt (fake OpenAI)', () => {
  test('model "fast" sends gpt-4o-mini upstream; "smart" sends gpt-4.1; a bare name stays itself; none uses --openai-model', async () => {
    for (const [asked, sent] of [['fast', 'gpt-4o-mini'], ['smart', 'gpt-4.1'], ['llama3', 'llama3'], [undefined, 'default-model']]) {
      const { res, upstream } = await send(asked ? { model: asked } : {});
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(upstream.model, sent, `model ${asked}`);
    }
  });

  test('an unknown name is still refused 400 invalid_model, and nothing goes upstream', async () => {
    const { res, upstream } = await send({ model: 'gpt-4o-mini' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { error: { type: 'invalid_model', message: 'model "gpt-4o-mini" is not available' } });
    assert.equal(upstream, undefined);
  });

  test('the gateway system prompt is the first message; the request\'s own comes after it', async () => {
    const plain = await send({});
    assert.deepEqual(plain.upstream.messages[0], { role: 'system', content: 'You are Clawgate.' });
    const own = await send({ request_system_prompt: 'Answer in French.' });
    assert.deepEqual(own.upstream.messages[0], { role: 'system', content: 'You are Clawgate.\n\nAnswer in French.' });
    assert.equal(own.upstream.messages.filter((m: { role: string }) => m.role === 'system').length, 1);
  });
});
