import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestLive, requestReset, serveSessionRequests } from '../../src/cluster/session-requests.js';
import { natsServerPerFile } from '../helpers/nats-server.js';

// What only a session's owner knows, asked from another instance on a real nats-server: its live state and a
// reset; nobody answers for a session nobody owns.

const nats = natsServerPerFile();

test('the owner answers a session\'s live state and resets it; another session or an unowned one has no owner', async () => {
  const [owner, other] = [await nats.connect(), await nats.connect()];
  const resets: (string | undefined)[] = [];
  let exists = true;
  const sub = serveSessionRequests(owner, {
    instanceId: 'a', sessionKey: 'agent:main s.1',
    live: () => ({ running: 'r1', queued: [{ runId: 'r2', text: 'next', queuedAt: 5 }] }),
    reset: async (key) => {
      if (!exists) return undefined;
      resets.push(key);
      return { resetAt: 42, runInFlight: 'r1' };
    },
  });
  await owner.flush();
  const ask = { instanceId: 'b', sessionKey: 'agent:main s.1' };
  assert.deepEqual(await requestLive(other, ask), { running: 'r1', queued: [{ runId: 'r2', text: 'next', queuedAt: 5 }] });
  assert.deepEqual(await requestReset(other, ask), { resetAt: 42, runInFlight: 'r1' });
  // a channel's /new names its marker after the message: the owner gets the name
  assert.deepEqual(await requestReset(other, { ...ask, key: 'tg:default:1:7' }), { resetAt: 42, runInFlight: 'r1' });
  exists = false;
  assert.equal(await requestReset(other, ask), 'not-found');
  assert.deepEqual(resets, [undefined, 'tg:default:1:7']);
  assert.equal(await requestLive(other, { instanceId: 'b', sessionKey: 'another' }), 'no-owner');
  assert.equal(await requestReset(other, { instanceId: 'b', sessionKey: 'another' }), 'no-owner');
  sub.unsubscribe();
  await owner.flush();
  assert.equal(await requestLive(other, ask), 'no-owner');
});

test('an owner that could not record the reset says so: the asker gets an error, not "not found"', async () => {
  const [owner, other] = [await nats.connect(), await nats.connect()];
  const sub = serveSessionRequests(owner, {
    instanceId: 'a', sessionKey: 's', live: () => ({ running: null, queued: [] }),
    reset: () => Promise.reject(new Error('NATS took too long')),
  });
  await owner.flush();
  await assert.rejects(requestReset(other, { instanceId: 'b', sessionKey: 's' }), /could not answer reset: NATS took too long/);
  sub.unsubscribe();
});
