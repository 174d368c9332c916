import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NEW_SESSION_TEXT } from '../../src/surfaces/channels/replies.js';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { sendMessage } from '../helpers/cluster-gateways.js';
import { startTelegramCluster, type Name, type TelegramCluster } from '../helpers/telegram-cluster.js';
import type { FakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeTelegram } from '../helpers/fake-telegram.js';
import { uniq } from '../helpers/ids.js';
import { dm, sentTexts } from '../helpers/telegram-gateway.js';
import { until, within } from '../helpers/wait.js';
import { adminClient, stopClient } from '../helpers/ws-client.js';

// A channel's /new and /reset in cluster mode, on real processes: nats-server, the fake Bot API, a fake
// OpenAI-compatible model that shows what it was sent, and three gateways on one bot token. The model reads a
// session's history from the cluster, so the reset must go there — on the session's owner when that is
// another instance than the account's holder, here when nobody owns the session: the next DM's model call
// sees no earlier turn, and chat.history shows one marker.

const TTL_MS = 2_000;

/** The text of an OpenAI message (a string, or text parts). */
const textOf = (m: { content: unknown }): string =>
  typeof m.content === 'string' ? m.content : (m.content as { text?: string }[]).map((p) => p.text ?? '').join('');

/** The user and assistant turns a model request carried, as `role: text`. */
const turnsSent = (body: { messages: { role: string; content: unknown }[] }): string[] =>
  body.messages.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => `${m.role}: ${textOf(m)}`);

describe('a channel\'s /new and /reset in cluster mode', () => {
  let cluster: TelegramCluster;
  let fake: FakeTelegram;
  let model: FakeOpenAI;
  let gw: Record<Name, CliGateway>;
  let online: () => Name[];

  before(async () => {
    cluster = await startTelegramCluster({
      prefix: 'clawgate-chan-reset-', account: ['dm-policy: allowlist', 'allow-from: ["111", "222"]', 'streaming: off'], ttlMs: TTL_MS, model: true,
    });
    ({ fake, gw, online } = cluster);
    model = cluster.model!;
  });
  after(() => cluster?.close());

  /** Sends `text` from user `chat` and expects the fake model's answer, `re: <text>`, in the chat; the turns the model was sent. */
  async function dmTurn(chat: number, text: string): Promise<string[]> {
    let sent: string[] | undefined;
    model.enqueue((body) => {
      sent = turnsSent(body);
      return { text: [`re: ${text}`] };
    });
    const before = fake.callsOf('sendMessage').length;
    fake.queueUpdate(dm(chat, text));
    await fake.waitForCalls('sendMessage', before + 1, 30_000);
    assert.equal(sentTexts(fake, chat).at(-1), `re: ${text}`);
    assert.ok(sent, 'the model was asked');
    return sent;
  }

  /** Sends a command from user `chat` and expects `reply` in the chat. */
  async function command(chat: number, text: string, reply: string): Promise<void> {
    const before = fake.callsOf('sendMessage').length;
    fake.queueUpdate(dm(chat, text));
    await fake.waitForCalls('sendMessage', before + 1, 30_000);
    assert.equal(sentTexts(fake, chat).at(-1), reply);
  }

  /** The roles of the session's history as chat.history shows it through `g`. */
  async function roles(g: CliGateway, sessionKey: string): Promise<string[]> {
    const admin = await adminClient(g.url, uniq('history'));
    try {
      return (await admin.request('chat.history', { sessionKey })).messages.map((m: { role: string }) => m.role);
    } finally {
      await stopClient(admin);
    }
  }

  test('/new through the holder resets the session on its owner, another instance: the next DM\'s model call sees no earlier turn', async () => {
    await until(() => online().length === 1, 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const owner = (['a', 'b', 'c'] as const).find((n) => n !== holder)!;
    const session = 'agent:main:telegram:direct:111';
    // the session is owned by a standby instance: an operator's message for it ran there first
    model.enqueue({ text: ['re: op'] });
    const op = await within(sendMessage(gw[owner], session, uniq('req'), 'op'), 'the operator\'s reply', 30_000);
    assert.deepEqual([op.status, op.json.reply], [200, 're: op'], JSON.stringify(op.json));
    assert.deepEqual(await dmTurn(111, 'one'), ['user: op', 'assistant: re: op', 'user: one']);

    await command(111, '/new', NEW_SESSION_TEXT);
    assert.deepEqual(await dmTurn(111, 'two'), ['user: two'], 'the model sees nothing before the reset');
    assert.deepEqual(await roles(gw[holder], session), ['user', 'assistant', 'user', 'assistant', 'system', 'user', 'assistant'], 'one marker, nothing deleted');
  });

  test('/reset of a session nobody else owns (the holder runs it) resets it in the cluster', async () => {
    await until(() => online().length === 1, 'one instance online', 20_000, 20);
    const [holder] = online() as [Name];
    const session = 'agent:main:telegram:direct:222';
    assert.deepEqual(await dmTurn(222, 'hello'), ['user: hello']);
    assert.deepEqual(await dmTurn(222, 'again'), ['user: hello', 'assistant: re: hello', 'user: again']);
    await command(222, '/reset', NEW_SESSION_TEXT);
    assert.deepEqual(await dmTurn(222, 'fresh'), ['user: fresh'], 'the model sees nothing before the reset');
    const other = (['a', 'b', 'c'] as const).find((n) => n !== holder)!;
    assert.deepEqual((await roles(gw[other], session)).filter((r) => r === 'system'), ['system'], 'one marker, seen from another instance too');
  });
});
