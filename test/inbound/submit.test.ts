import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RunLifecycle } from '../../src/actors/run-lifecycle.js';
import { RunRegistry } from '../../src/actors/run-registry.js';
import { createRunExecutor } from '../../src/actors/run-executor.js';
import { ReplyRouter, type ChannelOrigin, type RunAnswer } from '../../src/actors/reply-router.js';
import { SessionRegistry } from '../../src/actors/session-registry.js';
import { createMockRunner } from '../../src/agent/mock.js';
import { ApiError } from '../../src/core/errors.js';
import { createLocalBus } from '../../src/core/local-bus.js';
import { Inbound, type InboundMessage } from '../../src/inbound/submit.js';
import { openDb } from '../../src/store/db.js';
import { RunLedger } from '../../src/store/run-ledger.js';
import { SqliteTranscriptStore } from '../../src/store/transcripts-sqlite.js';
import { startTestGateway } from '../helpers/gateway.js';
import { P, post } from '../helpers/http-plane.js';
import { RawSocket } from '../helpers/ws-client.js';

// The one inbound path: a surface-neutral message goes through inbound.submit into the session registry, is
// journaled with its origin (the reply address), and its reply is delivered to that origin.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function core() {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-inbound-'));
  dirs.push(dir);
  const db = openDb(dir);
  const bus = createLocalBus();
  const runs = new RunRegistry(bus, { retentionMs: 60_000, retentionMax: 100 });
  const ledger = new RunLedger(db, new SqliteTranscriptStore(db), { retentionMs: 60_000 });
  const lifecycle = new RunLifecycle({ bus, ledger });
  const sessions: SessionRegistry = new SessionRegistry({
    lifecycle, runs, idleMs: 60_000,
    executeRun: createRunExecutor({ runner: createMockRunner(), lifecycle, abortReason: (id) => sessions.abortReason(id) }),
  });
  const replies = new ReplyRouter({ bus, runs });
  return { inbound: new Inbound(sessions), ledger, runs, replies, close: () => { sessions.stopAll(); db.close(); } };
}

const telegramChat: ChannelOrigin = { surface: 'channel', channel: 'telegram', accountId: 'default', chatId: '42', threadId: '7', replyTo: '1001' };

const channelMessage = (over: Partial<InboundMessage> = {}): InboundMessage => ({
  surface: 'channel', sessionKey: 'agent:main:telegram:direct:42', text: 'hi from a chat',
  sender: { id: '42', name: 'Ada' }, idempotencyKey: 'tg-1001', origin: telegramChat, ...over,
});

describe('inbound.submit', () => {
  test('a channel-shaped message is journaled with its origin and its reply is delivered to that origin', async () => {
    const c = core();
    try {
      const delivered: [ChannelOrigin, RunAnswer][] = [];
      c.replies.register('telegram', (origin, answer) => delivered.push([origin, answer]));
      const result = c.inbound.submit(channelMessage());
      assert.equal(result.kind, 'accepted');
      assert.equal(result.runId, 'tg-1001');
      assert.deepEqual(c.ledger.get('tg-1001')?.origin, telegramChat, 'the reply address is in the journal');
      await c.runs.settled('tg-1001');
      assert.equal(delivered.length, 1);
      const [origin, answer] = delivered[0];
      assert.deepEqual(origin, telegramChat);
      assert.equal(answer.kind, 'completed');
      assert.equal(answer.kind === 'completed' && answer.text, 'Echo: hi from a chat');
      // the same message again (a redelivered update) is answered from the record, not run or delivered again
      assert.equal(c.inbound.submit(channelMessage()).kind, 'replay');
      assert.equal(delivered.length, 1);
    } finally {
      c.close();
    }
  });

  test('malformed messages are refused with a 400 and leave no record', () => {
    const c = core();
    try {
      const refused = (m: InboundMessage, why: RegExp) => {
        assert.throws(() => c.inbound.submit(m), (e: unknown) => e instanceof ApiError && e.status === 400 && why.test(e.message));
        assert.equal(c.ledger.get(m.idempotencyKey ?? ''), undefined);
      };
      refused(channelMessage({ surface: 'http' }), /origin is for channel/);
      refused(channelMessage({ sessionKey: '  ' }), /missing session key/);
      refused(channelMessage({ sessionKey: 'a\u0000b' }), /control characters/);
      refused(channelMessage({ sessionKey: 'k'.repeat(513) }), /longer than 512/);
      refused(channelMessage({ origin: { ...telegramChat, chatId: '' } }), /chatId/);
    } finally {
      c.close();
    }
  });
});

describe('origins in the journal', () => {
  test('a message accepted through HTTP and one through WS each have their origin in the journal', async () => {
    const tg = await startTestGateway();
    try {
      const res = await post(tg.url, `${P}/messages`, { from: 'alice', text: 'over http', request_id: 'origin-http' });
      assert.equal(res.status, 200);
      assert.deepEqual(tg.gw.ledger.get('origin-http')?.origin, { surface: 'http' });
      const ws = await RawSocket.connect(tg.url, {}, 'origin-ws');
      try {
        const ack = await ws.request('chat.send', { sessionKey: 'agent:main:origins', message: 'over ws', idempotencyKey: 'origin-ws' });
        assert.equal(ack.ok, true);
        const origin = tg.gw.ledger.get('origin-ws')?.origin;
        assert.equal(origin?.surface, 'ws');
        assert.ok(origin?.surface === 'ws' && origin.connId.length > 0, 'the connection id is the reply address');
        await tg.gw.runs.settled('origin-ws');
      } finally {
        await ws.close();
      }
    } finally {
      await tg.close();
    }
  });
});
