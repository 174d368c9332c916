import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify } from 'node:crypto';
import WebSocket from 'ws';
import {
  createGatewayClient, type DeviceIdentity, deviceAuthPayloadV3, memoryKeyStore, memoryTokenStore, type NobleEd25519,
  nobleIdentity, webCryptoIdentity, type WebCryptoKeyPair,
} from '../../src/client/index.js';
import { frameSpy } from '../helpers/client-kit.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { within } from '../helpers/wait.js';

// K6/KT3: device identities built by webCryptoIdentity and by nobleIdentity pass the gateway's admission
// (v3 signature over the challenge, signedAt = challenge ts), receive a device token, and connect again with
// the device token alone. `@noble/ed25519` is not a dependency yet, so nobleIdentity is given a node:crypto
// implementation of the same functions (seed in, raw key and signature out): the seed handling, key encoding
// and signing path are the client's own.

const TOKEN = 'client-identity-token-0123456789abcdefghij';
const CLIENT = { id: 'gateway-client' as const, mode: 'backend' as const, version: '1.0.0', platform: 'Linux ' };
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** The two @noble/ed25519 functions nobleIdentity uses, on node:crypto (a 32-byte seed is the secret key). */
const nodeNoble: NobleEd25519 = {
  async getPublicKeyAsync(seed) {
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    return new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(12));
  },
  async signAsync(message, seed) {
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    return new Uint8Array(nodeSign(null, message, key));
  },
};
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

const builders: [string, () => Promise<DeviceIdentity>][] = [
  ['webCryptoIdentity', () => webCryptoIdentity(memoryKeyStore())],
  ['nobleIdentity', () => nobleIdentity(memoryKeyStore(), { ed25519: nodeNoble, sha256 })],
];

describe('device identities', () => {
  let tg: TestGateway;
  before(async () => {
    tg = await startTestGateway({ token: TOKEN });
  });
  after(() => tg.close());

  for (const [name, build] of builders) {
    test(`KT3: ${name} passes admission, receives a device token, and reconnects with it alone`, async (t) => {
      const identity = await build();
      assert.match(identity.deviceId, /^[0-9a-f]{64}$/);
      assert.match(identity.publicKey, /^[A-Za-z0-9_-]{43}$/);
      const tokenStore = memoryTokenStore();
      const spy = frameSpy();
      const first = createGatewayClient({
        url: `ws://127.0.0.1:${tg.port}`, WebSocket: spy.WebSocket, token: TOKEN, identity, tokenStore, client: CLIENT, scopes: ['operator.read'],
      });
      t.after(() => first.stop());
      first.start();
      const hello = (await within(first.ready(), 'hello-ok')).hello;
      assert.equal(hello.auth.method, 'token');
      assert.equal(typeof hello.auth.deviceToken, 'string');
      const stored = await tokenStore.get(identity.deviceId, 'operator');
      assert.deepEqual(stored, { token: hello.auth.deviceToken, scopes: ['operator.read'] });

      // the signature on the wire is a valid Ed25519 signature of the v3 payload, signedAt = the challenge ts
      const connect = JSON.parse(spy.sent[0]).params;
      assert.equal(connect.device.id, identity.deviceId);
      const payload = deviceAuthPayloadV3({
        deviceId: identity.deviceId, clientId: 'gateway-client', clientMode: 'backend', role: 'operator', scopes: ['operator.read'],
        signedAtMs: connect.device.signedAt, token: TOKEN, nonce: connect.device.nonce, platform: 'Linux ',
      });
      const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(identity.publicKey, 'base64url')]);
      assert.ok(verify(null, Buffer.from(payload), createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(connect.device.signature, 'base64url')));
      first.stop();

      // no shared secret now: the stored device token is enough
      const second = createGatewayClient({ url: `ws://127.0.0.1:${tg.port}`, WebSocket, identity, tokenStore, client: CLIENT });
      t.after(() => second.stop());
      second.start();
      const again = (await within(second.ready(), 'hello-ok with the device token')).hello;
      assert.equal(again.auth.method, 'device-token');
      assert.deepEqual(again.auth.scopes, ['operator.read'], 'the stored scopes are asked for');
    });
  }

  test('an identity keeps its key in its store: the same store gives the same device', async () => {
    const store = memoryKeyStore<Uint8Array>();
    const a = await nobleIdentity(store, { ed25519: nodeNoble, sha256 });
    const b = await nobleIdentity(store, { ed25519: nodeNoble, sha256 });
    assert.equal(a.deviceId, b.deviceId);
    const pairs = memoryKeyStore<WebCryptoKeyPair>();
    const c = await webCryptoIdentity(pairs);
    const d = await webCryptoIdentity(pairs);
    assert.equal(c.deviceId, d.deviceId);
  });
});

test('deviceAuthPayloadV3: the fields in order, scopes joined with ",", platform and family trimmed and lowercased', () => {
  assert.equal(deviceAuthPayloadV3({
    deviceId: 'dev', clientId: 'webchat-ui', clientMode: 'webchat', role: 'operator', scopes: ['operator.read', 'operator.write'],
    signedAtMs: 1795428431595, token: 'tok', nonce: 'n-1', platform: ' Web ', deviceFamily: 'MacBook',
  }), 'v3|dev|webchat-ui|webchat|operator|operator.read,operator.write|1795428431595|tok|n-1|web|macbook');
  assert.equal(deviceAuthPayloadV3({
    deviceId: 'dev', clientId: 'cli', clientMode: 'cli', role: 'node', scopes: [], signedAtMs: 1, token: '', nonce: 'n',
  }), 'v3|dev|cli|cli|node||1||n||');
});

test('the identity encodings match node:crypto: deviceId = sha256(raw public key), publicKey = base64url(raw)', async () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(16));
  const id = await nobleIdentity(memoryKeyStore(seed), { ed25519: nodeNoble, sha256 });
  const raw = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).subarray(12);
  assert.equal(id.publicKey, raw.toString('base64url'));
  assert.equal(id.deviceId, createHash('sha256').update(raw).digest('hex'));
});
