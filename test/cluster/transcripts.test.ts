import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { transcriptSubject } from '../../src/cluster/subjects.js';
import { ClusterTranscripts } from '../../src/cluster/transcripts.js';
import type { TranscriptMessage } from '../../src/core/transcript.js';
import { natsServerPerFile } from '../helpers/nats-server.js';

// The sessions' transcripts on a real nats-server: appended by whichever instance owned the session at the
// time, read the same, in one order, by every instance.

const nats = natsServerPerFile();

async function open(id: string): Promise<ClusterTranscripts> {
  return ClusterTranscripts.open(await nats.connect(), { instanceId: id });
}

let n = 0;
const turn = (runId: string, role: 'user' | 'assistant', text: string): Omit<TranscriptMessage, 'seq'> => ({
  id: `m${++n}`, role, text, timestamp: 1000 + n, runId, idempotencyKey: role === 'user' ? `${runId}:user` : runId,
});

test('a session\'s history written by two owners in turn reads the same on a third instance: in order, each message once, numbered', async () => {
  const [a, b, c] = [await open('a'), await open('b'), await open('c')];
  const session = 'agent:main telegram:dm:42';
  assert.deepEqual(await c.read(session), [], 'a session never seen');
  // not awaited: a read on the writing instance waits for its writes of the session
  void a.append(session, turn('r1', 'user', 'hello'));
  void a.append(session, turn('r1', 'assistant', 'hi'));
  void a.append(session, turn('r2', 'user', 'and then'));
  assert.deepEqual((await a.read(session)).map((m) => m.text), ['hello', 'hi', 'and then']);
  // a dies in the middle of r2; b, its next owner, runs r2 once more: its user message is recorded again —
  // within the dedupe window the stream refuses it, after it (as here: no Nats-Msg-Id) it is stored
  await b.append(session, { ...turn('r2', 'user', 'and then'), id: 'again' });
  await jetstream(await nats.connect()).publish(transcriptSubject(session), JSON.stringify({ ...turn('r2', 'user', 'and then'), id: 'later' }));
  await b.append(session, turn('r2', 'assistant', 'then this'));
  await b.append(session, turn('r3', 'user', 'last'));
  const read = await c.read(session);
  assert.deepEqual(read.map((m) => [m.seq, m.role, m.text, m.runId]), [
    [1, 'user', 'hello', 'r1'], [2, 'assistant', 'hi', 'r1'], [3, 'user', 'and then', 'r2'], [4, 'assistant', 'then this', 'r2'], [5, 'user', 'last', 'r3'],
  ]);
  assert.ok(!['again', 'later'].includes(read[2].id), 'the first copy counts');
  assert.deepEqual(await a.read(session), read, 'the same on every instance');
  // pages as the SQLite store gives them: the newest `limit` after `offset` newest, oldest first
  assert.deepEqual((await c.messages(session, { limit: 2 })).messages.map((m) => m.seq), [4, 5]);
  assert.deepEqual((await c.messages(session, { limit: 2, offset: 2 })).messages.map((m) => m.seq), [2, 3]);
  assert.deepEqual((await c.messages(session, { limit: 10, offset: 4 })).messages.map((m) => m.seq), [1]);
  assert.equal((await c.messages(session, { limit: 2 })).total, 5);
  assert.deepEqual(await c.messages('another session'), { messages: [], total: 0 });
  // what the stream holds, the stored repeat included; nothing for a session it has never seen
  assert.deepEqual([await c.count(session), await c.count('another session')], [6, 0]);
});

test('a long history is read whole, in batches', async () => {
  const [a, c] = [await open('a'), await open('c')];
  const session = 'long';
  for (let i = 0; i < 2_500; i++) void a.append(session, turn(`l${i}`, 'user', `message ${i}`));
  await a.flushed(session);
  const read = await c.read(session);
  assert.equal(read.length, 2_500);
  assert.deepEqual([read[0].text, read[1_000].text, read.at(-1)!.text, read.at(-1)!.seq], ['message 0', 'message 1000', 'message 2499', 2_500]);
});
