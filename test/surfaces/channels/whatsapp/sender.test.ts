import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { openDb } from '../../../../src/store/db.js';
import { ChannelOutbox } from '../../../../src/store/channel-outbox.js';
import { OutboxWorker } from '../../../../src/surfaces/channels/outbox-worker.js';
import { CHANNEL_RATE_LIMITS, SendRateLimiter } from '../../../../src/surfaces/channels/rate-limit.js';
import { classifyWhatsAppSendError, WhatsAppSender, type WhatsAppSendSocket, whatsappMessageId } from '../../../../src/surfaces/channels/whatsapp/sender.js';
import { advance, settle } from '../../../helpers/recording-sender.js';

// The WhatsApp send seam (spec channels.md WA6, §1.6, C8; tests W5, W9): deterministic message ids, error classes,
// presence, and a crash resend through the real outbox worker.

const PEER = '15551230000@s.whatsapp.net';

/** Baileys throws Boom errors: an Error with `isBoom` and `output.statusCode`. */
function boom(message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode } });
}

type Call = { op: 'send'; jid: string; content: { text: string }; options?: { messageId?: string } } | { op: 'presence'; type: string; jid?: string };

/** A socket recording its calls; `failures` are thrown by the next sends, in order. */
function fakeSocket(failures: unknown[] = []): WhatsAppSendSocket & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async sendMessage(jid, content, options) {
      calls.push({ op: 'send', jid, content, ...(options ? { options } : {}) });
      if (failures.length > 0) throw failures.shift();
      return { key: { id: options?.messageId ?? 'BAILEYS-ID' } };
    },
    async sendPresenceUpdate(type, jid) {
      calls.push({ op: 'presence', type, ...(jid !== undefined ? { jid } : {}) });
    },
  };
}

describe('WhatsAppSender (WA6)', () => {
  test('W5: sendMessage(jid, {text}, {messageId}) with 3EB0 + 18 upper-case hex of sha256(row id), deterministic per row', async () => {
    const sock = fakeSocket();
    const sender = new WhatsAppSender(() => sock);
    const first = await sender.sendText({ chatId: PEER, text: 'hi', rowId: 'r1:0' });
    const again = await sender.sendText({ chatId: PEER, text: 'hi', rowId: 'r1:0' });
    const other = await sender.sendText({ chatId: PEER, text: 'more', rowId: 'r1:1' });
    assert.deepEqual(first, { kind: 'sent', remoteId: '3EB0544C617B43E09262D1' });
    assert.deepEqual(again, first);
    assert.deepEqual(other, { kind: 'sent', remoteId: '3EB05359C0DB14719F5AE4' });
    assert.deepEqual(sock.calls[0], { op: 'send', jid: PEER, content: { text: 'hi' }, options: { messageId: '3EB0544C617B43E09262D1' } });
    for (const call of sock.calls) assert.match(call.op === 'send' ? call.options?.messageId ?? '' : '', /^3EB0[0-9A-F]{18}$/);
    assert.equal(whatsappMessageId('r1:0'), '3EB0544C617B43E09262D1');
  });

  test('without a row id Baileys picks the id; the sent message\'s key id is the remote id', async () => {
    const sock = fakeSocket();
    assert.deepEqual(await new WhatsAppSender(() => sock).sendText({ chatId: PEER, text: 'x' }), { kind: 'sent', remoteId: 'BAILEYS-ID' });
    assert.deepEqual(sock.calls[0], { op: 'send', jid: PEER, content: { text: 'x' }, options: {} });
  });

  test('C10: the sender knows the ids it sent (self-chat-mode must not answer its own replies), also without a row id', async () => {
    const sock = fakeSocket([boom('Connection Closed', 428)]);
    const sender = new WhatsAppSender(() => sock);
    assert.equal(sender.sentHere(whatsappMessageId('r1:0')), false);
    await sender.sendText({ chatId: PEER, text: 'cut', rowId: 'r1:0' });
    assert.equal(sender.sentHere(whatsappMessageId('r1:0')), true, 'an ambiguous send may still arrive');
    await sender.sendText({ chatId: PEER, text: 'no row' });
    assert.equal(sender.sentHere('BAILEYS-ID'), true);
    assert.equal(sender.sentHere(whatsappMessageId('r1:1')), false);
  });

  test('WA1: the content of a sent message is there for Baileys\' retry requests (getMessage), as sent', async () => {
    const sock = fakeSocket();
    const sender = new WhatsAppSender(() => sock);
    await sender.sendText({ chatId: PEER, text: '**answer**', rowId: 'r1:0' });
    assert.deepEqual(sender.sentMessage(whatsappMessageId('r1:0')), { conversation: '*answer*' });
    assert.equal(sender.sentMessage('3EB0000000000000000000'), undefined);
  });

  test('Markdown is sent in WhatsApp\'s formatting (plain text unchanged)', async () => {
    const sock = fakeSocket();
    await new WhatsAppSender(() => sock).sendText({ chatId: PEER, text: '# Plan\n**bold** and ~~old~~', rowId: 'r1:0' });
    assert.deepEqual(sock.calls.map((c) => (c.op === 'send' ? c.content.text : '')), ['*Plan*\n*bold* and ~old~']);
  });

  test('no open socket → notSent, and nothing is called', async () => {
    const outcome = await new WhatsAppSender(() => undefined).sendText({ chatId: PEER, text: 'x', rowId: 'r1:0' });
    assert.equal(outcome.kind, 'notSent');
  });

  test('errors: 429 and rate-overlimit → rateLimited; closed, lost, timed out → ambiguous; other 4xx → rejected', async () => {
    const cases: [unknown, string][] = [
      [boom('rate-overlimit', 429), 'rateLimited'],
      [new Error('rate-overlimit'), 'rateLimited'],
      [boom('Connection Closed', 428), 'ambiguous'],
      [boom('Timed Out', 408), 'ambiguous'],
      [boom('Connection was lost', 408), 'ambiguous'],
      [boom('Intentional Logout', 401), 'ambiguous'],
      [new Error('Connection Closed'), 'ambiguous'],
      [boom('bad-request', 400), 'rejected'],
      [boom('item-not-found', 404), 'rejected'],
      [new Error('something odd'), 'ambiguous'],
    ];
    for (const [err, kind] of cases) {
      const sock = fakeSocket([err]);
      const outcome = await new WhatsAppSender(() => sock).sendText({ chatId: PEER, text: 'x', rowId: 'r1:0' });
      assert.equal(outcome.kind, kind, `${(err as Error).message}`);
      assert.deepEqual(outcome, classifyWhatsAppSendError(err));
      if (outcome.kind === 'rateLimited') assert.ok(outcome.retryAfterMs > 0);
    }
    const rejected = classifyWhatsAppSendError(boom('bad-request', 400));
    assert.deepEqual(rejected, { kind: 'rejected', error: '400: bad-request' });
  });
});

