import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';
import { SimulatedClock } from 'xstate';
import {
  SignalAmbiguous,
  SignalClient,
  type SignalEnvelope,
  SignalRateLimited,
  SignalRejected,
  SignalUnreachable,
} from '../../../../src/surfaces/channels/signal/client.js';
import { type FakeSignalMode, startFakeSignal } from '../../../helpers/fake-signal.js';
import { until, within } from '../../../helpers/wait.js';

// The signal-cli-rest-api client against the fake server (spec channels.md SG1, SG3–SG5, §6.1): every call,
// every error class, both receivers and the WebSocket's pong watchdog (driven by a SimulatedClock).

type After = { after(fn: () => unknown): void };

async function setup(t: After, mode: FakeSignalMode = 'normal', extra: Partial<ConstructorParameters<typeof SignalClient>[0]> = {}) {
  const sig = await startFakeSignal({ mode });
  t.after(() => sig.close());
  const client = new SignalClient({ apiUrl: sig.apiUrl, account: sig.account, ...extra });
  return { sig, client };
}

/** A port nothing listens on. */
async function refusedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const ACCOUNT_PATH = '%2B15550001';

test('about reports the mode; accounts lists the account', async (t) => {
  const { sig, client } = await setup(t, 'json-rpc');
  assert.deepEqual(await client.about(), { mode: 'json-rpc', versions: ['v1', 'v2'], build: 2 });
  sig.mode = 'native';
  assert.equal((await client.about()).mode, 'native');
  sig.mode = 'json-rpc-native' as FakeSignalMode; // not a mode the server reports: a clear error
  await assert.rejects(client.about(), /about: unknown receive mode "json-rpc-native"/);
  assert.deepEqual(await client.accounts(), ['+15550001']);
  sig.accounts = [];
  assert.deepEqual(await client.accounts(), []);
});

test('send: POST /v2/send {number, recipients (uuid: stripped), message, text_mode styled} → the timestamp', async (t) => {
  const { sig, client } = await setup(t);
  const first = await client.send({ recipients: ['uuid:0b5f7a4e-1111-2222-3333-444455556666'], message: 'hi **there**' });
  const second = await client.send({ recipients: ['+15550002'], message: 'x' });
  assert.match(first.timestamp, /^\d+$/);
  assert.equal(Number(second.timestamp), Number(first.timestamp) + 1);
  assert.deepEqual(sig.sends()[0], { number: '+15550001', recipients: ['0b5f7a4e-1111-2222-3333-444455556666'], message: 'hi **there**', text_mode: 'styled' });
});

test('send: 400 → SignalRejected with the server error; 429 challenge → SignalRateLimited; 500 → SignalAmbiguous', async (t) => {
  const { sig, client } = await setup(t);
  sig.failNextSend('Failed to send message: Unregistered user');
  await assert.rejects(client.send({ recipients: ['+1'], message: 'x' }), (err) =>
    err instanceof SignalRejected && err.message === 'Failed to send message: Unregistered user' && err.status === 400);
  sig.rateLimitNextSend();
  await assert.rejects(client.send({ recipients: ['+1'], message: 'x' }), (err) =>
    err instanceof SignalRateLimited && err.challengeTokens[0] === 't'
    && err.message === 'rate-limit challenge required: solve it with POST /v1/accounts/+15550001/rate-limit-challenge');
  sig.crashNextSend();
  await assert.rejects(client.send({ recipients: ['+1'], message: 'x' }), (err) => err instanceof SignalAmbiguous && err.status === 500);
});

test('a refused port → SignalUnreachable (nothing sent)', async () => {
  const client = new SignalClient({ apiUrl: `http://127.0.0.1:${await refusedPort()}`, account: '+15550001' });
  await assert.rejects(client.send({ recipients: ['+1'], message: 'x' }), (err) => err instanceof SignalUnreachable && /ECONNREFUSED/.test(err.message));
  await assert.rejects(client.about(), SignalUnreachable);
});

