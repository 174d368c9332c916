import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll, type CliProcess } from '../../helpers/cli.js';
import { startCliGateway } from '../../helpers/cli-gateway.js';
import { createTestDevice } from '../../helpers/device.js';
import { connectDevice } from '../../helpers/device-connect.js';
import { connectParams, connectRaw, operator, TOKEN, wsUrl, type RawClient } from '../../helpers/ws-raw.js';

// Issue 6 item 1, regressions: a method, scope or id named like an Object.prototype member reached a
// plain-object lookup (METHOD_SCOPES[method], IMPLIES[scope], pending[id]) and threw inside a connection
// actor, which XState rethrew from a timer: the whole gateway process exited. Against the built CLI in its
// own process, so "answered with an error" and "the process died" cannot be confused.

const PROTO_METHODS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

let gw: CliProcess;
let port: number;
const sockets: RawClient[] = [];

before(async () => {
  ({ proc: gw, port } = await startCliGateway(TOKEN));
});

after(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await killAll();
});

async function op(scopes: string[]): Promise<RawClient> {
  const c = await operator(port, scopes);
  sockets.push(c);
  return c;
}

/** The gateway still runs and still serves a new socket. */
async function stillServing(): Promise<void> {
  assert.ok(gw.running, `the gateway exited: ${gw.stderr}`);
  const c = await op(['operator.read']);
  assert.equal((await c.call('health')).ok, true);
  assert.equal((await c.call('status')).ok, true);
}

test('a socket with no scopes calling constructor, __proto__, toString… gets FORBIDDEN, and the gateway keeps serving', async () => {
  const c = await op([]);
  for (const method of PROTO_METHODS) {
    const res = await c.call(method, {});
    assert.equal(res.ok, false, method);
    assert.equal(res.error.code, 'FORBIDDEN', method);
    assert.equal(res.error.message, 'missing scope: operator.admin', method);
  }
  assert.equal((await c.call('health')).ok, true, 'the same socket still answers');
  await stillServing();
});

test('an admin socket calling them gets `unknown method`', async () => {
  const c = await op(['operator.admin']);
  for (const method of PROTO_METHODS) {
    const res = await c.call(method, {});
    assert.equal(res.ok, false, method);
    assert.deepEqual(res.error, { code: 'INVALID_REQUEST', message: `unknown method: ${method}` });
  }
  await stillServing();
});

test('a connect asking for scopes ["constructor","__proto__"] is answered; those scopes grant nothing', async () => {
  // scopes are free strings on the wire (as published): an unknown one is kept and simply matches no requirement
  const { c, res } = await connectRaw(wsUrl(port), connectParams({ scopes: ['constructor', '__proto__'], auth: { token: TOKEN } }));
  sockets.push(c);
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assert.deepEqual(res.payload.auth.scopes, ['constructor', '__proto__']);
  const status = await c.call('status');
  assert.equal(status.ok, false);
  assert.equal(status.error.message, 'missing scope: operator.read');
  const ctor = await c.call('constructor');
  assert.equal(ctor.error.message, 'missing scope: operator.admin');
  assert.equal((await c.call('health')).ok, true);
  await stillServing();
});

test('a node reporting a result for invocation id constructor / __proto__ is told nothing waits for it', async () => {
  const device = createTestDevice();
  const node = await connectDevice(`http://127.0.0.1:${port}`, device, {
    role: 'node', clientId: 'node-host', mode: 'node', scopes: [], auth: { token: TOKEN },
  }, 'node');
  try {
    assert.equal(node.res.ok, true, JSON.stringify(node.res.error));
    for (const id of ['constructor', '__proto__', 'toString']) {
      const res = await node.request('node.invoke.result', { id, nodeId: device.deviceId, ok: true });
      assert.deepEqual(res.payload, { ok: true, ignored: true }, id);
    }
  } finally {
    await node.close();
  }
  await stillServing();
});

test('nothing failed inside the gateway (no error log line)', () => {
  assert.ok(gw.running);
  const errors = gw.logLines().filter((l) => typeof l.level === 'number' && l.level >= 50);
  assert.deepEqual(errors, []);
});
