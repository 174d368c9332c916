import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { createTestDevice, type TestDevice } from '../../helpers/device.js';
import { adminClient, GUARD_MS, TOKEN, stopClient, within, wsUrl, type TappedClient } from '../../helpers/ws-client.js';
import { assertPublishedFrame } from '../../helpers/published-schema.js';
import {
  assertRefused, connectDevice, DEVICE_TOKEN_RE, type DeviceConnection, type DeviceConnectOptions,
} from '../../helpers/device-connect.js';
import { refusedUpgrade } from '../../helpers/ws-raw.js';

// Issue acceptance 2 — the security matrix of device identity, locality and device tokens
// (openclaw-protocol.md §6, §8, §9, §10; user-needs.md §1, §2, §9). Every case asserts the refusal and its
// exact error code, details and close. Connects are built by hand (helpers/device-connect.ts) so each field
// of the signed v3 / v2 payload can be forged on its own; other loopback source addresses (127.0.0.2…)
// stand in for a same-host proxy or a LAN peer.

const RATE_LIMITED_MESSAGE = 'unauthorized: too many failed authentication attempts (retry later)';
const DEVICE_TOKEN_MISMATCH_MESSAGE = 'unauthorized: device token mismatch (rotate/reissue device token)';

/** Opens sockets for one gateway and closes all of them at the end of the suite. */
function socketPool() {
  const open: DeviceConnection[] = [];
  return {
    async connect(g: TestGateway, dev: TestDevice | undefined, o: DeviceConnectOptions, label: string): Promise<DeviceConnection> {
      const c = await connectDevice(g.url, dev, o, label);
      open.push(c);
      return c;
    },
    closeAll: () => Promise.all(open.splice(0).map((c) => c.close())),
  };
}

function assertPairingRequired(c: DeviceConnection): Promise<unknown> {
  const requestId = c.res.error?.details?.requestId;
  return assertRefused(c, {
    code: 'NOT_PAIRED', message: 'pairing required: device is not approved yet',
    details: { code: 'PAIRING_REQUIRED', reason: 'not-paired' },
    close: { code: 1008, reason: `pairing required: device is not approved yet (requestId: ${requestId})` },
  });
}

function assertAdmitted(c: DeviceConnection): Record<string, any> {
  assert.equal(c.res.ok, true, `${c.log.label}: refused: ${JSON.stringify(c.res.error)}`);
  assertPublishedFrame(c.res, { method: 'connect' });
  return c.res.payload;
}

