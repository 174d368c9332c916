import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, SimulatedClock } from 'xstate';
import {
  MAX_NOT_READY_RETRIES, nodeMachine, surfaceCovers, type InvokeOutcome, type NodeEmitted, type NodeInvokeRequest,
  type NodeSurface,
} from '../../src/machines/node.js';

// Unit tests of the pure node machine, driven by events alone. Deadlines and retry spacing are delayed
// events on a SimulatedClock, so every timing case is exact and nothing depends on real time.

const CANVAS: NodeSurface = { caps: ['canvas'], commands: ['canvas.present'], permissions: {} };
const RETRY_MS = 100;

function harness(o: { declared?: NodeSurface; approved?: NodeSurface | null } = {}) {
  const clock = new SimulatedClock();
  const actor = createActor(nodeMachine, {
    input: { nodeId: 'n1', declared: o.declared ?? CANVAS, approved: o.approved === undefined ? CANVAS : o.approved, retryDelayMs: RETRY_MS },
    clock,
  });
  const emitted: NodeEmitted[] = [];
  actor.on('*', (e) => emitted.push(e as NodeEmitted));
  actor.start();
  const requests = () => emitted.filter((e): e is Extract<NodeEmitted, { type: 'request' }> => e.type === 'request').map((e) => e.request);
  const settled = () => emitted.filter((e): e is Extract<NodeEmitted, { type: 'settled' }> => e.type === 'settled');
  const invoke = (id: string, deadlineMs = 1_000, extra: { params?: unknown; stream?: boolean; idempotencyKey?: string } = {}) =>
    actor.send({ type: 'INVOKE', id, command: 'canvas.present', deadlineMs, now: clock.now(), ...extra });
  const result = (id: string, r: { ok: boolean; payload?: unknown; error?: { code?: string; message?: string } }) =>
    actor.send({ type: 'RESULT', id, ...r, now: clock.now() });
  const state = () => actor.getSnapshot().value;
  const pending = () => Object.keys(actor.getSnapshot().context.pending);
  return { actor, clock, emitted, requests, settled, invoke, result, state, pending };
}

const outcomeOf = (h: ReturnType<typeof harness>, id: string): InvokeOutcome | undefined => h.settled().find((s) => s.id === id)?.outcome;

describe('surfaceCovers', () => {
  test('declaring nothing needs no approval', () => {
    assert.equal(surfaceCovers(null, { caps: [], commands: [], permissions: { camera: false } }), true);
  });
  test('anything declared needs an approval', () => {
    assert.equal(surfaceCovers(null, CANVAS), false);
  });
  test('a subset of the approval is covered', () => {
    assert.equal(surfaceCovers({ caps: ['canvas', 'camera'], commands: ['canvas.present', 'camera.list'], permissions: {} }, CANVAS), true);
  });
  test('a new cap, command or granted permission is wider', () => {
    assert.equal(surfaceCovers(CANVAS, { ...CANVAS, caps: ['canvas', 'screen'] }), false);
    assert.equal(surfaceCovers(CANVAS, { ...CANVAS, commands: ['canvas.present', 'canvas.hide'] }), false);
    assert.equal(surfaceCovers(CANVAS, { ...CANVAS, permissions: { camera: true } }), false);
  });
  test('a permission declared as not granted is not wider', () => {
    assert.equal(surfaceCovers(CANVAS, { ...CANVAS, permissions: { camera: false } }), true);
  });
});

