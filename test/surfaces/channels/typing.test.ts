import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { TypingLoop } from '../../../src/surfaces/channels/typing.js';
import { advance, RecordingSender, settle } from '../../helpers/recording-sender.js';

// C8 on a simulated clock: refresh every interval, never after the run ends, hard limit, pause, off signal.

const target = { chatId: '111' };

describe('TypingLoop', () => {
  test('T10: a run of 10 s types at 0, 4 and 8 s and never after it ends', async () => {
    const clock = new SimulatedClock();
    const sender = new RecordingSender(clock);
    const typing = new TypingLoop({ sender, clock, intervalMs: 4000 });
    typing.start('r1', target);
    await advance(clock, 10_000);
    typing.stop('r1');
    await advance(clock, 20_000, 1000);
    assert.deepEqual(sender.typings.map((t) => t.at), [0, 4000, 8000]);
    assert.ok(sender.typings.every((t) => t.on));
    assert.equal(typing.active, 0);
  });

  test('a channel with an off signal sends it once at stop', async () => {
    const clock = new SimulatedClock();
    const sender = new RecordingSender(clock);
    const typing = new TypingLoop({ sender, clock, intervalMs: 10_000, offSignal: true });
    typing.start('r1', target);
    await advance(clock, 25_000, 1000);
    typing.stop('r1');
    typing.stop('r1');
    await settle();
    assert.deepEqual(sender.typings.map((t) => [t.at, t.on]), [[0, true], [10_000, true], [20_000, true], [25_000, false]]);
  });

  test('stops by itself at the hard limit', async () => {
    const clock = new SimulatedClock();
    const sender = new RecordingSender(clock);
    const typing = new TypingLoop({ sender, clock, intervalMs: 4000, hardLimitMs: 10_000 });
    typing.start('r1', target);
    await advance(clock, 30_000, 1000);
    assert.deepEqual(sender.typings.map((t) => t.at), [0, 4000, 8000]);
    assert.equal(typing.active, 0);
  });

  test('a paused chat gets no typing while paused', async () => {
    const clock = new SimulatedClock();
    const sender = new RecordingSender(clock);
    const typing = new TypingLoop({ sender, clock, intervalMs: 4000, isPaused: () => clock.now() < 5000 });
    typing.start('r1', target);
    await advance(clock, 9000, 1000);
    typing.stop('r1');
    assert.deepEqual(sender.typings.map((t) => t.at), [8000]);
  });
});
