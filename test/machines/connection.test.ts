import { test } from 'node:test';
import assert from 'node:assert/strict';
import { __unsafe_getAllOwnEventDescriptors, createActor, type ActorLogic, SimulatedClock, type SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths, getStateNodes, type StatePath } from '@xstate/graph';
import {
  admitInputOf,
  connectionMachine,
  type AdmitInput,
  type AdmitResult,
  type Admitted,
  type ConnectionEmitted,
  type ConnectionEvent,
  type ConnectionInput,
} from '../../src/machines/connection.js';
import { validateServerFrame } from '../../protocol/validators.js';
import { flush } from '../helpers/wait.js';

// Unit tests of the pure connection machine (openclaw-protocol.md §3, §4, §7), driven by events alone: no
// socket, no server. The `admit` action is a fake that records each call; the test answers it by hand (ADMITTED
// / ADMISSION_FAILED, as the hub does when admission settles), and the handshake deadline is the hub's
// HANDSHAKE_TIMEOUT event (its timing is tested with the hub, test/actors/connection-activation.test.ts).
// The second half generates paths through the machine with @xstate/graph
// and replays each one against a real actor.

const TIMEOUT_MS = 10_000;
const PREAUTH_MAX = 65_536;
const MAX_PENDING = 15;
const METHODS: ReadonlySet<string> = new Set([
  'health', 'status', 'chat.send', 'agent', 'sessions.list', 'node.event', 'node.invoke.result', 'node.pair.approve',
]);

const CONNECT_PARAMS = {
  minProtocol: 4,
  maxProtocol: 4,
  client: { id: 'test', version: '1.0.0', platform: 'linux', mode: 'test' },
};

type Frame = Record<string, unknown>;
type Snap = SnapshotFrom<typeof connectionMachine>;


const raw = (text: string, bytes = Buffer.byteLength(text)): ConnectionEvent => ({ type: 'FRAME', text, bytes });
const json = (value: unknown): ConnectionEvent => raw(JSON.stringify(value));
const req = (id: string, method: string, params?: unknown): ConnectionEvent =>
  json(params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params });
const connectReq = (id = 'c1', params: unknown = CONNECT_PARAMS) => req(id, 'connect', params);

const admitted = (role = 'operator', scopes: string[] = ['operator.admin']): Admitted => ({
  role, scopes, hello: { type: 'hello-ok', protocol: 4 }, client: { id: 'test', mode: 'test' },
});

const errorRes = (id: string, code: string, message: string, extra: Frame = {}) =>
  ({ type: 'res', id, ok: false, error: { code, message, ...extra } });

const missingScope = (scope: string, required: string[]) => ({
  code: 'FORBIDDEN',
  message: `missing scope: ${scope}`,
  details: { code: 'MISSING_SCOPE', missingScope: scope, requiredScopes: required },
});

interface AdmitCall {
  input: AdmitInput;
  resolve(result: AdmitResult): void;
  reject(err: unknown): void;
}

function harness(overrides: Partial<ConnectionInput> = {}) {
  const admits: AdmitCall[] = [];
  const clock = new SimulatedClock();
  const input: ConnectionInput = {
    connId: 'conn-1',
    nonce: 'nonce-1',
    preauthMaxBytes: PREAUTH_MAX,
    maxPendingFrames: MAX_PENDING,
    peer: { remoteAddress: '127.0.0.1', local: true },
    methods: METHODS,
    ...overrides,
  };
  const actor = createActor(connectionMachine.provide({
    actions: {
      admit: ({ context }) => void admits.push({
        input: admitInputOf(context),
        resolve: (output) => actor.send({ type: 'ADMITTED', output }),
        reject: (error) => actor.send({ type: 'ADMISSION_FAILED', error }),
      }),
    },
  }), { input, clock });
  const emitted: ConnectionEmitted[] = [];
  actor.on('*', (e) => { emitted.push(e); });
  actor.start();

  const h = {
    actor, clock, admits, emitted, input,
    send(event: ConnectionEvent) { actor.send(event); },
    value: () => actor.getSnapshot().value,
    done: () => actor.getSnapshot().status === 'done',
    /** Emitted events since the last take(), and forget them. */
    take(): ConnectionEmitted[] { return emitted.splice(0); },
    sends: () => emitted.flatMap((e) => (e.type === 'send' ? [e.frame] : [])),
    closes: () => emitted.flatMap((e) => (e.type === 'close' ? [{ code: e.code, reason: e.reason }] : [])),
    admitCall(): AdmitCall {
      const call = admits.at(-1);
      assert.ok(call, 'admit was never invoked');
      return call;
    },
    /** connect → admission ok → authenticated, with the emitted hello forgotten. */
    async authenticate(role = 'operator', scopes: string[] = ['operator.admin']) {
      actor.send(connectReq());
      h.admitCall().resolve({ ok: true, admitted: admitted(role, scopes) });
      await flush();
      assert.equal(h.value(), 'authenticated');
      h.take();
    },
  };
  return h;
}

const closeOf = (code: number, reason: string): ConnectionEmitted => ({ type: 'close', code, reason });
const sendOf = (frame: Frame): ConnectionEmitted => ({ type: 'send', frame });

function assertClosedWith(h: ReturnType<typeof harness>, emitted: ConnectionEmitted[], expected: ConnectionEmitted[]) {
  assert.deepEqual(emitted, expected);
  assert.equal(h.value(), 'closed');
  assert.ok(h.done(), 'closed is final: the actor is done');
  for (const e of emitted) if (e.type === 'send') assert.deepEqual(validateServerFrame(e.frame), { ok: true });
}

