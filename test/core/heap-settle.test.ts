import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { exposedGc, HeapSettle, processReadings, startHeapSettle } from '../../src/core/heap-settle.js';

// Unit tests of the heap settle: scripted readings (the committed heap, the event loop's busy share) and a
// counting gc, so each check's decision is asserted without a real collection or real time.

const MIB = 1024 * 1024;

/** Readings the test sets before each check; a collection may change the committed heap (`freesTo`). */
function setup(opts: { freesTo?: (before: number) => number } = {}) {
  const now = { committed: 20 * MIB, busy: 0 };
  const collections: Array<{ before: number; after: number; ms: number }> = [];
  let gcs = 0;
  const settle = new HeapSettle({
    gc: () => {
      gcs++;
      now.committed = opts.freesTo?.(now.committed) ?? now.committed;
    },
    readings: { committed: () => now.committed, busy: () => now.busy },
    onCollect: (c) => collections.push(c),
  });
  return { now, settle, collections, gcs: () => gcs };
}

test('a heap that grew during a burst is collected once the loop has been quiet for three checks', () => {
  const { now, settle, gcs, collections } = setup({ freesTo: () => 20.5 * MIB });
  now.committed = 40 * MIB;
  now.busy = 0.9; // the burst
  assert.equal(settle.check(), false);
  now.busy = 0.01;
  assert.equal(settle.check(), false);
  assert.equal(settle.check(), false);
  assert.equal(gcs(), 0);
  assert.equal(settle.check(), true, 'third quiet check in a row');
  assert.deepEqual(collections.map(({ before, after }) => ({ before, after })), [{ before: 40 * MIB, after: 20.5 * MIB }]);
  assert.ok(collections[0].ms >= 0);
  assert.equal(settle.check(), false, 'back within 4 MiB of where it started: nothing more to do');
  assert.equal(gcs(), 1);
});

test('a busy check starts the quiet count again', () => {
  const { now, settle, gcs } = setup();
  now.committed = 40 * MIB;
  now.busy = 0.01;
  settle.check();
  settle.check();
  now.busy = 0.2;
  settle.check();
  now.busy = 0.01;
  settle.check();
  settle.check();
  assert.equal(gcs(), 0);
  settle.check();
  assert.equal(gcs(), 1);
});

test('a quiet process whose heap did not grow by 4 MiB is left alone', () => {
  const { now, settle, gcs } = setup();
  now.committed = 23.9 * MIB;
  for (let i = 0; i < 20; i++) settle.check();
  assert.equal(gcs(), 0);
});

test('a collection that freed 4 MiB or more is followed by another at the next check while the heap is still 4 MiB above its low', () => {
  // each collection halves what is above 20 MiB, as V8 shrinking its young generation step by step would
  const { now, settle, collections } = setup({ freesTo: (b) => 20 * MIB + (b - 20 * MIB) / 2 });
  now.committed = 36 * MIB;
  for (let i = 0; i < 10; i++) settle.check();
  assert.deepEqual(collections.map((c) => (c.before - c.after) / MIB), [8, 4, 2], 'then 2 MiB above the low: done');
});

test('growth that a collection cannot free (live data) costs one collection, not one per check', () => {
  const { now, settle, gcs } = setup({ freesTo: (b) => b - 3.9 * MIB });
  now.committed = 60 * MIB; // 19 000 held connections: live
  for (let i = 0; i < 30; i++) settle.check();
  assert.equal(gcs(), 1);
});

test('growth is measured from the least the heap was: after V8 shrank it, a new burst counts from there', () => {
  const { now, settle, gcs } = setup();
  now.committed = 12 * MIB; // V8 gave pages back on its own
  settle.check();
  now.committed = 17 * MIB; // a burst grew it by 5 MiB: below the start, above the new low by more than 4
  settle.check();
  settle.check();
  assert.equal(gcs(), 1);
});

test('startHeapSettle checks every intervalMs on the given clock until it is stopped', () => {
  const clock = new SimulatedClock();
  const now = { committed: 10 * MIB, busy: 0 };
  let gcs = 0;
  const stop = startHeapSettle({ gc: () => { gcs++; now.committed = 10 * MIB; }, intervalMs: 1000, timers: clock, readings: { committed: () => now.committed, busy: () => now.busy } });
  now.committed = 30 * MIB;
  clock.increment(1000);
  clock.increment(1000);
  clock.increment(999);
  assert.equal(gcs, 0);
  clock.increment(1);
  assert.equal(gcs, 1, 'third check, at 3 s');
  now.committed = 30 * MIB;
  stop();
  for (let i = 0; i < 10; i++) clock.increment(1000);
  assert.equal(gcs, 1, 'no check after stop');
});

test('the process readings: a committed heap in bytes and a busy share between 0 and 1', () => {
  const r = processReadings();
  assert.ok(r.committed() > MIB);
  const busy = r.busy();
  assert.ok(busy >= 0 && busy <= 1, String(busy));
});

test('exposedGc is Node\'s gc exactly when the process has one', () => {
  assert.equal(exposedGc() !== undefined, typeof (globalThis as { gc?: unknown }).gc === 'function');
});
