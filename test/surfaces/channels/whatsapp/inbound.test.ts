import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SimulatedClock } from 'xstate';
import type { WAMessage } from '@whiskeysockets/baileys';
import type { ChannelMessage, InboundMedia } from '../../../../src/core/channel.js';
import { GroupSubjects } from '../../../../src/surfaces/channels/whatsapp/group-subjects.js';
import { WhatsAppInbound, type WhatsAppInboundBaileys } from '../../../../src/surfaces/channels/whatsapp/inbound.js';
import { WhatsAppReadReceipts } from '../../../../src/surfaces/channels/whatsapp/receipts.js';
import { WhatsAppSender } from '../../../../src/surfaces/channels/whatsapp/sender.js';
import { CONNECTED_AT, helpers, waConfig, waMessage } from './fixtures.js';

// The inbound side of a WhatsApp account (WA5, WA7, §1.4) on a minimal socket: upserts in order through a stub
// pipeline, receipts only for accepted messages, history read but never handled, media downloads within limits.

const PEER = '15551230000@s.whatsapp.net';
const STRANGER = '15550000000@s.whatsapp.net';

/** A minimal socket (the subset the inbound side and the sender use), recording its calls by method. */
class MiniSocket {
  user = { id: '1555999:2@s.whatsapp.net', lid: '987654321@lid' };
  readonly groups = new Map<string, { subject: string }>();
  readonly signalRepository = { lidMapping: { getPNForLID: async (_lid: string): Promise<string | null> => null } };
  private readonly calls: { method: string; args: unknown[] }[] = [];

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async readMessages(keys: unknown[]): Promise<void> {
    this.calls.push({ method: 'readMessages', args: [keys] });
  }

  async groupMetadata(jid: string): Promise<{ subject: string }> {
    this.calls.push({ method: 'groupMetadata', args: [jid] });
    const meta = this.groups.get(jid);
    if (!meta) throw new Error('item-not-found');
    return meta;
  }

  async sendMessage(jid: string, content: unknown, options?: { messageId?: string }): Promise<unknown> {
    this.calls.push({ method: 'sendMessage', args: [jid, content, options] });
    return { key: { id: options?.messageId ?? 'X' } };
  }

  async sendPresenceUpdate(type: string, jid?: string): Promise<void> {
    this.calls.push({ method: 'sendPresenceUpdate', args: [type, jid] });
  }
}

/** A stub pipeline: records messages; `accept` decides which ones become runs (then the adapter's onAccepted). */
function setup(opts: { accept?: (m: ChannelMessage) => boolean; during?: (m: ChannelMessage) => Promise<void>; mediaMaxMb?: number } = {}) {
  const sock = new MiniSocket();
  sock.groups.set('1203@g.us', { subject: 'Team' });
  const clock = new SimulatedClock();
  const downloads: WAMessage[] = [];
  const baileys: WhatsAppInboundBaileys = {
    ...helpers,
    downloadMediaMessage: (async (m: WAMessage) => { downloads.push(m); return Buffer.from('image bytes'); }) as WhatsAppInboundBaileys['downloadMediaMessage'],
  };
  const receipts = new WhatsAppReadReceipts(() => sock);
  const handled: ChannelMessage[] = [];
  const inbound: WhatsAppInbound = new WhatsAppInbound({
    config: waConfig({ mediaMaxMb: opts.mediaMaxMb ?? 20 }),
    baileys: async () => baileys,
    connectedAt: () => CONNECTED_AT,
    outboxSent: () => false,
    groupSubjects: new GroupSubjects({ groupMetadata: (jid) => sock.groupMetadata(jid), now: () => clock.now() }),
    receipts,
    log: pino({ level: 'silent' }),
    async handle(msg) {
      handled.push(msg);
      await opts.during?.(msg);
      if (opts.accept?.(msg) ?? true) receipts.accepted(msg);
    },
  });
  return { sock, inbound, handled, downloads, receipts };
}

