import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus, BusEvents } from '../../src/core/bus.js';
import { createLocalBus as createBus } from '../../src/core/local-bus.js';
import { unrecordedLifecycle } from '../helpers/no-ledger.js';
import { SimulatedClock } from 'xstate';
import { flush, until } from '../helpers/wait.js';
import { actorDirectory } from '../../src/actors/supervise.js';
import { RunRegistry, type RunRecord } from '../../src/actors/run-registry.js';
import { SessionRegistry, type SubmitResult } from '../../src/actors/session-registry.js';
import { createRunExecutor, EMPTY_REPLY_FALLBACK } from '../../src/actors/run-executor.js';
import { createMockRunner } from '../../src/agent/mock.js';
import { RunError, type RunEvent, type RunInput, type Runner } from '../../src/core/run.js';
import type { QueueMode } from '../../src/machines/session.js';

// SessionRegistry + RunRegistry + run executor + runner on a real bus, no server. Tests wait for events or
// states, never for a fixed time, and assert order and state rather than durations.

/** Turns a hang (a run that never settles) into a failure; it is not a performance bound. */
const GUARD = { timeout: 30_000 };

const EXPECTED_EMPTY_FALLBACK = "I didn't produce a visible reply. Please try again.";

type RunEventName = keyof BusEvents & `run.${string}`;
const RUN_EVENTS: RunEventName[] = [
  'run.queued', 'run.started', 'run.delta', 'run.message', 'run.usage', 'run.completed', 'run.failed', 'run.cancelled',
];
const TERMINAL_EVENTS = new Set<RunEventName>(['run.completed', 'run.failed', 'run.cancelled']);

interface Options {
  runner?: Runner;
  idleMs?: number;
  retentionMs?: number;
  retentionMax?: number;
  now?: () => number;
  maxQueue?: number;
  runTimeoutMs?: number;
  clock?: SimulatedClock;
}

// Every registry a test creates is stopped afterwards (even when the test fails), so no session timer is left.
const created: SessionRegistry[] = [];
afterEach(() => {
  for (const s of created.splice(0)) s.stopAll();
});

function setup(opts: Options = {}) {
  const bus = createBus();
  const now = opts.now;
  const runs = new RunRegistry(bus, {
    retentionMs: opts.retentionMs ?? 60_000,
    retentionMax: opts.retentionMax ?? 1_000,
    now,
  });
  const inner = opts.runner ?? createMockRunner();
  const calls: string[] = [];
  const runner: Runner = {
    run(input, signal) {
      calls.push(input.runId);
      return inner.run(input, signal);
    },
  };
  const sessions: SessionRegistry = new SessionRegistry({
    lifecycle: unrecordedLifecycle(bus), runs, idleMs: opts.idleMs ?? 60_000, now, maxQueue: opts.maxQueue, runTimeoutMs: opts.runTimeoutMs,
    clock: opts.clock,
    executeRun: createRunExecutor({ runner, lifecycle: unrecordedLifecycle(bus), now, abortReason: (id) => sessions.abortReason(id) }),
  });
  created.push(sessions);
  const submit = (runId: string, sessionKey: string, text = `message ${runId}`, mode?: QueueMode): SubmitResult =>
    sessions.submit({ runId, origin: { surface: 'http' }, input: input(runId, sessionKey, text), mode });
  const inputs: RunInput[] = [];
  return { bus, runs, sessions, calls, submit, inputs };
}

function input(runId: string, sessionKey: string, text: string): RunInput {
  return { runId, sessionKey, text, parts: [] };
}

function accepted(result: SubmitResult): RunRecord {
  assert.equal(result.kind, 'accepted', `expected accepted, got ${JSON.stringify(result)}`);
  return (result as { record: RunRecord }).record;
}

/** Records every run event on the bus, in order. */
function recordEvents(bus: Bus) {
  const events: Array<{ name: RunEventName; runId: string; sessionKey: string; e: BusEvents[RunEventName] }> = [];
  for (const name of RUN_EVENTS) {
    bus.subscribe(name, (e: BusEvents[RunEventName]) => events.push({ name, runId: e.runId, sessionKey: e.sessionKey, e }));
  }
  return {
    events,
    names: (runId: string) => events.filter((x) => x.runId === runId).map((x) => x.name),
    of: <K extends RunEventName>(name: K, runId: string) =>
      events.filter((x) => x.name === name && x.runId === runId).map((x) => x.e as BusEvents[K]),
  };
}

/**
 * A runner the test drives by hand: each run waits for events pushed by the test, and rejects with the abort
 * reason when its signal fires.
 */
