import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { __unsafe_getAllOwnEventDescriptors, createActor, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import { getShortestPaths, type StatePath } from '@xstate/graph';
import {
  BACKOFF,
  channelMachine,
  channelStateOf,
  reconnectDelay,
  STOP_GRACE_MS,
  type BackoffPolicy,
  type ChannelAccountRef,
  type ChannelEvent,
  type ChannelMachineInput,
  type ChannelSnapshot,
  type LeaseAcquireOutput,
  type PrepareOutput,
  type TransportEvent,
  type TransportInput,
} from '../../src/machines/channel.js';
import { CHANNELS, type ChannelName, type ChannelState } from '../../src/core/channel.js';
import { flush } from '../helpers/wait.js';

// Unit tests of the pure channel account machine (channels.md §1.3, C1). The channel's actors are fakes: prepare
// and shutdown are promises the test settles by hand, the transport and login watcher record their lifetimes;
// the test itself sends what a transport would send back. Time is a SimulatedClock, so every delay is exact.

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): { promise: Promise<T> } & Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** An actor with fake channel logic, the lifetimes of its invoked children recorded. */
function harness(channel: ChannelName = 'telegram', random: () => number = () => 0, backoff: BackoffPolicy = BACKOFF[channel], lease?: { retryMs: number }) {
  const clock = new SimulatedClock();
  const prepares: Deferred<PrepareOutput>[] = [];
  const leaseAsks: Deferred<LeaseAcquireOutput>[] = [];
  const shutdowns: Deferred<void>[] = [];
  const transports: { input: TransportInput; disposed: boolean; sendBack: (event: TransportEvent) => void }[] = [];
  const loginWatches: { input: ChannelAccountRef; disposed: boolean }[] = [];
  const logic = channelMachine.provide({
    actors: {
      prepare: fromPromise<PrepareOutput, ChannelAccountRef>(() => {
        const d = deferred<PrepareOutput>();
        prepares.push(d);
        return d.promise;
      }),
      transport: fromCallback<TransportEvent, TransportInput>(({ input, sendBack }) => {
        const record = { input, disposed: false, sendBack };
        transports.push(record);
        return () => { record.disposed = true; };
      }),
      loginWatch: fromCallback<TransportEvent, ChannelAccountRef>(({ input }) => {
        const record = { input, disposed: false };
        loginWatches.push(record);
        return () => { record.disposed = true; };
      }),
      shutdown: fromPromise<void, ChannelAccountRef>(() => {
        const d = deferred<void>();
        shutdowns.push(d);
        return d.promise;
      }),
      leaseAcquire: fromPromise<LeaseAcquireOutput, ChannelAccountRef>(() => {
        const d = deferred<LeaseAcquireOutput>();
        leaseAsks.push(d);
        return d.promise;
      }),
    },
  });
  const input: ChannelMachineInput = { channel, accountId: 'default', backoff, random, ...(lease ? { lease } : {}) };
  const actor = createActor(logic, { input, clock });
  actor.start();
  const h = {
    clock, actor, prepares, shutdowns, transports, loginWatches, leaseAsks,
    send: (event: ChannelEvent) => actor.send(event),
    state: (): ChannelState => channelStateOf(actor.getSnapshot()),
    context: () => actor.getSnapshot().context,
    /** START, then prepare answers `output`. */
    async start(output: PrepareOutput = {}) {
      actor.send({ type: 'START' });
      prepares.at(-1)!.resolve(output);
      await flush();
    },
    /** Up to `online`. */
    async online() {
      await h.start();
      actor.send({ type: 'transport.online' });
    },
  };
  return h;
}

const TELEGRAM_U0 = [2000, 3600, 6480, 11664, 20995, 30_000, 30_000, 30_000];

