import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openChannelLeases } from '../../src/cluster/channel-leases.js';
import { busyText } from '../../src/surfaces/channels/replies.js';
import { CHANNELS_BUCKET, sessionToken } from '../../src/cluster/subjects.js';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { accountStates, completedRuns, runStatus, sendMessage, words } from '../helpers/cluster-gateways.js';
import type { FakeTelegram } from '../helpers/fake-telegram.js';
import { startTelegramCluster, type Name, type TelegramCluster } from '../helpers/telegram-cluster.js';
import { dm, sentTexts } from '../helpers/telegram-gateway.js';
import { sleep, until } from '../helpers/wait.js';
import { adminClient, stopClient } from '../helpers/ws-client.js';

// Issue 17's "one poller per bot token in the whole cluster", on real processes: nats-server, the fake Bot API
// and three CLI gateways configured with the same bot token. Exactly one instance polls (the lease holder); the
// others show the account in standby, owned by it. SIGKILL the holder: another instance polls within the lease
// TTL + 5 s and answers what is sent after, once. SIGTERM the next holder: it gives the lease up as it exits.
// And a channel message goes through the cluster's inbox like any other: it runs on its session's owner, after
// that session's other runs (here an HTTP message sent to a standby instance), its reply reaches the chat once
// through the holder, and an update delivered again after the holder died is not run again; a session owner
// stopped (SIGTERM) during a channel run still has its reply sent by the holder.

const TTL_MS = 2_000;
const LEASE_KEY = 'telegram:bot:123';

/**
 * Fake Bot API, nats-server and three gateways on one bot token (allow-list: users 111, 222 and 333), the mock
 * streaming a word per `delayMs`; `args` flags for all three.
 */
const startCluster = (delayMs: number, args: string[] = []): Promise<TelegramCluster> => startTelegramCluster({
  prefix: 'clawgate-chan-lease-', account: ['dm-policy: allowlist', 'allow-from: ["111", "222", "333"]', 'streaming: off'], ttlMs: TTL_MS, delayMs, args,
});

