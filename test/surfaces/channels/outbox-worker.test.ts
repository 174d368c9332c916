import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import type { ChannelName } from '../../../src/core/channel.js';
import { openDb } from '../../../src/store/db.js';
import { ChannelOutbox, type NewOutboxRow } from '../../../src/store/channel-outbox.js';
import { OutboxWorker } from '../../../src/surfaces/channels/outbox-worker.js';
import { CHANNEL_RATE_LIMITS, SendRateLimiter } from '../../../src/surfaces/channels/rate-limit.js';
import { advance, RecordingSender, settle } from '../../helpers/recording-sender.js';

// The outbox worker on a real SQLite outbox, a recording sender and a simulated clock (spec channels.md §1.6).

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function setup(channel: ChannelName = 'telegram') {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-outbox-worker-'));
  dirs.push(dir);
  const db = openDb(dir);
  const clock = new SimulatedClock();
  const outbox = new ChannelOutbox(db, { now: () => clock.now() });
  const sender = new RecordingSender(clock);
  const limits = new SendRateLimiter({ clock, limits: CHANNEL_RATE_LIMITS[channel] });
  const sent: string[] = [];
  const failed: string[] = [];
  const worker = new OutboxWorker({
    outbox, sender, clock, channel, accountId: 'default', limits,
    onSent: (r) => sent.push(r.id), onFailed: (r) => failed.push(r.id),
  });
  const row = (id: string, chatId: string, text = `text ${id}`): NewOutboxRow => ({
    id, runId: id.split(':')[0] as string, channel, accountId: 'default', chatKey: chatId, target: { chatId }, payload: { kind: 'reply', text },
  });
  return { db, clock, outbox, sender, limits, worker, row, sent, failed };
}

