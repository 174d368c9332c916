import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunOrigin } from '../../../src/core/run.js';
import { openDb } from '../../../src/store/db.js';
import { ChannelOutbox } from '../../../src/store/channel-outbox.js';
import { type FinishRecord, RunLedger } from '../../../src/store/run-ledger.js';
import { SqliteTranscriptStore } from '../../../src/store/transcripts-sqlite.js';
import { replyRowsWriter } from '../../../src/surfaces/channels/reply-rows.js';
import { EMPTY_REPLY_TEXT } from '../../../src/surfaces/channels/replies.js';

// The rows of a finished channel run (§1.6, C7), on a real outbox.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function setup(limit = 4000) {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-reply-rows-'));
  dirs.push(dir);
  const clock = { t: 0 };
  const outbox = new ChannelOutbox(openDb(dir), { now: () => clock.t });
  const kicked: string[] = [];
  const write = replyRowsWriter({ outbox, chunkLimit: () => limit, now: () => clock.t, onRows: (c, a) => kicked.push(`${c}:${a}`) });
  return { clock, outbox, write, kicked };
}

const dm: RunOrigin = { surface: 'channel', channel: 'telegram', accountId: 'default', chatId: '111', chatType: 'direct', replyTo: '7', senderId: '111' };
const group: RunOrigin = { surface: 'channel', channel: 'telegram', accountId: 'default', chatId: '-100', threadId: '42', chatType: 'group', replyTo: '9', senderId: '111' };
const ref = (runId: string) => ({ runId, sessionKey: 'agent:main:telegram:direct:111' });
const completed = (runId: string, reply: string, origin: RunOrigin | undefined = dm): FinishRecord => ({ kind: 'completed', ref: ref(runId), at: 0, reply, origin });

describe('replyRowsWriter', () => {
  test('completed: one row per chunk, in order, for the origin chat; the writer kicks after the transaction', async () => {
    const { outbox, write, kicked } = setup(20);
    write(completed('r1', 'first paragraph\n\nsecond paragraph'));
    const rows = outbox.byRun('r1');
    assert.deepEqual(rows.map((r) => [r.id, r.chatKey, r.payload.text, r.target.replyToMessageId]),
      [['r1:0', '111', 'first paragraph', undefined], ['r1:1', '111', 'second paragraph', undefined]]);
    assert.deepEqual(kicked, [], 'not inside the transaction');
    await Promise.resolve();
    assert.deepEqual(kicked, ['telegram:default']);
  });

  test('a Telegram group: the first chunk quotes the trigger, the chat key carries the topic', () => {
    const { outbox, write } = setup(20);
    write(completed('r1', 'first paragraph\n\nsecond paragraph', group));
    const rows = outbox.byRun('r1');
    assert.deepEqual(rows.map((r) => [r.chatKey, r.target.threadId, r.target.replyToMessageId]), [['-100:42', '42', '9'], ['-100:42', '42', undefined]]);
  });

  test('an empty reply sends the empty-reply notice', () => {
    const { outbox, write } = setup();
    write(completed('r1', '  \n'));
    assert.deepEqual(outbox.byRun('r1').map((r) => r.payload.text), [EMPTY_REPLY_TEXT]);
  });

  test('a sent preview: chunk 0 edits it', () => {
    const { outbox, write } = setup();
    outbox.enqueue([{ id: 'r1:preview', runId: 'r1', channel: 'telegram', accountId: 'default', chatKey: '111', target: { chatId: '111' }, payload: { kind: 'preview', text: 'par' }, state: 'sent', remoteId: '555' }]);
    write(completed('r1', 'partial and more'));
    assert.equal(outbox.get('r1:0')?.payload.editMessageId, '555');
  });

  test('failed: one notice with the error type only, at most once per chat per 60 s; cancelled: nothing', () => {
    const { clock, outbox, write } = setup();
    const failed = (runId: string): FinishRecord => ({ kind: 'failed', ref: ref(runId), at: 0, error: { type: 'timeout', message: 'secret detail' }, origin: dm });
    write(failed('r1'));
    clock.t = 30_000;
    write(failed('r2'));
    clock.t = 61_000;
    write(failed('r3'));
    write({ kind: 'cancelled', ref: ref('r4'), at: 0, origin: dm });
    assert.deepEqual(outbox.byRun('r1').map((r) => [r.id, r.payload.kind, r.payload.text]), [['r1:notice', 'notice', 'Sorry, something went wrong (timeout). Please try again.']]);
    assert.equal(outbox.byRun('r2').length, 0);
    assert.equal(outbox.byRun('r3').length, 1);
    assert.equal(outbox.byRun('r4').length, 0);
  });

  test('other origins and a second write add nothing', () => {
    const { outbox, write } = setup();
    write(completed('h1', 'hi', { surface: 'http' }));
    write(completed('w1', 'hi', { surface: 'ws', connId: 'c' }));
    write(completed('r1', 'hi'));
    write(completed('r1', 'hi'));
    assert.equal(outbox.byRun('h1').length + outbox.byRun('w1').length, 0);
    assert.equal(outbox.byRun('r1').length, 1);
  });

  test('a merged turn is delivered once per chat, by the first run of that chat', () => {
    const { outbox, write } = setup();
    const turn = { leadRunId: 'a', runIds: ['a', 'b', 'c'] };
    const other: RunOrigin = { ...dm, chatId: '222' } as RunOrigin;
    for (const [runId, origin] of [['a', dm], ['b', dm], ['c', other]] as const) {
      write({ kind: 'completed', ref: { ...ref(runId), turn }, at: 0, reply: 'merged reply', origin });
    }
    assert.deepEqual(outbox.byRun('a').map((r) => r.chatKey), ['111']);
    assert.equal(outbox.byRun('b').length, 0);
    assert.deepEqual(outbox.byRun('c').map((r) => r.chatKey), ['222']);
  });

  test('registered on the real run ledger: the rows commit with the completed step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawgate-reply-rows-ledger-'));
    dirs.push(dir);
    const db = openDb(dir);
    const ledger = new RunLedger(db, new SqliteTranscriptStore(db), { retentionMs: 60_000, now: () => 50 });
    const outbox = new ChannelOutbox(db, { now: () => 50 });
    ledger.onFinish(replyRowsWriter({ outbox, chunkLimit: () => 10, now: () => 50 }));
    const runRef = { runId: 'tg:default:1:5', sessionKey: 'agent:main:telegram:group:-100:topic:42' };
    ledger.accepted({ ...runRef, surface: 'channel', origin: group, text: 'hi', at: 10 });
    ledger.started(runRef, 11, 'hi');
    ledger.completed(runRef, 20, 'Echo: hi there');
    assert.deepEqual(outbox.byRun(runRef.runId).map((r) => [r.id, r.payload.text, r.target.replyToMessageId, r.state]),
      [['tg:default:1:5:0', 'Echo: hi', '9', 'pending'], ['tg:default:1:5:1', 'there', undefined, 'pending']]);
  });
});
