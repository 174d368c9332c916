import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cutText, runParts, runText } from '../../../src/surfaces/channels/run-input.js';
import { groupMessage, message } from './pipeline-fixtures.js';

// §1.5 "Run input": a plain DM is exactly its text; groups, media and replies are spelled out.

const bytes = new Uint8Array([1, 2, 3]);

describe('runText (§1.5)', () => {
  test('a plain DM hello is exactly hello', () => {
    assert.equal(runText(message({ text: 'hello' })), 'hello');
  });

  test('groups prefix the sender label and id', () => {
    assert.equal(runText(groupMessage({ text: '@t_bot hello', senderLabel: 'Alice', senderId: '111' })), '[Alice id:111] @t_bot hello');
  });

  test('undownloaded media become placeholders after the text; downloaded ones do not', () => {
    const msg = message({
      text: 'look',
      media: [
        { kind: 'image' },
        { kind: 'document', fileName: 'report.pdf', size: 120 * 1024 },
        { kind: 'video', size: 300 },
        { kind: 'voice', size: 5 * 1024 * 1024 },
        { kind: 'image', data: bytes, mime: 'image/jpeg' },
      ],
    });
    assert.equal(runText(msg), 'look\n<media:image>\n<media:document> (report.pdf, 120 KB)\n<media:video> (300 B)\n<media:voice> (5.0 MB)');
    assert.equal(runText(message({ text: '', media: [{ kind: 'image', data: bytes }] })), '');
  });

  test('reply context: label, id, quoted text cut at 500, closing line', () => {
    const quoted = 'q'.repeat(600);
    const msg = message({ text: 'why?', replyTo: { messageId: '9', senderLabel: 'Bot', text: quoted, isToBot: true } });
    assert.equal(runText(msg), `why?\n[Replying to Bot id:9]\n${'q'.repeat(500)}\n[/Replying]`);
    const bare = message({ text: 'this', replyTo: { messageId: '9', isToBot: false } });
    assert.equal(runText(bare), 'this\n[Replying to unknown id:9]\n[/Replying]');
  });

  test('in a group the prefix comes first, then text, media and reply', () => {
    const msg = groupMessage({ text: 'see', media: [{ kind: 'sticker' }], replyTo: { messageId: '3', senderLabel: 'Bob', text: 'hi', isToBot: false } });
    assert.equal(runText(msg), '[Alice id:111] see\n<media:sticker>\n[Replying to Bob id:3]\nhi\n[/Replying]');
  });

  test('cutText never splits a surrogate pair', () => {
    assert.equal(cutText(`${'a'.repeat(499)}😀b`, 500), 'a'.repeat(499));
    assert.equal(cutText('short', 500), 'short');
  });
});

describe('runParts (§1.5)', () => {
  test('downloaded images, voice, audio and files become parts; the rest is text only', () => {
    const parts = runParts(message({
      media: [
        { kind: 'image', data: bytes, mime: 'image/png' },
        { kind: 'image', data: bytes },
        { kind: 'sticker', data: bytes },
        { kind: 'voice', data: bytes, mime: 'audio/ogg' },
        { kind: 'audio', data: bytes, mime: 'audio/mpeg', fileName: 'song.mp3' },
        { kind: 'document', data: bytes, mime: 'application/pdf', fileName: 'report.pdf' },
        { kind: 'video', data: bytes },
        { kind: 'document', fileName: 'big.zip', size: 1e9 },
      ],
    }));
    assert.deepEqual(parts, [
      { type: 'image', data: bytes, format: 'png', detail: 'auto' },
      { type: 'image', data: bytes, format: 'jpeg', detail: 'auto' },
      { type: 'image', data: bytes, format: 'webp', detail: 'auto' },
      { type: 'audio', data: bytes, format: 'ogg' },
      { type: 'audio', data: bytes, format: 'mp3' },
      { type: 'file', data: bytes, filename: 'report.pdf', mime: 'application/pdf' },
      { type: 'file', data: bytes, filename: 'video', mime: 'application/octet-stream' },
    ]);
  });

  test('a text message has no parts', () => {
    assert.deepEqual(runParts(message()), []);
  });
});
