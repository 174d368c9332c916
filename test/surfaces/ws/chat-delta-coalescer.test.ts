import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { CHAT_DELTA_INTERVAL_MS, ChatDeltaCoalescer, type ChatDelta } from '../../../src/surfaces/ws/chat-delta-coalescer.js';

// The chat-delta throttle on a simulated clock: at most one delta per 150 ms per run, nothing lost.

function setup() {
  const clock = new SimulatedClock();
  clock.set(1_000);
  const sent: (ChatDelta & { runId: string; at: number })[] = [];
  const c = new ChatDeltaCoalescer((runId, d) => sent.push({ runId, at: clock.now(), ...d }), clock);
  let text = '';
  let seq = 0;
  const chunk = (runId: string, deltaText: string) => {
    text += deltaText;
    c.push(runId, { seq: ++seq, deltaText, text, replace: false });
  };
  return { clock, sent, c, chunk, text: () => text };
}

test('the first chunk goes out at once; later ones within 150 ms are merged and sent when the interval ends', () => {
  const { clock, sent, chunk } = setup();
  chunk('r', 'Hel');
  assert.deepEqual(sent, [{ runId: 'r', at: 1_000, seq: 1, deltaText: 'Hel', text: 'Hel', replace: false }]);
  clock.increment(10);
  chunk('r', 'lo ');
  clock.increment(10);
  chunk('r', 'world');
  assert.equal(sent.length, 1, 'held within the interval');
  clock.increment(CHAT_DELTA_INTERVAL_MS - 21);
  assert.equal(sent.length, 1, 'not before the interval ends');
  clock.increment(1);
  assert.deepEqual(sent[1], { runId: 'r', at: 1_150, seq: 3, deltaText: 'lo world', text: 'Hello world', replace: false });
  clock.increment(1_000);
  assert.equal(sent.length, 2, 'nothing more to send');
  chunk('r', '!');
  assert.deepEqual(sent[2], { runId: 'r', at: 2_150, seq: 4, deltaText: '!', text: 'Hello world!', replace: false }, 'an idle run sends at once');
});

test('a fast stream: one delta per interval, the deltaTexts concatenate to the text, flush sends the tail', () => {
  const { clock, sent, c, chunk, text } = setup();
  for (let i = 0; i < 1_000; i++) {
    chunk('r', `w${i} `);
    clock.increment(1);
  }
  c.flush('r');
  assert.equal(sent.length, Math.ceil(1_000 / CHAT_DELTA_INTERVAL_MS) + 1);
  // the throttled ones keep their distance; the explicit flush (before another event of the run) need not
  for (let i = 1; i < sent.length - 1; i++) assert.equal(sent[i].at - sent[i - 1].at, CHAT_DELTA_INTERVAL_MS, `delta ${i}`);
  assert.equal(sent.map((d) => d.deltaText).join(''), text());
  assert.equal(sent.at(-1)!.text, text());
  assert.equal(sent.at(-1)!.seq, 1_000, 'the seq of the last chunk folded in');
});

test('flush sends the held delta at once and cancels its timer; with nothing held it sends nothing', () => {
  const { clock, sent, c, chunk } = setup();
  c.flush('nobody');
  chunk('r', 'a');
  c.flush('r');
  assert.equal(sent.length, 1, 'nothing was held');
  chunk('r', 'b');
  c.flush('r');
  assert.deepEqual(sent.map((d) => d.deltaText), ['a', 'b']);
  clock.increment(1_000);
  assert.equal(sent.length, 2, 'the cancelled timer never fires');
});

test('a restart (replace) in a held batch: deltaText is the whole new text, later chunks append to it', () => {
  const { clock, sent, c, chunk } = setup();
  chunk('r', 'Let me check. ');
  chunk('r', 'Calling');
  c.push('r', { seq: 10, deltaText: 'The', text: 'The', replace: true });
  c.push('r', { seq: 11, deltaText: ' answer', text: 'The answer', replace: false });
  clock.increment(CHAT_DELTA_INTERVAL_MS);
  assert.deepEqual(sent.map((d) => [d.deltaText, d.text, d.replace, d.seq]), [
    ['Let me check. ', 'Let me check. ', false, 1],
    ['The answer', 'The answer', true, 11],
  ]);
});

test('runs are throttled independently; forget drops a run, its held delta and its timer', () => {
  const { clock, sent, c } = setup();
  c.push('a', { seq: 1, deltaText: 'a1', text: 'a1', replace: false });
  c.push('b', { seq: 1, deltaText: 'b1', text: 'b1', replace: false });
  c.push('a', { seq: 2, deltaText: 'a2', text: 'a1a2', replace: false });
  c.push('b', { seq: 2, deltaText: 'b2', text: 'b1b2', replace: false });
  assert.deepEqual(sent.map((d) => d.runId), ['a', 'b']);
  c.forget('b');
  assert.equal(c.size, 1);
  clock.increment(CHAT_DELTA_INTERVAL_MS);
  assert.deepEqual(sent.map((d) => `${d.runId}:${d.deltaText}`), ['a:a1', 'b:b1', 'a:a2']);
  c.forget('a');
  assert.equal(c.size, 0);
});
