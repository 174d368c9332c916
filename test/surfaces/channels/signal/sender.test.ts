import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { SimulatedClock } from 'xstate';
import { SignalClient } from '../../../../src/surfaces/channels/signal/client.js';
import { SignalSender } from '../../../../src/surfaces/channels/signal/sender.js';
import { startFakeSignal } from '../../../helpers/fake-signal.js';
import { within } from '../../../helpers/wait.js';

// The Signal sender against the fake server (spec channels.md SG3, SG4, §1.6; acceptance S2, S3, S5, S7 at
// the sender level): every send outcome and the typing calls.

type After = { after(fn: () => unknown): void };

async function setup(t: After, clock?: SimulatedClock) {
  const sig = await startFakeSignal({ mode: 'json-rpc' });
  t.after(() => sig.close());
  const errors: string[] = [];
  const client = new SignalClient({ apiUrl: sig.apiUrl, account: sig.account, ...(clock ? { clock } : {}) });
  const sender = new SignalSender({ client, onError: (text) => errors.push(text) });
  return { sig, sender, errors };
}

const U = '0b5f7a4e-1111-2222-3333-444455556666';

test('S2: a DM reply is POST /v2/send with recipients [uuid]; sent with remoteId = the timestamp', async (t) => {
  const { sig, sender } = await setup(t);
  const out = await sender.sendText({ chatId: U, chatType: 'direct', text: 'Echo: hi' });
  assert.equal(out.kind, 'sent');
  assert.deepEqual(sig.sends(), [{ number: '+15550001', recipients: [U], message: 'Echo: hi', text_mode: 'styled' }]);
  assert.equal(out.kind === 'sent' && out.remoteId, '1700000000001');
  await sender.sendText({ chatId: `uuid:${U}`, text: 'again' });
  assert.deepEqual(sig.sends()[1].recipients, [U], 'a uuid: prefix is stripped');
});

test("S3: a group reply goes to the transport's `group.<base64>` recipient as is", async (t) => {
  const { sig, sender } = await setup(t);
  assert.equal((await sender.sendText({ chatId: 'group.YWJjPQ==', chatType: 'group', replyToMessageId: '5', text: 'x' })).kind, 'sent');
  assert.deepEqual(sig.sends()[0].recipients, ['group.YWJjPQ==']);
});

test('S7: 429 with challenge tokens → rejected with the challenge text, also reported for status lastError', async (t) => {
  const { sig, sender, errors } = await setup(t);
  sig.rateLimitNextSend();
  const out = await sender.sendText({ chatId: U, text: 'x' });
  assert.equal(out.kind, 'rejected');
  assert.match(out.kind === 'rejected' ? out.error : '', /rate-limit challenge/);
  assert.deepEqual(errors, ['rate-limit challenge required: solve it with POST /v1/accounts/+15550001/rate-limit-challenge']);
});

test('400 → rejected with the server error; 500 → ambiguous; an edit → rejected without a send', async (t) => {
  const { sig, sender, errors } = await setup(t);
  sig.failNextSend('Failed to send message: Unregistered user');
  assert.deepEqual(await sender.sendText({ chatId: U, text: 'x' }), { kind: 'rejected', error: 'Failed to send message: Unregistered user' });
  sig.crashNextSend();
  assert.equal((await sender.sendText({ chatId: U, text: 'x' })).kind, 'ambiguous');
  assert.equal((await sender.sendText({ chatId: U, text: 'x', editMessageId: '1700000000001' })).kind, 'rejected');
  assert.equal(sig.sends().length, 2);
  assert.deepEqual(errors, [], 'only the rate-limit challenge is an account-level error');
});

test('a refused port → notSent; a hung send past 60 s (simulated) → ambiguous', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const refused = new SignalSender({ client: new SignalClient({ apiUrl: `http://127.0.0.1:${port}`, account: '+15550001' }) });
  assert.equal((await refused.sendText({ chatId: U, text: 'x' })).kind, 'notSent');
  await refused.typing({ chatId: U }, true); // best effort: resolves

  const clock = new SimulatedClock();
  const { sig, sender } = await setup(t, clock);
  sig.hangNextSend();
  const sending = sender.sendText({ chatId: U, text: 'x' });
  await sig.waitForCalls((c) => c.path === '/v2/send', 1);
  clock.increment(60_000);
  const out = await within(sending, 'the send timeout');
  assert.equal(out.kind, 'ambiguous');
});

test('S5 (sender level): typing on → PUT, off → DELETE /v1/typing-indicator/%2B15550001 {recipient}', async (t) => {
  const { sig, sender } = await setup(t);
  await sender.typing({ chatId: U }, true);
  await sender.typing({ chatId: 'group.YWJjPQ==' }, true);
  await sender.typing({ chatId: U }, false);
  assert.deepEqual(sig.calls.map((c) => [c.method, c.path, c.body.recipient]), [
    ['PUT', '/v1/typing-indicator/%2B15550001', U],
    ['PUT', '/v1/typing-indicator/%2B15550001', 'group.YWJjPQ=='],
    ['DELETE', '/v1/typing-indicator/%2B15550001', U],
  ]);
});
