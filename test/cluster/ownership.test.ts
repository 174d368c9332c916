import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Redelivery } from '../../src/cluster/failover.js';
import { Inbox, type InboxDelivery, type InboxEntry } from '../../src/cluster/inbox.js';
import type { LeaseLoss } from '../../src/cluster/lease.js';
import { Ownership } from '../../src/cluster/ownership.js';
import { requestCancel } from '../../src/cluster/remote-cancel.js';
import { RunStatuses } from '../../src/cluster/run-status.js';
import { sessionToken } from '../../src/cluster/subjects.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';

// Ownership on a real nats-server, with two or three "instances" (connections). The handler stands in for the
// session registry: it records what it is given and finishes runs when the test says so.

const TTL = 1000;
let server: NatsServer;
const conns: NatsConnection[] = [];

before(async () => { server = await startNatsServer(); });
after(async () => {
  await Promise.all(conns.map((c) => (c.isClosed() ? undefined : c.close())));
  await server.stop();
});

interface Instance {
  id: string;
  nc: NatsConnection;
  inbox: Inbox;
  statuses: RunStatuses;
  ownership: Ownership;
  delivered: { runId: string; decision: Redelivery; d: InboxDelivery }[];
  live: Set<string>;
  lost: [string, LeaseLoss][];
  cancelled: string[];
  /** Record the run running (as the owner would when its session starts it). */
  start(runId: string): Promise<void>;
  /** Record it completed and ack it. */
  finish(runId: string): Promise<void>;
}

async function instance(id: string, bucket: string): Promise<Instance> {
  const nc = await connect({ servers: server.url });
  conns.push(nc);
  const inbox = await Inbox.open(nc, { instanceId: id });
  const statuses = await RunStatuses.open(nc, { instanceId: id, retentionMs: 60_000, bucket: `${bucket}-runs` });
  const delivered: Instance['delivered'] = [];
  const lost: Instance['lost'] = [];
  const cancelled: string[] = [];
  /** Runs the test says are under way here. */
  const live = new Set<string>();
  const find = (runId: string) => [...delivered].reverse().find((x) => x.runId === runId)!;
  const ownership = await Ownership.open(nc, {
    instanceId: id, ttlMs: TTL, policy: 'rerun', inbox, statuses, bucket, sweepMs: 100,
    handler: {
      deliver: async (d, decision, status) => {
        delivered.push({ runId: d.entry.runId, decision, d });
        if (decision.action === 'settled') await d.ack();
        if (decision.action === 'run' && !status) {
          await statuses.write({ runId: d.entry.runId, sessionKey: d.entry.input.sessionKey, state: 'queued', queuedAt: d.entry.queuedAt });
        }
      },
      live: (runId) => live.has(runId),
      cancel: (runId) => { cancelled.push(runId); return true; },
      abortRunning: () => [],
      stopSession: () => [],
      inspect: () => ({ running: null, queued: [] }),
      reset: async () => undefined,
      lost: (key, why) => lost.push([key, why]),
      failed: (err) => { throw err; },
    },
  });
  return {
    id, nc, inbox, statuses, ownership, delivered, lost, cancelled, live,
    async start(runId) {
      const { d } = find(runId);
      const prior = await statuses.get(runId);
      await statuses.write({ runId, sessionKey: d.entry.input.sessionKey, state: 'running', queuedAt: d.entry.queuedAt, startedAt: Date.now(), recoveries: prior?.recoveries ?? 0 });
    },
    async finish(runId) {
      const { d } = find(runId);
      const prior = await statuses.get(runId);
      await statuses.write({ ...prior!, state: 'completed', finishedAt: Date.now(), reply: `reply to ${runId}` });
      await d.ack();
    },
  };
}

const entry = (sessionKey: string, runId: string): InboxEntry => ({
  runId, origin: { surface: 'http' }, input: { runId, sessionKey, text: runId, parts: [] }, queuedAt: Date.now(),
});

