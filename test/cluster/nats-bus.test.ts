import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Msg } from '@nats-io/transport-node';
import { pino } from 'pino';
import type { BusEvents } from '../../src/core/bus.js';
import { createNatsBus, type NatsBus } from '../../src/cluster/nats-bus.js';
import { connectNats, type NatsLink } from '../../src/cluster/nats-connection.js';
import { INSTANCE_HEADER, sessionToken } from '../../src/cluster/subjects.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';

// Two cluster buses on one real nats-server, as two instances would be: local delivery first and synchronous,
// each event sent once, other instances' events reach cluster subscribers (remote = true) and never plain ones,
// and an instance never hears its own events twice.

const log = pino({ level: 'silent' });
let server: NatsServer;
const links: NatsLink[] = [];
let a: NatsBus;
let b: NatsBus;

before(async () => {
  server = await startNatsServer();
  for (const id of ['a', 'b']) links.push(await connectNats({ url: server.url, instanceId: id, log }));
  a = createNatsBus(links[0], log);
  b = createNatsBus(links[1], log);
  // both subscriptions are registered with the server before any test publishes
  await Promise.all(links.map((l) => l.nc.flush()));
});
after(async () => {
  for (const l of links) await l.close();
  await server?.stop();
});

const started = (runId: string): BusEvents['run.started'] => ({ runId, sessionKey: 'agent:main:main', at: 1 });

test('publish delivers to local subscribers before it returns; another instance hears it on subscribeCluster only, remote true', async () => {
  const local: string[] = [];
  const remote: [string, boolean][] = [];
  const plainOnB: string[] = [];
  const offs = [
    a.subscribe('run.started', (e) => local.push(e.runId)),
    b.subscribeCluster('run.started', (e, r) => remote.push([e.runId, r])),
    b.subscribe('run.started', (e) => plainOnB.push(e.runId)),
  ];
  a.publish('run.started', started('r1'));
  assert.deepEqual(local, ['r1'], 'local delivery is synchronous');
  await until(() => remote.length === 1, 'b to hear r1', 10_000, 5);
  assert.deepEqual(remote, [['r1', true]]);
  assert.deepEqual(plainOnB, [], 'a plain subscriber of b never hears a\'s runs');
  for (const off of offs) off();
});

test('an instance hears its own events once (locally), not again from the server', async () => {
  const heard: [string, boolean][] = [];
  const fromB: string[] = [];
  const offs = [a.subscribeCluster('run.started', (e, r) => heard.push([e.runId, r])), b.subscribeCluster('run.started', (e) => fromB.push(e.runId))];
  a.publish('run.started', started('own-1'));
  a.publish('run.started', started('own-2'));
  // b hearing both means the server has delivered them to a as well (one server, one order)
  await until(() => fromB.length === 2, 'b to hear both', 10_000, 5);
  await links[0].nc.flush();
  assert.deepEqual(heard, [['own-1', false], ['own-2', false]]);
  for (const off of offs) off();
});

test('each event is sent once, on clawgate.events.<kind>.<sessionToken> with the instance header, in order', async () => {
  const watcher = await connect({ servers: server.url });
  const seen: Msg[] = [];
  watcher.subscribe('clawgate.events.>', { callback: (_e, m) => { seen.push(m); } });
  await watcher.flush();
  // three subscribers on each instance: still one message per event
  const offs = [1, 2, 3].flatMap(() => [a.subscribeCluster('run.delta', () => {}), b.subscribeCluster('run.delta', () => {})]);
  for (let i = 0; i < 5; i++) a.publish('run.delta', { runId: 'd1', sessionKey: 'telegram:default:dm:7', delta: `${i}`, text: '' });
  b.publish('channel.state', { channel: 'telegram', accountId: 'default', state: 'online' });
  await links[0].nc.flush();
  await links[1].nc.flush();
  await until(() => seen.length >= 6, 'six messages', 10_000, 5);
  await watcher.flush();
  assert.equal(seen.length, 6);
  const deltas = seen.filter((m) => m.subject.startsWith('clawgate.events.run.delta.'));
  assert.deepEqual(deltas.map((m) => m.subject), Array(5).fill(`clawgate.events.run.delta.${sessionToken('telegram:default:dm:7')}`));
  assert.deepEqual(deltas.map((m) => (m.json() as { delta: string }).delta), ['0', '1', '2', '3', '4']);
  assert.ok(deltas.every((m) => m.headers?.get(INSTANCE_HEADER) === 'a'));
  const state = seen.find((m) => m.subject === 'clawgate.events.channel.state._');
  assert.equal(state?.headers?.get(INSTANCE_HEADER), 'b');
  for (const off of offs) off();
  await watcher.close();
});

test('a message on an event subject with an unknown kind or a body that is not JSON is dropped, and the bus goes on', async () => {
  const raw = await connect({ servers: server.url });
  const heard: string[] = [];
  const off = b.subscribeCluster('run.started', (e) => heard.push(e.runId));
  raw.publish('clawgate.events.run.bogus.x', '{}');
  raw.publish(`clawgate.events.run.started.${sessionToken('k')}`, 'not json');
  a.publish('run.started', started('after'));
  await until(() => heard.length === 1, 'b to hear the good event', 10_000, 5);
  assert.deepEqual(heard, ['after']);
  off();
  await raw.close();
});

test('while NATS is unreachable, what is kept for the other instances is bounded; local subscribers still hear everything', async () => {
  const own = await startNatsServer();
  const link = await connectNats({ url: own.url, instanceId: 'outage', log, reconnectWaitMs: 100 });
  try {
    const bus = createNatsBus(link, log, { maxBacklogBytes: 1000 });
    const local: string[] = [];
    bus.subscribe('run.delta', (e) => local.push(e.delta));
    await own.kill();
    await until(() => link.nats === 'reconnecting', 'the link to notice', 10_000, 10);
    const big = 'x'.repeat(400);
    for (const delta of ['1', '2', '3']) bus.publish('run.delta', { runId: 'o1', sessionKey: 'k', delta, text: big });
    assert.deepEqual(local, ['1', '2', '3']);
    assert.equal(bus.dropped, 1, 'two events fit in 1000 characters, the third does not');
    await own.restart();
    await until(() => link.nats === 'connected', 'the link to reconnect', 15_000, 10);
    bus.publish('run.delta', { runId: 'o1', sessionKey: 'k', delta: '4', text: big });
    bus.publish('run.delta', { runId: 'o1', sessionKey: 'k', delta: '5', text: big });
    assert.equal(bus.dropped, 1, 'connected again: nothing more is dropped');
    bus.stop();
  } finally {
    await link.close();
    await own.stop();
  }
});
