import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';

import { ConnectionHub, type WsSocket } from '../../src/actors/connection-hub.js';
import { ActorDirectory } from '../../src/actors/supervise.js';
import { createActor, createMachine } from 'xstate';
import { activationSnapshot } from '../../src/actors/connection-passivation.js';
import { connectionMachine, type AdmitResult } from '../../src/machines/connection.js';

// Before hello a connection's actor is activated by its first frame, not at open (virtual actors): a socket
// waiting to send `connect` holds no actor. The handshake deadline is the hub's timer from open to hello: at
// the deadline the actor gets HANDSHAKE_TIMEOUT (a socket that sent nothing gets its actor for it) and closes.
// Timers are node:test's mock timers (XState's default clock uses the same setTimeout); no wall clock.

const log = pino({ level: 'silent' });
const TIMEOUT = 10_000;

function setup() {
  const ends: string[] = [];
  const directory = new ActorDirectory();
  const hub = new ConnectionHub({
    log, warnings: { warn() {} }, handshakeTimeoutMs: TIMEOUT, maxBufferedBytes: 1 << 30, directory,
    methods: new Set(['health']), dispatch() {},
    // admission never settles: a connection that sent `connect` stays in the handshake
    admit: () => new Promise<AdmitResult>(() => {}),
  });
  const socket = (): WsSocket => ({ send() {}, sendNumbered() {}, bufferedAmount: () => 0, end: (code, reason) => void ends.push(`${code} ${reason}`), terminate() {}, ping() {} });
  return { hub, ends, socket, directory };
}

const CONNECT = JSON.stringify({
  type: 'req', id: 'c1', method: 'connect',
  params: { minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' } },
});

test('a socket that sends nothing has no running actor, then is closed 1000 by its actor at the handshake deadline', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const { hub, ends, socket, directory } = setup();
  const conn = hub.open(socket(), { remoteAddress: '127.0.0.1', local: true });
  assert.equal(conn.running, undefined, 'no actor before the first frame');
  assert.equal(directory.list().length, 0, 'none listed');
  mock.timers.tick(TIMEOUT - 1);
  assert.deepEqual(ends, []);
  mock.timers.tick(1); // the deadline: the actor is activated to hear it
  mock.timers.tick(0);
  assert.deepEqual(ends, ['1000 '], 'closed by the machine\'s handshake timeout');
  assert.equal(hub.stats.handshakesFailed, 1);
  hub.socketClosed(conn);
});

test('a first frame after 6 s activates the actor; the deadline stays 10 s from open, not a new 10 s', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const { hub, ends, socket } = setup();
  const conn = hub.open(socket(), { remoteAddress: '127.0.0.1', local: true });
  mock.timers.tick(6_000);
  hub.frame(conn, CONNECT, CONNECT.length);
  assert.ok(conn.running, 'the first frame activated the actor');
  assert.equal(conn.running.getSnapshot().value && JSON.stringify(conn.running.getSnapshot().value), '{"handshake":"admitting"}');
  mock.timers.tick(3_999);
  assert.deepEqual(ends, []);
  mock.timers.tick(1);
  assert.deepEqual(ends, ['1000 '], 'closed at 10 s from open');
  hub.socketClosed(conn);
});

test('a connection that said hello is not closed at the handshake deadline, and stays passivated', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const ends: string[] = [];
  const hub = new ConnectionHub({
    log, warnings: { warn() {} }, handshakeTimeoutMs: TIMEOUT, maxBufferedBytes: 1 << 30, directory: new ActorDirectory(),
    methods: new Set(['health']), dispatch() {},
    admit: () => ({ ok: true, admitted: { role: 'operator', scopes: ['operator.read'], hello: { type: 'hello-ok' }, client: {} } }),
  });
  const conn = hub.open({ send() {}, sendNumbered() {}, bufferedAmount: () => 0, end: (code, reason) => void ends.push(`${code} ${reason}`), terminate() {}, ping() {} },
    { remoteAddress: '127.0.0.1', local: true });
  hub.frame(conn, CONNECT, CONNECT.length);
  assert.equal(conn.authenticated, true);
  assert.equal(conn.running, undefined, 'passivated after hello');
  mock.timers.tick(TIMEOUT * 2);
  assert.deepEqual(ends, []);
  assert.equal(conn.running, undefined, 'still passivated');
  hub.socketClosed(conn);
});

test('a socket closed before its first frame leaves no timer and no actor; reading `actor` activates it', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const { hub, ends, socket } = setup();
  const quiet = hub.open(socket(), { remoteAddress: '127.0.0.1', local: true });
  hub.socketClosed(quiet);
  const read = hub.open(socket(), { remoteAddress: '127.0.0.1', local: true });
  assert.equal(JSON.stringify(read.actor?.getSnapshot().value), '{"handshake":"awaitingConnect"}');
  assert.ok(read.running);
  mock.timers.tick(TIMEOUT);
  assert.deepEqual(ends, ['1000 '], 'only the open socket timed out');
  hub.socketClosed(read);
  assert.equal(hub.size, 0);
});

test('an activated actor starts from the machine\'s initial state restored with its own context: the same state as one started from its input', () => {
  const input = { connId: 'c9', nonce: 'n9', preauthMaxBytes: 65_536, maxPendingFrames: 15, peer: { remoteAddress: '127.0.0.1', local: true }, methods: new Set(['health']) };
  const snapshot = activationSnapshot(connectionMachine, input);
  assert.ok(snapshot, 'the initial states run nothing on entry: restored');
  const restored = createActor(connectionMachine, { input, snapshot }).start().getSnapshot();
  const computed = createActor(connectionMachine, { input }).start().getSnapshot();
  assert.deepEqual(restored.value, computed.value);
  assert.deepEqual(restored.context, computed.context);
  assert.equal(restored.status, 'active');
});

test('a machine whose initial state ran an action on entry is started from its input (restoring would skip the action)', () => {
  const withEntry = createMachine({ ...connectionMachine.config, entry: () => {} }, connectionMachine.implementations) as unknown as typeof connectionMachine;
  const input = { connId: 'c9', nonce: 'n9', preauthMaxBytes: 65_536, maxPendingFrames: 15, peer: { remoteAddress: '127.0.0.1', local: true }, methods: new Set(['health']) };
  assert.equal(activationSnapshot(withEntry, input), undefined);
});
