import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { type ChannelStateMirror, channelStateKeyOf, channelStateKvKey, openChannelStateMirror } from '../../src/cluster/channel-state.js';
import { createLogger } from '../../src/core/log.js';
import { ChannelInboundStore } from '../../src/store/channel-inbound.js';
import { ChannelPairingStore } from '../../src/store/channel-pairing.js';
import { SqliteChannelStateTables } from '../../src/store/channel-state-tables.js';
import { type Db, inTransaction, openDb } from '../../src/store/db.js';
import { natsServerPerFile } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';

// The shared channel state on a real nats-server: each "instance" is its own SQLite file, stores and mirror;
// pairing requests, approvals and group activation made on one are read synchronously on the others.

const nats = natsServerPerFile();
const dirs: string[] = [];
const mirrors: ChannelStateMirror[] = [];
after(async () => {
  await Promise.all(mirrors.map((m) => m.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const log = createLogger('silent');

interface Instance { db: Db; pairing: ChannelPairingStore; inbound: ChannelInboundStore; mirror: ChannelStateMirror }

/** A fresh state dir (or `db`'s), its stores reporting to a mirror of `bucket`. */
async function instance(bucket: string, db?: Db): Promise<Instance> {
  if (!db) {
    const dir = mkdtempSync(join(tmpdir(), 'clawgate-chanstate-'));
    dirs.push(dir);
    db = openDb(dir);
  }
  const mirror = await openChannelStateMirror(await nats.connect(), new SqliteChannelStateTables(db), { log, bucket });
  mirrors.push(mirror);
  const changed = (key: Parameters<ChannelStateMirror['changed']>[0]) => mirror.changed(key);
  return {
    db, mirror,
    pairing: new ChannelPairingStore(db, { now: () => Date.now(), changed }),
    inbound: new ChannelInboundStore(db, { now: () => Date.now(), changed }),
  };
}

const ask = (senderId: string) => ({
  channel: 'telegram' as const, accountId: 'default', senderId, senderLabel: `User ${senderId}`, replyTo: { chatId: senderId, chatType: 'direct' as const },
});

test('row keys survive the round trip through KV keys, whatever their text', () => {
  for (const key of [
    { table: 'pairing' as const, channel: 'telegram' as const, accountId: 'a.b', senderId: '12 34>*' },
    { table: 'allow' as const, channel: 'signal' as const, accountId: 'default', senderId: '+1555' },
    { table: 'activation' as const, sessionKey: 'agent:main:telegram:group:-100.5' },
  ]) {
    const kv = channelStateKvKey(key);
    assert.match(kv, /^[a-z]+\.[A-Za-z0-9_-]+$/);
    assert.deepEqual(channelStateKeyOf(kv), key);
  }
  assert.throws(() => channelStateKeyOf('other.abc'), /not a channel state key/);
  assert.throws(() => channelStateKeyOf(`pairing.${Buffer.from('"x"').toString('base64url')}`), /not a channel state key/);
});

test('a request made on the holder is approved on another instance; a third one started later knows it all', async () => {
  const a = await instance('state-approve');
  const b = await instance('state-approve');
  const outcome = a.pairing.request(ask('42'));
  assert.equal(outcome.kind, 'created');
  const code = outcome.kind === 'created' ? outcome.code : '';
  await a.mirror.flushed();
  await until(() => b.pairing.list().length === 1, 'the request on B');
  assert.equal(b.pairing.list()[0]?.requestId, code);

  const approval = b.pairing.approve({ channel: 'telegram', accountId: 'default', code: code.toLowerCase() });
  assert.equal(approval.ownerBootstrapped, true);
  await b.mirror.flushed();
  await until(() => a.pairing.isApproved('telegram', 'default', '42'), 'the approval on A');
  await until(() => a.pairing.list().length === 0, 'the request gone on A');
  assert.equal(a.pairing.owner('telegram', 'default'), '42');

  a.inbound.setActivation('agent:main:telegram:group:-100', 'always');
  await a.mirror.flushed();
  await until(() => b.inbound.activation('agent:main:telegram:group:-100') === 'always', 'the activation on B');

  const c = await instance('state-approve'); // loaded before it returns: read at once, no waiting
  assert.equal(c.pairing.isApproved('telegram', 'default', '42'), true);
  assert.equal(c.pairing.owner('telegram', 'default'), '42');
  assert.equal(c.pairing.list().length, 0);
  assert.equal(c.inbound.activation('agent:main:telegram:group:-100'), 'always');
  // a rejection is shared too: the sender gets no new code on another instance
  const again = a.pairing.request(ask('77'));
  await a.mirror.flushed();
  await until(() => c.pairing.list().length === 1, 'the second request on C');
  c.pairing.reject({ channel: 'telegram', accountId: 'default', code: again.kind === 'created' ? again.code : '' });
  await c.mirror.flushed();
  await until(() => a.pairing.list().length === 0, 'the rejection on A');
  assert.equal(a.pairing.request(ask('77')).kind, 'rejected');
});

test('a change in a rolled-back transaction reaches nobody; the last of two concurrent writes wins everywhere', async () => {
  const a = await instance('state-lww');
  const b = await instance('state-lww');
  assert.throws(() => inTransaction(a.db, () => { a.pairing.request(ask('9')); throw new Error('rolled back'); }), /rolled back/);
  assert.equal(a.pairing.list().length, 0);
  a.inbound.setActivation('g1', 'always'); // written after the rolled-back one: B has it once both are in
  await a.mirror.flushed();
  await until(() => b.inbound.activation('g1') === 'always', 'the activation on B');
  assert.equal(b.pairing.list().length, 0);
  const kv = await new Kvm(await nats.connect()).open('state-lww');
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  assert.deepEqual(keys, [channelStateKvKey({ table: 'activation', sessionKey: 'g1' })], 'nothing was written for the rolled-back request');

  for (let i = 0; i < 20; i++) {
    a.inbound.setActivation('g2', i % 2 === 0 ? 'always' : 'mention');
    b.inbound.setActivation('g2', i % 2 === 0 ? 'mention' : 'always');
  }
  await Promise.all([a.mirror.flushed(), b.mirror.flushed()]);
  const c = await instance('state-lww');
  const settled = c.inbound.activation('g2');
  assert.ok(settled === 'always' || settled === 'mention');
  await until(() => a.inbound.activation('g2') === settled && b.inbound.activation('g2') === settled, `g2 = ${settled} on A and B`);
});

test('at start, what only this instance has: approvals and activations are shared, unknown requests dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-chanstate-'));
  dirs.push(dir);
  const alone = openDb(dir);
  // a gateway that ran on its own: no mirror yet
  const pairing = new ChannelPairingStore(alone, { now: () => Date.now() });
  const code = pairing.request(ask('5'));
  pairing.approve({ channel: 'telegram', accountId: 'default', code: code.kind === 'created' ? code.code : '' });
  pairing.request(ask('6'));
  new ChannelInboundStore(alone, { now: () => Date.now() }).setActivation('g', 'always');

  const other = await instance('state-join');
  const joined = await instance('state-join', alone);
  assert.equal(joined.pairing.list().length, 0, 'a request the cluster does not know is dropped');
  assert.equal(joined.pairing.isApproved('telegram', 'default', '5'), true);
  await joined.mirror.flushed();
  await until(() => other.pairing.isApproved('telegram', 'default', '5') && other.inbound.activation('g') === 'always', 'the approval and activation on the other');
  assert.equal(other.pairing.owner('telegram', 'default'), '5');
});

test('close writes the changes reported just before it', async () => {
  const a = await instance('state-close');
  a.inbound.setActivation('g', 'always');
  a.pairing.request(ask('8'));
  await a.mirror.close();
  const b = await instance('state-close');
  assert.equal(b.inbound.activation('g'), 'always');
  assert.deepEqual(b.pairing.list().map((r) => r.senderId), ['8']);
});
