import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertBuilt, killAll } from '../helpers/cli.js';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { clusterAuth as auth, runStatus, sendMessage as send, startClusterGateways } from '../helpers/cluster-gateways.js';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.js';
import { uniq } from '../helpers/ids.js';
import { postJson } from '../helpers/json-http.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until, within } from '../helpers/wait.js';
import { adminClient, stopClient, type TappedClient } from '../helpers/ws-client.js';

// Issue 17: a session's history is one history in the cluster, on real processes — nats-server, a fake
// OpenAI-compatible model that shows what it was sent, and three gateways. A session runs on A; A is
// SIGKILLed; its next message runs on another instance, whose model call sees the turns A recorded, and
// chat.history answers the same on every instance. sessions.reset through any instance resets the session on
// its owner: the model's history starts after the marker, chat.history shows it. And the session queue bound
// (--max-queue) counts the messages waiting in the whole cluster.

const TTL_MS = 2_000;

/** The text of an OpenAI message (a string, or text parts). */
const textOf = (m: { content: unknown }): string =>
  typeof m.content === 'string' ? m.content : (m.content as { text?: string }[]).map((p) => p.text ?? '').join('');

/** The user and assistant turns a model request carried, as `role: text`. */
const turnsSent = (body: { messages: { role: string; content: unknown }[] }): string[] =>
  body.messages.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => `${m.role}: ${textOf(m)}`);

/** The user and assistant turns of a chat.history answer, as `role: text` (a reset marker as `system`). */
const turnsShown = (h: { messages: { role: string; content: { text: string }[] }[] }): string[] =>
  h.messages.map((m) => (m.role === 'system' ? 'system' : `${m.role}: ${m.content[0].text}`));

