import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOGIN_TIMEOUT_MS } from '../../../../src/surfaces/channels/whatsapp/login.js';
import {
  BAD_SESSION_ERROR, closeErrorText, closeStatusCode, FORBIDDEN_ERROR, LOGGED_OUT_ERROR, LOGIN_TIMED_OUT_ERROR, MISMATCH_ERROR, REPLACED_ERROR,
} from '../../../../src/surfaces/channels/whatsapp/transport.js';
import { boom } from '../../../helpers/fake-whatsapp.js';
import { within } from '../../../helpers/wait.js';
import { settle, waHarness } from './transport-harness.js';

// The WhatsApp transport on the real account machine (spec channels.md WA3, WA4; tests W1–W4): the fake socket
// factory stands in for Baileys, a SimulatedClock for time, jitter is 0, so every delay is exact.

const FIVE_MINUTES = 5 * 60_000;

test('W1: no creds → needsLogin; a web login opens socket 1 whose QR comes back as a PNG data URL; 515 → socket 2 at once; open → online, linked', async (t) => {
  const h = waHarness();
  t.after(() => h.stop());
  await settle();
  assert.equal(h.state(), 'needsLogin');
  assert.match(h.context().lastError ?? '', /not linked/);
  assert.equal(h.fake.calls, 0);

  const started = h.login.start();
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  assert.equal(h.state(), 'connecting');
  s1.qr('ref1');
  const first = await within(started, 'web.login.start');
  assert.equal(first.connected, false);
  assert.ok(first.qrDataUrl?.startsWith('data:image/png;base64,'), first.qrDataUrl?.slice(0, 40));
  assert.ok(first.qrDataUrl!.length <= 16_384);
  assert.equal(first.qr, 'ref1');
  assert.equal(h.login.linked, false);

  const waited = await within(h.login.wait({ currentQrDataUrl: undefined }), 'web.login.wait');
  assert.ok(waited.qrDataUrl?.startsWith('data:image/png;base64,'));

  // the scan: Baileys saves the new identity, then asks for a restart
  s1.credsUpdate({ me: { id: '15559990000:2@s.whatsapp.net' } });
  const linkedWait = h.login.wait({ currentQrDataUrl: first.qrDataUrl });
  s1.close(515);
  const s2 = await within(h.fake.socket(2), 'socket 2 after 515');
  assert.equal(h.fake.calls, 2);
  assert.equal(h.context().reconnectAttempts, 0, 'a 515 restart is not an attempt');
  assert.ok(s1.ended && s1.listenerCount() === 0, 'socket 1 is ended and unhooked');
  await settle();
  s2.open();
  await settle();
  assert.equal(h.state(), 'online');
  assert.equal(h.login.linked, true);
  assert.deepEqual(await within(linkedWait, 'wait → linked'), { connected: true, message: 'linked' });
  assert.ok(h.auth.saved?.me, 'creds saved');
  assert.equal(h.live(), s2);
});

test('W2: a close with 401 wipes the auth and waits in needsLogin: no factory call within 5 simulated minutes', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  s1.open();
  await settle();
  assert.equal(h.state(), 'online');
  s1.close(401);
  await settle();
  assert.equal(h.state(), 'needsLogin');
  assert.equal(h.context().lastError, LOGGED_OUT_ERROR);
  assert.equal(h.auth.wipes, 1);
  assert.equal(h.auth.creds, undefined);
  assert.equal(h.auth.keys.size, 0);
  assert.equal(h.auth.isLinked(), false);
  assert.ok(s1.ended && s1.listenerCount() === 0);
  assert.equal(h.live(), undefined, 'the adapter no longer holds a socket');
  h.clock.increment(FIVE_MINUTES);
  await settle();
  assert.equal(h.fake.calls, 1);
  assert.equal(h.state(), 'needsLogin');
});

test('W3: three 428 closes → the next sockets exactly 2.0, 3.6 and 6.48 s after each close (jitter 0); open → reconnectAttempts 0', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  let sock = await within(h.fake.socket(1), 'socket 1');
  await settle();
  for (const [n, delay] of [[1, 2000], [2, 3600], [3, 6480]] as const) {
    sock.close(428);
    await settle();
    assert.equal(h.state(), 'backoff');
    assert.equal(h.context().reconnectAttempts, n);
    assert.equal(h.context().lastError, closeErrorText(428, undefined));
    h.clock.increment(delay - 1);
    await settle();
    assert.equal(h.fake.calls, n, `no socket before ${delay} ms`);
    h.clock.increment(1);
    sock = await within(h.fake.socket(n + 1), `socket ${n + 1}`);
    await settle();
  }
  sock.open();
  await settle();
  assert.equal(h.state(), 'online');
  assert.equal(h.context().reconnectAttempts, 0);
  assert.equal(h.context().lastError, null);
});