describe('approval', () => {
  test('starts approved when the stored approval covers the declared surface', () => {
    assert.equal(harness().state(), 'approved');
  });

  test('starts pending without an approval, or with a narrower one', () => {
    assert.equal(harness({ approved: null }).state(), 'pendingApproval');
    assert.equal(harness({ declared: { ...CANVAS, commands: ['canvas.present', 'canvas.hide'] } }).state(), 'pendingApproval');
  });

  test('while pending an invocation settles at once as pairing-changed, and nothing is sent', () => {
    const h = harness({ approved: null });
    h.invoke('i1');
    assert.deepEqual(h.requests(), []);
    assert.deepEqual(outcomeOf(h, 'i1'), { ok: false, cause: 'pairing', dispatched: false });
  });

  test('APPROVED with a covering surface makes the node invocable', () => {
    const h = harness({ approved: null });
    h.actor.send({ type: 'APPROVED', surface: CANVAS });
    assert.equal(h.state(), 'approved');
    assert.deepEqual(h.actor.getSnapshot().context.approved, CANVAS);
    h.invoke('i1');
    assert.equal(h.requests().length, 1);
  });

  test('APPROVED with a surface that still does not cover the declaration stays pending', () => {
    const h = harness({ approved: null, declared: { ...CANVAS, caps: ['canvas', 'screen'] } });
    h.actor.send({ type: 'APPROVED', surface: CANVAS });
    assert.equal(h.state(), 'pendingApproval');
    assert.deepEqual(h.actor.getSnapshot().context.approved, CANVAS);
  });

  test('REVOKED settles what is in flight as pairing-changed and refuses later invocations', () => {
    const h = harness();
    h.invoke('i1');
    h.actor.send({ type: 'REVOKED' });
    assert.equal(h.state(), 'pendingApproval');
    assert.equal(h.actor.getSnapshot().context.approved, null);
    assert.deepEqual(outcomeOf(h, 'i1'), { ok: false, cause: 'pairing', dispatched: true });
    h.invoke('i2');
    assert.deepEqual(outcomeOf(h, 'i2'), { ok: false, cause: 'pairing', dispatched: false });
    h.clock.increment(5_000);
    assert.equal(h.settled().length, 2, 'the revoked invocation\'s deadline no longer fires');
  });
});

describe('invocations', () => {
  test('INVOKE sends node.invoke.request with the params as JSON, the deadline and the idempotency key', () => {
    const h = harness();
    h.invoke('i1', 5_000, { params: { url: 'https://example.test/' }, idempotencyKey: 'k1' });
    assert.deepEqual(h.requests(), [{
      id: 'i1', nodeId: 'n1', command: 'canvas.present', paramsJSON: '{"url":"https://example.test/"}', timeoutMs: 5_000, idempotencyKey: 'k1',
    } satisfies NodeInvokeRequest]);
    assert.deepEqual(h.pending(), ['i1']);
  });

  test('without params no paramsJSON is sent', () => {
    const h = harness();
    h.invoke('i1');
    assert.equal('paramsJSON' in h.requests()[0], false);
  });

  test('a repeated invocation id is not sent twice', () => {
    const h = harness();
    h.invoke('i1');
    h.invoke('i1');
    assert.equal(h.requests().length, 1);
  });

  test('an ok result settles with the payload and cancels the deadline', () => {
    const h = harness();
    h.invoke('i1');
    h.result('i1', { ok: true, payload: { shown: true } });
    assert.deepEqual(outcomeOf(h, 'i1'), { ok: true, payload: { shown: true } });
    assert.deepEqual(h.pending(), []);
    h.clock.increment(10_000);
    assert.equal(h.settled().length, 1);
  });

  test('a failed result settles with the node error (dispatched)', () => {
    const h = harness();
    h.invoke('i1');
    h.result('i1', { ok: false, error: { code: 'CANVAS_GONE', message: 'no canvas window' } });
    assert.deepEqual(outcomeOf(h, 'i1'), { ok: false, cause: 'node', error: { code: 'CANVAS_GONE', message: 'no canvas window' }, dispatched: true });
  });

  test('each invocation has its own deadline', () => {
    const h = harness();
    h.invoke('short', 1_000);
    h.clock.increment(500);
    h.invoke('long', 3_000);
    h.clock.increment(499);
    assert.equal(h.settled().length, 0);
    h.clock.increment(1);
    assert.deepEqual(outcomeOf(h, 'short'), { ok: false, cause: 'timeout', error: { code: 'TIMEOUT', message: 'node invoke timed out' }, dispatched: true });
    assert.deepEqual(h.pending(), ['long']);
    h.clock.increment(2_499); // long was invoked at 500: its deadline is 3 500
    assert.equal(outcomeOf(h, 'long'), undefined);
    h.clock.increment(1);
    assert.equal(outcomeOf(h, 'long')?.ok, false);
  });

  test('a result after the deadline is ignored', () => {
    const h = harness();
    h.invoke('i1', 1_000);
    h.clock.increment(1_000);
    h.result('i1', { ok: true, payload: 1 });
    assert.equal(h.settled().length, 1);
    assert.equal(outcomeOf(h, 'i1')?.ok, false);
  });

  test('DISCONNECT settles everything in flight and ends the actor', () => {
    const h = harness();
    h.invoke('a');
    h.invoke('b');
    h.actor.send({ type: 'DISCONNECT' });
    assert.deepEqual(h.settled().map((s) => [s.id, s.outcome]), [
      ['a', { ok: false, cause: 'disconnected', dispatched: true }],
      ['b', { ok: false, cause: 'disconnected', dispatched: true }],
    ]);
    assert.equal(h.actor.getSnapshot().status, 'done');
  });
});

