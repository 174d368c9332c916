import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, killAll, tempDir } from '../../helpers/cli.js';
import { startCliGatewayOn, type CliGateway } from '../../helpers/cli-gateway.js';
import { createTestDevice } from '../../helpers/device.js';
import { adminClient, GUARD_MS, startClient, stopClient, type TappedClient } from '../../helpers/ws-client.js';
import { assertRefused, connectDevice, DEVICE_TOKEN_RE, type DeviceConnection } from '../../helpers/device-connect.js';

// Issue acceptance 4 — pairing survives a crash. The real CLI gateway runs as a subprocess
// (`dist/src/cli/main.js`, build first with `npx tsc -p tsconfig.json`), is killed with SIGKILL (no graceful
// shutdown, no checkpoint) and restarted on the same --state-dir: a device reconnects with its token alone,
// is not re-paired and is handed the same token; nothing in the state dir holds a token in plain text.

const TOKEN = 'restart-test-shared-secret-0123456789abc'; // 40 characters

before(() => {
  assertBuilt();
  assert.equal(TOKEN.length, 40);
});
after(() => killAll());

const startGateway = (stateDir: string, extra: string[] = []) => startCliGatewayOn(stateDir, TOKEN, extra, GUARD_MS);

async function crash(gw: CliGateway): Promise<void> {
  gw.proc.kill('SIGKILL');
  const exited = await gw.proc.exit(GUARD_MS);
  assert.equal(exited.signal, 'SIGKILL');
}

/** Every file under `dir`, with its bytes. */
function stateFiles(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...stateFiles(path));
    else out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

/** No file of the state dir contains the token, neither as text nor as its decoded bytes. */
function assertNoPlainToken(dir: string, tokens: string[]): void {
  const files = stateFiles(dir);
  assert.ok(files.some((f) => f.path.endsWith('clawgate.db')), `the database is in the state dir: ${files.map((f) => f.path)}`);
  for (const token of tokens) {
    for (const f of files) {
      assert.equal(f.bytes.includes(Buffer.from(token, 'utf8')), false, `${f.path} holds the token ${token} in plain text`);
      assert.equal(f.bytes.includes(Buffer.from(token, 'base64url')), false, `${f.path} holds the token's bytes`);
    }
  }
}

