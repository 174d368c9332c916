import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createActor } from 'xstate';
import { createOpenAIModel } from '../../src/agent/openai.js';
import { RunError } from '../../src/core/run.js';
import { devices } from '../../src/cli/devices.js';
import { ConfigError, parseGatewayArgs } from '../../src/config.js';
import { DEFAULT_PART_POLICY, normalizeContentParts } from '../../src/inbound/content-parts.js';
import { authorizeMethod, scopeSatisfied } from '../../src/policy/authorize.js';
import { nodeMachine, surfaceCovers } from '../../src/machines/node.js';
import { freePort, tempDir } from '../helpers/cli.js';

// Issue 6 item 1: every lookup keyed by outside input (a frame, a file name, a config key, an argv word, a
// model stream) must not find Object.prototype's members: `constructor`, `__proto__`, `toString`, …

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype);

test('authorize: a method or scope named like an Object.prototype member is unknown, never a crash', () => {
  for (const name of PROTO_NAMES) {
    const denied = authorizeMethod('operator', [], name);
    assert.equal(denied?.error.message, 'missing scope: operator.admin', name);
    assert.equal(authorizeMethod('operator', ['operator.admin'], name), undefined, name); // then `unknown method`
    assert.equal(scopeSatisfied([name], 'operator.read'), false, name);
    assert.equal(scopeSatisfied([name, '__proto__'], name === 'constructor' ? 'toString' : 'constructor'), false, name);
    assert.equal(authorizeMethod('operator', [name], 'status')?.error.message, 'missing scope: operator.read', name);
  }
});

test('node machine: a RESULT or PROGRESS for invocation id constructor / __proto__ settles nothing', () => {
  const surface = { caps: [], commands: ['canvas.present'], permissions: {} };
  const actor = createActor(nodeMachine, { input: { nodeId: 'n1', declared: surface, approved: surface } });
  const settled: string[] = [];
  actor.on('settled', (e) => settled.push(String(e.id)));
  actor.start();
  for (const id of PROTO_NAMES) {
    actor.send({ type: 'RESULT', id, ok: true, now: 0 });
    actor.send({ type: 'PROGRESS', id, seq: 1, chunk: 'x' });
    actor.send({ type: 'DEADLINE', id });
  }
  assert.deepEqual(settled, []);
  assert.equal(actor.getSnapshot().status, 'active');
  actor.stop();
  // a declared permission named like a prototype member is not "approved" by Object.prototype
  assert.equal(surfaceCovers({ caps: [], commands: [], permissions: {} }, { caps: [], commands: [], permissions: { constructor: true } }), false);
});

test('content_parts: a file named x.constructor or x.__proto__ gets application/octet-stream', async () => {
  for (const ext of ['constructor', '__proto__', 'hasOwnProperty']) {
    const { parts } = await normalizeContentParts([{ type: 'file', file: { data: Buffer.from('x').toString('base64'), filename: `a.${ext}` } }], DEFAULT_PART_POLICY);
    assert.equal((parts[0] as { mime?: unknown }).mime, 'application/octet-stream', ext);
  }
});

test('config file: keys constructor and __proto__ are unknown options', () => {
  const dir = tempDir('clawgate-proto-keys-');
  for (const [name, text] of [['json', '{"constructor": 1}'], ['json', '{"__proto__": {"port": 1}}'], ['yaml', 'constructor: 1\n']]) {
    const file = join(dir, `c-${Math.random().toString(36).slice(2)}.${name}`);
    writeFileSync(file, text);
    assert.throws(() => parseGatewayArgs(['--config', file], {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, /unknown option "(constructor|__proto__)"/);
      return true;
    }, text);
  }
});

test('clawgate devices constructor: an unknown command (exit 2), nothing is contacted', async () => {
  const port = await freePort();
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.equal(await devices(['constructor', '--url', `ws://127.0.0.1:${port}`]), 2);
    assert.equal(await devices(['__proto__', '--url', `ws://127.0.0.1:${port}`]), 2);
  } finally {
    process.stderr.write = write;
  }
});

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

test('openai stream: a tool call index of "__proto__" fails the turn and touches no prototype', async () => {
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(chunk({ tool_calls: [{ index: '__proto__', id: 'polluted', type: 'function', function: { name: 'polluted', arguments: '{}' } }] })
        + chunk({}, 'tool_calls') + 'data: [DONE]\n\n');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const model = createOpenAIModel({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model: 'm' });
  try {
    const turn = model.turn({ messages: [{ role: 'user', content: 'hi' }], tools: [] }, new AbortController().signal);
    await assert.rejects(async () => { for (;;) if ((await turn.next()).done) return; }, (err: unknown) => {
      assert.ok(err instanceof RunError, String(err));
      assert.equal(err.type, 'stream_error');
      return true;
    });
    assert.equal(([] as unknown as { id?: unknown }).id, undefined, 'Array.prototype.id was set');
  } finally {
    for (const k of ['id', 'name', 'arguments']) delete (Array.prototype as unknown as Record<string, unknown>)[k];
  }
});