test('one owner per session: messages accepted by two instances reach the owner alone, in acceptance order', async () => {
  const a = await instance('a', 'own-order');
  const b = await instance('b', 'own-order');
  await a.inbox.append(entry('s1', 'm1'));
  assert.equal(await a.ownership.claim('s1'), true);
  assert.equal(await b.ownership.claim('s1'), false);
  assert.equal(await b.ownership.owner('s1'), 'a');
  await b.inbox.append(entry('s1', 'm2'));
  await a.inbox.append(entry('s1', 'm3'));
  await b.inbox.append(entry('s1', 'm4'));
  await until(() => a.delivered.length === 4, 'four deliveries to a', 10_000, 10);
  assert.deepEqual(a.delivered.map((x) => [x.runId, x.decision.action]), [['m1', 'run'], ['m2', 'run'], ['m3', 'run'], ['m4', 'run']]);
  assert.deepEqual(a.delivered.map((x) => x.d.acceptedBy), ['a', 'b', 'a', 'b']);
  assert.deepEqual(b.delivered, []);
  // a cancel sent through b reaches a's handler
  assert.equal(await requestCancel(b.nc, { instanceId: 'b', sessionKey: 's1', runId: 'm3' }), 'cancelled');
  assert.deepEqual(a.cancelled, ['m3']);
  for (const m of ['m1', 'm2', 'm3', 'm4']) { await a.start(m); await a.finish(m); }
  await a.ownership.close();
  assert.equal(await b.ownership.owner('s1'), undefined);
  assert.equal(await requestCancel(b.nc, { instanceId: 'b', sessionKey: 's1', runId: 'm3' }), 'no-owner');
  await b.ownership.close();
});

test('failover: the owner dies mid-run; another instance takes the session after the TTL, runs the interrupted run once more and the rest in order', async () => {
  const a = await instance('a', 'own-failover');
  const b = await instance('b', 'own-failover');
  for (const m of ['f1', 'f2', 'f3']) await a.inbox.append(entry('s2', m));
  assert.equal(await a.ownership.claim('s2'), true);
  await until(() => a.delivered.length === 3, 'three deliveries to a', 10_000, 10);
  await a.start('f1');
  await a.finish('f1');
  await a.start('f2'); // a dies while f2 runs and f3 waits
  await a.nc.close();
  await b.inbox.append(entry('s2', 'f4')); // accepted by b meanwhile
  // b's sweep finds the session with messages and no owner once a's lease expired
  await until(() => b.delivered.length === 3, 'b to take the session and get the unfinished messages', 10 * TTL, 20);
  assert.deepEqual(b.delivered.map((x) => [x.runId, x.decision]), [
    ['f2', { action: 'rerun', recoveries: 1 }], ['f3', { action: 'run' }], ['f4', { action: 'run' }],
  ]);
  assert.equal(await b.ownership.owner('s2'), 'b');
  for (const m of ['f2', 'f3', 'f4']) { await b.start(m); await b.finish(m); }
  assert.deepEqual((await b.inbox.sessionsWithMessages()).get('s2'), undefined, 'nothing unfinished is left');
  assert.equal((await b.statuses.get('f2'))?.recoveries, 1);
  await b.ownership.close();
  a.ownership.close().catch(() => {}); // its connection is gone
});

