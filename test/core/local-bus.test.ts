import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalBus, LocalFanout } from '../../src/core/local-bus.js';

// The in-process bus (mitt): synchronous delivery, this process's subscribers first, each kind in subscription order; both kinds of subscriber hear local events;
// the fan-out underneath hands a remote event to cluster subscribers only.

const ref = { runId: 'r1', sessionKey: 's1', at: 1 };

test('publish delivers to subscribe and subscribeCluster handlers before it returns, in subscription order, remote false', () => {
  const bus = createLocalBus();
  const heard: string[] = [];
  bus.subscribe('run.started', (e) => heard.push(`local ${e.runId}`));
  bus.subscribeCluster('run.started', (e, remote) => heard.push(`cluster ${e.runId} ${remote}`));
  bus.publish('run.started', ref);
  assert.deepEqual(heard, ['local r1', 'cluster r1 false']);
});

test('an ended subscription hears nothing more; one added during a delivery hears the next event only', () => {
  const bus = createLocalBus();
  const heard: string[] = [];
  const off = bus.subscribe('run.started', () => {
    heard.push('first');
    bus.subscribe('run.started', () => heard.push('late'));
  });
  bus.publish('run.started', ref);
  off();
  bus.publish('run.started', ref);
  assert.deepEqual(heard, ['first', 'late']);
});

test('a remote event reaches cluster subscribers only, with remote true', () => {
  const fanout = new LocalFanout();
  const heard: string[] = [];
  fanout.add('run.started', () => heard.push('local'), false);
  fanout.add('run.started', (_e, remote) => heard.push(`cluster ${remote}`), true);
  fanout.deliver('run.started', ref, true);
  assert.deepEqual(heard, ['cluster true']);
  fanout.deliver('run.started', ref, false);
  assert.deepEqual(heard, ['cluster true', 'local', 'cluster false']);
});

test("this process's subscribers hear an event before the cluster subscribers, whatever the order they subscribed in", () => {
  const bus = createLocalBus();
  const heard: string[] = [];
  bus.subscribeCluster('run.started', () => heard.push('cluster'));
  bus.subscribe('run.started', () => heard.push('local'));
  bus.publish('run.started', ref);
  assert.deepEqual(heard, ['local', 'cluster']);
});
