import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SignalAccountConfig } from '../../../../src/core/channel.js';
import type { SignalEnvelope } from '../../../../src/surfaces/channels/signal/envelope.js';
import { groupRecipient, normalizeEnvelope, ownUuidFrom, type SignalNormalizeContext } from '../../../../src/surfaces/channels/signal/normalize.js';
import { sessionKeyFor } from '../../../../src/surfaces/channels/session-key.js';

// SG2 / C10 / §1.5: signal-cli-rest-api envelopes as channel messages (S2, S3, S4, S8 at the normalizer).

const ACCOUNT = '+15550001';
const OWN_UUID = '0f0f0f0f-1111-2222-3333-444455556666';
const PEER_UUID = 'AAAABBBB-CCCC-DDDD-EEEE-FFFF00001111';

const config: SignalAccountConfig = {
  channel: 'signal', accountId: 'default', enabled: true, dmPolicy: 'pairing', dmScope: 'per-channel-peer', allowFrom: [],
  groupPolicy: 'allowlist', groups: new Map(), requireMention: true, mentionPatterns: [], historyLimit: 50, textChunkLimit: 4000,
  mediaMaxMb: 8, apiUrl: 'http://127.0.0.1:1', account: ACCOUNT, sendReadReceipts: false,
};

function ctx(over: Partial<SignalNormalizeContext> = {}): SignalNormalizeContext {
  return { accountId: 'default', account: ACCOUNT, ownUuid: OWN_UUID, config, sentTimestamps: () => false, ...over };
}

function dm(over: Partial<SignalEnvelope> = {}, data: NonNullable<SignalEnvelope['dataMessage']> = { message: 'hi' }): SignalEnvelope {
  return { source: '+15557770000', sourceNumber: '+15557770000', sourceUuid: PEER_UUID, sourceName: 'Bob', timestamp: 1_700_000_000_123, dataMessage: { timestamp: 1_700_000_000_123, ...data }, ...over };
}

describe('normalizeEnvelope: DMs (S2, §1.5)', () => {
  test('S2: the peer is the lower-cased uuid; the reply goes to the uuid; the inbound id names uuid and timestamp', () => {
    const msg = normalizeEnvelope(dm(), ctx())!;
    assert.equal(msg.chatType, 'direct');
    assert.equal(msg.senderId, PEER_UUID.toLowerCase());
    assert.equal(msg.chatId, PEER_UUID);
    assert.equal(msg.inboundId, `sg:default:${PEER_UUID.toLowerCase()}:1700000000123`);
    assert.equal(msg.senderLabel, 'Bob');
    assert.deepEqual(msg.senderAliases, ['+15557770000']);
    assert.equal(msg.text, 'hi');
    assert.equal(msg.messageId, '1700000000123');
    assert.equal(msg.ts, 1_700_000_000_123);
    assert.equal(msg.isFromSelf, false);
    assert.equal(msg.mentionsBot, false);
    assert.equal(sessionKeyFor(msg, config), `agent:main:signal:direct:${PEER_UUID.toLowerCase()}`);
  });

  test('no uuid (phone-number envelope): the number is peer, chat and inbound-id part', () => {
    const msg = normalizeEnvelope(dm({ sourceUuid: null, sourceName: null }), ctx())!;
    assert.equal(msg.senderId, '+15557770000');
    assert.equal(msg.chatId, '+15557770000');
    assert.equal(msg.senderLabel, '+15557770000');
    assert.equal(msg.inboundId, 'sg:default:+15557770000:1700000000123');
    assert.equal(msg.senderAliases, undefined);
  });

  test('no number (phone-number privacy): the uuid alone', () => {
    const msg = normalizeEnvelope(dm({ source: PEER_UUID, sourceNumber: null, sourceName: '' }), ctx())!;
    assert.equal(msg.senderId, PEER_UUID.toLowerCase());
    assert.equal(msg.senderLabel, PEER_UUID.toLowerCase());
  });

  test('attachments become media refs; a caption-less attachment is still a message', () => {
    const msg = normalizeEnvelope(dm({}, {
      message: null,
      attachments: [
        { id: 'a1.jpg', contentType: 'image/jpeg', filename: 'cat.jpg', size: 1200 },
        { id: 'a2', contentType: 'audio/aac', filename: null, size: 300 },
        { id: 'a3', contentType: 'audio/mpeg', filename: 'song.mp3', size: 5000 },
        { id: 'a4', contentType: 'application/pdf', filename: 'report.pdf', size: 120_000 },
      ],
    }), ctx())!;
    assert.equal(msg.text, '');
    assert.deepEqual(msg.media, [
      { kind: 'image', fileId: 'a1.jpg', fileName: 'cat.jpg', mime: 'image/jpeg', size: 1200 },
      { kind: 'voice', fileId: 'a2', mime: 'audio/aac', size: 300 },
      { kind: 'audio', fileId: 'a3', fileName: 'song.mp3', mime: 'audio/mpeg', size: 5000 },
      { kind: 'document', fileId: 'a4', fileName: 'report.pdf', mime: 'application/pdf', size: 120_000 },
    ]);
  });

  test('a quote of our message is a reply to the bot; a quote of someone else is not', () => {
    const ours = normalizeEnvelope(dm({}, { message: 'and?', quote: { id: 99, authorNumber: ACCOUNT, authorUuid: OWN_UUID, text: 'Echo: hi' } }), ctx())!;
    assert.deepEqual(ours.replyTo, { messageId: '99', senderLabel: ACCOUNT, text: 'Echo: hi', isToBot: true });
    const byUuid = normalizeEnvelope(dm({}, { message: 'and?', quote: { id: 99, authorUuid: OWN_UUID.toUpperCase() } }), ctx())!;
    assert.equal(byUuid.replyTo?.isToBot, true);
    const theirs = normalizeEnvelope(dm({}, { message: 'and?', quote: { id: 98, authorNumber: '+15559990000', text: 'x' } }), ctx())!;
    assert.equal(theirs.replyTo?.isToBot, false);
  });
});

