import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelRequestError } from '../../src/core/channel.js';
import { openDb } from '../../src/store/db.js';
import { ChannelPairingStore, PAIRING_CODE_ALPHABET } from '../../src/store/channel-pairing.js';

// DM pairing on a real SQLite file (channels.md C3, X2): codes from the injected random source, one request
// per sender, the 1 h TTL, the cap of 3, rejection for 24 h, approval (owner bootstrap) surviving a restart.

const MIN = 60 * 1000;
const H = 60 * MIN;
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function open(opts: { randomInt?: (max: number) => number; dir?: string } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'clawgate-pairing-'));
  if (!opts.dir) dirs.push(dir);
  const db = openDb(dir);
  const clock = { t: 10_000_000 };
  return { dir, db, clock, pairing: new ChannelPairingStore(db, { now: () => clock.t, ...(opts.randomInt ? { randomInt: opts.randomInt } : {}) }) };
}

const req = (senderId: string, accountId = 'default') => ({
  channel: 'telegram' as const, accountId, senderId, senderLabel: `User ${senderId}`, replyTo: { chatId: senderId, chatType: 'direct' as const },
});

function created(outcome: ReturnType<ChannelPairingStore['request']>): string {
  assert.equal(outcome.kind, 'created');
  return outcome.kind === 'created' ? outcome.code : '';
}

test('codes: 8 characters of the alphabet, drawn from the injected randomInt; a colliding code is redrawn', () => {
  const draws: number[] = [];
  // draws 0,1,2,… cycling: the first two requests would get the same code unless redrawn
  let i = 0;
  const seq = [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 31, 30, 29, 28, 27, 26, 25, 24];
  const { pairing } = open({ randomInt: (max) => { draws.push(max); return seq[i++ % seq.length] ?? 0; } });
  assert.equal(created(pairing.request(req('111'))), 'ABCDEFGH');
  assert.equal(created(pairing.request(req('222'))), '98765432', 'the taken code ABCDEFGH was redrawn');
  assert.ok(draws.every((m) => m === PAIRING_CODE_ALPHABET.length));
  const { pairing: real } = open();
  for (let n = 0; n < 3; n++) assert.match(created(real.request(req(`9${n}`))), /^[A-HJ-NP-Z2-9]{8}$/);
});

test('a pending sender gets nothing more (last seen moves); list shows pending requests only', () => {
  const { pairing, clock } = open();
  const code = created(pairing.request(req('111')));
  clock.t += 5 * MIN;
  assert.deepEqual(pairing.request(req('111')), { kind: 'pending' });
  const [view, ...rest] = pairing.list({ channel: 'telegram' });
  assert.equal(rest.length, 0);
  assert.deepEqual(view, {
    requestId: code, channel: 'telegram', accountId: 'default', senderId: '111', senderLabel: 'User 111',
    createdAt: clock.t - 5 * MIN, lastSeenAt: clock.t, expiresAt: clock.t - 5 * MIN + H,
  });
  assert.deepEqual(pairing.list({ accountId: 'other' }), []);
  assert.deepEqual(pairing.list({ channel: 'signal' }), []);
});

test('X2: at +61 min approve says expired and list is empty; a new DM then starts a new request', () => {
  const { pairing, clock } = open();
  const code = created(pairing.request(req('111')));
  clock.t += 61 * MIN;
  assert.deepEqual(pairing.list(), []);
  assert.throws(() => pairing.approve({ channel: 'telegram', accountId: 'default', code }),
    (e: unknown) => e instanceof ChannelRequestError && e.message === `pairing request ${code} for telegram has expired`);
  assert.throws(() => pairing.reject({ channel: 'telegram', accountId: 'default', code }), /has expired/);
  assert.equal(pairing.isApproved('telegram', 'default', '111'), false);
  const again = pairing.request(req('111'));
  assert.equal(again.kind, 'created');
  assert.equal(pairing.list().length, 1);
});

