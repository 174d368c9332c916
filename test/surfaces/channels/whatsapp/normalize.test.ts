import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAccess } from '../../../../src/surfaces/channels/access.js';
import { gate } from '../../../../src/surfaces/channels/gate.js';
import { sessionKeyFor } from '../../../../src/surfaces/channels/session-key.js';
import { normalizeUpsert } from '../../../../src/surfaces/channels/whatsapp/normalize.js';
import { BOT_USER, CONNECTED_AT, context, socket, waConfig, waMessage } from './fixtures.js';

// WhatsApp inbound normalization (spec channels.md WA5, WA7, C10; tests W5–W8) with Baileys' real pure helpers.

const NOBODY = { isApproved: () => false };
const PEER = '15551230000@s.whatsapp.net';
const GROUP = '120363000000000001@g.us';

describe('WhatsApp normalize: DMs (W5)', () => {
  test('W5: a notify upsert from 15551230000@s.whatsapp.net is one DM from +15551230000, allowed, keyed by E.164', async () => {
    const key = { remoteJid: PEER, id: 'ABC1', fromMe: false };
    const [entry, ...rest] = await normalizeUpsert({ type: 'notify', messages: [waMessage(key, { conversation: 'hello' })] }, context());
    assert.equal(rest.length, 0);
    assert.equal(entry?.history, false);
    assert.deepEqual(entry?.readKey, key, 'read after acceptance (send-read-receipts defaults on)');
    const msg = entry?.message;
    assert.ok(msg);
    assert.deepEqual(
      { inboundId: msg.inboundId, chatType: msg.chatType, chatId: msg.chatId, senderId: msg.senderId, senderLabel: msg.senderLabel, messageId: msg.messageId, text: msg.text, isFromSelf: msg.isFromSelf, mentionsBot: msg.mentionsBot, ts: msg.ts },
      { inboundId: `wa:default:${PEER}:ABC1`, chatType: 'direct', chatId: PEER, senderId: '+15551230000', senderLabel: 'Alice', messageId: 'ABC1', text: 'hello', isFromSelf: false, mentionsBot: false, ts: CONNECTED_AT + 5000 },
    );
    assert.equal(msg.noPairing, undefined);
    assert.deepEqual(decideAccess(msg, waConfig(), NOBODY), { kind: 'allow', isOwner: true });
    assert.equal(sessionKeyFor(msg, waConfig()), 'agent:main:whatsapp:direct:+15551230000');
  });

  test('a LID DM: remoteJidAlt (PN) gives the number, else the LID mapping, else lid:<user>', async () => {
    const sock = socket({ '222@lid': '15557654321:0@s.whatsapp.net', '444@lid': new Error('no session') });
    const ctx = context({ sock });
    const [withAlt, mapped, unmapped, failing] = await normalizeUpsert({ type: 'notify', messages: [
      waMessage({ remoteJid: '111@lid', remoteJidAlt: PEER, id: 'L1' }, { conversation: 'a' }),
      waMessage({ remoteJid: '222@lid', id: 'L2' }, { conversation: 'b' }),
      waMessage({ remoteJid: '333@lid', id: 'L3' }, { conversation: 'c' }),
      waMessage({ remoteJid: '444@lid', id: 'L4' }, { conversation: 'd' }),
    ] }, ctx);
    assert.equal(withAlt?.message?.senderId, '+15551230000');
    assert.equal(withAlt?.message?.chatId, '111@lid', 'replies go to the JID as received');
    assert.equal(mapped?.message?.senderId, '+15557654321');
    assert.equal(unmapped?.message?.senderId, 'lid:333');
    assert.equal(failing?.message?.senderId, 'lid:444');
    assert.deepEqual(sock.lookups, ['222@lid', '333@lid', '444@lid'], 'no lookup when the alternate JID is a number');
    assert.equal(decideAccess(unmapped!.message!, waConfig({ dmPolicy: 'allowlist' }), NOBODY).kind, 'deny');
  });
});