function manualRunner() {
  type Item = { event: RunEvent } | { end: true };
  const controls = new Map<string, { push(e: RunEvent): void; end(): void }>();
  const seen: RunInput[] = [];
  const runner: Runner = {
    async *run(inp: RunInput, signal: AbortSignal) {
      seen.push(inp);
      const items: Item[] = [];
      let wake: (() => void) | undefined;
      const add = (item: Item) => { items.push(item); wake?.(); };
      controls.set(inp.runId, {
        push: (event) => add({ event }),
        end: () => add({ end: true }),
      });
      let fail: ((reason: unknown) => void) | undefined;
      signal.addEventListener('abort', () => fail?.(signal.reason), { once: true });
      for (;;) {
        while (items.length === 0) {
          if (signal.aborted) throw signal.reason;
          await new Promise<void>((resolve, reject) => { wake = resolve; fail = reject; });
        }
        const item = items.shift()!;
        if ('end' in item) return;
        yield item.event;
      }
    },
  };
  const control = (runId: string) => {
    const c = controls.get(runId);
    assert.ok(c, `the runner was never called for ${runId}`);
    return c;
  };
  return { runner, control, seen };
}

test('record lifecycle: queued -> running -> completed, with ordered timestamps', GUARD, async () => {
  let t = 1_000;
  const h = setup({ runner: createMockRunner({ delayMs: 2 }), now: () => t++ });
  // Subscribed after the RunRegistry, so each event sees the record it has just updated.
  const states: Array<[RunEventName, string | undefined]> = [];
  for (const name of RUN_EVENTS) {
    h.bus.subscribe(name, (e: BusEvents[RunEventName]) => states.push([name, h.runs.get(e.runId)?.state]));
  }
  const record = accepted(h.submit('r1', 's1', 'hello there world'));
  assert.equal(record.runId, 'r1');
  assert.equal(record.sessionKey, 's1');
  assert.equal(record.surface, 'http');
  assert.equal(record.text, 'hello there world');

  const done = await h.runs.settled('r1');
  assert.equal(done.state, 'completed');
  assert.equal(done.reply, 'Echo: hello there world');
  assert.equal(done.error, undefined);

  const kinds = states.map(([name, state]) => `${name}:${state}`);
  assert.equal(kinds[0], 'run.queued:queued');
  assert.equal(kinds[1], 'run.started:running');
  assert.equal(kinds.at(-1), 'run.completed:completed');
  const middle = kinds.slice(2, -1);
  assert.ok(middle.length >= 2, 'the delayed mock streams several chunks');
  assert.ok(middle.every((k) => k === 'run.delta:running'), middle.join(', '));

  assert.equal(typeof done.queuedAt, 'number');
  assert.notEqual(done.startedAt, undefined, 'startedAt is set');
  assert.notEqual(done.finishedAt, undefined, 'finishedAt is set');
  assert.ok(done.queuedAt < done.startedAt!, `queuedAt ${done.queuedAt} < startedAt ${done.startedAt}`);
  assert.ok(done.startedAt! < done.finishedAt!, `startedAt ${done.startedAt} < finishedAt ${done.finishedAt}`);
  assert.deepEqual(h.calls, ['r1']);
});

test('a run queued behind another is "queued" with no startedAt until its turn', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner });
  accepted(h.submit('a', 's1'));
  const b = accepted(h.submit('b', 's1'));
  assert.equal(h.runs.get('a')?.state, 'running');
  assert.equal(b.state, 'queued');
  assert.equal(b.startedAt, undefined);
  assert.deepEqual(h.sessions.inspect('s1'), { running: 'a', runningIds: ['a'], queued: ['b'] });

  m.control('a').end();
  await until(() => h.runs.get('b')?.state === 'running');
  assert.equal(h.runs.get('a')?.state, 'completed');
  m.control('b').end();
  assert.equal((await h.runs.settled('b')).state, 'completed');
});

test('replay: a completed id in the same session answers from the record and runs nothing', GUARD, async () => {
  const h = setup();
  const ev = recordEvents(h.bus);
  accepted(h.submit('r1', 's1', 'ping'));
  const first = await h.runs.settled('r1');
  assert.equal(first.reply, 'Echo: ping');

  const again = h.submit('r1', 's1', 'ping');
  assert.equal(again.kind, 'replay');
  assert.equal((again as { record: RunRecord }).record.reply, 'Echo: ping');
  assert.equal((again as { record: RunRecord }).record.state, 'completed');

  // Push another run through the same session: if the replay had been enqueued it would run before this one.
  accepted(h.submit('r2', 's1', 'pong'));
  await h.runs.settled('r2');
  assert.deepEqual(h.calls, ['r1', 'r2']);
  assert.deepEqual(ev.names('r1').filter((n) => n === 'run.queued' || n === 'run.started'), ['run.queued', 'run.started']);
});