describe('WhatsAppInbound', () => {
  test('W5: a notify DM reaches the pipeline once and is marked read once, after acceptance; typing is composing', async () => {
    const { sock, inbound, handled } = setup();
    const raw = waMessage({ remoteJid: PEER, id: 'W5' }, { conversation: 'hello' });
    await inbound.onUpsert({ type: 'notify', messages: [raw] }, sock);
    assert.deepEqual(handled.map((m) => [m.inboundId, m.senderId, m.text]), [[`wa:default:${PEER}:W5`, '+15551230000', 'hello']]);
    assert.deepEqual(sock.callsOf('readMessages'), [[[raw.key]]]);
    await new WhatsAppSender(() => sock).typing({ chatId: handled[0]!.chatId }, true);
    assert.deepEqual(sock.callsOf('sendPresenceUpdate'), [['composing', PEER]]);
  });

  test('a message the pipeline does not accept (denied, pairing, context) is never marked read', async () => {
    const { sock, inbound, handled } = setup({ accept: () => false });
    await inbound.onUpsert({ type: 'notify', messages: [waMessage({ remoteJid: STRANGER, id: 'D1' }, { conversation: 'hi' })] }, sock);
    assert.equal(handled.length, 1);
    assert.deepEqual(sock.callsOf('readMessages'), []);
  });

  test('W6/W8: history (append, or older than the connection) never reaches the pipeline; an allowed sender\'s is read', async () => {
    const { sock, inbound, handled } = setup();
    const allowed = waMessage({ remoteJid: PEER, id: 'H1' }, { conversation: 'old' });
    await inbound.onUpsert({ type: 'append', messages: [allowed, waMessage({ remoteJid: STRANGER, id: 'H2' }, { conversation: 'old' })] }, sock);
    const stale = waMessage({ remoteJid: STRANGER, id: 'H3' }, { conversation: 'offline' }, { messageTimestamp: (CONNECTED_AT - 600_000) / 1000 });
    await inbound.onUpsert({ type: 'notify', messages: [stale, waMessage({ remoteJid: PEER, id: 'F1', fromMe: true }, { conversation: 'me' })] }, sock);
    assert.deepEqual(handled, []);
    assert.deepEqual(sock.callsOf('readMessages'), [[[allowed.key]]]);
  });

  test('upserts are handled in order, one message at a time, even when a later upsert arrives mid-pipeline', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { sock, inbound, handled } = setup({ during: (m) => (m.messageId === 'A' ? gate : Promise.resolve()) });
    const first = inbound.onUpsert({ type: 'notify', messages: [waMessage({ remoteJid: PEER, id: 'A' }, { conversation: '1' })] }, sock);
    const second = inbound.onUpsert({ type: 'notify', messages: [waMessage({ remoteJid: PEER, id: 'B' }, { conversation: '2' })] }, sock);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(handled.map((m) => m.messageId), ['A']);
    release();
    await Promise.all([first, second]);
    assert.deepEqual(handled.map((m) => m.messageId), ['A', 'B']);
  });

  test('a malformed upsert is ignored; a message whose handling throws does not stop the next one', async () => {
    const { sock, inbound, handled } = setup({ during: async (m) => { if (m.messageId === 'X') throw new Error('disk full'); } });
    await inbound.onUpsert({ nope: true }, sock);
    await inbound.onUpsert({ type: 'notify', messages: [
      waMessage({ remoteJid: PEER, id: 'X' }, { conversation: 'boom' }), waMessage({ remoteJid: PEER, id: 'Y' }, { conversation: 'fine' }),
    ] }, sock);
    assert.deepEqual(handled.map((m) => m.messageId), ['X', 'Y']);
  });

  test('a group message carries its subject (groupMetadata once per 5 min)', async () => {
    const { sock, inbound, handled } = setup();
    const g = (id: string) => waMessage({ remoteJid: '1203@g.us', participant: PEER, id }, { conversation: 'hi' });
    await inbound.onUpsert({ type: 'notify', messages: [g('G1'), g('G2')] }, sock);
    assert.deepEqual(handled.map((m) => m.chatLabel), ['Team', 'Team']);
    assert.equal(sock.callsOf('groupMetadata').length, 1);
  });

  test('media: downloaded from the raw message while in the pipeline, within media-max-mb; over it, the ref only', async () => {
    const got: InboundMedia[] = [];
    const fetched = setup({ during: async (m) => { got.push(await fetched.inbound.download(m.media[0]!)); } });
    const image = waMessage({ remoteJid: PEER, id: 'I1' }, { imageMessage: { mimetype: 'image/jpeg', fileLength: 11 } });
    await fetched.inbound.onUpsert({ type: 'notify', messages: [image] }, fetched.sock);
    assert.equal(Buffer.from(got[0]?.data ?? []).toString(), 'image bytes');
    assert.deepEqual(fetched.downloads, [image]);
    const after = await fetched.inbound.download(fetched.handled[0]!.media[0]!);
    assert.equal(after.data, undefined, 'not downloadable once the pipeline is done with it');

    const big: InboundMedia[] = [];
    const capped = setup({ mediaMaxMb: 1, during: async (m) => { big.push(await capped.inbound.download(m.media[0]!)); } });
    await capped.inbound.onUpsert({ type: 'notify', messages: [waMessage({ remoteJid: PEER, id: 'I2' }, { documentMessage: { fileName: 'big.pdf', fileLength: 2 * 1024 * 1024 } })] }, capped.sock);
    assert.equal(big[0]?.data, undefined);
    assert.deepEqual(capped.downloads, []);
  });
});