test('X2: with 3 pending, a fourth sender is capped (no row); expired and rejected ones do not count', () => {
  const { pairing, clock } = open();
  created(pairing.request(req('1')));
  clock.t += 30 * MIN;
  const c2 = created(pairing.request(req('2')));
  created(pairing.request(req('3')));
  assert.deepEqual(pairing.request(req('4')), { kind: 'capped' });
  assert.equal(pairing.list().length, 3);
  assert.equal(pairing.request(req('4', 'other')).kind, 'created', 'the cap is per account');
  pairing.reject({ channel: 'telegram', accountId: 'default', code: c2 });
  assert.equal(pairing.request(req('4')).kind, 'created', 'a rejected row does not count');
  assert.deepEqual(pairing.request(req('5')), { kind: 'capped' });
  clock.t += 31 * MIN; // request 1 expired
  assert.equal(pairing.request(req('5')).kind, 'created', 'an expired row does not count');
});

test('reject blocks the sender for 24 h; then a new request', () => {
  const { pairing, clock } = open();
  const code = created(pairing.request(req('111')));
  assert.deepEqual(pairing.reject({ channel: 'telegram', accountId: 'default', code: code.toLowerCase() }), { senderId: '111' });
  assert.deepEqual(pairing.list(), []);
  clock.t += 23 * H;
  assert.deepEqual(pairing.request(req('111')), { kind: 'rejected' });
  assert.throws(() => pairing.approve({ channel: 'telegram', accountId: 'default', code }), /no pending pairing request/);
  clock.t += H;
  assert.equal(pairing.request(req('111')).kind, 'created');
});

test('approve (any case): allow-listed, the first approval bootstraps the owner, the request goes; survives a restart', () => {
  const { pairing, dir, db } = open();
  const c1 = created(pairing.request(req('111')));
  const c2 = created(pairing.request(req('222')));
  assert.throws(() => pairing.approve({ channel: 'telegram', accountId: 'default', code: 'ZZZZZZZZ' }),
    (e: unknown) => e instanceof ChannelRequestError && e.message === 'no pending pairing request ZZZZZZZZ for telegram account default');
  assert.throws(() => pairing.approve({ channel: 'telegram', accountId: 'other', code: c1 }), /no pending pairing request .* account other/);
  assert.deepEqual(pairing.approve({ channel: 'telegram', accountId: 'default', code: c1.toLowerCase() }),
    { senderId: '111', senderLabel: 'User 111', replyTo: { chatId: '111', chatType: 'direct' }, ownerBootstrapped: true });
  assert.equal(pairing.approve({ channel: 'telegram', accountId: 'default', code: c2 }).ownerBootstrapped, false);
  assert.throws(() => pairing.approve({ channel: 'telegram', accountId: 'default', code: c1 }), /no pending pairing request/);
  assert.deepEqual(pairing.list(), []);
  db.close();
  const reopened = open({ dir });
  assert.equal(reopened.pairing.isApproved('telegram', 'default', '111'), true);
  assert.equal(reopened.pairing.isApproved('telegram', 'default', '222'), true);
  assert.equal(reopened.pairing.isApproved('telegram', 'other', '111'), false);
  assert.equal(reopened.pairing.owner('telegram', 'default'), '111');
  assert.equal(reopened.pairing.owner('telegram', 'other'), undefined);
});

test('prune: rejected rows after 24 h, expired requests 24 h after expiry; pending ones stay', () => {
  const { pairing, clock } = open();
  const c2 = created(pairing.request(req('2')));
  clock.t += H;
  const c1 = created(pairing.request(req('1')));
  pairing.reject({ channel: 'telegram', accountId: 'default', code: c1 });
  clock.t += 24 * H - 1;
  created(pairing.request(req('3')));
  assert.equal(pairing.prune(), 0);
  assert.throws(() => pairing.approve({ channel: 'telegram', accountId: 'default', code: c2 }), /has expired/);
  clock.t += 1;
  assert.equal(pairing.prune(), 2);
  assert.throws(() => pairing.approve({ channel: 'telegram', accountId: 'default', code: c2 }), /no pending pairing request/);
  assert.equal(pairing.list().length, 1);
});
