import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  ConnectError, ConnectionClosedError, createGatewayClient, GatewayRequestError, type GatewayEvents, type GatewaySession,
} from '../../src/client/index.js';
import { frameSpy, sentMethods } from '../helpers/client-kit.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { within } from '../helpers/wait.js';

// clawgate/client against a real gateway (web-surfaces K3, KT1, KT2, KT4): connect, chat with typed events,
// no request before hello-ok, and a closed session that sends nothing.

const TOKEN = 'client-test-token-0123456789abcdefghijklmn';
const OPERATOR = { client: { id: 'cli' as const, mode: 'cli' as const, version: '1.0.0', platform: 'linux' }, scopes: ['operator.read', 'operator.write'] };

describe('clawgate/client on a real gateway', () => {
  let tg: TestGateway;
  let url: string;
  before(async () => {
    tg = await startTestGateway({ token: TOKEN, mockDelayMs: 2 });
    url = `ws://127.0.0.1:${tg.port}`;
  });
  after(() => tg.close());

  test('KT1: connects, sends chat.send and receives the typed chat final for its runId, after streamed deltas', async (t) => {
    const client = createGatewayClient({ url, WebSocket, token: TOKEN, ...OPERATOR });
    t.after(() => client.stop());
    const runId = randomUUID();
    const seen: GatewayEvents['chat'][] = [];
    const final = new Promise<GatewayEvents['chat']>((resolve) => {
      client.onEvent('chat', (payload) => {
        if (payload.runId !== runId) return;
        seen.push(payload);
        if (payload.state === 'final') resolve(payload);
      });
    });
    client.start();
    const session = await within(client.ready(), 'hello-ok');
    assert.equal(session.hello.type, 'hello-ok');
    assert.deepEqual(session.hello.auth.scopes, ['operator.read', 'operator.write']);
    assert.equal(client.status.state, 'ready');

    const ack = await session.request('chat.send', { sessionKey: 'agent:main:client-kt1', message: 'hi there', idempotencyKey: runId });
    assert.equal(ack.runId, runId);
    assert.equal(ack.status, 'started');
    const done = await within(final, 'the chat final');
    assert.ok(done.state === 'final');
    assert.equal((done.message as { content: { text: string }[] }).content.map((c) => c.text).join(''), 'Echo: hi there');
    const deltas = seen.filter((e) => e.state === 'delta');
    assert.ok(deltas.length > 0, 'streamed deltas before the final');
    assert.equal(seen.at(-1), done, 'the final comes last');
  });

  test('a gateway error is a GatewayRequestError with the code and details; the session stays usable', async (t) => {
    const client = createGatewayClient({ url, WebSocket, token: TOKEN, ...OPERATOR });
    t.after(() => client.stop());
    client.start();
    const session = await within(client.ready(), 'hello-ok');
    const err = await session.request('device.pair.list', {}).catch((e: unknown) => e);
    assert.ok(err instanceof GatewayRequestError, String(err));
    assert.equal(err.code, 'FORBIDDEN');
    assert.equal(err.detailCode, 'MISSING_SCOPE');
    assert.equal(err.method, 'device.pair.list');
    assert.equal(typeof (await session.request('health', {})), 'object');
  });

  test('no request before hello-ok: the client has no request, ready() waits for the handshake, connect is the first frame', async (t) => {
    const spy = frameSpy();
    const client = createGatewayClient({ url, WebSocket: spy.WebSocket, token: TOKEN, ...OPERATOR });
    t.after(() => client.stop());
    // KT4: the client object has no `request` (type-checked by `npm run typecheck`)
    // @ts-expect-error request exists only on a GatewaySession
    assert.equal(client.request, undefined);
    assert.equal('request' in client, false);

    let resolved: GatewaySession | undefined;
    const ready = client.ready().then((s) => (resolved = s));
    client.start();
    assert.equal(resolved, undefined, 'ready() has not resolved before the handshake');
    assert.deepEqual(spy.sent, [], 'nothing is sent before the challenge');
    const session = await within(ready, 'hello-ok');
    // a request made as soon as ready() resolves goes out after connect
    await session.request('health', {});
    assert.deepEqual(sentMethods(spy.sent), ['connect', 'health']);
  });

  test('KT2: once its socket has closed, a session rejects request without sending a frame; the next hello brings a new session', async (t) => {
    const spy = frameSpy();
    const client = createGatewayClient({ url, WebSocket: spy.WebSocket, token: TOKEN, ...OPERATOR });
    t.after(() => client.stop());
    client.start();
    const session = await within(client.ready(), 'hello-ok');
    client.stop();
    assert.equal(session.closed, true);
    const before = spy.sent.length;
    const err = await session.request('health', {}).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionClosedError, String(err));
    assert.equal(spy.sent.length, before, 'no frame was sent');
    await assert.rejects(client.ready(), ConnectionClosedError, 'a stopped client is not ready');

    client.start();
    const second = await within(client.ready(), 'the second hello-ok');
    assert.notEqual(second, session);
    assert.equal(second.closed, false);
    await second.request('health', {});
  });

  test('a pending request rejects with ConnectionClosedError when the socket closes under it', async (t) => {
    const client = createGatewayClient({ url, WebSocket, token: TOKEN, ...OPERATOR });
    t.after(() => client.stop());
    client.start();
    const session = await within(client.ready(), 'hello-ok');
    // agent.wait on a run that does not exist waits (server side) for its timeout
    const pending = session.request('agent.wait', { runId: 'no-such-run', timeoutMs: 20_000 });
    client.stop();
    await assert.rejects(pending, ConnectionClosedError);
  });

  test('a wrong token: ready() rejects with a ConnectError carrying the gateway code and details.code', async (t) => {
    const client = createGatewayClient({ url, WebSocket, token: `${TOKEN}x`, ...OPERATOR });
    t.after(() => client.stop());
    client.start();
    const err = await within(client.ready().catch((e: unknown) => e), 'the refusal');
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.failure, 'rejected');
    assert.equal(err.code, 'INVALID_REQUEST');
    assert.equal(err.detailCode, 'AUTH_TOKEN_MISMATCH');
    assert.doesNotMatch(err.message, new RegExp(TOKEN), 'the token is never in an error');
    assert.equal(client.status.state, 'stopped');
  });

  test('nothing listening: ready() rejects with a socket-error ConnectError', async (t) => {
    const client = createGatewayClient({ url: 'ws://127.0.0.1:1', WebSocket, token: TOKEN });
    t.after(() => client.stop());
    client.start();
    const err = await within(client.ready().catch((e: unknown) => e), 'the socket error');
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.failure, 'socket-error');
  });
});