describe('WhatsApp normalize: skips (W6, C10)', () => {
  test('W6: append, fromMe and status@broadcast start nothing; other broadcasts, newsletters and empty messages neither', async () => {
    const ctx = context();
    const [append] = await normalizeUpsert({ type: 'append', messages: [waMessage({ remoteJid: PEER, id: 'A1' }, { conversation: 'old' })] }, ctx);
    assert.equal(append?.message, undefined);
    assert.equal(append?.history, true);
    const entries = await normalizeUpsert({ type: 'notify', messages: [
      waMessage({ remoteJid: PEER, id: 'M1', fromMe: true }, { conversation: 'sent by me from the phone' }),
      waMessage({ remoteJid: 'status@broadcast', participant: PEER, id: 'S1' }, { conversation: 'a story' }),
      waMessage({ remoteJid: '12345@broadcast', id: 'B1' }, { conversation: 'a broadcast list' }),
      waMessage({ remoteJid: '1203@newsletter', id: 'N1' }, { conversation: 'a channel post' }),
      waMessage({ remoteJid: PEER, id: 'E1' }, null),
      waMessage({ remoteJid: PEER, id: 'R1' }, { reactionMessage: { text: '👍', key: { id: 'X' } } }),
      waMessage({ remoteJid: '1203@g.us', id: 'P1' }, { conversation: 'a group message without a participant' }),
      waMessage({ remoteJid: PEER, id: 'ED1' }, { protocolMessage: { type: 14, editedMessage: { conversation: 'an edit' } } }),
      waMessage({ remoteJid: PEER, id: 'ED2' }, { editedMessage: { message: { protocolMessage: { type: 14, editedMessage: { conversation: 'an edit' } } } } }),
      null as never,
    ] }, ctx);
    assert.equal(entries.length, 10, 'one entry per upserted message');
    for (const e of entries) {
      assert.equal(e.message, undefined, e.skipped);
      assert.equal(e.readKey, undefined);
      assert.ok(e.skipped);
    }
    assert.match(entries[0]?.skipped ?? '', /this account/);
    assert.match(entries[1]?.skipped ?? '', /broadcast/);
  });

  test('W6: the same key upserted twice normalizes identically (same inboundId: the pipeline dedupes)', async () => {
    const m = () => waMessage({ remoteJid: PEER, id: 'DUP' }, { conversation: 'twice' });
    const [a, b] = await normalizeUpsert({ type: 'notify', messages: [m(), m()] }, context());
    assert.ok(a?.message && b?.message);
    assert.deepEqual(a.message, b.message);
    assert.equal(a.message.inboundId, `wa:default:${PEER}:DUP`);
  });
});

describe('WhatsApp normalize: groups and mentions (W7)', () => {
  const cfg = waConfig({ groups: { [GROUP]: {} } });

  test('W7: a LID participant mentioning the account by LID is a mention from +15551230000, keyed by the group JID', async () => {
    const key = { remoteJid: GROUP, participant: 'x@lid', participantAlt: PEER, id: 'G1' };
    const raw = waMessage(key, { extendedTextMessage: { text: '@987654321 hi', contextInfo: { mentionedJid: [BOT_USER.lid] } } });
    const [entry] = await normalizeUpsert({ type: 'notify', messages: [raw] }, context({ config: cfg, groupSubject: async (jid) => (jid === GROUP ? 'Team' : undefined) }));
    const msg = entry?.message;
    assert.ok(msg);
    assert.equal(msg.mentionsBot, true);
    assert.equal(msg.senderId, '+15551230000');
    assert.equal(msg.chatType, 'group');
    assert.equal(msg.chatId, GROUP);
    assert.equal(msg.chatLabel, 'Team');
    assert.equal(msg.inboundId, `wa:default:${GROUP}:G1`);
    assert.deepEqual(decideAccess(msg, cfg, NOBODY), { kind: 'allow', isOwner: true });
    assert.equal(gate(msg, cfg, undefined).kind, 'run');
    assert.equal(sessionKeyFor(msg, cfg), `agent:main:whatsapp:group:${GROUP}`);
  });

  test('a mention by PN with another device suffix counts; a mention of someone else does not', async () => {
    const ctx = context({ config: cfg });
    const [byPn, other, none] = await normalizeUpsert({ type: 'notify', messages: [
      waMessage({ remoteJid: GROUP, participant: PEER, id: 'G2' }, { extendedTextMessage: { text: 'hi', contextInfo: { mentionedJid: ['1555999@s.whatsapp.net'] } } }),
      waMessage({ remoteJid: GROUP, participant: PEER, id: 'G3' }, { extendedTextMessage: { text: 'hi', contextInfo: { mentionedJid: ['15550000000@s.whatsapp.net', '111111@lid'] } } }),
      waMessage({ remoteJid: GROUP, participant: PEER, id: 'G4' }, { conversation: 'hi all' }),
    ] }, ctx);
    assert.equal(byPn?.message?.mentionsBot, true);
    assert.equal(other?.message?.mentionsBot, false);
    assert.equal(none?.message?.mentionsBot, false);
    assert.equal(gate(none!.message!, cfg, undefined).kind, 'context');
  });

  test('a reply to one of our messages counts as a mention and carries the quoted text', async () => {
    const contextInfo = { stanzaId: 'OUR1', participant: BOT_USER.lid, quotedMessage: { conversation: 'earlier answer' } };
    const [entry] = await normalizeUpsert({ type: 'notify', messages: [
      waMessage({ remoteJid: GROUP, participant: PEER, id: 'G5' }, { extendedTextMessage: { text: 'and then?', contextInfo } }),
    ] }, context({ config: cfg }));
    assert.equal(entry?.message?.mentionsBot, true);
    assert.deepEqual(entry?.message?.replyTo, { messageId: 'OUR1', text: 'earlier answer', isToBot: true });
  });
});