test('reconnectDelay: the C1 sequence for Telegram, capped at 30 s; Signal starts at 1 s', () => {
  assert.deepEqual(TELEGRAM_U0.map((_, i) => reconnectDelay(i + 1, BACKOFF.telegram, 0)), TELEGRAM_U0);
  assert.deepEqual([1, 2, 3].map((n) => reconnectDelay(n, BACKOFF.signal, 0)), [1000, 1800, 3240]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => reconnectDelay(n, BACKOFF.telegram, 1)), [2500, 4500, 8100, 14_580, 26_244, 30_000]);
  assert.equal(BACKOFF.whatsapp.maxAttempts, 12);
  assert.equal(BACKOFF.telegram.maxAttempts, undefined);
  assert.equal(BACKOFF.signal.maxAttempts, undefined);
});

test('reconnectDelay: jitter only lengthens, by at most 25 %, and never passes the cap', () => {
  fc.assert(fc.property(
    fc.constantFrom(...CHANNELS), fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }),
    (channel, attempt, u) => {
      const policy = BACKOFF[channel];
      const base = reconnectDelay(attempt, policy, 0);
      const delay = reconnectDelay(attempt, policy, u);
      const most = reconnectDelay(attempt, policy, 1);
      assert.ok(Number.isInteger(delay), `${delay} is whole milliseconds`);
      assert.ok(base <= delay && delay <= most, `${base} ≤ ${delay} ≤ ${most}`);
      assert.ok(most <= Math.min(policy.maxMs, Math.round(base * 1.25) + 1), `${most} ≤ 1.25 · ${base}, capped`);
    },
  ), { seed: 42, numRuns: 500 });
});

test('reconnectDelay: a bad attempt or jitter sample is a RangeError', () => {
  for (const attempt of [0, -1, 1.5, Number.NaN]) assert.throws(() => reconnectDelay(attempt, BACKOFF.telegram, 0), RangeError);
  for (const u of [-0.1, 1.1, Number.NaN]) assert.throws(() => reconnectDelay(1, BACKOFF.telegram, u), RangeError);
});

test('backoff: Telegram waits 2000, 3600, 6480 … 30 000 (u = 0), nothing fires 1 ms early, retries forever', async () => {
  const h = harness('telegram');
  await h.start();
  assert.equal(h.state(), 'connecting');
  for (const [i, delay] of TELEGRAM_U0.entries()) {
    h.send({ type: 'transport.down', error: `ETIMEDOUT ${i + 1}` });
    assert.equal(h.state(), 'backoff');
    assert.equal(h.context().reconnectAttempts, i + 1);
    assert.equal(h.context().lastError, `ETIMEDOUT ${i + 1}`);
    h.clock.increment(delay - 1);
    assert.equal(h.state(), 'backoff', `attempt ${i + 1}: still waiting 1 ms before ${delay}`);
    h.clock.increment(1);
    assert.equal(h.state(), 'connecting', `attempt ${i + 1}: reconnects at ${delay}`);
    assert.equal(h.transports.length, i + 2);
    assert.equal(h.transports.at(-1)!.input.attempt, i + 1, 'the transport is told which reconnect this is');
    assert.ok(h.transports.at(-2)!.disposed, 'the failed transport was disposed');
  }
});

test('backoff: with u near 1 each delay is 1.25 × the base until the cap, and still nothing fires early', async () => {
  const u = 0.999_999;
  const h = harness('telegram', () => u);
  await h.start();
  const jittered = [2500, 4500, 8100, 14_580, 26_244, 30_000, 30_000];
  for (const [i, delay] of jittered.entries()) {
    assert.equal(reconnectDelay(i + 1, BACKOFF.telegram, u), delay);
    h.send({ type: 'transport.down', error: 'ECONNRESET' });
    h.clock.increment(delay - 1);
    assert.equal(h.state(), 'backoff', `attempt ${i + 1}: still waiting 1 ms before ${delay}`);
    h.clock.increment(1);
    assert.equal(h.state(), 'connecting', `attempt ${i + 1} at ${delay}`);
  }
});

