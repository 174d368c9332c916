import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, inTransaction, openDb } from '../../src/store/db.js';
import { ChannelOutbox, type NewOutboxRow } from '../../src/store/channel-outbox.js';

// The channel outbox on a real SQLite file (channels.md §1.6): per-chat FIFO by insertion order, a terminal
// head (failed/unknown) does not block the next row, busy chats are skipped, a 429 is not an attempt, rows
// left `sending` are recovered at start, and X3: a pending row 25 h old expires and is never sent.

const H = 60 * 60 * 1000;
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function open(): { db: Db; outbox: ChannelOutbox; clock: { t: number } } {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-outbox-'));
  dirs.push(dir);
  const db = openDb(dir);
  const clock = { t: 1_000_000 };
  return { db, outbox: new ChannelOutbox(db, { now: () => clock.t }), clock };
}

function row(id: string, chatKey: string, extra: Partial<NewOutboxRow> = {}): NewOutboxRow {
  return {
    id, runId: id.split(':')[0] ?? id, channel: 'telegram', accountId: 'default', chatKey,
    target: { chatId: chatKey }, payload: { kind: 'reply', text: `text of ${id}` }, ...extra,
  };
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
const NONE = new Set<string>();

test('enqueue: INSERT OR IGNORE, the count of new rows; the row reads back as written', () => {
  const { outbox, clock } = open();
  assert.equal(outbox.enqueue([row('r1:0', 'A'), row('r1:1', 'A')]), 2);
  assert.equal(outbox.enqueue([row('r1:1', 'A', { payload: { kind: 'reply', text: 'second writer' } }), row('r1:2', 'A')]), 1);
  const r = outbox.get('r1:1');
  assert.ok(r);
  assert.equal(r.payload.text, 'text of r1:1', 'the first writer wins');
  assert.deepEqual(
    { state: r.state, attempts: r.attempts, nextAttemptAt: r.nextAttemptAt, createdAt: r.createdAt, target: r.target, runId: r.runId },
    { state: 'pending', attempts: 0, nextAttemptAt: clock.t, createdAt: clock.t, target: { chatId: 'A' }, runId: 'r1' },
  );
  assert.deepEqual(ids(outbox.byRun('r1')), ['r1:0', 'r1:1', 'r1:2']);
  assert.equal(outbox.get('nope'), undefined);
});

test('enqueue inside an outer transaction rolls back with it', () => {
  const { db, outbox } = open();
  assert.throws(() => inTransaction(db, () => {
    outbox.enqueue([row('r1:0', 'A')]);
    throw new Error('the step failed');
  }), /the step failed/);
  assert.equal(outbox.get('r1:0'), undefined);
  inTransaction(db, () => outbox.enqueue([row('r1:0', 'A')]));
  assert.equal(outbox.get('r1:0')?.state, 'pending');
});

test('per-chat FIFO by seq (not by id); one row of a chat at a time; failed and unknown heads do not block', () => {
  const { outbox } = open();
  // ids whose string order is the reverse of insertion order
  outbox.enqueue([row('z:0', 'A'), row('b:0', 'B'), row('y:0', 'A'), row('x:0', 'A')]);
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, NONE)), ['z:0', 'b:0']);
  assert.equal(outbox.markSending('z:0'), true);
  assert.equal(outbox.markSending('z:0'), false, 'only a pending row goes sending');
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, NONE)), ['b:0'], 'a sending head holds its chat');
  outbox.markFailed('z:0', 'Bad Request: chat not found');
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, NONE)), ['b:0', 'y:0'], 'a failed head does not block');
  outbox.markSending('y:0');
  outbox.markUnknown('y:0', 'socket hang up');
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, NONE)), ['b:0', 'x:0'], 'an unknown head does not block');
  assert.deepEqual(ids(outbox.due('telegram', 'default', 1, NONE)), ['b:0'], 'limit');
  outbox.markSending('x:0');
  outbox.markSent('x:0', '555');
  const x = outbox.get('x:0');
  assert.equal(x?.state, 'sent');
  assert.equal(x?.remoteId, '555');
  assert.equal(outbox.get('z:0')?.lastError, 'Bad Request: chat not found', 'errors stored as given');
  assert.deepEqual(outbox.counts('telegram', 'default'), { pending: 1, sending: 0, unknown: 1, failed: 1, expired: 0 });
});

