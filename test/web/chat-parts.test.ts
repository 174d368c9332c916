import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionClosedError, type GatewaySession, GatewayRequestError } from '../../src/client/index.js';
import { channelRows, type ChannelsStatus } from '../../web/webchat/channels/channel-rows.js';
import { type OutgoingMessage, Outbox } from '../../web/webchat/chat/outbox.js';
import { applyChatEvent, type ChatEvent, messageText } from '../../web/webchat/chat/reply-states.js';

// The pure parts of WebChat's chat view and Channels panel (web-surfaces W6, W7), without a browser: the reply
// bubble per `chat` state, the outbox's keys and retries, and the rows of `channels.status`.

const base = { runId: 'r1', sessionKey: 'agent:main:main', seq: 1 };
const said = (text: string) => ({ role: 'assistant', content: [{ type: 'text', text }] });

test('W6 reply states: status, delta (cumulative message, else appended deltaText), final, aborted keeps the partial text, error', () => {
  let s = { text: '', mark: '' };
  s = applyChatEvent(s, { ...base, state: 'status', phase: 'starting_model' } as ChatEvent);
  assert.deepEqual(s, { text: '', mark: 'working…' });
  s = applyChatEvent(s, { ...base, state: 'delta', deltaText: 'Echo: ', message: said('Echo: ') } as ChatEvent);
  assert.deepEqual(s, { text: 'Echo: ', mark: '' });
  s = applyChatEvent(s, { ...base, state: 'delta', deltaText: 'hel' } as ChatEvent);
  assert.deepEqual(s, { text: 'Echo: hel', mark: '' });
  assert.deepEqual(applyChatEvent(s, { ...base, state: 'delta', deltaText: 'new', replace: true } as ChatEvent), { text: 'new', mark: '' });
  assert.deepEqual(applyChatEvent(s, { ...base, state: 'final', message: said('Echo: hello') } as ChatEvent), { text: 'Echo: hello', mark: '' });
  assert.deepEqual(applyChatEvent(s, { ...base, state: 'aborted' } as ChatEvent), { text: 'Echo: hel', mark: 'stopped' });
  assert.deepEqual(applyChatEvent(s, { ...base, state: 'error', errorMessage: 'model down' } as ChatEvent), { text: 'model down', mark: 'failed' });
  assert.equal(messageText({ content: [{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }] }), 'ab');
  assert.equal(messageText(undefined), undefined);
});

/** A session whose chat.send answers come from `answer`, recording every send. */
function fakeSession(answer: (n: number) => Promise<unknown>): { session: GatewaySession; sends: Record<string, unknown>[] } {
  const sends: Record<string, unknown>[] = [];
  const session = {
    hello: {} as GatewaySession['hello'],
    closed: false,
    request: (method: string, params: Record<string, unknown>) => {
      assert.equal(method, 'chat.send');
      sends.push(params);
      return answer(sends.length);
    },
  } as unknown as GatewaySession;
  return { session, sends };
}

const settle = () => new Promise((r) => setImmediate(r));

test('W7 offline sends: waiting while down, sent once with the same key after hello-ok; queue_full offers Retry with the same key', async () => {
  const marks: string[] = [];
  let retry: (() => void) | undefined;
  let live: GatewaySession | undefined;
  const outbox = new Outbox({
    marked: (_m: OutgoingMessage, mark: string, r?: () => void) => {
      marks.push(mark);
      retry = r;
    },
    acked: () => undefined,
  }, () => live);
  const message = outbox.add('agent:main:main', 'hi');
  assert.match(message.key, /^[0-9a-f]{32}$/);
  assert.deepEqual(marks, ['waiting'], 'nothing is sent while offline');

  const fullThenOk = [
    Promise.reject(new ConnectionClosedError('chat.send', { code: 1012, reason: 'service restart' })),
    Promise.reject(new GatewayRequestError('chat.send', { code: 'UNAVAILABLE', message: 'queue full', details: { reason: 'queue_full' } })),
    Promise.resolve({ runId: message.key, status: 'started' }),
  ];
  for (const p of fullThenOk) p.catch(() => undefined);
  const { session, sends } = fakeSession((n) => fullThenOk[n - 1]!);
  live = session;
  outbox.flush(session);
  outbox.flush(session); // a second flush while one is in flight sends nothing more
  await settle();
  assert.equal(sends.length, 1);
  assert.deepEqual(marks.slice(1), ['sending', 'waiting'], 'the socket closed: it waits again');
  outbox.flush(session);
  await settle();
  assert.deepEqual(marks.slice(3), ['sending', 'not sent: queue full']);
  assert.ok(retry, 'Retry is offered');
  retry();
  await settle();
  assert.deepEqual(marks.slice(5), ['waiting', 'sending', 'sent']);
  assert.deepEqual(sends.map((s) => s.idempotencyKey), [message.key, message.key, message.key], 'one key for every attempt');
  outbox.flush(session);
  assert.equal(sends.length, 3, 'a sent message is never sent again');
});

test('Channels panel rows: channel · account, the state (the gateway\'s, else from the flags), the last error', () => {
  const status = {
    ts: 1, channelOrder: ['telegram', 'whatsapp', 'signal'],
    channelLabels: { telegram: 'Telegram', whatsapp: 'WhatsApp', signal: 'Signal' },
    channels: {}, channelDefaultAccountId: {},
    channelAccounts: {
      telegram: [{ accountId: 'default', state: 'online', lastError: null }],
      whatsapp: [{ accountId: 'work', running: true, connected: false, lastError: 'connection closed (428)' }],
      signal: [],
    },
  } as unknown as ChannelsStatus;
  assert.deepEqual(channelRows(status), [
    { channel: 'telegram', accountId: 'default', name: 'Telegram · default', state: 'online', lastError: '' },
    { channel: 'whatsapp', accountId: 'work', name: 'WhatsApp · work', state: 'connecting', lastError: 'connection closed (428)' },
  ]);
});