describe('WhatsAppSender typing (C8)', () => {
  test('on → composing to the chat, off → paused; failures and a missing socket are ignored', async () => {
    const sock = fakeSocket();
    const sender = new WhatsAppSender(() => sock);
    await sender.typing({ chatId: PEER }, true);
    await sender.typing({ chatId: PEER }, false);
    assert.deepEqual(sock.calls, [{ op: 'presence', type: 'composing', jid: PEER }, { op: 'presence', type: 'paused', jid: PEER }]);
    const failing = { ...fakeSocket(), sendPresenceUpdate: async () => { throw boom('Connection Closed', 428); } };
    await new WhatsAppSender(() => failing).typing({ chatId: PEER }, true);
    await new WhatsAppSender(() => undefined).typing({ chatId: PEER }, true);
  });
});

describe('W9: crash resend through the outbox (WA6, §1.6)', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  function setup(t: TestContext, sock: WhatsAppSendSocket) {
    const dir = mkdtempSync(join(tmpdir(), 'clawgate-wa-sender-'));
    dirs.push(dir);
    const db = openDb(dir);
    t.after(() => db.close());
    const clock = new SimulatedClock();
    const outbox = new ChannelOutbox(db, { now: () => clock.now() });
    const worker = new OutboxWorker({
      outbox, sender: new WhatsAppSender(() => sock), clock, channel: 'whatsapp', accountId: 'default',
      limits: new SendRateLimiter({ clock, limits: CHANNEL_RATE_LIMITS.whatsapp }),
    });
    outbox.enqueue([{ id: 'r1:0', runId: 'r1', channel: 'whatsapp', accountId: 'default', chatKey: PEER, target: { chatId: PEER }, payload: { kind: 'reply', text: 'the answer' } }]);
    return { db, clock, outbox, worker };
  }

  test('a row left in sending at start-up is sent once with the same message id; the row ends sent', async (t) => {
    const sock = fakeSocket();
    const { clock, outbox, worker } = setup(t, sock);
    assert.equal(outbox.markSending('r1:0'), true); // the crash: committed sending, the call's fate unknown
    worker.start();
    await settle();
    await advance(clock, 5_000);
    await worker.stop();
    assert.deepEqual(sock.calls, [{ op: 'send', jid: PEER, content: { text: 'the answer' }, options: { messageId: whatsappMessageId('r1:0') } }]);
    assert.equal(outbox.get('r1:0')?.state, 'sent');
    assert.equal(outbox.get('r1:0')?.remoteId, whatsappMessageId('r1:0'));
  });

  test('a send cut by a disconnect (ambiguous) is resent with the same message id', async (t) => {
    const sock = fakeSocket([boom('Connection Closed', 428)]);
    const { clock, outbox, worker } = setup(t, sock);
    worker.start();
    await settle();
    await advance(clock, 5_000);
    await worker.stop();
    const ids = sock.calls.map((c) => (c.op === 'send' ? c.options?.messageId : undefined));
    assert.deepEqual(ids, [whatsappMessageId('r1:0'), whatsappMessageId('r1:0')]);
    assert.equal(outbox.get('r1:0')?.state, 'sent');
  });
});