test('conflict: an id that is queued or running, and a completed id from another session', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner });
  accepted(h.submit('a', 's1'));
  accepted(h.submit('b', 's1'));
  assert.equal(h.runs.get('a')?.state, 'running');
  assert.equal(h.runs.get('b')?.state, 'queued');

  for (const [id, key] of [['a', 's1'], ['b', 's1'], ['a', 's2'], ['b', 's2']] as const) {
    const r = h.submit(id, key);
    assert.equal(r.kind, 'conflict', `${id} in ${key}`);
    assert.match((r as { message: string }).message, new RegExp(`"${id}"`));
  }
  assert.deepEqual(h.sessions.inspect('s1'), { running: 'a', runningIds: ['a'], queued: ['b'] }, 'conflicts enqueue nothing');
  assert.equal(h.sessions.inspect('s2'), undefined, 'a conflict does not even create the other session');

  m.control('a').end();
  await until(() => h.runs.get('b')?.state === 'running');
  m.control('b').end();
  await h.runs.settled('b');

  const other = h.submit('a', 's2');
  assert.equal(other.kind, 'conflict');
  assert.match((other as { message: string }).message, /another session/);
  assert.deepEqual(h.calls, ['a', 'b']);
  assert.equal(h.runs.get('a')?.sessionKey, 's1', 'the record is untouched');
});

test('a failed id may be re-submitted, and then runs again', GUARD, async () => {
  let attempts = 0;
  const runner: Runner = {
    async *run(inp: RunInput) {
      attempts++;
      if (attempts === 1) throw new RunError('first try fails', 'stream_error');
      yield { type: 'delta', text: `ok ${inp.text}` };
    },
  };
  const h = setup({ runner });
  accepted(h.submit('f1', 's1', 'x'));
  assert.equal((await h.runs.settled('f1')).state, 'failed');

  assert.equal(h.runs.finishedCount, 1);
  const again = accepted(h.submit('f1', 's1', 'x'));
  assert.notEqual(again.state, 'failed', 'a fresh record replaces the failed one');
  assert.equal(h.runs.finishedCount, 0, 'the old failed record is gone, not kept next to the new one');
  assert.equal(h.runs.liveCount, 1);
  const done = await h.runs.settled('f1');
  assert.equal(done.state, 'completed');
  assert.equal(done.reply, 'ok x');
  assert.equal(done.error, undefined);
  assert.deepEqual(h.calls, ['f1', 'f1']);
});

test('a cancelled id may be re-submitted (even from another session)', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner });
  accepted(h.submit('c1', 's1'));
  assert.equal(h.sessions.cancel('c1'), true);
  assert.equal(h.runs.get('c1')?.state, 'cancelled');

  const again = accepted(h.submit('c1', 's2'));
  assert.equal(again.sessionKey, 's2');
  await until(() => h.runs.get('c1')?.state === 'running');
  m.control('c1').push({ type: 'delta', text: 'second time' });
  m.control('c1').end();
  const done = await h.runs.settled('c1');
  assert.equal(done.state, 'completed');
  assert.equal(done.reply, 'second time');
  assert.deepEqual(h.calls, ['c1', 'c1']);
});

test('cancel running: the record keeps the text so far and the next message runs', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner });
  const ev = recordEvents(h.bus);
  accepted(h.submit('a', 's1'));
  accepted(h.submit('b', 's1'));
  m.control('a').push({ type: 'delta', text: 'Hello ' });
  m.control('a').push({ type: 'delta', text: 'world' });
  await until(() => h.runs.get('a')?.reply === 'Hello world');

  assert.equal(h.sessions.cancel('a'), true);
  const a = h.runs.get('a')!;
  assert.equal(a.state, 'cancelled');
  assert.equal(a.reply, 'Hello world');
  assert.notEqual(a.startedAt, undefined, 'startedAt is set');
  assert.notEqual(a.finishedAt, undefined, 'finishedAt is set');
  assert.deepEqual(ev.of('run.cancelled', 'a').map((e) => [e.reply, e.started]), [['Hello world', true]]);
  assert.equal(h.sessions.cancel('a'), false, 'a finished run cannot be cancelled again');

  await until(() => h.runs.get('b')?.state === 'running');
  m.control('b').push({ type: 'delta', text: 'B' });
  m.control('b').end();
  assert.equal((await h.runs.settled('b')).reply, 'B');
  assert.equal(h.runs.get('a')?.state, 'cancelled', 'nothing after the cancel changes the record');
  assert.deepEqual(ev.names('a').filter((n) => TERMINAL_EVENTS.has(n)), ['run.cancelled']);
});

