import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { FakeChannels } from '../../helpers/fake-channels.js';
import { RawSocket, TOKEN, type Frame } from '../../helpers/ws-client.js';

// web.login.start / web.login.wait (channels.md §5.1, WA3) against a real gateway whose channel layer is an
// in-test ChannelsControl, and against a gateway without one.

const ok = (res: Frame, method: string): any => {
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload;
};
const refused = (res: Frame, code: string, message: string | RegExp) => {
  assert.equal(res.ok, false, JSON.stringify(res.payload));
  assert.equal(res.error.code, code);
  if (typeof message === 'string') assert.equal(res.error.message, message);
  else assert.match(res.error.message, message);
};

describe('web.login.* with a channel layer', () => {
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

  test('start passes force, timeoutMs, phoneNumber and the account; answers the QR as set fields only', async () => {
    const p = ok(await admin.request('web.login.start', { force: true, timeoutMs: 5000, phoneNumber: '+15551230000', verbose: true }), 'web.login.start');
    assert.deepEqual(p, fake.loginStartResult);
    assert.deepEqual(fake.calls.at(-1), { method: 'loginStart', args: [{ accountId: undefined, force: true, timeoutMs: 5000, phoneNumber: '+15551230000' }] });
    fake.loginStartResult = { connected: true, message: 'already linked' };
    assert.deepEqual(ok(await admin.request('web.login.start', { accountId: 'default' }), 'web.login.start'), { connected: true, message: 'already linked' });
  });

  test('wait passes currentQrDataUrl and timeoutMs', async () => {
    fake.loginWaits = [{ connected: false, message: 'Scan', qr: 'ref2', qrDataUrl: 'data:image/png;base64,UkVGMg==' }, { connected: true, message: 'linked' }];
    const first = ok(await admin.request('web.login.wait', { currentQrDataUrl: 'data:image/png;base64,UkVGMQ==', timeoutMs: 1000 }), 'web.login.wait');
    assert.equal(first.qr, 'ref2');
    assert.deepEqual(fake.calls.at(-1), { method: 'loginWait', args: [{ accountId: undefined, timeoutMs: 1000, currentQrDataUrl: 'data:image/png;base64,UkVGMQ==' }] });
    assert.deepEqual(ok(await admin.request('web.login.wait', {}), 'web.login.wait'), { connected: true, message: 'linked' });
  });

  test('params are checked: a currentQrDataUrl that is not a PNG data URL, an unknown key', async () => {
    refused(await admin.request('web.login.wait', { currentQrDataUrl: 'http://x' }), 'INVALID_REQUEST', /currentQrDataUrl/);
    refused(await admin.request('web.login.start', { phone: '+1' }), 'INVALID_REQUEST', /phone/);
  });

  test('refusals of the channel layer are INVALID_REQUEST with its message', async () => {
    refused(await admin.request('web.login.start', { accountId: 'work' }), 'INVALID_REQUEST', 'unknown account "work" for channel whatsapp');
    fake.webLogin = false;
    try {
      refused(await admin.request('web.login.wait', {}), 'INVALID_REQUEST', 'web login is only available for whatsapp');
    } finally {
      fake.webLogin = true;
    }
  });

  test('scope: operator.admin only', async () => {
    const reader = await open(['operator.read', 'operator.pairing'], 'reader');
    const res = await reader.request('web.login.start', {});
    assert.equal(res.ok, false);
    assert.match(res.error.message, /operator\.admin/);
  });
});

describe('web.login.* without a channel layer', () => {
  let g: TestGateway;
  let admin: RawSocket;
  before(async () => {
    g = await startTestGateway({ token: TOKEN });
    admin = await RawSocket.connect(g.url, { token: TOKEN, scopes: ['operator.admin'] }, 'admin');
  });
  after(async () => {
    admin?.ws.close();
    await g?.close();
  });

  test('both answer channel whatsapp is not configured', async () => {
    refused(await admin.request('web.login.start', {}), 'INVALID_REQUEST', 'channel whatsapp is not configured');
    refused(await admin.request('web.login.wait', {}), 'INVALID_REQUEST', 'channel whatsapp is not configured');
  });
});