describe('normalizeEnvelope: groups and mentions (S3, S8)', () => {
  const group = (data: NonNullable<SignalEnvelope['dataMessage']>) => dm({}, { groupInfo: { groupId: 'abc=', type: 'DELIVER' }, ...data });

  test('S3: a group is keyed by groupId (case kept) and answered at group.<base64>', () => {
    const msg = normalizeEnvelope(group({ message: 'hello all' }), ctx())!;
    assert.equal(msg.chatType, 'group');
    assert.equal(msg.chatId, 'group.YWJjPQ==');
    assert.equal(msg.groupId, 'abc=');
    assert.equal(msg.senderId, PEER_UUID.toLowerCase());
    assert.equal(sessionKeyFor(msg, config), 'agent:main:signal:group:abc=');
    assert.equal(groupRecipient('AbC+/='), `group.${Buffer.from('AbC+/=').toString('base64')}`);
  });

  test('S8: without a mention mentionsBot is false; a mention by number or by own uuid is true, rendered in the text', () => {
    assert.equal(normalizeEnvelope(group({ message: 'hello' }), ctx())!.mentionsBot, false);
    const byNumber = normalizeEnvelope(group({ message: '\uFFFC what time is it?', mentions: [{ number: ACCOUNT, name: 'Claw', start: 0, length: 1 }] }), ctx())!;
    assert.equal(byNumber.mentionsBot, true);
    assert.equal(byNumber.text, '@Claw what time is it?');
    const byUuid = normalizeEnvelope(group({ message: 'hey \uFFFC', mentions: [{ uuid: OWN_UUID, start: 4, length: 1 }] }), ctx())!;
    assert.equal(byUuid.mentionsBot, true);
    assert.equal(byUuid.text, `hey @${OWN_UUID}`);
    const other = normalizeEnvelope(group({ message: '\uFFFC and \uFFFC', mentions: [{ uuid: 'x-1', number: '+15559990000', start: 0, length: 1 }, { name: 'Eve', start: 6, length: 1 }] }), ctx())!;
    assert.equal(other.mentionsBot, false);
    assert.equal(other.text, '@+15559990000 and @Eve');
  });

  test('S8: a mention by uuid counts only once the own uuid is known', () => {
    const env = group({ message: '\uFFFC hi', mentions: [{ uuid: OWN_UUID, start: 0, length: 1 }] });
    assert.equal(normalizeEnvelope(env, ctx({ ownUuid: undefined }))!.mentionsBot, false);
  });

  test('S8: an expiration-timer change (no text, no attachments) is not a message (#27615); nor is a group update', () => {
    assert.equal(normalizeEnvelope(dm({}, { message: null, expiresInSeconds: 3600 }), ctx()), undefined);
    assert.equal(normalizeEnvelope(group({ message: null, groupInfo: { groupId: 'abc=', type: 'UPDATE' } }), ctx()), undefined);
    assert.equal(normalizeEnvelope(dm({}, { message: '   ' }), ctx()), undefined);
  });

  test('a group message without a group id is dropped, never answered as a DM', () => {
    assert.equal(normalizeEnvelope(dm({}, { message: 'hello', groupInfo: { groupName: 'x' } }), ctx()), undefined);
  });
});