// ——— handshake: the first frame (§3.2) ———

test('starts in handshake.awaitingConnect and emits nothing', () => {
  const h = harness();
  assert.deepEqual(h.value(), { handshake: 'awaitingConnect' });
  assert.deepEqual(h.emitted, []);
});

test('non-JSON first frame: close 1000 with an empty reason, no res, no admission', () => {
  const h = harness();
  h.send(raw('{not json'));
  assertClosedWith(h, h.take(), [closeOf(1000, '')]);
  assert.equal(h.admits.length, 0);
});

for (const [name, value] of [
  ['an event frame', { type: 'event', event: 'tick' }],
  ['a res frame', { type: 'res', id: 'x', ok: true }],
  ['an object without type', { id: 'x', method: 'connect' }],
  ['an array', [{ type: 'req', id: 'x', method: 'connect' }]],
  ['null', null],
  ['a number', 42],
  ['a string', 'req'],
] as const) {
  test(`valid JSON that is not a req (${name}): close 1008 'invalid request frame', no res`, () => {
    const h = harness();
    h.send(json(value));
    assertClosedWith(h, h.take(), [closeOf(1008, 'invalid request frame')]);
    assert.equal(h.admits.length, 0);
  });
}

test('first request not connect: res INVALID_REQUEST then close 1008 with the message', () => {
  const h = harness();
  h.send(req('h1', 'health'));
  const message = 'invalid handshake: first request must be connect';
  assertClosedWith(h, h.take(), [sendOf(errorRes('h1', 'INVALID_REQUEST', message)), closeOf(1008, message)]);
  assert.equal(h.admits.length, 0);
});

test('malformed req as first frame: res with the frame error (id "invalid" when unusable), close 1008', () => {
  const extra = harness();
  extra.send(json({ type: 'req', id: 'c1', method: 'connect', params: CONNECT_PARAMS, extra: 1 }));
  const m1 = "invalid request frame: at root: unexpected property 'extra'";
  assertClosedWith(extra, extra.take(), [sendOf(errorRes('c1', 'INVALID_REQUEST', m1)), closeOf(1008, m1)]);

  const emptyId = harness();
  emptyId.send(json({ type: 'req', id: '', method: 'connect', params: CONNECT_PARAMS }));
  const [res, close] = emptyId.take();
  assert.ok(res.type === 'send', 'a res first');
  const error = res.frame.error as { code: string; message: string };
  assert.equal(res.frame.id, 'invalid');
  assert.equal(error.code, 'INVALID_REQUEST');
  assert.ok(error.message.startsWith('invalid request frame: '));
  assert.deepEqual(close, closeOf(1008, error.message));
  assert.deepEqual(validateServerFrame(res.frame), { ok: true });
  assert.ok(emptyId.done());
});

test('invalid connect params: res INVALID_REQUEST and close 1008 with the message', () => {
  const h = harness();
  h.send(connectReq('c1', { ...CONNECT_PARAMS, client: { ...CONNECT_PARAMS.client, id: 'bogus' } }));
  const message = 'invalid connect params: at /client/id: must be equal to one of the allowed values';
  assertClosedWith(h, h.take(), [sendOf(errorRes('c1', 'INVALID_REQUEST', message)), closeOf(1008, message)]);
  assert.equal(h.admits.length, 0);

  const missing = harness();
  missing.send(req('c2', 'connect'));
  assertClosedWith(missing, missing.take(), [
    sendOf(errorRes('c2', 'INVALID_REQUEST', 'invalid connect params: must be object')),
    closeOf(1008, 'invalid connect params: must be object'),
  ]);
});

test('a long 1008 message: full text in the res, close reason ≤ 120 bytes and not cut inside a character', () => {
  const h = harness();
  h.send(connectReq('c1', { ...CONNECT_PARAMS, ['é'.repeat(80)]: true }));
  const [res, close] = h.take();
  assert.ok(res.type === 'send' && close.type === 'close');
  const message = (res.frame.error as { message: string }).message;
  assert.equal(message, `invalid connect params: at root: unexpected property '${'é'.repeat(80)}'`);
  assert.equal(close.code, 1008);
  assert.ok(Buffer.byteLength(close.reason) <= 120, `${Buffer.byteLength(close.reason)} bytes`);
  assert.ok(Buffer.byteLength(close.reason) >= 119, 'truncation backs off at most one partial character');
  assert.ok(message.startsWith(close.reason));
  assert.ok(!close.reason.includes('\uFFFD'));
});

test('oversize pre-auth frame (bytes > preauthMaxBytes): close 1009, even when it is a valid connect', () => {
  const h = harness();
  const text = JSON.stringify({ type: 'req', id: 'c1', method: 'connect', params: CONNECT_PARAMS });
  h.send(raw(text, PREAUTH_MAX + 1));
  assertClosedWith(h, h.take(), [closeOf(1009, 'preauth payload too large')]);
  assert.equal(h.admits.length, 0);

  const atLimit = harness();
  atLimit.send(raw(text, PREAUTH_MAX));
  assert.deepEqual(atLimit.value(), { handshake: 'admitting' }, 'exactly preauthMaxBytes is accepted');
  assert.deepEqual(atLimit.take(), []);
});