test('cancel running with the mock model: the reply is the streamed prefix, not the whole answer', GUARD, async () => {
  const h = setup({ runner: createMockRunner({ delayMs: 3 }) });
  const text = 'one two three four five six seven eight';
  accepted(h.submit('m1', 's1', text));
  await until(() => (h.runs.get('m1')?.reply ?? '') !== '');
  const soFar = h.runs.get('m1')!.reply;
  assert.equal(h.sessions.cancel('m1'), true);
  const rec = await h.runs.settled('m1');
  assert.equal(rec.state, 'cancelled');
  assert.equal(rec.reply, soFar);
  assert.ok(`Echo: ${text}`.startsWith(rec.reply) && rec.reply.length < `Echo: ${text}`.length, rec.reply);
});

test('cancel running: whatever a runner that ignores its signal does afterwards is ignored', GUARD, async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  const ended = new Set<string>();
  const runner: Runner = {
    async *run(inp: RunInput) {
      try {
        yield { type: 'delta', text: 'before ' };
        await released; // deaf to the abort signal
        if (inp.runId === 'loud') {
          yield { type: 'delta', text: 'after' };
          yield { type: 'message', text: 'a whole new answer' };
        }
        // 'quiet' just ends normally, as if it had completed
      } finally {
        ended.add(inp.runId);
      }
    },
  };
  const h = setup({ runner });
  const ev = recordEvents(h.bus);
  accepted(h.submit('loud', 's1'));
  accepted(h.submit('quiet', 's2'));
  await until(() => h.runs.get('loud')?.reply === 'before ' && h.runs.get('quiet')?.reply === 'before ');
  assert.equal(h.sessions.cancel('loud'), true);
  assert.equal(h.sessions.cancel('quiet'), true);
  release();
  await until(() => ended.has('loud') && ended.has('quiet'));
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));

  for (const id of ['loud', 'quiet']) {
    const rec = h.runs.get(id)!;
    assert.equal(rec.state, 'cancelled', id);
    assert.equal(rec.reply, 'before ', id);
    assert.deepEqual(ev.names(id), ['run.queued', 'run.started', 'run.delta', 'run.cancelled'], id);
  }
});

test('cancel queued: cancelled, never started, no startedAt', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner });
  const ev = recordEvents(h.bus);
  accepted(h.submit('a', 's1'));
  accepted(h.submit('b', 's1'));
  accepted(h.submit('c', 's1'));

  assert.equal(h.sessions.cancel('b'), true);
  const b = h.runs.get('b')!;
  assert.equal(b.state, 'cancelled');
  assert.equal(b.startedAt, undefined);
  assert.equal(b.reply, '');
  assert.notEqual(b.finishedAt, undefined, 'finishedAt is set');
  assert.deepEqual(ev.of('run.cancelled', 'b').map((e) => e.started), [false]);
  assert.deepEqual(h.sessions.inspect('s1'), { running: 'a', runningIds: ['a'], queued: ['c'] });
  assert.equal(h.runs.get('a')?.state, 'running', 'the running run is untouched');

  m.control('a').end();
  await until(() => h.runs.get('c')?.state === 'running');
  m.control('c').end();
  await h.runs.settled('c');
  assert.deepEqual(h.calls, ['a', 'c']);
  assert.deepEqual(ev.names('b'), ['run.queued', 'run.cancelled']);
  assert.equal(h.sessions.cancel('zzz'), false, 'unknown id');
});

test('a runner that throws RunError(stream_error) fails the run; the session still runs the next message', GUARD, async () => {
  const runner: Runner = {
    async *run(inp: RunInput) {
      if (inp.runId === 'bad') {
        yield { type: 'delta', text: 'partial' };
        throw new RunError('boom', 'stream_error');
      }
      yield { type: 'delta', text: `fine: ${inp.text}` };
    },
  };
  const h = setup({ runner });
  accepted(h.submit('bad', 's1', 'one'));
  accepted(h.submit('good', 's1', 'two'));
  const bad = await h.runs.settled('bad');
  assert.equal(bad.state, 'failed');
  assert.deepEqual(bad.error, { type: 'stream_error', message: 'boom' });
  assert.equal(bad.reply, 'partial');

  const good = await h.runs.settled('good');
  assert.equal(good.state, 'completed');
  assert.equal(good.reply, 'fine: two');
  assert.deepEqual(h.calls, ['bad', 'good']);
});

