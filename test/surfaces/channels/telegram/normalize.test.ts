import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Update } from 'grammy/types';
import { normalizeUpdate } from '../../../../src/surfaces/channels/telegram/normalize.js';

// Telegram updates → ChannelMessage (spec channels.md §1.4 step 1, T3 mentions, T4 topics, T13 media refs).

const ctx = { accountId: 'default', botId: '123', botUsername: 't_bot' };
const ann = { id: 111, is_bot: false, first_name: 'Ann', last_name: 'Lee' };
const group = { id: -100, type: 'supergroup', title: 'G' };
const upd = (message: Record<string, unknown>, update_id = 5) =>
  ({ update_id, message: { message_id: 9, date: 1_700_000_000, chat: { id: 111, type: 'private', first_name: 'Ann' }, from: ann, ...message } }) as unknown as Update;

test('a DM: ids, label, timestamp, no mention', () => {
  const m = normalizeUpdate(upd({ text: 'hello' }), ctx)!;
  assert.deepEqual(m, {
    channel: 'telegram', accountId: 'default', inboundId: 'tg:default:123:5', chatType: 'direct', chatId: '111', senderId: '111',
    senderLabel: 'Ann Lee', messageId: '9', text: 'hello', media: [], mentionsBot: false, isFromSelf: false, ts: 1_700_000_000_000,
  });
  assert.equal(normalizeUpdate(upd({ text: 'x', from: { id: 7, is_bot: false, first_name: '', username: 'bob' } }), ctx)!.senderLabel, '@bob');
});

test('T3: @mention of the bot (any case), text_mention, reply to the bot, self, commands for another bot', () => {
  const mention = normalizeUpdate(upd({ chat: group, text: '@T_Bot hello', entities: [{ type: 'mention', offset: 0, length: 6 }] }), ctx)!;
  assert.equal(mention.chatType, 'group');
  assert.equal(mention.mentionsBot, true);
  assert.equal(normalizeUpdate(upd({ chat: group, text: '@other hi', entities: [{ type: 'mention', offset: 0, length: 6 }] }), ctx)!.mentionsBot, false);
  assert.equal(normalizeUpdate(upd({ chat: group, text: 'hello', entities: [] }), ctx)!.mentionsBot, false);
  assert.equal(normalizeUpdate(upd({ chat: group, text: 'Bot hi', entities: [{ type: 'text_mention', offset: 0, length: 3, user: { id: 123, is_bot: true, first_name: 'Bot' } }] }), ctx)!.mentionsBot, true);
  const reply = normalizeUpdate(upd({ chat: group, text: 'yes', reply_to_message: { message_id: 3, date: 1, chat: group, from: { id: 123, is_bot: true, first_name: 'Bot' }, text: 'question?' } }), ctx)!;
  assert.deepEqual(reply.replyTo, { messageId: '3', senderLabel: 'Bot', text: 'question?', isToBot: true });
  assert.equal(normalizeUpdate(upd({ text: 'me', from: { id: 123, is_bot: true, first_name: 'Bot' } }), ctx)!.isFromSelf, true);
  assert.equal(normalizeUpdate(upd({ chat: group, text: '/status@other_bot' }), ctx)!.commandForOtherBot, true);
  assert.equal(normalizeUpdate(upd({ chat: group, text: '/status@T_BOT' }), ctx)!.commandForOtherBot, undefined);
  assert.equal(normalizeUpdate(upd({ chat: group, text: '/status' }), ctx)!.commandForOtherBot, undefined);
});

test('T4: forum topics; General is 1; reply threads outside forums are ignored; DM threads only with topics enabled', () => {
  const forum = { ...group, is_forum: true };
  assert.equal(normalizeUpdate(upd({ chat: forum, text: 'x', message_thread_id: 42 }), ctx)!.threadId, '42');
  assert.equal(normalizeUpdate(upd({ chat: forum, text: 'x' }), ctx)!.threadId, '1');
  assert.equal(normalizeUpdate(upd({ chat: group, text: 'x', message_thread_id: 42 }), ctx)!.threadId, undefined);
  assert.equal(normalizeUpdate(upd({ text: 'x', message_thread_id: 5 }), ctx)!.threadId, undefined);
  assert.equal(normalizeUpdate(upd({ text: 'x', message_thread_id: 5 }), { ...ctx, hasTopicsEnabled: true })!.threadId, '5');
});

test('dropped: edits, service messages, chat migrations, channel posts', () => {
  assert.equal(normalizeUpdate({ update_id: 1, edited_message: upd({ text: 'x' }).message } as unknown as Update, ctx), undefined);
  assert.equal(normalizeUpdate(upd({ new_chat_members: [ann] }), ctx), undefined);
  assert.equal(normalizeUpdate(upd({ chat: { id: -5, type: 'group', title: 'g' }, migrate_to_chat_id: -1005 }), ctx), undefined);
  assert.equal(normalizeUpdate(upd({ chat: { id: -7, type: 'channel', title: 'c' }, text: 'x' }), ctx), undefined);
});

test('T13: media refs — the largest photo within the limit, documents, voice, static and animated stickers; caption as text', () => {
  const photo = normalizeUpdate(upd({
    caption: 'look', photo: [
      { file_id: 's', file_unique_id: 's', width: 90, height: 90, file_size: 1000 },
      { file_id: 'm', file_unique_id: 'm', width: 800, height: 800, file_size: 900_000 },
      { file_id: 'l', file_unique_id: 'l', width: 2000, height: 2000, file_size: 3_000_000 },
    ],
  }), { ...ctx, mediaMaxMb: 1 })!;
  assert.equal(photo.text, 'look');
  assert.deepEqual(photo.media, [{ kind: 'image', fileId: 'm', mime: 'image/jpeg', size: 900_000 }]);
  const doc = normalizeUpdate(upd({ document: { file_id: 'd', file_unique_id: 'd', file_name: 'report.pdf', mime_type: 'application/pdf', file_size: 120_000 } }), ctx)!;
  assert.equal(doc.text, '');
  assert.deepEqual(doc.media, [{ kind: 'document', fileId: 'd', fileName: 'report.pdf', mime: 'application/pdf', size: 120_000 }]);
  assert.deepEqual(normalizeUpdate(upd({ voice: { file_id: 'v', file_unique_id: 'v', duration: 3, mime_type: 'audio/ogg' } }), ctx)!.media, [{ kind: 'voice', fileId: 'v', mime: 'audio/ogg' }]);
  const sticker = (extra: object) => normalizeUpdate(upd({ sticker: { file_id: 'st', file_unique_id: 'st', type: 'regular', width: 1, height: 1, is_animated: false, is_video: false, ...extra } }), ctx)!.media[0];
  assert.deepEqual(sticker({}), { kind: 'sticker', fileId: 'st', mime: 'image/webp' });
  assert.equal(sticker({ is_animated: true }).fileId, undefined, 'TGS stickers are placeholders');
  assert.equal(sticker({ is_video: true }).fileId, undefined, 'WEBM stickers are placeholders');
});