test('a valid connect starts admission with connId, nonce, peer and params; nothing is sent yet', () => {
  const h = harness();
  h.send(connectReq());
  assert.deepEqual(h.value(), { handshake: 'admitting' });
  assert.deepEqual(h.take(), []);
  assert.equal(h.admits.length, 1);
  assert.deepEqual(h.admitCall().input, {
    connId: 'conn-1', nonce: 'nonce-1', peer: { remoteAddress: '127.0.0.1', local: true }, params: CONNECT_PARAMS,
  });
});

// ——— handshake: admission and held frames ———

test('admission ok: res ok with the hello payload for the connect id, then authenticated', async () => {
  const h = harness();
  h.send(connectReq('conn-req-7'));
  const a = admitted('operator', ['operator.read']);
  h.admitCall().resolve({ ok: true, admitted: a });
  await flush();
  assert.equal(h.value(), 'authenticated');
  assert.deepEqual(h.take(), [
    sendOf({ type: 'res', id: 'conn-req-7', ok: true, payload: a.hello }),
    { type: 'authenticated', admitted: a },
  ]);
  // the context keeps only what later decisions need, not the hello payload
  assert.deepEqual(h.actor.getSnapshot().context.admitted, { role: a.role, scopes: a.scopes });
});

test('frames held while admitting are handled after hello, in arrival order', async () => {
  const h = harness();
  h.send(connectReq());
  h.send(req('r1', 'health'));
  h.send(raw('not json'));
  h.send(req('r2', 'status', {}));
  h.send(req('r3', 'nope.method'));
  h.send(req('r4', 'sessions.list', {}));
  assert.deepEqual(h.take(), [], 'nothing is answered before hello');
  assert.equal(h.actor.getSnapshot().context.pending.length, 5);
  const a = admitted();
  h.admitCall().resolve({ ok: true, admitted: a });
  await flush();
  assert.deepEqual(h.take(), [
    sendOf({ type: 'res', id: 'c1', ok: true, payload: a.hello }),
    { type: 'authenticated', admitted: a },
    { type: 'request', request: { id: 'r1', method: 'health', params: {} } },
    { type: 'ignored', reason: 'non-JSON frame after hello' },
    { type: 'request', request: { id: 'r2', method: 'status', params: {} } },
    sendOf(errorRes('r3', 'INVALID_REQUEST', 'unknown method: nope.method')),
    { type: 'request', request: { id: 'r4', method: 'sessions.list', params: {} } },
  ]);
  assert.deepEqual(h.actor.getSnapshot().context.pending, []);
  assert.equal(h.value(), 'authenticated');
});

test('15 held frames are fine; the 16th closes 1008 "too many pending handshake frames"', async () => {
  const h = harness();
  h.send(connectReq());
  for (let i = 1; i <= MAX_PENDING; i++) h.send(req(`r${i}`, 'health'));
  assert.deepEqual(h.value(), { handshake: 'admitting' });
  assert.deepEqual(h.take(), []);
  h.send(req('r16', 'health'));
  assertClosedWith(h, h.take(), [closeOf(1008, 'too many pending handshake frames')]);
  // admission finishing later changes nothing
  h.admitCall().resolve({ ok: true, admitted: admitted() });
  await flush();
  assert.deepEqual(h.take(), []);
  assert.equal(h.value(), 'closed');
});

test('the pending limit only counts while connect is admitted: after hello many frames are fine', async () => {
  const h = harness();
  await h.authenticate();
  for (let i = 0; i < 3 * MAX_PENDING; i++) h.send(req(`r${i}`, 'health'));
  assert.equal(h.value(), 'authenticated');
  assert.equal(h.closes().length, 0);
  assert.equal(h.emitted.filter((e) => e.type === 'request').length, 3 * MAX_PENDING);
});

test('an oversize frame held while admitting closes 1009', () => {
  const h = harness();
  h.send(connectReq());
  h.send(raw(JSON.stringify({ type: 'req', id: 'r1', method: 'health' }), PREAUTH_MAX + 1));
  assertClosedWith(h, h.take(), [closeOf(1009, 'preauth payload too large')]);
});

test('admission refusal: res with the given error for the connect id, then close with the given code/reason', async () => {
  const h = harness();
  h.send(connectReq('c9'));
  h.send(req('r1', 'health'));
  const error = {
    code: 'INVALID_REQUEST', message: 'protocol mismatch',
    details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: 3, clientMaxProtocol: 3, expectedProtocol: 4, minimumProbeProtocol: 3 },
  };
  h.admitCall().resolve({ ok: false, error, close: { code: 1002, reason: 'protocol mismatch' } });
  await flush();
  assertClosedWith(h, h.take(), [sendOf({ type: 'res', id: 'c9', ok: false, error }), closeOf(1002, 'protocol mismatch')]);
});

test('admission refusal with a long close reason: the reason is truncated to ≤ 120 bytes', async () => {
  const h = harness();
  h.send(connectReq());
  const reason = `pairing required: device is not approved yet (requestId: ${'日本'.repeat(40)})`;
  h.admitCall().resolve({
    ok: false, error: { code: 'NOT_PAIRED', message: 'pairing required: device is not approved yet' }, close: { code: 1008, reason },
  });
  await flush();
  const [close] = h.closes();
  assert.equal(close.code, 1008);
  assert.ok(Buffer.byteLength(close.reason) <= 120);
  assert.ok(reason.startsWith(close.reason) && !close.reason.includes('\uFFFD'));
});

