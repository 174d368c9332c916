import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { sessionMachine, toQueueMode, turnRunIds, type QueuedRun } from '../../src/machines/session.js';
import { flush } from '../helpers/wait.js';

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

function run(runId: string): QueuedRun {
  return { runId, input: { runId, sessionKey: 's1', text: `text of ${runId}`, parts: [] } };
}

function harness(idleMs = IDLE_MS, runTimeoutMs = 0, first?: QueuedRun) {
  const calls: Call[] = [];
  const inputs: QueuedRun[] = [];
  let active = 0;
  let maxActive = 0;
  const executeRun = fromPromise<void, QueuedRun>(({ input, signal }) => {
    inputs.push(input);
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
    input: { sessionKey: 's1', idleMs, runTimeoutMs, ...(first ? { first } : {}) },
    clock,
  });
  const dequeued: string[] = [];
  actor.on('dequeued', (e) => dequeued.push(e.runId));
  const timedOut: Array<{ runId: string; runIds: string[]; timeoutMs: number; abortedYet: boolean }> = [];
  actor.on('timedOut', (e) => timedOut.push({
    runId: e.runId, runIds: e.runIds, timeoutMs: e.timeoutMs, abortedYet: calls.find((c) => c.runId === e.runId)!.signal.aborted,
  }));
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
  /** The queue as turns, each the list of its run ids (merged ones after the first). */
  const turns = () => actor.getSnapshot().context.queue.map(turnRunIds);
  return {
    actor, clock, calls, inputs, dequeued, timedOut, started, call, ctx, turns,
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

test('created with its first run: it runs as the actor starts, as a first ENQUEUE would (deadline, queue, end with the run)', async () => {
  const h = harness(0, 5_000, run('a'));
  assert.ok(h.actor.getSnapshot().matches({ running: 'timed' }), 'running with its deadline armed');
  assert.deepEqual(h.started(), ['a']);
  assert.deepEqual(h.ctx(), { current: 'a', queue: [] });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  assert.deepEqual(h.ctx(), { current: 'a', queue: ['b'] });
  h.call('a').resolve();
  await flush();
  assert.deepEqual(h.started(), ['a', 'b']);
  h.call('b').resolve();
  await flush();
  assert.equal(h.completed, true, 'idleMs 0: it ends with its last run');
});

test('FIFO: three ENQUEUEs start in order, each only after the previous one finished', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  h.actor.send({ type: 'ENQUEUE', run: run('c') });
  assert.ok(h.actor.getSnapshot().matches('running'));
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
  while (h.actor.getSnapshot().matches('running')) {
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
  assert.ok(h.actor.getSnapshot().matches('running'));
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
  assert.ok(h.actor.getSnapshot().matches('running'));

  // No idle timeout while a run is going, however long it takes.
  h.clock.increment(IDLE_MS * 10);
  assert.equal(h.actor.getSnapshot().status, 'active');
  assert.ok(h.actor.getSnapshot().matches('running'));
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

test('idle stop with idleMs 0: the actor ends with its last run, with no timer; not while runs are queued', async () => {
  const h = harness(0);
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  h.call('a').resolve();
  await flush();
  // b was queued behind a: the session goes on
  assert.deepEqual(h.started(), ['a', 'b']);
  assert.equal(h.actor.getSnapshot().status, 'active');
  h.call('b').reject(new Error('boom'));
  await flush();
  // the clock never moved: nothing waits on a timer
  assert.equal(h.actor.getSnapshot().status, 'done');
  assert.equal(h.actor.getSnapshot().value, 'stopped');
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

// ---- queue modes ----

test('queue modes: toQueueMode maps the wire values (steer = followup) and refuses others', () => {
  assert.equal(toQueueMode('followup'), 'followup');
  assert.equal(toQueueMode('steer'), 'followup');
  assert.equal(toQueueMode('collect'), 'collect');
  assert.equal(toQueueMode('interrupt'), 'interrupt');
  assert.equal(toQueueMode('queue'), undefined);
  assert.equal(toQueueMode(''), undefined);
});

test('collect: messages arriving during a run are merged into ONE next turn, which runs once with all ids', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a'), mode: 'collect' }); // nothing running: runs at once
  h.actor.send({ type: 'ENQUEUE', run: run('b'), mode: 'collect' });
  h.actor.send({ type: 'ENQUEUE', run: run('c'), mode: 'collect' });
  h.actor.send({ type: 'ENQUEUE', run: run('d'), mode: 'collect' });
  assert.deepEqual(h.started(), ['a']);
  assert.deepEqual(h.turns(), [['b', 'c', 'd']]);

  h.call('a').resolve();
  await flush();
  assert.deepEqual(h.started(), ['a', 'b'], 'one executeRun for the merged turn');
  const merged = h.inputs[1];
  assert.deepEqual(turnRunIds(merged), ['b', 'c', 'd']);
  assert.deepEqual(merged.merged!.map((m) => m.input.text), ['text of c', 'text of d']);
  assert.deepEqual(h.turns(), []);

  // a message arriving during the merged turn opens the next one
  h.actor.send({ type: 'ENQUEUE', run: run('e'), mode: 'collect' });
  assert.deepEqual(h.turns(), [['e']]);
  h.call('b').resolve();
  await flush();
  assert.deepEqual(h.started(), ['a', 'b', 'e']);
  h.call('e').resolve();
  await flush();
  assert.equal(h.actor.getSnapshot().value, 'idle');
  assert.equal(h.maxActive, 1);
  h.actor.stop();
});

test('collect merges only into a collect turn at the back: a followup in between keeps the order', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b'), mode: 'collect' });
  h.actor.send({ type: 'ENQUEUE', run: run('c'), mode: 'followup' });
  h.actor.send({ type: 'ENQUEUE', run: run('d'), mode: 'collect' });
  h.actor.send({ type: 'ENQUEUE', run: run('e'), mode: 'collect' });
  assert.deepEqual(h.turns(), [['b'], ['c'], ['d', 'e']]);
  for (const id of ['a', 'b', 'c', 'd']) {
    h.call(id).resolve();
    await flush();
  }
  assert.deepEqual(h.started(), ['a', 'b', 'c', 'd']);
  assert.deepEqual(turnRunIds(h.inputs[3]), ['d', 'e']);
  h.actor.stop();
});

test('collect: cancelling a queued message of a merged turn drops only it; cancelling the running merged turn by any id cancels it', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  for (const id of ['b', 'c', 'd']) h.actor.send({ type: 'ENQUEUE', run: run(id), mode: 'collect' });
  h.actor.send({ type: 'CANCEL', runId: 'c' });
  assert.deepEqual(h.turns(), [['b', 'd']]);
  h.actor.send({ type: 'CANCEL', runId: 'b' }); // the first goes: the next one leads the turn
  assert.deepEqual(h.turns(), [['d']]);
  assert.deepEqual(h.dequeued, ['c', 'b']);
  h.actor.send({ type: 'ENQUEUE', run: run('e'), mode: 'collect' });
  assert.deepEqual(h.turns(), [['d', 'e']], 'the promoted turn still collects');

  h.call('a').resolve();
  await flush();
  assert.deepEqual(h.ctx().current, 'd');
  h.actor.send({ type: 'CANCEL', runId: 'e' }); // a merged id of the running turn
  assert.equal(h.call('d').signal.aborted, true);
  assert.equal(h.actor.getSnapshot().value, 'idle');
  assert.deepEqual(h.started(), ['a', 'd']);
  h.actor.stop();
});

test('interrupt: the running run is stopped and the new message runs next, ahead of the queue', async () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b') });
  const a = h.call('a');
  h.actor.send({ type: 'ENQUEUE', run: run('x'), mode: 'interrupt' });
  assert.equal(a.signal.aborted, true);
  assert.deepEqual(h.started(), ['a', 'x']);
  assert.deepEqual(h.ctx(), { current: 'x', queue: ['b'] }, 'the queued message is kept, behind the interrupting one');
  assert.deepEqual(h.dequeued, []);
  assert.equal(h.maxActive, 1);

  a.resolve(); // a late settlement of the stopped run does not end the new one
  await flush();
  assert.deepEqual(h.ctx(), { current: 'x', queue: ['b'] });
  h.call('x').resolve();
  await flush();
  assert.deepEqual(h.started(), ['a', 'x', 'b']);
  h.call('b').resolve();
  await flush();
  assert.equal(h.actor.getSnapshot().value, 'idle');
  h.actor.stop();
});

test('interrupt with nothing running just runs the message', () => {
  const h = harness();
  h.actor.send({ type: 'ENQUEUE', run: run('x'), mode: 'interrupt' });
  assert.deepEqual(h.started(), ['x']);
  assert.equal(h.call('x').signal.aborted, false);
  h.actor.stop();
});

// ---- run deadline ----

test('run deadline: a run still going after runTimeoutMs is stopped (timedOut emitted first) and the queue moves on', async () => {
  const h = harness(IDLE_MS, 5_000);
  h.actor.send({ type: 'ENQUEUE', run: run('stuck') });
  h.actor.send({ type: 'ENQUEUE', run: run('next') });
  h.clock.increment(4_999);
  assert.equal(h.call('stuck').signal.aborted, false);
  assert.equal(h.timedOut.length, 0);

  h.clock.increment(1);
  assert.deepEqual(h.timedOut, [{ runId: 'stuck', runIds: ['stuck'], timeoutMs: 5_000, abortedYet: false }]);
  assert.equal(h.call('stuck').signal.aborted, true);
  assert.deepEqual(h.started(), ['stuck', 'next']);
  assert.deepEqual(h.ctx(), { current: 'next', queue: [] });

  // the next run gets a full deadline of its own
  h.clock.increment(4_999);
  assert.equal(h.call('next').signal.aborted, false);
  h.call('next').resolve();
  await flush();
  assert.equal(h.actor.getSnapshot().value, 'idle');
  h.clock.increment(10_000 - 1); // no deadline left over once idle (the idle timer is what runs now)
  assert.deepEqual(h.timedOut.map((t) => t.runId), ['stuck']);
  assert.equal(h.maxActive, 1);
  h.actor.stop();
});

test('run deadline: a run that finishes in time is not touched; 0 means no deadline', async () => {
  const h = harness(IDLE_MS, 5_000);
  h.actor.send({ type: 'ENQUEUE', run: run('quick') });
  h.clock.increment(4_000);
  h.call('quick').resolve();
  await flush();
  h.actor.send({ type: 'ENQUEUE', run: run('second') });
  h.clock.increment(4_000); // 8 000 since the first started, 4 000 for this one
  assert.equal(h.call('second').signal.aborted, false);
  assert.equal(h.timedOut.length, 0);
  h.actor.stop();

  const none = harness(IDLE_MS, 0);
  none.actor.send({ type: 'ENQUEUE', run: run('long') });
  none.clock.increment(10_000_000);
  assert.equal(none.call('long').signal.aborted, false);
  assert.equal(none.timedOut.length, 0);
  none.actor.stop();
});

test('run deadline: a merged turn times out as a whole', () => {
  const h = harness(IDLE_MS, 100);
  h.actor.send({ type: 'ENQUEUE', run: run('a') });
  h.actor.send({ type: 'ENQUEUE', run: run('b'), mode: 'collect' });
  h.actor.send({ type: 'ENQUEUE', run: run('c'), mode: 'collect' });
  h.clock.increment(100); // a times out, the merged b+c starts
  h.clock.increment(100);
  assert.deepEqual(h.timedOut.map((t) => t.runIds), [['a'], ['b', 'c']]);
  assert.equal(h.actor.getSnapshot().value, 'idle');
  h.actor.stop();
});

test('cost: a message to an idle session starts its run in one microstep (running.timed or .untimed chosen by the transition)', () => {
  for (const runTimeoutMs of [0, 5_000]) {
    const steps: string[] = [];
    let counting = false;
    const actor = createActor(sessionMachine.provide({ actors: { executeRun: fromPromise<void, QueuedRun>(() => new Promise<void>(() => {})) } }), {
      input: { sessionKey: 's1', idleMs: IDLE_MS, runTimeoutMs },
      clock: new SimulatedClock(),
      inspect: (e) => {
        if (counting && e.type === '@xstate.microstep') steps.push(JSON.stringify((e.snapshot as unknown as { value: unknown }).value));
      },
    }).start();
    counting = true;
    actor.send({ type: 'ENQUEUE', run: run('a') });
    assert.deepEqual(steps, [JSON.stringify({ running: runTimeoutMs > 0 ? 'timed' : 'untimed' })]);
    actor.stop();
  }
});

test('idleMs 0: no timer is ever set, and a session ends with its run however it ends (done, failed, cancelled)', async () => {
  for (const end of ['resolve', 'reject', 'cancel'] as const) {
    let timers = 0;
    const clock = new SimulatedClock();
    const counting = {
      setTimeout: (fn: (...args: unknown[]) => void, ms: number) => { timers++; return clock.setTimeout(fn, ms); },
      clearTimeout: (id: number) => clock.clearTimeout(id),
    };
    let settle: { resolve(): void; reject(err: unknown): void } | undefined;
    const executeRun = fromPromise<void, QueuedRun>(() => new Promise<void>((resolve, reject) => { settle = { resolve, reject }; }));
    const actor = createActor(sessionMachine.provide({ actors: { executeRun } }), { input: { sessionKey: 's1', idleMs: 0 }, clock: counting }).start();
    assert.equal(actor.getSnapshot().value, 'idle', `${end}: a new session waits for its first message`);
    actor.send({ type: 'ENQUEUE', run: run('a') });
    assert.ok(actor.getSnapshot().matches('running'));
    if (end === 'resolve') settle!.resolve();
    else if (end === 'reject') settle!.reject(new Error('boom'));
    else actor.send({ type: 'CANCEL', runId: 'a' });
    await flush();
    assert.equal(actor.getSnapshot().status, 'done', `${end}: the actor ended with its run`);
    assert.equal(timers, 0, `${end}: no timer was set`);
  }
});
