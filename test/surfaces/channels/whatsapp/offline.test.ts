import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../../../src/config.js';
import type { WhatsAppAccountConfig } from '../../../../src/core/channel.js';
import { startGateway } from '../../../../src/main.js';
import { openDb } from '../../../../src/store/db.js';
import { WaAuthStore } from '../../../../src/store/wa-auth.js';
import { loadBaileys } from '../../../../src/surfaces/channels/whatsapp/baileys.js';
import { freePort } from '../../../helpers/cli.js';
import { until } from '../../../helpers/wait.js';

// Issue 10, acceptance 2: a linked WhatsApp account with no network (the real Baileys socket, pointed at a closed
// port on 127.0.0.1) goes to backoff with a readable lastError, the gateway keeps serving HTTP, and the reconnects
// follow the channel backoff instead of spinning the CPU.

test('WhatsApp without a network: backoff with a readable lastError, HTTP still served, no busy loop', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-wa-offline-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // a linked account: creds stored as Baileys would after a scan
  const db = openDb(dir);
  const auth = new WaAuthStore(db).load('default', await loadBaileys());
  Object.assign(auth.creds, { registered: true, me: { id: '15559990000:2@s.whatsapp.net', name: 'Bot' } });
  auth.saveCreds();
  db.close();
  const closed = `ws://127.0.0.1:${await freePort()}/ws/chat`;
  const account: WhatsAppAccountConfig = {
    channel: 'whatsapp', accountId: 'default', enabled: true, dmPolicy: 'pairing', dmScope: 'per-channel-peer', allowFrom: [],
    groupPolicy: 'allowlist', groups: new Map(), requireMention: true, mentionPatterns: [], historyLimit: 50, textChunkLimit: 4000,
    mediaMaxMb: 50, selfChatMode: false, sendReadReceipts: true,
  };
  const config = { ...resolveConfig({}), port: 0, stateDir: dir, shutdownGraceMs: 0, channels: { telegram: [], whatsapp: [account], signal: [] } };
  const gw = await startGateway(config, pino({ level: 'silent' }), { channelSeams: { whatsapp: { waWebSocketUrl: closed } } });
  t.after(() => gw.close());
  const status = async () => (await gw.channels!.status({ channel: 'whatsapp' })).whatsapp[0]!;
  await until(async () => (await status()).state === 'backoff', 'backoff after the refused connection', 20_000);
  const s = await status();
  assert.match(s.lastError ?? '', /\b408\b|connection|closed|refused/i, `readable lastError: ${s.lastError}`);
  assert.equal(s.connected, false);
  assert.equal((await fetch(`http://127.0.0.1:${gw.port}/healthz`)).status, 200, 'HTTP still served');
  const ready = await fetch(`http://127.0.0.1:${gw.port}/readyz`);
  assert.match(await ready.text(), /channel:whatsapp:default/);
  // a few reconnects (2 s, 3.6 s …): the process must idle between them, not spin
  const cpu0 = process.cpuUsage();
  const attempts0 = s.reconnectAttempts;
  await until(async () => (await status()).reconnectAttempts >= attempts0 + 2, 'two more attempts', 30_000);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  assert.ok(cpuMs < 3000, `CPU over two reconnects: ${cpuMs.toFixed(0)} ms (a busy loop would burn the whole ~5.6 s)`);
});
