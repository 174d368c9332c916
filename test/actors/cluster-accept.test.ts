import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import type { RunEventName } from '../../src/actors/run-registry.js';
import type { SubmitRequest } from '../../src/actors/session-registry.js';
import { ClusterAcceptor } from '../../src/actors/cluster-accept.js';
import { requestCancel } from '../../src/cluster/remote-cancel.js';
import { type ClusterInstance, clusterInstance } from '../helpers/cluster-instance.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';

// Accepting in cluster mode, on two instances over a real nats-server: the run id decides (replay, conflict)
// from the cluster's run status, the message is journaled and its session claimed, and a listener on the
// accepting instance sees the run when its session is owned there.

const TTL = 1000;
let server: NatsServer;
const made: ClusterInstance[] = [];

before(async () => { server = await startNatsServer(); });
afterEach(async () => {
  for (const i of made.splice(0).reverse()) await i.stop();
});
after(async () => { await server.stop(); });

async function instance(id: string, bucket: string): Promise<ClusterInstance> {
  const i = await clusterInstance(server.url, id, bucket, TTL);
  made.push(i);
  return i;
}

const request = (sessionKey: string, runId: string, text: string, listener?: SubmitRequest['listener']): SubmitRequest => ({
  runId, origin: { surface: 'http' }, input: { runId, sessionKey, text, parts: [] }, ...(listener ? { listener } : {}),
});

test('the first accepting instance owns the session and its listener sees the run; the other journals for it', async () => {
  const a = await instance('a', 'ca-own');
  const b = await instance('b', 'ca-own');
  const seen: RunEventName[] = [];
  const first = await a.acceptor.accept(request('chat', 'c1', 'hold c1', (name) => { seen.push(name); }));
  assert.equal(first.kind, 'accepted');
  assert.ok(first.kind === 'accepted' && first.here && first.status.state === 'queued' && first.status.owner === 'a');
  const second = await b.acceptor.accept(request('chat', 'c2', 'c2', () => assert.fail('b does not own the session')));
  assert.ok(second.kind === 'accepted' && !second.here);
  await until(async () => (await b.statuses.get('c1'))?.state === 'running', 'c1 running', 10_000, 10);
  a.gated.release('c1');
  await until(async () => (await b.statuses.get('c2'))?.state === 'completed', 'c2 completed on a', 10_000, 10);
  // attached when the message reached its session here: from run.started to run.completed
  assert.equal(seen[0], 'run.started');
  assert.ok(seen.includes('run.delta'));
  assert.equal(seen.at(-1), 'run.completed');
  assert.deepEqual(a.gated.inputs.map((i) => i.runId), ['c1', 'c2']);
  assert.deepEqual(b.gated.inputs, []);
});

test('the run id decides on every instance: live is a conflict, completed is a replay in its session, a cancelled one sent again at once is refused', async () => {
  const a = await instance('a', 'ca-ids');
  const b = await instance('b', 'ca-ids');
  assert.equal((await a.acceptor.accept(request('s', 'id1', 'hold id1'))).kind, 'accepted');
  const live = await b.acceptor.accept(request('s', 'id1', 'hold id1'));
  assert.deepEqual(live, { kind: 'conflict', message: 'request_id "id1" is already queued or running' });
  await until(async () => (await b.statuses.get('id1'))?.state === 'running', 'id1 running', 10_000, 10);
  a.gated.release('id1');
  await until(async () => (await b.statuses.get('id1'))?.state === 'completed', 'id1 completed', 10_000, 10);
  const replay = await b.acceptor.accept(request('s', 'id1', 'hold id1'));
  assert.ok(replay.kind === 'replay' && replay.status.reply, 'a replay carries the reply');
  assert.equal((await b.acceptor.accept(request('other', 'id1', 'x'))).kind, 'conflict');
  // a cancelled run's id: the inbox still remembers it within its dedupe window, so it is refused, and the
  // cancelled record is left as it was
  assert.equal((await a.acceptor.accept(request('s', 'id2', 'hold id2'))).kind, 'accepted');
  await until(async () => (await b.statuses.get('id2'))?.state === 'running', 'id2 running', 10_000, 10);
  assert.equal(await requestCancel(b.nc, { instanceId: 'b', sessionKey: 's', runId: 'id2' }), 'cancelled');
  await until(async () => (await b.statuses.get('id2'))?.state === 'cancelled', 'id2 cancelled', 10_000, 10);
  const again = await b.acceptor.accept(request('s', 'id2', 'again'));
  assert.equal(again.kind, 'conflict');
  assert.match((again as { message: string }).message, /sent moments ago/);
  assert.equal((await b.statuses.get('id2'))?.state, 'cancelled');
  assert.equal(a.gated.inputs.filter((i) => i.runId === 'id2').length, 1, 'the refused repeat never ran');
});