test('backoff: WhatsApp gives up after 12 consecutive failures; START recovers with a fresh budget', async () => {
  const h = harness('whatsapp');
  await h.start();
  for (let n = 1; n <= 12; n++) {
    h.send({ type: 'transport.down', error: 'connection closed (428)' });
    assert.equal(h.state(), 'backoff', `failure ${n} backs off`);
    h.clock.increment(reconnectDelay(n, BACKOFF.whatsapp, 0));
    assert.equal(h.state(), 'connecting');
  }
  h.send({ type: 'transport.down', error: 'connection closed (428)' });
  assert.equal(h.state(), 'failed');
  assert.equal(h.context().lastError, 'reconnect attempts exhausted (12)');
  assert.equal(h.context().reconnectAttempts, 12);
  assert.equal(h.transports.length, 13);
  assert.ok(h.transports.at(-1)!.disposed);
  h.clock.increment(10 * BACKOFF.whatsapp.maxMs);
  assert.equal(h.state(), 'failed', 'no timer left in failed');
  await h.start();
  assert.equal(h.state(), 'connecting');
  assert.equal(h.context().reconnectAttempts, 0);
  h.send({ type: 'transport.down', error: 'connection closed (408)' });
  assert.equal(h.state(), 'backoff');
});

test('backoff: reconnectAttempts and lastError reset on online; the next outage starts again at 2 s', async () => {
  const h = harness('telegram');
  await h.start();
  for (let n = 1; n <= 3; n++) {
    h.send({ type: 'transport.down', error: '409 Conflict: terminated by other getUpdates request' });
    h.clock.increment(reconnectDelay(n, BACKOFF.telegram, 0));
  }
  assert.equal(h.context().reconnectAttempts, 3);
  assert.match(h.context().lastError ?? '', /409/, 'lastError kept while connecting');
  h.send({ type: 'transport.online' });
  assert.equal(h.state(), 'online');
  assert.equal(h.context().reconnectAttempts, 0);
  assert.equal(h.context().lastError, null);
  h.send({ type: 'transport.down', error: 'socket hang up' });
  h.clock.increment(1999);
  assert.equal(h.state(), 'backoff');
  h.clock.increment(1);
  assert.equal(h.state(), 'connecting');
});

test('fatal: transport.fatal → failed with the error, no retry; START recovers', async () => {
  const h = harness('telegram');
  await h.online();
  h.send({ type: 'transport.fatal', error: '401 Unauthorized: the bot token was rejected' });
  assert.equal(h.state(), 'failed');
  assert.equal(h.context().lastError, '401 Unauthorized: the bot token was rejected');
  assert.ok(h.transports[0]!.disposed);
  h.clock.increment(60_000);
  assert.equal(h.state(), 'failed');
  assert.equal(h.transports.length, 1, 'no reconnect from failed');
  await h.start();
  assert.equal(h.state(), 'connecting');
  assert.equal(h.prepares.length, 2, 'START prepares again');
  h.send({ type: 'transport.online' });
  assert.equal(h.state(), 'online');
  assert.equal(h.context().lastError, null);
});

test('starting: a failing prepare → failed with its message; needsLogin → needsLogin until credentials appear', async () => {
  const h = harness('whatsapp');
  h.send({ type: 'START' });
  assert.equal(h.state(), 'starting');
  assert.equal(h.transports.length, 0);
  h.prepares[0]!.reject(new Error('cannot load the auth state'));
  await flush();
  assert.equal(h.state(), 'failed');
  assert.equal(h.context().lastError, 'cannot load the auth state');

  await h.start({ needsLogin: true, error: 'not linked' });
  assert.equal(h.state(), 'needsLogin');
  assert.equal(h.context().lastError, 'not linked');
  assert.equal(h.loginWatches.length, 1);
  assert.equal(h.transports.length, 0, 'no transport without credentials');
  h.send({ type: 'credentials.ready' });
  assert.equal(h.state(), 'connecting');
  assert.ok(h.loginWatches[0]!.disposed);
  h.send({ type: 'transport.online' });
  h.send({ type: 'transport.needsLogin', error: 'logged out (401)' });
  assert.equal(h.state(), 'needsLogin');
  assert.equal(h.context().lastError, 'logged out (401)');
  assert.ok(h.transports[0]!.disposed);
  assert.equal(h.loginWatches.length, 2);
});

