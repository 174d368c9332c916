import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { Update, UserFromGetMe } from 'grammy/types';
import { pino } from 'pino';
import { type AnyEventObject, createActor, setup, SimulatedClock } from 'xstate';
import type { ChannelMessage, TelegramAccountConfig } from '../../../../src/core/channel.js';
import { POLL_STALL_CHECK_MS, telegramTransport, type TelegramTransportDeps } from '../../../../src/surfaces/channels/telegram/transport.js';
import { type FakeTelegram, startFakeTelegram } from '../../../helpers/fake-telegram.js';
import { until, within } from '../../../helpers/wait.js';

// The Telegram transport actor against the fake Bot API with the real grammY, inside a tiny stand-in of the
// account machine: `up` (connecting → online) invokes the transport; down → backoff (2 s simulated) → up;
// fatal → failed; STOP → stopped from anywhere.

function accountConfig(tg: FakeTelegram, over: Partial<TelegramAccountConfig> = {}): TelegramAccountConfig {
  return {
    channel: 'telegram', accountId: 'default', enabled: true, dmPolicy: 'pairing', dmScope: 'per-channel-peer', allowFrom: [],
    groupPolicy: 'allowlist', groups: new Map(), requireMention: true, mentionPatterns: [], historyLimit: 50, textChunkLimit: 4000,
    mediaMaxMb: 5, botToken: tg.token, tokenSource: 'config', apiRoot: tg.apiRoot, streaming: 'off', ...over,
  };
}

interface Harness {
  deps: TelegramTransportDeps;
  clock: SimulatedClock;
  events: AnyEventObject[];
  handled: { update: Update; message: ChannelMessage | undefined }[];
  lastErrors: string[];
  states: string[];
  actor: ReturnType<typeof startMachine>;
  stop(): Promise<void>;
}

function startMachine(deps: TelegramTransportDeps, clock: SimulatedClock, events: AnyEventObject[], states: string[]) {
  const record = ({ event }: { event: AnyEventObject }) => { events.push(event); };
  const machine = setup({ actors: { transport: telegramTransport(deps) } }).createMachine({
    initial: 'up',
    on: { STOP: '.stopped' },
    states: {
      up: {
        invoke: { src: 'transport' },
        initial: 'connecting',
        states: { connecting: { on: { 'transport.online': { target: 'online', actions: record } } }, online: {} },
        on: { 'transport.down': { target: 'backoff', actions: record }, 'transport.fatal': { target: 'failed', actions: record } },
      },
      backoff: { after: { 2000: 'up' } },
      failed: {},
      stopped: {},
    },
  });
  const actor = createActor(machine, { clock });
  actor.subscribe((s) => states.push(JSON.stringify(s.value)));
  actor.start();
  return actor;
}

function harness(tg: FakeTelegram, opts: { watermark?: number; config?: Partial<TelegramAccountConfig>; registry?: Map<string, string>; handle?: TelegramTransportDeps['handle'] } = {}): Harness {
  const clock = new SimulatedClock();
  const events: AnyEventObject[] = [];
  const handled: Harness['handled'] = [];
  const lastErrors: string[] = [];
  const states: string[] = [];
  let watermark = opts.watermark ?? 0;
  const deps: TelegramTransportDeps = {
    config: accountConfig(tg, opts.config),
    clock,
    log: pino({ level: 'silent' }),
    watermark: () => watermark,
    handle: opts.handle ?? (async (update, message, ack) => {
      handled.push({ update, message });
      watermark = ack.updateId;
    }),
    closing: new Set(),
    botRegistry: opts.registry ?? new Map(),
    onActivity: () => {},
    onBotInfo: (_info: UserFromGetMe) => {},
    setLastError: (text) => { lastErrors.push(text); },
  };
  const actor = startMachine(deps, clock, events, states);
  return {
    deps, clock, events, handled, lastErrors, states, actor,
    async stop() {
      actor.send({ type: 'STOP' });
      await within(Promise.allSettled([...deps.closing]), 'the transport to stop');
      actor.stop();
    },
  };
}

const dm = (text: string, messageId = 1) => ({ message: { message_id: messageId, date: 1_700_000_000, chat: { id: 111, type: 'private' }, from: { id: 111, is_bot: false, first_name: 'Ann' }, text } });

test('T8: 409 twice, then OK → down, down, online; lastError names the conflict', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  tg.failNext('getUpdates', { error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' }, 2);
  const h = harness(tg);
  t.after(() => h.stop());
  await until(() => h.events.length === 1, 'the first down');
  assert.equal(h.events[0].type, 'transport.down');
  assert.match(h.events[0].error, /conflict/);
  await within(Promise.allSettled([...h.deps.closing]), 'the first attempt to close');
  h.clock.increment(2000);
  await until(() => h.events.length === 2, 'the second down');
  assert.equal(h.events[1].type, 'transport.down');
  assert.match(h.events[1].error, /conflict/);
  await within(Promise.allSettled([...h.deps.closing]), 'the second attempt to close');
  h.clock.increment(2000);
  await until(() => h.events.length === 3, 'online');
  assert.deepEqual(h.events.map((e) => e.type), ['transport.down', 'transport.down', 'transport.online']);
  assert.equal(tg.callsOf('getMe').length, 3, 'getMe once per connect');
  await h.stop();
});

test('T9: getMe 401 → fatal `unauthorized`, zero getUpdates', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  tg.failNext('getMe', { error_code: 401, description: 'Unauthorized' });
  const h = harness(tg);
  t.after(() => h.stop());
  await until(() => h.events.length === 1, 'fatal');
  assert.deepEqual(h.events[0], { type: 'transport.fatal', error: 'unauthorized: check bot-token' });
  await h.stop();
  assert.equal(tg.callsOf('getUpdates').length, 0);
});