test('a plain Error from the runner fails the run as internal_error', GUARD, async () => {
  const runner: Runner = {
    // biome-ignore lint/correctness/useYield: a runner that fails before its first event
    async *run() { throw new Error('kaput'); },
  };
  const h = setup({ runner });
  accepted(h.submit('x', 's1'));
  const rec = await h.runs.settled('x');
  assert.equal(rec.state, 'failed');
  assert.deepEqual(rec.error, { type: 'internal_error', message: 'kaput' });
});

test('a complete message replaces the streamed text, later chunks are ignored, usage adds up', GUARD, async () => {
  const usage = (n: number) => ({ prompt_tokens: n, completion_tokens: 2 * n, total_tokens: 3 * n });
  const runner: Runner = {
    async *run() {
      yield { type: 'delta', text: 'draft' };
      yield { type: 'usage', usage: usage(1) };
      yield { type: 'message', text: 'Final answer.' };
      yield { type: 'delta', text: ' stray chunk' };
      yield { type: 'usage', usage: usage(10) };
    },
  };
  const h = setup({ runner });
  accepted(h.submit('m', 's1'));
  const rec = await h.runs.settled('m');
  assert.equal(rec.state, 'completed');
  assert.equal(rec.reply, 'Final answer.');
  assert.deepEqual(rec.usage, usage(11));
});

test('empty reply: completed with the fallback text', GUARD, async () => {
  assert.equal(EMPTY_REPLY_FALLBACK, EXPECTED_EMPTY_FALLBACK);
  const runner: Runner = {
    async *run(inp: RunInput) {
      if (inp.runId === 'blank') yield { type: 'delta', text: '  \n ' };
      // 'empty' yields nothing at all
    },
  };
  const h = setup({ runner });
  accepted(h.submit('empty', 's1'));
  accepted(h.submit('blank', 's2'));
  for (const id of ['empty', 'blank']) {
    const rec = await h.runs.settled(id);
    assert.equal(rec.state, 'completed', id);
    assert.equal(rec.reply, EXPECTED_EMPTY_FALLBACK, id);
  }
});

test('retention by age: finished records expire after retentionMs, live ones never do', GUARD, async () => {
  let t = 0;
  const m = manualRunner();
  const h = setup({ runner: m.runner, now: () => t, retentionMs: 100, retentionMax: 100 });
  for (const id of ['a', 'b']) {
    accepted(h.submit(id, `s-${id}`));
    m.control(id).end();
    await h.runs.settled(id);
  }
  accepted(h.submit('live-running', 's-live'));
  accepted(h.submit('live-queued', 's-live'));
  assert.equal(h.runs.finishedCount, 2);
  assert.equal(h.runs.liveCount, 2);

  t = 100; // exactly retentionMs old: still kept
  assert.equal(h.runs.get('a')?.state, 'completed');
  assert.equal(h.runs.get('b')?.state, 'completed');

  t = 101;
  assert.equal(h.runs.get('a'), undefined);
  assert.equal(h.runs.finishedCount, 0, 'the lookup evicts every expired record');
  assert.equal(h.runs.get('b'), undefined);
  assert.equal(h.runs.get('live-running')?.state, 'running');
  assert.equal(h.runs.get('live-queued')?.state, 'queued');
  assert.equal(h.runs.liveCount, 2);

  // An evicted completed id is unknown again: it is accepted as a new run, not replayed.
  assert.equal(h.submit('a', 's-a').kind, 'accepted');

  // A record that finishes now is measured from its own finish time.
  t = 10_000;
  m.control('live-running').end();
  await h.runs.settled('live-running');
  t = 10_100;
  assert.equal(h.runs.get('live-running')?.state, 'completed');
  await until(() => h.runs.get('live-queued')?.state === 'running');
});

test('retention by count: only the newest retentionMax finished records are kept, live ones never evicted', GUARD, async () => {
  let t = 0;
  const m = manualRunner();
  const h = setup({ runner: m.runner, now: () => t, retentionMs: 1_000_000, retentionMax: 2 });
  // Long-lived live runs in their own session, one running and two queued.
  accepted(h.submit('live1', 's-live'));
  accepted(h.submit('live2', 's-live'));
  accepted(h.submit('live3', 's-live'));

  for (const id of ['f1', 'f2', 'f3', 'f4']) {
    t++;
    accepted(h.submit(id, 's-done'));
    await until(() => h.runs.get(id)?.state === 'running');
    m.control(id).end();
    await h.runs.settled(id);
  }
  assert.equal(h.runs.finishedCount, 2);
  assert.equal(h.runs.get('f1'), undefined);
  assert.equal(h.runs.get('f2'), undefined);
  assert.equal(h.runs.get('f3')?.state, 'completed');
  assert.equal(h.runs.get('f4')?.state, 'completed');
  assert.equal(h.runs.liveCount, 3);
  assert.deepEqual(['live1', 'live2', 'live3'].map((id) => h.runs.get(id)?.state), ['running', 'queued', 'queued']);
});

