import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient, GatewayClientRequestError, type GatewayClientOptions } from '@openclaw/gateway-client';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { createTestDevice, type TestDevice } from '../../helpers/device.js';
import { adminClient, GUARD_MS, TOKEN, startClient, stopClient, within, wsUrl, type TappedClient } from '../../helpers/ws-client.js';
import { assertPublishedFrame } from '../../helpers/published-schema.js';
import { assertRefused, connectDevice, DEVICE_TOKEN_RE, type DeviceConnection } from '../../helpers/device-connect.js';

// Issue acceptance 1 — pairing and device tokens with the published reference client
// (`@openclaw/gateway-client` presenting a fresh Ed25519 identity; openclaw-protocol.md §10, user-needs.md §9).
// Hand-built connects (helpers/device-connect.ts) are used only where an exact close code must be read
// from the wire, which the reference client does not expose reliably (it closes the socket itself).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A reference client whose connect is expected to be refused: the error it reports and the close it saw. */
async function refusedClient(g: TestGateway, options: Partial<GatewayClientOptions>): Promise<{ error: GatewayClientRequestError; close: { code: number; reason: string } }> {
  let onError!: (e: Error) => void;
  let onClose!: (c: { code: number; reason: string }) => void;
  const errorP = new Promise<Error>((r) => { onError = r; });
  const closeP = new Promise<{ code: number; reason: string }>((r) => { onClose = r; });
  const client = new GatewayClient({
    url: wsUrl(g.url), requestTimeoutMs: GUARD_MS, ...options,
    onHelloOk: () => onError(new Error('connect unexpectedly accepted')),
    onConnectError: (e) => onError(e),
    onClose: (code, reason) => onClose({ code, reason }),
  });
  client.start();
  try {
    const error = await within(errorP, 'connect error');
    const close = await within(closeP, 'close after the refused connect');
    assert.ok(error instanceof GatewayClientRequestError, `expected a gateway error, got ${String(error)}`);
    return { error, close };
  } finally {
    await client.stopAndWait({ timeoutMs: GUARD_MS }).catch(() => client.stop());
  }
}

/** Waits for the close of a reference client's socket and stops the client before it reconnects. */
async function closedThenStopped(t: TappedClient): Promise<{ code: number; reason: string }> {
  const closed = await t.log.waitForClose();
  await stopClient(t);
  return closed;
}

function pendingOf(list: any, deviceId: string): any[] {
  return (list.pending as any[]).filter((p) => p.deviceId === deviceId);
}
function pairedOf(list: any, deviceId: string): any | undefined {
  return (list.paired as any[]).find((p) => p.deviceId === deviceId);
}

function assertHelloToken(hello: Record<string, any>, method: string): string {
  assert.equal(hello.auth.method, method, JSON.stringify(hello.auth));
  assert.equal(hello.auth.role, 'operator');
  assert.match(hello.auth.deviceToken, DEVICE_TOKEN_RE, 'deviceToken is 43-char base64url');
  assert.ok(Number.isSafeInteger(hello.auth.issuedAtMs) && hello.auth.issuedAtMs > 0, `issuedAtMs: ${hello.auth.issuedAtMs}`);
  return hello.auth.deviceToken;
}

