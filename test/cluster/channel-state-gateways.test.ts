import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { startTelegramCluster, type Name, type TelegramCluster } from '../helpers/telegram-cluster.js';
import type { FakeTelegram } from '../helpers/fake-telegram.js';
import { PAIRING_APPROVED_TEXT } from '../../src/surfaces/channels/replies.js';
import { dm, groupMessage, sentTexts } from '../helpers/telegram-gateway.js';
import { until } from '../helpers/wait.js';
import { adminClient, stopClient } from '../helpers/ws-client.js';

// Issue 17's channel state in the whole cluster, on real processes: nats-server, the fake Bot API and three CLI
// gateways on one bot (dm-policy pairing). A stranger's pairing request, made on the instance polling the bot,
// is approved through another one (with the notice, sent by the holder); the sender then talks to the bot
// through the holder. The holder is
// SIGKILLed: the next holder answers that sender without a new pairing code, and a group's `/activation
// always`, set through the dead holder, still holds (an unmentioned message is answered).

const TTL_MS = 2_000;
const OWNER = 999; // in allow-from: the bot's owner, who may set /activation
const STRANGER = 4242;
const MEMBER = 555;
const GROUP = -100777;

describe('pairing and group activation across three gateways', () => {
  let cluster: TelegramCluster;
  let fake: FakeTelegram;
  let gw: Record<Name, CliGateway>;
  let live: () => Name[];
  let online: () => Name[];

  before(async () => {
    cluster = await startTelegramCluster({
      prefix: 'clawgate-chan-state-', ttlMs: TTL_MS,
      account: ['dm-policy: pairing', `allow-from: ["${OWNER}"]`, `group-allow-from: ["${OWNER}", "${MEMBER}"]`, `groups: { "${GROUP}": { require-mention: true } }`, 'streaming: off'],
    });
    ({ fake, gw, live, online } = cluster);
  });
  after(() => cluster?.close());

  test('a sender approved through a standby instance talks through the holder, and through the next holder after a SIGKILL; /activation survives it', async () => {
    await until(() => online().length === 1, 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const [other] = live().filter((n) => n !== holder) as [Name];

    // the stranger asks the holder: one pairing code
    fake.queueUpdate(dm(STRANGER, 'let me in'));
    await until(() => sentTexts(fake, STRANGER).length === 1, 'the pairing code', 20_000, 20);
    const code = /Pairing code: ([A-Z0-9]{8})/.exec(sentTexts(fake, STRANGER)[0]!)?.[1];
    assert.ok(code, `a pairing code in ${sentTexts(fake, STRANGER)[0]}`);

    // approved through an instance that does not hold the account (it learns of the request from the cluster)
    const admin = await adminClient(gw[other].url);
    try {
      await until(async () => (await admin.request('channels.pairing.list', {})).requests.some((r: { requestId: string }) => r.requestId === code),
        `the request on gw-${other}`, 10_000, 50);
      const approved = await admin.request('channels.pairing.approve', { channel: 'telegram', code, notify: true });
      assert.deepEqual([approved.senderId, approved.notification], [String(STRANGER), 'sent']);
      // and it is no longer pending anywhere
      const onHolder = await adminClient(gw[holder].url);
      try {
        await until(async () => (await onHolder.request('channels.pairing.list', {})).requests.length === 0, 'the request gone on the holder', 10_000, 50);
      } finally {
        await stopClient(onHolder);
      }
    } finally {
      await stopClient(admin);
    }
    // the notice, written on the standby instance, is sent by the holder (forwarded as reply rows are)
    await until(() => sentTexts(fake, STRANGER).length === 2, 'the approval notice', 20_000, 20);
    assert.equal(sentTexts(fake, STRANGER)[1], PAIRING_APPROVED_TEXT);
    fake.queueUpdate(dm(STRANGER, 'hello'));
    await until(() => sentTexts(fake, STRANGER).length === 3, 'the answer through the holder', 20_000, 20);
    assert.equal(sentTexts(fake, STRANGER)[2], 'Echo: hello');

    // the owner makes the bot answer every message in the group (through the holder)
    fake.queueUpdate(groupMessage(GROUP, OWNER, '/activation always'));
    await until(() => sentTexts(fake, GROUP).length === 1, 'the /activation answer', 20_000, 20);
    assert.equal(sentTexts(fake, GROUP)[0], 'Activation: always');

    gw[holder].proc.kill('SIGKILL');
    await gw[holder].proc.exit();
    await until(() => online().length === 1, 'another instance to poll', TTL_MS + 5_000, 20);
    const [successor] = online() as [Name];
    assert.notEqual(successor, holder);

    fake.queueUpdate(dm(STRANGER, 'still me'));
    await until(() => sentTexts(fake, STRANGER).length === 4, 'the answer through the next holder', 20_000, 20);
    assert.equal(sentTexts(fake, STRANGER)[3], 'Echo: still me', 'answered, not given a new pairing code');

    fake.queueUpdate(groupMessage(GROUP, MEMBER, 'nobody mentioned the bot'));
    await until(() => sentTexts(fake, GROUP).length === 2, 'the unmentioned group message answered', 20_000, 20);
    assert.match(sentTexts(fake, GROUP)[1]!, /nobody mentioned the bot/);
  });
});
