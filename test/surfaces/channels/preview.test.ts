import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import type { RunOrigin } from '../../../src/core/run.js';
import { openDb } from '../../../src/store/db.js';
import { ChannelOutbox } from '../../../src/store/channel-outbox.js';
import { OutboxWorker } from '../../../src/surfaces/channels/outbox-worker.js';
import { PreviewStream } from '../../../src/surfaces/channels/preview.js';
import { CHANNEL_RATE_LIMITS, SendRateLimiter } from '../../../src/surfaces/channels/rate-limit.js';
import { replyRowsWriter } from '../../../src/surfaces/channels/reply-rows.js';
import { advance, RecordingSender, settle } from '../../helpers/recording-sender.js';

// TG8 with the preview stream, the reply rows and the outbox worker together, on a simulated clock.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const origin: RunOrigin = { surface: 'channel', channel: 'telegram', accountId: 'default', chatId: '111', chatType: 'direct', senderId: '111' };
const target = { chatId: '111', chatType: 'direct' as const };

function setup(limit = 4000) {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-preview-'));
  dirs.push(dir);
  const clock = new SimulatedClock();
  const outbox = new ChannelOutbox(openDb(dir), { now: () => clock.now() });
  const sender = new RecordingSender(clock);
  const bucket = new SendRateLimiter({ clock, limits: CHANNEL_RATE_LIMITS.telegram });
  const preview = new PreviewStream({ sender, outbox, clock, limit, bucket, accountId: 'default' });
  const worker = new OutboxWorker({ outbox, sender, clock, channel: 'telegram', accountId: 'default', limits: bucket });
  const write = replyRowsWriter({ outbox, chunkLimit: () => limit, now: () => clock.now(), onRows: () => worker.kick() });
  return { clock, outbox, sender, preview, worker, write };
}

/** What each message shows after every send and edit. */
function shownTexts(sender: RecordingSender): Map<string, string> {
  const shown = new Map<string, string>();
  let next = 1;
  for (const s of sender.sends) {
    if (s.editMessageId) shown.set(s.editMessageId, s.text);
    else shown.set(String(next++), s.text);
  }
  return shown;
}

describe('PreviewStream', () => {
  test('T11: 20 deltas over 3 s → 1 send and at most 3 edits; the final text is the reply; not-modified fails nothing', async () => {
    const { clock, outbox, sender, preview, worker, write } = setup();
    worker.start();
    // The first edit answers "message is not modified": best effort, ignored.
    sender.script.push(undefined, { kind: 'rejected', error: "400: Bad Request: message is not modified" });
    const words = Array.from({ length: 20 }, (_, i) => `word${i}`);
    for (let i = 0; i < 20; i++) {
      preview.onDelta('r1', target, words.slice(0, i + 1).join(' '));
      await settle();
      if (i < 19) await advance(clock, 150, 50);
    }
    const reply = words.join(' ');
    write({ kind: 'completed', ref: { runId: 'r1', sessionKey: 'k' }, at: clock.now(), reply, origin });
    preview.final('r1');
    await settle();
    await advance(clock, 5000, 250);
    await worker.stop();
    const newMessages = sender.sends.filter((s) => !s.editMessageId);
    const edits = sender.sends.filter((s) => s.editMessageId);
    assert.equal(newMessages.length, 1);
    assert.ok(edits.length >= 1 && edits.length <= 3, `${edits.length} edits`);
    assert.deepEqual([...shownTexts(sender).values()], [reply]);
    assert.equal(outbox.get('r1:preview')?.state, 'sent');
    assert.equal(outbox.get('r1:0')?.state, 'sent');
    assert.equal(outbox.get('r1:0')?.payload.editMessageId, '1');
    const at = sender.sends.map((s) => s.at);
    assert.ok(at.every((t, i) => i === 0 || t - (at[i - 1] as number) >= 1000), `spacing ${at}`);
    assert.equal(preview.active, 0);
  });

  test('a first text over the limit gets no preview; past the limit the preview stops changing', async () => {
    const { clock, sender, preview } = setup(10);
    preview.onDelta('big', target, 'x'.repeat(11));
    preview.onDelta('r1', target, 'short');
    await settle();
    await advance(clock, 1500, 250);
    preview.onDelta('r1', target, 'short but now too long');
    await advance(clock, 3000, 250);
    assert.deepEqual(sender.sends.map((s) => s.text), ['short']);
    preview.final('big');
    preview.final('r1');
    assert.equal(preview.active, 0);
  });

  test('cancel deletes the preview; a 429 on an edit drops it and pauses the chat', async () => {
    const { clock, sender, preview } = setup();
    sender.script.push(undefined, { kind: 'rateLimited', retryAfterMs: 5000, error: '429' });
    preview.onDelta('r1', target, 'one');
    await settle();
    await advance(clock, 1000, 250);
    preview.onDelta('r1', target, 'one two');
    await advance(clock, 1000, 250);
    preview.onDelta('r1', target, 'one two three');
    await advance(clock, 3000, 250);
    assert.equal(sender.sends.length, 2, 'no edit while the chat is paused');
    await advance(clock, 2000, 250);
    assert.equal(sender.sends.length, 3);
    assert.equal(sender.sends[2]?.text, 'one two three');
    preview.cancel('r1');
    await settle();
    assert.deepEqual(sender.calls.filter((c) => c.op === 'delete').map((c) => c.op === 'delete' && c.messageId), ['1']);
    assert.equal(preview.active, 0);
  });
});
