import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { CHANNEL_RATE_LIMITS, SendRateLimiter } from '../../../src/surfaces/channels/rate-limit.js';

// §1.6 buckets on a simulated clock: per chat, per group chat, per account, and the 429 pause.

describe('SendRateLimiter', () => {
  test('one message per second per chat', () => {
    const clock = new SimulatedClock();
    const rl = new SendRateLimiter({ clock, limits: CHANNEL_RATE_LIMITS.telegram });
    assert.equal(rl.take('a', false), 0);
    assert.equal(rl.take('a', false), 1000);
    assert.equal(rl.take('b', false), 0, 'another chat is not held');
    clock.increment(400);
    assert.equal(rl.take('a', false), 600);
    clock.increment(600);
    assert.equal(rl.take('a', false), 0);
  });

  test('Telegram groups: at most 20 per minute', () => {
    const clock = new SimulatedClock();
    const rl = new SendRateLimiter({ clock, limits: CHANNEL_RATE_LIMITS.telegram });
    for (let i = 0; i < 20; i++) {
      assert.equal(rl.take('-100', true), 0, `message ${i}`);
      clock.increment(1000);
    }
    assert.equal(rl.take('-100', true), 40_000, 'the 21st waits until the first leaves the minute');
    clock.increment(40_000);
    assert.equal(rl.take('-100', true), 0);
  });

  test('per account: Signal 5 per second across chats', () => {
    const clock = new SimulatedClock();
    const rl = new SendRateLimiter({ clock, limits: CHANNEL_RATE_LIMITS.signal });
    for (let i = 0; i < 5; i++) assert.equal(rl.take(`c${i}`, false), 0);
    assert.equal(rl.take('c5', false), 1000);
    clock.increment(1000);
    assert.equal(rl.take('c5', false), 0);
  });

  test('a paused chat waits until the pause ends, others go on', () => {
    const clock = new SimulatedClock();
    const rl = new SendRateLimiter({ clock, limits: CHANNEL_RATE_LIMITS.whatsapp });
    rl.pause('a', 2000);
    assert.equal(rl.isPaused('a'), true);
    assert.equal(rl.take('a', false), 2000);
    assert.equal(rl.take('b', false), 0);
    clock.increment(2000);
    assert.equal(rl.isPaused('a'), false);
    assert.equal(rl.take('a', false), 0);
  });
});
