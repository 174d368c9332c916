import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { requestAbortRunning, requestCancel, requestStopSession, serveCancels } from '../../src/cluster/remote-cancel.js';
import { cancelSubject, INSTANCE_HEADER } from '../../src/cluster/subjects.js';
import { natsServerPerFile } from '../helpers/nats-server.js';

// Cancel requests between instances on a real nats-server: the owner answers, nobody else does.

const nats = natsServerPerFile();

async function conn(): Promise<NatsConnection> {
  const nc = await nats.connect();
  return nc;
}

test('a cancel sent through any instance reaches the session\'s owner, which says whether it stopped the run', async () => {
  const owner = await conn();
  const other = await conn();
  const live = new Set(['r1']);
  const asked: string[] = [];
  const sub = serveCancels(owner, {
    instanceId: 'a', sessionKey: 'agent:main x.y', cancel: (runId) => { asked.push(runId); return live.delete(runId); }, abortRunning: () => [], stop: () => [],
  });
  await owner.flush();
  assert.equal(await requestCancel(other, { instanceId: 'b', sessionKey: 'agent:main x.y', runId: 'r1' }), 'cancelled');
  assert.equal(await requestCancel(other, { instanceId: 'b', sessionKey: 'agent:main x.y', runId: 'r1' }), 'not-live');
  assert.equal(await requestCancel(other, { instanceId: 'b', sessionKey: 'agent:main x.y', runId: 'unknown' }), 'not-live');
  assert.deepEqual(asked, ['r1', 'r1', 'unknown']);
  // the answer says who answered; a malformed request is answered "not live"
  const reply = await other.request(cancelSubject('agent:main x.y'), 'not json', { timeout: 5000 });
  assert.equal(reply.headers?.get(INSTANCE_HEADER), 'a');
  assert.deepEqual(reply.json(), { cancelled: false, runIds: [] });
  sub.unsubscribe();
});

test('the session\'s running run, which only its owner knows, is aborted through any instance', async () => {
  const owner = await conn();
  const other = await conn();
  let running: string | undefined = 'r7';
  const sub = serveCancels(owner, {
    instanceId: 'a', sessionKey: 's', cancel: () => false,
    abortRunning: () => {
      const aborted = running ? [running] : [];
      running = undefined;
      return aborted;
    },
    stop: () => [],
  });
  await owner.flush();
  assert.deepEqual(await requestAbortRunning(other, { instanceId: 'b', sessionKey: 's' }), ['r7']);
  assert.deepEqual(await requestAbortRunning(other, { instanceId: 'b', sessionKey: 's' }), [], 'nothing runs any more');
  assert.equal(await requestAbortRunning(other, { instanceId: 'b', sessionKey: 'nobody owns this' }), 'no-owner');
  sub.unsubscribe();
});

test('a channel\'s /stop through any instance cancels what the owner has live of the session, running or waiting', async () => {
  const owner = await conn();
  const other = await conn();
  let live = ['r1', 'r2', 'r3'];
  const sub = serveCancels(owner, {
    instanceId: 'a', sessionKey: 's', cancel: () => false, abortRunning: () => [],
    stop: () => {
      const stopped = live;
      live = [];
      return stopped;
    },
  });
  await owner.flush();
  assert.deepEqual(await requestStopSession(other, { instanceId: 'b', sessionKey: 's' }), ['r1', 'r2', 'r3']);
  assert.deepEqual(await requestStopSession(other, { instanceId: 'b', sessionKey: 's' }), [], 'nothing to stop any more');
  assert.equal(await requestStopSession(other, { instanceId: 'b', sessionKey: 'nobody owns this' }), 'no-owner');
  sub.unsubscribe();
});

test('with no owner for the session, the request says so at once', async () => {
  const owner = await conn();
  const other = await conn();
  assert.equal(await requestCancel(other, { instanceId: 'b', sessionKey: 'orphan', runId: 'r' }), 'no-owner');
  // an owner of another session does not answer for this one; after unsubscribing, nobody does
  const sub = serveCancels(owner, { instanceId: 'a', sessionKey: 'other', cancel: () => true, abortRunning: () => [], stop: () => [] });
  await owner.flush();
  assert.equal(await requestCancel(other, { instanceId: 'b', sessionKey: 'orphan', runId: 'r' }), 'no-owner');
  assert.equal(await requestCancel(other, { instanceId: 'b', sessionKey: 'other', runId: 'r' }), 'cancelled');
  sub.unsubscribe();
  await owner.flush();
  assert.equal(await requestCancel(other, { instanceId: 'b', sessionKey: 'other', runId: 'r' }), 'no-owner');
});