test('admit actor rejecting: res UNAVAILABLE (retryable) then close 1011', async () => {
  const h = harness();
  h.send(connectReq('c3'));
  h.admitCall().reject(new Error('store exploded'));
  await flush();
  assertClosedWith(h, h.take(), [
    sendOf(errorRes('c3', 'UNAVAILABLE', 'connect failed', { retryable: true, retryAfterMs: 1000 })),
    closeOf(1011, 'connect failed'),
  ]);
});

// ——— handshake deadline (the hub's HANDSHAKE_TIMEOUT) ———

test('handshake timeout before any frame: close 1000 with an empty reason, final state', () => {
  const h = harness();
  assert.deepEqual(h.value(), { handshake: 'awaitingConnect' });
  h.send({ type: 'HANDSHAKE_TIMEOUT' });
  assertClosedWith(h, h.take(), [closeOf(1000, '')]);
});

test('handshake timeout while admission is still running: close 1000 "", a late admission is ignored', async () => {
  const h = harness();
  h.send(connectReq());
  assert.deepEqual(h.value(), { handshake: 'admitting' });
  h.send({ type: 'HANDSHAKE_TIMEOUT' });
  assertClosedWith(h, h.take(), [closeOf(1000, '')]);
  h.admitCall().resolve({ ok: true, admitted: admitted() });
  await flush();
  assert.deepEqual(h.take(), []);
});

test('no handshake timeout once authenticated, and the machine schedules nothing of its own', async () => {
  const h = harness();
  await h.authenticate();
  h.send({ type: 'HANDSHAKE_TIMEOUT' }); // a late timer (the hub clears it at hello)
  h.clock.increment(TIMEOUT_MS * 10);
  assert.equal(h.value(), 'authenticated');
  assert.deepEqual(h.take(), []);
  const fresh = harness();
  fresh.clock.increment(TIMEOUT_MS * 10);
  assert.deepEqual(fresh.value(), { handshake: 'awaitingConnect' }, 'no timer in the machine: the deadline is the hub\'s');
});

// ——— after hello (§2, §3.2, §7) ———

test('after hello: a non-JSON frame is ignored and the socket stays open', async () => {
  const h = harness();
  await h.authenticate();
  h.send(raw('}{'));
  assert.deepEqual(h.take(), [{ type: 'ignored', reason: 'non-JSON frame after hello' }]);
  assert.equal(h.value(), 'authenticated');
});

test('after hello: an invalid frame gets a res with the frame id, or "invalid", and the socket stays open', async () => {
  const h = harness();
  await h.authenticate();
  h.send(json({ type: 'req', id: 'x1', method: '' }));
  h.send(json({ type: 'req', method: 'health' }));
  h.send(json({ type: 'req', id: 7, method: 'health' }));
  h.send(json({ type: 'req', id: '', method: 'health' }));
  h.send(json(null));
  h.send(json({ type: 'req', id: 'x2', method: 'health', extra: true }));
  const sends = h.sends();
  assert.deepEqual(sends[0], errorRes('x1', 'INVALID_REQUEST', 'invalid request frame: at /method: must not have fewer than 1 characters'));
  assert.deepEqual(sends.map((f) => f.id), ['x1', 'invalid', 'invalid', 'invalid', 'invalid', 'x2']);
  assert.deepEqual(sends[5], errorRes('x2', 'INVALID_REQUEST', "invalid request frame: at root: unexpected property 'extra'"));
  for (const f of sends) {
    assert.equal((f.error as Frame).code, 'INVALID_REQUEST');
    assert.ok(String((f.error as Frame).message).startsWith('invalid request frame: '));
    assert.deepEqual(validateServerFrame(f), { ok: true }, `emitted frame must validate: ${JSON.stringify(f)}`);
  }
  assert.equal(h.emitted.length, 6, 'one res per frame, nothing else');
  assert.equal(h.value(), 'authenticated');
});

test('connect again with operator.admin: INVALID_REQUEST "connect is only valid as the first request", stays open', async () => {
  const h = harness();
  await h.authenticate('operator', ['operator.admin']);
  h.send(connectReq('c2'));
  assert.deepEqual(h.take(), [sendOf(errorRes('c2', 'INVALID_REQUEST', 'connect is only valid as the first request'))]);
  assert.equal(h.value(), 'authenticated');
  assert.equal(h.admits.length, 1, 'no second admission');
});

test('connect again without operator.admin: FORBIDDEN missing scope operator.admin, stays open', async () => {
  const h = harness();
  await h.authenticate('operator', ['operator.read', 'operator.write', 'operator.pairing']);
  h.send(connectReq('c2'));
  assert.deepEqual(h.take(), [sendOf({ type: 'res', id: 'c2', ok: false, error: missingScope('operator.admin', ['operator.admin']) })]);
  assert.equal(h.value(), 'authenticated');
  assert.equal(h.admits.length, 1);
});

