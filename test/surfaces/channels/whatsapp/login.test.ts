import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimulatedClock } from 'xstate';
import { WEB_LOGIN_NONE_MESSAGE } from '../../../../src/core/channel.js';
import {
  LOGIN_START_TIMEOUT_MS, LOGIN_TIMEOUT_MS, LOGIN_WAIT_TIMEOUT_MS, LoginState, QR_DATA_URL_MAX, renderQrDataUrl, WAITING_MESSAGE,
} from '../../../../src/surfaces/channels/whatsapp/login.js';
import { within } from '../../../helpers/wait.js';
import { settle } from './transport-harness.js';

// The web login state alone (spec channels.md §5.1 web.login.start / web.login.wait, WA3), on a SimulatedClock,
// with a stand-in QR renderer (the real one is checked once, for its size).

function loginState(linked = false) {
  const clock = new SimulatedClock();
  const auth = { linked, wipes: 0, isLinked() { return this.linked; }, wipe() { this.wipes++; this.linked = false; } };
  const requests: string[] = [];
  const login = new LoginState({ clock, auth, renderQr: async (qr) => `data:image/png;base64,${Buffer.from(qr).toString('base64')}` });
  login.onRequest((kind) => requests.push(kind));
  return { clock, auth, login, requests };
}

test('a Baileys-sized QR renders as a PNG data URL within 16,384 characters', async () => {
  const ref = `2@${'A'.repeat(80)},${'B'.repeat(44)},${'C'.repeat(44)},${'D'.repeat(44)},1`;
  const url = await renderQrDataUrl(ref);
  assert.ok(url.startsWith('data:image/png;base64,'));
  assert.ok(url.length <= QR_DATA_URL_MAX, String(url.length));
});

test('start: linked without force → connected "already linked", no login requested', async () => {
  const { login, requests } = loginState(true);
  assert.deepEqual(await login.start(), { connected: true, message: 'already linked' });
  assert.deepEqual(requests, []);
  assert.equal(login.pending, false);
});

test('start: answers with the first QR; bounded by timeoutMs (default 30 s) with no QR', async () => {
  const { login, requests } = loginState();
  const first = login.start();
  assert.deepEqual(requests, ['login']);
  assert.equal(login.pending, true);
  await login.setQr('ref1');
  const r = await within(first, 'start');
  assert.equal(r.qr, 'ref1');
  assert.equal(r.qrDataUrl, `data:image/png;base64,${Buffer.from('ref1').toString('base64')}`);

  const fresh = loginState();
  const pending = fresh.login.start();
  let answered = false;
  void pending.then(() => { answered = true; });
  fresh.clock.increment(LOGIN_START_TIMEOUT_MS - 1);
  await settle();
  assert.equal(answered, false);
  fresh.clock.increment(1);
  assert.deepEqual(await within(pending, 'start at its timeout'), { connected: false, message: WAITING_MESSAGE });
});

test('start with force wipes the creds first and asks for a relink, even when linked', async () => {
  const { auth, login, requests } = loginState(true);
  void login.start({ force: true, timeoutMs: 10 });
  await settle();
  assert.equal(auth.wipes, 1);
  assert.deepEqual(requests, ['relink']);
  assert.equal(login.linked, false);
});

test('start refuses a phone number without digits', async () => {
  const { login } = loginState();
  await assert.rejects(login.start({ phoneNumber: '+' }), RangeError);
});

test('wait: returns on a QR other than currentQrDataUrl, ignores the same one, and times out at 120 s by default', async () => {
  const { clock, login } = loginState();
  const started = login.start();
  await login.setQr('ref1');
  const first = await started;
  const waiting = login.wait({ currentQrDataUrl: first.qrDataUrl });
  let done = false;
  void waiting.then(() => { done = true; });
  await login.setQr('ref1'); // the same QR again: nothing new
  await settle();
  assert.equal(done, false);
  await login.setQr('ref2');
  const second = await within(waiting, 'wait on rotation');
  assert.equal(second.qr, 'ref2');
  assert.equal(second.connected, false);

  const idle = login.wait({ currentQrDataUrl: second.qrDataUrl });
  clock.increment(LOGIN_WAIT_TIMEOUT_MS);
  const timedOut = await within(idle, 'wait at its timeout');
  assert.equal(timedOut.connected, false);
  assert.equal(timedOut.qrDataUrl, second.qrDataUrl);
});

test('wait: linked → connected; no login at all → the "no login" message at once', async () => {
  const { login } = loginState();
  assert.deepEqual(await login.wait(), { connected: false, message: WEB_LOGIN_NONE_MESSAGE });
  void login.start();
  const waiting = login.wait({ timeoutMs: LOGIN_TIMEOUT_MS });
  login.markLinked();
  assert.deepEqual(await within(waiting, 'wait → linked'), { connected: true, message: 'linked' });
  assert.equal(login.pending, false);
  assert.equal(login.linked, true);
});

test('a QR rendered after a newer one never replaces it', async () => {
  const clock = new SimulatedClock();
  const gates = new Map<string, () => void>();
  const login = new LoginState({
    clock, auth: { isLinked: () => false, wipe: () => {} },
    renderQr: (qr) => new Promise((resolve) => gates.set(qr, () => resolve(`data:image/png;base64,${qr}`))),
  });
  void login.start();
  const older = login.setQr('old');
  const newer = login.setQr('new');
  gates.get('new')!();
  await newer;
  gates.get('old')!();
  await older;
  assert.equal(login.currentQr?.text, 'new');
});

test('remainingMs counts down from the start of the login', () => {
  const { clock, login } = loginState();
  assert.equal(login.remainingMs(), LOGIN_TIMEOUT_MS);
  void login.start();
  clock.increment(60_000);
  assert.equal(login.remainingMs(), LOGIN_TIMEOUT_MS - 60_000);
  clock.increment(LOGIN_TIMEOUT_MS);
  assert.equal(login.remainingMs(), 0);
});