test('idle sessions are removed from the registry after idleMs', GUARD, async () => {
  const h = setup({ idleMs: 20 });
  accepted(h.submit('a', 's1'));
  accepted(h.submit('b', 's2'));
  assert.equal(h.sessions.size, 2);
  await h.runs.settled('a');
  await h.runs.settled('b');

  await until(() => h.sessions.size === 0);
  assert.equal(h.sessions.inspect('s1'), undefined);
  assert.equal(h.sessions.inspect('s2'), undefined);
  // Records outlive their session actor.
  assert.equal(h.runs.get('a')?.state, 'completed');

  // The session comes back on demand and works as before.
  accepted(h.submit('c', 's1'));
  assert.equal(h.sessions.size, 1);
  assert.equal((await h.runs.settled('c')).reply, 'Echo: message c');
  await until(() => h.sessions.size === 0);
});

test('idleMs 0: one-message sessions leave nothing behind once their runs end, with no timer to wait for', GUARD, async () => {
  // a simulated clock that never moves: an actor waiting on an idle timer would stay
  const h = setup({ idleMs: 0, clock: new SimulatedClock() });
  const keys = Array.from({ length: 300 }, (_, i) => `one-${i}`);
  for (const key of keys) accepted(h.submit(`r-${key}`, key));
  assert.equal(h.sessions.size, keys.length);
  const records = await Promise.all(keys.map((key) => h.runs.settled(`r-${key}`)));
  assert.ok(records.every((r) => r.state === 'completed'));
  await flush();
  assert.equal(h.sessions.size, 0);
  assert.equal(h.sessions.queueDepth(), 0);
  const listed = new Set(actorDirectory.list().filter((e) => e.kind === 'session').map((e) => e.id));
  assert.equal(keys.filter((k) => listed.has(k)).length, 0, 'no session actor left in the directory');
  // a queued message keeps its session until it has run
  const m = manualRunner();
  const q = setup({ runner: m.runner, idleMs: 0, clock: new SimulatedClock() });
  accepted(q.submit('first', 'busy'));
  accepted(q.submit('second', 'busy'));
  m.control('first').end();
  await q.runs.settled('first');
  await flush();
  assert.deepEqual(q.sessions.inspect('busy'), { running: 'second', runningIds: ['second'], queued: [] });
  m.control('second').end();
  await q.runs.settled('second');
  await flush();
  assert.equal(q.sessions.size, 0);
});

test('a session with a run in progress is not removed while idle time passes', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner, idleMs: 5 });
  accepted(h.submit('long', 's-busy'));
  accepted(h.submit('short', 's-quick'));
  m.control('short').end();
  await h.runs.settled('short');
  // Wait for the quick session to idle out: by then s-busy has been running for longer than idleMs.
  await until(() => h.sessions.inspect('s-quick') === undefined);
  assert.deepEqual(h.sessions.inspect('s-busy'), { running: 'long', runningIds: ['long'], queued: [] });
  assert.equal(h.sessions.size, 1);
  m.control('long').end();
  await h.runs.settled('long');
  await until(() => h.sessions.size === 0);
});

test('stopAll cancels running and queued runs in every session', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner });
  const ev = recordEvents(h.bus);
  accepted(h.submit('a', 's1'));
  accepted(h.submit('b', 's1'));
  accepted(h.submit('c', 's1'));
  accepted(h.submit('d', 's2'));
  m.control('a').push({ type: 'delta', text: 'so far' });
  await until(() => h.runs.get('a')?.reply === 'so far');

  h.sessions.stopAll();
  // Cancellation is immediate: no need to wait for the runners to wind down.
  assert.deepEqual(['a', 'b', 'c', 'd'].map((id) => h.runs.get(id)?.state), ['cancelled', 'cancelled', 'cancelled', 'cancelled']);
  const records = await Promise.all(['a', 'b', 'c', 'd'].map((id) => h.runs.settled(id)));
  assert.deepEqual(records.map((r) => r.state), ['cancelled', 'cancelled', 'cancelled', 'cancelled']);
  assert.equal(records[0].reply, 'so far');
  assert.deepEqual(['a', 'b', 'c', 'd'].map((id) => ev.of('run.cancelled', id).map((e) => e.started)),
    [[true], [false], [false], [true]]);
  assert.equal(records[1].startedAt, undefined);
  assert.equal(records[2].startedAt, undefined);
  assert.equal(h.sessions.size, 0);
  assert.equal(h.runs.liveCount, 0);
  assert.deepEqual(h.calls, ['a', 'd'], 'queued runs never reach the runner');
});

