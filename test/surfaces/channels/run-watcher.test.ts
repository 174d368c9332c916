import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import type { RunRef } from '../../../src/core/bus.js';
import { createLocalBus } from '../../../src/core/local-bus.js';
import type { RunOrigin } from '../../../src/core/run.js';
import type { ChannelTarget } from '../../../src/core/channel.js';
import { watchAccountRuns, type WatchedRunEnd } from '../../../src/surfaces/channels/run-watcher.js';
import { TypingLoop } from '../../../src/surfaces/channels/typing.js';
import { advance, RecordingSender } from '../../helpers/recording-sender.js';

// The per-account run watcher on a real bus: typing from run.started to the run's end (T10 end to end),
// preview calls from deltas, and nothing for other accounts' or other surfaces' runs.

const origin = (chatId: string, accountId = 'default'): RunOrigin =>
  ({ surface: 'channel', channel: 'telegram', accountId, chatId, chatType: 'direct', senderId: chatId });

function setup(streaming = true) {
  const bus = createLocalBus();
  const clock = new SimulatedClock();
  const sender = new RecordingSender(clock);
  const typing = new TypingLoop({ sender, clock, intervalMs: 4000 });
  const previewCalls: string[] = [];
  const preview = {
    onDelta: (runId: string, _t: ChannelTarget, text: string) => { previewCalls.push(`delta ${runId} ${text}`); },
    final: (runId: string) => { previewCalls.push(`final ${runId}`); },
    cancel: (runId: string) => { previewCalls.push(`cancel ${runId}`); },
  };
  const ends: [string, WatchedRunEnd][] = [];
  const starts: string[] = [];
  const stop = watchAccountRuns({
    bus, channel: 'telegram', accountId: 'default', typing, preview, streaming,
    onRunStart: (id) => starts.push(id), onRunEnd: (id, how) => ends.push([id, how]),
  });
  const queue = (ref: RunRef, o: RunOrigin) => bus.publish('run.queued', { ...ref, surface: 'channel', origin: o, at: clock.now(), text: 'hi' });
  return { bus, clock, sender, previewCalls, ends, starts, stop, queue };
}

const ref = (runId: string): RunRef => ({ runId, sessionKey: 'k' });

describe('watchAccountRuns', () => {
  test('T10 on the bus: typing at 0, 4, 8 s of a 10 s run, none after run.completed; preview final', async () => {
    const { bus, clock, sender, previewCalls, ends, starts, stop, queue } = setup();
    queue(ref('r1'), origin('111'));
    await advance(clock, 3000, 1000);
    assert.equal(sender.typings.length, 0, 'queued is not started');
    const t0 = clock.now();
    bus.publish('run.started', { ...ref('r1'), at: t0 });
    bus.publish('run.delta', { ...ref('r1'), delta: 'He', text: 'He' });
    await advance(clock, 10_000, 500);
    bus.publish('run.completed', { ...ref('r1'), at: clock.now(), reply: 'Hello' });
    await advance(clock, 20_000, 1000);
    assert.deepEqual(sender.typings.map((t) => t.at - t0), [0, 4000, 8000]);
    assert.deepEqual(previewCalls, ['delta r1 He', 'final r1']);
    assert.deepEqual(starts, ['r1']);
    assert.deepEqual(ends, [['r1', 'completed']]);
    stop();
  });

  test('failed and cancelled runs cancel the preview and stop typing', async () => {
    const { bus, clock, sender, previewCalls, ends, stop, queue } = setup();
    queue(ref('r1'), origin('111'));
    queue(ref('r2'), origin('222'));
    bus.publish('run.started', { ...ref('r1'), at: 0 });
    bus.publish('run.started', { ...ref('r2'), at: 0 });
    bus.publish('run.failed', { ...ref('r1'), at: 0, error: { type: 'timeout', message: 'x' }, reply: '' });
    bus.publish('run.cancelled', { ...ref('r2'), at: 0, reply: '', started: true });
    await advance(clock, 10_000, 1000);
    assert.equal(sender.typings.length, 2, 'only the typing sent at start');
    assert.deepEqual(previewCalls, ['cancel r1', 'cancel r2']);
    assert.deepEqual(ends, [['r1', 'failed'], ['r2', 'cancelled']]);
    stop();
  });

  test("other accounts' runs, other surfaces and streaming off are left alone", async () => {
    const { bus, clock, sender, previewCalls, stop, queue } = setup(false);
    queue(ref('o1'), origin('111', 'other'));
    bus.publish('run.queued', { ...ref('h1'), surface: 'http', origin: { surface: 'http' }, at: 0, text: 'hi' });
    queue(ref('r1'), origin('111'));
    for (const id of ['o1', 'h1', 'r1']) {
      bus.publish('run.started', { ...ref(id), at: 0 });
      bus.publish('run.delta', { ...ref(id), delta: 'x', text: 'x' });
    }
    await advance(clock, 1000, 1000);
    assert.equal(sender.typings.length, 1);
    assert.deepEqual(previewCalls, []);
    stop();
    await advance(clock, 10_000, 1000);
    assert.equal(sender.typings.length, 1, 'the watch ended with its typing');
  });

  test('a merged turn types once per chat, keyed by its first run there', async () => {
    const { bus, clock, sender, previewCalls, stop, queue } = setup();
    const turn = { leadRunId: 'a', runIds: ['a', 'b', 'c'] };
    queue(ref('a'), origin('111'));
    queue(ref('b'), origin('111'));
    queue(ref('c'), origin('222'));
    for (const id of ['a', 'b', 'c']) bus.publish('run.started', { ...ref(id), turn, at: 0 });
    for (const id of ['a', 'b', 'c']) bus.publish('run.delta', { ...ref(id), turn, delta: 'x', text: 'x' });
    for (const id of ['a', 'b', 'c']) bus.publish('run.completed', { ...ref(id), turn, at: 0, reply: 'x' });
    await advance(clock, 10_000, 1000);
    assert.deepEqual(sender.typings.map((t) => t.chatId), ['111', '222']);
    assert.deepEqual(previewCalls, ['delta a x', 'delta c x', 'final a', 'final c']);
    stop();
  });
});