for (const [code, error, pattern] of [[440, REPLACED_ERROR, /replaced/], [403, FORBIDDEN_ERROR, /banned/], [411, MISMATCH_ERROR, /re-link/]] as const) {
  test(`W4: a close with ${code} → failed, no reconnect`, async (t) => {
    const h = waHarness({ linked: true });
    t.after(() => h.stop());
    const s1 = await within(h.fake.socket(1), 'socket 1');
    await settle();
    s1.open();
    await settle();
    s1.close(code);
    await settle();
    assert.equal(h.state(), 'failed');
    assert.equal(h.context().lastError, error);
    assert.match(h.context().lastError ?? '', pattern);
    h.clock.increment(FIVE_MINUTES);
    await settle();
    assert.equal(h.fake.calls, 1);
    assert.equal(h.auth.wipes, 0, 'a fatal close keeps the creds');
  });
}

test('500 once reconnects; a second 500 in a row wipes the auth and needs a login', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  s1.close(500);
  await settle();
  assert.equal(h.state(), 'backoff');
  assert.equal(h.auth.wipes, 0);
  h.clock.increment(2000);
  const s2 = await within(h.fake.socket(2), 'socket 2');
  await settle();
  s2.close(500);
  await settle();
  assert.equal(h.state(), 'needsLogin');
  assert.equal(h.context().lastError, BAD_SESSION_ERROR);
  assert.equal(h.auth.wipes, 1);
  h.clock.increment(FIVE_MINUTES);
  await settle();
  assert.equal(h.fake.calls, 2);
});

test('500s separated by an open are not consecutive', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  let sock = await within(h.fake.socket(1), 'socket 1');
  await settle();
  for (let n = 1; n <= 3; n++) {
    sock.close(500);
    await settle();
    assert.equal(h.state(), 'backoff');
    h.clock.increment(2000);
    sock = await within(h.fake.socket(n + 1), `socket ${n + 1}`);
    await settle();
    sock.open();
    await settle();
    assert.equal(h.state(), 'online');
  }
  assert.equal(h.auth.wipes, 0);
});

test('a login socket not linked within 180 s → needsLogin "login timed out"; the waiting web.login.wait hears it', async (t) => {
  const h = waHarness();
  t.after(() => h.stop());
  await settle();
  const started = h.login.start();
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  s1.qr('ref1');
  const first = await within(started, 'start');
  const waiting = h.login.wait({ currentQrDataUrl: first.qrDataUrl, timeoutMs: 10 * 60_000 });
  h.clock.increment(LOGIN_TIMEOUT_MS - 1);
  await settle();
  assert.equal(h.state(), 'connecting');
  h.clock.increment(1);
  await settle();
  assert.equal(h.state(), 'needsLogin');
  assert.equal(h.context().lastError, LOGIN_TIMED_OUT_ERROR);
  assert.deepEqual(await within(waiting, 'wait'), { connected: false, message: `login failed: ${LOGIN_TIMED_OUT_ERROR}` });
  assert.ok(s1.ended && s1.listenerCount() === 0);
  h.clock.increment(FIVE_MINUTES);
  await settle();
  assert.equal(h.fake.calls, 1, 'no new login socket until a new web login');
});

test('the login deadline spans the 515 restart: 180 s from web.login.start, not from the second socket', async (t) => {
  const h = waHarness();
  t.after(() => h.stop());
  await settle();
  const started = h.login.start();
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  s1.qr('ref1');
  await within(started, 'start');
  h.clock.increment(100_000);
  s1.close(515);
  await within(h.fake.socket(2), 'socket 2');
  await settle();
  h.clock.increment(LOGIN_TIMEOUT_MS - 100_000);
  await settle();
  assert.equal(h.state(), 'needsLogin');
  assert.equal(h.context().lastError, LOGIN_TIMED_OUT_ERROR);
});

test('pairing code: with a phone number, the first QR asks requestPairingCode(digits) once and start answers the code', async (t) => {
  const h = waHarness();
  t.after(() => h.stop());
  await settle();
  const started = h.login.start({ phoneNumber: '+1 (555) 123-0000' });
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  s1.qr('ref1');
  s1.qr('ref2');
  const r = await within(started, 'start');
  await settle();
  assert.deepEqual(s1.callsOf('requestPairingCode'), [['15551230000']]);
  assert.equal(r.connected, false);
  assert.equal(h.login.pairingCode, 'ABCD1234');
  const again = await within(h.login.start({ phoneNumber: '+15551230000' }), 'start again');
  assert.equal(again.pairingCode, 'ABCD1234');
});

