import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Api, GrammyError } from 'grammy';
import { startFakeTelegram } from '../../../helpers/fake-telegram.js';

// The fake Bot API itself, driven by grammY's real client (what every Telegram test relies on).

test('fake Bot API: envelopes, getUpdates offsets and parking, 409s, edits, files, wrong token', async (t) => {
  const tg = await startFakeTelegram({ isForum: [-100] });
  t.after(() => tg.close());
  const api = new Api(tg.token, { apiRoot: tg.apiRoot });

  const me = await api.getMe();
  assert.equal(me.id, 123);
  assert.equal(me.username, 't_bot');

  tg.queueUpdate({ message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'a' } });
  tg.queueUpdate({ message: { message_id: 2, date: 1, chat: { id: 1, type: 'private' }, text: 'b' } });
  assert.deepEqual((await api.getUpdates({ offset: 0, timeout: 0 })).map((u) => u.update_id), [1, 2]);
  assert.deepEqual((await api.getUpdates({ offset: 2, limit: 5, timeout: 0 })).map((u) => u.update_id), [2]);

  // A parked poll is released by a queued update.
  const parked = api.getUpdates({ offset: 3, timeout: 30 });
  while (tg.parkedCount() === 0) await new Promise((r) => setTimeout(r, 2));
  tg.queueUpdate({ message: { message_id: 3, date: 1, chat: { id: 1, type: 'private' }, text: 'c' } });
  assert.deepEqual((await parked).map((u) => u.update_id), [3]);

  // A second concurrent poll makes the first answer 409.
  const first = api.getUpdates({ offset: 4, timeout: 30 }).catch((e: unknown) => e);
  while (tg.parkedCount() === 0) await new Promise((r) => setTimeout(r, 2));
  const second = await api.getUpdates({ offset: 4, timeout: 0 });
  assert.deepEqual(second, []);
  const err = await first;
  assert.ok(err instanceof GrammyError && err.error_code === 409, String(err));

  // A webhook blocks polling.
  tg.setWebhookActive('https://x.test/hook');
  await assert.rejects(api.getUpdates({ timeout: 0 }), (e: unknown) => e instanceof GrammyError && e.error_code === 409);
  await api.deleteWebhook();

  const sent = await api.sendMessage(1, 'hi', { parse_mode: 'HTML' });
  await assert.rejects(api.editMessageText(1, sent.message_id, 'hi'), /message is not modified/);
  await assert.rejects(api.editMessageText(1, 999, 'x'), /message to edit not found/);
  await api.editMessageText(1, sent.message_id, 'hello');
  assert.equal(tg.messageText(1, sent.message_id), 'hello');
  tg.rejectEntities(true);
  await assert.rejects(api.sendMessage(1, '<x>', { parse_mode: 'HTML' }), /can't parse entities/);
  tg.rejectEntities(false);
  tg.rateLimitNext('sendMessage', 2);
  await assert.rejects(api.sendMessage(1, 'x'), (e: unknown) => e instanceof GrammyError && e.error_code === 429 && e.parameters.retry_after === 2);
  await assert.rejects(api.sendChatAction(1, 'typing', { message_thread_id: 5 }), /chat is not a forum/);
  assert.equal(await api.sendChatAction(-100, 'typing', { message_thread_id: 1 }), true);

  const fileId = tg.addFile(new Uint8Array([1, 2, 3]), { filePath: 'photos/a.jpg' });
  const file = await api.getFile(fileId);
  const res = await fetch(`${tg.apiRoot}/file/bot${tg.token}/${file.file_path}`);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array([1, 2, 3]));
  assert.equal((await fetch(`${tg.apiRoot}/bot${tg.token}/noSuchMethod`, { method: 'POST' })).status, 404);

  const wrong = new Api('123:nope', { apiRoot: tg.apiRoot });
  await assert.rejects(wrong.getMe(), (e: unknown) => e instanceof GrammyError && e.error_code === 401);
  assert.equal(tg.calls.at(-1)?.token, 'wrong');
});

test('fake Bot API: close() ends a parked poll', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const api = new Api(tg.token, { apiRoot: tg.apiRoot });
  const poll = api.getUpdates({ timeout: 50 }).catch((e: unknown) => e);
  while (tg.parkedCount() === 0) await new Promise((r) => setTimeout(r, 2));
  await tg.close();
  assert.ok((await poll) instanceof Error);
});
