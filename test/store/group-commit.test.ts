import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { type Db, openDb } from '../../src/store/db.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { StorageHealth, StorageUnavailable } from '../../src/store/storage-health.js';
import { WriteFaults } from '../../src/store/write-faults.js';

// The group commit queue on a real database: the steps of one tick share one transaction (a second connection
// sees none of them until COMMIT), a step's failure is its own (a savepoint per step, or per step of a plain batch
// run again), callers settle only after COMMIT, in order,
// and the queue is bounded. Flushes run when the test says (an injected schedule), never on a timer.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function open(faults?: WriteFaults): { db: Db; reader: Database.Database; dir: string; flushes: Array<() => void> } {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-group-commit-'));
  dirs.push(dir);
  const db = openDb(dir, faults ? { faults } : {});
  db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE t (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`);
  const reader = new Database(join(dir, 'clawgate.db'), { readonly: true });
  return { db, reader, dir, flushes: [] };
}

const rows = (conn: Database.Database | Db) => (conn.prepare('SELECT id FROM t ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);

/** Runs the scheduled flushes, as setImmediate would. */
function runScheduled(flushes: Array<() => void>): void {
  for (const f of flushes.splice(0)) f();
}

test('the steps of one tick share one transaction, committed on the scheduled flush; callers settle after COMMIT, in order', async () => {
  const { db, reader, flushes } = open();
  const gc = new GroupCommit(db, { schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  const seenInside: Array<{ own: number[]; other: number[] }> = [];
  const settled: number[] = [];
  const results = [1, 2, 3].map((id) => gc.enqueue('t', () => {
    insert.run(id);
    seenInside.push({ own: rows(db), other: rows(reader) });
    return id * 10;
  }).then((v) => { settled.push(id); return v; }));
  assert.equal(flushes.length, 1, 'one flush scheduled for the whole tick');
  assert.equal(gc.size, 3);
  assert.deepEqual(rows(reader), [], 'nothing written before the flush');
  runScheduled(flushes);
  assert.deepEqual(await Promise.all(results), [10, 20, 30]);
  assert.deepEqual(settled, [1, 2, 3]);
  // the third step saw the first two (same transaction), the other connection saw none of them (not committed)
  assert.deepEqual(seenInside[2], { own: [1, 2, 3], other: [] });
  assert.deepEqual(rows(reader), [1, 2, 3]);
  assert.equal(gc.size, 0);
});

test('a step queued by a caller a commit woke commits in the next turn ahead of what that caller left for the end of the turn', async () => {
  // the real schedule (setImmediate): a run's `completed`, queued once its `accepted` committed, must commit before
  // the transport's end-of-turn socket flush that the run's first events scheduled, so one write carries them all
  const { db, reader } = open();
  const gc = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    void gc.enqueue('accepted', () => insert.run(1)).then(() => {
      setImmediate(() => { order.push('end-of-turn flush'); resolve(); });
      void gc.enqueue('completed', () => insert.run(2)).then(() => order.push('completed committed'));
    });
  });
  assert.deepEqual(order, ['completed committed', 'end-of-turn flush']);
  assert.deepEqual(rows(reader), [1, 2]);
  assert.equal(gc.size, 0);
});

test('a failing step fails only its own caller: its writes roll back, the others commit', async () => {
  const { db, reader, flushes } = open();
  const gc = new GroupCommit(db, { schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  const a = gc.enqueue('a', () => insert.run(1));
  const b = gc.enqueue('b', () => { insert.run(2); throw new Error('step b is wrong'); });
  const c = gc.enqueue('c', () => insert.run(3));
  runScheduled(flushes);
  await a;
  await assert.rejects(b, /step b is wrong/);
  await c;
  assert.deepEqual(rows(reader), [1, 3]);
});

test('repeatable steps share a plain transaction (one run each); if one throws, the batch runs again a savepoint per step', async () => {
  const { db, reader, flushes } = open();
  const gc = new GroupCommit(db, { schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  const runs = new Map<string, number>();
  const step = (name: string, id: number, fail = false) => () => {
    runs.set(name, (runs.get(name) ?? 0) + 1);
    insert.run(id);
    if (fail) throw new Error(`step ${name} is wrong`);
  };
  const plain = [gc.enqueue('a', step('a', 1), undefined, true), gc.enqueue('b', step('b', 2), undefined, () => true)];
  runScheduled(flushes);
  await Promise.all(plain);
  assert.deepEqual(Object.fromEntries(runs), { a: 1, b: 1 }, 'run once each');
  assert.deepEqual(rows(reader), [1, 2]);

  runs.clear();
  const c = gc.enqueue('c', step('c', 3), undefined, true);
  const d = gc.enqueue('d', step('d', 4, true), undefined, true);
  const e = gc.enqueue('e', step('e', 5), undefined, true);
  runScheduled(flushes);
  await c;
  await assert.rejects(d, /step d is wrong/);
  await e;
  assert.deepEqual(Object.fromEntries(runs), { c: 2, d: 2, e: 1 }, 'the first run stopped at d and was rolled back; the second ran all');
  assert.deepEqual(rows(reader), [1, 2, 3, 5], 'written once: the first run left nothing');

  // one step that must not run twice: the batch runs a savepoint per step at once
  runs.clear();
  const f = gc.enqueue('f', step('f', 6), undefined, true);
  const g = gc.enqueue('g', step('g', 7, true), undefined, () => false);
  const h = gc.enqueue('h', step('h', 8));
  runScheduled(flushes);
  await f;
  await assert.rejects(g, /step g is wrong/);
  await h;
  assert.deepEqual(Object.fromEntries(runs), { f: 1, g: 1, h: 1 });
  assert.deepEqual(rows(reader), [1, 2, 3, 5, 6, 8]);
});

test('a COMMIT that fails fails every step of its transaction, and nothing of them is written', async () => {
  const { db, reader, flushes } = open();
  const gc = new GroupCommit(db, { schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id, parent) VALUES (?, ?)');
  // a deferred foreign key is checked at COMMIT: step b's row makes the COMMIT fail
  const steps = [gc.enqueue('a', () => insert.run(1, null)), gc.enqueue('b', () => insert.run(2, 99)), gc.enqueue('c', () => insert.run(3, null))];
  runScheduled(flushes);
  const outcomes = await Promise.allSettled(steps);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected']);
  assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /FOREIGN KEY/);
  assert.deepEqual(rows(reader), []);
  assert.equal(db.inTransaction, false);
  // the queue goes on working
  const next = gc.enqueue('d', () => insert.run(4, null));
  runScheduled(flushes);
  await next;
  assert.deepEqual(rows(reader), [4]);
});

test('a COMMIT that fails after a plain (repeatable) batch fails every step too, each run once', async () => {
  const { db, reader, flushes } = open();
  const gc = new GroupCommit(db, { schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id, parent) VALUES (?, ?)');
  let runs = 0;
  const step = (id: number, parent: number | null) => () => { runs++; insert.run(id, parent); };
  const steps = [gc.enqueue('a', step(1, null), undefined, true), gc.enqueue('b', step(2, 99), undefined, true)];
  runScheduled(flushes);
  const outcomes = await Promise.allSettled(steps);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
  assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /FOREIGN KEY/);
  assert.equal(runs, 2, 'not run again: the steps were fine, the COMMIT was not');
  assert.deepEqual(rows(reader), []);
  assert.equal(db.inTransaction, false);
});

test('a step after which SQLite rolled the whole transaction back fails the whole batch (plain or not)', async () => {
  for (const repeatable of [false, true]) {
    const { db, reader, flushes } = open();
    const gc = new GroupCommit(db, { schedule: (f) => flushes.push(f) });
    const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
    const a = gc.enqueue('a', () => insert.run(1), undefined, repeatable);
    // what SQLite may do on a full disk: the transaction is gone when the error reaches the step
    const b = gc.enqueue('b', () => { db.exec('ROLLBACK'); throw new Error('disk gave up'); }, undefined, repeatable);
    const c = gc.enqueue('c', () => insert.run(3), undefined, repeatable);
    runScheduled(flushes);
    const outcomes = await Promise.allSettled([a, b, c]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected'], `repeatable: ${repeatable}`);
    assert.deepEqual(rows(reader), []);
  }
});

test('a full disk fails the step with StorageUnavailable and marks storage failing; a later commit clears it', async () => {
  const faults = new WriteFaults();
  const { db, reader, flushes, dir } = open(faults);
  const storage = new StorageHealth({ stateDir: dir, log: pino({ level: 'silent' }), probe: () => {}, schedule: () => () => {} });
  const gc = new GroupCommit(db, { storage, schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  faults.fail('SQLITE_FULL');
  const full = gc.enqueue('run.queued', () => insert.run(1));
  runScheduled(flushes);
  await assert.rejects(full, (err: unknown) => err instanceof StorageUnavailable && err.code === 'SQLITE_FULL');
  assert.equal(storage.failing, true);
  faults.heal();
  const ok = gc.enqueue('run.queued', () => insert.run(2));
  runScheduled(flushes);
  await ok;
  assert.equal(storage.failing, false);
  assert.deepEqual(rows(reader), [2]);
});

test('bounded: a queue that reaches maxSteps commits at once, a flush commits at most maxSteps per transaction', async () => {
  const { db, reader, flushes } = open();
  const observed: string[] = [];
  const gc = new GroupCommit(db, { maxSteps: 2, schedule: (f) => flushes.push(f), observe: (what) => observed.push(what) });
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  const steps = [1, 2, 3, 4, 5].map((id) => gc.enqueue(`s${id}`, () => insert.run(id)));
  assert.deepEqual(rows(reader), [1, 2, 3, 4], 'two full transactions committed while queueing');
  assert.equal(gc.size, 1);
  runScheduled(flushes);
  await Promise.all(steps);
  assert.deepEqual(rows(reader), [1, 2, 3, 4, 5]);
  assert.deepEqual(observed, ['s1', 's2', 's3', 's4', 's5'], 'each committed step is observed once');
});

test('flush() inside a transaction that is not its own commits nothing: the scheduled flush does, after it', async () => {
  const { db, reader, flushes } = open();
  const gc = new GroupCommit(db, { schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  const queued = gc.enqueue('q', () => insert.run(1));
  db.transaction(() => {
    insert.run(2);
    gc.flush();
    assert.equal(gc.size, 1, 'still queued inside the other transaction');
  })();
  assert.deepEqual(rows(reader), [2]);
  runScheduled(flushes);
  await queued;
  assert.deepEqual(rows(reader), [1, 2]);
});

test('`committed` runs synchronously right after COMMIT, in queue order, before a flushing writer writes; if it throws, only its caller fails', async () => {
  const { db, reader, flushes } = open();
  const gc = new GroupCommit(db, { schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  const told: Array<{ id: number; committed: number[] }> = [];
  const tell = (id: number) => () => { told.push({ id, committed: rows(reader) }); };
  const a = gc.enqueue('a', () => insert.run(1), tell(1));
  const b = gc.enqueue('b', () => insert.run(2), () => { throw new Error('listener failed'); });
  const c = gc.enqueue('c', () => insert.run(3), tell(3));
  // a synchronous writer that must come after the queue flushes it first: every step is told of before it writes
  gc.flush();
  told.push({ id: 4, committed: rows(reader) });
  insert.run(4);
  assert.deepEqual(told, [{ id: 1, committed: [1, 2, 3] }, { id: 3, committed: [1, 2, 3] }, { id: 4, committed: [1, 2, 3] }]);
  await a;
  await assert.rejects(b, /listener failed/);
  await c;
  assert.deepEqual(rows(reader), [1, 2, 3, 4], 'the step whose callback threw stays committed');
  runScheduled(flushes);
});

test('a `committed` callback that writes through the queue meanwhile: later batches still commit in order', async () => {
  const { db, reader, flushes } = open();
  const gc = new GroupCommit(db, { maxSteps: 1, schedule: (f) => flushes.push(f) });
  const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
  const order: number[] = [];
  // maxSteps 1: every enqueue commits at once, so hold the queue inside a transaction to build a backlog
  const steps: Array<Promise<unknown>> = [];
  db.transaction(() => {
    steps.push(gc.enqueue('1', () => insert.run(1), () => { order.push(1); gc.flush(); }));
    for (const id of [2, 3]) steps.push(gc.enqueue(String(id), () => insert.run(id), () => { order.push(id); }));
  })();
  gc.flush();
  await Promise.all(steps);
  assert.deepEqual(order, [1, 2, 3]);
  assert.deepEqual(rows(reader), [1, 2, 3]);
  runScheduled(flushes);
});