describe('device pairing across a SIGKILL restart (real CLI gateway)', () => {
  test('a silently paired device reconnects with its token only: no re-pairing, the same token re-sent, still listed; no plain token on disk', async () => {
    const dir = tempDir('clawgate-restart-');
    const dev = createTestDevice();
    let gw = await startGateway(dir);
    let op: TappedClient | undefined;
    let t: TappedClient | undefined;
    try {
      op = await adminClient(gw.url, 'operator', TOKEN);
      t = await startClient(gw.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'pair');
      const token = t.hello.auth.deviceToken as string;
      const issuedAtMs = t.hello.auth.issuedAtMs as number;
      assert.match(token, DEVICE_TOKEN_RE);
      await stopClient(t);
      const before = (await op.request('device.pair.list', {})).paired.find((p: any) => p.deviceId === dev.deviceId);
      assert.equal(before?.approvedVia, 'silent');
      await stopClient(op);

      await crash(gw);
      assertNoPlainToken(dir, [token]); // also the WAL left behind by the crash
      gw = await startGateway(dir);

      op = await adminClient(gw.url, 'operator', TOKEN);
      const from = op.log.frames.length;
      // the token alone
      t = await startClient(gw.url, { hostDeps: dev.hostDeps }, 'after-restart');
      assert.equal(t.hello.auth.method, 'device-token');
      assert.equal(t.hello.auth.deviceToken, token);
      assert.equal(t.hello.auth.issuedAtMs, issuedAtMs);
      assert.deepEqual(t.hello.auth.scopes, ['operator.admin']);
      t.log.assertPublished();
      await stopClient(t);
      // and with the shared secret: still paired, the same token re-sent
      t = await startClient(gw.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'after-restart-secret');
      assert.equal(t.hello.auth.method, 'token');
      assert.equal(t.hello.auth.deviceToken, token);
      await stopClient(t);
      await op.request('health', {}); // barrier
      assert.equal(op.log.events('device.pair.requested', from).length, 0, 'no pairing after the restart');

      const list = await op.request('device.pair.list', {});
      const after = list.paired.find((p: any) => p.deviceId === dev.deviceId);
      assert.ok(after, 'still listed as paired');
      assert.equal(after.publicKey, dev.publicKey);
      assert.equal(after.approvedVia, 'silent');
      assert.equal(after.createdAtMs, before.createdAtMs);
      assert.equal(after.approvedAtMs, before.approvedAtMs, 'not re-approved');
      assert.deepEqual(after.roles, ['operator']);
      assert.deepEqual(after.tokens.map((k: any) => k.role), ['operator']);
      assert.equal(after.tokens[0].createdAtMs, issuedAtMs);
      assert.deepEqual(list.pending, []);
      assert.ok(!JSON.stringify(list).includes(token));
      await stopClient(op);

      // a graceful stop checkpoints the WAL into the database file: still no token in it
      gw.proc.kill('SIGTERM');
      assert.equal((await gw.proc.exit(GUARD_MS)).code, 0);
      const db = readFileSync(join(dir, 'clawgate.db'));
      assert.ok(db.includes(Buffer.from(dev.deviceId)), 'the device row is in the database file');
      assertNoPlainToken(dir, [token]);
    } finally {
      await stopClient(t);
      await stopClient(op);
      if (gw.proc.running) await crash(gw);
    }
  });

  test('a rotation survives the crash: the new token works, the old one fails AUTH_DEVICE_TOKEN_MISMATCH', async () => {
    const dir = tempDir('clawgate-restart-');
    const dev = createTestDevice();
    let gw = await startGateway(dir);
    const raws: DeviceConnection[] = [];
    let t: TappedClient | undefined;
    try {
      t = await startClient(gw.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'pair');
      const old = t.hello.auth.deviceToken as string;
      const rotated = await t.request('device.token.rotate', { deviceId: dev.deviceId, role: 'operator' });
      assert.equal(rotated.tokenDelivery, 'in-band');
      assert.match(rotated.token, DEVICE_TOKEN_RE);
      assert.deepEqual(await t.log.waitForClose(), { code: 4001, reason: 'device removed' });
      await stopClient(t);

      await crash(gw);
      assertNoPlainToken(dir, [old, rotated.token]);
      gw = await startGateway(dir);

      const fresh = await connectDevice(gw.url, dev, { auth: { deviceToken: rotated.token }, platform: process.platform }, 'new-token');
      raws.push(fresh);
      assert.equal(fresh.res.ok, true, JSON.stringify(fresh.res.error));
      assert.equal(fresh.res.payload.auth.method, 'device-token');
      assert.equal(fresh.res.payload.auth.deviceToken, rotated.token);
      const stale = await connectDevice(gw.url, dev, { auth: { deviceToken: old }, platform: process.platform }, 'old-token');
      raws.push(stale);
      await assertRefused(stale, {
        code: 'INVALID_REQUEST', message: 'unauthorized: device token mismatch (rotate/reissue device token)',
        details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH' },
      });
    } finally {
      await Promise.all(raws.map((r) => r.close()));
      await stopClient(t);
      if (gw.proc.running) await crash(gw);
    }
  });

  test('a pending pairing request survives the crash: the device gets the same requestId, the owner approves it, the device connects', async () => {
    const dir = tempDir('clawgate-restart-');
    const dev = createTestDevice();
    const flags = ['--no-auto-approve-local'];
    let gw = await startGateway(dir, flags);
    const raws: DeviceConnection[] = [];
    let op: TappedClient | undefined;
    let t: TappedClient | undefined;
    const ask = async (label: string) => {
      const c = await connectDevice(gw.url, dev, { auth: { token: TOKEN }, scopes: ['operator.admin'], platform: process.platform }, label);
      raws.push(c);
      const requestId = c.res.error?.details?.requestId as string;
      await assertRefused(c, {
        code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED', reason: 'not-paired' },
        close: { code: 1008, reason: `pairing required: device is not approved yet (requestId: ${requestId})` },
      });
      return requestId;
    };
    try {
      const requestId = await ask('before-crash');
      await crash(gw);
      gw = await startGateway(dir, flags);
      assert.equal(await ask('after-crash'), requestId, 'the pending request is reused after the restart');
      op = await adminClient(gw.url, 'operator', TOKEN);
      const list = await op.request('device.pair.list', {});
      assert.deepEqual(list.pending.map((p: any) => p.requestId), [requestId]);
      await op.request('device.pair.approve', { requestId });
      t = await startClient(gw.url, { token: TOKEN, hostDeps: dev.hostDeps }, 'approved');
      const token = t.hello.auth.deviceToken as string;
      assert.match(token, DEVICE_TOKEN_RE);
      await stopClient(t);
      await stopClient(op);

      await crash(gw);
      gw = await startGateway(dir, flags);
      t = await startClient(gw.url, { hostDeps: dev.hostDeps }, 'approved-after-crash');
      assert.equal(t.hello.auth.method, 'device-token');
      assert.equal(t.hello.auth.deviceToken, token);
      const paired = (await t.request('device.pair.list', {})).paired.find((p: any) => p.deviceId === dev.deviceId);
      assert.equal(paired?.approvedVia, 'owner');
      await stopClient(t);
      assertNoPlainToken(dir, [token]);
    } finally {
      await Promise.all(raws.map((r) => r.close()));
      await stopClient(t);
      await stopClient(op);
      if (gw.proc.running) await crash(gw);
    }
  });
});