test('pairing code: not asked when the creds are already registered', async (t) => {
  const h = waHarness();
  t.after(() => h.stop());
  await settle();
  h.fake.registered = true;
  void h.login.start({ phoneNumber: '+15551230000', timeoutMs: 1000 });
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  s1.qr('ref1');
  await settle();
  assert.deepEqual(s1.callsOf('requestPairingCode'), []);
});

test('a forced relink of an online account wipes the creds and restarts with a login socket', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  s1.open();
  await settle();
  assert.deepEqual(await h.login.start(), { connected: true, message: 'already linked' });
  assert.equal(h.fake.calls, 1);
  const started = h.login.start({ force: true });
  const s2 = await within(h.fake.socket(2), 'socket 2');
  await settle();
  assert.equal(h.auth.wipes, 1);
  assert.ok(s1.ended);
  assert.equal(h.state(), 'connecting');
  s2.qr('fresh');
  assert.equal((await within(started, 'start')).qr, 'fresh');
});

test('creds.update saves the creds; messages.upsert reaches the inbound side; both count as activity', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  const saves = h.auth.saves;
  s1.credsUpdate({ registered: true });
  s1.upsert([{ key: { id: 'A' } }]);
  await settle();
  assert.equal(h.auth.saves, saves + 1);
  assert.deepEqual(h.upserts, [{ messages: [{ key: { id: 'A' } }], type: 'notify' }]);
  assert.ok(h.activity >= 2);
});

test('STOP ends the socket, removes every listener and leaves no timer', async (t) => {
  const h = waHarness();
  t.after(() => h.stop());
  await settle();
  void h.login.start({ timeoutMs: 1000 });
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  await h.stop();
  assert.equal(h.state(), 'stopped');
  assert.ok(s1.ended);
  assert.equal(s1.listenerCount(), 0);
  assert.equal(h.live(), undefined);
  h.clock.increment(LOGIN_TIMEOUT_MS * 2);
  await settle();
  assert.equal(h.state(), 'stopped');
  assert.equal(h.fake.calls, 1);
});

test('a factory that throws is a transient failure (backoff)', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  h.fake.failNext = new Error('ECONNREFUSED');
  await settle();
  assert.equal(h.state(), 'backoff');
  assert.match(h.context().lastError ?? '', /socket failed: ECONNREFUSED/);
});

test('close codes: read from the Boom output; readable text for transient ones', () => {
  assert.equal(closeStatusCode(boom(428)), 428);
  assert.equal(closeStatusCode(new Error('x')), undefined);
  assert.equal(closeStatusCode(undefined), undefined);
  assert.equal(closeErrorText(428, undefined), 'connection closed (428 connection closed)');
  assert.equal(closeErrorText(408, undefined), 'connection closed (408 timed out)');
  assert.equal(closeErrorText(599, undefined), 'connection closed (599)');
  assert.equal(closeErrorText(undefined, new Error('boom')), 'connection closed: boom');
});

test('creds gone while in backoff (a logout without a socket) → the next connect needs a login instead of opening a login socket', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  s1.close(428);
  await settle();
  assert.equal(h.state(), 'backoff');
  h.auth.wipe();
  h.clock.increment(2000);
  await settle();
  assert.equal(h.state(), 'needsLogin');
  assert.match(h.context().lastError ?? '', /not linked/);
  assert.equal(h.fake.calls, 1);
  const started = h.login.start();
  const s2 = await within(h.fake.socket(2), 'login socket');
  await settle();
  s2.qr('ref1');
  assert.equal((await within(started, 'start')).qr, 'ref1');
});

test('after a 401 a late creds.update of the dead socket does not write the wiped creds back', async (t) => {
  const h = waHarness({ linked: true });
  t.after(() => h.stop());
  const s1 = await within(h.fake.socket(1), 'socket 1');
  await settle();
  const wipe = h.auth.wipe.bind(h.auth);
  // the socket emits one more creds.update while the wipe is under way (Baileys does on logout)
  h.auth.wipe = () => { wipe(); s1.credsUpdate({ me: { id: 'stale' } }); };
  s1.close(401);
  await settle();
  assert.equal(h.state(), 'needsLogin');
  assert.equal(h.auth.saved, undefined, 'nothing saved after the wipe');
  assert.equal(h.auth.isLinked(), false);
});

test('a 500 that is a socket error (Baileys: "WebSocket Error (…)") is a network failure, never a bad session', async () => {
  const { closeStatusCode } = await import('../../../../src/surfaces/channels/whatsapp/transport.js');
  const { boom } = await import('../../../helpers/fake-whatsapp.js');
  assert.equal(closeStatusCode(boom(500, 'WebSocket Error (read ECONNRESET)')), 408);
  assert.equal(closeStatusCode(boom(500, 'Stream Errored (bad-session)')), 500);
  assert.equal(closeStatusCode(boom(401)), 401);
  assert.equal(closeStatusCode(new Error('no boom')), undefined);
});
