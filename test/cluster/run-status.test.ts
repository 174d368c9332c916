import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStatuses } from '../../src/cluster/run-status.js';
import { natsServerPerFile } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';

// Run status records on a real nats-server: written by the owner at each step, read by any instance.

const nats = natsServerPerFile();

async function open(id: string, opts: { retentionMs?: number; bucket?: string } = {}): Promise<RunStatuses> {
  const nc = await nats.connect();
  let t = 1000;
  return RunStatuses.open(nc, { instanceId: id, retentionMs: opts.retentionMs ?? 60_000, bucket: opts.bucket, now: () => ++t });
}

test('the owner writes each step of a run; another instance reads the latest', async () => {
  const owner = await open('a');
  const reader = await open('c');
  const runId = 'request id with spaces.and.dots';
  assert.equal(await reader.get(runId), undefined);
  await owner.write({ runId, sessionKey: 'main', state: 'queued', queuedAt: 10 });
  assert.deepEqual(await reader.get(runId), { runId, sessionKey: 'main', state: 'queued', queuedAt: 10, recoveries: 0, owner: 'a', updatedAt: 1001 });
  await owner.write({ runId, sessionKey: 'main', state: 'running', queuedAt: 10, startedAt: 11, reply: 'hal' });
  assert.equal((await reader.get(runId))?.state, 'running');
  assert.equal((await reader.get(runId))?.reply, 'hal');
  const done = await owner.write({
    runId, sessionKey: 'main', state: 'completed', queuedAt: 10, startedAt: 11, finishedAt: 12, reply: 'hello',
    usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
  });
  assert.deepEqual(await reader.get(runId), done);
  const failed = await reader.write({
    runId: 'r2', sessionKey: 'main', state: 'failed', queuedAt: 10, finishedAt: 12, error: { type: 'interrupted', message: 'lost' }, recoveries: 1,
  });
  assert.deepEqual(await owner.get('r2'), failed);
  assert.equal(failed.owner, 'c');
});

test('records expire after the retention', async () => {
  const table = await open('a', { retentionMs: 500, bucket: 'runs-retention' });
  await table.write({ runId: 'old', sessionKey: 's', state: 'completed', queuedAt: 1, finishedAt: 2, reply: 'x' });
  assert.equal((await table.get('old'))?.state, 'completed');
  await until(async () => (await table.get('old')) === undefined, 'the record to expire', 10_000, 50);
});

test('a bad retention, or one other than the bucket\'s, is refused', async () => {
  const nc = await nats.connect();
  await assert.rejects(RunStatuses.open(nc, { instanceId: 'a', retentionMs: 0 }), /positive integer/);
  await open('a', { retentionMs: 60_000, bucket: 'runs-agree' });
  await assert.rejects(open('b', { retentionMs: 30_000, bucket: 'runs-agree' }), /same --run-retention-ms/);
});
