import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { FakeChannels } from '../helpers/fake-channels.js';
import { TOKEN } from '../helpers/ws-client.js';
import { assertBuilt, exits, failsWith, freePort, killAll, runCli } from '../helpers/cli.js';

// `clawgate channels status|logout|login` (channels.md §5.4) as subprocesses against gateways started here:
// one with an in-test ChannelsControl, one without a channel layer. Output lines, --json, exit codes 0/1/2/69.

describe('clawgate channels', () => {
  let g: TestGateway;
  let bare: TestGateway;
  let conn: string[];
  const fake = new FakeChannels();

  before(async () => {
    assertBuilt();
    g = await startTestGateway({ token: TOKEN }, { channels: fake });
    bare = await startTestGateway({ token: TOKEN });
    conn = ['--port', String(g.port), '--token', TOKEN];
  });
  after(async () => {
    await g?.close();
    await bare?.close();
    await killAll();
  });

  test('status: one row per account with the named columns', async () => {
    fake.accounts.telegram[0].lastInboundAt = Date.now() - 3 * 60_000;
    const r = await runCli(['channels', 'status', ...conn]);
    exits(r, 0);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0], /^CHANNEL\s+ACCOUNT\s+STATE\s+CONNECTED\s+MODE\s+LAST-INBOUND\s+LAST-ERROR$/);
    assert.match(lines[1], /^telegram\s+default\s+online\s+yes\s+polling\s+3m\s+-$/);
    assert.match(lines[2], /^whatsapp\s+default\s+backoff\s+no\s+web\s+-\s+connection closed \(428\)$/);
    assert.deepEqual(fake.calls.at(-1), { method: 'status', args: [{ channel: undefined, probe: undefined, timeoutMs: undefined }] });
  });

  test('status --probe asks for a probe and shows it; --json is the gateway payload', async () => {
    fake.accounts.telegram[0].probe = { ok: true, elapsedMs: 12 };
    fake.accounts.whatsapp[0].probe = { ok: false, elapsedMs: 3, error: 'socket not open' };
    let r = await runCli(['channels', 'status', '--probe', ...conn]);
    exits(r, 0);
    assert.equal(fake.calls.at(-1)?.args[0] && (fake.calls.at(-1)!.args[0] as { probe?: boolean }).probe, true);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /LAST-ERROR\s+PROBE$/);
    assert.match(lines[1], /ok 12ms$/);
    assert.match(lines[2], /failed: socket not open$/);
    r = await runCli(['channels', 'status', '--json', ...conn]);
    exits(r, 0);
    const p = JSON.parse(r.stdout);
    assert.deepEqual(p.channelOrder, ['telegram', 'whatsapp', 'signal']);
    assert.equal(p.channelAccounts.whatsapp[0].reconnectAttempts, 2);
  });

  test('status without a channel layer: none configured', async () => {
    const r = await runCli(['channels', 'status', '--port', String(bare.port), '--token', TOKEN]);
    exits(r, 0);
    assert.equal(r.stdout, 'Channel accounts: none configured\n');
  });

  test('logout: `logged out whatsapp/default`; refusals exit 1 with the gateway\'s message', async () => {
    let r = await runCli(['channels', 'logout', 'whatsapp', ...conn]);
    exits(r, 0);
    assert.equal(r.stdout, 'logged out whatsapp/default\n');
    assert.deepEqual(fake.calls.at(-1), { method: 'logout', args: ['whatsapp', undefined] });
    failsWith(await runCli(['channels', 'logout', 'telegram', ...conn]), 1, /^clawgate: channels\.logout: channel telegram does not support logout \[INVALID_REQUEST\]\n$/);
    failsWith(await runCli(['channels', 'logout', 'whatsapp', '--account', 'work', ...conn]), 1, /unknown account "work" for channel whatsapp/);
    failsWith(await runCli(['channels', 'logout', 'whatsapp', '--port', String(bare.port), '--token', TOKEN]), 1, /channel whatsapp is not configured/);
    r = await runCli(['channels', 'logout', 'whatsapp', '--account', 'default', '--json', ...conn]);
    exits(r, 0);
    assert.deepEqual(JSON.parse(r.stdout), { channel: 'whatsapp', accountId: 'default', cleared: true });
  });

  test('login: a usage error for every channel but whatsapp (exit 2)', async () => {
    failsWith(await runCli(['channels', 'login', 'telegram', ...conn]), 2, /channels login: only whatsapp/);
    failsWith(await runCli(['channels', 'login', 'signal', ...conn]), 2, /channels login: only whatsapp/);
    failsWith(await runCli(['channels', 'login', ...conn]), 2, /channels login: missing <channel>/);
    failsWith(await runCli(['channels', 'login', 'whatsapp', '--pairing-code', 'abc', ...conn]), 2, /--pairing-code must be a phone number/);
  });

  test('login whatsapp: start, then wait until linked; the QR is drawn, redrawn when it rotates; `linked`, exit 0', async () => {
    const first = 'data:image/png;base64,UkVGMQ==';
    const second = 'data:image/png;base64,UkVGMg==';
    fake.loginStartResult = { connected: false, message: 'Scan this QR code', qr: 'ref1', qrDataUrl: first };
    fake.loginWaits = [{ connected: false, message: 'Scan this QR code', qr: 'ref2', qrDataUrl: second }, { connected: true, message: 'linked' }];
    const before = fake.calls.length;
    const r = await runCli(['channels', 'login', 'whatsapp', '--account', 'default', ...conn]);
    exits(r, 0);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.endsWith('linked\n'), r.stdout);
    assert.match(r.stdout, /Scan this QR code/);
    assert.match(r.stdout, /The QR code changed/);
    assert.equal((r.stdout.match(/[▀▄█]/g) ?? []).length > 100, true, 'a terminal QR is drawn');
    const calls = fake.calls.slice(before);
    assert.deepEqual(calls.map((c) => c.method), ['loginStart', 'loginWait', 'loginWait']);
    assert.equal((calls[0].args[0] as { accountId?: string }).accountId, 'default');
    assert.equal((calls[1].args[0] as { currentQrDataUrl?: string }).currentQrDataUrl, first);
    assert.equal((calls[2].args[0] as { currentQrDataUrl?: string }).currentQrDataUrl, second);
  });

  test('login whatsapp --pairing-code: the number goes to web.login.start; the code is printed, no QR', async () => {
    fake.loginStartResult = { connected: false, message: 'Enter this code', pairingCode: 'WXYZ2345', qr: 'ref1', qrDataUrl: 'data:image/png;base64,UkVGMQ==' };
    fake.loginWaits = [{ connected: true, message: 'linked' }];
    const r = await runCli(['channels', 'login', 'whatsapp', '--pairing-code', '+15551230000', ...conn]);
    exits(r, 0);
    assert.match(r.stdout, /^Pairing code: WXYZ2345$/m);
    assert.doesNotMatch(r.stdout, /[▀▄█]/);
    const start = [...fake.calls].reverse().find((c) => c.method === 'loginStart');
    assert.deepEqual((start?.args[0] as { phoneNumber?: string } | undefined)?.phoneNumber, '+15551230000');
  });

  test('login whatsapp: already linked → `linked` at once; a failed login → exit 1 with its message', async () => {
    fake.loginStartResult = { connected: true, message: 'already linked' };
    let r = await runCli(['channels', 'login', 'whatsapp', ...conn]);
    exits(r, 0);
    assert.equal(r.stdout, 'linked\n');
    fake.loginStartResult = { connected: false, message: 'Scan', qr: 'ref1', qrDataUrl: 'data:image/png;base64,UkVGMQ==' };
    fake.loginWaits = [{ connected: false, message: 'login failed: login timed out' }];
    r = await runCli(['channels', 'login', 'whatsapp', ...conn]);
    exits(r, 1);
    assert.equal(r.stderr, 'clawgate: channels login whatsapp: login failed: login timed out\n');
    assert.match(r.stdout, /Scan this QR code/);
    failsWith(await runCli(['channels', 'login', 'whatsapp', '--port', String(bare.port), '--token', TOKEN]), 1, /channel whatsapp is not configured/);
  });

  test('usage errors → exit 2; no gateway → exit 69', async () => {
    failsWith(await runCli(['channels', ...conn]), 2, /channels: missing command/);
    failsWith(await runCli(['channels', 'frobnicate', ...conn]), 2, /unknown command "frobnicate"/);
    failsWith(await runCli(['channels', 'status', 'extra', ...conn]), 2, /unexpected argument "extra"/);
    failsWith(await runCli(['channels', 'logout', 'whatsapp', '--probe', ...conn]), 2, /--probe applies to channels status only/);
    failsWith(await runCli(['channels', 'status', '--port', String(await freePort()), '--token', TOKEN]), 69);
  });
});
