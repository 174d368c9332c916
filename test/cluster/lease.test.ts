import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { type LeaseLoss, Leases } from '../../src/cluster/lease.js';
import { sessionToken } from '../../src/cluster/subjects.js';
import { natsServerPerFile } from '../helpers/nats-server.js';
import { sleep, until } from '../helpers/wait.js';

// Two "instances" are two connections with their own lease tables on one real nats-server. The TTL is short
// (1 s) so expiry happens within the test; every wait is bounded and nothing asserts a speed.

const TTL = 1000;
const nats = natsServerPerFile();

async function instance(id: string, bucket: string, lost: [string, LeaseLoss][] = []): Promise<Leases> {
  const nc = await nats.connect();
  return Leases.open(nc, { instanceId: id, ttlMs: TTL, bucket, onLost: (key, why) => lost.push([key, why]) });
}

test('two instances compete for a session: exactly one wins, and both see who owns it', async () => {
  const a = await instance('a', 'lease-compete');
  const b = await instance('b', 'lease-compete');
  const won = await Promise.all([a.acquire('main'), b.acquire('main')]);
  assert.equal(won.filter(Boolean).length, 1, `exactly one winner, got ${won}`);
  const winner = won[0] ? 'a' : 'b';
  assert.equal(await a.owner('main'), winner);
  assert.equal(await b.owner('main'), winner);
  assert.equal(await a.owner('nobody'), undefined);
  // other keys are independent; a session key with dots and spaces is one key
  assert.equal(await b.acquire('agent:main telegram.42'), true);
  assert.deepEqual([...(await a.owners())].sort(), [['agent:main telegram.42', 'b'], ['main', winner]]);
  a.abandon();
  b.abandon();
});

test('a held lease is renewed: it outlives several TTLs and the other instance cannot take it', async () => {
  const lostA: [string, LeaseLoss][] = [];
  const a = await instance('a', 'lease-renew', lostA);
  const b = await instance('b', 'lease-renew');
  assert.equal(await a.acquire('s'), true);
  for (let i = 0; i < 6; i++) {
    await sleep(TTL / 2);
    assert.equal(await b.acquire('s'), false, `b took the lease after ${i + 1} half-TTLs`);
  }
  assert.equal(a.holds('s'), true);
  assert.equal(await b.owner('s'), 'a');
  assert.deepEqual(lostA, []);
  await a.close();
  b.abandon();
});

test('when the owner stops renewing (its connection is gone), the other acquires after the TTL; the owner reports the loss', async () => {
  const lostA: [string, LeaseLoss][] = [];
  const ncA = await connect({ servers: nats.url });
  const a = await Leases.open(ncA, { instanceId: 'a', ttlMs: TTL, bucket: 'lease-expire', onLost: (key, why) => lostA.push([key, why]) });
  const b = await instance('b', 'lease-expire');
  assert.equal(await a.acquire('s'), true);
  await ncA.close();
  assert.equal(await b.acquire('s'), false);
  await until(() => b.acquire('s'), 'b to acquire the expired lease', 10 * TTL, 50);
  assert.equal(await b.owner('s'), 'b');
  await until(() => lostA.length > 0, 'a to report its lease lost', 10 * TTL, 20);
  assert.deepEqual(lostA, [['s', 'expired']]);
  assert.equal(a.holds('s'), false);
  a.abandon();
  b.abandon();
});

test('a lease taken behind the owner\'s back (purged by an operator, then acquired) is reported lost at the next renewal', async () => {
  const lostA: [string, LeaseLoss][] = [];
  const a = await instance('a', 'lease-taken', lostA);
  const b = await instance('b', 'lease-taken');
  assert.equal(await a.acquire('s'), true);
  const nc = await nats.connect();
  await (await new Kvm(nc).open('lease-taken')).purge(sessionToken('s'));
  assert.equal(await b.acquire('s'), true);
  await until(() => lostA.length > 0, 'a to report its lease lost', 10 * TTL, 20);
  assert.deepEqual(lostA, [['s', 'taken']]);
  assert.equal(a.holds('s'), false);
  assert.equal(await a.owner('s'), 'b');
  a.abandon();
  b.abandon();
});

test('release lets the other instance acquire at once, and never deletes a successor\'s lease', async () => {
  const a = await instance('a', 'lease-release');
  const b = await instance('b', 'lease-release');
  assert.equal(await a.acquire('s'), true);
  await a.release('s');
  assert.equal(a.holds('s'), false);
  assert.equal(await b.acquire('s'), true);
  await a.release('s'); // not held: nothing happens
  assert.equal(await a.owner('s'), 'b');
  await b.close();
  assert.equal(await a.owner('s'), undefined, 'close() releases what it holds');
  a.abandon();
});

test('every instance must use the same TTL', async () => {
  await instance('a', 'lease-ttl');
  const nc = await nats.connect();
  await assert.rejects(Leases.open(nc, { instanceId: 'b', ttlMs: 2 * TTL, bucket: 'lease-ttl', onLost: () => {} }), /same --lease-ttl-ms/);
  await assert.rejects(Leases.open(nc, { instanceId: 'b', ttlMs: 5, bucket: 'lease-ttl', onLost: () => {} }), /at least 100 ms/);
});
