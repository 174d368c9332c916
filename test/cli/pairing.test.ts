import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { FakeChannels, pairingRequest } from '../helpers/fake-channels.js';
import { TOKEN } from '../helpers/ws-client.js';
import { assertBuilt, exits, failsWith, freePort, killAll, runCli } from '../helpers/cli.js';

// `clawgate pairing list|approve|reject` (channels.md §5.4) as subprocesses against a gateway started here,
// whose channel layer is an in-test ChannelsControl: output lines, --json, exit codes 0/1/2/69.

describe('clawgate pairing', () => {
  let g: TestGateway;
  let conn: string[];
  const fake = new FakeChannels();

  before(async () => {
    assertBuilt();
    g = await startTestGateway({ token: TOKEN }, { channels: fake });
    conn = ['--port', String(g.port), '--token', TOKEN];
  });
  after(async () => {
    await g?.close();
    await killAll();
  });

  test('list: a table with the named columns; none; --json is the gateway payload', async () => {
    fake.requests = [];
    let r = await runCli(['pairing', 'list', ...conn]);
    exits(r, 0);
    assert.equal(r.stdout, 'Pending pairing requests: none\n');
    const now = Date.now();
    fake.requests = [pairingRequest('ABCD2345', '111', now - 5 * 60_000)];
    r = await runCli(['pairing', 'list', 'telegram', ...conn]);
    exits(r, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^CHANNEL\s+ACCOUNT\s+CODE\s+SENDER\s+LABEL\s+AGE\s+EXPIRES-IN$/);
    assert.match(lines[1], /^telegram\s+default\s+ABCD2345\s+111\s+user 111\s+[5-9]m\s+5[0-5]m$/);
    assert.deepEqual(fake.calls.at(-1), { method: 'pairingList', args: [{ channel: 'telegram', accountId: undefined }] });
    r = await runCli(['pairing', 'list', '--json', ...conn]);
    exits(r, 0);
    const payload = JSON.parse(r.stdout);
    assert.equal(payload.requests[0].requestId, 'ABCD2345');
    assert.deepEqual(payload.limits, { pendingPerAccount: 3, ttlMs: 3_600_000 });
  });

  test('approve: `approved <sender> on <channel>/<account>, now the owner` once, then without; --notify is passed', async () => {
    fake.owners.clear();
    fake.requests = [pairingRequest('ABCD2345', '111', Date.now()), pairingRequest('EFGH2345', '222', Date.now())];
    let r = await runCli(['pairing', 'approve', 'telegram', 'abcd2345', ...conn]);
    exits(r, 0);
    assert.equal(r.stdout, 'approved 111 on telegram/default, now the owner\n');
    assert.deepEqual(fake.calls.at(-1), { method: 'pairingApprove', args: [{ channel: 'telegram', code: 'abcd2345', accountId: 'default', notify: undefined }] });
    r = await runCli(['pairing', 'approve', 'telegram', 'EFGH2345', '--account', 'default', '--notify', ...conn]);
    exits(r, 0);
    assert.equal(r.stdout, 'approved 222 on telegram/default\n');
    assert.deepEqual(fake.calls.at(-1), { method: 'pairingApprove', args: [{ channel: 'telegram', code: 'EFGH2345', accountId: 'default', notify: true }] });
  });

  test('reject: `rejected <sender> on <channel>/<account>`', async () => {
    fake.requests = [pairingRequest('JKLM2345', '333', Date.now())];
    const r = await runCli(['pairing', 'reject', 'telegram', 'JKLM2345', ...conn]);
    exits(r, 0);
    assert.equal(r.stdout, 'rejected 333 on telegram/default\n');
  });

  test('the gateway\'s refusals → exit 1 with its message', async () => {
    fake.requests = [];
    failsWith(await runCli(['pairing', 'approve', 'telegram', 'NOPE2345', ...conn]), 1,
      /^clawgate: channels\.pairing\.approve: no pending pairing request NOPE2345 for telegram account default \[INVALID_REQUEST\]\n$/);
    fake.expired.add('OLDX2345');
    failsWith(await runCli(['pairing', 'reject', 'telegram', 'OLDX2345', ...conn]), 1, /pairing request OLDX2345 for telegram has expired/);
    failsWith(await runCli(['pairing', 'approve', 'slack', 'ABCD2345', ...conn]), 1, /^clawgate: channels\.pairing\.approve: unknown channel: slack/);
  });

  test('usage errors → exit 2; no gateway → exit 69', async () => {
    failsWith(await runCli(['pairing', ...conn]), 2, /pairing: missing command/);
    failsWith(await runCli(['pairing', 'approve', 'telegram', ...conn]), 2, /pairing approve: missing <CODE>/);
    failsWith(await runCli(['pairing', 'reject', ...conn]), 2, /missing <channel> and <CODE>/);
    failsWith(await runCli(['pairing', 'approve', 'telegram', 'A', 'B', ...conn]), 2, /unexpected argument "B"/);
    failsWith(await runCli(['pairing', 'reject', 'telegram', 'A', '--notify', ...conn]), 2, /--notify applies to pairing approve only/);
    failsWith(await runCli(['pairing', 'list', '--bogus', ...conn]), 2);
    failsWith(await runCli(['pairing', 'list', '--port', String(await freePort()), '--token', TOKEN]), 69);
  });
});
