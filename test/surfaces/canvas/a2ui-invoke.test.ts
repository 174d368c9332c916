import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayClientOptions } from '@openclaw/gateway-client';
import { A2UI_V09_REASON } from '../../../src/policy/a2ui-messages.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { createTestDevice } from '../../helpers/device.js';
import { adminClient, startClient, stopClient, TOKEN, uniq, type TappedClient } from '../../helpers/ws-client.js';

// web-surfaces.md CT5: A2UI JSONL is checked at node.invoke before the node sees it. A v0.9 line is refused
// with INVALID_A2UI_JSONL and the fake node (the reference node-host client, approved) receives nothing; the
// same fixture in v0.8 reaches it as node.invoke.request with the JSONL unchanged in paramsJSON; canvas.eval
// without --node-allow gets the §11.3 refusal.

const COMMANDS = ['canvas.a2ui.pushJSONL', 'canvas.a2ui.push', 'canvas.eval'];
const V08 = [
  JSON.stringify({ surfaceUpdate: { surfaceId: 'main', components: [
    { id: 'root', component: { Column: { children: { explicitList: ['title'] } } } },
    { id: 'title', component: { Text: { text: { literalString: 'Canvas works' } } } },
  ] } }),
  JSON.stringify({ beginRendering: { surfaceId: 'main', root: 'root' } }),
].join('\n');
const V09 = [
  JSON.stringify({ version: 'v0.9', createSurface: { surfaceId: 'main', catalogId: 'standard' } }),
  JSON.stringify({ version: 'v0.9', updateComponents: { surfaceId: 'main', components: [{ id: 'root', component: 'Text', text: 'Canvas works' }] } }),
].join('\n');

let g: TestGateway;
let op: TappedClient;
let node: TappedClient;
const requests: Record<string, any>[] = [];
const dev = createTestDevice();

function startNode(withToken: boolean): Promise<TappedClient> {
  const options: Partial<GatewayClientOptions> = {
    role: 'node', mode: 'node', clientName: 'node-host', scopes: [], platform: 'linux', clientDisplayName: 'Canvas node', clientVersion: '1.0.0',
    caps: ['canvas'], commands: COMMANDS, hostDeps: dev.hostDeps, ...(withToken ? { token: TOKEN } : {}),
    onEvent: (evt) => {
      if (evt.event !== 'node.invoke.request') return;
      const req = evt.payload as Record<string, any>;
      requests.push(req);
      void node.request('node.invoke.result', { id: req.id, nodeId: req.nodeId, ok: true, payload: { ok: true } });
    },
  };
  return startClient(g.url, options, 'canvas-node');
}

before(async () => {
  g = await startTestGateway({ token: TOKEN });
  op = await adminClient(g.url);
  // the node pairs silently, its canvas surface is approved by the operator, then it reconnects approved
  node = await startNode(true);
  const pending = await op.log.waitForEvent('node.pair.requested', (p) => p.nodeId === dev.deviceId);
  await op.request('node.pair.approve', { requestId: pending.payload.requestId });
  await stopClient(node);
  node = await startNode(false);
});

after(async () => {
  await stopClient(node);
  await stopClient(op);
  await g.close();
});

async function refusal(command: string, params: unknown): Promise<any> {
  try {
    await op.request('node.invoke', { nodeId: dev.deviceId, command, params, idempotencyKey: uniq('a2ui') });
  } catch (err) {
    return err;
  }
  assert.fail(`${command} should have been refused`);
}

test('CT5: a v0.9 push is refused with INVALID_A2UI_JSONL and the node receives nothing', async () => {
  const err = await refusal('canvas.a2ui.pushJSONL', { jsonl: V09 });
  assert.deepEqual([err.code, err.message, err.details],
    ['INVALID_REQUEST', `INVALID_A2UI_JSONL: ${A2UI_V09_REASON}`, { code: 'INVALID_A2UI_JSONL', line: 1 }]);
  const mixed = await refusal('canvas.a2ui.push', { jsonl: `${V08}\n${V09}` });
  assert.deepEqual([mixed.message, mixed.details], ['INVALID_A2UI_JSONL: mixed A2UI versions', { code: 'INVALID_A2UI_JSONL', line: 3 }]);
  const broken = await refusal('canvas.a2ui.push', { messages: [{ beginRendering: { surfaceId: 'main' } }, { nope: 1 }] });
  assert.match(broken.message, /^INVALID_A2UI_JSONL: line 2: expected exactly one of/);
  assert.deepEqual(requests, [], 'nothing reached the node');
});

test('CT5: the same fixture in v0.8 reaches the node as node.invoke.request, its JSONL unchanged', async () => {
  const res = await op.request('node.invoke', { nodeId: dev.deviceId, command: 'canvas.a2ui.pushJSONL', params: { jsonl: V08 }, idempotencyKey: uniq('a2ui') });
  assert.equal(res.ok, true);
  assert.equal(requests.length, 1);
  assert.equal(requests[0].command, 'canvas.a2ui.pushJSONL');
  assert.equal(JSON.parse(requests[0].paramsJSON).jsonl, V08);
});

test('CT5: canvas.eval without --node-allow is refused by policy and never reaches the node', async () => {
  const before = requests.length;
  const err = await refusal('canvas.eval', { javaScript: 'document.title' });
  assert.equal(err.code, 'INVALID_REQUEST');
  assert.match(err.message, /^node command not allowed: "canvas\.eval" .*--node-allow/);
  assert.equal(requests.length, before);
});
