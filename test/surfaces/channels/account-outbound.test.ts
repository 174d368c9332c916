import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { createLocalBus } from '../../../src/core/local-bus.js';
import type { RunOrigin } from '../../../src/core/run.js';
import { ChannelOutbox } from '../../../src/store/channel-outbox.js';
import { openDb } from '../../../src/store/db.js';
import { RunLedger } from '../../../src/store/run-ledger.js';
import { SqliteTranscriptStore } from '../../../src/store/transcripts-sqlite.js';
import { AccountOutbound } from '../../../src/surfaces/channels/account-outbound.js';
import { replyRowsWriter } from '../../../src/surfaces/channels/reply-rows.js';
import { advance, RecordingSender, settle } from '../../helpers/recording-sender.js';

// One Telegram account's sending side end to end: the ledger's completed step writes the rows, the bus drives
// typing and the preview, the worker edits the preview with chunk 0 and sends the rest; stop ends everything.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('AccountOutbound', () => {
  test('a streamed Telegram group run: preview, typing, final edit plus a second chunk, then nothing after stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawgate-outbound-'));
    dirs.push(dir);
    const db = openDb(dir);
    const clock = new SimulatedClock();
    const bus = createLocalBus();
    const outbox = new ChannelOutbox(db, { now: () => clock.now() });
    const ledger = new RunLedger(db, new SqliteTranscriptStore(db), { retentionMs: 60_000, now: () => clock.now() });
    const sender = new RecordingSender(clock);
    const sent: string[] = [];
    const outbound = new AccountOutbound({
      channel: 'telegram', accountId: 'default', bus, outbox, sender, clock, chunkLimit: 40, streaming: true, onSent: (r) => sent.push(r.id),
    });
    ledger.onFinish(replyRowsWriter({ outbox, chunkLimit: () => 40, now: () => clock.now(), onRows: () => outbound.kick() }));
    outbound.start();

    const origin: RunOrigin = { surface: 'channel', channel: 'telegram', accountId: 'default', chatId: '-100', chatType: 'group', replyTo: '77', senderId: '111' };
    const ref = { runId: 'tg:default:1:9', sessionKey: 'agent:main:telegram:group:-100' };
    ledger.accepted({ ...ref, surface: 'channel', origin, text: 'hi', at: 0 });
    bus.publish('run.queued', { ...ref, surface: 'channel', origin, at: 0, text: 'hi' });
    ledger.started(ref, 0, 'hi');
    bus.publish('run.started', { ...ref, at: 0 });
    bus.publish('run.delta', { ...ref, delta: 'Hello', text: 'Hello' });
    await settle();
    await advance(clock, 1500, 250);
    bus.publish('run.delta', { ...ref, delta: ' there', text: 'Hello there' });
    await advance(clock, 1000, 250);
    const reply = 'Hello there, this is the answer.\n\nAnd a second paragraph.';
    ledger.completed(ref, clock.now(), reply);
    bus.publish('run.completed', { ...ref, at: clock.now(), reply });
    await settle();
    await advance(clock, 5000, 250);
    await outbound.stop();
    await advance(clock, 10_000, 1000);

    const texts = sender.sends.map((s) => [s.text, s.editMessageId ?? null, s.replyToMessageId ?? null]);
    assert.deepEqual(texts, [
      ['Hello', null, null],
      ['Hello there', '1', null],
      ['Hello there, this is the answer.', '1', '77'],
      ['And a second paragraph.', null, null],
    ]);
    assert.deepEqual(sent, ['tg:default:1:9:0', 'tg:default:1:9:1']);
    const typingAt = sender.typings.map((t) => t.at);
    assert.deepEqual(typingAt, [0]);
    assert.ok(sender.calls.every((c) => c.at <= 5000 + 2500), 'nothing after stop');
  });
});
