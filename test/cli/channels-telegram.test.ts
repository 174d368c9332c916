import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dm, sentTexts, startTelegramGateway, type TelegramGateway } from '../helpers/telegram-gateway.js';
import { RawSocket, TOKEN } from '../helpers/ws-client.js';
import { assertPublishedFrame } from '../helpers/published-schema.js';
import { until } from '../helpers/wait.js';
import { assertBuilt, exits, failsWith, killAll, runCli } from '../helpers/cli.js';

// The §5 surface against the real channel manager: a gateway with one Telegram account on a fake Bot API. A
// stranger's DM creates a pairing request; `clawgate pairing list|approve` and `clawgate channels status` show
// and decide it; channels.status over WS validates against the published schema with the manager's snapshots.

describe('channels and pairing CLI against the real channel manager (Telegram)', () => {
  let g: TelegramGateway;
  let conn: string[];

  before(async () => {
    assertBuilt();
    g = await startTelegramGateway({ gateway: { token: TOKEN } });
    conn = ['--port', String(g.tg.port), '--token', TOKEN];
    await until(() => g.tg.gw.channels!.notOnline().length === 0, 'telegram:default online');
  });
  after(async () => {
    await g?.close();
    await killAll();
  });

  test('X1: channels.status with the manager\'s snapshots validates; the CLI shows the account online', async () => {
    const ws = await RawSocket.connect(g.tg.url, { token: TOKEN, scopes: ['operator.read'] }, 'reader');
    try {
      const res = await ws.request('channels.status', {});
      assert.equal(res.ok, true, JSON.stringify(res.error));
      assertPublishedFrame(res, { method: 'channels.status' });
      assert.deepEqual(res.payload.channels.telegram, { configured: true, running: true, connected: true });
      const [account] = res.payload.channelAccounts.telegram;
      assert.equal(account.accountId, 'default');
      assert.equal(account.state, 'online');
      assert.equal(account.lastError, null);
      assert.equal(account.reconnectAttempts, 0);
      assert.ok(!JSON.stringify(res.payload).includes(g.fake.token.split(':')[1]), 'the bot token never leaves the gateway');
    } finally {
      ws.ws.close();
    }
    const r = await runCli(['channels', 'status', ...conn]);
    exits(r, 0);
    assert.match(r.stdout, /^telegram\s+default\s+online\s+yes\s+polling\s/m);
  });

  test('a stranger\'s code: listed by `pairing list`, approved by `pairing approve` (now the owner); approving again fails', async () => {
    g.fake.queueUpdate(dm(111, 'hello'));
    await g.fake.waitForCalls('sendMessage', 1);
    const code = /Pairing code: ([A-HJ-NP-Z2-9]{8})/.exec(sentTexts(g.fake, 111)[0] ?? '')?.[1];
    assert.ok(code, sentTexts(g.fake, 111).join('\n'));
    const list = await runCli(['pairing', 'list', 'telegram', ...conn]);
    exits(list, 0);
    assert.match(list.stdout, new RegExp(`^telegram\\s+default\\s+${code}\\s+111\\s+`, 'm'));
    const ok = await runCli(['pairing', 'approve', 'telegram', code!.toLowerCase(), ...conn]);
    exits(ok, 0);
    assert.equal(ok.stdout, 'approved 111 on telegram/default, now the owner\n');
    failsWith(await runCli(['pairing', 'approve', 'telegram', code!, ...conn]), 1, new RegExp(`no pending pairing request ${code} for telegram account default`));
    failsWith(await runCli(['channels', 'logout', 'telegram', ...conn]), 1, /channel telegram does not support logout/);
  });
});