describe('a session\'s history across owners', () => {
  let nats: NatsServer;
  let model: FakeOpenAI;
  let gw: Record<'a' | 'b' | 'c', CliGateway>;
  const clients: TappedClient[] = [];

  before(async () => {
    assertBuilt();
    nats = await startNatsServer();
    model = await startFakeOpenAI();
    // one message may wait behind a session's running run
    gw = await startClusterGateways(nats.url, TTL_MS, 0, ['--model', 'openai', '--openai-base-url', model.url, '--max-queue', '1']);
  });
  after(async () => {
    for (const c of clients) await stopClient(c);
    await killAll();
    await model?.close();
    await nats?.stop();
  });

  /** Sends `text` through `g` and expects the fake model's answer, `re: <text>`, recording what it was sent. */
  async function turn(g: CliGateway, session: string, text: string): Promise<string[]> {
    let sent: string[] = [];
    model.enqueue((body) => {
      sent = turnsSent(body);
      return { text: [`re: ${text}`] };
    });
    const id = uniq('req');
    const r = await within(send(g, session, id, text), `the reply to "${text}"`, 30_000);
    assert.deepEqual([r.status, r.json.reply], [200, `re: ${text}`], JSON.stringify(r.json));
    // the caller is answered as the run ends; its end is recorded in the cluster just after (a run whose owner
    // dies in between is run once more by the next owner, which would ask the model again). Read through
    // another instance: one that ran the run answers from its own registry before the cluster has the end
    const witness = g === gw.c ? gw.b : gw.c;
    await until(async () => (await runStatus(witness, id)).json.state === 'completed', `"${text}" recorded completed`, 10_000, 20);
    return sent;
  }

  test('the session queue bound holds across instances: a message beyond it is refused 429 queue_full wherever it comes in', async () => {
    const session = uniq('bounded');
    const [first, second] = [uniq('req'), uniq('req')];
    const asked = model.requests.length;
    model.enqueue({ text: ['held'], hang: true }); // runs until it is cancelled
    const one = send(gw.a, session, first, 'runs long');
    await model.waitForRequests(asked + 1);
    const two = send(gw.b, session, second, 'waits');
    await until(async () => (await runStatus(gw.c, second)).json.state === 'queued', 'the second to wait', 10_000, 20);
    const third = await within(send(gw.c, session, uniq('req'), 'one too many'), 'the third to be refused at once', 10_000);
    assert.equal(third.status, 429, JSON.stringify(third.json));
    assert.match(JSON.stringify(third.json), /queue_full/);
    model.enqueue({ text: ['re: waits'] });
    const cancel = await postJson(`${gw.c.url}/v1/gateway/cancel`, { request_id: first }, { headers: auth });
    assert.deepEqual(cancel.json, { canceled: true });
    assert.equal((await within(one, 'the first caller')).json.canceled, true);
    assert.equal((await within(two, 'the second caller', 15_000)).json.reply, 're: waits');
  });

  test('run on A, A killed, the next message runs elsewhere with A\'s turns in its model call; chat.history the same on B and C; a reset through C', async () => {
    const session = uniq('history');
    assert.deepEqual(await turn(gw.a, session, 'one'), ['user: one']);
    assert.deepEqual(await turn(gw.a, session, 'two'), ['user: one', 'assistant: re: one', 'user: two']);
    gw.a.proc.kill('SIGKILL');
    await gw.a.proc.exit(10_000).catch(() => {});
    // A's lease expires within the TTL; the message waits in the inbox until another instance takes the session
    const third = await turn(gw.b, session, 'three');
    assert.deepEqual(third, ['user: one', 'assistant: re: one', 'user: two', 'assistant: re: two', 'user: three'], 'the new owner\'s model saw A\'s turns');

    const [onB, onC] = [await adminClient(gw.b.url, 'history-b'), await adminClient(gw.c.url, 'history-c')];
    clients.push(onB, onC);
    const all = ['user: one', 'assistant: re: one', 'user: two', 'assistant: re: two', 'user: three', 'assistant: re: three'];
    const fromC = await onC.request('chat.history', { sessionKey: session });
    assert.deepEqual(turnsShown(fromC), all);
    assert.deepEqual(fromC.messages.map((m: any) => m.__openclaw.seq), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([fromC.totalMessages, fromC.hasMore, fromC.pendingInputs.total, fromC.inFlightRun], [6, false, 0, undefined]);
    assert.deepEqual(await onB.request('chat.history', { sessionKey: session }), fromC, 'the same answer on B');
    const page = await onC.request('chat.history', { sessionKey: session, limit: 2, offset: 1 });
    assert.deepEqual([turnsShown(page), page.hasMore], [['assistant: re: two', 'user: three'], true]);

    // a reset through C (whichever instance owns the session now): the model's next history starts after it
    const reset = await onC.request('sessions.reset', { key: session });
    assert.equal(reset.ok, true);
    assert.equal(typeof reset.resetAt, 'number');
    assert.deepEqual(await turn(gw.c, session, 'four'), ['user: four'], 'the model sees nothing before the reset');
    const afterReset = await onB.request('chat.history', { sessionKey: session });
    assert.deepEqual(turnsShown(afterReset), [...all, 'system', 'user: four', 'assistant: re: four'], 'nothing is deleted');
    // over HTTP too, through B; an unknown session is not found on either surface
    const httpReset = await postJson(`${gw.b.url}/v1/gateway/sessions/reset`, { session_id: session }, { headers: auth });
    assert.equal(httpReset.status, 200, JSON.stringify(httpReset.json));
    assert.equal(httpReset.json.reset, true);
    assert.equal((await postJson(`${gw.b.url}/v1/gateway/sessions/reset`, { session_id: uniq('none') }, { headers: auth })).status, 404);
    await assert.rejects(onC.request('sessions.reset', { key: uniq('none') }), (e: any) => e.gatewayCode === 'INVALID_REQUEST');
    assert.deepEqual(turnsShown(await onC.request('chat.history', { sessionKey: session })).slice(-1), ['system']);
  });
});
