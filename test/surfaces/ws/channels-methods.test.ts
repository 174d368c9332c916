import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { FakeChannels, pairingRequest } from '../../helpers/fake-channels.js';
import { assertPublishedFrame } from '../../helpers/published-schema.js';
import { RawSocket, TOKEN, type Frame } from '../../helpers/ws-client.js';
import { channelsStatusResult } from '../../../src/surfaces/ws/channels/status-view.js';

// The channels.* WS methods (channels.md §5.1–§5.3) against a real gateway whose channel layer is an in-test
// ChannelsControl, and against a gateway without one. Every ok payload with a published result schema is
// checked against it (X1).

const ok = (res: Frame, method: string): any => {
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  assertPublishedFrame(res, { method });
  return res.payload;
};
const refused = (res: Frame, code: string, message: string | RegExp) => {
  assert.equal(res.ok, false, JSON.stringify(res.payload));
  assert.equal(res.error.code, code);
  if (typeof message === 'string') assert.equal(res.error.message, message);
  else assert.match(res.error.message, message);
};

describe('channels.* with a channel layer', () => {
  let g: TestGateway;
  const fake = new FakeChannels();
  const sockets: RawSocket[] = [];
  const open = async (scopes: string[], label: string) => {
    const s = await RawSocket.connect(g.url, { token: TOKEN, scopes }, label);
    sockets.push(s);
    return s;
  };
  let admin: RawSocket;

  before(async () => {
    g = await startTestGateway({ token: TOKEN }, { channels: fake });
    admin = await open(['operator.admin'], 'admin');
  });
  after(async () => {
    for (const s of sockets) s.ws.close();
    await g?.close();
  });

  test('hello-ok advertises the channel methods, web.login.* included', () => {
    const methods: string[] = admin.hello.features.methods;
    for (const m of ['channels.status', 'channels.logout', 'channels.start', 'channels.stop', 'channels.pairing.list',
      'channels.pairing.approve', 'channels.pairing.reject', 'channels.pairing.dismiss', 'web.login.start', 'web.login.wait']) assert.ok(methods.includes(m), m);
  });

  test('X1: status validates against the published ChannelsStatusResult; one snapshot per configured account', async () => {
    const p = ok(await admin.request('channels.status', { probe: true, timeoutMs: 500 }), 'channels.status');
    assert.deepEqual(p.channelOrder, ['telegram', 'whatsapp', 'signal']);
    assert.deepEqual(p.channelLabels, { telegram: 'Telegram', whatsapp: 'WhatsApp', signal: 'Signal' });
    assert.deepEqual(p.channelDetailLabels, { telegram: 'Telegram Bot', whatsapp: 'WhatsApp Web', signal: 'Signal (signal-cli-rest-api)' });
    assert.deepEqual(p.channels, {
      telegram: { configured: true, running: true, connected: true },
      whatsapp: { configured: true, running: true, connected: false },
      signal: { configured: false, running: false, connected: false },
    });
    assert.deepEqual(p.channelDefaultAccountId, { telegram: 'default', whatsapp: 'default', signal: 'default' });
    assert.equal(p.channelAccounts.telegram.length, 1);
    assert.deepEqual(p.channelAccounts.signal, []);
    const wa = p.channelAccounts.whatsapp[0];
    for (const key of ['running', 'connected', 'lastError', 'reconnectAttempts', 'state', 'outbox']) assert.ok(key in wa, key);
    assert.equal(wa.lastError, 'connection closed (428)');
    assert.equal(wa.state, 'backoff');
    assert.deepEqual(fake.calls.at(-1), { method: 'status', args: [{ channel: undefined, probe: true, timeoutMs: 500 }] });
  });

  test('status: channel filters to one; an unknown channel is refused', async () => {
    const p = ok(await admin.request('channels.status', { channel: 'whatsapp' }), 'channels.status');
    assert.deepEqual(p.channelOrder, ['whatsapp']);
    assert.deepEqual(Object.keys(p.channelAccounts), ['whatsapp']);
    assert.deepEqual(Object.keys(p.channels), ['whatsapp']);
    refused(await admin.request('channels.status', { channel: 'slack' }), 'INVALID_REQUEST', 'unknown channel: slack');
  });

  test('scopes: read may ask status but not pairing or logout; pairing may pair; admin implies both', async () => {
    const reader = await open(['operator.read'], 'reader');
    ok(await reader.request('channels.status', {}), 'channels.status');
    refused(await reader.request('channels.pairing.list', {}), 'FORBIDDEN', 'missing scope: operator.pairing');
    refused(await reader.request('channels.pairing.approve', { channel: 'telegram', code: 'X' }), 'FORBIDDEN', 'missing scope: operator.pairing');
    refused(await reader.request('channels.logout', { channel: 'whatsapp' }), 'FORBIDDEN', 'missing scope: operator.admin');
    const pairer = await open(['operator.pairing'], 'pairer');
    ok(await pairer.request('channels.pairing.list', {}), 'channels.pairing.list');
    refused(await pairer.request('channels.start', { channel: 'telegram' }), 'FORBIDDEN', 'missing scope: operator.admin');
    refused(await pairer.request('channels.pairing.reject', { channel: 'telegram', code: 'NOPE2345' }), 'INVALID_REQUEST',
      'no pending pairing request NOPE2345 for telegram account default');
    ok(await admin.request('channels.pairing.list', {}), 'channels.pairing.list');
  });

  test('pairing: list (ISO times, limits), approve by code or requestId (owner bootstrap once), reject and its alias', async () => {
    const t0 = Date.UTC(2026, 11, 6, 12, 0, 0);
    fake.requests = [pairingRequest('ABCD2345', '111', t0), pairingRequest('EFGH2345', '222', t0 + 1000), pairingRequest('JKLM2345', '333', t0 + 2000)];
    const list = ok(await admin.request('channels.pairing.list', { channel: 'telegram' }), 'channels.pairing.list');
    assert.deepEqual(list.accounts, [{ channel: 'telegram', channelLabel: 'Telegram', accountId: 'default', notifySupported: true }]);
    assert.deepEqual(list.limits, { pendingPerAccount: 3, ttlMs: 3_600_000 });
    assert.equal(list.commandOwnerConfigured, false);
    assert.deepEqual(list.requests[0], {
      requestId: 'ABCD2345', channel: 'telegram', channelLabel: 'Telegram', accountId: 'default', senderId: '111', senderLabel: 'user 111',
      createdAt: '2026-12-06T12:00:00.000Z', lastSeenAt: '2026-12-06T12:00:00.000Z', expiresAt: '2026-12-06T13:00:00.000Z', notifySupported: true,
    });

    const first = ok(await admin.request('channels.pairing.approve', { channel: 'telegram', code: 'abcd2345', bootstrapCommandOwner: false }), 'channels.pairing.approve');
    assert.deepEqual(first, { requestId: 'ABCD2345', senderId: '111', notification: 'not-requested', commandOwnerBootstrap: 'configured' });
    assert.deepEqual(fake.calls.at(-1), { method: 'pairingApprove', args: [{ channel: 'telegram', code: 'abcd2345', accountId: undefined, notify: undefined }] });
    const second = ok(await admin.request('channels.pairing.approve', { channel: 'telegram', accountId: 'default', requestId: 'EFGH2345', notify: true }), 'channels.pairing.approve');
    assert.deepEqual(second, { requestId: 'EFGH2345', senderId: '222', notification: 'sent', commandOwnerBootstrap: 'already-configured' });
    assert.equal(ok(await admin.request('channels.pairing.list', {}), 'channels.pairing.list').commandOwnerConfigured, false); // whatsapp has none

    assert.deepEqual(ok(await admin.request('channels.pairing.dismiss', { channel: 'telegram', accountId: 'default', requestId: 'JKLM2345' }),
      'channels.pairing.dismiss'), { requestId: 'JKLM2345', senderId: '333' });
    fake.requests = [pairingRequest('NPQR2345', '444', t0)];
    assert.deepEqual(ok(await admin.request('channels.pairing.reject', { channel: 'telegram', code: 'NPQR2345' }), 'channels.pairing.reject'),
      { requestId: 'NPQR2345', senderId: '444' });
    assert.deepEqual(ok(await admin.request('channels.pairing.list', {}), 'channels.pairing.list').requests, []);
  });

  test('errors: the channel layer\'s refusals are INVALID_REQUEST with their exact message; a missing code too', async () => {
    fake.expired.add('STAL2345');
    refused(await admin.request('channels.pairing.approve', { channel: 'telegram', code: 'STAL2345' }), 'INVALID_REQUEST',
      'pairing request STAL2345 for telegram has expired');
    refused(await admin.request('channels.pairing.approve', { channel: 'telegram', code: 'ZZZZ2345', accountId: 'work' }), 'INVALID_REQUEST',
      'unknown account "work" for channel telegram');
    refused(await admin.request('channels.pairing.approve', { channel: 'telegram' }), 'INVALID_REQUEST', /code.*requestId/);
    refused(await admin.request('channels.pairing.approve', { channel: 'slack', code: 'A' }), 'INVALID_REQUEST', 'unknown channel: slack');
    refused(await admin.request('channels.logout', { channel: 'telegram' }), 'INVALID_REQUEST', 'channel telegram does not support logout');
    refused(await admin.request('channels.start', { channel: 'signal' }), 'INVALID_REQUEST', 'channel signal is not configured');
    refused(await admin.request('channels.stop', { channel: 'whatsapp', accountId: 'x' }), 'INVALID_REQUEST', 'unknown account "x" for channel whatsapp');
    refused(await admin.request('channels.start', { channel: 'irc' }), 'INVALID_REQUEST', 'unknown channel: irc');
    refused(await admin.request('channels.start', { channel: 'telegram', extra: 1 }), 'INVALID_REQUEST', /invalid channels.start params/);
    // an unexpected failure inside the channel layer is not leaked
    fake.failNext = new Error('secret detail /bot123:abc');
    refused(await admin.request('channels.stop', { channel: 'telegram' }), 'UNAVAILABLE', 'internal error');
  });

  test('start, stop and logout answer what the channel layer did; an empty accountId is the default account', async () => {
    assert.deepEqual(ok(await admin.request('channels.start', { channel: 'telegram', accountId: '' }), 'channels.start'),
      { channel: 'telegram', accountId: 'default', started: true });
    assert.deepEqual(fake.calls.at(-1), { method: 'start', args: ['telegram', undefined] });
    assert.deepEqual(ok(await admin.request('channels.stop', { channel: 'telegram', accountId: 'default' }), 'channels.stop'),
      { channel: 'telegram', accountId: 'default', stopped: true });
    assert.deepEqual(ok(await admin.request('channels.logout', { channel: 'whatsapp' }), 'channels.logout'),
      { channel: 'whatsapp', accountId: 'default', cleared: true });
  });
});