// ---------------------------------------------------------------------------------------------------------
describe('silent local pairing (autoApproveLocal on, the default)', () => {
  let g: TestGateway;
  let op: TappedClient;
  before(async () => {
    g = await startTestGateway({ token: TOKEN });
    op = await adminClient(g.url);
  });
  after(async () => {
    await stopClient(op);
    await g.close();
  });

  test('a fresh identity on direct loopback is paired silently: hello carries deviceToken + issuedAtMs, the client stores it', async () => {
    const dev = createTestDevice();
    const from = op.log.frames.length;
    const t = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'device');
    try {
      const token = assertHelloToken(t.hello, 'token');
      assert.deepEqual(t.hello.auth.scopes, ['operator.admin']);
      assert.deepEqual(dev.tokens.get('operator'), { token, scopes: ['operator.admin'] }, 'the client persisted (token, scopes) for the role');
      // operators see the silent pairing: requested {silent:true} then resolved {approved}
      const requested = await op.log.waitForEvent('device.pair.requested', (p) => p.deviceId === dev.deviceId, { from });
      assert.equal(requested.payload.silent, true);
      assert.equal(requested.payload.publicKey, dev.publicKey);
      assert.equal(requested.payload.role, 'operator');
      assert.deepEqual(requested.payload.scopes, ['operator.admin']);
      const resolved = await op.log.waitForEvent('device.pair.resolved', (p) => p.deviceId === dev.deviceId, { from });
      assert.equal(resolved.payload.decision, 'approved');
      assert.equal(resolved.payload.requestId, requested.payload.requestId);
      const list = await op.request('device.pair.list', {});
      const paired = pairedOf(list, dev.deviceId);
      assert.ok(paired, 'listed as paired');
      assert.equal(paired.approvedVia, 'silent');
      assert.equal(paired.publicKey, dev.publicKey);
      assert.equal(paired.connected, true);
      assert.deepEqual(paired.roles, ['operator']);
      assert.equal(paired.tokens.length, 1);
      assert.equal(paired.tokens[0].role, 'operator');
      assert.equal('token' in paired.tokens[0], false, 'token values are never listed');
      assert.ok(!JSON.stringify(list).includes(token), 'the token appears nowhere in the list');
      assert.deepEqual(pendingOf(list, dev.deviceId), []);
      t.log.assertPublished();
    } finally {
      await stopClient(t);
    }
  });

  test('reconnecting with ONLY the device token: auth.method "device-token", the same token, the stored scopes', async () => {
    const dev = createTestDevice();
    const first = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'pair');
    const token = assertHelloToken(first.hello, 'token');
    await stopClient(first);
    const t = await startClient(g.url, { hostDeps: dev.hostDeps }, 'device-token-only');
    try {
      assert.equal(assertHelloToken(t.hello, 'device-token'), token);
      assert.deepEqual(t.hello.auth.scopes, ['operator.admin']);
      // the socket is usable with those scopes
      const list = await t.request('device.pair.list', {});
      assert.ok(pairedOf(list, dev.deviceId));
      t.log.assertPublished();
    } finally {
      await stopClient(t);
    }
  });

  test('20 reconnects (shared token or device token alone) → the same deviceToken every time, never rotated', async () => {
    const dev = createTestDevice();
    const first = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'pair');
    const token = assertHelloToken(first.hello, 'token');
    const issuedAtMs = first.hello.auth.issuedAtMs;
    await stopClient(first);
    for (let i = 0; i < 20; i++) {
      const withSecret = i % 2 === 0;
      const t = await startClient(g.url, withSecret ? { token: TOKEN, hostDeps: dev.hostDeps } : { hostDeps: dev.hostDeps }, `reconnect-${i}`);
      try {
        assert.equal(assertHelloToken(t.hello, withSecret ? 'token' : 'device-token'), token, `reconnect ${i}`);
        assert.equal(t.hello.auth.issuedAtMs, issuedAtMs, `reconnect ${i}: issuedAtMs unchanged`);
      } finally {
        await stopClient(t);
      }
    }
    assert.equal(dev.tokens.get('operator')?.token, token);
    const paired = pairedOf(await op.request('device.pair.list', {}), dev.deviceId);
    assert.equal(paired.tokens[0].rotatedAtMs, undefined, 'a plain reconnect never rotates');
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('approval required (autoApproveLocal:false)', () => {
  let g: TestGateway;
  let op: TappedClient;
  const raws: DeviceConnection[] = [];
  before(async () => {
    g = await startTestGateway({ token: TOKEN, autoApproveLocal: false });
    op = await adminClient(g.url);
  });
  after(async () => {
    await Promise.all(raws.map((r) => r.close()));
    await stopClient(op);
    await g.close();
  });
  const raw = async (dev: TestDevice, label: string) => {
    const c = await connectDevice(g.url, dev, { auth: { token: TOKEN }, scopes: ['operator.admin'], platform: process.platform }, label);
    raws.push(c);
    return c;
  };

  test('NOT_PAIRED / PAIRING_REQUIRED with the full details; close 1008 names the requestId; repeats reuse it; approve → resolved → the device connects', async () => {
    const dev = createTestDevice();
    const from = op.log.frames.length;
    const { error } = await refusedClient(g, { token: TOKEN, hostDeps: dev.hostDeps });
    assert.equal(error.gatewayCode, 'NOT_PAIRED');
    const d = error.details as Record<string, any>;
    assert.equal(d.code, 'PAIRING_REQUIRED');
    assert.equal(d.reason, 'not-paired');
    assert.match(d.requestId, UUID);
    assert.equal(typeof d.remediationHint, 'string');
    assert.ok(d.remediationHint.includes('approve'), `remediationHint names the approve step: ${d.remediationHint}`);
    assert.equal(d.deviceId, dev.deviceId);
    assert.equal(d.requestedRole, 'operator');
    assert.deepEqual(d.requestedScopes, ['operator.admin']);
    assert.equal(dev.tokens.size, 0, 'no token was issued');
    const requestId: string = d.requestId;
    // the client words the error from the structured details (its own text), naming the request
    assert.ok(error.message.includes(`(requestId: ${requestId})`), error.message);

    // operators with operator.pairing are told once
    const requested = await op.log.waitForEvent('device.pair.requested', (p) => p.deviceId === dev.deviceId, { from });
    assert.equal(requested.payload.requestId, requestId);
    assert.equal(requested.payload.silent, false);
    assert.equal(requested.payload.publicKey, dev.publicKey);
    assert.equal(requested.payload.role, 'operator');
    assert.deepEqual(requested.payload.scopes, ['operator.admin']);

    // the exact wire answer, and 20 repeated connects → the same requestId, no new request
    for (let i = 0; i < 20; i++) {
      const c = await raw(dev, `repeat-${i}`);
      await assertRefused(c, {
        code: 'NOT_PAIRED', message: 'pairing required: device is not approved yet',
        details: { code: 'PAIRING_REQUIRED', reason: 'not-paired', requestId, deviceId: dev.deviceId, requestedRole: 'operator', requestedScopes: ['operator.admin'] },
        close: { code: 1008, reason: `pairing required: device is not approved yet (requestId: ${requestId})` },
      });
      assertPublishedFrame(c.res);
    }
    let list = await op.request('device.pair.list', {});
    const pending = pendingOf(list, dev.deviceId);
    assert.equal(pending.length, 1, 'one pending request');
    assert.equal(pending[0].requestId, requestId);
    assert.equal(pending[0].publicKey, dev.publicKey);
    assert.equal(pending[0].role, 'operator');
    assert.deepEqual(pending[0].scopes, ['operator.admin']);
    assert.equal(pairedOf(list, dev.deviceId), undefined);
    assert.equal(op.log.events('device.pair.requested', from).filter((f) => f.payload.deviceId === dev.deviceId).length, 1,
      'repeats announce nothing new');

    // approve
    const approved = await op.request('device.pair.approve', { requestId });
    assert.equal(approved.requestId, requestId);
    assert.equal(approved.device.deviceId, dev.deviceId);
    assert.equal(approved.device.approvedVia, 'owner');
    assert.deepEqual(approved.device.roles, ['operator']);
    assert.deepEqual(approved.device.scopes, ['operator.admin']);
    const resolved = await op.log.waitForEvent('device.pair.resolved', (p) => p.requestId === requestId, { from });
    assert.deepEqual({ deviceId: resolved.payload.deviceId, decision: resolved.payload.decision }, { deviceId: dev.deviceId, decision: 'approved' });
    list = await op.request('device.pair.list', {});
    assert.deepEqual(pendingOf(list, dev.deviceId), []);
    assert.equal(pairedOf(list, dev.deviceId).approvedVia, 'owner');

    // the device now connects and receives its token
    const t = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'approved-device');
    try {
      const token = assertHelloToken(t.hello, 'token');
      assert.equal(dev.tokens.get('operator')?.token, token);
      t.log.assertPublished();
    } finally {
      await stopClient(t);
    }
    // and reconnects with the token alone
    const again = await startClient(g.url, { hostDeps: dev.hostDeps }, 'approved-device-token');
    try {
      assertHelloToken(again.hello, 'device-token');
    } finally {
      await stopClient(again);
    }
    // approving twice is an error, not a second approval
    await assert.rejects(op.request('device.pair.approve', { requestId }), (e: any) => e.gatewayCode === 'INVALID_REQUEST');
    op.log.assertPublished();
  });

  test('device.pair.reject → {requestId, deviceId}, resolved {decision:"rejected"}; the request is gone and a new connect opens a new one', async () => {
    const dev = createTestDevice();
    const from = op.log.frames.length;
    const first = await raw(dev, 'to-reject');
    const requestId = first.res.error?.details?.requestId as string;
    await assertRefused(first, {
      code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED' },
      close: { code: 1008, reason: `pairing required: device is not approved yet (requestId: ${requestId})` },
    });
    await op.log.waitForEvent('device.pair.requested', (p) => p.requestId === requestId, { from });
    const rejected = await op.request('device.pair.reject', { requestId });
    assert.deepEqual(rejected, { requestId, deviceId: dev.deviceId });
    const resolved = await op.log.waitForEvent('device.pair.resolved', (p) => p.requestId === requestId, { from });
    assert.equal(resolved.payload.decision, 'rejected');
    assert.equal(resolved.payload.deviceId, dev.deviceId);
    const list = await op.request('device.pair.list', {});
    assert.deepEqual(pendingOf(list, dev.deviceId), []);
    assert.equal(pairedOf(list, dev.deviceId), undefined, 'a rejected device is not paired');
    // the rejected device is still refused; its next attempt is a new request
    const second = await raw(dev, 'after-reject');
    const next = second.res.error?.details?.requestId as string;
    await assertRefused(second, {
      code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED', reason: 'not-paired' },
      close: { code: 1008, reason: `pairing required: device is not approved yet (requestId: ${next})` },
    });
    assert.match(next, UUID);
    assert.notEqual(next, requestId);
    await assert.rejects(op.request('device.pair.approve', { requestId }), (e: any) => e.gatewayCode === 'INVALID_REQUEST',
      'a rejected request cannot be approved afterwards');
    op.log.assertPublished();
  });

  test('device.pair.* without operator.pairing → FORBIDDEN missing scope: operator.pairing', async () => {
    const reader = await startClient(g.url, { token: TOKEN, scopes: ['operator.read'], deviceIdentity: null }, 'reader');
    try {
      for (const [method, params] of [['device.pair.list', {}], ['device.pair.approve', { requestId: 'x' }], ['device.token.revoke', { deviceId: 'x', role: 'operator' }]] as const) {
        await assert.rejects(reader.request(method, params), (e: any) => {
          assert.equal(e.gatewayCode, 'FORBIDDEN');
          assert.equal(e.message, 'missing scope: operator.pairing');
          assert.equal(e.details?.code, 'MISSING_SCOPE');
          return true;
        });
      }
      reader.log.assertPublished();
    } finally {
      await stopClient(reader);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('removal, rotation, revocation (credential invalidation, §10.6–§10.7)', () => {
  let g: TestGateway;
  let op: TappedClient;
  const raws: DeviceConnection[] = [];
  before(async () => {
    g = await startTestGateway({ token: TOKEN });
    op = await adminClient(g.url);
  });
  after(async () => {
    await Promise.all(raws.map((r) => r.close()));
    await stopClient(op);
    await g.close();
  });
  const track = (c: DeviceConnection) => { raws.push(c); return c; };
  /** A silently paired device connected through the reference client; returns it and its token. */
  const pairedDevice = async (label: string, scopes = ['operator.admin']) => {
    const dev = createTestDevice();
    const t = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps, scopes }, label);
    return { dev, t, token: assertHelloToken(t.hello, 'token') };
  };
  const deviceTokenConnect = (dev: TestDevice, deviceToken: string, label: string, scopes = ['operator.admin']) =>
    connectDevice(g.url, dev, { auth: { token: deviceToken, deviceToken }, scopes }, label).then(track);
  const assertTokenMismatch = (c: DeviceConnection) => assertRefused(c, {
    code: 'INVALID_REQUEST', message: 'unauthorized: device token mismatch (rotate/reissue device token)',
    details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH' },
  });

  test('device.pair.remove on its own device: the res arrives, then the socket closes 4001 "device removed"; the device and its token are gone', async () => {
    const { dev, t, token } = await pairedDevice('remove-self');
    const res = await t.request('device.pair.remove', { deviceId: dev.deviceId });
    assert.equal(res.deviceId, dev.deviceId);
    const closed = await closedThenStopped(t);
    assert.deepEqual(closed, { code: 4001, reason: 'device removed' });
    const resIndex = t.log.frames.findIndex((f) => f.type === 'res' && t.log.methods.get(f.id) === 'device.pair.remove');
    assert.ok(resIndex >= 0, 'the remove res reached the device before its socket closed');
    const list = await op.request('device.pair.list', {});
    assert.equal(pairedOf(list, dev.deviceId), undefined);
    await assertTokenMismatch(await deviceTokenConnect(dev, token, 'removed-token'));
    // pairing again (shared secret, direct-local) works and never resurrects the removed token
    const again = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps }, 're-paired');
    try {
      const fresh = assertHelloToken(again.hello, 'token');
      assert.notEqual(fresh, token, 'a re-paired device gets a new token');
    } finally {
      await stopClient(again);
    }
    await assertTokenMismatch(await deviceTokenConnect(dev, token, 'removed-token-after-repair'));
    t.log.assertPublished();
  });

  test('device.pair.remove by an operator closes every socket of that device with 4001', async () => {
    const { dev, t, token } = await pairedDevice('remove-by-op');
    const second = await deviceTokenConnect(dev, token, 'second-socket');
    assert.equal(second.res.ok, true, JSON.stringify(second.res.error));
    const res = await op.request('device.pair.remove', { deviceId: dev.deviceId });
    assert.equal(res.deviceId, dev.deviceId);
    assert.deepEqual(await closedThenStopped(t), { code: 4001, reason: 'device removed' });
    assert.deepEqual(await second.log.waitForClose(), { code: 4001, reason: 'device removed' });
    await assert.rejects(op.request('device.pair.remove', { deviceId: dev.deviceId }), (e: any) => e.gatewayCode === 'INVALID_REQUEST');
    op.log.assertPublished();
  });

  test('device.token.rotate by the device itself: new token in-band; that role\'s sockets close 4001; the old token fails AUTH_DEVICE_TOKEN_MISMATCH; the new one works', async () => {
    const { dev, t, token } = await pairedDevice('rotate-self');
    const sibling = await deviceTokenConnect(dev, token, 'same-role-sibling');
    assert.equal(sibling.res.ok, true);
    // a node-role socket of the same device (its own token) is not touched by an operator-token rotation
    const node = track(await connectDevice(g.url, dev, { role: 'node', mode: 'node', clientId: 'node-host', scopes: [], auth: { token: TOKEN } }, 'node-role'));
    assert.equal(node.res.ok, true, JSON.stringify(node.res.error));
    assert.equal(node.res.payload.auth.role, 'node');
    assert.notEqual(node.res.payload.auth.deviceToken, token, 'tokens are per role');

    const rotated = await t.request('device.token.rotate', { deviceId: dev.deviceId, role: 'operator' });
    assert.equal(rotated.deviceId, dev.deviceId);
    assert.equal(rotated.role, 'operator');
    assert.equal(rotated.tokenDelivery, 'in-band');
    assert.match(rotated.token, DEVICE_TOKEN_RE);
    assert.notEqual(rotated.token, token);
    assert.deepEqual(rotated.scopes, ['operator.admin']);
    assert.ok(Number.isSafeInteger(rotated.rotatedAtMs));
    assert.deepEqual(await closedThenStopped(t), { code: 4001, reason: 'device removed' });
    assert.deepEqual(await sibling.log.waitForClose(), { code: 4001, reason: 'device removed' });
    t.log.assertPublished(); // includes DeviceTokenRotateResult

    // the node socket stays open and usable
    const health = await node.request('health', {});
    assert.equal(health.ok, true);
    assert.equal(node.log.close, undefined);

    await assertTokenMismatch(await deviceTokenConnect(dev, token, 'old-token'));
    const fresh = await deviceTokenConnect(dev, rotated.token, 'new-token');
    assert.equal(fresh.res.ok, true, JSON.stringify(fresh.res.error));
    assert.equal(fresh.res.payload.auth.method, 'device-token');
    assert.equal(fresh.res.payload.auth.deviceToken, rotated.token, 'hello re-sends the rotated token');
    assertPublishedFrame(fresh.res, { method: 'connect' });

    // the reference client still holding the old token: AUTH_DEVICE_TOKEN_MISMATCH, and it drops the stale token
    assert.equal(dev.tokens.get('operator')?.token, token);
    const { error } = await refusedClient(g, { hostDeps: dev.hostDeps });
    assert.equal((error.details as any)?.code, 'AUTH_DEVICE_TOKEN_MISMATCH');
    assert.equal(dev.tokens.has('operator'), false, 'the client cleared its stale token');
  });

  test('device.token.rotate of another device by an admin: token withheld ("withheld-cross-device"); the device gets the new token in its next hello', async () => {
    const { dev, t, token } = await pairedDevice('rotate-cross');
    const rotated = await op.request('device.token.rotate', { deviceId: dev.deviceId, role: 'operator' });
    assert.equal(rotated.tokenDelivery, 'withheld-cross-device');
    assert.equal('token' in rotated, false);
    assert.equal(rotated.deviceId, dev.deviceId);
    assert.equal(rotated.role, 'operator');
    assert.deepEqual(await closedThenStopped(t), { code: 4001, reason: 'device removed' });
    op.log.assertPublished();
    await assertTokenMismatch(await deviceTokenConnect(dev, token, 'old-after-cross-rotate'));
    const again = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'after-cross-rotate');
    try {
      const fresh = assertHelloToken(again.hello, 'token');
      assert.notEqual(fresh, token);
      assert.equal(again.hello.auth.issuedAtMs, rotated.rotatedAtMs);
    } finally {
      await stopClient(again);
    }
  });

  test('a non-admin may rotate only its own operator token, never wider and never another device\'s', async () => {
    const a = await pairedDevice('pairing-only-a', ['operator.pairing']);
    const b = await pairedDevice('pairing-only-b', ['operator.pairing']);
    try {
      assert.deepEqual(a.t.hello.auth.scopes, ['operator.pairing']);
      await assert.rejects(a.t.request('device.token.rotate', { deviceId: b.dev.deviceId, role: 'operator' }), (e: any) => {
        assert.equal(e.gatewayCode, 'FORBIDDEN');
        assert.equal(e.message, 'missing scope: operator.admin');
        assert.equal(e.details?.code, 'MISSING_SCOPE');
        return true;
      });
      await assert.rejects(a.t.request('device.token.rotate', { deviceId: a.dev.deviceId, role: 'operator', scopes: ['operator.admin'] }),
        (e: any) => e.gatewayCode === 'INVALID_REQUEST');
      await assert.rejects(a.t.request('device.token.revoke', { deviceId: b.dev.deviceId, role: 'operator' }), (e: any) => e.gatewayCode === 'FORBIDDEN');
      // nothing happened to b
      assert.equal(b.t.log.close, undefined);
      const ok = await deviceTokenConnect(b.dev, b.token, 'b-still-valid', ['operator.pairing']);
      assert.equal(ok.res.ok, true, JSON.stringify(ok.res.error));
    } finally {
      await stopClient(a.t);
      await stopClient(b.t);
    }
  });

  test('device.token.revoke → {deviceId, role, revokedAtMs}; sockets close 4001; the revoked token is refused; a shared-secret reconnect issues a new one', async () => {
    const { dev, t, token } = await pairedDevice('revoke');
    const res = await op.request('device.token.revoke', { deviceId: dev.deviceId, role: 'operator' });
    assert.equal(res.deviceId, dev.deviceId);
    assert.equal(res.role, 'operator');
    assert.ok(Number.isSafeInteger(res.revokedAtMs));
    assert.deepEqual(await closedThenStopped(t), { code: 4001, reason: 'device removed' });
    let paired = pairedOf(await op.request('device.pair.list', {}), dev.deviceId);
    assert.equal(paired.tokens[0].revokedAtMs, res.revokedAtMs);
    await assertTokenMismatch(await deviceTokenConnect(dev, token, 'revoked-token'));
    await assert.rejects(op.request('device.token.revoke', { deviceId: dev.deviceId, role: 'operator' }), (e: any) => e.gatewayCode === 'INVALID_REQUEST',
      'nothing left to revoke');
    const again = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'after-revoke');
    try {
      assert.notEqual(assertHelloToken(again.hello, 'token'), token);
    } finally {
      await stopClient(again);
    }
    paired = pairedOf(await op.request('device.pair.list', {}), dev.deviceId);
    assert.equal(paired.tokens[0].revokedAtMs, undefined, 'the reissued token is active');
    op.log.assertPublished();
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('pairing stability (user-needs §9): identity is the key pair, only platform / deviceFamily are pinned', () => {
  let g: TestGateway;
  let op: TappedClient;
  const raws: DeviceConnection[] = [];
  before(async () => {
    g = await startTestGateway({ token: TOKEN, autoApproveLocal: false });
    op = await adminClient(g.url);
  });
  after(async () => {
    await Promise.all(raws.map((r) => r.close()));
    await stopClient(op);
    await g.close();
  });
  const connect = async (dev: TestDevice, label: string, o: Parameters<typeof connectDevice>[2] = {}) => {
    const c = await connectDevice(g.url, dev, { auth: { token: TOKEN }, scopes: ['operator.admin'], ...o }, label);
    raws.push(c);
    return c;
  };
  const refusedFor = async (c: DeviceConnection, reason: string, message: string) => {
    const requestId = c.res.error?.details?.requestId as string;
    await assertRefused(c, {
      code: 'NOT_PAIRED', message, details: { code: 'PAIRING_REQUIRED', reason },
      close: { code: 1008, reason: `${message} (requestId: ${requestId})` },
    });
    assertPublishedFrame(c.res);
    return requestId;
  };
  /** A device approved by the operator for these scopes (platform linux, no deviceFamily). */
  const approvedDevice = async (scopes: string[], o: Parameters<typeof connectDevice>[2] = {}) => {
    const dev = createTestDevice();
    const requestId = await refusedFor(await connect(dev, 'first', { scopes, ...o }), 'not-paired', 'pairing required: device is not approved yet');
    await op.request('device.pair.approve', { requestId });
    const c = await connect(dev, 'approved', { scopes, ...o });
    assert.equal(c.res.ok, true, JSON.stringify(c.res.error));
    return { dev, token: c.res.payload.auth.deviceToken as string };
  };

  test('a device approved with operator.admin asking operator.write (or read + pairing) connects without a prompt', async () => {
    const { dev } = await approvedDevice(['operator.admin']);
    for (const scopes of [['operator.write'], ['operator.read', 'operator.pairing'], ['operator.sessions.write']]) {
      const c = await connect(dev, `implied-${scopes.join('+')}`, { scopes });
      assert.equal(c.res.ok, true, `${scopes}: ${JSON.stringify(c.res.error)}`);
      assert.deepEqual(c.res.payload.auth.scopes, scopes);
    }
  });

  test('client version, display name and model identifier changes never re-pair; platform is compared trimmed and lowercased', async () => {
    const { dev, token } = await approvedDevice(['operator.admin']);
    const c = await connect(dev, 'renamed', {
      platform: ' LINUX ', clientExtra: { version: '2099.1.1', displayName: 'Renamed laptop', modelIdentifier: 'Model9,9' },
    });
    assert.equal(c.res.ok, true, JSON.stringify(c.res.error));
    assert.equal(c.res.payload.auth.deviceToken, token);
    // the reference client with a new version and display name, on the same platform
    const t = await startClient(g.url, { token: TOKEN, hostDeps: dev.hostDeps, clientVersion: '2099.2.2', clientDisplayName: 'Other name', platform: 'linux' }, 'new-version');
    try {
      assert.equal(t.hello.auth.deviceToken, token);
    } finally {
      await stopClient(t);
    }
  });

  test('a scope upgrade → NOT_PAIRED "scope upgrade pending approval" with approvedRoles / approvedScopes; approving it widens the grant', async () => {
    const { dev } = await approvedDevice(['operator.read']);
    const c = await connect(dev, 'upgrade', { scopes: ['operator.write'] });
    const requestId = await refusedFor(c, 'scope-upgrade', 'pairing required: scope upgrade pending approval');
    assert.deepEqual(c.res.error.details.approvedRoles, ['operator']);
    assert.deepEqual(c.res.error.details.approvedScopes, ['operator.read']);
    assert.deepEqual(c.res.error.details.requestedScopes, ['operator.write']);
    await op.request('device.pair.approve', { requestId });
    const ok = await connect(dev, 'upgraded', { scopes: ['operator.write'] });
    assert.equal(ok.res.ok, true, JSON.stringify(ok.res.error));
    assert.deepEqual(ok.res.payload.auth.scopes, ['operator.write']);
  });

  test('a new role → NOT_PAIRED "role upgrade pending approval"', async () => {
    const { dev } = await approvedDevice(['operator.read']);
    const c = await connect(dev, 'as-node', { role: 'node', mode: 'node', clientId: 'node-host', scopes: [] });
    await refusedFor(c, 'role-upgrade', 'pairing required: role upgrade pending approval');
    assert.deepEqual(c.res.error.details.approvedRoles, ['operator']);
  });

  test('a platform or deviceFamily change → NOT_PAIRED "device metadata change pending approval", over the shared secret and over the device token alone', async () => {
    const { dev, token } = await approvedDevice(['operator.read'], { deviceFamily: 'desktop' });
    const viaSecret = await connect(dev, 'new-platform', { scopes: ['operator.read'], platform: 'darwin', deviceFamily: 'desktop' });
    const requestId = await refusedFor(viaSecret, 'metadata-upgrade', 'pairing required: device metadata change pending approval');
    assert.deepEqual(viaSecret.res.error.details.approvedScopes, ['operator.read']);
    const viaToken = await connect(dev, 'new-platform-token', { scopes: ['operator.read'], platform: 'darwin', deviceFamily: 'desktop', auth: { deviceToken: token } });
    assert.equal(await refusedFor(viaToken, 'metadata-upgrade', 'pairing required: device metadata change pending approval'), requestId,
      'the same pending request is reused');
    const family = await connect(dev, 'new-family-token', { scopes: ['operator.read'], deviceFamily: 'phone', auth: { deviceToken: token } });
    await refusedFor(family, 'metadata-upgrade', 'pairing required: device metadata change pending approval');
    // the pinned metadata still admits the token
    const same = await connect(dev, 'same-platform-token', { scopes: ['operator.read'], deviceFamily: 'Desktop', auth: { deviceToken: token } });
    assert.equal(same.res.ok, true, JSON.stringify(same.res.error));
    // approving the change re-pins: the new platform connects with the same token
    await op.request('device.pair.approve', { requestId });
    const moved = await connect(dev, 'moved', { scopes: ['operator.read'], platform: 'darwin', deviceFamily: 'desktop', auth: { deviceToken: token } });
    assert.equal(moved.res.ok, true, JSON.stringify(moved.res.error));
    assert.equal(moved.res.payload.auth.deviceToken, token, 'a metadata approval does not rotate the token');
  });

  test('a metadata change is refreshed silently only for a first-party native app UI on direct_local (even with autoApproveLocal off)', async () => {
    const app = { clientId: 'openclaw-macos', mode: 'ui', scopes: ['operator.read'] };
    const { dev, token } = await approvedDevice(['operator.read'], { ...app, platform: 'macos 14' });
    const c = await connect(dev, 'os-update', { ...app, platform: 'macos 15' });
    assert.equal(c.res.ok, true, JSON.stringify(c.res.error));
    assert.equal(c.res.payload.auth.deviceToken, token);
    const paired = pairedOf(await op.request('device.pair.list', {}), dev.deviceId);
    assert.equal(paired.platform, 'macos 15', 'the new platform is pinned');
    // not for the same app behind a forwarding header (remote)
    const remote = await connect(dev, 'os-update-remote', { ...app, platform: 'macos 16', headers: { 'X-Forwarded-For': '1.2.3.4' } });
    await refusedFor(remote, 'metadata-upgrade', 'pairing required: device metadata change pending approval');
  });
});

describe('silent upgrades with autoApproveLocal on', () => {
  let g: TestGateway;
  const raws: DeviceConnection[] = [];
  before(async () => { g = await startTestGateway({ token: TOKEN }); });
  after(async () => {
    await Promise.all(raws.map((r) => r.close()));
    await g.close();
  });
  const connect = async (dev: TestDevice, label: string, o: Parameters<typeof connectDevice>[2] = {}) => {
    const c = await connectDevice(g.url, dev, { scopes: ['operator.read'], ...o }, label);
    raws.push(c);
    return c;
  };

  test('a scope upgrade with the shared secret on direct_local is silent; over the device token alone it is AUTH_SCOPE_MISMATCH', async () => {
    const dev = createTestDevice();
    const first = await connect(dev, 'read', { auth: { token: TOKEN } });
    const token = first.res.payload.auth.deviceToken as string;
    const viaToken = await connect(dev, 'wider-token', { scopes: ['operator.admin'], auth: { deviceToken: token } });
    await assertRefused(viaToken, { code: 'INVALID_REQUEST', details: { code: 'AUTH_SCOPE_MISMATCH' } });
    const viaSecret = await connect(dev, 'wider-secret', { scopes: ['operator.admin'], auth: { token: TOKEN } });
    assert.equal(viaSecret.res.ok, true, JSON.stringify(viaSecret.res.error));
    assert.deepEqual(viaSecret.res.payload.auth.scopes, ['operator.admin']);
    assert.equal(viaSecret.res.payload.auth.deviceToken, token, 'the upgrade keeps the token');
  });

  test('a platform change of a gateway-client (not a native app UI) is never silent', async () => {
    const dev = createTestDevice();
    const first = await connect(dev, 'linux', { auth: { token: TOKEN } });
    assert.equal(first.res.ok, true);
    const moved = await connect(dev, 'darwin', { auth: { token: TOKEN }, platform: 'darwin' });
    const requestId = moved.res.error?.details?.requestId;
    await assertRefused(moved, {
      code: 'NOT_PAIRED', message: 'pairing required: device metadata change pending approval',
      details: { code: 'PAIRING_REQUIRED', reason: 'metadata-upgrade' },
      close: { code: 1008, reason: `pairing required: device metadata change pending approval (requestId: ${requestId})` },
    });
  });
});
