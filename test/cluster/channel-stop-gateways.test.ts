import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NOTHING_TO_STOP_TEXT, STOPPED_TEXT } from '../../src/surfaces/channels/replies.js';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { runStatus, sendMessage } from '../helpers/cluster-gateways.js';
import { startTelegramCluster, type Name, type TelegramCluster } from '../helpers/telegram-cluster.js';
import type { FakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeTelegram } from '../helpers/fake-telegram.js';
import { uniq } from '../helpers/ids.js';
import { dm, sentTexts } from '../helpers/telegram-gateway.js';
import { until, within } from '../helpers/wait.js';

// A channel's /status and /stop in cluster mode, on real processes: nats-server, the fake Bot API, a fake
// OpenAI-compatible model that hangs until the run is aborted, and three gateways on one bot token. A DM's
// session may be owned by another instance than the account's holder (an HTTP message for it went there
// first): its runs run there, so /status and /stop through the holder must ask the owner.

const TTL_MS = 2_000;

describe('a channel\'s /status and /stop in cluster mode', () => {
  let cluster: TelegramCluster;
  let fake: FakeTelegram;
  let model: FakeOpenAI;
  let gw: Record<Name, CliGateway>;
  let online: () => Name[];

  before(async () => {
    cluster = await startTelegramCluster({
      prefix: 'clawgate-chan-stop-', account: ['dm-policy: allowlist', 'allow-from: ["111"]', 'streaming: off'], ttlMs: TTL_MS, model: true,
    });
    ({ fake, gw, online } = cluster);
    model = cluster.model!;
  });
  after(() => cluster?.close());

  /** Sends a command from user 111; the bot's reply. */
  async function command(text: string): Promise<string | undefined> {
    const before = fake.callsOf('sendMessage').length;
    fake.queueUpdate(dm(111, text));
    await fake.waitForCalls('sendMessage', before + 1, 30_000);
    return sentTexts(fake, 111).at(-1);
  }

  test('/status and /stop through the holder see and stop the runs of a session another instance owns', async () => {
    await until(() => online().length === 1, 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const owner = (['a', 'b', 'c'] as const).find((n) => n !== holder)!;
    const session = 'agent:main:telegram:direct:111';
    // an operator's message for the DM's session goes to a standby instance, which takes the session: its run
    // is under way there (the model hangs until the run is aborted), and a second one waits behind it
    model.enqueue({ text: ['partial'], hang: true });
    const [first, second] = [uniq('req'), uniq('req')];
    const running = sendMessage(gw[owner], session, first, 'long');
    await model.waitForRequests(1, 30_000);
    const waiting = sendMessage(gw[owner], session, second, 'next');
    await until(async () => (await runStatus(gw[owner], second)).json.state === 'queued', 'the second message to wait', 15_000, 20);

    const status = await command('/status');
    assert.match(status ?? '', new RegExp(`^Run: running ${first}$`, 'm'), status);
    assert.match(status ?? '', /^Queued: 1$/m, status);

    assert.equal(await command('/stop'), STOPPED_TEXT);
    const r = await within(running, 'the running message\'s HTTP caller to be answered', 15_000);
    assert.deepEqual([r.status, r.json.canceled], [200, true], JSON.stringify(r.json));
    await model.waitForAbort(0, 15_000);
    const w = await within(waiting, 'the waiting message\'s HTTP caller to be answered', 15_000);
    assert.deepEqual([w.status, w.json.canceled], [200, true], JSON.stringify(w.json));
    assert.equal(model.requests.length, 1, 'the waiting message never ran');
    for (const id of [first, second]) assert.equal((await runStatus(gw[holder], id)).json.state, 'cancelled');

    assert.equal(await command('/stop'), NOTHING_TO_STOP_TEXT);
    const idle = await command('/status');
    assert.match(idle ?? '', /^Run: idle$/m, idle);
    assert.match(idle ?? '', /^Queued: 0$/m, idle);
  });
});
