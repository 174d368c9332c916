import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../../../src/config.js';
import type { WhatsAppAccountConfig } from '../../../../src/core/channel.js';
import { type Gateway, startGateway } from '../../../../src/main.js';
import { FakeWhatsApp, type FakeWhatsAppSocket } from '../../../helpers/fake-whatsapp.js';
import { sleep, until } from '../../../helpers/wait.js';

// WhatsApp inbound end to end in a real gateway on a fake socket (spec channels.md W7, W8): a group message that
// mentions the account by its LID from a LID participant runs in the group's session; history and
// self-chat-mode never get a pairing reply, while a fresh DM from a stranger gets exactly one.

const PEER = '15551230000@s.whatsapp.net';
const GROUP = '120363000000000001@g.us';

function account(over: Partial<WhatsAppAccountConfig>): WhatsAppAccountConfig {
  return {
    channel: 'whatsapp', accountId: 'default', enabled: true, dmPolicy: 'pairing', dmScope: 'per-channel-peer',
    allowFrom: ['+15551230000'], groupPolicy: 'allowlist', groups: new Map(), requireMention: true, mentionPatterns: [],
    historyLimit: 50, textChunkLimit: 4000, mediaMaxMb: 50, selfChatMode: false, sendReadReceipts: true, ...over,
  };
}

