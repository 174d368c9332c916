import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assign, createActor, setup } from 'xstate';
import { fromSyncOrPromise } from '../../src/actors/sync-or-promise.js';

// The invoked work of a small machine: idle → working (invokes it) → done / failed, the output or error in context.

function machineWith(work: (input: number) => number | Promise<number>) {
  return setup({
    types: { context: {} as { out?: number; err?: unknown }, events: {} as { type: 'GO' } | { type: 'STOP' } },
    actors: { work: fromSyncOrPromise(work) },
  }).createMachine({
    context: {},
    initial: 'idle',
    states: {
      idle: { on: { GO: 'working' } },
      working: {
        invoke: {
          src: 'work', input: () => 20,
          onDone: { target: 'done', actions: assign({ out: ({ event }) => event.output }) },
          onError: { target: 'failed', actions: assign({ err: ({ event }) => event.error }) },
        },
        on: { STOP: 'idle' },
      },
      done: {},
      failed: {},
    },
  });
}

test('a synchronous answer reaches onDone within the same send, nothing awaited', () => {
  const actor = createActor(machineWith((n) => n * 2)).start();
  actor.send({ type: 'GO' });
  assert.equal(actor.getSnapshot().value, 'done');
  assert.equal(actor.getSnapshot().context.out, 40);
});

test('a promise is awaited like fromPromise', async () => {
  const actor = createActor(machineWith(async (n) => n + 1)).start();
  actor.send({ type: 'GO' });
  assert.equal(actor.getSnapshot().value, 'working');
  await new Promise((r) => setImmediate(r));
  assert.equal(actor.getSnapshot().value, 'done');
  assert.equal(actor.getSnapshot().context.out, 21);
});

test('a throw and a rejection both reach onError', async () => {
  const boom = new Error('boom');
  const sync = createActor(machineWith(() => { throw boom; })).start();
  sync.send({ type: 'GO' });
  assert.equal(sync.getSnapshot().value, 'failed');
  assert.equal(sync.getSnapshot().context.err, boom);

  const async = createActor(machineWith(() => Promise.reject(boom))).start();
  async.send({ type: 'GO' });
  await new Promise((r) => setImmediate(r));
  assert.equal(async.getSnapshot().value, 'failed');
  assert.equal(async.getSnapshot().context.err, boom);
});

test('a promise settling after its actor stopped is ignored', async () => {
  let resolve!: (n: number) => void;
  const actor = createActor(machineWith(() => new Promise<number>((r) => { resolve = r; }))).start();
  actor.send({ type: 'GO' });
  actor.send({ type: 'STOP' });
  resolve(5);
  await new Promise((r) => setImmediate(r));
  assert.equal(actor.getSnapshot().value, 'idle');
  assert.equal(actor.getSnapshot().context.out, undefined);
});
