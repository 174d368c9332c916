import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunOrigin } from '../../src/core/run.js';
import { ChannelOutbox } from '../../src/store/channel-outbox.js';
import { type Db, openDb } from '../../src/store/db.js';
import { type FinishRecord, RunLedger } from '../../src/store/run-ledger.js';
import { SqliteTranscriptStore } from '../../src/store/transcripts-sqlite.js';
import { WriteFaults } from '../../src/store/write-faults.js';

// Finish writers (RunLedger.onFinish): the channel outbox's reply rows commit in the transaction of the run's
// `completed` step — both or neither. A writer that throws leaves the journal and the transcript as they were.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const ORIGIN: RunOrigin = { surface: 'channel', channel: 'telegram', accountId: 'default', chatId: '111', chatType: 'direct', senderId: '111' };

function open(faults?: WriteFaults): { db: Db; ledger: RunLedger; outbox: ChannelOutbox; transcripts: SqliteTranscriptStore } {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-finish-'));
  dirs.push(dir);
  const db = openDb(dir, faults ? { faults } : {});
  const transcripts = new SqliteTranscriptStore(db);
  return { db, transcripts, ledger: new RunLedger(db, transcripts, { retentionMs: 60_000, now: () => 50 }), outbox: new ChannelOutbox(db, { now: () => 50 }) };
}

function start(ledger: RunLedger, runId: string, origin: RunOrigin = ORIGIN): { runId: string; sessionKey: string } {
  const ref = { runId, sessionKey: 'agent:main:telegram:direct:111' };
  ledger.accepted({ ...ref, surface: origin.surface, origin, text: 'hello', at: 10 });
  ledger.started(ref, 11, 'hello');
  return ref;
}

/** The writer the channel layer registers: one outbox row per reply of a channel run. */
function replyRows(outbox: ChannelOutbox) {
  return (r: FinishRecord) => {
    if (r.kind !== 'completed' || r.origin?.surface !== 'channel') return;
    outbox.enqueue([{
      id: `${r.ref.runId}:0`, runId: r.ref.runId, channel: 'telegram', accountId: r.origin.accountId, chatKey: r.origin.chatId,
      target: { chatId: r.origin.chatId }, payload: { kind: 'reply', text: r.reply },
    }]);
  };
}

test('a writer gets completed, failed and cancelled with the journaled origin; its rows commit with completion', () => {
  const { ledger, outbox } = open();
  const seen: FinishRecord[] = [];
  const stop = ledger.onFinish((r) => seen.push(r));
  ledger.onFinish(replyRows(outbox));
  const a = start(ledger, 'tg:default:1:1');
  ledger.completed(a, 20, 'the reply');
  assert.equal(ledger.get(a.runId)?.state, 'completed');
  assert.deepEqual(outbox.byRun(a.runId).map((r) => [r.id, r.payload.text, r.state]), [['tg:default:1:1:0', 'the reply', 'pending']]);
  const b = start(ledger, 'tg:default:1:2');
  ledger.failed(b, 21, { type: 'timeout', message: 'too slow' });
  const c = start(ledger, 'h1', { surface: 'http' });
  ledger.cancelled(c, 22);
  assert.deepEqual(seen, [
    { kind: 'completed', ref: a, at: 20, reply: 'the reply', origin: ORIGIN },
    { kind: 'failed', ref: b, at: 21, error: { type: 'timeout', message: 'too slow' }, origin: ORIGIN },
    { kind: 'cancelled', ref: c, at: 22, origin: { surface: 'http' } },
  ]);
  assert.deepEqual(outbox.byRun(b.runId), [], 'this writer adds rows for completions only');
  stop();
  const d = start(ledger, 'tg:default:1:3');
  ledger.completed(d, 23, 'again');
  assert.equal(seen.length, 3, 'an unsubscribed writer is not called');
});

test('a throwing writer aborts the step: the journal, the transcript and the rows written before the throw stay as they were', () => {
  const { ledger, outbox, transcripts } = open();
  ledger.onFinish(replyRows(outbox));
  ledger.onFinish(() => { throw new Error('writer broke'); });
  const a = start(ledger, 'tg:default:1:1');
  assert.throws(() => ledger.completed(a, 20, 'the reply'), /writer broke/);
  assert.equal(ledger.get(a.runId)?.state, 'running');
  assert.equal(ledger.get(a.runId)?.finishedAt, undefined);
  assert.deepEqual(outbox.byRun(a.runId), []);
  assert.deepEqual(transcripts.messages(a.sessionKey).messages.map((m) => m.role), ['user']);
  assert.equal(transcripts.session(a.sessionKey)?.status, 'running');
  assert.throws(() => ledger.failed(a, 21, { type: 'x', message: 'y' }), /writer broke/);
  assert.throws(() => ledger.cancelled(a, 22), /writer broke/);
  assert.equal(ledger.get(a.runId)?.state, 'running');
});

test("a disk failure in a writer's insert fails the whole completion", () => {
  const faults = new WriteFaults();
  const { ledger, outbox } = open(faults);
  ledger.onFinish(replyRows(outbox));
  const a = start(ledger, 'tg:default:1:1');
  faults.fail('SQLITE_FULL', { match: /INTO channel_outbox/ });
  assert.throws(() => ledger.completed(a, 20, 'the reply'), (e: unknown) => (e as { code?: string }).code === 'SQLITE_FULL');
  assert.equal(ledger.get(a.runId)?.state, 'running');
  faults.heal();
  ledger.completed(a, 21, 'the reply');
  assert.equal(ledger.get(a.runId)?.state, 'completed');
  assert.equal(outbox.byRun(a.runId).length, 1);
});