test('transport: connecting → online keeps the one transport; transport.restart replaces it without counting', async () => {
  const h = harness('whatsapp');
  await h.start();
  assert.equal(h.transports.length, 1);
  h.send({ type: 'transport.online' });
  assert.equal(h.state(), 'online');
  assert.equal(h.transports.length, 1, 'not restarted on connecting → online');
  assert.equal(h.transports[0]!.disposed, false);

  h.send({ type: 'transport.down', error: 'stream errored' });
  h.clock.increment(reconnectDelay(1, BACKOFF.whatsapp, 0));
  assert.equal(h.context().reconnectAttempts, 1);
  h.send({ type: 'transport.restart' });
  assert.equal(h.state(), 'connecting');
  assert.equal(h.transports.length, 3, 'a new transport at once');
  assert.ok(h.transports[1]!.disposed, 'the old one disposed');
  assert.equal(h.context().reconnectAttempts, 1, 'a restart is not an attempt');
  assert.equal(h.transports[2]!.input.attempt, 1);
  h.send({ type: 'transport.online' });
  h.send({ type: 'transport.restart' });
  assert.equal(h.state(), 'connecting', 'from online as well');
  assert.equal(h.transports.length, 4);
  assert.equal(h.context().reconnectAttempts, 0);
});

test('transport: events from a disposed transport are ignored; the live one is heard', async () => {
  const h = harness('telegram');
  await h.start();
  h.transports[0]!.sendBack({ type: 'transport.online' });
  assert.equal(h.state(), 'online', 'the transport reports through sendBack');
  h.send({ type: 'transport.restart' });
  h.transports[0]!.sendBack({ type: 'transport.down', error: 'late close of the old socket' });
  assert.equal(h.state(), 'connecting');
  assert.equal(h.context().reconnectAttempts, 0);
  h.transports[1]!.sendBack({ type: 'transport.down', error: 'refused' });
  assert.equal(h.state(), 'backoff');
});

/** Drives a fresh actor to `state`. */
async function reach(state: Exclude<ChannelState, 'standby'>) {
  const h = harness('telegram');
  const steps: Record<Exclude<ChannelState, 'standby'>, () => Promise<void> | void> = {
    stopped: () => undefined,
    starting: () => { h.send({ type: 'START' }); },
    needsLogin: () => h.start({ needsLogin: true, error: 'not linked' }),
    connecting: () => h.start(),
    online: () => h.online(),
    backoff: async () => { await h.start(); h.send({ type: 'transport.down', error: 'down' }); },
    failed: async () => { await h.start(); h.send({ type: 'transport.fatal', error: '401' }); },
    stopping: async () => { await h.online(); h.send({ type: 'STOP' }); },
  };
  await steps[state]();
  assert.equal(h.state(), state);
  return h;
}

test('STOP: from every running state → stopping → stopped once shutdown settles, every child disposed', async () => {
  for (const from of ['starting', 'needsLogin', 'connecting', 'online', 'backoff', 'failed'] as const) {
    const h = await reach(from);
    h.send({ type: 'STOP' });
    assert.equal(h.state(), 'stopping', `STOP from ${from}`);
    assert.ok(h.transports.every((t) => t.disposed) && h.loginWatches.every((w) => w.disposed), `${from}: children disposed`);
    assert.equal(h.shutdowns.length, 1);
    h.send({ type: 'STOP' });
    h.send({ type: 'START' });
    assert.equal(h.state(), 'stopping', 'stopping ignores STOP and START');
    h.shutdowns[0]!.resolve();
    await flush();
    assert.equal(h.state(), 'stopped', `${from} → stopped`);
    h.clock.increment(10 * STOP_GRACE_MS);
    assert.equal(h.state(), 'stopped', `${from}: no timer fires after stopped`);
    assert.equal(h.transports.filter((t) => !t.disposed).length, 0);
  }
});