test('concurrency: 50 runs over 5 sessions run in order, one at a time per session, sessions in parallel', GUARD, async () => {
  const h = setup({ runner: createMockRunner({ delayMs: 2 }) });
  const sessions = ['s0', 's1', 's2', 's3', 's4'];
  const runningIn = new Map<string, string | null>();
  const startedOrder = new Map<string, string[]>();
  const finishedOrder = new Map<string, string[]>();
  const violations: string[] = [];
  let running = 0;
  let maxRunning = 0;
  h.bus.subscribe('run.started', (e) => {
    const cur = runningIn.get(e.sessionKey);
    if (cur) violations.push(`${e.runId} started in ${e.sessionKey} while ${cur} was running`);
    runningIn.set(e.sessionKey, e.runId);
    (startedOrder.get(e.sessionKey) ?? startedOrder.set(e.sessionKey, []).get(e.sessionKey)!).push(e.runId);
    running++;
    maxRunning = Math.max(maxRunning, running);
  });
  for (const name of ['run.completed', 'run.failed', 'run.cancelled'] as const) {
    h.bus.subscribe(name, (e) => {
      if (runningIn.get(e.sessionKey) !== e.runId) {
        violations.push(`${name} for ${e.runId}, which was not the running run of ${e.sessionKey}`);
        return;
      }
      runningIn.set(e.sessionKey, null);
      (finishedOrder.get(e.sessionKey) ?? finishedOrder.set(e.sessionKey, []).get(e.sessionKey)!).push(e.runId);
      running--;
    });
  }

  const expected = new Map<string, string[]>(sessions.map((s) => [s, []]));
  const ids: string[] = [];
  for (let i = 0; i < 50; i++) {
    const key = sessions[i % sessions.length];
    const id = `run-${String(i).padStart(2, '0')}`;
    ids.push(id);
    expected.get(key)!.push(id);
    accepted(h.submit(id, key, `m${i} words`));
  }
  const records = await Promise.all(ids.map((id) => h.runs.settled(id)));

  assert.deepEqual(violations, []);
  assert.deepEqual(records.filter((r) => r.state !== 'completed').map((r) => r.runId), []);
  records.forEach((r, i) => { assert.equal(r.reply, `Echo: m${i} words`); });
  for (const key of sessions) {
    assert.deepEqual(startedOrder.get(key), expected.get(key), `start order in ${key}`);
    assert.deepEqual(finishedOrder.get(key), expected.get(key), `finish order in ${key}`);
  }
  // Each session's first run starts as soon as it is submitted, so all five sessions were running together.
  assert.equal(maxRunning, sessions.length, 'different sessions run at the same time');
  assert.equal(running, 0);
  assert.equal(h.calls.length, 50);
});

// ---- accept / start, queue modes, bounded queue, run deadline ----

test('accept records the run (run.queued) without running it; start runs it; submit is both', GUARD, async () => {
  const h = setup();
  const ev = recordEvents(h.bus);
  const r = h.sessions.accept({ runId: 'a', origin: { surface: 'ws', connId: 'c1' }, input: input('a', 's1', 'hi') });
  assert.equal(r.kind, 'accepted');
  assert.equal(h.runs.get('a')?.state, 'queued');
  assert.deepEqual(ev.names('a'), ['run.queued']);
  assert.equal(h.sessions.inspect('s1'), undefined, 'no session actor yet');
  assert.equal(h.sessions.accept({ runId: 'a', origin: { surface: 'ws', connId: 'c1' }, input: input('a', 's1', 'hi') }).kind, 'conflict', 'an accepted id is in flight');

  assert.equal(h.sessions.start('a'), true);
  assert.equal(h.sessions.start('a'), false, 'started once');
  assert.equal((await h.runs.settled('a')).reply, 'Echo: hi');
  assert.deepEqual(h.calls, ['a']);
  assert.equal(h.sessions.start('never-accepted'), false);
});

test('an accepted run cancelled before start never runs', GUARD, async () => {
  const h = setup();
  h.sessions.accept({ runId: 'a', origin: { surface: 'ws', connId: 'c1' }, input: input('a', 's1', 'hi') });
  assert.equal(h.sessions.cancel('a'), true);
  assert.equal(h.runs.get('a')?.state, 'cancelled');
  assert.equal(h.sessions.start('a'), false);
  assert.deepEqual(h.calls, []);
});

