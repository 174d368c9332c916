import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openDb } from '../../../../src/store/db.js';
import { WaAuthStore } from '../../../../src/store/wa-auth.js';
import { loadBaileys } from '../../../../src/surfaces/channels/whatsapp/baileys.js';
import { lookupWaVersion, makeBaileysSocket, type WASocketEvents, type WASocketLike } from '../../../../src/surfaces/channels/whatsapp/socket.js';

// The production socket factory against local endpoints that are not WhatsApp (acceptance 2 of issue 13: no
// network). A refused connection closes with a transient code and a readable error, throws nothing uncaught and
// does not busy-loop; an HTTP answer to the upgrade closes the same way instead of hanging in `connecting`.
// No version lookup (fetchLatestVersion: false): nothing leaves 127.0.0.1.

type Update = WASocketEvents['connection.update'];
type Boomish = Error & { output?: { statusCode?: number } };

const helpers = await loadBaileys();

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** A real Baileys socket on a fresh SQLite auth state, pointed at `url`; its connection updates are recorded. */
async function socketAt(t: { after(fn: () => unknown): void }, url: string, level = 'silent') {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-wa-socket-'));
  const db = openDb(dir);
  t.after(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });
  const auth = new WaAuthStore(db).load('default', helpers);
  const lines: { level: number; component?: string; msg?: string }[] = [];
  const log = pino({ level }, { write: (line: string) => { lines.push(JSON.parse(line)); } });
  const sock = await makeBaileysSocket({
    accountId: 'default', auth, log, getMessage: async () => undefined, waWebSocketUrl: url, fetchLatestVersion: false,
  });
  t.after(() => sock.end(undefined));
  const updates: Update[] = [];
  // Bounded: a socket that never closes fails the test after 15 s instead of hanging it.
  const closed = new Promise<Update>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no close within 15 s; updates: ${JSON.stringify(updates)}`)), 15_000);
    sock.ev.on('connection.update', (u) => {
      updates.push(u);
      if (u.connection === 'close') {
        clearTimeout(timer);
        resolve(u);
      }
    });
  });
  return { sock, updates, closed, lines };
}

test('a refused connection closes with 408 and the reason, nothing uncaught, no reconnect, no CPU spin', async (t) => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => { uncaught.push(err); };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  t.after(() => { process.off('uncaughtException', onUncaught); process.off('unhandledRejection', onUncaught); });

  const port = await freePort();
  const { updates, closed, lines } = await socketAt(t, `ws://127.0.0.1:${port}/ws/chat`, 'debug');
  const close = await closed;
  const error = close.lastDisconnect?.error as Boomish;
  assert.equal(error.output?.statusCode, helpers.DisconnectReason.timedOut, 'refused → 408 (timedOut/connectionLost): transient');
  assert.match(error.message, /^WebSocket Error \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/);

  // Lenient bound: a busy loop would burn about the whole 2 s on a core; a closed socket burns next to nothing.
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const used = process.cpuUsage(before);
  const cpuMs = (used.user + used.system) / 1000;
  assert.ok(cpuMs < 1_000, `CPU over 2 s after the close: ${cpuMs} ms`);
  assert.deepEqual(updates.map((u) => u.connection), ['connecting', 'close'], 'Baileys does not reconnect on its own');
  assert.deepEqual(uncaught, []);
  // Baileys logs at warn even under a gateway at debug (its info lines, e.g. `connection errored`, are noise).
  assert.ok(lines.some((l) => l.component === 'baileys' && l.msg === 'whatsapp: socket error'));
  assert.deepEqual(lines.filter((l) => l.level < 40), []);
});

for (const status of [502, 200]) {
  test(`an HTTP ${status} answer to the upgrade closes as a lost connection (408) instead of hanging`, async (t) => {
    const server = createHttpServer((_req, res) => { res.statusCode = status; res.end('not whatsapp'); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => { server.closeAllConnections(); server.close(); });
    const { closed, lines } = await socketAt(t, `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws/chat`);
    const error = (await closed).lastDisconnect?.error as Boomish;
    assert.equal(error.output?.statusCode, 408);
    assert.equal(error.message, `WebSocket Error (Unexpected server response: ${status})`);
    assert.deepEqual(lines, [], 'a silent gateway gets no Baileys lines (its child logger is never louder)');
  });
}

test('a fake socket whose ev is an EventEmitter fits WASocketLike (spec §6.1 Fake WhatsApp)', async () => {
  const sent: unknown[] = [];
  const fake: WASocketLike = {
    ev: new EventEmitter(),
    user: { id: '15559990000:2@s.whatsapp.net', lid: '42@lid' },
    authState: { creds: { registered: true } },
    sendMessage: async (jid, content, options) => { sent.push({ jid, content, options }); return undefined; },
    sendPresenceUpdate: async () => {},
    readMessages: async () => {},
    groupMetadata: async (id) => ({ id, owner: undefined, subject: 'g', participants: [] }),
    requestPairingCode: async () => 'ABCD1234',
    logout: async () => {},
    end: async () => {},
    signalRepository: { lidMapping: { getPNForLID: async () => null } },
  };
  const seen: Update[] = [];
  fake.ev.on('connection.update', (u) => seen.push(u));
  (fake.ev as EventEmitter).emit('connection.update', { connection: 'open' });
  await fake.sendMessage('15551230000@s.whatsapp.net', { text: 'hi' }, { messageId: '3EB0ABCDEF0123456789AB' });
  assert.deepEqual(seen, [{ connection: 'open' }]);
  assert.equal(sent.length, 1);
});

test('the version lookup: the latest when found, else undefined (the bundled version): failed, stale, or too slow', async () => {
  assert.deepEqual(await lookupWaVersion(async () => ({ version: [2, 3000, 42], isLatest: true })), [2, 3000, 42]);
  assert.equal(await lookupWaVersion(async () => ({ version: [2, 3000, 1], isLatest: false })), undefined);
  assert.equal(await lookupWaVersion(async () => { throw new Error('offline'); }), undefined);
  assert.equal(await lookupWaVersion(() => new Promise(() => {}), 10), undefined, 'a lookup that never answers gives up at the timeout');
});
