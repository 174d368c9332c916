import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CHANNELS_BUCKET, sessionToken } from '../../src/cluster/subjects.js';
import { assertBuilt, killAll, tempDir } from '../helpers/cli.js';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { startClusterGateways } from '../helpers/cluster-gateways.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { dm, sentTexts } from '../helpers/telegram-gateway.js';
import { sleep, until } from '../helpers/wait.js';
import { adminClient, stopClient } from '../helpers/ws-client.js';

// Issue 17's "one poller per bot token in the whole cluster", on real processes: nats-server, the fake Bot API
// and three CLI gateways configured with the same bot token. Exactly one instance polls (the lease holder); the
// others show the account in standby, owned by it. SIGKILL the holder: another instance polls within the lease
// TTL + 5 s and answers what is sent after, once. SIGTERM the next holder: it gives the lease up as it exits.

const TTL_MS = 2_000;
const LEASE_KEY = 'telegram:bot:123';
type Name = 'a' | 'b' | 'c';

/** The states `g` logged for its Telegram account, in order. */
function states(g: CliGateway): string[] {
  return g.proc.logLines().filter((l) => l.msg === 'channel account state').map((l) => String(l.state));
}

describe('channel accounts by lease across three gateways', () => {
  let nats: NatsServer;
  let fake: FakeTelegram;
  let gw: Record<Name, CliGateway>;
  let nc: NatsConnection;

  before(async () => {
    assertBuilt();
    nats = await startNatsServer();
    fake = await startFakeTelegram({ username: 't_bot' });
    const config = join(tempDir('clawgate-chan-lease-'), 'clawgate.yaml');
    writeFileSync(config, [
      'channels:', '  telegram:', `    bot-token: "${fake.token}"`, `    api-root: "${fake.apiRoot}"`,
      '    dm-policy: allowlist', '    allow-from: ["111"]', '    streaming: off',
    ].join('\n'));
    gw = await startClusterGateways(nats.url, TTL_MS, 0, ['--config', config, '--log-level', 'info']);
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    await nc?.close();
    await killAll();
    await fake?.close();
    await nats?.stop();
  });

  const live = (): Name[] => (['a', 'b', 'c'] as const).filter((n) => gw[n].proc.running);
  const online = (): Name[] => live().filter((n) => states(gw[n]).at(-1) === 'online');

  test('one instance polls; the others are in standby, owned by it; SIGKILL it and another polls within TTL + 5 s, answering once', async () => {
    await until(() => online().length === 1 && live().every((n) => states(gw[n]).length > 0), 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const standby = live().filter((n) => n !== holder);
    await until(() => standby.every((n) => states(gw[n]).at(-1) === 'standby'), 'the others in standby', 10_000, 20);
    // channels.status on a standby instance names the holder
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
    for (const n of standby) assert.ok(!states(gw[n]).includes('online'), `gw-${n} never went online: ${states(gw[n])}`);
    assert.equal(fake.pollConflicts(), 0, 'no getUpdates was ever cut off by a second poller');

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
    assert.equal(fake.pollConflicts(), 0);

    // a graceful stop gives the lease up before the process exits: no one waits for the TTL
    gw[successor].proc.kill('SIGTERM');
    assert.equal((await gw[successor].proc.exit(15_000)).code, 0);
    const entry = await (await new Kvm(nc).open(CHANNELS_BUCKET)).get(sessionToken(LEASE_KEY));
    assert.ok(entry?.operation !== 'PUT' || entry.json<{ owner: string }>().owner !== `gw-${successor}`, 'the lease was released on exit');
    const [last] = live() as [Name];
    await until(() => states(gw[last]).at(-1) === 'online', 'the last instance to poll', TTL_MS + 5_000, 20);
    fake.queueUpdate(dm(111, 'four'));
    await fake.waitForCalls('sendMessage', 4, 20_000);
    assert.deepEqual(sentTexts(fake, 111), ['Echo: one', 'Echo: two', 'Echo: three', 'Echo: four']);
    assert.equal(fake.pollConflicts(), 0);
  });
});