test('T14: stop → one final confirming getUpdates, then no request; updates are handled in order', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  tg.queueUpdate(dm('one', 1));
  tg.queueUpdate(dm('two', 2));
  const h = harness(tg);
  t.after(() => h.stop());
  await until(() => h.handled.length === 2, 'two updates handled');
  assert.deepEqual(h.handled.map((x) => x.message?.text), ['one', 'two']);
  assert.equal(h.handled[0].message?.inboundId, 'tg:default:123:1');
  await until(() => tg.parkedCount() === 1, 'a parked long poll');
  const before = tg.callsOf('getUpdates').length;
  await h.stop();
  const after = tg.callsOf('getUpdates');
  assert.equal(after.length, before + 1, 'exactly one confirming getUpdates');
  assert.equal(after.at(-1)?.body.offset, 3, 'it confirms what was committed');
  const total = tg.calls.length;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(tg.calls.length, total, 'no request after the stop');
  await until(() => tg.openSockets() === 0, 'the attempt\'s keep-alive connections to close', 5000);
});

test('T7 (transport): watermark 2 → the first getUpdates asks for offset ≥ 3; updates 1 and 2 are not handled again', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  for (const id of [1, 2, 3]) tg.queueUpdate({ update_id: id, ...dm(`m${id}`, id) });
  const h = harness(tg, { watermark: 2 });
  t.after(() => h.stop());
  await until(() => h.handled.length === 1, 'update 3 handled');
  assert.ok(tg.callsOf('getUpdates')[0].body.offset >= 3, JSON.stringify(tg.callsOf('getUpdates')[0].body));
  assert.deepEqual(h.handled.map((x) => x.update.update_id), [3]);
  await h.stop();
});

test('stall watchdog: no completed getUpdates for 120 s (simulated) → down `polling stalled`, the bot stopped', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const h = harness(tg);
  t.after(() => h.stop());
  await until(() => h.events.length === 1, 'online');
  await until(() => tg.parkedCount() === 1, 'a parked long poll');
  for (let i = 0; i < 3; i++) h.clock.increment(POLL_STALL_CHECK_MS);
  assert.equal(h.events.length, 1, 'still online at 90 s');
  h.clock.increment(POLL_STALL_CHECK_MS);
  await until(() => h.events.length === 2, 'down');
  assert.deepEqual(h.events[1], { type: 'transport.down', error: 'polling stalled' });
  await within(Promise.allSettled([...h.deps.closing]), 'the stalled bot to stop');
  assert.equal(tg.parkedCount(), 0);
  await h.stop();
});

test('TG2: a bot id polled by another account → fatal, no getUpdates', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const h = harness(tg, { registry: new Map([['123', 'other']]) });
  t.after(() => h.stop());
  await until(() => h.events.length === 1, 'fatal');
  assert.deepEqual(h.events[0], { type: 'transport.fatal', error: 'bot already polled by account other' });
  await h.stop();
  assert.equal(tg.callsOf('getUpdates').length, 0);
});

test('TG9: webhook mode sets the webhook and goes online without polling', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const h = harness(tg, { config: { webhook: { url: 'https://x.test/tg/hook', path: '/tg/hook', secret: 's3cret' } } });
  t.after(() => h.stop());
  await until(() => h.events.length === 1, 'online');
  assert.equal(h.events[0].type, 'transport.online');
  const set = tg.callsOf('setWebhook')[0].body;
  assert.deepEqual([set.url, set.secret_token, set.allowed_updates, set.drop_pending_updates], ['https://x.test/tg/hook', 's3cret', ['message'], false]);
  await h.stop();
  assert.equal(tg.callsOf('getUpdates').length, 0);
  assert.equal(tg.webhookUrl(), 'https://x.test/tg/hook', 'stopping leaves the webhook set');
});

test('a failing pipeline leaves the update unconfirmed: down, and the next attempt gets it again', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  tg.queueUpdate(dm('boom', 1));
  let fail = true;
  const seen: number[] = [];
  let watermark = 0;
  const h = harness(tg, {
    handle: async (update) => {
      seen.push(update.update_id);
      if (fail) { fail = false; throw new Error('database is locked'); }
      watermark = update.update_id;
    },
  });
  h.deps.watermark = () => watermark;
  t.after(() => h.stop());
  await until(() => h.events.some((e) => e.type === 'transport.down'), 'down');
  await within(Promise.allSettled([...h.deps.closing]), 'the attempt to close');
  h.clock.increment(2000);
  await until(() => seen.length === 2, 'the update redelivered');
  assert.deepEqual(seen, [1, 1]);
  await h.stop();
});

test('stop while an update is in the pipeline: the confirming getUpdates confirms only what was committed', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  tg.queueUpdate(dm('slow', 1));
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let entered = false;
  const h = harness(tg, { handle: async () => { entered = true; await gate; } });
  t.after(() => h.stop());
  await until(() => entered, 'the handler to start');
  h.actor.send({ type: 'STOP' });
  await until(() => tg.callsOf('getUpdates').some((c) => c.body.limit === 1), 'the confirming getUpdates');
  assert.equal(tg.callsOf('getUpdates').at(-1)?.body.offset, 1, 'update 1 is not confirmed while its handler runs');
  release();
  await h.stop();
});

test('getMe on a refused port → down with a scrubbed error (no retry loop)', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  const fakeLike = { token: '123456:AAEsecretsecretsecretsecretsecret123', apiRoot: `http://127.0.0.1:${port}` } as FakeTelegram;
  const h = harness(fakeLike);
  await until(() => h.events.length === 1, 'down');
  assert.equal(h.events[0].type, 'transport.down');
  assert.ok(!String(h.events[0].error).includes('secret'), h.events[0].error);
  await h.stop();
});
