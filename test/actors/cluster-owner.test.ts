import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { requestCancel } from '../../src/cluster/remote-cancel.js';
import { sessionToken } from '../../src/cluster/subjects.js';
import { type ClusterInstance, clusterInstance } from '../helpers/cluster-instance.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';

// The owner's side of cluster mode with the real session registry, run executor and (gated) mock runner on
// each "instance", and a real nats-server between them: journaled messages run one at a time in acceptance
// order, their status is readable from every instance, a cancel through another instance stops a run, and a
// successor re-runs what a dead owner left running.

const TTL = 1000;
let server: NatsServer;
const stops: (() => Promise<void> | void)[] = [];

before(async () => { server = await startNatsServer(); });
// every test's instances stop after it: they share the inbox stream, and a live one would sweep up the next
// test's sessions
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
after(async () => {
  await server.stop();
});

async function instance(id: string, bucket: string, idleMs?: number): Promise<ClusterInstance> {
  const made = await clusterInstance(server.url, id, bucket, TTL, { idleMs });
  stops.push(() => made.stop());
  return made;
}

test('messages accepted by two instances run on the owner one at a time, in acceptance order; status and cancel work from the other', async () => {
  const a = await instance('a', 'co-order');
  const b = await instance('b', 'co-order');
  await a.accept('chat', 'r1', 'hold one');
  await b.accept('chat', 'r2', 'two');
  await a.accept('chat', 'r3', 'hold three');
  await b.accept('chat', 'r4', 'four');
  assert.equal(await b.ownership.owner('chat'), 'a');
  await until(async () => (await b.statuses.get('r1'))?.state === 'running', 'r1 running, seen from b', 10_000, 10);
  await until(async () => (await b.statuses.get('r2'))?.state === 'queued', 'r2 queued behind r1, seen from b', 10_000, 10);
  assert.equal((await b.statuses.get('r2'))?.owner, 'a');
  a.gated.release('r1');
  await until(async () => (await b.statuses.get('r3'))?.state === 'running', 'r3 running', 10_000, 10);
  // a cancel received by b stops r3 on a
  assert.equal(await requestCancel(b.nc, { instanceId: 'b', sessionKey: 'chat', runId: 'r3' }), 'cancelled');
  await until(async () => (await b.statuses.get('r4'))?.state === 'completed', 'r4 completed', 10_000, 10);
  const r1 = await b.statuses.get('r1');
  assert.equal(r1?.state, 'completed');
  assert.ok(r1?.reply, 'the reply is in the status');
  assert.equal((await b.statuses.get('r3'))?.state, 'cancelled');
  // one at a time, in acceptance order, on a alone
  assert.deepEqual(a.events.filter(([n]) => n !== 'run.queued'), [
    ['run.started', 'r1'], ['run.completed', 'r1'], ['run.started', 'r2'], ['run.completed', 'r2'],
    ['run.started', 'r3'], ['run.cancelled', 'r3'], ['run.started', 'r4'], ['run.completed', 'r4'],
  ]);
  assert.deepEqual(b.events, []);
  await until(async () => !(await a.inbox.sessionsWithMessages()).has('chat'), 'the finished messages to leave the inbox', 10_000, 10);
  assert.equal(a.owner.pending, 0);
});

test('failover: the owner dies mid-run; the successor runs the interrupted run once more, then the rest, and nothing is left', async () => {
  const a = await instance('a', 'co-failover');
  const b = await instance('b', 'co-failover');
  await a.accept('fo', 'x1', 'hold x1');
  await a.accept('fo', 'x2', 'x2');
  await until(async () => (await b.statuses.get('x1'))?.state === 'running', 'x1 running on a', 10_000, 10);
  await a.die();
  await b.accept('fo', 'x3', 'x3'); // the lease is still a's: b only journals it
  assert.equal(b.ownership.owns('fo'), false);
  // b's sweep takes the session once a's lease expired
  await until(() => b.gated.inputs.length > 0, 'b to take the session and re-run x1', 10 * TTL, 20);
  assert.equal(b.gated.inputs[0].runId, 'x1');
  b.gated.release('x1');
  await until(async () => (await b.statuses.get('x3'))?.state === 'completed', 'x3 completed on b', 10_000, 10);
  const x1 = await b.statuses.get('x1');
  assert.equal(x1?.state, 'completed');
  assert.equal(x1?.recoveries, 1);
  assert.equal(x1?.owner, 'b');
  assert.deepEqual(b.gated.inputs.map((i) => i.runId), ['x1', 'x2', 'x3']);
  await until(async () => !(await b.inbox.sessionsWithMessages()).has('fo'), 'nothing unfinished left', 10_000, 10);
});

test('a shutdown leaves queued messages in the inbox for the next owner and ends the running one', async () => {
  const a = await instance('a', 'co-shutdown');
  await a.accept('sd', 'q1', 'hold q1');
  await a.accept('sd', 'q2', 'q2');
  await until(async () => (await a.statuses.get('q2'))?.state === 'queued', 'q2 queued behind q1', 10_000, 10);
  a.ownership.stopClaiming(); // the drain's order: claim nothing more, then let the runs end
  a.owner.beginShutdown();
  a.sessions.dropQueued(); // the drain's first step: q2 is cancelled, not started
  a.sessions.stopAll(); // the grace period is over: q1 is cancelled while running
  await until(async () => (await a.statuses.get('q1'))?.state === 'cancelled', 'q1 recorded cancelled', 10_000, 10);
  await until(() => a.owner.pending === 0, 'nothing pending', 10_000, 10);
  await until(async () => (await a.inbox.sessionsWithMessages()).get('sd') === 1, 'only q2 left in the inbox', 10_000, 10);
  assert.equal((await a.statuses.get('q2'))?.state, 'queued', 'q2 is not recorded cancelled');
  await a.ownership.close(); // hands the session over at once
  const b = await instance('b', 'co-shutdown');
  await until(() => b.ownership.owns('sd'), 'b\'s sweep to take the session', 10_000, 10);
  await until(async () => (await b.statuses.get('q2'))?.state === 'completed', 'q2 run by b', 10_000, 10);
  assert.deepEqual(b.gated.inputs.map((i) => i.runId), ['q2']);
});