test('role gate: node-only method from an operator, operator method from a node', async () => {
  const op = harness();
  await op.authenticate('operator', ['operator.admin']);
  op.send(req('n1', 'node.invoke.result', { id: 'i', nodeId: 'n', ok: true }));
  op.send(req('n2', 'skills.bins'));
  assert.deepEqual(op.take(), [
    sendOf(errorRes('n1', 'INVALID_REQUEST', 'unauthorized role: operator')),
    sendOf(errorRes('n2', 'INVALID_REQUEST', 'unauthorized role: operator')),
  ]);

  const node = harness();
  await node.authenticate('node', []);
  node.send(req('s1', 'status', {}));
  node.send(req('s2', 'nope.method'));
  assert.deepEqual(node.take(), [
    sendOf(errorRes('s1', 'INVALID_REQUEST', 'unauthorized role: node')),
    sendOf(errorRes('s2', 'INVALID_REQUEST', 'unauthorized role: node')),
  ]);
  // health bypasses the gate; node methods pass for nodes without scope checks
  node.send(req('h1', 'health'));
  node.send(req('e1', 'node.event', { event: 'x' }));
  assert.deepEqual(node.take(), [
    { type: 'request', request: { id: 'h1', method: 'health', params: {} } },
    { type: 'request', request: { id: 'e1', method: 'node.event', params: { event: 'x' } } },
  ]);
  assert.equal(node.value(), 'authenticated');
});

test('missing scope: FORBIDDEN "missing scope: <scope>" with MISSING_SCOPE details; implied scopes pass', async () => {
  const h = harness();
  await h.authenticate('operator', ['operator.read', 'operator.pairing']);
  h.send(req('w1', 'chat.send', { sessionKey: 'k', message: 'hi', idempotencyKey: 'i' }));
  h.send(req('w2', 'node.pair.approve', { requestId: 'r' }));
  h.send(req('w3', 'nope.method'));
  assert.deepEqual(h.take(), [
    sendOf({ type: 'res', id: 'w1', ok: false, error: missingScope('operator.write', ['operator.write']) }),
    sendOf({ type: 'res', id: 'w2', ok: false, error: missingScope('operator.write', ['operator.pairing', 'operator.write']) }),
    sendOf({ type: 'res', id: 'w3', ok: false, error: missingScope('operator.admin', ['operator.admin']) }),
  ]);

  const writer = harness();
  await writer.authenticate('operator', ['operator.write']);
  writer.send(req('r1', 'status', {}));
  assert.deepEqual(writer.take(), [{ type: 'request', request: { id: 'r1', method: 'status', params: {} } }], 'write ⇒ read');
});

test('unknown method (not in input.methods): INVALID_REQUEST "unknown method: <name>" once authorized', async () => {
  const h = harness({ methods: new Set(['health']) });
  await h.authenticate('operator', ['operator.admin']);
  h.send(req('u1', 'nope.method'));
  h.send(req('u2', 'status', {}));
  assert.deepEqual(h.take(), [
    sendOf(errorRes('u1', 'INVALID_REQUEST', 'unknown method: nope.method')),
    sendOf(errorRes('u2', 'INVALID_REQUEST', 'unknown method: status')),
  ]);
  assert.equal(h.value(), 'authenticated');
});

test('invalid params: INVALID_REQUEST "invalid <method> params: <message>"', async () => {
  const h = harness();
  await h.authenticate('operator', ['operator.admin']);
  h.send(req('a1', 'agent', { message: 'hi' }));
  h.send(req('a2', 'status', { bogus: 1 }));
  const [r1, r2] = h.sends();
  assert.deepEqual(r1, errorRes('a1', 'INVALID_REQUEST', "invalid agent params: must have required property 'idempotencyKey'"));
  assert.equal(r2.id, 'a2');
  assert.ok(String((r2.error as Frame).message).startsWith('invalid status params: '));
  assert.equal(h.emitted.filter((e) => e.type === 'request').length, 0);
});

test('an authorized, valid request is emitted as `request` (absent params become {})', async () => {
  const h = harness();
  await h.authenticate('operator', ['operator.write']);
  const params = { sessionKey: 'agent:main:main', message: 'hello', idempotencyKey: 'idem-1' };
  h.send(req('s1', 'chat.send', params));
  h.send(req('h1', 'health'));
  h.send(json({ type: 'req', id: 't1', method: 'health', params: {}, traceparent: '00-abc-def-01' }));
  assert.deepEqual(h.take(), [
    { type: 'request', request: { id: 's1', method: 'chat.send', params } },
    { type: 'request', request: { id: 'h1', method: 'health', params: {} } },
    { type: 'request', request: { id: 't1', method: 'health', params: {} } },
  ]);
});

// ——— flood guard (§7.2) ———

test('flood guard: 10 role-unauthorized answers are tolerated, the 11th closes 1008 "repeated unauthorized calls"', async () => {
  const h = harness();
  await h.authenticate('operator', ['operator.admin']);
  for (let i = 1; i <= 10; i++) h.send(req(`u${i}`, 'node.event', { event: 'x' }));
  assert.equal(h.value(), 'authenticated');
  assert.equal(h.closes().length, 0);
  assert.equal(h.sends().length, 10);
  h.take();
  h.send(req('u11', 'node.event', { event: 'x' }));
  assertClosedWith(h, h.take(), [
    sendOf(errorRes('u11', 'INVALID_REQUEST', 'unauthorized role: operator')),
    closeOf(1008, 'repeated unauthorized calls'),
  ]);
});

test('flood guard: an authorized call resets the streak', async () => {
  const h = harness();
  await h.authenticate('node', []);
  for (let i = 1; i <= 10; i++) h.send(req(`u${i}`, 'status', {}));
  h.send(req('ok', 'health'));
  for (let i = 11; i <= 20; i++) h.send(req(`u${i}`, 'status', {}));
  assert.equal(h.value(), 'authenticated', '10 + authorized + 10 is not 11 consecutive');
  assert.equal(h.closes().length, 0);
  assert.equal(h.actor.getSnapshot().context.unauthorizedStreak, 10);
  h.send(req('u21', 'status', {}));
  assert.deepEqual(h.closes(), [{ code: 1008, reason: 'repeated unauthorized calls' }]);
  assert.ok(h.done());
});

