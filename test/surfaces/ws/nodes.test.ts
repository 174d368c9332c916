import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayClientOptions } from '@openclaw/gateway-client';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { createTestDevice, type TestDevice } from '../../helpers/device.js';
import {
  adminClient, assertOwnEventPayload, TOKEN, startClient, stopClient, uniq, type Frame, type FrameLog, type TappedClient,
} from '../../helpers/ws-client.js';

// Issue acceptance 3 — nodes with the published reference client (`@openclaw/gateway-client`), spec §11:
// a node-host client with a fresh Ed25519 identity connects, waits for capability approval, is approved by
// an operator, reconnects with its device token, and is invoked; plus the exact errors of §11.3–§11.4 and
// node.pair.remove closing the node 4001. Every frame the clients receive is validated against the
// published schema (events without one against Clawgate's own closed schemas).

const DENIED = 'canvas.hide';

/** How the test node answers node.invoke.request. */
type Behaviour = 'answer' | 'silent' | { code: string; message: string };

interface TestNode {
  t: TappedClient;
  /** node.invoke.request payloads received, in order. */
  requests: Record<string, any>[];
  behaviour: Behaviour;
}

/** A reference node-host client; it answers invoke requests as `behaviour` says (`answer` echoes the params). */
async function startNode(g: TestGateway, dev: TestDevice, label: string, o: { commands?: string[]; withToken?: boolean } = {}): Promise<TestNode> {
  const node = { requests: [], behaviour: 'answer' } as unknown as TestNode;
  const options: Partial<GatewayClientOptions> = {
    role: 'node', mode: 'node', clientName: 'node-host', scopes: [], platform: 'linux', clientDisplayName: 'Test node', clientVersion: '1.2.3',
    caps: ['canvas'], commands: o.commands ?? ['canvas.present'], hostDeps: dev.hostDeps,
    ...(o.withToken === false ? {} : { token: TOKEN }),
    onEvent: (evt) => {
      if (evt.event !== 'node.invoke.request') return;
      const req = evt.payload as Record<string, any>;
      node.requests.push(req);
      const b = node.behaviour;
      if (b === 'silent') return;
      const result = b === 'answer'
        ? { id: req.id, nodeId: req.nodeId, ok: true, payload: { presented: true, params: req.paramsJSON ? JSON.parse(req.paramsJSON) : null } }
        : { id: req.id, nodeId: req.nodeId, ok: false, error: b };
      void node.t.request('node.invoke.result', result);
    },
  };
  node.t = await startClient(g.url, options, label);
  return node;
}

async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the request to fail');
}

/** Every frame validates (published schema; own schema for node events without one); seq gap-free where sent. */
function assertFrames(log: FrameLog): void {
  log.assertPublished();
  for (const f of log.events()) if (f.event.startsWith('node.')) assertOwnEventPayload(f);
  const sequenced = log.events().filter((f) => f.event !== 'connect.challenge' && f.event !== 'node.invoke.request');
  assert.deepEqual(sequenced.map((f) => f.seq), sequenced.map((_, i) => i + 1), `${log.label}: seq runs 1,2,3,…`);
  for (const f of log.events('node.invoke.request')) assert.equal(f.seq, undefined, 'node.invoke.request is direct: no seq');
}

const invoke = (op: TappedClient, nodeId: string, command: string, extra: Record<string, unknown> = {}) =>
  op.request('node.invoke', { nodeId, command, idempotencyKey: uniq('inv'), ...extra });

