import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDevice } from '../helpers/device.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startClient, stopClient, TOKEN, type TappedClient } from '../helpers/ws-client.js';
import { assertBuilt, exits, failsWith, killAll, runCli, type Exited } from '../helpers/cli.js';

// `clawgate nodes approve|reject <requestId>` (node.pair.approve / node.pair.reject) as subprocesses against
// a gateway started here. A node (the reference client, role node) connects on loopback: its device is
// paired silently, its command surface waits for the owner — that is the request the CLI decides.

function json(r: Exited): any {
  exits(r, 0);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout);
}

describe('clawgate nodes approve|reject', () => {
  let g: TestGateway;
  let conn: string[];
  const nodes: TappedClient[] = [];

  /** A node with a fresh identity; resolves with its id and the pending request the CLI lists for it. */
  async function pendingNode(label: string): Promise<{ nodeId: string; requestId: string }> {
    const dev = createTestDevice();
    nodes.push(await startClient(g.url, {
      role: 'node', mode: 'node', clientName: 'node-host', scopes: [], platform: 'linux', clientDisplayName: label,
      caps: ['canvas'], commands: ['canvas.present'], hostDeps: dev.hostDeps, token: TOKEN,
    }, label));
    const entry = json(await runCli(['nodes', 'list', '--json', ...conn])).nodes.find((n: any) => n.nodeId === dev.deviceId);
    assert.equal(entry?.approvalState, 'pending-approval', JSON.stringify(entry));
    assert.equal(typeof entry.pendingRequestId, 'string');
    return { nodeId: dev.deviceId, requestId: entry.pendingRequestId };
  }

  before(async () => {
    assertBuilt();
    g = await startTestGateway({ token: TOKEN });
    conn = ['--port', String(g.port), '--token', TOKEN];
  });
  after(async () => {
    for (const n of nodes) await stopClient(n);
    await g?.close();
    await killAll();
  });

  test('approve: the node\'s commands are approved', async () => {
    const { nodeId, requestId } = await pendingNode('node-a');
    const r = await runCli(['nodes', 'approve', requestId, ...conn]);
    exits(r, 0);
    assert.equal(r.stdout, `approved ${requestId}: node ${nodeId} (commands canvas.present)\n`);
    const pair = json(await runCli(['nodes', 'list', '--json', ...conn])).nodes.find((n: any) => n.nodeId === nodeId);
    assert.equal(pair.pendingRequestId, undefined, JSON.stringify(pair));
    failsWith(await runCli(['nodes', 'approve', requestId, ...conn]), 1, /node\.pair\.approve: unknown requestId/);
  });

  test('reject: the request is gone, the node stays unapproved; --json prints the gateway\'s answer', async () => {
    const { nodeId, requestId } = await pendingNode('node-b');
    assert.deepEqual(json(await runCli(['nodes', 'reject', requestId, '--json', ...conn])), { requestId, nodeId });
    const entry = json(await runCli(['nodes', 'list', '--json', ...conn])).nodes.find((n: any) => n.nodeId === nodeId);
    assert.notEqual(entry?.approvalState, 'approved');
    assert.equal(entry?.pendingRequestId, undefined);
  });

  test('usage errors → exit 2', async () => {
    failsWith(await runCli(['nodes', 'approve', ...conn]), 2, /nodes approve: missing <requestId>/);
    failsWith(await runCli(['nodes', 'reject', 'a', 'b', ...conn]), 2, /unexpected argument "b"/);
    failsWith(await runCli(['nodes', 'approve', 'a', '--timeout-ms', '5', ...conn]), 2, /--timeout-ms applies to nodes invoke only/);
  });
});
