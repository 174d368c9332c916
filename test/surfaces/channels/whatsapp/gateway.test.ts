import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../../../src/config.js';
import type { WhatsAppAccountConfig } from '../../../../src/core/channel.js';
import { type Gateway, startGateway } from '../../../../src/main.js';
import { FakeWhatsApp } from '../../../helpers/fake-whatsapp.js';
import { until } from '../../../helpers/wait.js';

// WhatsApp end to end in a real gateway, on a fake socket from the factory seam (nothing reaches WhatsApp):
// QR login through web.login.*, the 515 restart, a DM answered through the outbox with a deterministic message
// id and a read receipt, and a restart that reconnects with the stored link, without a login.

const PEER = '15551230000@s.whatsapp.net';

function account(over: Partial<WhatsAppAccountConfig> = {}): WhatsAppAccountConfig {
  return {
    channel: 'whatsapp', accountId: 'default', enabled: true, dmPolicy: 'allowlist', dmScope: 'per-channel-peer',
    allowFrom: ['+15551230000'], groupPolicy: 'allowlist', groups: new Map(), requireMention: true, mentionPatterns: [],
    historyLimit: 50, textChunkLimit: 4000, mediaMaxMb: 50, selfChatMode: false, sendReadReceipts: true, ...over,
  };
}

async function start(stateDir: string, fake: FakeWhatsApp): Promise<Gateway> {
  const config = { ...resolveConfig({}), port: 0, stateDir, shutdownGraceMs: 0, channels: { telegram: [], whatsapp: [account()], signal: [] } };
  return startGateway(config, pino({ level: 'silent' }), { channelSeams: { whatsapp: { makeSocket: fake.makeSocket } } });
}

const state = (gw: Gateway) => async () => (await gw.channels!.status({ channel: 'whatsapp' })).whatsapp[0]!;

test('W1 + W5 end to end: QR login, the 515 restart, a DM answered once with a 3EB0 id and a read receipt; a restart needs no login', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-wa-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fake = new FakeWhatsApp();
  let gw = await start(dir, fake);
  t.after(() => gw.close());
  await until(async () => (await state(gw)()).state === 'needsLogin', 'needsLogin without creds');
  assert.equal(fake.calls, 0, 'no socket before a login');
  const started = gw.channels!.loginStart!({});
  const first = await fake.socket(1);
  await until(() => first.listenerCount() > 0, 'the transport listens');
  first.qr('ref1');
  const login = await started;
  assert.match(login.qrDataUrl ?? '', /^data:image\/png;base64,/);
  assert.equal(login.connected, false);
  first.close(515, 'restart required');
  const second = await fake.socket(2);
  await until(() => second.listenerCount() > 0, 'the transport listens');
  second.credsUpdate({ registered: true, me: { id: '15559990000:2@s.whatsapp.net', name: 'Bot' } });
  second.open();
  await until(async () => (await state(gw)()).state === 'online', 'online after the scan');
  const snapshot = await state(gw)();
  assert.equal(snapshot.linked, true);
  assert.equal(snapshot.reconnectAttempts, 0);

  const now = Math.floor(Date.now() / 1000);
  second.upsert([{ key: { remoteJid: PEER, fromMe: false, id: 'MSG1' }, messageTimestamp: now, pushName: 'Ann', message: { conversation: 'hello' } }]);
  second.upsert([{ key: { remoteJid: PEER, fromMe: false, id: 'MSG1' }, messageTimestamp: now, pushName: 'Ann', message: { conversation: 'hello' } }]);
  await until(() => second.callsOf('sendMessage').length >= 1, 'the reply');
  const [jid, content, options] = second.callsOf('sendMessage')[0] as [string, { text: string }, { messageId: string }];
  assert.equal(jid, PEER);
  assert.equal(content.text, 'Echo: hello');
  assert.match(options.messageId, /^3EB0[0-9A-F]{18}$/);
  assert.equal(second.callsOf('readMessages').length, 1, 'one read receipt, after acceptance');
  assert.ok(second.callsOf('sendPresenceUpdate').some(([type]) => type === 'composing'));
  assert.ok(gw.transcripts.session('agent:main:whatsapp:direct:+15551230000'));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(second.callsOf('sendMessage').length, 1, 'the duplicate upsert ran nothing (W6)');

  await gw.close();
  const before = fake.calls;
  gw = await start(dir, fake);
  const third = await fake.socket(before + 1);
  await until(() => third.listenerCount() > 0, 'the transport listens');
  third.open();
  await until(async () => (await state(gw)()).state === 'online', 'online again with the stored link');
});
