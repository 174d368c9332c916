import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Inbox, type InboxDelivery, type InboxEntry } from '../../src/cluster/inbox.js';
import { INBOX_STREAM, inboxSubject } from '../../src/cluster/subjects.js';
import { natsServerPerFile } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';

// The inbox on a real nats-server: append is durable and deduplicated by run id, the owner reads a session in
// order, and what one owner did not ack is delivered to the next one.

const nats = natsServerPerFile();

async function open(id: string): Promise<{ nc: NatsConnection; inbox: Inbox }> {
  const nc = await nats.connect();
  return { nc, inbox: await Inbox.open(nc, { instanceId: id }) };
}

const entry = (sessionKey: string, runId: string, extra: Partial<InboxEntry> = {}): InboxEntry => ({
  runId, origin: { surface: 'http' }, input: { runId, sessionKey, text: `text of ${runId}`, parts: [] }, queuedAt: 1_700_000_000_000, ...extra,
});

/** Reads `sessionKey`, collecting deliveries (acked by the test). */
async function collect(inbox: Inbox, sessionKey: string) {
  const got: InboxDelivery[] = [];
  const errors: unknown[] = [];
  const reader = await inbox.read(sessionKey, { deliver: (d) => { got.push(d); }, onError: (err) => errors.push(err) });
  return { got, errors, reader };
}

async function stored(nc: NatsConnection, sessionKey: string): Promise<number> {
  const info = await (await jetstreamManager(nc)).streams.info(INBOX_STREAM, { subjects_filter: inboxSubject(sessionKey) });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

test('a session\'s messages reach its owner in acceptance order, whole, with the accepting instance', async () => {
  const { inbox: a } = await open('a');
  const { inbox: b } = await open('b');
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  for (let i = 0; i < 10; i++) {
    const via = i % 2 === 0 ? a : b;
    const parts = i === 3 ? [{ type: 'audio' as const, data: bytes, format: 'wav' }] : [];
    const ack = await via.append(entry('order.s *', `r${i}`, { input: { runId: `r${i}`, sessionKey: 'order.s *', text: `t${i}`, parts }, mode: 'collect' }));
    assert.equal(ack.duplicate, false);
    await via.append(entry('order-other', `o${i}`)); // another session's messages are not delivered
  }
  const { got, errors, reader } = await collect(b, 'order.s *');
  await until(() => got.length === 10, 'ten deliveries', 10_000, 10);
  assert.deepEqual(got.map((d) => d.entry.runId), Array.from({ length: 10 }, (_, i) => `r${i}`));
  assert.deepEqual(got.map((d) => d.acceptedBy), Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'a' : 'b')));
  assert.ok(got.every((d, i) => i === 0 || d.seq > got[i - 1].seq));
  assert.deepEqual(got[3].entry.input.parts, [{ type: 'audio', data: bytes, format: 'wav' }]);
  assert.ok(got[3].entry.input.parts[0].type === 'audio' && got[3].entry.input.parts[0].data instanceof Uint8Array);
  assert.equal(got[5].entry.mode, 'collect');
  assert.deepEqual(got[5].entry.origin, { surface: 'http' });
  assert.deepEqual(errors, []);
  await reader.close();
});

test('a run id appended twice is journaled once: the second PubAck says duplicate', async () => {
  const { nc, inbox: a } = await open('a');
  const { inbox: b } = await open('b');
  const first = await a.append(entry('dup', 'same-key'));
  const again = await b.append(entry('dup', 'same-key', { input: { runId: 'same-key', sessionKey: 'dup', text: 'different text', parts: [] } }));
  assert.deepEqual(again, { seq: first.seq, duplicate: true });
  await a.append(entry('dup', 'next'));
  const { got, reader } = await collect(a, 'dup');
  await until(() => got.length === 2, 'two deliveries', 10_000, 10);
  assert.deepEqual(got.map((d) => [d.entry.runId, d.entry.input.text]), [['same-key', 'text of same-key'], ['next', 'text of next']]);
  assert.equal(await stored(nc, 'dup'), 2);
  await reader.close();
});

test('what the first owner did not ack is delivered, in order, to the next owner after the first disappears', async () => {
  const { nc: ncA, inbox: a } = await open('a');
  const { nc: ncB, inbox: b } = await open('b');
  for (const id of ['m1', 'm2', 'm3']) await a.append(entry('failover', id));
  const first = await collect(a, 'failover');
  await until(() => first.got.length === 3, 'three deliveries to a', 10_000, 10);
  await first.got[0].ack(); // m1's run finished on a; m2 running, m3 queued when a dies
  assert.equal(first.reader.unacked, 2);
  await ncA.close();
  await b.append(entry('failover', 'm4')); // accepted while nobody reads the session
  const second = await collect(b, 'failover');
  await until(() => second.got.length === 3, 'three deliveries to b', 10_000, 10);
  assert.deepEqual(second.got.map((d) => d.entry.runId), ['m2', 'm3', 'm4']);
  for (const d of second.got) await d.ack();
  assert.equal(second.reader.unacked, 0);
  await until(async () => (await stored(ncB, 'failover')) === 0, 'the finished messages to leave the journal', 10_000, 10);
  await second.reader.close();
});

test('a graceful hand-over: close() removes the consumer, the next reader gets exactly the unacked messages', async () => {
  const { inbox: a } = await open('a');
  for (const id of ['h1', 'h2']) await a.append(entry('handover', id));
  const first = await collect(a, 'handover');
  await until(() => first.got.length === 2, 'two deliveries', 10_000, 10);
  await first.got[0].ack();
  await first.reader.close();
  const { inbox: b } = await open('b');
  const second = await collect(b, 'handover');
  await until(() => second.got.length === 1, 'one delivery', 10_000, 10);
  assert.equal(second.got[0].entry.runId, 'h2');
  await second.reader.close();
});

test('what deliver throws is reported, and the next messages are still delivered', async () => {
  const { inbox } = await open('a');
  for (const id of ['e1', 'e2']) await inbox.append(entry('errors', id));
  const seen: string[] = [];
  const failed: string[] = [];
  const reader = await inbox.read('errors', {
    deliver: (d) => {
      seen.push(d.entry.runId);
      if (d.entry.runId === 'e1') throw new Error('boom');
    },
    onError: (_err, d) => failed.push(d.entry.runId),
  });
  await until(() => seen.length === 2, 'both deliveries', 10_000, 10);
  assert.deepEqual(failed, ['e1']);
  await reader.close();
});
