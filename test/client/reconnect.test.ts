import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  ConnectError, createGatewayClient, type GatewayStatus, memoryKeyStore, memoryTokenStore, webCryptoIdentity,
} from '../../src/client/index.js';
import { frameSpy, ManualClock, sentMethods, tcpProxy } from '../helpers/client-kit.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { until, within } from '../helpers/wait.js';

// K5 against a real gateway: the socket is dropped under the client (a TCP proxy cuts it, close 1006), the
// client reconnects with backoff, sends its subscriptions again, and delivers every event once; errors a
// retry cannot fix (pairing, auth) pause it instead.

const TOKEN = 'client-reconnect-token-0123456789abcdefghi';
const OPERATOR = { client: { id: 'cli' as const, mode: 'cli' as const, version: '1.0.0', platform: 'linux' }, scopes: ['operator.read', 'operator.write'] };

describe('reconnect', () => {
  let tg: TestGateway;
  before(async () => {
    tg = await startTestGateway({ token: TOKEN, mockDelayMs: 2 });
  });
  after(() => tg.close());

  test('after the server drops the socket it reconnects, resubscribes, and no event is delivered twice', async (t) => {
    const proxy = await tcpProxy(tg.port);
    t.after(() => proxy.close());
    const spy = frameSpy();
    const client = createGatewayClient({
      url: `ws://127.0.0.1:${proxy.port}`, WebSocket: spy.WebSocket, token: TOKEN, ...OPERATOR,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    t.after(() => client.stop());
    const states: GatewayStatus['state'][] = [];
    const hellos: unknown[] = [];
    client.onStatus((s) => states.push(s.state));
    client.onHelloOk((s) => hellos.push(s));
    const key = 'agent:main:client-reconnect';
    const messages: string[] = [];
    const finals: string[] = [];
    client.onEvent('session.message', (p) => { if (p.sessionKey === key) messages.push(p.messageId ?? '?'); });
    client.onEvent('chat', (p) => { if (p.sessionKey === key && p.state === 'final') finals.push(p.runId); });

    client.start();
    const first = await within(client.ready(), 'the first hello-ok');
    await first.request('sessions.messages.subscribe', { key });
    proxy.dropAll();
    await until(() => first.closed, 'the first session to close');
    const second = await within(client.ready(), 'the hello-ok after the drop');
    assert.notEqual(second, first);
    assert.equal(hellos.length, 2);
    assert.deepEqual(states.slice(0, 4), ['connecting', 'ready', 'reconnecting', 'connecting']);
    // the subscription was sent again (and answered) before the new session was delivered
    assert.deepEqual(sentMethods(spy.sent), ['connect', 'sessions.messages.subscribe', 'connect', 'sessions.messages.subscribe']);

    // another operator chats in that session: the reconnected client sees each message once
    const other = createGatewayClient({ url: `ws://127.0.0.1:${tg.port}`, WebSocket, token: TOKEN, ...OPERATOR });
    t.after(() => other.stop());
    other.start();
    const op = await within(other.ready(), 'the other operator');
    const runId = randomUUID();
    const done = new Promise<void>((resolve) => other.onEvent('chat', (p) => { if (p.runId === runId && p.state === 'final') resolve(); }));
    await op.request('chat.send', { sessionKey: key, message: 'after the drop', idempotencyKey: runId });
    await within(done, 'the run to finish');
    await until(() => messages.length >= 2 && finals.length >= 1, 'the user and assistant messages on the reconnected client');
    await op.request('health', {}); // a round trip: anything still in flight has arrived
    assert.equal(new Set(messages).size, messages.length, `no session.message twice: ${messages}`);
    assert.equal(messages.length, 2, 'the user message and the reply');
    assert.deepEqual(finals, [runId], 'one chat final');
  });

  test('pauses (no retry armed) and calls onReconnectPaused on AUTH_TOKEN_MISMATCH', async (t) => {
    const clock = new ManualClock();
    const client = createGatewayClient({ url: `ws://127.0.0.1:${tg.port}`, WebSocket, token: `${TOKEN}x`, ...OPERATOR, reconnect: true, clock });
    t.after(() => client.stop());
    const paused = new Promise<Error>((resolve) => client.onReconnectPaused(resolve));
    const ready = client.ready().catch((e: unknown) => e);
    client.start();
    const err = await within(paused, 'the pause');
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.detailCode, 'AUTH_TOKEN_MISMATCH');
    assert.equal(await ready, err, 'ready() rejects with the same error');
    assert.equal(client.status.state, 'paused');
    assert.equal(clock.pending, 0, 'no reconnect is scheduled');
  });

  test('reconnects (does not pause) when the gateway is not reachable, with the W7 backoff', async (t) => {
    const clock = new ManualClock();
    const client = createGatewayClient({ url: 'ws://127.0.0.1:1', WebSocket, token: TOKEN, reconnect: true, clock, random: () => new Uint8Array([128]) });
    t.after(() => client.stop());
    const delays: number[] = [];
    client.onStatus((s) => { if (s.state === 'reconnecting') delays.push(s.delayMs); });
    client.start();
    await until(() => delays.length === 1, 'the first retry to be scheduled');
    clock.advance(delays[0]);
    await until(() => delays.length === 2, 'the second retry to be scheduled');
    assert.deepEqual(delays, [800, 1360]);
  });
});

describe('pairing required', () => {
  let tg: TestGateway;
  before(async () => {
    tg = await startTestGateway({ token: TOKEN, autoApproveLocal: false });
  });
  after(() => tg.close());

  test('a device that needs approval pauses reconnecting with PAIRING_REQUIRED', async (t) => {
    const clock = new ManualClock();
    const identity = await webCryptoIdentity(memoryKeyStore());
    const client = createGatewayClient({
      url: `ws://127.0.0.1:${tg.port}`, WebSocket, token: TOKEN, identity, tokenStore: memoryTokenStore(),
      client: { id: 'gateway-client', mode: 'backend', version: '1.0.0', platform: 'linux' }, scopes: ['operator.read'],
      reconnect: true, clock,
    });
    t.after(() => client.stop());
    const paused = new Promise<Error>((resolve) => client.onReconnectPaused(resolve));
    client.start();
    const err = await within(paused, 'the pause');
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.code, 'NOT_PAIRED');
    assert.equal(err.detailCode, 'PAIRING_REQUIRED');
    assert.equal(typeof (err.details as { requestId?: unknown }).requestId, 'string', 'the requestId to approve');
    assert.equal(client.status.state, 'paused');
    assert.equal(clock.pending, 0, 'no reconnect is scheduled');
  });
});
