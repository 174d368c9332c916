import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { ClusterRunFollower } from '../../src/actors/cluster-follow.js';
import type { RunEventName } from '../../src/actors/run-registry.js';
import { createNatsBus, type NatsBus } from '../../src/cluster/nats-bus.js';
import { connectNats, type NatsLink } from '../../src/cluster/nats-connection.js';
import { RunStatuses } from '../../src/cluster/run-status.js';
import { uniq } from '../helpers/ids.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { within } from '../helpers/wait.js';

// The follower on a real nats-server: instance B waits for a run that instance A runs (its events come over
// the cluster bus), and a run whose end event never came is ended from its status record.

const log = pino({ level: 'silent' });
let server: NatsServer;
const links: NatsLink[] = [];
let a: NatsBus;
let b: NatsBus;
let statusesA: RunStatuses;
let statusesB: RunStatuses;

before(async () => {
  server = await startNatsServer();
  for (const id of ['a', 'b']) links.push(await connectNats({ url: server.url, instanceId: id, log }));
  a = createNatsBus(links[0], log);
  b = createNatsBus(links[1], log);
  statusesA = await RunStatuses.open(links[0].nc, { instanceId: 'a', retentionMs: 60_000 });
  statusesB = await RunStatuses.open(links[1].nc, { instanceId: 'b', retentionMs: 60_000 });
});
after(async () => {
  a.stop();
  b.stop();
  await Promise.all(links.map((l) => l.close()));
  await server.stop();
});

test('B follows a run A runs: its listener sees every event in order, and it settles with the reply', async () => {
  const follower = new ClusterRunFollower({ bus: b, statuses: statusesB });
  const ref = { runId: uniq('run'), sessionKey: 's1' };
  const seen: RunEventName[] = [];
  const { settled } = follower.follow(ref.runId, ref.sessionKey, (name) => seen.push(name));
  // a second caller of the same id (a repeat refused as a conflict) stops following: the first is not affected
  follower.follow(ref.runId, ref.sessionKey).stop();
  a.publish('run.queued', { ...ref, surface: 'http', origin: { surface: 'http' }, at: 10, text: 'hi' });
  a.publish('run.started', { ...ref, at: 11 });
  a.publish('run.delta', { ...ref, delta: 'Ech', text: 'Ech' });
  a.publish('run.completed', { ...ref, at: 12, reply: 'Echo: hi' });
  const record = await within(settled, 'the run to settle on B');
  assert.deepEqual([record.state, record.reply, record.queuedAt, record.startedAt, record.finishedAt, record.text], ['completed', 'Echo: hi', 10, 11, 12, 'hi']);
  assert.deepEqual(seen, ['run.queued', 'run.started', 'run.delta', 'run.completed']);
  assert.equal(follower.size, 0, 'forgotten once ended');
  follower.close();
});

test('a run whose end event was lost is ended from its status record, for each of its callers; a stopped follow is forgotten', async () => {
  const follower = new ClusterRunFollower({ bus: b, statuses: statusesB, pollMs: 20 });
  const ref = { runId: uniq('run'), sessionKey: 's2' };
  const seen: RunEventName[] = [];
  const { settled } = follower.follow(ref.runId, ref.sessionKey, (name) => seen.push(name));
  const other = follower.follow(ref.runId, ref.sessionKey); // two callers wait for one run
  follower.follow('never-accepted', 's2').stop();
  // no event at all: only the owner's status record says it was cancelled
  await statusesA.write({ ...ref, state: 'cancelled', queuedAt: 10, startedAt: 11, finishedAt: 13, reply: 'Ech' });
  const record = await within(settled, 'the run to settle from its status');
  assert.deepEqual([record.state, record.reply, record.finishedAt], ['cancelled', 'Ech', 13]);
  assert.deepEqual(seen, ['run.cancelled']);
  assert.equal((await within(other.settled, 'the other caller')).state, 'cancelled');
  assert.equal(follower.size, 0);
  follower.close();
});