describe('channels.* without a channel layer', () => {
  let g: TestGateway;
  let admin: RawSocket;
  before(async () => {
    g = await startTestGateway({ token: TOKEN });
    admin = await RawSocket.connect(g.url, { token: TOKEN }, 'admin');
  });
  after(async () => {
    admin?.ws.close();
    await g?.close();
  });

  test('status lists all three channels unconfigured; pairing list is empty', async () => {
    const p = ok(await admin.request('channels.status', {}), 'channels.status');
    const off = { configured: false, running: false, connected: false };
    assert.deepEqual(p.channels, { telegram: off, whatsapp: off, signal: off });
    assert.deepEqual(p.channelAccounts, { telegram: [], whatsapp: [], signal: [] });
    assert.deepEqual(p.channelDefaultAccountId, { telegram: 'default', whatsapp: 'default', signal: 'default' });
    const list = ok(await admin.request('channels.pairing.list', {}), 'channels.pairing.list');
    assert.deepEqual(list, { accounts: [], requests: [], commandOwnerConfigured: false, limits: { pendingPerAccount: 3, ttlMs: 3_600_000 } });
  });

  test('the others: not configured, or unknown channel', async () => {
    for (const [method, params] of [
      ['channels.start', { channel: 'telegram' }], ['channels.stop', { channel: 'signal' }], ['channels.logout', { channel: 'whatsapp' }],
      ['channels.pairing.approve', { channel: 'telegram', code: 'ABCD2345' }], ['channels.pairing.reject', { channel: 'telegram', code: 'ABCD2345' }],
    ] as const) {
      refused(await admin.request(method, params), 'INVALID_REQUEST', `channel ${params.channel} is not configured`);
    }
    refused(await admin.request('channels.logout', { channel: 'slack' }), 'INVALID_REQUEST', 'unknown channel: slack');
    refused(await admin.request('channels.pairing.list', { channel: 'slack' }), 'INVALID_REQUEST', 'unknown channel: slack');
  });
});

test('channelsStatusResult: default account id is `default`, else the first; connected needs every enabled account online', () => {
  const base = { enabled: true, configured: true, running: true, connected: true } as const;
  const snap = (accountId: string, o: object = {}) => ({ ...new FakeChannels().accounts.telegram[0], ...base, accountId, ...o });
  const r = channelsStatusResult({ telegram: [snap('work'), snap('home', { enabled: false, connected: false, running: false })] }, { ts: 7 });
  assert.equal(r.ts, 7);
  assert.equal(r.channelDefaultAccountId.telegram, 'work');
  assert.deepEqual(r.channels.telegram, { configured: true, running: true, connected: true });
  const down = channelsStatusResult({ telegram: [snap('default'), snap('work', { connected: false })] }, { ts: 7, channel: 'telegram' });
  assert.deepEqual(down.channels, { telegram: { configured: true, running: true, connected: false } });
  assert.equal(down.channelDefaultAccountId.telegram, 'default');
  const allOff = channelsStatusResult({ telegram: [snap('default', { enabled: false, connected: false, running: false })] }, { ts: 7 });
  assert.deepEqual(allOff.channels.telegram, { configured: true, running: false, connected: false });
});