describe('WhatsApp normalize: history (W8, WA7)', () => {
  test('W8: a message 10 min before the connection is history: no message, never answered, no pairing', async () => {
    const old = waMessage({ remoteJid: '15550000000@s.whatsapp.net', id: 'OLD' }, { conversation: 'hi' }, { messageTimestamp: (CONNECTED_AT - 600_000) / 1000 });
    const recent = waMessage({ remoteJid: '15550000000@s.whatsapp.net', id: 'NEW' }, { conversation: 'hi' }, { messageTimestamp: (CONNECTED_AT - 20_000) / 1000 });
    const [h, live] = await normalizeUpsert({ type: 'notify', messages: [old, recent] }, context());
    assert.equal(h?.history, true);
    assert.equal(h?.message, undefined);
    assert.equal(live?.history, false, 'within 30 s of the connection it is live');
    assert.equal(decideAccess(live!.message!, waConfig(), NOBODY).kind, 'pair', 'a fresh message from an unknown sender pairs');
  });

  test('history is marked read only for an allowed sender, and only with send-read-receipts', async () => {
    const msgs = [
      waMessage({ remoteJid: PEER, id: 'H1' }, { conversation: 'from an allowed sender' }),
      waMessage({ remoteJid: '15550000000@s.whatsapp.net', id: 'H2' }, { conversation: 'from a stranger' }),
    ];
    const [allowed, stranger] = await normalizeUpsert({ type: 'append', messages: msgs }, context());
    assert.deepEqual(allowed?.readKey, msgs[0]?.key);
    assert.equal(stranger?.readKey, undefined);
    const [off] = await normalizeUpsert({ type: 'append', messages: msgs }, context({ config: waConfig({ sendReadReceipts: false }) }));
    assert.equal(off?.readKey, undefined);
    const [approved] = await normalizeUpsert({ type: 'append', messages: [msgs[1]!] }, context({ isApproved: (id) => id === '+15550000000' }));
    assert.deepEqual(approved?.readKey, msgs[1]?.key);
  });
});

describe('WhatsApp normalize: self-chat-mode (WA5, WA7, C10)', () => {
  const selfChat = waConfig({ selfChatMode: true });
  const OWN = '1555999@s.whatsapp.net';

  test('the owner writing in their own chat is a message from the owner; ids the outbox sent are not', async () => {
    const ctx = context({ config: selfChat, outboxSent: (id) => id === '3EB0AAAAAAAAAAAAAAAAAA' });
    const [owner, ours, viaLid] = await normalizeUpsert({ type: 'notify', messages: [
      waMessage({ remoteJid: OWN, id: 'SELF1', fromMe: true }, { conversation: 'note to self' }),
      waMessage({ remoteJid: OWN, id: '3EB0AAAAAAAAAAAAAAAAAA', fromMe: true }, { conversation: 'the assistant answer' }),
      waMessage({ remoteJid: BOT_USER.lid, id: 'SELF2', fromMe: true }, { conversation: 'via the LID chat' }),
    ] }, ctx);
    assert.equal(owner?.message?.senderId, '+1555999');
    assert.equal(owner?.message?.isFromSelf, false);
    assert.equal(owner?.message?.noPairing, true);
    assert.equal(owner?.readKey, undefined, 'no read receipts in self-chat-mode');
    assert.equal(ours?.message, undefined, 'C10: the outbox\'s own message never starts a run');
    assert.equal(viaLid?.message?.senderId, '+1555999');
  });

  test('without self-chat-mode the self chat is skipped; in self-chat-mode other chats\' fromMe is too', async () => {
    const [plain] = await normalizeUpsert({ type: 'notify', messages: [waMessage({ remoteJid: OWN, id: 'S1', fromMe: true }, { conversation: 'x' })] }, context());
    assert.equal(plain?.message, undefined);
    const [other] = await normalizeUpsert({ type: 'notify', messages: [waMessage({ remoteJid: PEER, id: 'S2', fromMe: true }, { conversation: 'x' })] }, context({ config: selfChat }));
    assert.equal(other?.message, undefined);
  });

  test('W8: under self-chat-mode an unknown sender gets no pairing (noPairing → denied); allow-from still works', async () => {
    const [stranger, friend] = await normalizeUpsert({ type: 'notify', messages: [
      waMessage({ remoteJid: '15550000000@s.whatsapp.net', id: 'U1' }, { conversation: 'hi' }),
      waMessage({ remoteJid: PEER, id: 'U2' }, { conversation: 'hi' }),
    ] }, context({ config: selfChat }));
    assert.equal(stranger?.message?.noPairing, true);
    assert.equal(decideAccess(stranger!.message!, selfChat, NOBODY).kind, 'deny');
    assert.equal(decideAccess(friend!.message!, selfChat, NOBODY).kind, 'allow');
  });
});

