import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resetInCluster } from '../../src/actors/cluster-history.js';
import { ClusterTranscripts } from '../../src/cluster/transcripts.js';
import { natsServerPerFile } from '../helpers/nats-server.js';

// A context reset in the cluster's history, on a real nats-server: a marker after the session's messages; one
// asked again under the same key (a channel's /new delivered again, to another instance) resets once.

const nats = natsServerPerFile();
const noActor = { inspect: () => undefined };

test('a reset appends a marker; asked again with the same key, from another instance, it is recorded once; a session never seen is not reset', async () => {
  const [a, b] = [
    await ClusterTranscripts.open(await nats.connect(), { instanceId: 'a' }),
    await ClusterTranscripts.open(await nats.connect(), { instanceId: 'b' }),
  ];
  const session = 'agent:main:telegram:direct:9';
  assert.equal(await resetInCluster({ sessions: noActor, history: a }, session, 'tg:default:1:5'), undefined, 'nothing to reset');
  await a.append(session, { id: 'm1', role: 'user', text: 'hi', timestamp: 1, runId: 'r1', idempotencyKey: 'r1:user' });
  const first = await resetInCluster({ sessions: noActor, history: a, now: () => 100 }, session, 'tg:default:1:6');
  assert.deepEqual(first, { resetAt: 100 });
  await resetInCluster({ sessions: noActor, history: b, now: () => 200 }, session, 'tg:default:1:6');
  const read = await b.read(session);
  assert.deepEqual(read.map((m) => [m.role, m.idempotencyKey, m.timestamp]), [['user', 'r1:user', 1], ['system', 'reset:tg:default:1:6', 100]]);
  // without a key, each reset is a reset of its own
  await resetInCluster({ sessions: noActor, history: a }, session);
  await resetInCluster({ sessions: noActor, history: a }, session);
  assert.equal((await b.read(session)).filter((m) => m.role === 'system').length, 3);
});