describe('OutboxWorker', () => {
  test('T6: a 429 with retry_after 2 → exactly 2 sends, the second ≥ 2 s later; the row ends sent', async () => {
    const { clock, outbox, sender, worker, row, sent } = setup();
    sender.script.push({ kind: 'rateLimited', retryAfterMs: 2000, error: '429: retry after 2' });
    outbox.enqueue([row('r1:0', '111')]);
    worker.start();
    await settle();
    await advance(clock, 10_000);
    await worker.stop();
    assert.equal(sender.sends.length, 2);
    const [first, second] = sender.sends;
    assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 2000, `second send at ${second?.at}`);
    const stored = outbox.get('r1:0');
    assert.equal(stored?.state, 'sent');
    assert.equal(stored?.attempts, 1, 'a rate-limited call is not an attempt');
    assert.deepEqual(sent, ['r1:0']);
  });

  test('notSent: backoff 1 s × 2^(n−1), and after 7 attempts the row fails', async () => {
    const { clock, outbox, sender, worker, row, failed } = setup();
    for (let i = 0; i < 10; i++) sender.script.push({ kind: 'notSent', error: 'ECONNREFUSED' });
    outbox.enqueue([row('r1:0', '111')]);
    worker.start();
    await settle();
    await advance(clock, 200_000, 500);
    await worker.stop();
    const at = sender.sends.map((s) => s.at);
    assert.equal(at.length, 7);
    assert.deepEqual(at.slice(1).map((t, i) => t - (at[i] as number)), [1000, 2000, 4000, 8000, 16_000, 32_000]);
    const stored = outbox.get('r1:0');
    assert.equal(stored?.state, 'failed');
    assert.equal(stored?.attempts, 7);
    assert.match(stored?.lastError ?? '', /ECONNREFUSED/);
    assert.deepEqual(failed, ['r1:0']);
  });

  test('ambiguous → unknown, never resent; the next row of the chat still goes', async () => {
    const { clock, outbox, sender, worker, row } = setup();
    sender.script.push({ kind: 'ambiguous', error: 'socket reset after the request was written' });
    outbox.enqueue([row('r1:0', '111'), row('r1:1', '111')]);
    worker.start();
    await settle();
    await advance(clock, 60_000, 1000);
    worker.start();
    await advance(clock, 10_000, 1000);
    await worker.stop();
    assert.deepEqual(sender.sends.map((s) => s.text), ['text r1:0', 'text r1:1']);
    assert.equal(outbox.get('r1:0')?.state, 'unknown');
    assert.equal(outbox.get('r1:1')?.state, 'sent');
  });

  test('rejected → failed at once', async () => {
    const { outbox, sender, worker, row } = setup();
    sender.script.push({ kind: 'rejected', error: '400: chat not found' });
    outbox.enqueue([row('r1:0', '111')]);
    worker.start();
    await settle();
    await worker.stop();
    assert.equal(sender.sends.length, 1);
    assert.equal(outbox.get('r1:0')?.state, 'failed');
  });

  test('per-chat FIFO, one call per chat at a time, two chats in parallel', async () => {
    const { clock, outbox, sender, worker, row } = setup();
    sender.hold = true;
    outbox.enqueue([row('a:0', 'A'), row('a:1', 'A'), row('b:0', 'B'), row('a:2', 'A'), row('b:1', 'B')]);
    worker.start();
    await settle();
    assert.deepEqual(sender.sends.map((s) => s.text), ['text a:0', 'text b:0'], 'both chats start, one call each');
    for (let i = 0; i < 10 && sender.sends.length < 5; i++) {
      sender.release();
      await settle();
      await advance(clock, 1000, 250);
    }
    sender.release();
    await settle();
    await worker.stop();
    const texts = (chat: string) => sender.sends.filter((s) => s.chatId === chat).map((s) => s.text);
    assert.deepEqual(texts('A'), ['text a:0', 'text a:1', 'text a:2']);
    assert.deepEqual(texts('B'), ['text b:0', 'text b:1']);
    assert.equal(sender.maxInFlight, 2);
    const aTimes = sender.sends.filter((s) => s.chatId === 'A').map((s) => s.at);
    assert.ok(aTimes.every((t, i) => i === 0 || t - (aTimes[i - 1] as number) >= 1000), 'one message per second per chat');
    for (const id of ['a:0', 'a:1', 'a:2', 'b:0', 'b:1']) assert.equal(outbox.get(id)?.state, 'sent', id);
  });

  test('at most 8 calls in flight per account', async () => {
    const { outbox, sender, worker, row } = setup();
    sender.hold = true;
    outbox.enqueue(Array.from({ length: 12 }, (_, i) => row(`r${i}:0`, `chat${i}`)));
    worker.start();
    await settle();
    assert.equal(sender.heldCount, 8);
    assert.equal(worker.inFlight, 8);
    sender.hold = false;
    sender.release();
    await settle(10);
    await worker.stop();
    assert.equal(sender.sends.length, 12);
    assert.equal(sender.maxInFlight, 8);
  });

  test('stop() waits for calls in flight, and takes no new row', async () => {
    const { clock, outbox, sender, worker, row } = setup();
    sender.hold = true;
    outbox.enqueue([row('r1:0', '111'), row('r1:1', '111')]);
    worker.start();
    await settle();
    let stopped = false;
    const stopping = worker.stop().then(() => { stopped = true; });
    await settle();
    assert.equal(stopped, false, 'still waiting for the call in flight');
    sender.release();
    await stopping;
    assert.equal(outbox.get('r1:0')?.state, 'sent');
    await advance(clock, 5000, 1000);
    assert.equal(sender.sends.length, 1, 'no row after stop');
    assert.equal(outbox.get('r1:1')?.state, 'pending');
  });

  test('stop() gives up on a call that hangs after 5 s (by the clock); the row stays sending for recovery', async () => {
    const { clock, outbox, sender, worker, row } = setup();
    sender.hold = true;
    outbox.enqueue([row('r1:0', '111')]);
    worker.start();
    await settle();
    let stopped = false;
    const stopping = worker.stop().then(() => { stopped = true; });
    await advance(clock, 4900);
    assert.equal(stopped, false);
    await advance(clock, 100);
    await stopping;
    assert.equal(outbox.get('r1:0')?.state, 'sending');
    sender.release();
    await settle();
  });

  test('a row left sending by a crash: Telegram → unknown (never resent), WhatsApp → pending (resent)', async () => {
    for (const [channel, state, sends] of [['telegram', 'unknown', 0], ['whatsapp', 'sent', 1]] as const) {
      const { outbox, sender, worker, row } = setup(channel);
      outbox.enqueue([row('r1:0', '111')]);
      assert.equal(outbox.markSending('r1:0'), true);
      worker.start();
      await settle();
      await worker.stop();
      assert.equal(outbox.get('r1:0')?.state, state, channel);
      assert.equal(sender.sends.length, sends, channel);
    }
  });

  test('X3: a pending row 25 h old at start-up expires and is never sent', async () => {
    const { clock, outbox, sender, worker, row } = setup();
    outbox.enqueue([row('old:0', '111')]);
    clock.set(25 * 60 * 60 * 1000);
    outbox.enqueue([row('new:0', '222')]);
    worker.start();
    await settle();
    await worker.stop();
    assert.equal(outbox.get('old:0')?.state, 'expired');
    assert.deepEqual(sender.sends.map((s) => s.text), ['text new:0']);
  });

  test('a timer wakes the worker for a row that becomes due later; kick sends new rows', async () => {
    const { clock, outbox, sender, worker, row } = setup();
    worker.start();
    outbox.enqueue([row('r1:0', '111')]);
    await settle();
    assert.equal(sender.sends.length, 0, 'not kicked yet');
    worker.kick();
    await settle();
    assert.equal(sender.sends.length, 1);
    // A second row of the same chat right away waits for the per-chat window, then a timer sends it.
    outbox.enqueue([row('r2:0', '111')]);
    worker.kick();
    await settle();
    assert.equal(sender.sends.length, 1);
    await advance(clock, 1000, 250);
    assert.equal(sender.sends.length, 2);
    assert.equal(sender.sends[1]?.at, 1000);
    await worker.stop();
  });
});
