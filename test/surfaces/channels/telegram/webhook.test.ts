import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Update } from 'grammy/types';
import { pino } from 'pino';
import { telegramWebhookHandler } from '../../../../src/surfaces/channels/telegram/webhook.js';
import { Router } from '../../../../src/transport/router.js';
import { startServer } from '../../../../src/transport/server.js';

// T12 at the route level, served by the real transport: the secret is checked before the body is parsed,
// 1 MiB limit, integer update_id, 503 while not online, 200 once the pipeline has taken the update.

test('T12: webhook route — 401 before parsing, 413, 400, 503, then 200 after handle', async (t) => {
  const handled: Update[] = [];
  let online = false;
  const router = new Router().route('/tg/hook', telegramWebhookHandler({
    secret: 's3cret',
    isOnline: () => online,
    handle: async (u) => { handled.push(u); },
  }));
  const server = await startServer({
    bind: '127.0.0.1', port: 0, router, maxBodyBytes: 4 * 1024 * 1024, bodyTimeoutMs: 5_000,
    log: pino({ level: 'silent' }), warnings: { warn: () => {} },
  });
  t.after(() => server.close());
  const post = (body: string, secret?: string) => fetch(`http://127.0.0.1:${server.port}/tg/hook`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...(secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
  });
  const update = JSON.stringify({ update_id: 7, message: { message_id: 1, date: 1, chat: { id: 111, type: 'private' }, text: 'hi' } });

  assert.equal((await post('not json', 'wrong')).status, 401, 'a wrong secret is refused before the body is parsed');
  assert.equal((await post(update)).status, 401, 'no secret');
  assert.equal((await post(update, 's3cre')).status, 401, 'a prefix of the secret');
  assert.equal((await post(`{"update_id":1,"pad":"${'x'.repeat(1024 * 1024)}"}`, 's3cret')).status, 413);
  assert.equal((await post('not json', 's3cret')).status, 400);
  assert.equal((await post('{"update_id":"7"}', 's3cret')).status, 400);
  assert.equal((await post('[1]', 's3cret')).status, 400);
  assert.equal((await post(update, 's3cret')).status, 503, 'not online yet');
  assert.equal(handled.length, 0);
  online = true;
  const ok = await post(update, 's3cret');
  assert.equal(ok.status, 200);
  assert.deepEqual(handled.map((u) => u.update_id), [7]);
});