describe('NODE_NOT_READY retries', () => {
  const notReady = { ok: false, error: { code: 'NODE_NOT_READY', message: 'warming up' } };

  test(`retried up to ${MAX_NOT_READY_RETRIES} times, each after a growing pause, with the remaining deadline`, () => {
    const h = harness();
    h.invoke('i1', 10_000);
    for (let attempt = 1; attempt <= MAX_NOT_READY_RETRIES; attempt++) {
      h.result('i1', notReady);
      assert.equal(h.requests().length, attempt, 'no resend before the pause');
      h.clock.increment(RETRY_MS * attempt - 1);
      assert.equal(h.requests().length, attempt);
      h.clock.increment(1);
      assert.equal(h.requests().length, attempt + 1, `retry ${attempt} sent`);
      assert.equal(h.requests()[attempt].timeoutMs, 10_000 - h.clock.now(), 'the node is told what is left of the deadline');
      assert.equal(h.requests()[attempt].id, 'i1');
    }
    h.result('i1', { ok: true, payload: 'ready now' });
    assert.deepEqual(outcomeOf(h, 'i1'), { ok: true, payload: 'ready now' });
  });

  test('after the last retry NODE_NOT_READY is the answer', () => {
    const h = harness();
    h.invoke('i1', 10_000);
    for (let attempt = 1; attempt <= MAX_NOT_READY_RETRIES; attempt++) {
      h.result('i1', notReady);
      h.clock.increment(RETRY_MS * attempt);
    }
    assert.equal(h.requests().length, MAX_NOT_READY_RETRIES + 1);
    h.result('i1', notReady);
    assert.deepEqual(outcomeOf(h, 'i1'), { ok: false, cause: 'node', error: notReady.error, dispatched: true });
    h.clock.increment(10_000);
    assert.equal(h.requests().length, MAX_NOT_READY_RETRIES + 1);
  });

  test('no retry when the pause would outlast the deadline', () => {
    const h = harness();
    h.invoke('i1', RETRY_MS);
    h.result('i1', notReady);
    assert.deepEqual(outcomeOf(h, 'i1'), { ok: false, cause: 'node', error: notReady.error, dispatched: true });
    assert.equal(h.requests().length, 1);
  });

  test('a retry that goes unanswered times out at the original deadline', () => {
    const h = harness();
    h.invoke('i1', 1_000);
    h.clock.increment(850);
    h.result('i1', notReady); // the retry fits: sent at 950 with 50 ms left
    h.clock.increment(RETRY_MS);
    assert.equal(h.requests().length, 2);
    assert.equal(h.requests()[1].timeoutMs, 50);
    h.clock.increment(49);
    assert.equal(outcomeOf(h, 'i1'), undefined);
    h.clock.increment(1);
    assert.deepEqual(outcomeOf(h, 'i1'), { ok: false, cause: 'timeout', error: { code: 'TIMEOUT', message: 'node invoke timed out' }, dispatched: true });
  });
});

describe('progress', () => {
  test('a streaming invocation gets each chunk once, in order', () => {
    const h = harness();
    h.invoke('i1', 1_000, { stream: true });
    h.actor.send({ type: 'PROGRESS', id: 'i1', seq: 0, chunk: 'a' });
    h.actor.send({ type: 'PROGRESS', id: 'i1', seq: 0, chunk: 'a' });
    h.actor.send({ type: 'PROGRESS', id: 'i1', seq: 1, chunk: 'b' });
    assert.deepEqual(h.emitted.filter((e) => e.type === 'progress'), [
      { type: 'progress', id: 'i1', seq: 0, chunk: 'a' },
      { type: 'progress', id: 'i1', seq: 1, chunk: 'b' },
    ]);
  });

  test('a non-streaming or unknown invocation ignores progress', () => {
    const h = harness();
    h.invoke('i1');
    h.actor.send({ type: 'PROGRESS', id: 'i1', seq: 0, chunk: 'a' });
    h.actor.send({ type: 'PROGRESS', id: 'nope', seq: 0, chunk: 'a' });
    assert.equal(h.emitted.filter((e) => e.type === 'progress').length, 0);
  });
});
