import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { ConnectError, ConnectionClosedError, createGatewayClient, RequestTimeoutError, type SeqGap } from '../../src/client/index.js';
import { fakeGateway, ManualClock } from '../helpers/client-kit.js';
import { until, within } from '../helpers/wait.js';

// K4 with a scripted gateway and a manual clock (no wall-clock waits): the challenge and hello deadlines, the
// request timeout, the tick watchdog, seq gaps, and the close codes the client uses (1000 or 4000–4999).

test('a request with no answer rejects with RequestTimeoutError after its timeout (default 30 s)', async (t) => {
  const gw = await fakeGateway();
  t.after(() => gw.close());
  const clock = new ManualClock();
  const client = createGatewayClient({ url: gw.url, WebSocket, token: 't', clock });
  t.after(() => client.stop());
  client.start();
  const session = await within(client.ready(), 'hello-ok');
  const short = session.request('health', {}, { timeoutMs: 50 });
  const long = session.request('status', {});
  await until(() => gw.received.length === 3, 'both requests to arrive');
  clock.advance(50);
  const err = await short.catch((e: unknown) => e);
  assert.ok(err instanceof RequestTimeoutError, String(err));
  assert.equal(err.method, 'health');
  let settled = false;
  long.catch(() => undefined).finally(() => (settled = true));
  clock.advance(29_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the default timeout is 30 s');
  clock.advance(1_000);
  await assert.rejects(long, RequestTimeoutError);
  assert.equal(session.closed, false, 'a timeout does not close the session');
});

test('no connect.challenge within 5 s → the client closes 4000 "connect challenge timeout" and ready() rejects', async (t) => {
  const gw = await fakeGateway({ challenge: false });
  t.after(() => gw.close());
  const clock = new ManualClock();
  // The server accepting the socket is not the client seeing it open: a close before 'open' is an abort (1006).
  const opened: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      opened.push(this);
    }
  }
  const client = createGatewayClient({ url: gw.url, WebSocket: TrackedWebSocket, clock });
  t.after(() => client.stop());
  const ready = client.ready().catch((e: unknown) => e);
  client.start();
  await until(() => gw.sockets.length === 1 && opened[0]?.readyState === WebSocket.OPEN, 'the socket to open');
  clock.advance(4_999);
  assert.equal(client.status.state, 'connecting');
  clock.advance(1);
  const err = await within(ready, 'the refusal');
  assert.ok(err instanceof ConnectError && err.failure === 'challenge-timeout', String(err));
  await until(() => gw.closes.length === 1, 'the close');
  assert.deepEqual(gw.closes[0], { code: 4000, reason: 'connect challenge timeout' });
});

test('no hello-ok within 15 s of connect → close 4000 "connect timeout"', async (t) => {
  const gw = await fakeGateway({ hello: false });
  t.after(() => gw.close());
  const clock = new ManualClock();
  const client = createGatewayClient({ url: gw.url, WebSocket, clock });
  t.after(() => client.stop());
  const ready = client.ready().catch((e: unknown) => e);
  client.start();
  await until(() => gw.received.some((f) => f.method === 'connect'), 'the connect request');
  clock.advance(15_000);
  const err = await within(ready, 'the refusal');
  assert.ok(err instanceof ConnectError && err.failure === 'connect-timeout', String(err));
  await until(() => gw.closes.length === 1, 'the close');
  assert.deepEqual(gw.closes[0], { code: 4000, reason: 'connect timeout' });
});

test('tick watchdog: no inbound frame for more than 2 × tickIntervalMs → close 4000 "tick timeout", the session ends', async (t) => {
  const gw = await fakeGateway({ tickIntervalMs: 1_000 });
  t.after(() => gw.close());
  const clock = new ManualClock();
  const client = createGatewayClient({ url: gw.url, WebSocket, clock });
  t.after(() => client.stop());
  client.start();
  const session = await within(client.ready(), 'hello-ok');
  const pending = session.request('health', {});
  clock.advance(1_500);
  const tick = new Promise((resolve) => client.onEvent('tick', resolve));
  gw.push({ type: 'event', event: 'tick', payload: { ts: 1 }, seq: 1 });
  await within(tick, 'the tick');
  clock.advance(2_000);
  assert.equal(session.closed, false, 'a tick 2 s ago keeps it alive');
  clock.advance(1_000);
  assert.equal(session.closed, true);
  await assert.rejects(pending, ConnectionClosedError);
  await until(() => gw.closes.length === 1, 'the close');
  assert.deepEqual(gw.closes[0], { code: 4000, reason: 'tick timeout' });
});

// K4 / W7 "Watchdog": the close comes as soon as 2 × tickIntervalMs pass with no inbound frame, not up to one
// more interval later (WT7 runs the page clock 61 s with a 30 s tick and expects the close).

test('tick watchdog: closes 4000 "tick timeout" right after 2 × tickIntervalMs of silence, not a check interval later', async (t) => {
  const gw = await fakeGateway({ tickIntervalMs: 1_000 });
  t.after(() => gw.close());
  const clock = new ManualClock();
  const client = createGatewayClient({ url: gw.url, WebSocket, clock });
  t.after(() => client.stop());
  client.start();
  const session = await within(client.ready(), 'hello-ok');
  clock.advance(2_000);
  assert.equal(session.closed, false, 'exactly 2 × tickIntervalMs is not yet too long');
  clock.advance(1);
  assert.equal(session.closed, true, 'one millisecond more is');
  await until(() => gw.closes.length === 1, 'the close');
  assert.deepEqual(gw.closes[0], { code: 4000, reason: 'tick timeout' });
});

test('seq gaps: onGap({expected, received}) per connection; events still delivered; stop closes 1000', async (t) => {
  const gw = await fakeGateway();
  t.after(() => gw.close());
  const client = createGatewayClient({ url: gw.url, WebSocket });
  t.after(() => client.stop());
  const gaps: SeqGap[] = [];
  const ticks: number[] = [];
  client.onGap((g) => gaps.push(g));
  client.onEvent('tick', (p, meta) => ticks.push(p.ts === meta.seq ? meta.seq : -1));
  client.start();
  await within(client.ready(), 'hello-ok');
  for (const seq of [1, 2, 5, 6, 9]) gw.push({ type: 'event', event: 'tick', payload: { ts: seq }, seq });
  await until(() => ticks.length === 5, 'five ticks');
  assert.deepEqual(ticks, [1, 2, 5, 6, 9]);
  assert.deepEqual(gaps, [{ expected: 3, received: 5 }, { expected: 7, received: 9 }]);
  client.stop();
  await until(() => gw.closes.length === 1, 'the close');
  assert.deepEqual(gw.closes[0], { code: 1000, reason: 'client stopped' });
});
