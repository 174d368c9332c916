import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertBuilt, killAll } from '../helpers/cli.js';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { clusterAuth as auth, completedRuns, runStatus as status, sendMessage as send, startClusterGateways, words } from '../helpers/cluster-gateways.js';
import { uniq } from '../helpers/ids.js';
import { postJson } from '../helpers/json-http.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until, within } from '../helpers/wait.js';
import { adminClient, stopClient, type TappedClient } from '../helpers/ws-client.js';

// Issue 17, acceptances 1 and 2, on real processes: nats-server and three gateways with --nats-url. A session
// has one owner (the instance that first accepted a message for it), whatever instance a message comes in
// through: two messages sent to two instances run one after the other, in acceptance order, each caller
// getting its own reply; a run is visible as running from any instance and can be cancelled from any. And a
// caller waiting on another instance than the owner (WS chat.send, an SSE stream) gets the run's events; and
// when the owner is killed, another instance takes the session and runs the interrupted run to its end.

/** The lease TTL (and sweep period) of the three: short, so the failover test waits little for A's leases to expire. */
const TTL_MS = 2_000;

// bounded: a hang (a promise that never settles) fails this file instead of stalling the suite
describe('session ownership across three gateways', { timeout: 300_000 }, () => {
  let nats: NatsServer;
  let gw: Record<'a' | 'b' | 'c', CliGateway>;

  before(async () => {
    assertBuilt();
    nats = await startNatsServer();
    gw = await startClusterGateways(nats.url, TTL_MS, 50); // the mock streams one word per 50 ms
  });
  const clients: TappedClient[] = [];
  after(async () => {
    for (const c of clients) await stopClient(c);
    await killAll();
    await nats?.stop();
  });

  test('two messages for one session sent to A and B run one after the other, in acceptance order, each caller answered', async () => {
    const session = uniq('owned');
    const [first, second] = [uniq('req'), uniq('req')];
    const before = await Promise.all([gw.a, gw.b, gw.c].map(completedRuns));
    const one = send(gw.a, session, first, words(12));
    // the first is accepted (C sees it through the cluster's run status) before the second is sent
    await until(async () => (await status(gw.c, first)).status === 200, 'the first message to be accepted', 15_000, 20);
    const two = send(gw.b, session, second, 'second message');
    const [r1, r2] = await within(Promise.all([one, two]), 'both replies', 30_000);
    assert.equal(r1.status, 200, JSON.stringify(r1.json));
    assert.equal(r2.status, 200, JSON.stringify(r2.json));
    assert.deepEqual([r1.json.request_id, r1.json.reply], [first, `Echo: ${words(12)}`]);
    assert.deepEqual([r2.json.request_id, r2.json.reply], [second, 'Echo: second message']);
    // the same answer from every instance: both ran, the second only after the first had ended
    for (const g of [gw.a, gw.b, gw.c]) {
      const [s1, s2] = [(await status(g, first)).json, (await status(g, second)).json];
      assert.deepEqual([s1.state, s2.state], ['completed', 'completed']);
      assert.ok(Date.parse(s2.started_at) >= Date.parse(s1.finished_at), `run 2 started ${s2.started_at}, run 1 ended ${s1.finished_at}`);
      assert.ok(Date.parse(s1.queued_at) <= Date.parse(s2.queued_at), 'accepted in that order');
    }
    // both ran on one instance, the session's owner (A, which accepted the first)
    const after = await Promise.all([gw.a, gw.b, gw.c].map(completedRuns));
    assert.deepEqual(after.map((n, i) => n - before[i]), [2, 0, 0]);
  });

  test('a run started through A is running as seen from C and is cancelled through B', async () => {
    const session = uniq('owned');
    const id = uniq('req');
    const reply = send(gw.a, session, id, words(400));
    await until(async () => {
      const s = await status(gw.c, id);
      return s.status === 200 && s.json.state === 'running';
    }, 'C to see the run running', 15_000, 20);
    const cancel = await postJson(`${gw.b.url}/v1/gateway/cancel`, { request_id: id }, { headers: auth });
    assert.deepEqual([cancel.status, cancel.json], [200, { canceled: true }]);
    const r = await within(reply, 'the caller on A to be answered', 15_000);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.canceled, true);
    assert.ok(!r.json.reply.includes(words(400)), 'stopped before the end of its reply');
    await until(async () => (await status(gw.c, id)).json.state === 'cancelled', 'C to see it cancelled', 10_000, 20);
    // cancelling it again does nothing, from anywhere
    const again = await postJson(`${gw.c.url}/v1/gateway/cancel`, { request_id: id }, { headers: auth });
    assert.deepEqual(again.json, { canceled: false });
  });

  test('chat.send on B for a session A owns runs on A; B\'s operator gets the final reply', async () => {
    const session = uniq('owned');
    const first = await send(gw.a, session, uniq('req'), 'take the session'); // A owns it from here (idle time: minutes)
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const before = await Promise.all([gw.a, gw.b].map(completedRuns));
    const op = await adminClient(gw.b.url, 'operator-b');
    clients.push(op);
    const runId = uniq('ws');
    assert.deepEqual(await op.request('chat.send', { sessionKey: session, message: 'via websocket', idempotencyKey: runId }), { runId, status: 'started' });
    const final = await op.log.waitForEvent('chat', (p: any) => p.runId === runId && p.state === 'final', { ms: 15_000 });
    assert.equal(final.payload.message.content[0].text, 'Echo: via websocket');
    const after = await Promise.all([gw.a, gw.b].map(completedRuns));
    assert.deepEqual(after.map((n, i) => n - before[i]), [1, 0], 'it ran on the owner');
  });

  test('messages:stream on C for a session A owns: the events of A\'s run stream to the caller on C', async () => {
    const session = uniq('owned');
    assert.equal((await send(gw.a, session, uniq('req'), 'take the session')).status, 200); // A owns it from here
    const id = uniq('req');
    const before = await Promise.all([gw.a, gw.c].map(completedRuns));
    const res = await fetch(`${gw.c.url}/v1/gateway/messages:stream`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: session, request_id: id, user_id: 'u1', text: 'streamed over the cluster' }),
    });
    assert.equal(res.status, 200);
    const body = await within(res.text(), 'the stream to end', 15_000);
    const types = [...body.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    assert.equal(types.at(-1), 'run.completed', body);
    assert.ok(types.includes('message.completed'), body);
    assert.match(body, /"reply":"Echo: streamed over the cluster"/);
    const after = await Promise.all([gw.a, gw.c].map(completedRuns));
    assert.deepEqual(after.map((n, i) => n - before[i]), [1, 0], 'it ran on the owner');
  });

  test('chat.abort on B of a run A runs stops it', async () => {
    const session = uniq('owned');
    const id = uniq('req');
    const reply = send(gw.a, session, id, words(400));
    await until(async () => (await status(gw.b, id)).json?.state === 'running', 'B to see the run running', 15_000, 20);
    const op = await adminClient(gw.b.url, 'aborter-b');
    clients.push(op);
    assert.deepEqual(await op.request('chat.abort', { sessionKey: 'another session', runId: id }), { ok: true, aborted: false, runIds: [] }, 'not its session');
    assert.deepEqual(await op.request('chat.abort', { sessionKey: session, runId: id }), { ok: true, aborted: true, runIds: [id] });
    const r = await within(reply, 'the caller on A to be answered', 15_000);
    assert.equal(r.json.canceled, true, JSON.stringify(r.json));
  });

  test('chat.abort without a runId on C stops the session\'s running run on A, answered as in one process', async () => {
    const session = uniq('owned');
    const id = uniq('req');
    const reply = send(gw.a, session, id, words(400));
    await until(async () => (await status(gw.c, id)).json?.state === 'running', 'C to see the run running', 15_000, 20);
    const op = await adminClient(gw.c.url, 'aborter-c');
    clients.push(op);
    assert.deepEqual(await op.request('chat.abort', { sessionKey: uniq('nobody owns this') }), { ok: true, aborted: false, runIds: [] }, 'no owner: nothing runs');
    assert.deepEqual(await op.request('chat.abort', { sessionKey: session }), { ok: true, aborted: true, runIds: [id] });
    const r = await within(reply, 'the caller on A to be answered', 15_000);
    assert.equal(r.json.canceled, true, JSON.stringify(r.json));
    await until(async () => (await status(gw.c, id)).json.state === 'cancelled', 'C to see it cancelled', 10_000, 20);
    // A still owns the session, and nothing runs there now
    assert.deepEqual(await op.request('chat.abort', { sessionKey: session }), { ok: true, aborted: false, runIds: [] });
  });

  test('chat.history on C for a session A runs: the run in flight and the message waiting, from the owner', async () => {
    const session = uniq('owned');
    const [id1, id2] = [uniq('req'), uniq('req')];
    const first = send(gw.a, session, id1, words(400));
    await until(async () => (await status(gw.c, id1)).json?.state === 'running', 'C to see the run running', 15_000, 20);
    const second = send(gw.b, session, id2, 'waiting behind it');
    await until(async () => (await status(gw.c, id2)).status === 200, 'the second to be accepted', 15_000, 20);
    const op = await adminClient(gw.c.url, 'history-c');
    clients.push(op);
    let h: any;
    await until(async () => {
      h = await op.request('chat.history', { sessionKey: session });
      return h.pendingInputs.total === 1; // delivered to A's session actor
    }, 'the second message to wait in A\'s session', 15_000, 20);
    assert.deepEqual(h.inFlightRun, { runId: id1 });
    assert.deepEqual(h.pendingInputs.items.map((p: any) => [p.runId, p.text]), [[id2, 'waiting behind it']]);
    assert.equal(typeof h.pendingInputs.items[0].queuedAt, 'number');
    assert.deepEqual(h.messages.map((m: any) => [m.role, m.content[0].text]), [['user', words(400)]], 'the running run\'s message is recorded');
    assert.deepEqual(await op.request('chat.abort', { sessionKey: session }), { ok: true, aborted: true, runIds: [id1] });
    assert.equal((await within(first, 'the first caller')).json.canceled, true);
    assert.equal((await within(second, 'the second caller', 15_000)).json.reply, 'Echo: waiting behind it');
    await until(async () => (await status(gw.c, id2)).json.state === 'completed', 'the second recorded completed', 10_000, 20);
    h = await op.request('chat.history', { sessionKey: session });
    assert.deepEqual(h.messages.map((m: any) => [m.role, m.content[0].text]), [['user', words(400)], ['user', 'waiting behind it'], ['assistant', 'Echo: waiting behind it']]);
    assert.deepEqual([h.pendingInputs.total, h.inFlightRun], [0, undefined]);
  });

  test('agent.wait on C for a run A runs: its outcome while it runs and after it ended', async () => {
    const session = uniq('owned');
    const id = uniq('req');
    const reply = send(gw.a, session, id, words(20));
    const op = await adminClient(gw.c.url, 'waiter-c');
    clients.push(op);
    const waited = await op.request('agent.wait', { runId: id, timeoutMs: 15_000 });
    assert.deepEqual([waited.status, waited.terminalReply?.text], ['ok', `Echo: ${words(20)}`], JSON.stringify(waited));
    assert.equal((await within(reply, 'the caller on A')).status, 200);
    const again = await op.request('agent.wait', { runId: id, timeoutMs: 1_000 });
    assert.deepEqual([again.status, again.terminalReply?.text], ['ok', `Echo: ${words(20)}`], 'from the status record');
  });

  // last: it kills A
  test('A dies (SIGKILL) in the middle of a run: another instance takes the session and runs it once more to the end', async () => {
    const session = uniq('owned');
    const id = uniq('req');
    const reply = send(gw.a, session, id, words(40)).catch((err: Error) => err); // A's caller loses its connection
    await until(async () => (await status(gw.c, id)).json?.state === 'running', 'C to see the run running', 15_000, 20);
    const before = await Promise.all([gw.b, gw.c].map(completedRuns));
    gw.a.proc.kill('SIGKILL');
    await gw.a.proc.exit(10_000).catch(() => {});
    assert.ok((await reply) instanceof Error, 'A\'s caller was cut off');
    // within the TTL A's lease expires; a sweep (every TTL) finds the unfinished message and its new owner reruns it
    await until(async () => (await status(gw.c, id)).json?.state === 'completed', 'the run to complete on a new owner', 30_000, 50);
    assert.equal((await status(gw.b, id)).json.reply, `Echo: ${words(40)}`);
    const after = await Promise.all([gw.b, gw.c].map(completedRuns));
    assert.equal(after[0] - before[0] + after[1] - before[1], 1, 'run once more, by one instance');
    // the session goes on: a new message through C runs on its new owner
    const next = await within(send(gw.c, session, uniq('req'), 'after the failover'), 'the next reply', 15_000);
    assert.deepEqual([next.status, next.json.reply], [200, 'Echo: after the failover']);
  });
});
