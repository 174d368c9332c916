import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { Api } from 'grammy';
import { createTelegramApi } from '../../../../src/surfaces/channels/telegram/bot-api.js';
import { TelegramSender } from '../../../../src/surfaces/channels/telegram/sender.js';
import { type FakeTelegram, startFakeTelegram } from '../../../helpers/fake-telegram.js';

// Every branch of the Telegram sender against the fake Bot API (spec channels.md §1.6, TG5, TG7, TG8).

async function setup(t: { after(fn: () => unknown): void }, opts: Parameters<typeof startFakeTelegram>[0] = {}) {
  const tg = await startFakeTelegram(opts);
  t.after(() => tg.close());
  const sender = new TelegramSender({ api: createTelegramApi({ botToken: tg.token, apiRoot: tg.apiRoot }), token: tg.token });
  return { tg, sender };
}
const sends = (tg: FakeTelegram) => tg.callsOf('sendMessage').map((c) => c.body);

test('sendText: HTML with escaping, a reply in groups, the thread id except General', async (t) => {
  const { tg, sender } = await setup(t, { isForum: [-100] });
  assert.deepEqual(await sender.sendText({ chatId: '111', text: 'a < b & c' }), { kind: 'sent', remoteId: '1' });
  assert.deepEqual(sends(tg)[0], { chat_id: '111', text: 'a &lt; b &amp; c', parse_mode: 'HTML' });
  await sender.sendText({ chatId: '-100', threadId: '42', replyToMessageId: '7', text: 'x' });
  assert.equal(sends(tg)[1].message_thread_id, 42);
  assert.deepEqual(sends(tg)[1].reply_parameters, { message_id: 7, allow_sending_without_reply: true });
  await sender.sendText({ chatId: '-100', threadId: '1', text: 'general' });
  assert.equal('message_thread_id' in sends(tg)[2], false, 'sendMessage omits the General topic');
  const custom = new TelegramSender({ api: createTelegramApi({ botToken: tg.token, apiRoot: tg.apiRoot }), toHtml: (md) => md.replace(/\*\*(.+)\*\*/, '<b>$1</b>') });
  await custom.sendText({ chatId: '111', text: '**b**' });
  assert.equal(sends(tg)[3].text, '<b>b</b>');
});

test("sendText: `can't parse entities` → the same text once as plain text", async (t) => {
  const { tg, sender } = await setup(t);
  tg.failNext('sendMessage', { error_code: 400, description: "Bad Request: can't parse entities: Unsupported start tag" });
  assert.equal((await sender.sendText({ chatId: '111', text: 'a <b' })).kind, 'sent');
  assert.deepEqual(sends(tg).map((b) => [b.text, b.parse_mode]), [['a &lt;b', 'HTML'], ['a <b', undefined]]);
});

test('sendText: `message thread not found` → once without message_thread_id', async (t) => {
  const { tg, sender } = await setup(t);
  tg.failNext('sendMessage', { error_code: 400, description: 'Bad Request: message thread not found' });
  assert.equal((await sender.sendText({ chatId: '-100', threadId: '42', text: 'x' })).kind, 'sent');
  assert.deepEqual(sends(tg).map((b) => b.message_thread_id), [42, undefined]);
});

test('sendText: 429 → rateLimited with retry_after in ms; 5xx → notSent; other 4xx → rejected', async (t) => {
  const { tg, sender } = await setup(t);
  tg.rateLimitNext('sendMessage', 2);
  assert.deepEqual(await sender.sendText({ chatId: '111', text: 'x' }), { kind: 'rateLimited', retryAfterMs: 2000, error: '429: Too Many Requests: retry after 2' });
  tg.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
  assert.equal((await sender.sendText({ chatId: '111', text: 'x' })).kind, 'notSent');
  tg.failNext('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
  assert.deepEqual(await sender.sendText({ chatId: '111', text: 'x' }), { kind: 'rejected', error: '403: Forbidden: bot was blocked by the user' });
  assert.equal(sends(tg).length, 3, 'sends bypass auto-retry');
});

test('sendText: a refused port → notSent, and the error names no token', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  const token = '123456:AAEsecretsecretsecretsecretsecret123';
  const sender = new TelegramSender({ api: createTelegramApi({ botToken: token, apiRoot: `http://127.0.0.1:${port}` }), token });
  const out = await sender.sendText({ chatId: '111', text: 'x' });
  assert.equal(out.kind, 'notSent', JSON.stringify(out));
  assert.ok(!('error' in out) || !out.error.includes('secret'), JSON.stringify(out));
});

test('sendText: a connection reset after the request was written → ambiguous', async (t) => {
  const server = net.createServer((s) => s.once('data', () => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const sender = new TelegramSender({ api: new Api('1:x', { apiRoot: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` }) });
  assert.equal((await sender.sendText({ chatId: '111', text: 'x' })).kind, 'ambiguous');
});

test('edit: changed → sent with the edited id; not modified → sent; not found → a new sendMessage', async (t) => {
  const { tg, sender } = await setup(t);
  await sender.sendText({ chatId: '111', text: 'draft' });
  assert.deepEqual(await sender.sendText({ chatId: '111', text: 'final', editMessageId: '1' }), { kind: 'sent', remoteId: '1' });
  assert.equal(tg.messageText(111, 1), 'final');
  assert.deepEqual(await sender.sendText({ chatId: '111', text: 'final', editMessageId: '1' }), { kind: 'sent', remoteId: '1' });
  assert.deepEqual(await sender.sendText({ chatId: '111', text: 'again', editMessageId: '99' }), { kind: 'sent', remoteId: '2' });
  assert.equal(tg.callsOf('editMessageText').length, 3);
  assert.equal(sends(tg).length, 2);
});

test('typing keeps the General thread id; errors are swallowed; deleteMessage is best effort', async (t) => {
  const { tg, sender } = await setup(t, { isForum: [-100] });
  await sender.typing({ chatId: '-100', threadId: '1' }, true);
  assert.deepEqual(tg.callsOf('sendChatAction')[0].body, { chat_id: '-100', action: 'typing', message_thread_id: 1 });
  await sender.typing({ chatId: '111', threadId: '5' }, true); // 400 chat is not a forum: swallowed
  await sender.typing({ chatId: '111' }, false);
  assert.equal(tg.callsOf('sendChatAction').length, 2);
  await sender.deleteMessage({ chatId: '111' }, '42');
  assert.equal(tg.callsOf('deleteMessage').length, 1);
});