test('a run re-run after one failover is failed, not run a third time, when its second owner dies too; a finished one whose ack was lost is settled', async () => {
  const a = await instance('a', 'own-twice');
  await a.inbox.append(entry('s3', 't1'));
  await a.inbox.append(entry('s3', 't2'));
  assert.equal(await a.ownership.claim('s3'), true);
  await until(() => a.delivered.length === 2, 'two deliveries to a', 10_000, 10);
  await a.start('t1');
  // t2 finished but its ack never reached the server
  await a.start('t2');
  const t2 = await a.statuses.get('t2');
  await a.statuses.write({ ...t2!, state: 'completed', finishedAt: Date.now(), reply: 'done' });
  await a.nc.close();
  const b = await instance('b', 'own-twice');
  await until(() => b.delivered.length === 2, 'b to take over', 10 * TTL, 20);
  assert.deepEqual(b.delivered.map((x) => [x.runId, x.decision.action]), [['t1', 'rerun'], ['t2', 'settled']]);
  await b.start('t1');
  await b.nc.close();
  const c = await instance('c', 'own-twice');
  await until(() => c.delivered.length === 1, 'c to take over', 10 * TTL, 20);
  assert.deepEqual(c.delivered[0].decision, { action: 'fail', error: { type: 'interrupted', message: 'interrupted: the instance running it was lost again after it was recovered once' } });
  await c.delivered[0].d.ack();
  await c.ownership.close();
  a.ownership.close().catch(() => {});
  b.ownership.close().catch(() => {});
});

test('an owner whose lease is lost is told, and gets nothing more of the session', async () => {
  const a = await instance('a', 'own-lost');
  await a.inbox.append(entry('s4', 'l1'));
  assert.equal(await a.ownership.claim('s4'), true);
  await until(() => a.delivered.length === 1, 'one delivery', 10_000, 10);
  // an operator purges the lease and b claims the session
  await (await new Kvm(a.nc).open('own-lost')).purge(sessionToken('s4'));
  const b = await instance('b', 'own-lost');
  assert.equal(await b.ownership.claim('s4'), true);
  await until(() => a.lost.length === 1, 'a to learn it lost the session', 10 * TTL, 20);
  assert.deepEqual(a.lost, [['s4', 'taken']]);
  assert.equal(a.ownership.owns('s4'), false);
  await a.inbox.append(entry('s4', 'l2'));
  await until(() => b.delivered.length === 2, 'b gets both', 10_000, 10);
  assert.equal(a.delivered.length, 1);
  await b.ownership.close();
  await a.ownership.close();
});

test('an idle session is given up (lease, consumer and cancels); one that got a message meanwhile is kept, and what is under way is not taken for a lost owner\'s run', async () => {
  const a = await instance('a', 'own-idle');
  const b = await instance('b', 'own-idle');
  await a.inbox.append(entry('s5', 'i1'));
  assert.equal(await a.ownership.claim('s5'), true);
  await until(() => a.delivered.length === 1, 'one delivery', 10_000, 10);
  await a.start('i1');
  a.live.add('i1');
  // busy: kept as it is
  assert.equal(await a.ownership.releaseIdle('s5', () => false), false);
  assert.equal(a.delivered.length, 1);
  // idle, then busy by the time the reader stopped (a message came in): kept, and the replaced reader delivers
  // i1 again, as under way here, with no recovery counted
  let asked = 0;
  assert.equal(await a.ownership.releaseIdle('s5', () => ++asked === 1), false);
  assert.equal(a.ownership.owns('s5'), true);
  await until(() => a.delivered.length === 2, 'i1 again', 10_000, 10);
  assert.deepEqual(a.delivered[1].decision, { action: 'run' });
  assert.equal((await a.statuses.get('i1'))?.recoveries, 0);
  await a.finish('i1');
  a.live.delete('i1');
  assert.equal(await a.ownership.releaseIdle('s5', () => true), true);
  assert.equal(a.ownership.owns('s5'), false);
  assert.equal(await b.ownership.owner('s5'), undefined);
  assert.equal(await requestCancel(b.nc, { instanceId: 'b', sessionKey: 's5', runId: 'x' }), 'no-owner');
  await b.inbox.append(entry('s5', 'i2'));
  assert.equal(await b.ownership.claim('s5'), true);
  await until(() => b.delivered.length === 1, 'b gets i2', 10_000, 10);
  assert.equal(b.delivered[0].runId, 'i2');
  await a.ownership.close();
  await b.ownership.close();
});