describe('normalizeEnvelope: self-loop and sync messages (S4, C10)', () => {
  const fromAccount = { source: ACCOUNT, sourceNumber: ACCOUNT, sourceUuid: OWN_UUID, sourceName: 'Me' };

  test('S4: a dataMessage from the account\'s own number or uuid is from self', () => {
    assert.equal(normalizeEnvelope(dm(fromAccount), ctx())!.isFromSelf, true);
    assert.equal(normalizeEnvelope(dm({ ...fromAccount, sourceNumber: null, source: OWN_UUID }), ctx())!.isFromSelf, true);
    assert.equal(normalizeEnvelope(dm({ ...fromAccount, sourceUuid: 'ffffffff-0000-0000-0000-000000000000' }), ctx({ ownUuid: undefined }))!.isFromSelf, true);
  });

  test('S4: syncMessage.sentMessage to the account itself (Note to Self) is one direct message from the owner', () => {
    const env: SignalEnvelope = { ...fromAccount, timestamp: 1_700_000_000_500, syncMessage: { sentMessage: { destination: ACCOUNT, destinationNumber: ACCOUNT, timestamp: 1_700_000_000_500, message: 'note' } } };
    const msg = normalizeEnvelope(env, ctx())!;
    assert.equal(msg.chatType, 'direct');
    assert.equal(msg.chatId, ACCOUNT);
    assert.equal(msg.senderId, ACCOUNT);
    assert.equal(msg.text, 'note');
    assert.equal(msg.isFromSelf, false);
    assert.equal(msg.inboundId, `sg:default:${OWN_UUID}:1700000000500`);
    // addressed by uuid only
    const byUuid: SignalEnvelope = { ...env, syncMessage: { sentMessage: { destinationUuid: OWN_UUID, timestamp: 1, message: 'note' } } };
    assert.equal(normalizeEnvelope(byUuid, ctx())?.chatId, ACCOUNT);
  });

  test('S4: other sync messages, receipts and typing are nothing', () => {
    const toOther: SignalEnvelope = { ...fromAccount, timestamp: 1, syncMessage: { sentMessage: { destination: '+15557770000', destinationNumber: '+15557770000', timestamp: 1, message: 'hi Bob' } } };
    assert.equal(normalizeEnvelope(toOther, ctx()), undefined);
    const toGroup: SignalEnvelope = { ...fromAccount, timestamp: 1, syncMessage: { sentMessage: { destination: null, timestamp: 1, message: 'hi all', groupInfo: { groupId: 'abc=' } } } };
    assert.equal(normalizeEnvelope(toGroup, ctx()), undefined);
    assert.equal(normalizeEnvelope({ ...fromAccount, timestamp: 1, syncMessage: { readMessages: [{ sender: '+15557770000', timestamp: 1 }] } }, ctx()), undefined);
    assert.equal(normalizeEnvelope({ ...dm(), dataMessage: undefined, receiptMessage: { when: 1, isDelivery: true, timestamps: [1] } }, ctx()), undefined);
    assert.equal(normalizeEnvelope({ ...dm(), dataMessage: undefined, typingMessage: { action: 'STARTED', timestamp: 1 } }, ctx()), undefined);
    // a sync sent by someone else claiming our destination is not Note to Self
    const forged: SignalEnvelope = { ...dm(), dataMessage: undefined, syncMessage: { sentMessage: { destinationNumber: ACCOUNT, timestamp: 1, message: 'x' } } };
    assert.equal(normalizeEnvelope(forged, ctx()), undefined);
  });

  test('C10: a message whose timestamp this account sent is from self (Note to Self echo of our reply)', () => {
    const sent = new Set([1_700_000_000_777]);
    const env: SignalEnvelope = { ...fromAccount, timestamp: 1_700_000_000_777, syncMessage: { sentMessage: { destinationNumber: ACCOUNT, timestamp: 1_700_000_000_777, message: 'Echo: note' } } };
    assert.equal(normalizeEnvelope(env, ctx({ sentTimestamps: (ts) => sent.has(ts) }))!.isFromSelf, true);
    assert.equal(normalizeEnvelope(env, ctx())!.isFromSelf, false);
  });
});

describe('ownUuidFrom (SG1)', () => {
  test('the first envelope from the account\'s number gives the own uuid, lower-cased; others give nothing', () => {
    assert.equal(ownUuidFrom({ sourceNumber: ACCOUNT, sourceUuid: OWN_UUID.toUpperCase(), timestamp: 1 }, ACCOUNT), OWN_UUID);
    assert.equal(ownUuidFrom({ sourceNumber: '+15557770000', sourceUuid: PEER_UUID, timestamp: 1 }, ACCOUNT), undefined);
    assert.equal(ownUuidFrom({ sourceNumber: ACCOUNT, sourceUuid: null, timestamp: 1 }, ACCOUNT), undefined);
  });
});