test('flood guard counts held frames replayed after hello', async () => {
  const h = harness();
  h.send(connectReq());
  for (let i = 1; i <= 11; i++) h.send(req(`u${i}`, 'node.event', { event: 'x' }));
  h.admitCall().resolve({ ok: true, admitted: admitted() });
  await flush();
  assert.deepEqual(h.closes(), [{ code: 1008, reason: 'repeated unauthorized calls' }]);
  assert.equal(h.emitted.at(-1)?.type, 'close');
  assert.ok(h.done());
});

// ——— CLOSE / SOCKET_CLOSED ———

test('CLOSE: close emitted with the given code and reason, final state, from every live state', async () => {
  const a = harness();
  a.send({ type: 'CLOSE', code: 1012, reason: 'service restart' });
  assertClosedWith(a, a.take(), [closeOf(1012, 'service restart')]);

  const b = harness();
  b.send(connectReq());
  b.send({ type: 'CLOSE', code: 1012, reason: 'service restart' });
  assertClosedWith(b, b.take(), [closeOf(1012, 'service restart')]);
  b.admitCall().resolve({ ok: true, admitted: admitted() });
  await flush();
  assert.deepEqual(b.take(), [], 'no hello after the close');

  const c = harness();
  await c.authenticate();
  c.send({ type: 'CLOSE', code: 4001, reason: 'device removed' });
  assertClosedWith(c, c.take(), [closeOf(4001, 'device removed')]);
});

test('CLOSE: the reason is truncated to ≤ 120 bytes without splitting a UTF-8 character', async () => {
  const cases: [string, string][] = [
    ['a'.repeat(200), 'a'.repeat(120)],
    ['a'.repeat(120), 'a'.repeat(120)],
    ['é'.repeat(100), 'é'.repeat(60)], // 2-byte characters, boundary falls between characters
    [`${'a'.repeat(119)}é`, 'a'.repeat(119)], // boundary inside a 2-byte character
    [`${'a'.repeat(118)}€`, 'a'.repeat(118)], // boundary inside a 3-byte character
    [`${'a'.repeat(117)}€`, `${'a'.repeat(117)}€`], // exactly 120 bytes
    [`${'a'.repeat(117)}😀b`, 'a'.repeat(117)], // boundary inside a 4-byte character
    ['', ''],
  ];
  for (const [reason, expected] of cases) {
    const h = harness();
    await h.authenticate();
    h.send({ type: 'CLOSE', code: 4001, reason });
    const [close] = h.closes();
    assert.equal(close.reason, expected, `reason of ${Buffer.byteLength(reason)} bytes`);
    assert.ok(Buffer.byteLength(close.reason) <= 120);
    assert.ok(!close.reason.includes('\uFFFD'));
  }
});

test('SOCKET_CLOSED: final state from every live state, nothing emitted', async () => {
  const a = harness();
  a.send({ type: 'SOCKET_CLOSED' });
  assertClosedWith(a, a.take(), []);
  a.clock.increment(TIMEOUT_MS * 2);
  assert.deepEqual(a.take(), [], 'the handshake timer is cancelled');

  const b = harness();
  b.send(connectReq());
  b.send(req('r1', 'health'));
  b.send({ type: 'SOCKET_CLOSED' });
  assertClosedWith(b, b.take(), []);
  b.admitCall().resolve({ ok: true, admitted: admitted() });
  await flush();
  assert.deepEqual(b.take(), [], 'no hello and no held frames after the socket is gone');

  const c = harness();
  await c.authenticate();
  c.send({ type: 'SOCKET_CLOSED' });
  assertClosedWith(c, c.take(), []);
});

// ——— model-based paths (@xstate/graph) ———
//
// The graph walks the machine with pure transitions. Admission is represented by its answers (ADMITTED with
// an ok or refused output, ADMISSION_FAILED), the handshake deadline by HANDSHAKE_TIMEOUT; the replay turns
// admission's answers into answering the fake admit's call. States are identified by value only, so
// the graph is the four-state handshake graph (context growth, e.g. held frames, stays within a state).

const SAMPLE_ADMITTED = admitted('operator', ['operator.admin']);
const SAMPLE_REFUSAL: AdmitResult = {
  ok: false,
  error: { code: 'INVALID_REQUEST', message: 'invalid role' },
  close: { code: 1008, reason: 'invalid role' },
};
const SAMPLE_FRAMES = {
  connect: connectReq('c1'),
  nonJson: raw('not json'),
  nonReq: json({ type: 'event', event: 'tick' }),
  health: req('h1', 'health'),
};

type GraphEvent = ConnectionEvent | { type: string; output?: AdmitResult; error?: unknown };

