import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor } from 'xstate';

// The public API, imported by package name as a user would (the package resolves itself through its
// `exports`, i.e. the built dist/): the machines run in a test with createActor, a gateway starts in-process.

test("import { sessionMachine, createGateway } from 'clawgate' works against the built package", async () => {
  const api = await import('clawgate');
  assert.equal(typeof api.createGateway, 'function');
  for (const m of [api.sessionMachine, api.connectionMachine, api.nodeMachine]) assert.equal(typeof m.provide, 'function');
  const session = createActor(api.sessionMachine, { input: { sessionKey: 'k', idleMs: 1000, runTimeoutMs: 0 } }).start();
  assert.equal(session.getSnapshot().status, 'active');
  session.stop();
  const gw = await api.createGateway({ config: { port: 0, stateDir: (await import('node:fs')).mkdtempSync('/tmp/clawgate-api-') } });
  try {
    const res = await fetch(`http://127.0.0.1:${gw.port}/healthz`);
    assert.equal(res.status, 200);
  } finally {
    await gw.close();
  }
});

test("the wire schemas are at 'clawgate/protocol'", async () => {
  const protocol = await import('clawgate/protocol');
  assert.ok(protocol.ConnectParams, 'ConnectParams schema exported');
});