describe('channel accounts by lease across three gateways', () => {
  let cluster: TelegramCluster;
  let fake: FakeTelegram;
  let gw: Record<Name, CliGateway>;
  let live: () => Name[];
  let online: () => Name[];
  let nc: NatsConnection;

  before(async () => {
    cluster = await startCluster(0);
    ({ fake, gw, live, online } = cluster);
    nc = await connect({ servers: cluster.nats.url });
  });
  after(async () => {
    await nc?.close();
    await cluster?.close();
  });

  test('a lease taken away (purged by an operator, taken by another instance): the holder stops polling and waits in standby', async () => {
    await until(() => online().length === 1 && live().every((n) => accountStates(gw[n]).length > 0), 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    // "gw-x" is another instance: this test's own lease table on the same bucket
    const x = await openChannelLeases(nc, { instanceId: 'gw-x', ttlMs: TTL_MS });
    const kv = await new Kvm(nc).open(CHANNELS_BUCKET);
    await until(async () => {
      await kv.purge(sessionToken(LEASE_KEY));
      return x.acquire(LEASE_KEY);
    }, 'gw-x to take the lease', 10_000, 50);
    await until(() => live().every((n) => accountStates(gw[n]).at(-1) === 'standby'), 'every instance in standby', TTL_MS + 5_000, 20);
    assert.ok(accountStates(gw[holder]).slice(-2).join() === 'online,standby', `the holder went from online to standby at once: ${accountStates(gw[holder])}`);
    // gw-x gives it up: one of the three takes the account again
    await x.close();
    await until(() => online().length === 1, 'one instance online again', TTL_MS + 5_000, 20);
  });

  test('one instance polls; the others are in standby, owned by it; SIGKILL it and another polls within TTL + 5 s, answering once', async () => {
    await until(() => online().length === 1 && live().every((n) => accountStates(gw[n]).length > 0), 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const standby = live().filter((n) => n !== holder);
    await until(() => standby.every((n) => accountStates(gw[n]).at(-1) === 'standby'), 'the others in standby', 10_000, 20);
    // channels.status on a standby instance names the holder
    const conflicts = fake.pollConflicts(); // the hand-over of the test before may have cut one poll off
    const seen = Object.fromEntries(standby.map((n) => [n, accountStates(gw[n]).length]));
    const admin = await adminClient(gw[standby[0]!].url);
    try {
      await until(async () => (await admin.request('channels.status', {})).channelAccounts.telegram[0].leaseOwner === `gw-${holder}`, 'standby to name the holder', 10_000, 50);
      const [account] = (await admin.request('channels.status', {})).channelAccounts.telegram;
      assert.deepEqual([account.state, account.running, account.connected], ['standby', false, false]);
    } finally {
      await stopClient(admin);
    }
    fake.queueUpdate(dm(111, 'one'));
    await fake.waitForCalls('sendMessage', 1, 20_000);
    // two lease TTLs of standby instances asking (every TTL/2): still one poller, never a second one
    await sleep(2 * TTL_MS);
    assert.deepEqual(online(), [holder]);
    for (const n of standby) assert.ok(!accountStates(gw[n]).slice(seen[n]).includes('online'), `gw-${n} never went online: ${accountStates(gw[n])}`);
    assert.equal(fake.pollConflicts(), conflicts, 'no getUpdates was ever cut off by a second poller');

    gw[holder].proc.kill('SIGKILL');
    await gw[holder].proc.exit();
    await until(() => online().length === 1, 'another instance to poll', TTL_MS + 5_000, 20);
    const [successor] = online() as [Name];
    assert.notEqual(successor, holder);
    fake.queueUpdate(dm(111, 'two'));
    await fake.waitForCalls('sendMessage', 2, 20_000);
    fake.queueUpdate(dm(111, 'three'));
    await fake.waitForCalls('sendMessage', 3, 20_000);
    assert.deepEqual(sentTexts(fake, 111), ['Echo: one', 'Echo: two', 'Echo: three'], 'each message answered once');
    assert.equal(online().length, 1);
    assert.equal(fake.pollConflicts(), conflicts);

    // a graceful stop gives the lease up before the process exits: no one waits for the TTL
    gw[successor].proc.kill('SIGTERM');
    assert.equal((await gw[successor].proc.exit(15_000)).code, 0);
    const entry = await (await new Kvm(nc).open(CHANNELS_BUCKET)).get(sessionToken(LEASE_KEY));
    assert.ok(entry?.operation !== 'PUT' || entry.json<{ owner: string }>().owner !== `gw-${successor}`, 'the lease was released on exit');
    const [last] = live() as [Name];
    await until(() => accountStates(gw[last]).at(-1) === 'online', 'the last instance to poll', TTL_MS + 5_000, 20);
    fake.queueUpdate(dm(111, 'four'));
    await fake.waitForCalls('sendMessage', 4, 20_000);
    assert.deepEqual(sentTexts(fake, 111), ['Echo: one', 'Echo: two', 'Echo: three', 'Echo: four']);
    assert.equal(fake.pollConflicts(), conflicts);
  });
});

describe('channel messages through the cluster inbox', () => {
  let cluster: TelegramCluster;
  let fake: FakeTelegram;
  let gw: Record<Name, CliGateway>;
  let live: () => Name[];
  let online: () => Name[];

  before(async () => {
    // the mock streams one word per 50 ms; one message may wait behind a session's running run
    cluster = await startCluster(50, ['--max-queue', '1']);
    ({ fake, gw, live, online } = cluster);
  });
  after(() => cluster?.close());

  test('the session queue bound counts in the whole cluster for a channel message too: one beyond it is answered busy and not run', async () => {
    await until(() => online().length === 1, 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const [owner] = live().filter((n) => n !== holder) as [Name];
    const session = 'agent:main:telegram:direct:333';
    // a run under way on a standby instance, and one message waiting behind it (accepted by the holder)
    const first = sendMessage(gw[owner], session, 'full-1', words(40));
    await until(async () => (await runStatus(gw[holder], 'full-1')).json?.state === 'running', 'the first to run', 15_000, 20);
    const second = sendMessage(gw[holder], session, 'full-2', 'waiting');
    await until(async () => (await runStatus(gw[owner], 'full-2')).json?.state === 'queued', 'the second to wait', 15_000, 20);
    const sent = fake.callsOf('sendMessage').length;
    const id = fake.queueUpdate(dm(333, 'one too many'));
    await fake.waitForCalls('sendMessage', sent + 1, 15_000);
    assert.deepEqual(sentTexts(fake, 333), [busyText(1)]);
    assert.equal((await runStatus(gw[owner], `tg:default:123:${id}`)).status, 404, 'nothing journaled for it');
    assert.deepEqual([(await first).status, (await second).json.reply], [200, 'Echo: waiting']);
  });

  test('a DM runs on the session\'s owner after its HTTP run, is answered once through the holder, and its redelivery runs nothing', async () => {
    await until(() => online().length === 1, 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const [owner] = live().filter((n) => n !== holder) as [Name];
    const session = 'agent:main:telegram:direct:111';
    const before = await Promise.all(live().map((n) => completedRuns(gw[n])));
    // the session is owned by a standby instance: an operator's message for it is running there
    const http = sendMessage(gw[owner], session, 'op-1', words(20));
    await until(async () => (await runStatus(gw[holder], 'op-1')).json?.state === 'running', 'the HTTP run to be running', 15_000, 20);
    const update = dm(111, 'hello');
    const sent = fake.callsOf('sendMessage').length; // an earlier test's
    fake.queueUpdate({ ...update, update_id: 500 });
    const runId = 'tg:default:123:500';
    await fake.waitForCalls('sendMessage', sent + 1, 30_000);
    assert.equal((await http).status, 200);
    assert.deepEqual(sentTexts(fake, 111), ['Echo: hello']);
    const [op, tg] = [(await runStatus(gw[holder], 'op-1')).json, (await runStatus(gw[holder], runId)).json];
    assert.deepEqual([op.state, tg.state, tg.session_id], ['completed', 'completed', session]);
    assert.ok(Date.parse(tg.started_at) >= Date.parse(op.finished_at), `the DM started ${tg.started_at}, after the HTTP run ended ${op.finished_at}`);
    const afterRuns = await Promise.all(live().map((n) => completedRuns(gw[n])));
    const ran = Object.fromEntries(live().map((n, i) => [n, afterRuns[i]! - before[i]!]));
    assert.equal(ran[owner], 2, `both runs on the session's owner gw-${owner}: ${JSON.stringify(ran)}`);
    assert.equal(ran[holder], 0, 'none on the holder: it only accepted the DM and sent the reply');
    // the holder showed typing in the chat while the run was under way on the owner (its events over NATS)
    assert.ok(fake.callsOf('sendChatAction').some((c) => String(c.body.chat_id) === '111'), 'typing in the chat');

    // the holder dies; Telegram delivers update 500 again (as it does for an update never confirmed)
    gw[holder].proc.kill('SIGKILL');
    await gw[holder].proc.exit();
    await until(() => online().length === 1, 'another instance to poll', TTL_MS + 5_000, 20);
    fake.queueUpdate({ ...update, update_id: 500 });
    fake.queueUpdate(dm(111, 'after'));
    // update 500 is handled before "after" (one poller, in order): run again, its answer would come first
    await fake.waitForCalls('sendMessage', sent + 2, 30_000);
    assert.deepEqual(sentTexts(fake, 111), ['Echo: hello', 'Echo: after'], 'the redelivered update was not run again');
    assert.equal((await runStatus(gw[online()[0]!], runId)).json.state, 'completed');
  });

  test('a session owner stopped during a channel run hands the reply to the holder as it exits', async () => {
    await until(() => online().length === 1, 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const [owner] = live().filter((n) => n !== holder) as [Name];
    const session = 'agent:main:telegram:direct:222';
    // the session is owned by the standby instance: it accepted an operator's message for it first
    assert.equal((await sendMessage(gw[owner], session, 'op-222', 'hi')).status, 200);
    const sent = fake.callsOf('sendMessage').length;
    const id = fake.queueUpdate(dm(222, words(30)));
    const runId = `tg:default:123:${id}`;
    await until(async () => (await runStatus(gw[holder], runId)).json?.state === 'running', 'the DM to run on the owner', 15_000, 20);
    gw[owner].proc.kill('SIGTERM'); // the drain lets the run end (grace 10 s), then its reply is forwarded
    assert.equal((await gw[owner].proc.exit(20_000)).code, 0);
    await fake.waitForCalls('sendMessage', sent + 1, 15_000);
    assert.deepEqual(sentTexts(fake, 222), [`Echo: ${words(30)}`]);
  });
});
