import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { sessionMachine, type QueuedRun } from '../src/machines/session.js';

// Unit tests of the pure session machine: a fake `executeRun` whose promises the test settles by hand, and a
// SimulatedClock for the idle timeout, so nothing here depends on real time.

const IDLE_MS = 1_000;

interface Call {
  runId: string;
  signal: AbortSignal;
  resolve(): void;
  reject(err: unknown): void;
}

/** Lets pending promise callbacks (the fake's settlement -> the machine's onDone/onError) run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function run(runId: string): QueuedRun {
  return { runId, input: { runId, sessionKey: 's1', text: `text of ${runId}`, parts: [] } };
}

function harness(idleMs = IDLE_MS) {
  const calls: Call[] = [];
  let active = 0;
  let maxActive = 0;
  const executeRun = fromPromise<void, QueuedRun>(({ input, signal }) => {
    active++;
    maxActive = Math.max(maxActive, active);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      active--;
    };
    // The machine considers a run over the moment it stops the run's actor (which aborts the signal).
    signal.addEventListener('abort', finish, { once: true });
    return new Promise<void>((resolve, reject) => {
      calls.push({
        runId: input.runId,
        signal,
        resolve: () => { finish(); resolve(); },
        reject: (err) => { finish(); reject(err); },
      });
    });
  });
  const clock = new SimulatedClock();
  const actor = createActor(sessionMachine.provide({ actors: { executeRun } }), {
    input: { sessionKey: 's1', idleMs },
    clock,
  });
  const dequeued: string[] = [];
  actor.on('dequeued', (e) => dequeued.push(e.runId));
  let completed = false;
  actor.subscribe({ complete: () => { completed = true; } });
  actor.start();
  const started = () => calls.map((c) => c.runId);
  const call = (runId: string) => {
    const c = calls.find((x) => x.runId === runId);
    assert.ok(c, `executeRun was never started for ${runId}`);
    return c;
  };
  const ctx = () => {
    const { current, queue } = actor.getSnapshot().context;
    return { current: current?.runId ?? null, queue: queue.map((r) => r.runId) };
  };
  return {
    actor, clock, calls, dequeued, started, call, ctx,
    get active() { return active; },
    get maxActive() { return maxActive; },
    get completed() { return completed; },
  };
}

test('starts in idle with an empty queue', () => {
  const h = harness();
  assert.equal(h.actor.getSnapshot().value, 'idle');
  assert.deepEqual(h.ctx(), { current: null, queue: [] });
  assert.deepEqual(h.started(), []);
  h.actor.stop();
});

test('FIFO: three ENQUEUEs start in order, each only after the previous one finished', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  h.actor.send({ type: 'ENQUEUE', run: run('c') });
  assert.equal(h.actor.getSnapshot().value, 'running');
  assert.deepEqual(h.started(), ['a']);
  assert.deepEqual(h.ctx(), { current: 'a', queue: ['b', 'c'] });

  h.call('a').resolve();
  await flush();
  assert.deepEqual(h.started(), ['a', 'b']);
  assert.deepEqual(h.ctx(), { current: 'b', queue: ['c'] });

  h.call('b').resolve();
  await flush();
  assert.deepEqual(h.started(), ['a', 'b', 'c']);
  assert.deepEqual(h.ctx(), { current: 'c', queue: [] });

  h.call('c').resolve();
  await flush();
  assert.deepEqual(h.started(), ['a', 'b', 'c']);
  assert.equal(h.actor.getSnapshot().value, 'idle');
  assert.deepEqual(h.ctx(), { current: null, queue: [] });
  h.actor.stop();
});

test('the executeRun input is the queued run', () => {
  const queued = run('a');
  const seen: QueuedRun[] = [];
  const actor = createActor(sessionMachine.provide({
    actors: { executeRun: fromPromise<void, QueuedRun>(async ({ input }) => { seen.push(input); }) },
  }), { input: { sessionKey: 's1', idleMs: IDLE_MS }, clock: new SimulatedClock() }).start();
  actor.send({ type: 'ENQUEUE', run: queued });
  assert.deepEqual(seen, [queued]);
  actor.stop();
});

test('one at a time: never two executeRun active at once, even with ENQUEUEs arriving while running', async () => {
  const h = harness();
  const ids = Array.from({ length: 8 }, (_, i) => `r${i}`);
  // Interleave: enqueue some, finish one, enqueue more, ...
  for (const [i, id] of ids.entries()) {
    h.actor.send({ type: 'ENQUEUE', run: run(id) });
    assert.equal(h.active, 1);
    if (i % 2 === 1) {
      h.calls.at(-1)!.resolve();
      await flush();
    }
  }
  while (h.actor.getSnapshot().value === 'running') {
    assert.equal(h.active, 1);
    h.calls.at(-1)!.resolve();
    await flush();
  }
  assert.deepEqual(h.started(), ids);
  assert.equal(h.maxActive, 1);
  assert.equal(h.active, 0);
  h.actor.stop();
});

test('cancel running: its signal is aborted and the next queued run starts', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  const a = h.call('a');
  assert.equal(a.signal.aborted, false);

  h.actor.send({ type: 'CANCEL', runId: 'a' });
  assert.equal(a.signal.aborted, true);
  assert.deepEqual(h.started(), ['a', 'b']);
  assert.deepEqual(h.ctx(), { current: 'b', queue: [] });
  assert.equal(h.call('b').signal.aborted, false);
  assert.deepEqual(h.dequeued, [], 'a started run is not "dequeued"');
  assert.equal(h.maxActive, 1);

  // A late settlement of the cancelled run must not end the run that replaced it.
  a.resolve();
  await flush();
  assert.deepEqual(h.ctx(), { current: 'b', queue: [] });
  assert.equal(h.call('b').signal.aborted, false);

  h.call('b').resolve();
  await flush();
  assert.equal(h.actor.getSnapshot().value, 'idle');
  h.actor.stop();
});

test('cancel running with nothing queued goes back to idle', () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'CANCEL', runId: 'a' });
  assert.equal(h.call('a').signal.aborted, true);
  assert.equal(h.actor.getSnapshot().value, 'idle');
  assert.deepEqual(h.ctx(), { current: null, queue: [] });
  assert.equal(h.active, 0);
  h.actor.stop();
});

test('cancel queued: emits dequeued and the run is never started', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  h.actor.send({ type: 'ENQUEUE', run: run('c') });

  h.actor.send({ type: 'CANCEL', runId: 'b' });
  assert.deepEqual(h.dequeued, ['b']);
  assert.deepEqual(h.ctx(), { current: 'a', queue: ['c'] });
  assert.equal(h.call('a').signal.aborted, false, 'cancelling a queued run leaves the running one alone');

  h.call('a').resolve();
  await flush();
  h.call('c').resolve();
  await flush();
  assert.deepEqual(h.started(), ['a', 'c']);
  assert.deepEqual(h.dequeued, ['b']);
  assert.equal(h.actor.getSnapshot().value, 'idle');
  h.actor.stop();
});

test('cancel of an unknown id is ignored (while running and while idle)', async () => {
  const h = harness();
  h.actor.send({ type: 'CANCEL', runId: 'nope' });
  assert.equal(h.actor.getSnapshot().value, 'idle');
  assert.equal(h.actor.getSnapshot().status, 'active');

  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  h.actor.send({ type: 'CANCEL', runId: 'nope' });
  assert.equal(h.actor.getSnapshot().value, 'running');
  assert.deepEqual(h.ctx(), { current: 'a', queue: ['b'] });
  assert.equal(h.call('a').signal.aborted, false);
  assert.deepEqual(h.dequeued, []);

  // An id that already finished is unknown too.
  h.call('a').resolve();
  await flush();
  h.actor.send({ type: 'CANCEL', runId: 'a' });
  assert.deepEqual(h.ctx(), { current: 'b', queue: [] });
  assert.equal(h.call('b').signal.aborted, false);
  assert.deepEqual(h.dequeued, []);
  assert.deepEqual(h.started(), ['a', 'b']);
  h.actor.stop();
});

test('failure: executeRun rejects and the session moves on to the next run', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  h.call('a').reject(new Error('boom'));
  await flush();
  assert.equal(h.actor.getSnapshot().status, 'active', 'a failed run does not take the session down');
  assert.deepEqual(h.started(), ['a', 'b']);
  assert.deepEqual(h.ctx(), { current: 'b', queue: [] });

  h.call('b').reject(new Error('boom again'));
  await flush();
  assert.equal(h.actor.getSnapshot().value, 'idle');

  // Still usable afterwards.
  h.actor.send({ type: 'ENQUEUE', run: run('c') });
  assert.deepEqual(h.started(), ['a', 'b', 'c']);
  h.call('c').resolve();
  await flush();
  assert.equal(h.actor.getSnapshot().value, 'idle');
  assert.equal(h.maxActive, 1);
  h.actor.stop();
});

test('idle stop: the actor reaches its final state after idleMs with nothing queued', () => {
  const h = harness();
  h.clock.increment(IDLE_MS - 1);
  assert.equal(h.actor.getSnapshot().status, 'active');
  assert.equal(h.completed, false);

  h.clock.increment(1);
  assert.equal(h.actor.getSnapshot().status, 'done');
  assert.equal(h.actor.getSnapshot().value, 'stopped');
  assert.equal(h.completed, true, 'subscribers see the actor complete');
});

test('idle stop: an ENQUEUE before the timeout keeps the session alive; the timer restarts once idle again', async () => {
  const h = harness();
  h.clock.increment(IDLE_MS - 1);
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  assert.equal(h.actor.getSnapshot().value, 'running');

  // No idle timeout while a run is going, however long it takes.
  h.clock.increment(IDLE_MS * 10);
  assert.equal(h.actor.getSnapshot().status, 'active');
  assert.equal(h.actor.getSnapshot().value, 'running');
  assert.equal(h.call('a').signal.aborted, false);

  h.call('a').resolve();
  await flush();
  assert.equal(h.actor.getSnapshot().value, 'idle');

  // The idle timer counts from when the session became idle again, not from its first start.
  h.clock.increment(IDLE_MS - 1);
  assert.equal(h.actor.getSnapshot().status, 'active');
  h.clock.increment(1);
  assert.equal(h.actor.getSnapshot().status, 'done');
  assert.equal(h.completed, true);
});

test('idle stop: no timeout while runs are queued behind a long one', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  h.clock.increment(IDLE_MS * 5);
  h.call('a').resolve();
  await flush();
  // Going through idle on the way to the next run does not stop the session.
  h.clock.increment(IDLE_MS * 5);
  assert.equal(h.actor.getSnapshot().status, 'active');
  assert.deepEqual(h.ctx(), { current: 'b', queue: [] });
  h.call('b').resolve();
  await flush();
  h.clock.increment(IDLE_MS);
  assert.equal(h.actor.getSnapshot().status, 'done');
});

test('stopping the session actor aborts the running run', () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  h.actor.stop();
  assert.equal(h.call('a').signal.aborted, true);
  assert.deepEqual(h.started(), ['a']);
});