/** The finite sample of events offered in a state: only types that state (or an ancestor) handles. */
function sampleEvents(snapshot: Snap): ConnectionEvent[] {
  const out: GraphEvent[] = [];
  for (const type of __unsafe_getAllOwnEventDescriptors(snapshot)) {
    if (type === 'FRAME') out.push(...Object.values(SAMPLE_FRAMES));
    else if (type === 'CLOSE') out.push({ type: 'CLOSE', code: 1012, reason: 'service restart' });
    else if (type === 'SOCKET_CLOSED') out.push({ type: 'SOCKET_CLOSED' });
    else if (type === 'ADMITTED') {
      out.push({ type, output: { ok: true, admitted: SAMPLE_ADMITTED } }, { type, output: SAMPLE_REFUSAL });
    } else if (type === 'ADMISSION_FAILED') out.push({ type, error: new Error('admission crashed') });
    else if (type === 'HANDSHAKE_TIMEOUT') out.push({ type });
  }
  return out as ConnectionEvent[];
}

const GRAPH_INPUT: ConnectionInput = {
  connId: 'conn-1', nonce: 'nonce-1', preauthMaxBytes: PREAUTH_MAX,
  maxPendingFrames: MAX_PENDING, peer: { remoteAddress: '127.0.0.1', local: true }, methods: METHODS,
};
const graphOptions = {
  input: GRAPH_INPUT,
  events: sampleEvents,
  serializeState: (s: Snap) => JSON.stringify(s.value),
};

/** Every state node path ('handshake', 'handshake.admitting', …) active in a state value. */
function activePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    out.push(prefix + key, ...activePaths(child, `${prefix}${key}.`));
  }
  return out;
}
const ALL_STATES = getStateNodes(connectionMachine.root).map((n) => n.path.join('.')).sort();
const valueKey = (value: unknown) => activePaths(value).sort().at(-1)!;
const describe = (e: GraphEvent) =>
  e.type === 'FRAME' ? `FRAME ${(e as { text: string }).text}` : 'output' in e ? `${e.type} ok=${e.output?.ok}` : e.type;

type Path = StatePath<Snap, ConnectionEvent>;

/** Drive a real actor through the path's events; the state after each step must match the model's. */
async function replay(path: Path) {
  const h = harness();
  const steps = path.steps.filter((s) => (s.event as GraphEvent).type !== 'xstate.init');
  const trail: string[] = [];
  for (const step of steps) {
    const event = step.event as GraphEvent;
    trail.push(describe(event));
    if (event.type === 'ADMITTED') {
      h.admitCall().resolve((event as { output: AdmitResult }).output);
      await flush();
    } else if (event.type === 'ADMISSION_FAILED') {
      h.admitCall().reject((event as { error: unknown }).error);
      await flush();
    } else {
      h.send(event as ConnectionEvent);
    }
    assert.deepEqual(h.value(), step.state.value, `state after ${trail.join(' → ')}`);
    assert.equal(h.actor.getSnapshot().status, step.state.status, `status after ${trail.join(' → ')}`);
  }
  return { h, steps: steps.map((s) => ({ event: s.event as GraphEvent, value: s.state.value })), trail };
}

/** The close a final step must produce, from the state it left and the event it took. */
function expectedClose(before: unknown, event: GraphEvent): { sends: Frame[]; close: { code: number; reason: string } | null } {
  const from = valueKey(before);
  switch (true) {
    case event.type === 'SOCKET_CLOSED':
      return { sends: [], close: null };
    case event.type === 'CLOSE':
      return { sends: [], close: { code: (event as { code: number }).code, reason: (event as { reason: string }).reason } };
    case event.type === 'HANDSHAKE_TIMEOUT':
      return { sends: [], close: { code: 1000, reason: '' } };
    case event.type === 'ADMISSION_FAILED':
      return {
        sends: [errorRes('c1', 'UNAVAILABLE', 'connect failed', { retryable: true, retryAfterMs: 1000 })],
        close: { code: 1011, reason: 'connect failed' },
      };
    case event.type === 'ADMITTED': {
      const output = (event as { output: AdmitResult }).output;
      assert.ok(!output.ok, 'only a refusal closes from admitting');
      return { sends: [{ type: 'res', id: 'c1', ok: false, error: output.error }], close: output.close };
    }
    case event === SAMPLE_FRAMES.nonJson && from === 'handshake.awaitingConnect':
      return { sends: [], close: { code: 1000, reason: '' } };
    case event === SAMPLE_FRAMES.nonReq && from === 'handshake.awaitingConnect':
      return { sends: [], close: { code: 1008, reason: 'invalid request frame' } };
    case event === SAMPLE_FRAMES.health && from === 'handshake.awaitingConnect': {
      const message = 'invalid handshake: first request must be connect';
      return { sends: [errorRes('h1', 'INVALID_REQUEST', message)], close: { code: 1008, reason: message } };
    }
    default:
      throw new Error(`unexpected transition to closed from ${from} via ${describe(event)}`);
  }
}