describe('nodes with the reference client', () => {
  let g: TestGateway;
  let op: TappedClient;
  let writer: TappedClient;
  const dev = createTestDevice();
  const nodes: TestNode[] = [];
  let node: TestNode;
  const entryOf = async (nodeId = dev.deviceId) => ((await op.request('node.list', {})).nodes as any[]).find((n) => n.nodeId === nodeId);

  before(async () => {
    g = await startTestGateway({ token: TOKEN, nodeDeny: [DENIED] });
    op = await adminClient(g.url);
    writer = await startClient(g.url, { token: TOKEN, scopes: ['operator.pairing', 'operator.write'], deviceIdentity: null }, 'writer');
  });
  after(async () => {
    for (const n of nodes) await stopClient(n.t);
    await stopClient(op);
    await stopClient(writer);
    await g.close();
  });

  test('a new node is device-paired silently, but its surface waits for approval', async () => {
    const from = op.log.frames.length;
    node = await startNode(g, dev, 'node-1');
    nodes.push(node);
    assert.equal(node.t.hello.auth.role, 'node');
    assert.deepEqual(node.t.hello.auth.scopes, []);
    assert.equal(typeof node.t.hello.auth.deviceToken, 'string');
    const requested = (await op.log.waitForEvent('node.pair.requested', (p) => p.nodeId === dev.deviceId, { from })).payload;
    const { requestId, ts, ...rest } = requested;
    assert.equal(typeof requestId, 'string');
    assert.ok(Number.isSafeInteger(ts));
    assert.deepEqual(rest, {
      nodeId: dev.deviceId, clientId: 'node-host', clientMode: 'node', displayName: 'Test node', platform: 'linux', version: '1.2.3',
      caps: ['canvas'], commands: ['canvas.present'], requiredApproveScopes: ['operator.pairing', 'operator.write'], permissions: {},
      silent: true,
    });
    const entry = await entryOf();
    assert.equal(entry.approvalState, 'pending-approval');
    assert.deepEqual([entry.caps, entry.commands], [[], []]);
    assert.deepEqual([entry.pendingDeclaredCaps, entry.pendingDeclaredCommands, entry.pendingDeclaredPermissions], [['canvas'], ['canvas.present'], {}]);
    assert.equal(entry.pendingRequestId, requested.requestId);
    assert.deepEqual([entry.paired, entry.connected], [true, true]);
    const pairList = await op.request('node.pair.list', {});
    assert.ok(pairList.pending.some((p: any) => p.requestId === requested.requestId));
    // nodes are not ephemeral: they have a presence entry
    const presence = (await op.request('system-presence', {})) as any[];
    assert.ok(presence.some((p) => p.deviceId === dev.deviceId && p.mode === 'node' && p.clientId === 'node-host'));
    const err = await rejection(invoke(op, dev.deviceId, 'canvas.present'));
    assert.deepEqual([err.code, err.message, err.details, err.retryable],
      ['UNAVAILABLE', 'node pairing changed while invocation was active', { code: 'PAIRING_CHANGED' }, true]);
    assert.deepEqual(node.requests, [], 'nothing reaches a node pending approval');
  });

  test('node.pair.approve answers with the surface and broadcasts node.pair.resolved; reconnected with its device token the node is approved', async () => {
    const requestId = (await entryOf()).pendingRequestId;
    const from = op.log.frames.length;
    const approved = await op.request('node.pair.approve', { requestId });
    assert.equal(approved.requestId, requestId);
    assert.deepEqual([approved.node.nodeId, approved.node.caps, approved.node.commands, approved.node.permissions],
      [dev.deviceId, ['canvas'], ['canvas.present'], {}]);
    assert.ok(Number.isSafeInteger(approved.node.approvedAtMs));
    const resolved = await op.log.waitForEvent('node.pair.resolved', (p) => p.requestId === requestId, { from });
    assert.deepEqual({ ...resolved.payload, ts: 0 }, { requestId, nodeId: dev.deviceId, decision: 'approved', ts: 0 });

    await stopClient(node.t);
    node = await startNode(g, dev, 'node-2', { withToken: false });
    nodes.push(node);
    assert.equal(node.t.hello.auth.method, 'device-token');
    const described = await op.request('node.describe', { nodeId: dev.deviceId });
    assert.deepEqual([described.approvalState, described.caps, described.commands, described.paired, described.connected],
      ['approved', ['canvas'], ['canvas.present'], true, true]);
    assert.equal(described.pendingRequestId, undefined);
    assert.equal(op.log.events('node.pair.requested', from).length, 0, 'an approved surface asks nothing');
  });

  test('the operator invokes canvas.present, the node answers, the operator gets the payload (not deduped)', async () => {
    const idempotencyKey = uniq('present');
    const params = { url: 'https://example.test/widget' };
    const res = await op.request('node.invoke', { nodeId: dev.deviceId, command: 'canvas.present', params, idempotencyKey });
    assert.deepEqual(res, { ok: true, nodeId: dev.deviceId, command: 'canvas.present', payload: { presented: true, params }, payloadJSON: null });
    const [req] = node.requests;
    assert.equal(req.nodeId, dev.deviceId);
    assert.equal(req.command, 'canvas.present');
    assert.equal(req.paramsJSON, JSON.stringify(params));
    assert.equal(req.idempotencyKey, idempotencyKey);
    assert.ok(Number.isSafeInteger(req.timeoutMs) && req.timeoutMs > 0 && req.timeoutMs <= 30_000, `timeoutMs ${req.timeoutMs}`);
    await op.request('node.invoke', { nodeId: dev.deviceId, command: 'canvas.present', params, idempotencyKey });
    assert.equal(node.requests.length, 2, 'the same idempotencyKey invokes the node again');
    assert.notEqual(node.requests[1].id, node.requests[0].id);
  });

  test('a node that never answers: TIMEOUT: node invoke timed out', async () => {
    node.behaviour = 'silent';
    const err = await rejection(invoke(op, dev.deviceId, 'canvas.present', { timeoutMs: 150 }));
    node.behaviour = 'answer';
    assert.deepEqual([err.code, err.message, err.details], ['UNAVAILABLE', 'TIMEOUT: node invoke timed out', {
      nodeError: { code: 'TIMEOUT', message: 'node invoke timed out' }, nodeCommandDispatched: true,
    }]);
    // the late answer is acknowledged and ignored
    const late = await node.t.request('node.invoke.result', { id: node.requests.at(-1)!.id, nodeId: dev.deviceId, ok: true, payload: 1 });
    assert.deepEqual(late, { ok: true, ignored: true });
  });

  test('a node answering ok:false: "<code>: <message>" with the node error', async () => {
    node.behaviour = { code: 'CANVAS_UNAVAILABLE', message: 'no display attached' };
    const err = await rejection(invoke(op, dev.deviceId, 'canvas.present'));
    node.behaviour = 'answer';
    assert.deepEqual([err.code, err.message, err.details], ['UNAVAILABLE', 'CANVAS_UNAVAILABLE: no display attached', {
      nodeError: { code: 'CANVAS_UNAVAILABLE', message: 'no display attached' }, nodeCommandDispatched: true,
    }]);
  });

  test('node.event: host stats reach operator.read sockets as node.hostStats; unknown events are not handled', async () => {
    const from = op.log.frames.length;
    const stats = { cpuCount: 4, memoryTotalBytes: 8_000_000_000, memoryFreeBytes: 2_000_000_000, loadAverage: [0.5, 0.25, 0.125], updatedAtMs: 1_700_000_000_000 };
    const handled = await node.t.request('node.event', { event: 'node.host.stats', payload: stats });
    assert.deepEqual(handled, { ok: true, event: 'node.host.stats', handled: true, reason: 'updated' });
    const pushed = await op.log.waitForEvent('node.hostStats', (p) => p.nodeId === dev.deviceId, { from });
    assert.deepEqual(pushed.payload, { nodeId: dev.deviceId, hostStats: stats });
    assert.deepEqual((await entryOf()).hostStats, stats);
    const unknown = await node.t.request('node.event', { event: 'node.made.up', payloadJSON: '{}' });
    assert.deepEqual(unknown, { ok: true, event: 'node.made.up', handled: false, reason: 'unsupported_event' });
  });

  test('an undeclared command is refused by policy before it reaches the node', async () => {
    const before = node.requests.length;
    const err = await rejection(invoke(op, dev.deviceId, 'camera.list'));
    assert.deepEqual([err.code, err.message, err.details], ['INVALID_REQUEST',
      'node command not allowed: the node (platform: linux) does not support "camera.list"',
      { reason: 'command not declared by node', command: 'camera.list' }]);
    assert.equal(node.requests.length, before);
  });

  test('a paired node that is not connected: node not connected; an unknown node: pairing changed', async () => {
    const from = op.log.frames.length;
    await stopClient(node.t);
    // the presence update comes from the same close hook that disconnects the node actor
    await op.log.waitForEvent('presence', (p) => !p.presence.some((e: any) => e.deviceId === dev.deviceId), { from });
    const err = await rejection(invoke(op, dev.deviceId, 'canvas.present'));
    assert.deepEqual([err.code, err.message, err.details], ['UNAVAILABLE', 'node not connected', {
      code: 'NOT_CONNECTED', nodeError: { code: 'NOT_CONNECTED', message: 'node not connected' }, nodeCommandDispatched: false,
    }]);
    const described = await op.request('node.describe', { nodeId: dev.deviceId });
    assert.deepEqual([described.approvalState, described.paired, described.connected], ['approved', true, false]);
    const unknown = await rejection(invoke(op, 'f'.repeat(64), 'canvas.present'));
    assert.deepEqual([unknown.message, unknown.details, unknown.retryable], ['node pairing changed while invocation was active', { code: 'PAIRING_CHANGED' }, true]);
  });

  test('denied, dangerous, non-allowlisted and admin-only commands', async () => {
    const other = createTestDevice();
    const commands = ['canvas.present', DENIED, 'camera.snap', 'system.run'];
    const from = op.log.frames.length;
    const n = await startNode(g, other, 'policy-node', { commands });
    nodes.push(n);
    const requested = (await op.log.waitForEvent('node.pair.requested', (p) => p.nodeId === other.deviceId, { from })).payload;
    assert.deepEqual(requested.requiredApproveScopes, ['operator.pairing', 'operator.write', 'operator.admin']);
    const forbidden = await rejection(writer.request('node.pair.approve', { requestId: requested.requestId }));
    assert.deepEqual([forbidden.code, forbidden.message, forbidden.details?.code], ['FORBIDDEN', 'missing scope: operator.admin', 'MISSING_SCOPE']);
    await op.request('node.pair.approve', { requestId: requested.requestId });
    // the approval applies to the live socket at once
    assert.equal((await invoke(op, other.deviceId, 'canvas.present')).ok, true);
    const refusal = async (command: string) => {
      const err = await rejection(invoke(op, other.deviceId, command));
      assert.equal(err.code, 'INVALID_REQUEST');
      assert.deepEqual(err.details, { reason: 'command not allowlisted', command });
      return err.message;
    };
    assert.equal(await refusal(DENIED), `node command not allowed: "${DENIED}" is blocked by --node-deny`);
    assert.equal(await refusal('camera.snap'), 'node command not allowed: "camera.snap" requires explicit --node-allow opt-in');
    assert.equal(await refusal('system.run'), 'node command not allowed: "system.run" is not in the allowlist for platform "linux" (add it to --node-allow)');
    const adminOnly = await rejection(invoke(writer, other.deviceId, 'system.run'));
    assert.deepEqual([adminOnly.code, adminOnly.message], ['FORBIDDEN', 'missing scope: operator.admin']);
    assert.deepEqual(n.requests.map((r) => r.command), ['canvas.present'], 'refused commands never reach the node');
  });

  test('node.pair.remove answers, then closes the node 4001 `device removed`; the node is no longer approved', async () => {
    node = await startNode(g, dev, 'node-3', { withToken: false });
    nodes.push(node);
    assert.equal((await entryOf()).approvalState, 'approved');
    const removed = await op.request('node.pair.remove', { nodeId: dev.deviceId });
    assert.deepEqual(removed, { nodeId: dev.deviceId, removed: true });
    assert.deepEqual(await node.t.log.waitForClose(), { code: 4001, reason: 'device removed' });
    await stopClient(node.t);
    const err = await rejection(invoke(op, dev.deviceId, 'canvas.present'));
    assert.equal(err.message, 'node pairing changed while invocation was active');
    const entry = await entryOf();
    assert.ok(entry === undefined || entry.approvalState !== 'approved', JSON.stringify(entry));
  });

  test('every frame the clients received validates against the published schema', () => {
    for (const log of [op.log, writer.log, ...nodes.map((n) => n.t.log)]) assertFrames(log);
    const invokeRequests: Frame[] = nodes.flatMap((n) => n.t.log.events('node.invoke.request'));
    assert.ok(invokeRequests.length >= 4, 'node.invoke.request frames were checked');
  });
});