// ---------------------------------------------------------------------------------------------------------
describe('§8 device proof: each forged field is refused with its own code', () => {
  let g: TestGateway;
  let op: TappedClient;
  const pool = socketPool();
  const refusedDevices: string[] = [];
  before(async () => {
    g = await startTestGateway({ token: TOKEN });
    op = await adminClient(g.url);
  });
  after(async () => {
    await pool.closeAll();
    await stopClient(op);
    await g.close();
  });

  const base: DeviceConnectOptions = { auth: { token: TOKEN }, scopes: ['operator.admin'] };
  async function refusedProof(label: string, o: DeviceConnectOptions, want: { message: string; code: string; reason: string }, dev = createTestDevice()) {
    refusedDevices.push(dev.deviceId);
    const c = await pool.connect(g, dev, { ...base, ...o }, label);
    await assertRefused(c, { code: 'INVALID_REQUEST', message: want.message });
    assert.deepEqual(c.res.error.details, { code: want.code, reason: want.reason }, label);
    assertPublishedFrame(c.res);
  }
  const SIGNATURE_INVALID = { message: 'device signature invalid', code: 'DEVICE_AUTH_SIGNATURE_INVALID', reason: 'device-signature' };
  const NONCE_MISMATCH = { message: 'device nonce mismatch', code: 'DEVICE_AUTH_NONCE_MISMATCH', reason: 'device-nonce-mismatch' };
  const NONCE_REQUIRED = { message: 'device nonce required', code: 'DEVICE_AUTH_NONCE_REQUIRED', reason: 'device-nonce-missing' };
  const EXPIRED = { message: 'device signature expired', code: 'DEVICE_AUTH_SIGNATURE_EXPIRED', reason: 'device-signature-stale' };
  const ID_MISMATCH = { message: 'device identity mismatch', code: 'DEVICE_AUTH_DEVICE_ID_MISMATCH', reason: 'device-id-mismatch' };

  test('control: an honest v3 proof is admitted (silent local pairing, deviceToken issued)', async () => {
    const hello = assertAdmitted(await pool.connect(g, createTestDevice(), base, 'honest-v3'));
    assert.match(hello.auth.deviceToken, DEVICE_TOKEN_RE);
  });

  test('a v2 payload (no platform / deviceFamily) is also accepted', async () => {
    const hello = assertAdmitted(await pool.connect(g, createTestDevice(), { ...base, version: 'v2', deviceFamily: 'Desktop' }, 'honest-v2'));
    assert.match(hello.auth.deviceToken, DEVICE_TOKEN_RE);
  });

  test('v3 signs platform / deviceFamily trimmed and lowercased; a PEM public key is accepted too', async () => {
    assertAdmitted(await pool.connect(g, createTestDevice(), { ...base, platform: ' Linux ', deviceFamily: 'Desktop ' }, 'normalized'));
    const dev = createTestDevice();
    assertAdmitted(await pool.connect(g, dev, { ...base, tamper: (d) => ({ ...d, publicKey: dev.publicKeyPem }) }, 'pem-key'));
  });

  test('forged signature → DEVICE_AUTH_SIGNATURE_INVALID (another key, flipped bit, garbage, empty payload)', async () => {
    const other = createTestDevice();
    await refusedProof('other-key', { signWith: other.sign }, SIGNATURE_INVALID);
    await refusedProof('flipped-bit', {
      tamper: (d) => {
        const sig = Buffer.from(d.signature as string, 'base64url');
        sig[10] ^= 1;
        return { ...d, signature: sig.toString('base64url') };
      },
    }, SIGNATURE_INVALID);
    await refusedProof('garbage', { tamper: (d) => ({ ...d, signature: 'not-a-signature' }) }, SIGNATURE_INVALID);
    const dev = createTestDevice();
    await refusedProof('signed-nothing', { signWith: () => dev.sign('') }, SIGNATURE_INVALID, dev);
  });

  test('the signature binds every field: signing other scopes, role, client, token or platform than sent → DEVICE_AUTH_SIGNATURE_INVALID', async () => {
    await refusedProof('scopes', { scopes: ['operator.admin'], signedFields: { scopes: ['operator.read'] } }, SIGNATURE_INVALID);
    await refusedProof('role', { signedFields: { role: 'node' } }, SIGNATURE_INVALID);
    await refusedProof('client-id', { signedFields: { clientId: 'cli' } }, SIGNATURE_INVALID);
    await refusedProof('client-mode', { signedFields: { mode: 'cli' } }, SIGNATURE_INVALID);
    await refusedProof('token', { signedFields: { token: '' } }, SIGNATURE_INVALID);
    await refusedProof('platform', { signedFields: { platform: 'darwin' } }, SIGNATURE_INVALID);
    await refusedProof('device-family', { deviceFamily: 'desktop', signedFields: { deviceFamily: 'phone' } }, SIGNATURE_INVALID);
    await refusedProof('signed-at', { signedFields: { signedAt: 1 } }, SIGNATURE_INVALID);
  });

  test('wrong nonce → DEVICE_AUTH_NONCE_MISMATCH (stale value, or another socket\'s challenge)', async () => {
    await refusedProof('stale-nonce', { nonce: (n) => `${n}-stale` }, NONCE_MISMATCH);
    // a nonce is valid only for the socket that received it
    const other = new WebSocket(wsUrl(g.url), { perMessageDeflate: false });
    try {
      const foreign = await within(new Promise<string>((resolve, reject) => {
        other.once('message', (data) => resolve(JSON.parse(data.toString()).payload.nonce));
        other.once('error', reject);
      }), 'the other socket\'s challenge');
      await refusedProof('foreign-nonce', { nonce: () => foreign }, NONCE_MISMATCH);
    } finally {
      other.terminate();
    }
  });

  test('missing nonce: blank → DEVICE_AUTH_NONCE_REQUIRED; field absent → invalid connect params (schema), close 1008', async () => {
    await refusedProof('blank-nonce', { nonce: () => '   ' }, NONCE_REQUIRED);
    const dev = createTestDevice();
    refusedDevices.push(dev.deviceId);
    const c = await pool.connect(g, dev, { ...base, nonce: () => undefined }, 'absent-nonce');
    assert.equal(c.res.ok, false);
    assert.equal(c.res.error.code, 'INVALID_REQUEST');
    assert.match(c.res.error.message, /^invalid connect params: .*nonce/);
    assert.deepEqual(await c.log.waitForClose(), { code: 1008, reason: c.res.error.message });
  });

  test('signedAt more than 120 s away (past or future) → DEVICE_AUTH_SIGNATURE_EXPIRED; inside the skew it is accepted', async () => {
    await refusedProof('stale', { signedAt: (ts) => ts - 120_001 }, EXPIRED);
    await refusedProof('far-past', { signedAt: (ts) => ts - 3_600_000 }, EXPIRED);
    await refusedProof('future', { signedAt: (ts) => ts + 130_000 }, EXPIRED);
    assertAdmitted(await pool.connect(g, createTestDevice(), { ...base, signedAt: (ts) => ts - 60_000 }, 'inside-skew'));
  });

  test('device.id not matching the key → DEVICE_AUTH_DEVICE_ID_MISMATCH (another id, or another key under my id)', async () => {
    const other = createTestDevice();
    await refusedProof('other-id', { tamper: (d) => ({ ...d, id: other.deviceId }) }, ID_MISMATCH);
    await refusedProof('other-key', { tamper: (d) => ({ ...d, publicKey: other.publicKey }) }, ID_MISMATCH);
    await refusedProof('uppercase-id', { tamper: (d) => ({ ...d, id: (d.id as string).toUpperCase() }) }, ID_MISMATCH);
  });

  test('the checks run in the spec order: id, then freshness, then nonce, then signature', async () => {
    const other = createTestDevice();
    const everythingWrong: DeviceConnectOptions = {
      signedAt: (ts) => ts - 200_000, nonce: (n) => `${n}x`, signWith: other.sign,
    };
    await refusedProof('order-1', { ...everythingWrong, tamper: (d) => ({ ...d, id: other.deviceId }) }, ID_MISMATCH);
    await refusedProof('order-2', everythingWrong, EXPIRED);
    await refusedProof('order-3', { nonce: (n) => `${n}x`, signWith: other.sign }, NONCE_MISMATCH);
  });

  test('no refused proof left a pairing or a pending request behind', async () => {
    const list = await op.request('device.pair.list', {});
    for (const id of refusedDevices) {
      assert.equal((list.paired as any[]).some((p) => p.deviceId === id), false, `${id} paired`);
      assert.equal((list.pending as any[]).some((p) => p.deviceId === id), false, `${id} pending`);
    }
    assert.equal(op.log.events('device.pair.requested').filter((f) => refusedDevices.includes(f.payload.deviceId)).length, 0);
    op.log.assertPublished();
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§9 locality: forwarding headers and Origin never make a socket local', () => {
  let g: TestGateway;
  let op: TappedClient;
  const pool = socketPool();
  before(async () => {
    g = await startTestGateway({ token: TOKEN, allowedOrigins: ['https://ui.example'] });
    op = await adminClient(g.url);
  });
  after(async () => {
    await pool.closeAll();
    await stopClient(op);
    await g.close();
  });
  const withDevice = (label: string, o: DeviceConnectOptions) =>
    pool.connect(g, createTestDevice(), { auth: { token: TOKEN }, scopes: ['operator.admin'], ...o }, label);
  const deviceLess = (label: string, o: DeviceConnectOptions) =>
    pool.connect(g, undefined, { noDevice: true, auth: { token: TOKEN }, scopes: ['operator.admin'], ...o }, label);
  const pendingRemoteIp = async (deviceId: string) => {
    const list = await op.request('device.pair.list', {});
    return (list.pending as any[]).find((p) => p.deviceId === deviceId)?.remoteIp as string | undefined;
  };

  test('control: a direct-local device is paired silently and a device-less backend keeps its scopes', async () => {
    assert.match(assertAdmitted(await withDevice('direct', {})).auth.deviceToken, DEVICE_TOKEN_RE);
    assert.deepEqual(assertAdmitted(await deviceLess('direct-deviceless', {})).auth.scopes, ['operator.admin']);
    // any 127/8 source without forwarding headers is loopback
    assert.deepEqual(assertAdmitted(await deviceLess('direct-127.0.0.2', { localAddress: '127.0.0.2' })).auth.scopes, ['operator.admin']);
  });

  test('loopback peer + X-Forwarded-For (no trusted proxies) → remote: PAIRING_REQUIRED, device-less gateway-client and cli get scopes []', async () => {
    const headers = { 'X-Forwarded-For': '1.2.3.4' };
    const c = await withDevice('xff-device', { headers });
    await assertPairingRequired(c);
    assert.equal(await pendingRemoteIp(c.res.error.details.deviceId), '127.0.0.1', 'the untrusted header is ignored for addressing');
    assert.deepEqual(assertAdmitted(await deviceLess('xff-backend', { headers })).auth.scopes, []);
    assert.deepEqual(assertAdmitted(await deviceLess('xff-cli', { headers, clientId: 'cli', mode: 'cli' })).auth.scopes, []);
  });

  test('any forwarding header counts, whatever it says: X-Real-IP, Forwarded, X-Forwarded-Proto, X-Forwarded-Host, empty X-Forwarded-For', async () => {
    const variants: Record<string, string>[] = [
      { 'X-Real-IP': '127.0.0.1' }, { Forwarded: 'for=127.0.0.1' }, { 'X-Forwarded-Proto': 'http' }, { 'X-Forwarded-Host': 'localhost' },
      { 'X-Forwarded-For': '' },
    ];
    for (const headers of variants) {
      await assertPairingRequired(await withDevice(`hdr-${Object.keys(headers)[0]}`, { headers }));
      assert.deepEqual(assertAdmitted(await deviceLess(`hdr-deviceless-${Object.keys(headers)[0]}`, { headers })).auth.scopes, [], JSON.stringify(headers));
    }
  });

  test('spoofed X-Forwarded-For: 127.0.0.1 from a peer that is not a trusted proxy (127.0.0.2) → remote, keyed on its own address', async () => {
    const o = { headers: { 'X-Forwarded-For': '127.0.0.1' }, localAddress: '127.0.0.2' };
    const c = await withDevice('spoof', o);
    await assertPairingRequired(c);
    assert.equal(await pendingRemoteIp(c.res.error.details.deviceId), '127.0.0.2');
    assert.deepEqual(assertAdmitted(await deviceLess('spoof-deviceless', o)).auth.scopes, []);
  });

  test('an Origin marks a browser: a gateway-client device gets no silent pairing; webchat may be paired silently', async () => {
    const origin = { Origin: 'https://ui.example' };
    await assertPairingRequired(await withDevice('origin-backend', { headers: origin }));
    const web = await withDevice('origin-webchat', { headers: origin, clientId: 'webchat', mode: 'webchat', scopes: ['operator.read'] });
    assert.match(assertAdmitted(web).auth.deviceToken, DEVICE_TOKEN_RE);
  });

  test('Origin outside the allowlist → HTTP 403 before the upgrade (101 never happens), whatever client or Host it claims', async () => {
    const port = g.port;
    const refusedHeaders: Record<string, string>[] = [
      { Origin: 'https://evil.example' },
      { Origin: 'https://evil.example', Host: 'evil.example' },
      { Origin: `http://192.168.1.10:${port}`, Host: `192.168.1.10:${port}` },
      { Origin: 'https://sub.ui.example' },
      { Origin: 'https://ui.example:8443' },
      { Origin: 'null' },
    ];
    for (const headers of refusedHeaders) {
      const refused = await refusedUpgrade(wsUrl(g.url), { headers }, GUARD_MS);
      assert.equal(refused.status, 403, JSON.stringify(headers));
    }
    // allowed: the allowlist and the gateway's own origin
    for (const origin of ['https://ui.example', `http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const c = await deviceLess(`allowed-${origin}`, { headers: { Origin: origin }, clientId: 'cli', mode: 'cli' });
      assert.equal(c.res.ok, true, origin);
    }
  });
});

describe('§9 trusted proxies: the client is the right-most untrusted hop, and a proxied socket is never local', () => {
  let g: TestGateway;
  let op: TappedClient;
  const pool = socketPool();
  before(async () => {
    g = await startTestGateway({ token: TOKEN, trustedProxies: ['127.0.0.2'] });
    op = await adminClient(g.url);
  });
  after(async () => {
    await pool.closeAll();
    await stopClient(op);
    await g.close();
  });
  const viaProxy = (dev: TestDevice | undefined, label: string, xff: string, localAddress = '127.0.0.2') =>
    pool.connect(g, dev, { auth: { token: TOKEN }, scopes: ['operator.admin'], noDevice: !dev, headers: { 'X-Forwarded-For': xff }, localAddress }, label);

  test('trusted proxy 127.0.0.2 forwarding X-Forwarded-For: 1.2.3.4 → remote client 1.2.3.4 (pairing request and event name it)', async () => {
    const from = op.log.frames.length;
    const dev = createTestDevice();
    await assertPairingRequired(await viaProxy(dev, 'proxied', '1.2.3.4'));
    const requested = await op.log.waitForEvent('device.pair.requested', (p) => p.deviceId === dev.deviceId, { from });
    assert.equal(requested.payload.remoteIp, '1.2.3.4');
    const list = await op.request('device.pair.list', {});
    assert.equal((list.pending as any[]).find((p) => p.deviceId === dev.deviceId)?.remoteIp, '1.2.3.4');
    assert.deepEqual(assertAdmitted(await viaProxy(undefined, 'proxied-deviceless', '1.2.3.4')).auth.scopes, []);
  });

  test('right-most untrusted hop wins; spoofed left-most hops are ignored; a forwarded loopback client is still remote', async () => {
    const from = op.log.frames.length;
    const cases: [string, string][] = [['1.2.3.4, 127.0.0.2', '1.2.3.4'], ['9.9.9.9, 5.6.7.8', '5.6.7.8'], ['127.0.0.1', '127.0.0.1']];
    for (const [xff, client] of cases) {
      const dev = createTestDevice();
      await assertPairingRequired(await viaProxy(dev, `chain-${xff}`, xff));
      const requested = await op.log.waitForEvent('device.pair.requested', (p) => p.deviceId === dev.deviceId, { from });
      assert.equal(requested.payload.remoteIp, client, xff);
    }
  });

  test('the same X-Forwarded-For: 127.0.0.1 from an untrusted peer (127.0.0.3) is remote with the peer\'s own address', async () => {
    const from = op.log.frames.length;
    const dev = createTestDevice();
    await assertPairingRequired(await viaProxy(dev, 'untrusted-peer', '127.0.0.1', '127.0.0.3'));
    const requested = await op.log.waitForEvent('device.pair.requested', (p) => p.deviceId === dev.deviceId, { from });
    assert.equal(requested.payload.remoteIp, '127.0.0.3');
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§10.5 device tokens: stale, revoked, borrowed and over-scoped tokens are refused', () => {
  let g: TestGateway;
  let op: TappedClient;
  const pool = socketPool();
  before(async () => {
    g = await startTestGateway({ token: TOKEN });
    op = await adminClient(g.url);
  });
  after(async () => {
    await pool.closeAll();
    await stopClient(op);
    await g.close();
  });
  /** A device silently paired with these scopes; returns its operator token. */
  const paired = async (scopes: string[] = ['operator.admin']) => {
    const dev = createTestDevice();
    const c = await pool.connect(g, dev, { auth: { token: TOKEN }, scopes }, 'pair');
    const token = assertAdmitted(c).auth.deviceToken as string;
    assert.match(token, DEVICE_TOKEN_RE);
    await c.close();
    return { dev, token };
  };
  const withToken = (dev: TestDevice, token: string, label: string, o: DeviceConnectOptions = {}) =>
    pool.connect(g, dev, { auth: { token, deviceToken: token }, scopes: ['operator.admin'], ...o }, label);
  const assertDeviceTokenMismatch = async (c: DeviceConnection) => {
    await assertRefused(c, { code: 'INVALID_REQUEST', message: DEVICE_TOKEN_MISMATCH_MESSAGE, details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH' } });
    assertPublishedFrame(c.res);
  };

  test('control: the token alone admits its device (auth.method "device-token")', async () => {
    const { dev, token } = await paired();
    const hello = assertAdmitted(await withToken(dev, token, 'control'));
    assert.equal(hello.auth.method, 'device-token');
    assert.equal(hello.auth.deviceToken, token);
  });

  test('a rotated token reused → AUTH_DEVICE_TOKEN_MISMATCH (and the token in auth.deviceToken alone too)', async () => {
    const { dev, token } = await paired();
    const rotated = await op.request('device.token.rotate', { deviceId: dev.deviceId, role: 'operator' });
    assert.equal(rotated.tokenDelivery, 'withheld-cross-device');
    await assertDeviceTokenMismatch(await withToken(dev, token, 'rotated'));
    await assertDeviceTokenMismatch(await pool.connect(g, dev, { auth: { deviceToken: token }, scopes: ['operator.admin'] }, 'rotated-devicetoken-only'));
  });

  test('a revoked token → refused (AUTH_DEVICE_TOKEN_MISMATCH)', async () => {
    const { dev, token } = await paired();
    await op.request('device.token.revoke', { deviceId: dev.deviceId, role: 'operator' });
    await assertDeviceTokenMismatch(await withToken(dev, token, 'revoked'));
  });

  test('a token is bound to its device and role: another device, or role node, → AUTH_DEVICE_TOKEN_MISMATCH', async () => {
    const a = await paired();
    const b = await paired();
    await assertDeviceTokenMismatch(await withToken(b.dev, a.token, 'borrowed'));
    await assertDeviceTokenMismatch(await withToken(a.dev, a.token, 'other-role', { role: 'node', mode: 'node', clientId: 'node-host', scopes: [] }));
  });

  test('a device with a wrong shared secret and no device token → AUTH_TOKEN_MISMATCH, canRetryWithDeviceToken, retry_with_device_token (local or remote)', async () => {
    const wrong = 'wrong-token-0123456789abcdef-0123456789';
    for (const headers of [undefined, { 'X-Forwarded-For': '1.2.3.4' }]) {
      const c = await pool.connect(g, createTestDevice(), { auth: { token: wrong }, ...(headers ? { headers } : {}) }, `retry-hint-${headers ? 'remote' : 'local'}`);
      await assertRefused(c, { code: 'INVALID_REQUEST', message: 'unauthorized: gateway token mismatch (provide gateway auth token)' });
      assert.deepEqual(c.res.error.details, {
        code: 'AUTH_TOKEN_MISMATCH', authReason: 'token_mismatch', canRetryWithDeviceToken: true, recommendedNextStep: 'retry_with_device_token',
      }, headers ? 'remote' : 'local');
    }
    // a wrong token sent as the device token is a device-token mismatch, with no retry hint
    const c = await pool.connect(g, createTestDevice(), { auth: { deviceToken: wrong } }, 'wrong-device-token');
    await assertDeviceTokenMismatch(c);
    assert.deepEqual(c.res.error.details, {
      code: 'AUTH_DEVICE_TOKEN_MISMATCH', authReason: 'device_token_mismatch', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials',
    });
  });

  test('scopes wider than approved over a device token alone → AUTH_SCOPE_MISMATCH and no pairing request; narrower is granted', async () => {
    const { dev, token } = await paired(['operator.read']);
    const from = op.log.frames.length;
    for (const scopes of [['operator.admin'], ['operator.write'], ['operator.read', 'operator.pairing']]) {
      const c = await withToken(dev, token, `wider-${scopes.join('+')}`, { scopes });
      await assertRefused(c, {
        code: 'INVALID_REQUEST', message: 'unauthorized: device token scope mismatch (re-pair or approve scope upgrade)',
        details: { code: 'AUTH_SCOPE_MISMATCH', authReason: 'scope_mismatch', recommendedNextStep: 'review_auth_configuration' },
      });
      assertPublishedFrame(c.res);
    }
    await op.request('health', {}); // barrier: any event sent before this answer has arrived
    assert.equal(op.log.events('device.pair.requested', from).filter((f) => f.payload.deviceId === dev.deviceId).length, 0, 'no pairing request announced');
    const list = await op.request('device.pair.list', {});
    assert.equal((list.pending as any[]).some((p) => p.deviceId === dev.deviceId), false, 'no pairing request created');
    assert.deepEqual((list.paired as any[]).find((p) => p.deviceId === dev.deviceId).scopes, ['operator.read'], 'nothing was widened');
    // the grant itself and narrower sets still work
    assert.deepEqual(assertAdmitted(await withToken(dev, token, 'same', { scopes: ['operator.read'] })).auth.scopes, ['operator.read']);
    assert.deepEqual(assertAdmitted(await withToken(dev, token, 'narrower', { scopes: ['operator.sessions.read'] })).auth.scopes, ['operator.sessions.read']);
    assert.deepEqual(assertAdmitted(await withToken(dev, token, 'none', { scopes: [] })).auth.scopes, []);
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§6.5 brute force: 1 000 wrong secrets lock the source out; a direct-local client still connects', () => {
  const pool = socketPool();
  after(() => pool.closeAll());

  test('1 000 wrong tokens over 50 concurrent connections from a browser origin on 4 addresses → 10 mismatches per address, then AUTH_RATE_LIMITED with retryAfterMs', async () => {
    const g = await startTestGateway({ token: TOKEN, allowedOrigins: ['https://ui.example'] });
    try {
      const TOTAL = 1000, WORKERS = 50;
      // sockets with an Origin are never exempt and get a budget per address and origin (one address never
      // locks out another, issue 6); four loopback sources keep each under the 32-unauthenticated-sockets
      // upgrade budget
      const outcomes: { code: string; error: any; close: { code: number; reason: string } }[] = [];
      let next = 0;
      const worker = async (w: number) => {
        for (let i = next++; i < TOTAL; i = next++) {
          const c = await connectDevice(g.url, undefined, {
            noDevice: true, auth: { token: `wrong-token-${i}-0123456789abcdef-0123456789` },
            headers: { Origin: 'https://ui.example' }, localAddress: `127.0.0.${3 + (w % 4)}`,
          }, `brute-${i}`);
          assert.equal(c.res.ok, false);
          const close = await c.log.waitForClose();
          outcomes.push({ code: c.res.error.details?.code, error: c.res.error, close });
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      assert.equal(outcomes.length, TOTAL);
      const mismatches = outcomes.filter((o) => o.code === 'AUTH_TOKEN_MISMATCH');
      const limited = outcomes.filter((o) => o.code === 'AUTH_RATE_LIMITED');
      assert.equal(mismatches.length, 40, 'exactly 10 failures per source address are judged before the lockout');
      assert.equal(limited.length, TOTAL - 40, `every other attempt is refused unjudged; codes: ${[...new Set(outcomes.map((o) => o.code))]}`);
      for (const o of limited) {
        assert.equal(o.error.code, 'INVALID_REQUEST');
        assert.equal(o.error.message, RATE_LIMITED_MESSAGE);
        assert.equal(o.error.retryable, true);
        assert.ok(Number.isSafeInteger(o.error.retryAfterMs) && o.error.retryAfterMs > 0 && o.error.retryAfterMs <= 300_000, `retryAfterMs ${o.error.retryAfterMs}`);
        assert.deepEqual(o.error.details, { code: 'AUTH_RATE_LIMITED', authReason: 'rate_limited', canRetryWithDeviceToken: false, recommendedNextStep: 'wait_then_retry' });
        assert.deepEqual(o.close, { code: 1008, reason: RATE_LIMITED_MESSAGE });
      }
      assertPublishedFrame({ type: 'res', id: 'x', ok: false, error: limited[0].error });

      // the lockout holds even for the right secret from that origin and address…
      const locked = await pool.connect(g, undefined, {
        noDevice: true, auth: { token: TOKEN }, headers: { Origin: 'https://ui.example' }, localAddress: '127.0.0.3',
      }, 'right-secret-locked');
      await assertRefused(locked, { code: 'INVALID_REQUEST', message: RATE_LIMITED_MESSAGE, details: { code: 'AUTH_RATE_LIMITED' } });
      // …not for that origin on another address (no lockout of everyone)…
      const elsewhere = await pool.connect(g, undefined, { noDevice: true, auth: { token: TOKEN }, headers: { Origin: 'https://ui.example' } }, 'right-secret-elsewhere');
      assert.equal(assertAdmitted(elsewhere).auth.method, 'token');
      // …while a direct-local client (no Origin, no forwarding) still connects, with or without a device
      const local = await pool.connect(g, undefined, { noDevice: true, auth: { token: TOKEN } }, 'direct-local');
      assert.deepEqual(assertAdmitted(local).auth.scopes, ['operator.admin']);
      const localDevice = await pool.connect(g, createTestDevice(), { auth: { token: TOKEN } }, 'direct-local-device');
      assert.match(assertAdmitted(localDevice).auth.deviceToken, DEVICE_TOKEN_RE);
      // and direct-local failures are not limited (exempt by design)
      const localWrong = await pool.connect(g, undefined, { noDevice: true, auth: { token: 'wrong-token-0123456789abcdef-0123456789' } }, 'direct-local-wrong');
      await assertRefused(localWrong, { code: 'INVALID_REQUEST', details: { code: 'AUTH_TOKEN_MISMATCH' } });
    } finally {
      await pool.closeAll();
      await g.close();
    }
  });

  test('brute force through a trusted same-host proxy is limited per forwarded client; other clients and direct-local are not', async () => {
    const g = await startTestGateway({ token: TOKEN, trustedProxies: ['127.0.0.2'] });
    try {
      const attempt = (xff: string, token: string, label: string, localAddress = '127.0.0.2') => pool.connect(g, undefined, {
        noDevice: true, auth: { token }, headers: { 'X-Forwarded-For': xff }, localAddress,
      }, label);
      const wrong = 'wrong-token-0123456789abcdef-0123456789';
      for (let i = 0; i < 10; i++) {
        await assertRefused(await attempt('1.2.3.4', wrong, `proxy-wrong-${i}`), { code: 'INVALID_REQUEST', details: { code: 'AUTH_TOKEN_MISMATCH' } });
      }
      const eleventh = await attempt('1.2.3.4', wrong, 'proxy-wrong-10');
      await assertRefused(eleventh, { code: 'INVALID_REQUEST', message: RATE_LIMITED_MESSAGE, details: { code: 'AUTH_RATE_LIMITED' } });
      assert.ok(eleventh.res.error.retryAfterMs > 0);
      await assertRefused(await attempt('1.2.3.4', TOKEN, 'proxy-right-locked'), { code: 'INVALID_REQUEST', details: { code: 'AUTH_RATE_LIMITED' } });
      // another forwarded client is a different key
      await assertRefused(await attempt('5.6.7.8', wrong, 'proxy-other-client'), { code: 'INVALID_REQUEST', details: { code: 'AUTH_TOKEN_MISMATCH' } });
      assert.equal(assertAdmitted(await attempt('5.6.7.8', TOKEN, 'proxy-other-client-right')).auth.method, 'token');
      // a peer that is not a trusted proxy cannot borrow the locked address (it is keyed on its own)
      await assertRefused(await attempt('1.2.3.4', wrong, 'untrusted-spoof', '127.0.0.3'), { code: 'INVALID_REQUEST', details: { code: 'AUTH_TOKEN_MISMATCH' } });
      // direct-local still connects
      assert.deepEqual(assertAdmitted(await pool.connect(g, undefined, { noDevice: true, auth: { token: TOKEN } }, 'direct')).auth.scopes, ['operator.admin']);
    } finally {
      await pool.closeAll();
      await g.close();
    }
  });
});
