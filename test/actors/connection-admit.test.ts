import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';

import { ConnectionHub, type HubOptions, type WsSocket } from '../../src/actors/connection-hub.js';
import { ActorDirectory } from '../../src/actors/supervise.js';
import type { AdmitResult } from '../../src/machines/connection.js';
import { flush } from '../helpers/wait.js';

// The hub's `admit` action: admission runs in the step of the `connect` frame. An answer decided on the spot
// is handled in that same step (hello-ok is sent before hub.frame() returns: no child actor, no promise); a
// promise's answer comes when it settles; a throw or a rejection fails the connect (UNAVAILABLE, 1011); an
// answer for a socket that closed meanwhile goes nowhere.

const log = pino({ level: 'silent' });
const OK: AdmitResult = { ok: true, admitted: { role: 'operator', scopes: ['operator.read'], hello: { type: 'hello-ok' }, client: { id: 'test', mode: 'backend' } } };
const CONNECT = JSON.stringify({
  type: 'req', id: 'c1', method: 'connect',
  params: { minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'backend' } },
});

function setup(admit: HubOptions['admit']) {
  const sent: string[] = [];
  const ends: string[] = [];
  const hub = new ConnectionHub({
    log, warnings: { warn() {} }, handshakeTimeoutMs: 600_000, maxBufferedBytes: 1 << 30, directory: new ActorDirectory(),
    methods: new Set(['health']), dispatch() {}, admit,
  });
  const socket: WsSocket = { send: (t) => void sent.push(t), sendNumbered: (frame, n) => void sent.push(frame.text(n)), bufferedAmount: () => 0, end: (code, reason) => void ends.push(`${code} ${reason}`), terminate() {}, ping() {} };
  const conn = hub.open(socket, { remoteAddress: '127.0.0.1', local: true });
  sent.length = 0; // the challenge
  return { hub, conn, sent, ends };
}

test('an answer decided on the spot: hello-ok is out and the connection authenticated (and passivated) within frame()', () => {
  let calls = 0;
  const { hub, conn, sent } = setup((input) => {
    calls++;
    assert.equal(input.connId, conn.id);
    assert.deepEqual(input.params.client, { id: 'test', version: '1', platform: 'linux', mode: 'backend' });
    return OK;
  });
  hub.frame(conn, CONNECT, CONNECT.length);
  assert.equal(calls, 1);
  assert.deepEqual(sent.map((t) => JSON.parse(t)), [{ type: 'res', id: 'c1', ok: true, payload: { type: 'hello-ok' } }]);
  assert.equal(conn.authenticated, true);
  assert.equal(conn.running, undefined, 'idle after hello: passivated at the end of the same step');
  assert.equal(hub.passivated, 1);
});

test('a promise: the connect waits in admitting (frames are held), the answer comes when it settles', async () => {
  let settle!: (r: AdmitResult) => void;
  const { hub, conn, sent } = setup(() => new Promise<AdmitResult>((r) => { settle = r; }));
  hub.frame(conn, CONNECT, CONNECT.length);
  const held = JSON.stringify({ type: 'req', id: 'h1', method: 'health' });
  hub.frame(conn, held, held.length);
  assert.deepEqual(sent, []);
  assert.deepEqual(conn.running?.getSnapshot().value, { handshake: 'admitting' });
  settle(OK);
  await flush();
  assert.equal(JSON.parse(sent[0]).id, 'c1');
  assert.equal(conn.authenticated, true);
});

test('a throw and a rejection both fail the connect: res UNAVAILABLE (retryable), close 1011', async () => {
  const failed = { type: 'res', id: 'c1', ok: false, error: { code: 'UNAVAILABLE', message: 'connect failed', retryable: true, retryAfterMs: 1000 } };
  const thrown = setup(() => { throw new Error('store exploded'); });
  thrown.hub.frame(thrown.conn, CONNECT, CONNECT.length);
  assert.deepEqual(thrown.sent.map((t) => JSON.parse(t)), [failed]);
  assert.deepEqual(thrown.ends, ['1011 connect failed']);

  const rejected = setup(() => Promise.reject(new Error('store exploded')));
  rejected.hub.frame(rejected.conn, CONNECT, CONNECT.length);
  await flush();
  assert.deepEqual(rejected.sent.map((t) => JSON.parse(t)), [failed]);
  assert.deepEqual(rejected.ends, ['1011 connect failed']);
});

test('an answer for a socket that closed while admission waited goes nowhere', async () => {
  let settle!: (r: AdmitResult) => void;
  const { hub, conn, sent, ends } = setup(() => new Promise<AdmitResult>((r) => { settle = r; }));
  hub.frame(conn, CONNECT, CONNECT.length);
  const actor = conn.running!;
  hub.socketClosed(conn);
  settle(OK);
  await flush();
  assert.deepEqual(sent, []);
  assert.deepEqual(ends, []);
  assert.equal(conn.authenticated, false);
  assert.equal(actor.getSnapshot().status, 'done');
});