test('busy chats are skipped; other accounts and channels are not due', () => {
  const { outbox } = open();
  outbox.enqueue([row('a:0', 'A'), row('b:0', 'B'), row('c:0', 'C', { accountId: 'other' }), row('d:0', 'D', { channel: 'signal' })]);
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, new Set(['A']))), ['b:0']);
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, new Set(['A', 'B']))), []);
  assert.deepEqual(ids(outbox.due('telegram', 'other', 10, NONE)), ['c:0']);
  assert.deepEqual(ids(outbox.due('signal', 'default', 10, NONE)), ['d:0']);
});

test('a 429 is not an attempt; a not-sent error is; the chat waits until nextAttemptAt', () => {
  const { outbox, clock } = open();
  const t0 = clock.t;
  outbox.enqueue([row('a:0', 'A'), row('a:1', 'A')]);
  outbox.markSending('a:0');
  outbox.retryLater('a:0', clock.t + 3000, 'Too Many Requests: retry after 3', false);
  let r = outbox.get('a:0');
  assert.deepEqual([r?.state, r?.attempts, r?.nextAttemptAt, r?.lastError], ['pending', 0, clock.t + 3000, 'Too Many Requests: retry after 3']);
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, NONE)), [], 'the paused head holds its chat (a:1 waits too)');
  assert.equal(outbox.nextDueAt('telegram', 'default'), clock.t + 3000);
  clock.t += 3000;
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, NONE)), ['a:0']);
  outbox.markSending('a:0');
  outbox.retryLater('a:0', clock.t + 1000, 'connect ECONNREFUSED', true);
  r = outbox.get('a:0');
  assert.deepEqual([r?.state, r?.attempts], ['pending', 1]);
  outbox.markSending('a:0');
  assert.equal(outbox.get('a:0')?.attempts, 2);
  assert.equal(outbox.nextDueAt('telegram', 'default'), undefined, 'a sending head is not pending');
  outbox.markSent('a:0', '1');
  assert.equal(outbox.nextDueAt('telegram', 'default'), t0, 'the next row of the chat, due since it was written');
});

test('recoverAtStart: rows left sending become unknown (or pending), with a reason', () => {
  const { outbox } = open();
  outbox.enqueue([row('a:0', 'A'), row('b:0', 'B'), row('c:0', 'C', { accountId: 'wa' })]);
  outbox.markSending('a:0');
  outbox.markSending('c:0');
  assert.equal(outbox.recoverAtStart('telegram', 'default', 'unknown'), 1);
  assert.equal(outbox.get('a:0')?.state, 'unknown');
  assert.match(outbox.get('a:0')?.lastError ?? '', /interrupted/);
  assert.equal(outbox.get('b:0')?.state, 'pending', 'pending rows stay pending');
  assert.equal(outbox.get('c:0')?.state, 'sending', 'another account is left alone');
  assert.equal(outbox.recoverAtStart('telegram', 'wa', 'pending'), 1);
  assert.deepEqual([outbox.get('c:0')?.state, outbox.get('c:0')?.attempts], ['pending', 1]);
});

test('X3: a pending row 25 h old becomes expired at start-up and is never due', () => {
  const { outbox, clock } = open();
  outbox.enqueue([row('old:0', 'A'), row('old:1', 'B')]);
  clock.t += 23 * H;
  outbox.enqueue([row('new:0', 'A')]);
  clock.t += 2 * H;
  assert.equal(outbox.expireStale(), 2);
  assert.deepEqual([outbox.get('old:0')?.state, outbox.get('old:1')?.state, outbox.get('new:0')?.state], ['expired', 'expired', 'pending']);
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, NONE)), ['new:0']);
  assert.deepEqual(outbox.counts('telegram', 'default'), { pending: 1, sending: 0, unknown: 0, failed: 0, expired: 2 });
});

test('X3 before an attempt: due() expires a stale row instead of returning it', () => {
  const { outbox, clock } = open();
  outbox.enqueue([row('old:0', 'A'), row('old:1', 'A')]);
  clock.t += 25 * H;
  assert.deepEqual(ids(outbox.due('telegram', 'default', 10, NONE)), []);
  assert.equal(outbox.get('old:0')?.state, 'expired');
  assert.equal(outbox.get('old:1')?.state, 'expired');
});

test('prune deletes terminal rows after 7 days, never pending ones', () => {
  const { outbox, clock } = open();
  outbox.enqueue([row('a:0', 'A'), row('b:0', 'B', { state: 'sent', remoteId: '9' })]);
  clock.t += 7 * 24 * H - 1;
  assert.equal(outbox.prune(), 0);
  clock.t += 2;
  assert.equal(outbox.prune(), 1);
  assert.equal(outbox.get('b:0'), undefined);
  assert.equal(outbox.get('a:0')?.state, 'pending');
});