test('a platform delivery id (noRetry) that failed is not run again; a request id that failed may be', async () => {
  const a = await instance('a', 'ca-noretry');
  const failed = { sessionKey: 's', state: 'failed' as const, queuedAt: 1, finishedAt: 2, error: { type: 'model_error', message: 'x' }, recoveries: 0 };
  await a.statuses.write({ runId: 'tg:default:1:7', ...failed });
  await a.statuses.write({ runId: 'req-7', ...failed });
  const delivery = await a.acceptor.accept({ ...request('s', 'tg:default:1:7', 'hello'), noRetry: true });
  assert.deepEqual(delivery, { kind: 'conflict', message: 'message "tg:default:1:7" was accepted before (failed)' });
  assert.equal((await a.statuses.get('tg:default:1:7'))?.state, 'failed', 'its record is left as it was');
  assert.equal((await a.acceptor.accept(request('s', 'req-7', 'hello'))).kind, 'accepted', 'an HTTP request id sent again runs again');
});

test('two instances accepting the same id at the same moment: exactly one journals it', async () => {
  const a = await instance('a', 'ca-race');
  const b = await instance('b', 'ca-race');
  const results = await Promise.all([a.acceptor.accept(request('r', 'same', 'x')), b.acceptor.accept(request('r', 'same', 'x'))]);
  assert.deepEqual(results.map((r) => r.kind).sort(), ['accepted', 'conflict']);
  await until(async () => (await a.statuses.get('same'))?.state === 'completed', 'the one run completed', 10_000, 10);
  assert.equal(a.gated.inputs.length + b.gated.inputs.length, 1);
});

test('an accepting instance that dies while journaling a new id leaves nothing behind: the id sent again elsewhere runs, once', async () => {
  const a = await instance('a', 'ca-die');
  const b = await instance('b', 'ca-die');
  // a's acceptor stops for ever inside the inbox append, as a process SIGKILLed before the PubAck
  let reached!: () => void;
  const inAppend = new Promise<void>((r) => { reached = r; });
  const dying = new ClusterAcceptor({ inbox: { append: () => { reached(); return new Promise(() => {}); }, unfinished: async () => 0 }, statuses: a.statuses, ownership: a.ownership, owner: a.owner });
  void dying.accept(request('d', 'd1', 'd1'));
  await inAppend;
  await a.die();
  // the caller, cut off, sends it again to b: not refused as live (no record of a message nobody has)
  const again = await b.acceptor.accept(request('d', 'd1', 'd1'));
  assert.equal(again.kind, 'accepted', JSON.stringify(again));
  await until(async () => (await b.statuses.get('d1'))?.state === 'completed', 'd1 completed on b', 10_000, 10);
  assert.deepEqual([a.gated.inputs.length, b.gated.inputs.map((i) => i.runId)], [0, ['d1']]);
});

test('the session queue bound holds cluster-wide: a session with max messages waiting behind its running run refuses more on every instance, and takes them again once one ended', async () => {
  const a = await instance('a', 'ca-full');
  const b = await instance('b', 'ca-full');
  // the session registries' bound, 2 here: what the composition root gives the acceptor
  const bounded = (i: ClusterInstance) => new ClusterAcceptor({ inbox: i.inbox, statuses: i.statuses, ownership: i.ownership, owner: i.owner, maxQueue: 2 });
  const [onA, onB] = [bounded(a), bounded(b)];
  assert.equal((await onA.accept(request('q', 'q0', 'hold q0'))).kind, 'accepted');
  await until(async () => (await b.statuses.get('q0'))?.state === 'running', 'q0 running on a', 10_000, 10);
  assert.equal((await onB.accept(request('q', 'q1', 'hold q1'))).kind, 'accepted');
  assert.equal((await onA.accept(request('q', 'q2', 'hold q2'))).kind, 'accepted');
  // two wait behind the running one, journaled through both instances: full, on either
  for (const acceptor of [onB, onA]) {
    assert.deepEqual(await acceptor.accept(request('q', 'q3', 'q3')), { kind: 'full', queued: 2, max: 2, message: 'session q has 2 queued runs (max 2)' });
  }
  assert.equal(await b.statuses.get('q3'), undefined, 'nothing recorded for a refused message');
  // refused, it was not journaled: the same id is taken later
  assert.equal(await a.inbox.unfinished('q'), 3);
  // another session is not bounded by this one's queue, and a message with the bound waived is taken
  assert.equal((await onB.accept(request('other', 'o1', 'o1'))).kind, 'accepted');
  assert.equal((await onB.accept({ ...request('q', 'u1', 'hold u1'), unbounded: true })).kind, 'accepted');
  // each waits for the one before it: released one at a time, as each starts
  const releaseWhenRunning = async (runId: string) => {
    await until(async () => (await b.statuses.get(runId))?.state === 'running', `${runId} running`, 10_000, 10);
    a.gated.release(runId);
  };
  await releaseWhenRunning('q0');
  await releaseWhenRunning('q1');
  await until(async () => (await a.inbox.unfinished('q')) <= 2, 'q0 and q1 to end and be acked', 10_000, 10);
  assert.equal((await onB.accept(request('q', 'q3', 'q3'))).kind, 'accepted');
  await releaseWhenRunning('q2');
  await releaseWhenRunning('u1');
  await until(async () => (await b.statuses.get('q3'))?.state === 'completed', 'q3 completed', 10_000, 10);
  assert.deepEqual(a.gated.inputs.filter((i) => i.sessionKey === 'q').map((i) => i.runId), ['q0', 'q1', 'q2', 'u1', 'q3']);
});
