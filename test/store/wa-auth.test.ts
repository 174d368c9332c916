import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SignalDataSet } from '@whiskeysockets/baileys';
import { loadBaileys } from '../../src/surfaces/channels/whatsapp/baileys.js';
import { openDb } from '../../src/store/db.js';
import { WaAuthStore } from '../../src/store/wa-auth.js';
import { WriteFaults } from '../../src/store/write-faults.js';

// WhatsApp auth state on a real SQLite file (channels.md WA2, W10), with Baileys' real pure helpers (BufferJSON,
// initAuthCreds, proto): creds survive a reopen with their Buffers, key batches are all-or-nothing, wipe is per
// account, app-state-sync-key values come back as the protobuf class Baileys expects.

const helpers = await loadBaileys();
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function open(opts: { dir?: string; faults?: WriteFaults } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'clawgate-wa-auth-'));
  if (!opts.dir) dirs.push(dir);
  const db = openDb(dir, opts.faults ? { faults: opts.faults } : {});
  return { dir, db, store: new WaAuthStore(db) };
}

const count = (db: ReturnType<typeof openDb>, table: string, accountId: string): number =>
  (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE account_id = ?`).get(accountId) as { n: number }).n;

test('creds: fresh from initAuthCreds when absent, saved in one row, reloaded after a reopen with their Buffers', () => {
  const { dir, db, store } = open();
  const auth = store.load('default', helpers);
  assert.equal(auth.hasCreds(), false);
  assert.equal(store.isLinked('default'), false);
  assert.ok(Buffer.isBuffer(auth.creds.noiseKey.private), 'initAuthCreds gives Buffer keys');
  auth.saveCreds();
  assert.equal(auth.hasCreds(), true);
  assert.equal(store.isLinked('default'), false, 'a creds row before the scan is not linked');
  auth.creds.me = { id: '15551230000:2@s.whatsapp.net', lid: '123456@lid' };
  auth.creds.routingInfo = Buffer.from([1, 2, 3, 250]);
  auth.saveCreds();
  assert.equal(count(db, 'wa_creds', 'default'), 1);
  db.close();

  const reopened = open({ dir });
  assert.equal(reopened.store.isLinked('default'), true);
  const again = reopened.store.load('default', helpers);
  assert.equal(again.hasCreds(), true);
  assert.ok(Buffer.isBuffer(again.creds.noiseKey.private));
  assert.deepEqual(again.creds.noiseKey.private, auth.creds.noiseKey.private);
  assert.deepEqual(again.creds.signedPreKey.signature, auth.creds.signedPreKey.signature);
  assert.deepEqual(again.creds.routingInfo, Buffer.from([1, 2, 3, 250]));
  assert.equal(again.creds.registrationId, auth.creds.registrationId);
  assert.deepEqual(again.creds.me, { id: '15551230000:2@s.whatsapp.net', lid: '123456@lid' });
  reopened.db.close();
});

test('isLinked: `registered` alone counts; corrupt creds are a clear error on load and not linked', () => {
  const { db, store } = open();
  const auth = store.load('a', helpers);
  auth.creds.registered = true;
  auth.saveCreds();
  assert.equal(store.isLinked('a'), true);
  db.prepare("UPDATE wa_creds SET creds = '{not json' WHERE account_id = 'a'").run();
  assert.equal(store.isLinked('a'), false);
  assert.throws(() => store.load('a', helpers), /whatsapp account a: stored creds are not valid JSON.*--force/);
  db.close();
});

test('keys: set and get with Buffers, null deletes, missing ids are absent, accounts are separate', async () => {
  const { db, store } = open();
  const a = store.load('a', helpers);
  const b = store.load('b', helpers);
  const pair = helpers.Curve.generateKeyPair();
  await a.keys.set({
    'pre-key': { '1': pair, '2': pair },
    session: { '15551230000.0': Buffer.from('session-bytes') },
    'lid-mapping': { '15551230000': '123456' },
    'device-list': { '15551230000': ['0', '2'] },
  });
  const got = await a.keys.get('pre-key', ['1', '2', '3']);
  assert.deepEqual(Object.keys(got).sort(), ['1', '2']);
  assert.ok(Buffer.isBuffer(got['1'].private));
  assert.deepEqual(Buffer.from(got['1'].public), Buffer.from(pair.public));
  assert.deepEqual(await a.keys.get('session', ['15551230000.0']), { '15551230000.0': Buffer.from('session-bytes') });
  assert.deepEqual(await a.keys.get('lid-mapping', ['15551230000']), { '15551230000': '123456' });
  assert.deepEqual(await a.keys.get('device-list', ['15551230000']), { '15551230000': ['0', '2'] });
  assert.deepEqual(await b.keys.get('pre-key', ['1']), {}, 'another account sees none of them');

  await a.keys.set({ 'pre-key': { '1': null } });
  assert.deepEqual(Object.keys(await a.keys.get('pre-key', ['1', '2'])), ['2']);
  db.close();
});

test('keys: app-state-sync-key values come back as proto.Message.AppStateSyncKeyData', async () => {
  const { db, store } = open();
  const auth = store.load('default', helpers);
  const keyData = helpers.proto.Message.AppStateSyncKeyData.fromObject({
    keyData: Buffer.from('0123456789abcdef'), fingerprint: { rawId: 7, currentIndex: 1, deviceIndexes: [0, 2] }, timestamp: 1700000000,
  });
  await auth.keys.set({ 'app-state-sync-key': { AAAAAQ: keyData } });
  const got = (await auth.keys.get('app-state-sync-key', ['AAAAAQ'])).AAAAAQ;
  assert.ok(got instanceof helpers.proto.Message.AppStateSyncKeyData, 'wrapped in the protobuf class');
  assert.deepEqual(Buffer.from(got.keyData as Uint8Array), Buffer.from('0123456789abcdef'));
  assert.equal(got.fingerprint?.rawId, 7);
  assert.deepEqual(got.fingerprint?.deviceIndexes, [0, 2]);
  db.close();
});

test('W10: an exception inside a keys.set batch leaves none of that batch written', async () => {
  const { db, store } = open();
  const auth = store.load('default', helpers);
  await auth.keys.set({ session: { old: Buffer.from('kept') } });

  // A value that cannot be serialized, after two good ones of the same batch.
  const bad = { 'pre-key': { '1': helpers.Curve.generateKeyPair() }, session: { fresh: Buffer.from('x'), old: null, broken: 10n } } as unknown as SignalDataSet;
  await assert.rejects(async () => auth.keys.set(bad), /BigInt/);
  assert.deepEqual(await auth.keys.get('pre-key', ['1']), {});
  assert.deepEqual(await auth.keys.get('session', ['fresh', 'old']), { old: Buffer.from('kept') });
  assert.equal(count(db, 'wa_keys', 'default'), 1);
  db.close();
});

test('W10: a failing write in the middle of a batch (the disk) rolls the whole batch back', async () => {
  const faults = new WriteFaults();
  const { db, store } = open({ faults });
  const auth = store.load('default', helpers);
  await auth.keys.set({ session: { old: Buffer.from('kept') } });
  faults.fail('SQLITE_IOERR_WRITE', { match: /DELETE FROM wa_keys/ });
  await assert.rejects(async () => auth.keys.set({ 'pre-key': { '1': helpers.Curve.generateKeyPair(), '2': helpers.Curve.generateKeyPair() }, session: { old: null } }),
    (err: Error & { code?: string }) => err.code === 'SQLITE_IOERR_WRITE');
  faults.heal();
  assert.deepEqual(await auth.keys.get('pre-key', ['1', '2']), {});
  assert.deepEqual(await auth.keys.get('session', ['old']), { old: Buffer.from('kept') });
  db.close();
});

test('wipe: deletes the account\'s creds and keys and nothing of another account', async () => {
  const { db, store } = open();
  for (const id of ['a', 'b']) {
    const auth = store.load(id, helpers);
    auth.creds.registered = true;
    auth.saveCreds();
    await auth.keys.set({ session: { s1: Buffer.from(id) }, tctoken: { t: { token: Buffer.from('tok') } } });
  }
  store.wipe('a');
  assert.equal(count(db, 'wa_creds', 'a'), 0);
  assert.equal(count(db, 'wa_keys', 'a'), 0);
  assert.equal(store.isLinked('a'), false);
  assert.equal(store.load('a', helpers).hasCreds(), false);
  assert.equal(count(db, 'wa_creds', 'b'), 1);
  assert.equal(count(db, 'wa_keys', 'b'), 2);
  assert.equal(store.isLinked('b'), true);
  db.close();
});

test('works under makeCacheableSignalKeyStore (what the socket wraps it with)', async () => {
  const { db, store } = open();
  const auth = store.load('default', helpers);
  const cached = helpers.makeCacheableSignalKeyStore(auth.keys);
  await cached.set({ session: { s: Buffer.from('via-cache') } });
  const fresh = new WaAuthStore(db).load('default', helpers);
  assert.deepEqual(await fresh.keys.get('session', ['s']), { s: Buffer.from('via-cache') }, 'written through to SQLite');
  db.close();
});

test('the state\'s wipe() deletes the rows and starts fresh creds, so the next socket links anew', async () => {
  const { db, store } = open();
  const auth = store.load('default', helpers);
  auth.creds.registered = true;
  auth.creds.me = { id: '15551230000:2@s.whatsapp.net' };
  const oldNoise = auth.creds.noiseKey.private;
  auth.saveCreds();
  await auth.keys.set({ session: { s: Buffer.from('x') } });
  auth.wipe();
  assert.equal(count(db, 'wa_creds', 'default'), 0);
  assert.equal(count(db, 'wa_keys', 'default'), 0);
  assert.equal(auth.hasCreds(), false);
  assert.equal(auth.creds.registered, false);
  assert.equal(auth.creds.me, undefined);
  assert.notDeepEqual(auth.creds.noiseKey.private, oldNoise);
  assert.deepEqual(await auth.keys.get('session', ['s']), {});
  db.close();
});