/** A gateway with one WhatsApp account, linked through the QR flow; resolves with the online socket. */
async function linked(t: TestContext, over: Partial<WhatsAppAccountConfig>): Promise<{ gw: Gateway; sock: FakeWhatsAppSocket }> {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-wa-in-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fake = new FakeWhatsApp();
  const config = { ...resolveConfig({}), port: 0, stateDir: dir, shutdownGraceMs: 0, channels: { telegram: [], whatsapp: [account(over)], signal: [] } };
  const gw = await startGateway(config, pino({ level: 'silent' }), { channelSeams: { whatsapp: { makeSocket: fake.makeSocket } } });
  t.after(() => gw.close());
  const state = async () => (await gw.channels!.status({ channel: 'whatsapp' })).whatsapp[0]!.state;
  await until(async () => (await state()) === 'needsLogin', 'needsLogin without creds');
  const started = gw.channels!.loginStart!({});
  const first = await fake.socket(1);
  await until(() => first.listenerCount() > 0, 'the login socket listens');
  first.qr('ref1');
  await started;
  first.close(515, 'restart required');
  const sock = await fake.socket(2);
  await until(() => sock.listenerCount() > 0, 'the socket listens');
  sock.credsUpdate({ registered: true, me: { id: '15559990000:2@s.whatsapp.net', name: 'Bot' } });
  sock.open();
  await until(async () => (await state()) === 'online', 'online');
  return { gw, sock };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

test('W7: a LID participant mentioning the account by its LID → one run keyed by the group JID; unmentioned → none', async (t) => {
  const { gw, sock } = await linked(t, { groups: new Map([[GROUP, {}]]) });
  sock.user = { id: '15559990000:2@s.whatsapp.net', lid: '99999999@lid' };
  const key = (id: string) => ({ remoteJid: GROUP, participant: 'x@lid', participantAlt: PEER, fromMe: false, id });
  sock.upsert([
    { key: key('G1'), messageTimestamp: nowSeconds(), pushName: 'Ann', message: { conversation: 'just chatting' } },
    { key: key('G2'), messageTimestamp: nowSeconds(), pushName: 'Ann', message: { extendedTextMessage: { text: '@99999999 hello', contextInfo: { mentionedJid: ['99999999@lid'] } } } },
  ]);
  await until(() => sock.callsOf('sendMessage').length >= 1, 'the reply in the group');
  await sleep(100); // a second reply (to the unmentioned message) would have been queued by now
  const sends = sock.callsOf('sendMessage') as [string, { text: string }][];
  assert.equal(sends.length, 1);
  assert.equal(sends[0]?.[0], GROUP);
  assert.match(sends[0]?.[1].text ?? '', /hello/);
  assert.ok(gw.transcripts.session(`agent:main:whatsapp:group:${GROUP}`), 'the group session ran');
  // a group member's retry request (WA1): the socket's getMessage answers with what was sent under that id
  const messageId = (sock.callsOf('sendMessage')[0] as [string, unknown, { messageId: string }])[2].messageId;
  const getMessage = sock.options.getMessage as (id: string) => Promise<unknown>;
  assert.deepEqual(await getMessage(messageId), { conversation: sends[0]?.[1].text });
});

test('W8: history gets no pairing reply; a fresh DM from a stranger gets exactly one', async (t) => {
  const { gw, sock } = await linked(t, {});
  sock.upsert([{ key: { remoteJid: '15550000000@s.whatsapp.net', fromMe: false, id: 'OLD' }, messageTimestamp: nowSeconds() - 600, message: { conversation: 'hi from before' } }]);
  sock.upsert([{ key: { remoteJid: '15550000001@s.whatsapp.net', fromMe: false, id: 'OLD2' }, messageTimestamp: nowSeconds(), message: { conversation: 'history' } }], 'append');
  sock.upsert([{ key: { remoteJid: '15550000002@s.whatsapp.net', fromMe: false, id: 'NEW' }, messageTimestamp: nowSeconds(), message: { conversation: 'hi' } }]);
  await until(() => sock.callsOf('sendMessage').length >= 1, 'the pairing reply');
  await sleep(100);
  const sends = sock.callsOf('sendMessage') as [string, { text: string }][];
  assert.equal(sends.length, 1);
  assert.equal(sends[0]?.[0], '15550000002@s.whatsapp.net');
  assert.match(sends[0]?.[1].text ?? '', /Pairing code: [A-HJ-NP-Z2-9]{8}/);
  assert.match(sends[0]?.[1].text ?? '', /Your WhatsApp number: \+15550000002/);
  const { requests } = gw.channels!.pairingList({ channel: 'whatsapp' });
  assert.deepEqual(requests.map((r) => r.senderId), ['+15550000002'], 'no request for history');
});

test('W8: under self-chat-mode a stranger gets no reply and no pairing request; the allowed sender is answered', async (t) => {
  const { gw, sock } = await linked(t, { selfChatMode: true });
  sock.upsert([{ key: { remoteJid: '15550000002@s.whatsapp.net', fromMe: false, id: 'S1' }, messageTimestamp: nowSeconds(), message: { conversation: 'hi' } }]);
  sock.upsert([{ key: { remoteJid: PEER, fromMe: false, id: 'S2' }, messageTimestamp: nowSeconds(), message: { conversation: 'hello' } }]);
  await until(() => sock.callsOf('sendMessage').length >= 1, 'the reply to the allowed sender');
  await sleep(100);
  const sends = sock.callsOf('sendMessage') as [string, { text: string }][];
  assert.deepEqual(sends.map(([jid, content]) => [jid, content.text]), [[PEER, 'Echo: hello']]);
  assert.deepEqual(gw.channels!.pairingList({ channel: 'whatsapp' }).requests, []);
  assert.equal(sock.callsOf('readMessages').length, 0, 'no read receipts in self-chat-mode');
});

test('self-chat-mode: the owner writing in their own chat is answered there; the echo of that answer starts nothing (C10)', async (t) => {
  const OWN = '15559990000@s.whatsapp.net';
  const { gw, sock } = await linked(t, { selfChatMode: true, allowFrom: ['+15559990000'] });
  sock.user = { id: '15559990000:2@s.whatsapp.net', lid: '99999999@lid' };
  sock.upsert([{ key: { remoteJid: OWN, fromMe: true, id: 'NOTE1' }, messageTimestamp: nowSeconds(), message: { conversation: 'remind me' } }]);
  await until(() => sock.callsOf('sendMessage').length >= 1, 'the answer in the self chat');
  const [jid, content, options] = sock.callsOf('sendMessage')[0] as [string, { text: string }, { messageId: string }];
  assert.deepEqual([jid, content.text], [OWN, 'Echo: remind me']);
  // the phone shows our answer in the self chat: it comes back as a fromMe upsert with our own message id
  sock.upsert([{ key: { remoteJid: OWN, fromMe: true, id: options.messageId }, messageTimestamp: nowSeconds(), message: { conversation: 'Echo: remind me' } }]);
  sock.upsert([{ key: { remoteJid: OWN, fromMe: true, id: 'NOTE2' }, messageTimestamp: nowSeconds(), message: { conversation: 'and this' } }]);
  await until(() => sock.callsOf('sendMessage').length >= 2, 'the answer to the second note');
  await sleep(100);
  const texts = (sock.callsOf('sendMessage') as [string, { text: string }][]).map(([, c]) => c.text);
  assert.deepEqual(texts, ['Echo: remind me', 'Echo: and this'], 'the echo of our own answer ran nothing');
  assert.ok(gw.transcripts.session('agent:main:whatsapp:direct:+15559990000'));
});
