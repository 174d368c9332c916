import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openDb, type Db } from '../../src/store/db.js';
import { SqliteTranscriptStore } from '../../src/store/transcripts-sqlite.js';
import { RunLedger } from '../../src/store/run-ledger.js';
import { RunLifecycle } from '../../src/actors/run-lifecycle.js';
import { WriteFaults } from '../../src/store/write-faults.js';
import { historyFor } from '../../src/agent/with-history.js';

import { createLocalBus as createBus } from '../../src/core/local-bus.js';

// The SQLite transcript store, the run ledger and the history window, each against a real database
// file; "restart" = close the database and open the same state dir again.

const dirs: string[] = [];
const dbs: Db[] = [];
after(() => {
  for (const db of dbs) if (db.open) db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'clawgate-store-'));
  dirs.push(d);
  return d;
}

function open(dir: string): Db {
  const db = openDb(dir);
  dbs.push(db);
  return db;
}

const msg = (runId: string, role: 'user' | 'assistant', text: string, timestamp = 1) =>
  ({ role, text, timestamp, runId, idempotencyKey: role === 'user' ? `${runId}:user` : runId });

describe('SqliteTranscriptStore', () => {
  it('keeps messages in append order with increasing seq, and counts them in the index', () => {
    const store = new SqliteTranscriptStore(open(stateDir()));
    for (let i = 1; i <= 5; i++) {
      store.append('s1', msg(`r${i}`, 'user', `q${i}`));
      store.append('s1', msg(`r${i}`, 'assistant', `a${i}`));
    }
    const { messages, total } = store.messages('s1');
    assert.equal(total, 10);
    assert.deepEqual(messages.map((m) => m.text), ['q1', 'a1', 'q2', 'a2', 'q3', 'a3', 'q4', 'a4', 'q5', 'a5']);
    assert.deepEqual(messages.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(new Set(messages.map((m) => m.id)).size, 10);
    assert.equal(store.session('s1')?.messageCount, 10);
  });

  it('limit takes the newest messages and offset skips the newest, oldest first either way', () => {
    const store = new SqliteTranscriptStore(open(stateDir()));
    for (let i = 1; i <= 6; i++) store.append('s', msg(`r${i}`, 'user', `m${i}`));
    assert.deepEqual(store.messages('s', { limit: 2 }).messages.map((m) => m.text), ['m5', 'm6']);
    assert.deepEqual(store.messages('s', { limit: 2, offset: 2 }).messages.map((m) => m.text), ['m3', 'm4']);
    assert.deepEqual(store.messages('s', { limit: 10, offset: 5 }).messages.map((m) => m.text), ['m1']);
    assert.equal(store.messages('s', { limit: 2 }).total, 6);
    assert.deepEqual(store.messages('other', { limit: 2 }), { messages: [], total: 0 });
  });

  it('appends a given idempotency key once per session', () => {
    const store = new SqliteTranscriptStore(open(stateDir()));
    const first = store.append('s', msg('r1', 'assistant', 'reply'));
    const again = store.append('s', msg('r1', 'assistant', 'reply, second attempt'));
    assert.equal(again.id, first.id);
    assert.equal(store.messages('s').total, 1);
    assert.equal(store.byIdempotencyKey('s', 'r1')?.text, 'reply');
    assert.equal(store.byIdempotencyKey('s', 'r2'), undefined);
    // the same key in another session is another message
    store.append('t', msg('r1', 'assistant', 'other session'));
    assert.equal(store.messages('t').total, 1);
  });

  it('lists sessions most recently updated first, one page at a time', () => {
    let now = 1000;
    const store = new SqliteTranscriptStore(open(stateDir()), () => now);
    for (const key of ['a', 'b', 'c', 'd']) {
      now += 10;
      store.touch(key, { status: 'queued', lastRunId: `${key}-run` });
    }
    now += 10;
    store.touch('b', { status: 'done' });
    assert.equal(store.sessionCount(), 4);
    assert.deepEqual(store.sessions({ limit: 2 }).map((r) => r.key), ['b', 'd']);
    assert.deepEqual(store.sessions({ limit: 2, offset: 2 }).map((r) => r.key), ['c', 'a']);
    const b = store.session('b')!;
    assert.equal(b.status, 'done');
    assert.equal(b.lastRunId, 'b-run'); // a patch without lastRunId keeps the previous one
    assert.equal(b.createdAt, 1020);
  });

  it('keeps everything across a restart (close and reopen the same state dir)', () => {
    const dir = stateDir();
    const db = open(dir);
    const store = new SqliteTranscriptStore(db);
    store.append('s', msg('r1', 'user', 'hello'));
    store.append('s', msg('r1', 'assistant', 'hi'));
    store.touch('s', { status: 'done', lastRunId: 'r1' });
    db.close();
    const reopened = new SqliteTranscriptStore(open(dir));
    assert.deepEqual(reopened.messages('s').messages.map((m) => [m.seq, m.role, m.text]), [[1, 'user', 'hello'], [2, 'assistant', 'hi']]);
    assert.equal(reopened.session('s')?.status, 'done');
    // appends continue the sequence, not restart it
    assert.equal(reopened.append('s', msg('r2', 'user', 'again')).seq, 3);
  });
});

describe('SqliteTranscriptStore.appendOnce', () => {
  it('appends and sets the run and status in the index; a second time with the same key appends nothing and still sets the index', () => {
    const store = new SqliteTranscriptStore(open(stateDir()), () => 5);
    const first = store.appendOnce('s', msg('r1', 'user', 'hello', 7), { lastRunId: 'r1', status: 'running' });
    assert.equal(first?.seq, 1);
    assert.deepEqual(store.session('s'), { key: 's', createdAt: 5, updatedAt: 7, messageCount: 1, lastRunId: 'r1', status: 'running' });
    assert.equal(store.appendOnce('s', msg('r1', 'user', 'hello again'), { status: 'done' }), undefined);
    assert.deepEqual(store.messages('s').messages.map((m) => m.text), ['hello']);
    assert.equal(store.session('s')?.status, 'done');
    assert.equal(store.session('s')?.lastRunId, 'r1', 'a patch without a run keeps the last one');
  });

  it('inside a transaction it is part of it: an error after it rolls the message and its count back', () => {
    const db = open(stateDir());
    const store = new SqliteTranscriptStore(db);
    store.append('s', msg('r0', 'user', 'before'));
    assert.throws(() => db.transaction(() => {
      store.appendOnce('s', msg('r1', 'user', 'lost'), { lastRunId: 'r1', status: 'running' });
      throw new Error('the step failed');
    })(), /the step failed/);
    assert.deepEqual(store.messages('s').messages.map((m) => m.text), ['before']);
    assert.equal(store.session('s')?.messageCount, 1);
    assert.equal(store.session('s')?.lastRunId, undefined);
    assert.equal(store.append('s', msg('r1', 'user', 'kept')).seq, 2, 'the sequence goes on where it was');
  });
});

describe('RunLedger', () => {
  const http = { surface: 'http', origin: { surface: 'http' } } as const;
  it('journals runs in acceptance order with their origin and follows their states', () => {
    const db = open(stateDir());
    const now = 100;
    const store = new SqliteTranscriptStore(db);
    const ledger = new RunLedger(db, store, { retentionMs: 1000, now: () => now });
    for (const id of ['a', 'b', 'c']) ledger.accepted({ runId: id, sessionKey: 's', ...http, at: now, text: `t-${id}` });
    ledger.started({ runId: 'a', sessionKey: 's' }, 101, 't-a');
    assert.deepEqual(ledger.pending().map((e) => [e.runId, e.state]), [['a', 'running'], ['b', 'queued'], ['c', 'queued']]);
    assert.deepEqual(ledger.get('a')?.origin, { surface: 'http' });
    ledger.checkpoint('a', 'half a rep');
    assert.equal(ledger.get('a')?.partial, 'half a rep');
    ledger.completed({ runId: 'a', sessionKey: 's' }, 102, 'x');
    assert.equal(ledger.get('a')?.partial, undefined, 'the checkpoint goes when the run finishes');
    ledger.failed({ runId: 'b', sessionKey: 's' }, 103, { type: 'boom', message: 'it broke' });
    assert.deepEqual(ledger.pending().map((e) => e.runId), ['c']);
    assert.deepEqual(ledger.get('b')?.error, { type: 'boom', message: 'it broke' });
    // the transcript got the user message when the run started and the reply when it completed
    assert.deepEqual(store.messages('s').messages.map((m) => [m.idempotencyKey, m.text]), [['a:user', 't-a'], ['a', 'x']]);
    assert.equal(store.session('s')?.status, 'failed');
    // a failed id sent again goes to the end of the order, as a fresh entry
    ledger.accepted({ runId: 'b', sessionKey: 's', surface: 'ws', origin: { surface: 'ws', connId: 'c9' }, at: 104, text: 't-b2' });
    assert.deepEqual(ledger.pending().map((e) => [e.runId, e.text]), [['c', 't-c'], ['b', 't-b2']]);
    assert.equal(ledger.get('b')?.error, undefined);
    assert.deepEqual(ledger.get('b')?.origin, { surface: 'ws', connId: 'c9' });
  });

  it('keeps finished entries for the retention time only', () => {
    const db = open(stateDir());
    let now = 0;
    const ledger = new RunLedger(db, new SqliteTranscriptStore(db), { retentionMs: 100, now: () => now });
    ledger.accepted({ runId: 'old', sessionKey: 's', ...http, at: 0, text: '' });
    ledger.completed({ runId: 'old', sessionKey: 's' }, 10, '');
    ledger.accepted({ runId: 'live', sessionKey: 's', ...http, at: 20, text: '' });
    now = 150;
    assert.deepEqual(ledger.finishedEntries().map((e) => e.runId), []);
    assert.equal(ledger.prune(), 1);
    assert.equal(ledger.get('old'), undefined);
    assert.equal(ledger.get('live')?.state, 'queued'); // never pruned while unfinished
  });
});

describe('history window', () => {
  it('gives the newest whole messages within the budget, oldest first, without the current run', () => {
    const store = new SqliteTranscriptStore(open(stateDir()));
    store.append('s', msg('r1', 'user', 'aaaa'));
    store.append('s', msg('r1', 'assistant', 'bbbb'));
    store.append('s', msg('r2', 'user', 'cccc'));
    store.append('s', msg('r2', 'assistant', 'dddd'));
    store.append('s', msg('r3', 'user', 'current'));
    const h = historyFor(store, { runId: 'r3', sessionKey: 's' }, 12);
    assert.deepEqual(h, [
      { role: 'assistant', content: 'bbbb' }, { role: 'user', content: 'cccc' }, { role: 'assistant', content: 'dddd' },
    ]);
    assert.equal(historyFor(store, { runId: 'r3', sessionKey: 's' }, 1000).length, 4);
    assert.deepEqual(historyFor(store, { runId: 'r1', sessionKey: 'none' }, 1000), []);
  });
});

describe('one transaction per run step, recorded before it is told', () => {
  it("commits a step's journal and transcript writes together, or none of them, and publishes only what committed", () => {
    const faults = new WriteFaults();
    const dir = stateDir();
    const db = openDb(dir, { faults });
    dbs.push(db);
    const store = new SqliteTranscriptStore(db);
    const ledger = new RunLedger(db, store, { retentionMs: 1000 });
    const bus = createBus();
    const lifecycle = new RunLifecycle({ bus, ledger });
    const heard: string[] = [];
    bus.subscribe('run.completed', (e) => heard.push(e.runId));
    const http = { surface: 'http', origin: { surface: 'http' } } as const;
    for (const runId of ['ok', 'bad']) {
      lifecycle.accepted({ runId, sessionKey: 's', ...http, at: 1, text: runId });
      lifecycle.started({ runId, sessionKey: 's', at: 2 }, runId);
    }
    lifecycle.completed({ runId: 'ok', sessionKey: 's', at: 3, reply: 'fine' });
    assert.equal(ledger.get('ok')?.state, 'completed');
    assert.equal(store.byIdempotencyKey('s', 'ok')?.text, 'fine');
    // the reply's transcript append fails: the journal update of the same step rolls back with it
    faults.fail('SQLITE_FULL', { match: /INTO messages/ });
    assert.throws(() => lifecycle.completed({ runId: 'bad', sessionKey: 's', at: 4, reply: 'lost' }), /SQLITE_FULL|disk/);
    assert.equal(ledger.get('bad')?.state, 'running');
    assert.equal(store.byIdempotencyKey('s', 'bad'), undefined);
    assert.deepEqual(heard, ['ok'], 'the bus never carried the step that did not commit');
  });
});
