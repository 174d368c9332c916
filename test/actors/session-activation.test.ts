import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assign, createActor, fromPromise } from 'xstate';
import { firstRunSnapshot } from '../../src/actors/session-activation.js';
import { type QueuedRun, sessionMachine } from '../../src/machines/session.js';

// A session actor created for a message is restored in its first step (running that message) instead of
// computing it: the restored actor must be the computed one, for both deadline settings, and a machine whose
// first step does more than restoring stands in for gets no snapshot (its actors start from their input).

const run = (runId: string): QueuedRun => ({ runId, input: { runId, sessionKey: 's', text: `text of ${runId}`, parts: [] } });
const never = fromPromise<void, QueuedRun>(() => new Promise<void>(() => {}));

test('the restored first step equals the computed one (timed and untimed), and the run starts with its input', () => {
  for (const runTimeoutMs of [0, 5_000]) {
    const started: string[] = [];
    const machine = sessionMachine.provide({
      actors: { executeRun: fromPromise<void, QueuedRun>(({ input }) => { started.push(input.runId); return new Promise<void>(() => {}); }) },
      actions: { armDeadline: () => {}, disarmDeadline: () => {} },
    });
    const input = { sessionKey: 's', idleMs: 0, runTimeoutMs, first: run('a') };
    const computed = createActor(machine, { input });
    const snapshot = firstRunSnapshot(machine, { sessionKey: 's', idleMs: 0, runTimeoutMs }, run('a'));
    assert.ok(snapshot, `a template for runTimeoutMs ${runTimeoutMs}`);
    const restored = createActor(machine, { input, snapshot });
    assert.deepEqual(restored.getPersistedSnapshot(), computed.getPersistedSnapshot());
    assert.deepEqual(restored.getSnapshot().value, { running: runTimeoutMs > 0 ? 'timed' : 'untimed' });
    restored.start();
    assert.deepEqual(started, ['a'], 'the run actor starts with its parent, on its own input');
    restored.send({ type: 'ENQUEUE', run: run('b') });
    assert.deepEqual(restored.getSnapshot().context.queue.map((r) => r.runId), ['b'], 'and the actor goes on from there');
    restored.stop();
  }
});

test('a machine whose first step does more than restoring reproduces gets no snapshot', () => {
  const changed = sessionMachine.provide({ actors: { executeRun: never }, actions: { takeNext: assign({ current: () => null }) } });
  assert.equal(firstRunSnapshot(changed, { sessionKey: 's', idleMs: 0, runTimeoutMs: 0 }, run('a')), undefined,
    'a takeNext that does not take the run');
});