/** What was emitted must agree with where the path ended. */
function assertConsistent(run: Awaited<ReturnType<typeof replay>>) {
  const { h, steps, trail } = run;
  const where = trail.join(' → ') || '(initial)';
  const emitted = h.emitted;
  const final = valueKey(h.value());
  const reachedAuthenticated = steps.some((s) => s.value === 'authenticated');
  const hellos = emitted.filter((e) => e.type === 'send' && e.frame.ok === true);
  const auths = emitted.filter((e) => e.type === 'authenticated');
  const closes = emitted.filter((e) => e.type === 'close');

  for (const e of emitted) if (e.type === 'send') assert.deepEqual(validateServerFrame(e.frame), { ok: true }, where);
  assert.ok(closes.length <= 1, `at most one close: ${where}`);
  if (closes.length) assert.equal(emitted.at(-1), closes[0], `nothing after the close: ${where}`);
  // hello (exactly one ok res for the connect id, then `authenticated`) iff the path went through authenticated
  assert.equal(auths.length, reachedAuthenticated ? 1 : 0, `authenticated: ${where}`);
  assert.equal(hellos.length, reachedAuthenticated ? 1 : 0, `hello res: ${where}`);
  if (reachedAuthenticated) {
    const i = emitted.indexOf(hellos[0]);
    assert.deepEqual(hellos[0], sendOf({ type: 'res', id: 'c1', ok: true, payload: SAMPLE_ADMITTED.hello }), where);
    assert.ok(emitted.slice(0, i).every((e) => e.type !== 'send'), `nothing sent before hello: ${where}`);
    assert.deepEqual(emitted[i + 1], { type: 'authenticated', admitted: SAMPLE_ADMITTED }, where);
  }

  if (final.startsWith('handshake.')) {
    assert.deepEqual(emitted, [], `nothing is emitted while the handshake is open: ${where}`);
  } else if (final === 'authenticated') {
    assert.equal(closes.length, 0, where);
    assert.ok(reachedAuthenticated);
  } else {
    assert.equal(final, 'closed');
    assert.ok(h.done(), `closed is final: ${where}`);
    const last = steps.at(-1)!;
    const before = steps.length > 1 ? steps.at(-2)!.value : { handshake: 'awaitingConnect' };
    const expected = expectedClose(before, last.event);
    if (expected.close === null) {
      assert.equal(closes.length, 0, `SOCKET_CLOSED emits no close: ${where}`);
    } else {
      assert.deepEqual(closes, [closeOf(expected.close.code, expected.close.reason)], `close: ${where}`);
      // the res sent by the closing step come right before the close
      const tail = emitted.slice(emitted.length - 1 - expected.sends.length, -1);
      assert.deepEqual(tail, expected.sends.map(sendOf), `res before the close: ${where}`);
    }
  }
}

test('graph: the machine has exactly the handshake → authenticated → closed states', () => {
  assert.deepEqual(ALL_STATES, ['authenticated', 'closed', 'handshake', 'handshake.admitting', 'handshake.awaitingConnect']);
});

test('graph: shortest paths reach every state; replayed, each run is consistent', async () => {
  const paths = getShortestPaths(connectionMachine, graphOptions) as Path[];
  const reached = new Set(paths.flatMap((p) => activePaths(p.state.value)));
  assert.deepEqual([...reached].sort(), ALL_STATES);
  for (const path of paths) assertConsistent(await replay(path));
});

test('graph: every simple path, replayed against a real actor, emits what its final state implies', async () => {
  const paths = getSimplePaths(connectionMachine, graphOptions) as Path[];
  const covered = new Set<string>();
  const endings = new Map<string, number>();
  for (const path of paths) {
    for (const step of path.steps) for (const p of activePaths(step.state.value)) covered.add(p);
    const key = valueKey(path.state.value);
    endings.set(key, (endings.get(key) ?? 0) + 1);
    assertConsistent(await replay(path));
  }
  assert.deepEqual([...covered].sort(), ALL_STATES, 'every state is on at least one path');
  // every ending is represented, and closed is reached every way the machine closes
  assert.deepEqual([...endings.keys()].sort(), ['authenticated', 'closed', 'handshake.admitting', 'handshake.awaitingConnect']);
  const toClosed = paths.filter((p) => p.state.value === 'closed').map((p) => describe(p.steps.at(-1)!.event as GraphEvent));
  for (const how of [
    'FRAME not json', `FRAME ${(SAMPLE_FRAMES.nonReq as { text: string }).text}`, `FRAME ${(SAMPLE_FRAMES.health as { text: string }).text}`,
    'CLOSE', 'SOCKET_CLOSED', 'HANDSHAKE_TIMEOUT',
  ]) {
    assert.ok(toClosed.includes(how), `some path closes via ${how}`);
  }
  assert.ok(toClosed.includes('ADMITTED ok=false'), 'a path closes via refusal');
  assert.ok(toClosed.includes('ADMISSION_FAILED'), 'a path closes via admit failure');
  assert.equal(paths.length, 16, "simple paths over the sampled events");
});

test('graph: every transition of the sampled adjacency map (self-loops included) replays consistently', async () => {
  const adjacency = getAdjacencyMap(connectionMachine as unknown as ActorLogic<Snap, ConnectionEvent, ConnectionInput>, graphOptions);
  const shortest = new Map((getShortestPaths(connectionMachine, graphOptions) as Path[]).map((p) => [JSON.stringify(p.state.value), p]));
  let edges = 0;
  for (const [from, { state, transitions }] of Object.entries(adjacency)) {
    if (state.status === 'done') continue; // a final actor takes no events
    const head = shortest.get(from);
    assert.ok(head, `a shortest path to ${from}`);
    for (const { event, state: next } of Object.values(transitions) as { event: ConnectionEvent; state: Snap }[]) {
      edges++;
      const path: Path = { state: next, weight: head.weight + 1, steps: [...head.steps, { event, state: next }] };
      assertConsistent(await replay(path));
    }
  }
  // awaitingConnect: 4 frames + CLOSE + SOCKET_CLOSED + timeout; admitting: 4 frames + CLOSE + SOCKET_CLOSED +
  // timeout + done(ok) + done(refused) + error; authenticated: 4 frames + CLOSE + SOCKET_CLOSED
  assert.equal(edges, 7 + 10 + 6);
});
