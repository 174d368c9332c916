import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pino } from 'pino';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { ConnectionHub, type Connection, type WsSocket } from '../../src/actors/connection-hub.js';
import type { NumberedFrame } from '../../src/core/ws-socket.js';
import { ActorDirectory } from '../../src/actors/supervise.js';
import type { AdmitResult, Request } from '../../src/machines/connection.js';
import { flush } from '../helpers/wait.js';

// Passivation (issue 16): after hello an idle connection's actor is stopped and rebuilt from a compact record
// for its next frame or server close. The property: for random client frame sequences (valid and invalid
// JSON, known, unknown and scope-denied methods, connect again, bad params, role-denied calls up to the flood
// close, server closes, socket closes, answers to requests in flight), a connection passivated between any
// two steps answers exactly like one that never is: same frames sent, same closes, same requests dispatched,
// same hooks and counters, in the same order. Driven by events; no clock is read by any assertion.

const log = pino({ level: 'silent' });
const METHODS = ['health', 'status', 'chat.send', 'sessions.list', 'node.event', 'node.invoke.result', 'node.pair.approve'];
const SCOPES = ['operator.read', 'operator.write', 'operator.admin', 'operator.pairing'];
const CONNECT_PARAMS = { minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' } };

/** A socket that records what the hub does to it; a close reaches the hub in a microtask, as uWS does. */
class RecordingSocket implements WsSocket {
  constructor(private readonly out: string[], private readonly closed: () => void) {}
  private done = false;
  send(text: string): void {
    if (!this.done) this.out.push(`send ${text}`);
  }
  sendNumbered(frame: NumberedFrame, n: number): void { this.send(frame.text(n)); }
  bufferedAmount(): number { return 0; }
  end(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.out.push(`end ${code} ${reason}`);
    queueMicrotask(this.closed);
  }
  terminate(): void { this.end(1006, ''); }
  ping(): void {}
}

type Admission = { ok: true; role: string; scopes: string[] } | { ok: false };
type Step =
  | { kind: 'frame'; text: string }
  | { kind: 'serverClose'; code: number; reason: string }
  | { kind: 'socketClosed' }
  | { kind: 'answer' };

/** How the subject connection is treated between steps. */
type Mode = 'never' | 'auto' | 'random';

/** Runs one sequence against a fresh hub; returns everything observable, in order. */
async function run(mode: Mode, admission: Admission, steps: Step[], passivateAt: boolean[]): Promise<{ out: string[]; passivations: number }> {
  const out: string[] = [];
  const inFlight: { conn: Connection; req: Request }[] = [];
  const hub: ConnectionHub = new ConnectionHub({
    log, warnings: { warn: (msg) => void out.push(`warn ${msg}`) }, handshakeTimeoutMs: 600_000, maxBufferedBytes: 1 << 30,
    directory: new ActorDirectory(), methods: new Set(METHODS), passivate: mode === 'auto',
    admit: async (): Promise<AdmitResult> => admission.ok
      ? { ok: true, admitted: { role: admission.role, scopes: admission.scopes, hello: { type: 'hello-ok' }, client: { id: 'test' } } }
      : { ok: false, error: { code: 'INVALID_REQUEST', message: 'refused' }, close: { code: 1008, reason: 'refused' } },
    dispatch: (conn, req) => {
      out.push(`request ${req.id} ${req.method} ${JSON.stringify(req.params)}`);
      if (req.method === 'health') hub.respond(conn, req.id, true, { ok: true }); // answered at once
      else if (req.method === 'sessions.list') { // answered, then the socket closed, while the actor is mid-step (as device.pair.remove does)
        hub.respond(conn, req.id, true, {});
        hub.close(conn, 4001, 'device removed');
      } else inFlight.push({ conn, req }); // answered by a later `answer` step
    },
    onAuthenticated: (conn, admitted) => void out.push(`authenticated ${admitted.role} ${conn.scopes.join(',')}`),
    onClosed: () => void out.push('closed'),
  });
  let passivations = 0;
  const socketOut: string[] = [];
  const conn = hub.open(new RecordingSocket(socketOut, () => hub.socketClosed(conn)), { remoteAddress: '127.0.0.1', local: true });
  const settle = async () => {
    await flush();
    out.push(...socketOut.splice(0).filter((line) => !line.includes('connect.challenge'))); // the challenge holds a random nonce
  };
  await settle();
  for (const [i, step] of steps.entries()) {
    switch (step.kind) {
      case 'frame': hub.frame(conn, step.text, Buffer.byteLength(step.text)); break;
      case 'serverClose': hub.close(conn, step.code, step.reason); break;
      case 'socketClosed': hub.socketClosed(conn); break;
      case 'answer': {
        const next = inFlight.shift();
        if (next) hub.respond(next.conn, next.req.id, true, { answered: next.req.method });
        break;
      }
    }
    await settle();
    if (mode === 'random' && passivateAt[i % passivateAt.length] && hub.passivateIfIdle(conn)) passivations++;
    if (mode === 'auto' && hub.passivated === 1) passivations++;
  }
  hub.socketClosed(conn); // ends a connection the sequence left open (and its handshake timer)
  await settle();
  out.push(`stats ${JSON.stringify(hub.stats)} size ${hub.size} authenticated ${hub.authenticatedCount} passivated ${hub.passivated}`);
  return { out, passivations };
}

const req = (id: unknown, method: unknown, params?: unknown) => JSON.stringify(params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params });

