import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertBuilt, exits, killAll, runCli, tempDir } from '../helpers/cli.js';
import { startCliGatewayOn, type CliGateway } from '../helpers/cli-gateway.js';
import { uniq } from '../helpers/ids.js';
import { postJson } from '../helpers/json-http.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { runTrace, startClient, stopClient, TOKEN, type TappedClient } from '../helpers/ws-client.js';

// Issue 17, acceptance 3, on real processes: nats-server and three gateways with --nats-url. A run accepted by
// A through HTTP reaches WS operators on B and C as `agent`/`chat` events, each connection with its own
// gap-free seq; A's own operator hears it once. `clawgate status` and /metrics name the instance.

const auth = { authorization: `Bearer ${TOKEN}` };

describe('three gateways on one NATS server', () => {
  let nats: NatsServer;
  const gw: Record<'a' | 'b' | 'c', CliGateway> = {} as never;
  const readers: TappedClient[] = [];

  before(async () => {
    assertBuilt();
    nats = await startNatsServer();
    const started = await Promise.all((['a', 'b', 'c'] as const).map((id) =>
      startCliGatewayOn(tempDir('clawgate-cluster-'), TOKEN, ['--nats-url', nats.url, '--instance-id', `gw-${id}`, '--mock-delay-ms', '20'], 20_000)));
    [gw.a, gw.b, gw.c] = started;
  });
  after(async () => {
    for (const r of readers) await stopClient(r);
    await killAll();
    await nats?.stop();
  });

  test('an operator.read operator on B (and on C) receives the agent and chat events of a run accepted by A', async () => {
    const open = async (g: CliGateway, label: string) => {
      const r = await startClient(g.url, { token: TOKEN, scopes: ['operator.read'], deviceIdentity: null }, label);
      readers.push(r);
      return r;
    };
    const [onA, onB, onC] = [await open(gw.a, 'reader-a'), await open(gw.b, 'reader-b'), await open(gw.c, 'reader-c')];
    const session = uniq('cluster');
    const res = await postJson(`${gw.a.url}/v1/gateway/messages`,
      { session_id: session, request_id: uniq('req'), user_id: 'u1', text: 'one two three four five' }, { headers: auth });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const final = (p: any) => p.sessionKey === session && p.state === 'final';
    const [fa, fb, fc] = await Promise.all([onA, onB, onC].map((r) => r.log.waitForEvent('chat', final, { ms: 20_000 })));
    const runId: string = fb.payload.runId;
    assert.equal(fa.payload.runId, runId);
    assert.equal(fc.payload.runId, runId);
    assert.equal(fb.payload.message.content[0].text, fa.payload.message.content[0].text, 'B saw the whole reply');
    for (const r of [onA, onB, onC]) {
      const trace = runTrace(r.log, runId);
      assert.equal(trace[0], 'agent:lifecycle:start', `${r.log.label}: ${trace.join(' ')}`);
      assert.ok(trace.includes('agent:assistant'), `${r.log.label}: ${trace.join(' ')}`);
      assert.equal(trace.at(-1), 'chat:final', `${r.log.label}: ${trace.join(' ')}`);
      assert.equal(trace.filter((t) => t === 'chat:final').length, 1, `${r.log.label}: the run ends once`);
      // every event of this connection: seq 1, 2, 3, … (its own numbering, whatever instance ran the run)
      r.log.assertSeq();
      // and the run's agent events carry their own gap-free seq on every instance
      const agentSeqs = r.log.events('agent').filter((f) => f.payload.runId === runId).map((f) => f.payload.seq);
      assert.deepEqual(agentSeqs, agentSeqs.map((_, i) => i + 1), r.log.label);
    }
    assert.deepEqual(runTrace(onB.log, runId), runTrace(onA.log, runId), 'B sees what A\'s own operator sees');
    // what counts runs hears its own instance only: the run is A's, once
    const completed = async (g: CliGateway) => /^clawgate_runs_total\{outcome="completed"\} (\d+)$/m.exec(await (await fetch(`${g.url}/metrics`, { headers: auth })).text())?.[1];
    assert.deepEqual([await completed(gw.a), await completed(gw.b), await completed(gw.c)], ['1', '0', '0']);
  });

  test('clawgate status shows the instance id and the NATS state; /metrics carries the instance id', async () => {
    const port = new URL(gw.b.url).port;
    const r = await runCli(['status', '--port', port, '--token', TOKEN]);
    exits(r, 0);
    assert.match(r.stdout, /^instance {3}gw-b$/m);
    assert.match(r.stdout, /^nats {7}connected$/m);
    const json = JSON.parse((await runCli(['status', '--json', '--port', port, '--token', TOKEN])).stdout);
    assert.equal(json.cluster.nats, 'connected');
    assert.equal(json.cluster.instanceId, 'gw-b');
    // the instance id names the host: a reader gets the NATS state only
    const reader = await startClient(gw.b.url, { token: TOKEN, scopes: ['operator.read'], deviceIdentity: null }, 'status-reader');
    readers.push(reader);
    assert.deepEqual((await reader.request('status')).cluster, { nats: 'connected' });
    const metrics = await (await fetch(`${gw.b.url}/metrics`, { headers: auth })).text();
    assert.match(metrics, /^clawgate_cluster_instance_info\{instance_id="gw-b"\} 1$/m);
    assert.match(metrics, /^clawgate_nats_connected 1$/m);
  });

  test('clawgate status (admin) lists the sessions this instance owns and the other instances seen as lease owners', async () => {
    const onA = uniq('owned-a');
    const onB = uniq('owned-b');
    for (const [g, session] of [[gw.a, onA], [gw.b, onB]] as const) {
      const res = await postJson(`${g.url}/v1/gateway/messages`, { session_id: session, request_id: uniq('req'), user_id: 'u1', text: 'hi' }, { headers: auth });
      assert.equal(res.status, 200, JSON.stringify(res.json));
    }
    const statusOf = async (g: CliGateway) => JSON.parse((await runCli(['status', '--json', '--port', new URL(g.url).port, '--token', TOKEN])).stdout).cluster;
    const [a, b] = [await statusOf(gw.a), await statusOf(gw.b)];
    assert.ok(a.owned.includes(onA) && !a.owned.includes(onB), JSON.stringify(a));
    assert.ok(b.owned.includes(onB) && !b.owned.includes(onA), JSON.stringify(b));
    assert.equal(b.ownedCount, b.owned.length);
    const peer = (c: { instances: { id: string; sessions: number }[] }, id: string) => c.instances.find((i) => i.id === id);
    assert.ok((peer(b, 'gw-a')?.sessions ?? 0) >= 1, JSON.stringify(b));
    assert.ok((peer(a, 'gw-b')?.sessions ?? 0) >= 1, JSON.stringify(a));
    assert.equal(peer(a, 'gw-a'), undefined, 'an instance does not list itself among the others');
    // the text form says the same
    const r = await runCli(['status', '--port', new URL(gw.b.url).port, '--token', TOKEN]);
    exits(r, 0);
    assert.match(r.stdout, new RegExp(`^owns {7}\\d+ sessions?: .*${onB}`, 'm'));
    assert.match(r.stdout, /^peers {6}.*gw-a \(\d+ sessions?\)/m);
    // who owns what names instances (hosts): a reader sees the NATS state only
    const reader = await startClient(gw.a.url, { token: TOKEN, scopes: ['operator.read'], deviceIdentity: null }, 'owners-reader');
    readers.push(reader);
    assert.deepEqual((await reader.request('status')).cluster, { nats: 'connected' });
  });

  test('SIGTERM: a cluster gateway drains (runs, then its NATS connection) and exits 0', async () => {
    gw.c.proc.kill('SIGTERM');
    exits(await gw.c.proc.exit(15_000), 0);
  });
});
