import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActorStore, KEEP } from '../../web/inspect/actor-store.js';
import { COLUMNS, queueDepth } from '../../web/inspect/columns.js';
import { stateText } from '../../web/inspect/frames.js';
import { BRIDGE_BUFFER, StatelyBridge } from '../../web/inspect/stately-bridge.js';

// The inspector page's pure parts (web-surfaces.md I5, I6), without a browser: the actor store fed frames in
// stream order, the session columns, and the Stately bridge's buffer.

const base = (type: string, sessionId: string, extra: Record<string, unknown> = {}) =>
  JSON.parse(JSON.stringify({ type, sessionId, rootId: sessionId, createdAt: '1000', id: null, _version: '0.7.2', ...extra }));

test('I5: the store keeps each actor\'s latest snapshot, its last 50 events and messages, and forgets stopped ones', () => {
  const store = new ActorStore();
  const context = { sessionKey: 'k', queue: [{ runId: 'r2', merged: [{ runId: 'r3' }] }, '…(+4)'], current: { runId: 'r1' } };
  store.apply(base('@xstate.actor', 'x:0', { name: 'session:k', definition: '{"id":"session"}', snapshot: { value: 'idle', context: {} } }));
  store.apply(base('@xstate.actor', 'x:1', { name: '0.session.running', rootId: 'x:0', parentId: 'x:0', snapshot: { status: 'active' } }));
  store.apply(base('@xstate.snapshot', 'x:0', { snapshot: { value: { running: 'untimed' }, context }, event: { type: 'ENQUEUE' } }));
  for (let i = 0; i < KEEP + 5; i++) store.apply(base('@xstate.event', 'x:0', { event: { type: `E${i}` }, sourceId: 'x:1' }));
  const rec = store.actors.get('x:0')!;
  assert.equal(rec.kind, 'session');
  assert.equal(store.actors.get('x:1')!.kind, undefined, 'a child has no tab');
  assert.equal(rec.state, 'running.untimed');
  assert.equal(rec.events.length, KEEP);
  assert.equal(rec.events[0].type, 'E5');
  assert.equal(rec.messages.at(-1)?.source, '0.session.running');
  assert.equal(store.actors.get('x:1')!.messages.length, KEEP, 'a message is listed at its source too');
  const cells = COLUMNS.session.map((c) => c.cell(rec, 1000));
  assert.deepEqual(cells.slice(0, 4), ['k', 'running.untimed', 6, 'r1'], 'queue depth counts merged and cut items');
  store.clearEvents();
  assert.equal(rec.events.length, 0);
  store.apply({ type: '@clawgate.stopped', createdAt: '1', sessionId: 'x:0' });
  assert.equal(store.actors.size, 0, 'a stopped root goes with its children');
  assert.equal(store.ofKind('session').length, 0);
});

test('queue depth and state text', () => {
  assert.equal(queueDepth(undefined), 0);
  assert.equal(queueDepth([{ runId: 'a' }, { runId: 'b', merged: [] }]), 2);
  assert.equal(stateText('idle'), 'idle');
  assert.equal(stateText({ running: { timed: {} } }), 'running.timed');
});

test('I6: the bridge forwards only @xstate.* frames, none before connected, the last 200 in order after', () => {
  const posted: { type: string; n: number }[] = [];
  const bridge = new StatelyBridge((f) => posted.push(f as { type: string; n: number }));
  bridge.frame({ type: '@clawgate.hello' });
  for (let n = 0; n < BRIDGE_BUFFER + 10; n++) bridge.frame({ type: '@xstate.event', n } as { type: string });
  assert.equal(posted.length, 0);
  assert.equal(bridge.buffered, BRIDGE_BUFFER);
  bridge.connect();
  assert.deepEqual(posted.map((f) => f.n), Array.from({ length: BRIDGE_BUFFER }, (_, i) => i + 10));
  bridge.frame({ type: '@clawgate.stats' });
  bridge.frame({ type: '@xstate.snapshot', n: -1 } as { type: string });
  assert.equal(posted.at(-1)?.n, -1);
  assert.equal(bridge.forwarded, BRIDGE_BUFFER + 1);
});

test('the store forgets ended children beyond the last 100, and starts over with a new stream', () => {
  const store = new ActorStore();
  store.apply(base('@xstate.actor', 'x:0', { name: 'session:k', snapshot: { value: 'idle', context: {} } }));
  for (let i = 1; i <= 150; i++) {
    store.apply(base('@xstate.actor', `x:${i}`, { name: 'run', rootId: 'x:0', parentId: 'x:0', snapshot: { status: 'active' } }));
    store.apply(base('@xstate.snapshot', `x:${i}`, { rootId: 'x:0', snapshot: { status: 'done' }, event: { type: 'x' } }));
  }
  assert.equal(store.actors.size, 1 + 100, 'the root and the last 100 ended children');
  assert.ok(store.actors.has('x:150') && !store.actors.has('x:50'));
  store.apply({ type: '@clawgate.hello', createdAt: '2', version: 't', replayed: 0 });
  assert.equal(store.actors.size, 0);
});
