import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createMachine, SimulatedClock } from 'xstate';
import { InspectHub } from '../../src/actors/inspect-hub.js';
import { ActorDirectory, createSupervisedActor } from '../../src/actors/supervise.js';
import { ManualTimers, MemoryViewer } from '../helpers/inspect.js';

// `@clawgate.vitals` (web-surfaces.md I2): what a registry knows about a root actor (its describe()), sent at
// most once per stats tick per actor, only when it changed, sanitized, and only while a viewer is attached:
// with no viewer describe() is never called and no timer runs.

const log = pino({ level: 'silent' });
const idle = createMachine({ id: 'idle', initial: 'on', states: { on: {} } });

test('vitals: once a tick per actor, only when its view changed, sanitized, and never without a viewer', () => {
  const directory = new ActorDirectory();
  const timers = new ManualTimers();
  const hub = new InspectHub({ version: 'test', directory, timers, now: () => 1_000 });
  let calls = 0;
  const view = { bufferedBytes: 0, token: 'secret-token-value' };
  const { actor } = createSupervisedActor(idle, { clock: new SimulatedClock() }, {
    kind: 'connection', id: 'c1', log, onFailure() {},
    describe: () => {
      calls++;
      return { ...view };
    },
  }, directory);
  actor.start();
  createSupervisedActor(idle, { clock: new SimulatedClock() }, { kind: 'session', id: 's1', log, onFailure() {} }, directory).actor.start();
  assert.equal(timers.count, 0, 'no timer without a viewer');
  assert.equal(calls, 0, 'describe() is not called without a viewer');

  const viewer = new MemoryViewer();
  const detach = hub.attach(viewer);
  const vitals = () => viewer.frames.filter((f) => f.type === '@clawgate.vitals');
  timers.tick();
  assert.equal(vitals().length, 1, 'one vitals frame: only the described actor has a view');
  assert.deepEqual(vitals()[0], {
    type: '@clawgate.vitals', createdAt: '1000', sessionId: actor.sessionId, kind: 'connection',
    view: { bufferedBytes: 0, token: '[redacted]' },
  });
  timers.tick();
  assert.equal(vitals().length, 1, 'unchanged: not sent again');
  view.bufferedBytes = 512;
  timers.tick();
  assert.equal(vitals().length, 2);
  assert.equal(vitals()[1].view.bufferedBytes, 512);
  // a viewer joining later gets the current view at the next tick, even though it did not change (after the
  // replayed history, which holds the earlier ones)
  const late = new MemoryViewer();
  const detachLate = hub.attach(late);
  timers.tick();
  const afterLive = late.frames.slice(late.frames.findIndex((f) => f.type === '@clawgate.live'));
  assert.deepEqual(afterLive.filter((f) => f.type === '@clawgate.vitals').map((f) => f.view.bufferedBytes), [512]);
  detach();
  detachLate();
  const before = calls;
  assert.equal(timers.count, 0, 'no timer after the last viewer left');
  view.bufferedBytes = 1;
  assert.equal(calls, before, 'and describe() is not called any more');
});
