import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { SimulatedClock } from 'xstate';
import { ChannelOutbox, type NewOutboxRow } from '../../../src/store/channel-outbox.js';
import { openDb } from '../../../src/store/db.js';
import { forwardedRows, RowForwarder } from '../../../src/surfaces/channels/row-forwarder.js';
import { flush } from '../../helpers/wait.js';

// Cluster mode: an account in standby hands its pending reply rows to the lease holder, on a real SQLite outbox
// and a simulated clock; the holder's check of what it is handed. The NATS relay itself is tested in
// test/cluster/channel-leases.test.ts; here `forward` is the holder's answer.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function setup(answers: (string | undefined)[]) {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-row-forwarder-'));
  dirs.push(dir);
  const clock = new SimulatedClock();
  const outbox = new ChannelOutbox(openDb(dir), { now: () => clock.now() });
  const forwards: string[][] = [];
  const forwarder = new RowForwarder({
    channel: 'telegram', accountId: 'default', outbox, clock, retryMs: 1000, log: pino({ level: 'silent' }),
    forward: async (rows) => { forwards.push(rows.map((r) => r.id)); return answers.shift(); },
  });
  const row = (id: string, chatId = '42'): NewOutboxRow => ({
    id, runId: id.split(':')[0]!, channel: 'telegram', accountId: 'default', chatKey: chatId, target: { chatId }, payload: { kind: 'reply', text: `text ${id}` },
  });
  return { clock, outbox, forwarder, forwards, row };
}

test('in standby the pending rows go to the holder in order and are done here once it committed them', async () => {
  const { outbox, forwarder, forwards, row } = setup(['gw-a', 'gw-a']);
  outbox.enqueue([row('r1:0'), row('r1:1'), { ...row('r0:0'), state: 'sent', remoteId: '9' }]);
  forwarder.start();
  await flush();
  assert.deepEqual(forwards, [['r1:0', 'r1:1']], 'pending rows only, oldest first');
  assert.deepEqual([outbox.get('r1:0')?.state, outbox.get('r1:0')?.remoteId], ['sent', 'forwarded:gw-a']);
  assert.deepEqual(outbox.pendingOf('telegram', 'default', 10), []);
  outbox.enqueue([row('r2:0')]);
  forwarder.kick();
  await flush();
  assert.deepEqual(forwards.at(-1), ['r2:0']);
});

test('no holder answers: the rows stay pending and are offered again after retryMs; stopped, nothing is forwarded', async () => {
  const { clock, outbox, forwarder, forwards, row } = setup([undefined, 'gw-b']);
  outbox.enqueue([row('r1:0')]);
  forwarder.start();
  await flush();
  assert.equal(outbox.get('r1:0')?.state, 'pending');
  clock.increment(999);
  await flush();
  assert.equal(forwards.length, 1);
  clock.increment(1);
  await flush();
  assert.equal(forwards.length, 2);
  assert.equal(outbox.get('r1:0')?.remoteId, 'forwarded:gw-b');
  forwarder.stop();
  outbox.enqueue([row('r2:0')]);
  forwarder.kick();
  clock.increment(10_000);
  await flush();
  assert.equal(forwards.length, 2, 'the account left standby: its own worker sends now');
  assert.equal(outbox.get('r2:0')?.state, 'pending');
});

test('the holder takes rows of its own account only, and a forwarded chunk 0 edits the preview it streamed', () => {
  const { outbox, row } = setup([]);
  outbox.enqueue([{ ...row('r1:preview'), payload: { kind: 'preview', text: 'te' }, state: 'sent', remoteId: '77' }]);
  const [chunk0, chunk1] = forwardedRows([row('r1:0'), row('r1:1')], 'telegram', 'default', outbox);
  assert.equal(chunk0!.payload.editMessageId, '77');
  assert.equal(chunk1!.payload.editMessageId, undefined);
  assert.throws(() => forwardedRows([{ ...row('r1:0'), accountId: 'other' }], 'telegram', 'default', outbox), /not a reply row of telegram:default/);
  assert.throws(() => forwardedRows([{ ...row('r1:0'), payload: { kind: 'shell', text: 'x' } }], 'telegram', 'default', outbox), /not a reply row/);
  assert.throws(() => forwardedRows([null], 'telegram', 'default', outbox), /not a reply row/);
});

test('shutdown: flush() forwards what is pending even though the account stopped, once, and leaves no retry behind', async () => {
  const { clock, outbox, forwarder, forwards, row } = setup([undefined, 'gw-a']);
  outbox.enqueue([row('r1:0')]);
  await forwarder.flush();
  assert.deepEqual(forwards, [['r1:0']]);
  assert.equal(outbox.get('r1:0')?.state, 'pending', 'no holder answered: kept for this instance\'s next start');
  clock.increment(10_000);
  await flush();
  assert.equal(forwards.length, 1, 'no retry timer after a flush of a stopped account');
  await forwarder.flush();
  assert.equal(outbox.get('r1:0')?.remoteId, 'forwarded:gw-a');
});
