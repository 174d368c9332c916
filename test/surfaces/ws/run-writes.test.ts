import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { RawSocket, uniq } from '../../helpers/ws-client.js';

// What a fast run costs a reader in writes: its events (agent lifecycle and assistant, chat delta and final)
// are published in two turns (started and the reply before the group commit of `completed`, the rest after
// it), and reach every reader in ONE write, not one per turn: the group commit flushes `completed` ahead of
// the transport's end-of-turn write. Counted from outside, as the TCP chunks a bystander reader receives
// that carry the run's frames (a tick in between would be a chunk of its own and is not counted).

let tg: TestGateway;
before(async () => {
  tg = await startTestGateway();
});
after(async () => {
  await tg?.close();
});

test("a fast run's events reach a reader in one write", async () => {
  const sender = await RawSocket.connect(tg.url, {}, 'sender');
  const reader = await RawSocket.connect(tg.url, { scopes: ['operator.read'] }, 'reader');
  try {
    await reader.sync();
    const runId = uniq('one-write');
    const chunks: string[] = [];
    (reader.ws as unknown as { _socket: NodeJS.EventEmitter })._socket.prependListener('data', (d: Buffer) => { chunks.push(d.toString('latin1')); });
    const ack = await sender.request('chat.send', { sessionKey: `agent:main:${uniq('w')}`, message: 'hello', idempotencyKey: runId });
    assert.equal(ack.ok, true, JSON.stringify(ack.error));
    await reader.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final', { ms: 30_000 });
    const events = reader.log.frames.filter((f) => f.type === 'event' && (f.payload as { runId?: string } | undefined)?.runId === runId);
    assert.deepEqual(events.map((f) => `${f.event} ${(f.payload as { stream?: string; state?: string }).stream ?? (f.payload as { state?: string }).state}`), [
      'agent lifecycle', 'agent lifecycle', 'agent assistant', 'chat delta', 'agent lifecycle', 'agent lifecycle', 'agent lifecycle', 'chat final',
    ]);
    assert.equal(chunks.filter((c) => c.includes(runId)).length, 1, 'the run\'s 8 frames came in one write');
  } finally {
    await sender.close();
    await reader.close();
  }
});