test('STOP: stopped ignores it; a failing shutdown still ends in stopped', async () => {
  const h = await reach('stopped');
  h.send({ type: 'STOP' });
  assert.equal(h.state(), 'stopped');
  assert.equal(h.shutdowns.length, 0);
  const g = await reach('stopping');
  g.shutdowns[0]!.reject(new Error('close failed'));
  await flush();
  assert.equal(g.state(), 'stopped');
});

test('STOP: stopping is bounded at 15 s when shutdown never settles', async () => {
  const h = await reach('stopping');
  h.clock.increment(STOP_GRACE_MS - 1);
  assert.equal(h.state(), 'stopping');
  h.clock.increment(1);
  assert.equal(h.state(), 'stopped');
  h.send({ type: 'START' });
  assert.equal(h.state(), 'starting', 'and it starts again');
});

test('channelStateOf flattens the nested live state', async () => {
  const h = await reach('online');
  assert.deepEqual(h.actor.getSnapshot().value, { live: 'online' });
  assert.equal(channelStateOf(h.actor.getSnapshot()), 'online');
  assert.equal(channelStateOf({ value: 'backoff' }), 'backoff');
});

test('lease (cluster mode): START waits in standby, asking every retryMs, and starts once the lease is held', async () => {
  const h = harness('telegram', () => 0, BACKOFF.telegram, { retryMs: 5000 });
  h.send({ type: 'START' });
  assert.equal(h.state(), 'standby');
  assert.equal(h.prepares.length, 0, 'nothing runs without the lease');
  h.leaseAsks[0]!.resolve({ acquired: false, owner: 'gw-b' });
  await flush();
  assert.equal(h.state(), 'standby');
  assert.equal(h.context().leaseOwner, 'gw-b', 'standby names the holder');
  h.clock.increment(4999);
  assert.equal(h.leaseAsks.length, 1);
  h.clock.increment(1);
  assert.equal(h.leaseAsks.length, 2, 'asks again after retryMs');
  h.leaseAsks[1]!.reject(new Error('nats unreachable'));
  await flush();
  assert.equal(h.state(), 'standby');
  assert.equal(h.context().lastError, 'lease: nats unreachable');
  h.clock.increment(5000);
  h.leaseAsks[2]!.resolve({ acquired: true });
  await flush();
  assert.equal(h.state(), 'starting');
  assert.equal(h.context().leaseOwner, null);
  h.prepares[0]!.resolve({});
  await flush();
  h.send({ type: 'transport.online' });
  assert.equal(h.state(), 'online');
});

test('lease (cluster mode): lease.lost from every running state disposes the transport at once and goes to standby', async () => {
  const running = {
    starting: async (h: ReturnType<typeof harness>) => { h.send({ type: 'START' }); h.leaseAsks.at(-1)!.resolve({ acquired: true }); await flush(); },
    needsLogin: async (h: ReturnType<typeof harness>) => { await running.starting(h); h.prepares.at(-1)!.resolve({ needsLogin: true }); await flush(); },
    connecting: async (h: ReturnType<typeof harness>) => { await running.starting(h); h.prepares.at(-1)!.resolve({}); await flush(); },
    online: async (h: ReturnType<typeof harness>) => { await running.connecting(h); h.send({ type: 'transport.online' }); },
    backoff: async (h: ReturnType<typeof harness>) => { await running.connecting(h); h.send({ type: 'transport.down', error: 'down' }); },
  };
  for (const [state, reachIt] of Object.entries(running)) {
    const h = harness('telegram', () => 0, BACKOFF.telegram, { retryMs: 1000 });
    await reachIt(h);
    assert.equal(h.state(), state);
    h.send({ type: 'lease.lost' });
    assert.equal(h.state(), 'standby', `lease.lost from ${state}`);
    assert.ok(h.transports.every((t) => t.disposed) && h.loginWatches.every((w) => w.disposed), `${state}: children disposed`);
    assert.equal(h.shutdowns.length, 0, 'nothing to shut down: the account asks for the lease again');
    assert.equal(h.leaseAsks.length, 2, 'standby asks again at once');
    h.send({ type: 'STOP' });
    assert.equal(h.state(), 'stopped', 'STOP in standby: nothing runs, stopped at once');
  }
});