test('a run that has just ended: endsWritten() resolves once its end is recorded and its message acked (a shutdown waits for it)', async () => {
  const a = await instance('a', 'co-ends');
  await a.accept('en', 'e1', 'hold e1');
  await until(async () => (await a.statuses.get('e1'))?.state === 'running', 'e1 running', 10_000, 10);
  const ended = a.runs.settled('e1');
  a.gated.release('e1');
  await ended; // the moment it ended here: its end is not written yet
  await a.owner.endsWritten();
  assert.equal((await a.statuses.get('e1'))?.state, 'completed');
  assert.equal(a.owner.pending, 0);
  assert.equal((await a.inbox.sessionsWithMessages()).has('en'), false, 'acked');
});

test('a delivered message whose run id a finished run of another session holds here is acked without running, and that run\'s status is left alone', async () => {
  const a = await instance('a', 'co-taken');
  await a.accept('taken-x', 't1', 'one');
  await until(async () => (await a.statuses.get('t1'))?.state === 'completed', 't1 completed', 10_000, 10);
  await a.owner.endsWritten();
  // the same id for another session reaching the owner (past the inbox's dedupe window, say)
  let acked = 0;
  const entry = { runId: 't1', origin: { surface: 'http' as const }, input: { runId: 't1', sessionKey: 'taken-y', text: 'two', parts: [] }, queuedAt: Date.now() };
  await a.owner.deliver({ entry, seq: 0, acceptedBy: 'a', ack: async () => { acked++; } }, { action: 'run' }, undefined);
  assert.equal(acked, 1, 'acked: it can never run, the inbox must not hold it');
  assert.equal(a.owner.pending, 0);
  assert.deepEqual(a.events.filter(([n, id]) => id === 't1' && n !== 'run.queued').map(([n]) => n), ['run.started', 'run.completed'], 'not run again');
  const status = await a.statuses.get('t1');
  assert.deepEqual([status?.state, status?.sessionKey], ['completed', 'taken-x']);
});

test('a run that ends after the shutdown began to wait (a completion still in the group commit): endsWritten() waits for its end and ack too', async () => {
  const a = await instance('a', 'co-late-end');
  await a.accept('late', 'l9', 'hold l9');
  await until(async () => (await a.statuses.get('l9'))?.state === 'running', 'l9 running', 10_000, 10);
  a.owner.beginShutdown();
  const written = a.owner.endsWritten(); // nothing is being written yet: l9 has not ended
  a.gated.release('l9');
  await written; // the leases (and with them the consumers) may go now
  assert.equal((await a.statuses.get('l9'))?.state, 'completed');
  assert.equal(a.owner.pending, 0);
  assert.equal((await a.inbox.sessionsWithMessages()).has('late'), false, 'acked before the consumer could be deleted');
});

test('an owner that loses a session\'s lease stops its runs there without acking or recording them', async () => {
  const a = await instance('a', 'co-lost');
  await a.accept('lo', 'l1', 'hold l1');
  await until(async () => (await a.statuses.get('l1'))?.state === 'running', 'l1 running on a', 10_000, 10);
  // an operator purges the lease and b takes the session while a still runs l1
  await (await new Kvm(a.nc).open('co-lost')).purge(sessionToken('lo'));
  const b = await instance('b', 'co-lost');
  assert.equal(await b.ownership.claim('lo'), true);
  await until(() => a.events.some(([n, id]) => n === 'run.cancelled' && id === 'l1'), 'a to stop l1', 10 * TTL, 20);
  // b got l1 from the inbox and re-runs it: a neither acked nor recorded it cancelled
  await until(() => b.gated.inputs.length === 1, 'b to re-run l1', 10_000, 10);
  const l1 = await b.statuses.get('l1');
  assert.equal(l1?.state, 'running');
  assert.equal(l1?.owner, 'b');
  assert.equal(l1?.recoveries, 1);
  b.gated.release('l1');
  await until(async () => (await b.statuses.get('l1'))?.state === 'completed', 'l1 completed on b', 10_000, 10);
  assert.equal(a.owner.pending, 0);
});

test('a session that goes idle on its owner is given up: its lease is released and the next message may go anywhere', async () => {
  const a = await instance('a', 'co-idle', 200);
  const b = await instance('b', 'co-idle');
  await a.accept('idle', 'd1', 'd1');
  await until(async () => (await b.statuses.get('d1'))?.state === 'completed', 'd1 completed on a', 10_000, 10);
  await until(async () => (await b.ownership.owner('idle')) === undefined, 'a to give the idle session up', 10_000, 20);
  assert.equal(a.ownership.owns('idle'), false);
  await b.accept('idle', 'd2', 'd2');
  assert.equal(await b.ownership.owner('idle'), 'b');
  await until(async () => (await b.statuses.get('d2'))?.state === 'completed', 'd2 completed on b', 10_000, 10);
});
