import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import type { WAMessageKey } from '@whiskeysockets/baileys';
import { GROUP_SUBJECT_TTL_MS, GroupSubjects } from '../../../../src/surfaces/channels/whatsapp/group-subjects.js';
import { WhatsAppReadReceipts } from '../../../../src/surfaces/channels/whatsapp/receipts.js';
import { message } from '../pipeline-fixtures.js';
import { settle } from '../../../helpers/recording-sender.js';

// Read receipts once after acceptance (WA5, §1.4 step 8) and the 5-minute group subject cache (WA5).

const KEY: WAMessageKey = { remoteJid: '15551230000@s.whatsapp.net', id: 'ABC1', fromMe: false };
const MSG = message({ channel: 'whatsapp', inboundId: 'wa:default:15551230000@s.whatsapp.net:ABC1' });

function readSocket(fail = false) {
  const reads: WAMessageKey[][] = [];
  return { reads, async readMessages(keys: WAMessageKey[]) { reads.push(keys); if (fail) throw new Error('Connection Closed'); } };
}

describe('WhatsAppReadReceipts', () => {
  test('W5: readMessages([key]) once when the pipeline accepts the message, never again', async () => {
    const sock = readSocket();
    const receipts = new WhatsAppReadReceipts(() => sock);
    receipts.remember(MSG.inboundId, KEY);
    receipts.accepted(MSG);
    receipts.accepted(MSG);
    receipts.forget(MSG.inboundId);
    await settle();
    assert.deepEqual(sock.reads, [[KEY]]);
  });

  test('a message forgotten without acceptance (denied, paired, kept as context) is never marked read', async () => {
    const sock = readSocket();
    const receipts = new WhatsAppReadReceipts(() => sock);
    receipts.remember(MSG.inboundId, KEY);
    receipts.forget(MSG.inboundId);
    receipts.accepted(MSG);
    receipts.accepted(message({ channel: 'whatsapp', inboundId: 'wa:default:other:X' }));
    await settle();
    assert.deepEqual(sock.reads, []);
  });

  test('best effort: a failing call is reported to onError, a missing socket is skipped', async () => {
    const errors: unknown[] = [];
    const sock = readSocket(true);
    new WhatsAppReadReceipts(() => sock, (e) => errors.push(e)).readNow(KEY);
    new WhatsAppReadReceipts(() => undefined, (e) => errors.push(e)).readNow(KEY);
    await settle();
    assert.equal(sock.reads.length, 1);
    assert.equal(errors.length, 1);
  });
});

describe('GroupSubjects (5-minute cache)', () => {
  test('one groupMetadata call per group per 5 minutes; concurrent asks share it; failures are "unknown"', async () => {
    const clock = new SimulatedClock();
    const calls: string[] = [];
    const cache = new GroupSubjects({
      now: () => clock.now(),
      async groupMetadata(jid) {
        calls.push(jid);
        if (jid === 'gone@g.us') throw new Error('item-not-found');
        return { subject: ` Team ${calls.length} ` };
      },
    });
    const [a, b] = await Promise.all([cache.subject('1@g.us'), cache.subject('1@g.us')]);
    assert.equal(a, 'Team 1');
    assert.equal(b, 'Team 1');
    clock.increment(GROUP_SUBJECT_TTL_MS - 1);
    assert.equal(await cache.subject('1@g.us'), 'Team 1');
    assert.deepEqual(calls, ['1@g.us']);
    clock.increment(1);
    assert.equal(await cache.subject('1@g.us'), 'Team 2');
    assert.equal(await cache.subject('gone@g.us'), undefined);
    assert.equal(await cache.subject('gone@g.us'), undefined);
    assert.deepEqual(calls, ['1@g.us', '1@g.us', 'gone@g.us']);
  });
});