test('lease: without cluster mode lease.lost changes nothing, and a failed account in cluster mode restarts through standby', async () => {
  const h = await reach('online');
  h.send({ type: 'lease.lost' });
  assert.equal(h.state(), 'online');
  const c = harness('telegram', () => 0, BACKOFF.telegram, { retryMs: 1000 });
  c.send({ type: 'START' });
  c.leaseAsks[0]!.resolve({ acquired: true });
  await flush();
  c.prepares[0]!.resolve({});
  await flush();
  c.send({ type: 'transport.fatal', error: '401' });
  assert.equal(c.state(), 'failed');
  c.send({ type: 'START' });
  assert.equal(c.state(), 'standby');
});

// Model-based (acceptance 2, spec X5): @xstate/graph's shortest paths over the machine, offered in each state
// the events that state handles (done/error events of its invoked actors and its delayed events included).

type Snap = ChannelSnapshot;
type GraphEvent = { type: string; output?: PrepareOutput; error?: unknown };
const ALL_STATES: ChannelState[] = ['stopped', 'starting', 'needsLogin', 'connecting', 'online', 'backoff', 'failed', 'stopping'];

function sampleEvents(snapshot: Snap): ChannelEvent[] {
  const out: GraphEvent[] = [];
  for (const type of __unsafe_getAllOwnEventDescriptors(snapshot)) {
    if (type === 'xstate.done.actor.prepare') out.push({ type, output: {} }, { type, output: { needsLogin: true, error: 'not linked' } });
    else if (type.startsWith('xstate.done.actor.')) out.push({ type });
    else if (type.startsWith('xstate.error.actor.')) out.push({ type, error: new Error('crashed') });
    else if (type.startsWith('xstate.after.')) out.push({ type });
    else if (type === 'transport.restart' || type === 'transport.online' || type === 'credentials.ready' || type === 'START' || type === 'STOP') out.push({ type });
    else out.push({ type, error: `${type} error` });
  }
  return out as ChannelEvent[];
}

const graphOptions = {
  input: { channel: 'whatsapp', accountId: 'default', backoff: BACKOFF.whatsapp, random: () => 0 } satisfies ChannelMachineInput,
  events: sampleEvents,
  serializeState: (s: Snap) => JSON.stringify(s.value),
};

/** Replays a path's events against a real actor (settling the fakes, advancing the clock); returns its state. */
async function replay(path: StatePath<Snap, ChannelEvent>): Promise<ChannelState> {
  const h = harness('whatsapp');
  for (const step of path.steps) {
    const event = step.event as GraphEvent;
    if (event.type === 'xstate.init') continue;
    if (event.type === 'xstate.done.actor.prepare') h.prepares.at(-1)!.resolve(event.output!);
    else if (event.type === 'xstate.error.actor.prepare') h.prepares.at(-1)!.reject(event.error);
    else if (event.type === 'xstate.done.actor.shutdown') h.shutdowns.at(-1)!.resolve();
    else if (event.type === 'xstate.error.actor.shutdown') h.shutdowns.at(-1)!.reject(event.error);
    else if (event.type.startsWith('xstate.after.')) h.clock.increment(Math.max(STOP_GRACE_MS, BACKOFF.whatsapp.maxMs));
    else h.send(event as ChannelEvent);
    await flush();
    assert.equal(h.state(), channelStateOf(step.state), `after ${event.type}`);
  }
  return h.state();
}

test('graph: shortest paths reach all eight states, and each replays on a real actor', async () => {
  const paths = getShortestPaths(channelMachine, graphOptions) as StatePath<Snap, ChannelEvent>[];
  const reached = new Set(paths.map((p) => channelStateOf(p.state)));
  assert.deepEqual([...reached].sort(), [...ALL_STATES].sort());
  for (const path of paths) assert.equal(await replay(path), channelStateOf(path.state));
});