const frameText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant(req('c1', 'connect', CONNECT_PARAMS)), weight: 2 },
  { arbitrary: fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom(...METHODS, 'no.such.method', 'connect')).map(([id, m]) => req(id, m, {})), weight: 6 },
  { arbitrary: fc.constantFrom(...METHODS).map((m) => req('p', m, { sessionKey: 'agent:main:x', message: 'hi', idempotencyKey: 'k' })), weight: 2 },
  { arbitrary: fc.constantFrom('node.event', 'node.invoke.result').map((m) => req('n', m, {})), weight: 3 }, // role-denied for operators
  { arbitrary: fc.constantFrom('{not json', '[]', 'null', '{"type":"event","event":"x"}', req('', 'health'), req(7, 'health'), req('b', 'chat.send', 'bad')), weight: 2 },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: frameText.map((text) => ({ kind: 'frame' as const, text })), weight: 12 },
  { arbitrary: fc.constant({ kind: 'answer' as const }), weight: 2 },
  { arbitrary: fc.tuple(fc.constantFrom(1000, 1008, 1012, 4001), fc.constantFrom('', 'device removed', 'é'.repeat(80))).map(([code, reason]) => ({ kind: 'serverClose' as const, code, reason })), weight: 1 },
  { arbitrary: fc.constant({ kind: 'socketClosed' as const }), weight: 1 },
);

const admission: fc.Arbitrary<Admission> = fc.oneof(
  { arbitrary: fc.record({ ok: fc.constant(true as const), role: fc.constantFrom('operator', 'node'), scopes: fc.subarray(SCOPES) }), weight: 9 },
  { arbitrary: fc.constant({ ok: false as const }), weight: 1 },
);

// runs of role-denied calls long enough to reach the flood guard (more than 10 in a row)
const flood: fc.Arbitrary<Step[]> = fc.integer({ min: 5, max: 12 }).map((n) =>
  Array.from({ length: n }, (_, i) => ({ kind: 'frame' as const, text: req(`f${i}`, 'node.event', {}) })));

// most sequences start with a valid connect, so that most of them reach the authenticated state
const sequence = fc.tuple(fc.boolean(), fc.array(fc.oneof({ arbitrary: step.map((s) => [s]), weight: 8 }, { arbitrary: flood, weight: 1 }), { maxLength: 20 }))
  .map(([bad, groups]) => [...(bad ? [] : [{ kind: 'frame' as const, text: req('c1', 'connect', CONNECT_PARAMS) }]), ...groups.flat()]);

test('a connection passivated between any two frames answers exactly like one that never is', async () => {
  let passivated = 0;
  await fc.assert(fc.asyncProperty(admission, sequence, fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }), async (adm, steps, at) => {
    const reference = await run('never', adm, steps, at);
    const random = await run('random', adm, steps, at);
    const auto = await run('auto', adm, steps, at);
    assert.equal(reference.passivations, 0);
    assert.deepEqual(random.out, reference.out);
    assert.deepEqual(auto.out, reference.out);
    passivated += random.passivations + auto.passivations;
  }), { numRuns: 150, seed: 20261207 });
  assert.ok(passivated > 200, `connections were passivated along the way (${passivated} times)`);
});

test('flood guard: the unauthorized streak survives passivation (close after the 11th role-denied call)', async () => {
  const steps: Step[] = [{ kind: 'frame', text: req('c1', 'connect', CONNECT_PARAMS) }];
  for (let i = 0; i < 12; i++) steps.push({ kind: 'frame', text: req(`n${i}`, 'node.event', {}) });
  const adm: Admission = { ok: true, role: 'operator', scopes: ['operator.read'] };
  const reference = await run('never', adm, steps, []);
  const auto = await run('auto', adm, steps, []);
  assert.deepEqual(auto.out, reference.out);
  assert.ok(auto.passivations >= 10, `passivated between the calls (${auto.passivations})`);
  assert.ok(auto.out.includes('end 1008 repeated unauthorized calls'), auto.out.join('\n'));
});

test('memory: an idle authenticated connection holds its compact record, not an actor (heap per connection)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const hub = new ConnectionHub({
    log, warnings: { warn() {} }, handshakeTimeoutMs: 600_000, maxBufferedBytes: 1 << 30, directory: new ActorDirectory(),
    methods: new Set(METHODS), dispatch() {},
    admit: async () => ({ ok: true, admitted: { role: 'operator', scopes: ['operator.read'], hello: { type: 'hello-ok' }, client: { id: 'test', mode: 'backend' } } }),
  });
  const socket: WsSocket = { send() {}, sendNumbered() {}, bufferedAmount: () => 0, end() {}, terminate() {}, ping() {} };
  const connect = req('c1', 'connect', CONNECT_PARAMS);
  const openMany = async (n: number) => {
    const conns: Connection[] = [];
    for (let i = 0; i < n; i++) {
      const conn = hub.open(socket, { remoteAddress: `10.0.${i >> 8}.${i & 255}`, local: false });
      hub.frame(conn, connect, connect.length);
      conns.push(conn);
    }
    await flush();
    return conns;
  };
  const N = 2000;
  await openMany(200); // warm-up: lazily compiled code and caches are not charged to the connections
  gc();
  const before = process.memoryUsage().heapUsed;
  const conns = await openMany(N);
  gc();
  const perConn = (process.memoryUsage().heapUsed - before) / N;
  assert.equal(hub.passivated, N + 200);
  assert.ok(conns.every((c) => c.authenticated && c.running === undefined));
  // a live connection actor holds ~5 KB (its actor, system, snapshot, listeners); the record is under 1.5 KB
  assert.ok(perConn < 1500, `${Math.round(perConn)} B of heap per idle connection`);
  for (const c of conns) hub.socketClosed(c);
});