test('bounded queue: over maxQueue waiting messages is refused, nothing recorded, nothing evicted', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner, maxQueue: 2 });
  const ev = recordEvents(h.bus);
  accepted(h.submit('a', 's1')); // running: does not count
  accepted(h.submit('b', 's1'));
  accepted(h.submit('c', 's1', 'x', 'collect'));
  const full = h.submit('d', 's1');
  assert.deepEqual(full, { kind: 'full', queued: 2, max: 2, message: 'session s1 has 2 queued runs (max 2)' });
  assert.equal(h.submit('e', 's1', 'x', 'collect').kind, 'full', 'merged messages count one by one');
  assert.equal(h.runs.get('d'), undefined);
  assert.deepEqual(ev.names('d'), []);
  assert.deepEqual(h.sessions.inspect('s1'), { running: 'a', runningIds: ['a'], queued: ['b', 'c'] });
  accepted(h.submit('other', 's2')); // per session

  // interrupt is not refused: it replaces the running run
  accepted(h.submit('i', 's1', 'x', 'interrupt'));
  assert.equal(h.runs.get('a')?.state, 'cancelled');
  assert.deepEqual(h.sessions.inspect('s1'), { running: 'i', runningIds: ['i'], queued: ['b', 'c'] });

  m.control('i').end();
  await until(() => h.runs.get('b')?.state === 'running');
  accepted(h.submit('d', 's1')); // room again: the same id is accepted now
  for (const id of ['b', 'c', 'd']) {
    await until(() => h.runs.get(id)?.state === 'running');
    m.control(id).end();
    await h.runs.settled(id);
  }
  assert.deepEqual(h.calls, ['a', 'other', 'i', 'b', 'c', 'd']);
});

test('collect: the merged turn runs once; every collected request completes with the same reply', GUARD, async () => {
  const m = manualRunner();
  const h = setup({ runner: m.runner });
  const ev = recordEvents(h.bus);
  accepted(h.submit('a', 's1', 'first'));
  accepted(h.submit('b', 's1', 'second', 'collect'));
  accepted(h.submit('c', 's1', 'third', 'collect'));
  assert.deepEqual(h.sessions.inspect('s1'), { running: 'a', runningIds: ['a'], queued: ['b', 'c'] });
  m.control('a').end();
  await until(() => h.runs.get('b')?.state === 'running' && h.runs.get('c')?.state === 'running');
  assert.deepEqual(h.sessions.inspect('s1'), { running: 'b', runningIds: ['b', 'c'], queued: [] });
  assert.equal(m.seen[1].text, 'second\n\nthird', 'one runner call with both texts');
  assert.equal(m.seen[1].runId, 'b');
  m.control('b').push({ type: 'delta', text: 'both ' });
  m.control('b').push({ type: 'delta', text: 'answered' });
  m.control('b').end();
  const [b, c] = await Promise.all([h.runs.settled('b'), h.runs.settled('c')]);
  assert.deepEqual([b.state, b.reply, c.state, c.reply], ['completed', 'both answered', 'completed', 'both answered']);
  assert.deepEqual(h.calls, ['a', 'b']);
  for (const id of ['b', 'c']) {
    assert.deepEqual(ev.names(id), ['run.queued', 'run.started', 'run.delta', 'run.delta', 'run.completed'], id);
    assert.deepEqual(ev.of('run.completed', id)[0].turn, { leadRunId: 'b', runIds: ['b', 'c'] });
  }
  assert.equal(ev.of('run.completed', 'a')[0].turn, undefined, 'a plain run carries no turn');
});

test('run deadline: a stuck run fails with error type timeout and the next message runs', GUARD, async () => {
  // the deadline is real time here (the machine test drives it with a SimulatedClock); the runner never yields
  const stuck: Runner = {
    async *run(inp: RunInput, signal: AbortSignal) {
      if (inp.runId === 'stuck') {
        await new Promise<void>(() => {}); // deaf to everything
      }
      yield { type: 'delta', text: `ok ${inp.text}` };
      void signal;
    },
  };
  const h = setup({ runner: stuck, runTimeoutMs: 30 });
  const ev = recordEvents(h.bus);
  accepted(h.submit('stuck', 's1'));
  accepted(h.submit('next', 's1', 'go'));
  const rec = await h.runs.settled('stuck');
  assert.equal(rec.state, 'failed');
  assert.equal(rec.error?.type, 'timeout');
  assert.match(rec.error!.message, /deadline of 30 ms/);
  assert.deepEqual(ev.names('stuck'), ['run.queued', 'run.started', 'run.failed'], 'failed, never also cancelled');
  assert.equal((await h.runs.settled('next')).reply, 'ok go');
  assert.equal(h.sessions.abortReason('stuck'), undefined, 'the reason was consumed');
});