describe('WhatsApp normalize: content (WA5)', () => {
  test('ephemeral, view-once and document-with-caption are unwrapped; captions are text; media are refs with sizes', async () => {
    const entries = await normalizeUpsert({ type: 'notify', messages: [
      waMessage({ remoteJid: PEER, id: 'C1' }, { ephemeralMessage: { message: { extendedTextMessage: { text: 'disappearing' } } } }),
      waMessage({ remoteJid: PEER, id: 'C2' }, { viewOnceMessageV2: { message: { imageMessage: { caption: 'look', mimetype: 'image/jpeg', fileLength: 2048 } } } }),
      waMessage({ remoteJid: PEER, id: 'C3' }, { documentWithCaptionMessage: { message: { documentMessage: { caption: 'the report', fileName: 'report.pdf', mimetype: 'application/pdf', fileLength: 120_000 } } } }),
      waMessage({ remoteJid: PEER, id: 'C4' }, { audioMessage: { ptt: true, mimetype: 'audio/ogg; codecs=opus', fileLength: 900 } }),
      waMessage({ remoteJid: PEER, id: 'C5' }, { audioMessage: { mimetype: 'audio/mpeg' } }),
      waMessage({ remoteJid: PEER, id: 'C6' }, { stickerMessage: { mimetype: 'image/webp' } }),
      waMessage({ remoteJid: PEER, id: 'C7' }, { videoMessage: { caption: 'clip', mimetype: 'video/mp4' } }),
    ] }, context());
    const [text, image, doc, voice, audio, sticker, video] = entries.map((e) => e.message);
    assert.equal(text?.text, 'disappearing');
    assert.equal(image?.text, 'look');
    assert.deepEqual(image?.media, [{ kind: 'image', fileId: `wa:default:${PEER}:C2`, mime: 'image/jpeg', size: 2048 }]);
    assert.equal(doc?.text, 'the report');
    assert.deepEqual(doc?.media, [{ kind: 'document', fileId: `wa:default:${PEER}:C3`, mime: 'application/pdf', fileName: 'report.pdf', size: 120_000 }]);
    assert.deepEqual(voice?.media.map((m) => [m.kind, m.size]), [['voice', 900]]);
    assert.equal(voice?.text, '');
    assert.deepEqual(audio?.media.map((m) => m.kind), ['audio']);
    assert.deepEqual(sticker?.media.map((m) => m.kind), ['sticker']);
    assert.deepEqual(video?.media.map((m) => m.kind), ['video']);
    assert.equal(video?.text, 'clip');
  });

  test('a Long fileLength and messageTimestamp (protobuf uint64) are read as numbers', async () => {
    const long = (n: number) => ({ toNumber: () => n, low: n, high: 0, unsigned: true });
    const raw = waMessage({ remoteJid: PEER, id: 'L' }, { imageMessage: { fileLength: long(4096) as never } }, { messageTimestamp: long(CONNECTED_AT / 1000) as never });
    const [entry] = await normalizeUpsert({ type: 'notify', messages: [raw] }, context());
    assert.equal(entry?.message?.media[0]?.size, 4096);
    assert.equal(entry?.message?.ts, CONNECTED_AT);
  });
});
