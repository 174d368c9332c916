import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { openChannelLeases } from '../../src/cluster/channel-leases.js';
import { CHANNELS_BUCKET, sessionToken } from '../../src/cluster/subjects.js';
import { natsServerPerFile } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';

// The channel account leases on a real nats-server: a bucket of their own, one holder per key, the loss told
// to the one account listening on that key, and close() releasing what is held.

const TTL = 1000;
const nats = natsServerPerFile();

test('channel leases live in their own bucket: one instance holds an account, the other reads who', async () => {
  const a = await openChannelLeases(await nats.connect(), { instanceId: 'gw-a', ttlMs: TTL });
  const b = await openChannelLeases(await nats.connect(), { instanceId: 'gw-b', ttlMs: TTL });
  assert.equal(a.retryMs, TTL / 2, 'standby asks every half TTL');
  const won = await Promise.all([a.acquire('telegram:bot:123'), b.acquire('telegram:bot:123')]);
  assert.equal(won.filter(Boolean).length, 1, `exactly one holder, got ${won}`);
  const [holder, other] = won[0] ? [a, b] : [b, a];
  assert.equal(await other.owner('telegram:bot:123'), holder.instanceId);
  assert.equal(holder.holds('telegram:bot:123'), true);
  assert.equal(other.holds('telegram:bot:123'), false);
  const kv = await new Kvm(await nats.connect()).open(CHANNELS_BUCKET);
  assert.equal((await kv.get(sessionToken('telegram:bot:123')))?.json<{ owner: string }>().owner, holder.instanceId);
  // close() releases: the other takes it at its next ask, without waiting for the TTL
  await holder.close();
  assert.equal(await other.acquire('telegram:bot:123'), true);
  await other.close();
});

test('a lost channel lease is told to the listener of its key only; a second listener on one key is refused', async () => {
  const a = await openChannelLeases(await nats.connect(), { instanceId: 'gw-a', ttlMs: TTL });
  const lost: string[] = [];
  a.onLost('signal:+15550001', () => lost.push('signal'));
  const off = a.onLost('telegram:bot:7', () => lost.push('telegram'));
  assert.throws(() => a.onLost('telegram:bot:7', () => {}), /already has a listener/);
  assert.equal(await a.acquire('signal:+15550001'), true);
  assert.equal(await a.acquire('telegram:bot:7'), true);
  // an operator purges the key and another instance takes it: the next renewal finds it taken
  const b = await openChannelLeases(await nats.connect(), { instanceId: 'gw-b', ttlMs: TTL });
  await (await new Kvm(await nats.connect()).open(CHANNELS_BUCKET)).purge(sessionToken('telegram:bot:7'));
  assert.equal(await b.acquire('telegram:bot:7'), true);
  await until(() => lost.length > 0, 'the loss to be told', 10 * TTL, 20);
  assert.deepEqual(lost, ['telegram']);
  assert.equal(a.holds('telegram:bot:7'), false);
  assert.equal(a.holds('signal:+15550001'), true);
  off();
  await a.close();
  await b.close();
});

test('reply rows reach the holder of an account only: forward waits for its commit; nobody holding means no answer', async () => {
  const aConn = await nats.connect();
  const a = await openChannelLeases(aConn, { instanceId: 'gw-a', ttlMs: TTL });
  const b = await openChannelLeases(await nats.connect(), { instanceId: 'gw-b', ttlMs: TTL });
  assert.equal(await b.forward('telegram:bot:9', [{ id: 'r1:0' }]), undefined, 'no holder serving');
  assert.equal(await a.acquire('telegram:bot:9'), true);
  const taken: unknown[][] = [];
  const stop = a.serve('telegram:bot:9', (rows) => {
    if (rows.some((r) => (r as { id?: string }).id === 'bad')) throw new Error('refused');
    taken.push(rows);
  });
  // serve() subscribes on a's connection and b requests on its own: NATS orders nothing across connections,
  // so without the round trip b's request may reach the server before a's subscription (no responders)
  await aConn.flush();
  assert.equal(await b.forward('telegram:bot:9', [{ id: 'r1:0' }, { id: 'r1:1' }]), 'gw-a');
  assert.deepEqual(taken, [[{ id: 'r1:0' }, { id: 'r1:1' }]]);
  assert.equal(await b.forward('telegram:bot:9', [{ id: 'bad' }]), undefined, 'rows the holder refused are kept by the sender');
  // a holder that lost its lease answers no more rows, even before it stops serving
  await a.release('telegram:bot:9');
  assert.equal(await b.forward('telegram:bot:9', [{ id: 'r2:0' }]), undefined);
  stop();
  assert.equal(taken.length, 1);
  await a.close();
  await b.close();
});
