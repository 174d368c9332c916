import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { OTHER_REASONS, RepeatedWarnings, SUMMARY_MESSAGE } from '../../src/core/repeated-warnings.js';

// Unit tests of the warning aggregator: a recording logger and XState's SimulatedClock for the window, so
// nothing here waits on real time.

interface Line {
  fields: Record<string, unknown>;
  msg: string;
}

function setup(opts: { windowMs?: number; maxReasons?: number } = {}) {
  const lines: Line[] = [];
  const clock = new SimulatedClock();
  const log = { warn: (fields: Record<string, unknown>, msg: string) => { lines.push({ fields, msg }); } };
  const w = new RepeatedWarnings(log as never, { ...opts, timers: clock });
  return { lines, clock, w, summaries: () => lines.filter((l) => l.msg === SUMMARY_MESSAGE) };
}

test('the first occurrence of a reason is logged with its details; repeats in the window are counted, summarised once at its end', () => {
  const { lines, clock, w, summaries } = setup({ windowMs: 10_000 });
  for (let i = 0; i < 200; i++) w.warn('upgrade refused: origin not allowed', { origin: `http://evil${i}.example` });
  w.warn('closing slow consumer', { conn: 'c1' });
  assert.deepEqual(lines, [
    { fields: { origin: 'http://evil0.example' }, msg: 'upgrade refused: origin not allowed' },
    { fields: { conn: 'c1' }, msg: 'closing slow consumer' },
  ]);
  clock.increment(9_999);
  assert.equal(summaries().length, 0, 'nothing before the window ends');
  clock.increment(1);
  // a reason seen once gets no summary; the repeated one gets exactly one
  assert.deepEqual(summaries().map((l) => l.fields), [{ reason: 'upgrade refused: origin not allowed', count: 199, windowMs: 10_000 }]);
  assert.equal(lines.length, 3);
});

test('a new window starts with the next occurrence: it is logged again, and an idle aggregator logs nothing', () => {
  const { lines, clock, w, summaries } = setup({ windowMs: 1_000 });
  w.warn('r', { n: 1 });
  w.warn('r', { n: 2 });
  clock.increment(1_000);
  assert.equal(summaries().length, 1);
  clock.increment(60_000);
  assert.equal(lines.length, 2, 'no timer runs while nothing happens');
  w.warn('r', { n: 3 });
  assert.deepEqual(lines.at(-1), { fields: { n: 3 }, msg: 'r' });
  clock.increment(1_000);
  assert.equal(lines.length, 3, 'a window with a single occurrence has no summary');
});

test('memory is bounded: beyond maxReasons distinct reasons, occurrences are only counted under one key', () => {
  const { lines, clock, w, summaries } = setup({ windowMs: 1_000, maxReasons: 3 });
  for (let i = 0; i < 1_000; i++) w.warn(`reason ${i}`);
  assert.deepEqual(lines.map((l) => l.msg), ['reason 0', 'reason 1', 'reason 2']);
  assert.ok((w as any).counts.size <= 4, 'three reasons and the overflow key');
  clock.increment(1_000);
  assert.deepEqual(summaries().map((l) => l.fields), [{ reason: OTHER_REASONS, count: 997, windowMs: 1_000 }]);
  assert.equal((w as any).counts.size, 0, 'the window end forgets every reason');
});

test('flush() ends the window at once (shutdown) and cancels its timer', () => {
  const { lines, clock, w, summaries } = setup({ windowMs: 10_000 });
  w.warn('r');
  w.warn('r');
  w.warn('r');
  w.flush();
  assert.deepEqual(summaries().map((l) => l.fields), [{ reason: 'r', count: 2, windowMs: 10_000 }]);
  clock.increment(10_000);
  assert.equal(lines.length, 2, 'the cancelled timer does not summarise again');
});
