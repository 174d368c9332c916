import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTelegramApi, RETRIED_METHODS, scrubSecrets } from '../../../../src/surfaces/channels/telegram/bot-api.js';
import { downloadMedia } from '../../../../src/surfaces/channels/telegram/media.js';
import { startFakeTelegram } from '../../../helpers/fake-telegram.js';

// Media download within and over media-max-mb (spec channels.md TG6), and the token scrubber (§7).

test('T13: within the limit → getFile plus one file GET, bytes attached', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const cfg = { botToken: tg.token, apiRoot: tg.apiRoot, mediaMaxMb: 1 };
  const bytes = new Uint8Array([0xff, 0xd8, 1, 2, 3]);
  const fileId = tg.addFile(bytes, { filePath: 'photos/p.jpg' });
  const out = await downloadMedia(createTelegramApi(cfg), cfg, { kind: 'image', fileId, size: bytes.byteLength });
  assert.deepEqual(out.data && [...out.data], [...bytes]);
  assert.equal(tg.callsOf('getFile').length, 1);
  assert.deepEqual(tg.callsOf('file').map((c) => c.body.path), ['photos/p.jpg']);
});

test('T13: a declared size over the limit → no getFile, the reference alone', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const cfg = { botToken: tg.token, apiRoot: tg.apiRoot, mediaMaxMb: 1 };
  const ref = { kind: 'document' as const, fileId: tg.addFile(new Uint8Array(8)), fileName: 'big.pdf', size: 2 * 1024 * 1024 };
  assert.deepEqual(await downloadMedia(createTelegramApi(cfg), cfg, ref), ref);
  assert.equal(tg.callsOf('getFile').length, 0);
});

test('a file larger than declared is cut off past the limit; a failed getFile is a placeholder', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const cfg = { botToken: tg.token, apiRoot: tg.apiRoot, mediaMaxMb: 1 };
  const api = createTelegramApi(cfg);
  const fileId = tg.addFile(new Uint8Array(1024 * 1024 + 1), { fileSize: 10 });
  const out = await downloadMedia(api, cfg, { kind: 'document', fileId });
  assert.equal(out.data, undefined);
  const missing = await downloadMedia(api, cfg, { kind: 'document', fileId: 'nope' });
  assert.deepEqual(missing, { kind: 'document', fileId: 'nope' });
});

test('scrubSecrets removes tokens from paths and bare text', () => {
  const token = '123456789:AAHsecret_secret-secretsecretsecret1';
  assert.equal(scrubSecrets(`request to http://h/bot${token}/getMe failed`), 'request to http://h/bot<redacted>/getMe failed');
  assert.equal(scrubSecrets(`GET /file/bot${token}/photos/a.jpg`), 'GET /file/bot<redacted>/photos/a.jpg');
  assert.equal(scrubSecrets(`token ${token} leaked`), 'token <redacted> leaked');
  assert.equal(scrubSecrets('short 123:abc token', '123:abc'), 'short <redacted> token');
  assert.equal(scrubSecrets('nothing here 12:30'), 'nothing here 12:30');
  assert.deepEqual([...RETRIED_METHODS].sort(), ['deleteWebhook', 'getFile', 'getMe', 'setMyCommands', 'setWebhook']);
});

test('TG4: getMe is retried after a 429, sendMessage is not', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const api = createTelegramApi({ botToken: tg.token, apiRoot: tg.apiRoot });
  tg.rateLimitNext('getMe', 0);
  assert.equal((await api.getMe()).id, 123);
  assert.equal(tg.callsOf('getMe').length, 2);
  tg.rateLimitNext('sendMessage', 0);
  await assert.rejects(api.sendMessage(1, 'x'));
  assert.equal(tg.callsOf('sendMessage').length, 1);
});