test('a send that hangs past its 60 s timeout (simulated) → SignalAmbiguous', async (t) => {
  const clock = new SimulatedClock();
  const { sig, client } = await setup(t, 'normal', { clock });
  sig.hangNextSend();
  let settled = false;
  const sending = client.send({ recipients: ['+1'], message: 'x' }).finally(() => { settled = true; });
  await sig.waitForCalls((c) => c.path === '/v2/send', 1);
  clock.increment(59_999);
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'not before 60 s');
  clock.increment(1);
  await assert.rejects(within(sending, 'the send timeout'), (err) => err instanceof SignalAmbiguous && /send: timed out/.test(err.message));
});

test('a connection reset after the request was written → SignalAmbiguous', async (t) => {
  const server = net.createServer((s) => s.once('data', () => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const client = new SignalClient({ apiUrl: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, account: '+15550001' });
  await assert.rejects(client.send({ recipients: ['+1'], message: 'x' }), SignalAmbiguous);
});

test('typing PUT/DELETE and read receipts, the number encoded in the path', async (t) => {
  const { sig, client } = await setup(t);
  await client.typing('uuid:abc', true);
  await client.typing('group.YWJjPQ==', false);
  await client.receipt('+15550002', 1_700_000_000_123);
  const seen = sig.calls.map((c) => [c.method, c.path, c.body]);
  assert.deepEqual(seen, [
    ['PUT', `/v1/typing-indicator/${ACCOUNT_PATH}`, { recipient: 'abc' }],
    ['DELETE', `/v1/typing-indicator/${ACCOUNT_PATH}`, { recipient: 'group.YWJjPQ==' }],
    ['POST', `/v1/receipts/${ACCOUNT_PATH}`, { recipient: '+15550002', receipt_type: 'read', timestamp: 1_700_000_000_123 }],
  ]);
  const other = new SignalClient({ apiUrl: sig.apiUrl, account: '+19999999' });
  await assert.rejects(other.typing('+1', true), (err) => err instanceof SignalRejected && /not registered/.test(err.message));
});

test('attachment: the bytes within the cap, undefined past it, SignalRejected when unknown', async (t) => {
  const { sig, client } = await setup(t);
  const bytes = new Uint8Array(2048).map((_, i) => i % 256);
  sig.addAttachment('att 1', bytes);
  assert.deepEqual(await client.attachment('att 1', 2048), bytes);
  assert.equal(await client.attachment('att 1', 2047), undefined);
  assert.equal(sig.calls.at(-1)?.path, '/v1/attachments/att%201');
  await assert.rejects(client.attachment('nope', 10), (err) => err instanceof SignalRejected && err.status === 404);
});

test('receivePoll: GET /v1/receive/%2B15550001?timeout=…, parked until a push, each item’s envelope', async (t) => {
  const { sig, client } = await setup(t);
  const env: SignalEnvelope = { sourceUuid: 'u-1', sourceNumber: null, timestamp: 5, dataMessage: { message: 'hi' } };
  sig.push(env);
  assert.deepEqual(await client.receivePoll(10), [env]);
  const call = sig.calls.at(-1)!;
  assert.equal(call.path, `/v1/receive/${ACCOUNT_PATH}`);
  assert.deepEqual(Object.fromEntries(call.query), { timeout: '10', ignore_stories: 'true', ignore_avatars: 'true' });
  const parked = client.receivePoll(10);
  await sig.waitForCalls((c) => c.path.startsWith('/v1/receive/'), 2);
  sig.push({ timestamp: 6 });
  assert.deepEqual(await within(parked, 'the parked poll'), [{ timestamp: 6 }]);
});

test('receivePoll: an empty queue at the poll timeout → []; a json-rpc server refuses REST receive', async (t) => {
  const { sig, client } = await setup(t);
  assert.deepEqual(await client.receivePoll(0), []);
  sig.mode = 'json-rpc';
  await assert.rejects(client.receivePoll(0), (err) => err instanceof SignalRejected && /WebSocket/.test(err.message));
});

test('receivePoll: the caller’s signal aborts a parked poll (no open handle left); close() aborts too', async (t) => {
  const { sig, client } = await setup(t);
  const controller = new AbortController();
  const parked = client.receivePoll(10, controller.signal);
  await sig.waitForCalls((c) => c.path.startsWith('/v1/receive/'), 1);
  controller.abort();
  await assert.rejects(within(parked, 'the aborted poll'), (err) => (err as Error).name === 'AbortError');
  const second = client.receivePoll(10);
  await sig.waitForCalls((c) => c.path.startsWith('/v1/receive/'), 2);
  client.close();
  await assert.rejects(within(second, 'the closed poll'), SignalAmbiguous);
});

test('receiveWs: {envelope} frames, {error} frames, a dropped socket ends with onClose; close() stays silent', async (t) => {
  const { sig, client } = await setup(t, 'json-rpc');
  const envelopes: SignalEnvelope[] = [];
  const errors: string[] = [];
  const closes: string[] = [];
  let opened = false;
  const rx = client.receiveWs({ onEnvelope: (e) => envelopes.push(e), onError: (m) => errors.push(m), onClose: (r) => closes.push(r), onOpen: () => { opened = true; } });
  t.after(() => rx.close());
  await until(() => opened && sig.clientCount() === 1, 'the socket opens');
  assert.deepEqual(sig.calls.filter((c) => c.method === 'WS').map((c) => c.path), [`/v1/receive/${ACCOUNT_PATH}`]);
  sig.push({ sourceUuid: 'u-1', timestamp: 1, dataMessage: { message: 'a' } });
  sig.pushError('signal-cli: connection lost');
  await until(() => envelopes.length === 1 && errors.length === 1, 'the frames');
  assert.deepEqual(envelopes, [{ sourceUuid: 'u-1', timestamp: 1, dataMessage: { message: 'a' } }]);
  assert.deepEqual(errors, ['signal-cli: connection lost']);
  sig.dropClients();
  await until(() => closes.length === 1, 'onClose');
  assert.match(closes[0]!, /signal receive: socket closed \(1006/);

  const quiet: string[] = [];
  let open2 = false;
  const rx2 = client.receiveWs({ onEnvelope: () => {}, onError: () => {}, onClose: (r) => quiet.push(r), onOpen: () => { open2 = true; } });
  await until(() => open2, 'the second socket opens');
  rx2.close();
  await until(() => sig.clientCount() === 0, 'the server sees the close');
  assert.deepEqual(quiet, []);
});

test('receiveWs against a normal-mode server: the refused upgrade ends in onClose naming the status', async (t) => {
  const { client } = await setup(t, 'normal');
  const reason = await within(new Promise<string>((resolve) => {
    client.receiveWs({ onEnvelope: () => {}, onError: () => {}, onClose: resolve });
  }), 'onClose');
  assert.match(reason, /Unexpected server response: 400/);
});

test('receiveWs: a ping every 30 s (simulated); a pong keeps it open, no pong within 10 s closes it', async (t) => {
  const clock = new SimulatedClock();
  let pongs = 0;
  class CountingWebSocket extends WebSocket {
    constructor(address: string) {
      super(address);
      this.on('pong', () => { pongs++; });
    }
  }
  // the client only ever calls `new WebSocket(url)`
  const { sig, client } = await setup(t, 'json-rpc', { clock, WebSocket: CountingWebSocket as unknown as typeof WebSocket });
  const closes: string[] = [];
  let opened = false;
  const rx = client.receiveWs({ onEnvelope: () => {}, onError: () => {}, onClose: (r) => closes.push(r), onOpen: () => { opened = true; } });
  t.after(() => rx.close());
  await until(() => opened, 'the socket opens');
  clock.increment(29_999);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(pongs, 0, 'no ping before 30 s');
  clock.increment(1);
  await until(() => pongs === 1, 'the pong of the first ping');
  clock.increment(10_000);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(closes, [], 'answered in time: still open');
  sig.mutePongs(true);
  clock.increment(20_000); // 30 s after the pong: the second ping
  clock.increment(10_000);
  assert.deepEqual(closes, ['no pong within 10 s']);
  await until(() => sig.clientCount() === 0, 'the socket is terminated');
  assert.equal(pongs, 1);
});
