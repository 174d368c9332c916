import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tool } from '../../src/agent/tools/registry.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { tracedTool } from '../helpers/traced-tool.js';
import { readSse, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { P, post, uniq } from '../helpers/http-plane.js';
import { RawSocket, TOKEN } from '../helpers/ws-client.js';

// Issue acceptance 1: `--model openai` against a fake OpenAI-compatible server. Streamed deltas on SSE and
// WS, tool turns in parallel or in order, cancel mid-stream and mid-tool, 429 then success, provider
// errors as run errors with the session still usable. Overlap is proven by event order, never by time.

/** Test tools that record `start:<name>` / `end:<name>` in one shared trace, finishing a few ticks later. */
function tracedTools(trace: string[]): Tool[] {
  return ['probe.a', 'probe.b'].map((name) => tracedTool(name, trace, {
    description: `records ${name}`, parameters: { type: 'object', properties: { n: { type: 'integer' } } },
    result: (args) => ({ tool: name, n: args.n }),
  }));
}

/** A tool that waits on its signal; `started` resolves when it runs, `aborted` records that it was told to stop. */
function waitingTool() {
  let markStarted!: () => void;
  const state = { started: new Promise<void>((r) => { markStarted = r; }), aborted: false };
  const tool: Tool = {
    name: 'wait.signal', description: 'waits until cancelled', parameters: { type: 'object' },
    run: (_args, { signal }) => new Promise((_, reject) => {
      markStarted();
      signal.addEventListener('abort', () => { state.aborted = true; reject(signal.reason); }, { once: true });
    }),
  };
  return { tool, state };
}

const twoToolTurn = {
  text: ['checking '],
  toolCalls: [{ id: 'call_a', name: 'probe_a', arguments: '{"n":1}' }, { id: 'call_b', name: 'probe_b', arguments: '{"n":2}' }],
};

async function streamMessage(tg: TestGateway, body: Record<string, unknown>) {
  const headers: Record<string, string> = tg.config.token ? { authorization: `Bearer ${tg.config.token}` } : {};
  const res = await fetch(`${tg.url}${P}/messages:stream`, { method: 'POST', headers, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return (await readSse(res)).events;
}

describe('--model openai on one gateway (in-order tools)', () => {
  let fake: FakeOpenAI;
  let tg: TestGateway;
  const trace: string[] = [];
  const waiting = waitingTool();

  before(async () => {
    fake = await startFakeOpenAI();
    tg = await startTestGateway(
      { model: 'openai', openaiBaseUrl: fake.url, openaiModel: 'fake-model', token: TOKEN },
      { tools: [...tracedTools(trace), waiting.tool] },
    );
  });
  after(async () => {
    await tg?.close();
    await fake?.close();
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const send = (path: string, body: unknown) => fetch(`${tg.url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) })
    .then(async (r) => ({ status: r.status, json: await r.json() as any }));

  test('streamed deltas reach SSE as message.delta; the request streams with usage, system prompt and user text', async () => {
    const from = fake.requests.length;
    fake.enqueue({ text: ['Hel', 'lo ', 'world'], usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const res = await fetch(`${tg.url}${P}/messages:stream`, {
      method: 'POST', headers: auth, body: JSON.stringify({ from: uniq('sse'), text: 'hi there', request_system_prompt: 'be brief' }),
    });
    const { events } = await readSse(res);
    assert.deepEqual(events.filter((e) => e.event === 'message.delta').map((e) => e.data.delta), ['Hel', 'lo ', 'world']);
    const done = events.find((e) => e.event === 'message.completed')!;
    assert.equal(done.data.reply, 'Hello world');
    assert.deepEqual(done.data.usage, { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    const body = fake.requests[from].body;
    assert.equal(body.model, 'fake-model');
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.deepEqual(body.messages[0], { role: 'system', content: 'be brief' });
    assert.deepEqual(body.messages.at(-1), { role: 'user', content: 'hi there' });
  });

  test('WS: deltas as agent assistant / chat delta; tool events only to a tool-events socket', async () => {
    const withCap = await RawSocket.connect(tg.url, { token: TOKEN, caps: ['tool-events'] }, 'tool-cap');
    const without = await RawSocket.connect(tg.url, { token: TOKEN }, 'no-cap');
    try {
      fake.enqueue({ toolCalls: [{ id: 'call_ws', name: 'probe_a', arguments: '{"n":3}' }] }, { text: ['It ', 'is ', 'done'] });
      const runId = uniq('ws-run');
      const ack = await withCap.request('chat.send', { sessionKey: `agent:main:${uniq('ws')}`, message: 'use the probe', idempotencyKey: runId });
      assert.equal(ack.ok, true, JSON.stringify(ack.error));
      await withCap.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
      await without.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
      const mine = (s: RawSocket, stream: string) => s.log.events('agent').filter((f) => f.payload.runId === runId && f.payload.stream === stream).map((f) => f.payload.data);
      assert.deepEqual(mine(withCap, 'assistant').map((d) => d.delta), ['It ', 'is ', 'done']);
      // chat deltas are coalesced (one per 150 ms): together they carry the same text, the last one all of it
      const chatDeltas = withCap.log.events('chat').filter((f) => f.payload.runId === runId && f.payload.state === 'delta').map((f) => f.payload);
      assert.equal(chatDeltas.map((p) => p.deltaText).join(''), 'It is done');
      assert.deepEqual(chatDeltas.at(-1).message.content, [{ type: 'text', text: 'It is done' }]);
      assert.deepEqual(mine(withCap, 'tool').map((d) => [d.phase, d.name, d.toolCallId]), [['start', 'probe.a', 'call_ws'], ['result', 'probe.a', 'call_ws']]);
      assert.deepEqual(mine(without, 'tool'), [], 'no tool stream without the cap');
      assert.equal(mine(without, 'assistant').length, 3);
      withCap.log.assertPublished(); // tool events included: every frame matches the published schema
      without.log.assertPublished();
      withCap.log.assertSeq(); // frame seq stays gap-free per socket, with or without the tool stream
      without.log.assertSeq();
    } finally {
      await withCap.close();
      await without.close();
    }
  });

  test('WS: a preamble dropped at a tool call ends its assistant item; the answer is a new item, its chat delta a replace', async () => {
    const s = await RawSocket.connect(tg.url, { token: TOKEN }, 'preamble');
    try {
      fake.enqueue({ text: ['Let me ', 'check. '], toolCalls: [{ id: 'call_pre', name: 'probe_a', arguments: '{"n":4}' }] }, { text: ['It ', 'is ', 'done'] });
      const runId = uniq('ws-pre');
      const ack = await s.request('chat.send', { sessionKey: `agent:main:${uniq('ws')}`, message: 'check first', idempotencyKey: runId });
      assert.equal(ack.ok, true, JSON.stringify(ack.error));
      const final = await s.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
      assert.deepEqual(final.payload.message.content, [{ type: 'text', text: 'It is done' }]);
      const assistant = s.log.events('agent').filter((f) => f.payload.runId === runId && f.payload.stream === 'assistant').map((f) => f.payload.data);
      assert.deepEqual(assistant.map((d) => [d.itemId, d.delta]), [
        [`${runId}:assistant:1`, 'Let me '], [`${runId}:assistant:1`, 'check. '],
        [`${runId}:assistant:2`, 'It '], [`${runId}:assistant:2`, 'is '], [`${runId}:assistant:2`, 'done'],
      ]);
      // the preamble's chat deltas, then the answer's: its first one replaces the text so far
      const deltas = s.log.events('chat').filter((f) => f.payload.runId === runId && f.payload.state === 'delta').map((f) => f.payload);
      const restart = deltas.findIndex((p) => p.replace === true);
      assert.equal(deltas.slice(0, restart).map((p) => p.deltaText).join(''), 'Let me check. ');
      assert.equal(deltas.slice(restart).map((p) => p.deltaText).join(''), 'It is done');
      assert.deepEqual(deltas.at(-1).message.content, [{ type: 'text', text: 'It is done' }]);
      s.log.assertPublished();
    } finally {
      await s.close();
    }
  });

  test('a two-tool turn runs in order without --enable-parallel-tools; SSE shows running_tool then summarizing', async () => {
    trace.length = 0;
    const from = fake.requests.length;
    fake.enqueue(twoToolTurn, { text: ['both done'] });
    const events = await streamMessage(tg, { from: uniq('seq'), text: 'probe twice' });
    assert.deepEqual(trace, ['start:probe.a', 'end:probe.a', 'start:probe.b', 'end:probe.b']);
    const progress = events.filter((e) => e.event === 'run.progress' && e.data.stage !== 'preparing').map((e) => e.data);
    assert.deepEqual(progress.map((p) => [p.stage, p.tool_name, p.tool_call_id, p.tool_status]), [
      ['running_tool', 'probe.a', 'call_a', 'running'], ['summarizing', 'probe.a', 'call_a', 'completed'],
      ['running_tool', 'probe.b', 'call_b', 'running'], ['summarizing', 'probe.b', 'call_b', 'completed'],
    ]);
    assert.equal(progress[1].summary, 'Preparing final answer');
    // the preamble sent with the tool calls is not part of the answer
    assert.equal(events.find((e) => e.event === 'message.completed')!.data.reply, 'both done');
    // the tool results went back to the model, in the model's order, after its tool-call message
    const second = fake.requests[from + 1].body.messages;
    const assistant = second.at(-3);
    assert.deepEqual(assistant.tool_calls.map((c: any) => [c.id, c.function.name, c.function.arguments]), [['call_a', 'probe_a', '{"n":1}'], ['call_b', 'probe_b', '{"n":2}']]);
    assert.deepEqual(second.slice(-2).map((m: any) => [m.role, m.tool_call_id, JSON.parse(m.content)]), [
      ['tool', 'call_a', { tool: 'probe.a', n: 1 }], ['tool', 'call_b', { tool: 'probe.b', n: 2 }],
    ]);
    assert.deepEqual(fake.requests[from].body.tools.map((t: any) => t.function.name).sort(), ['probe_a', 'probe_b', 'wait_signal']);
  });

  test('cancel mid-stream: /cancel → canceled; the fake sees the request aborted and no further request', async () => {
    const from = fake.requests.length;
    fake.enqueue({ text: ['partial '], hang: true });
    const id = uniq('cancel-stream');
    const answer = send(`${P}/messages`, { from: uniq('cs'), text: 'go', request_id: id });
    await fake.waitForRequests(from + 1); // the model stream is open (and then hangs)
    assert.deepEqual((await send(`${P}/cancel`, { request_id: id })).json, { canceled: true });
    const res = await answer;
    assert.equal(res.status, 200);
    assert.equal(res.json.canceled, true);
    await fake.waitForAbort(from);
    assert.equal(fake.requests.length, from + 1);
  });

  test('cancel mid-tool: the tool gets the abort, the run is cancelled, the model is not asked again', async () => {
    const from = fake.requests.length;
    fake.enqueue({ toolCalls: [{ id: 'call_w', name: 'wait_signal', arguments: '{}' }] });
    const session = uniq('ct');
    const id = uniq('cancel-tool');
    const answer = send(`${P}/messages`, { from: session, text: 'wait', request_id: id });
    await waiting.state.started;
    assert.deepEqual((await send(`${P}/cancel`, { request_id: id })).json, { canceled: true });
    assert.equal((await answer).json.canceled, true);
    assert.equal(waiting.state.aborted, true);
    // the next message of the session is the next model call: nothing was sent for the aborted tool turn
    fake.enqueue({ text: ['fresh'] });
    const next = await send(`${P}/messages`, { from: session, text: 'again' });
    assert.equal(next.json.reply, 'fresh');
    assert.equal(fake.requests.length, from + 2);
    assert.ok(!fake.requests[from + 1].body.messages.some((m: any) => m.role === 'tool'), 'no tool result was fed back');
    assert.deepEqual(fake.requests[from + 1].body.messages.at(-1), { role: 'user', content: 'again' });
  });

  test('429 with retry-after, then success: one answer, two model requests', async () => {
    const from = fake.requests.length;
    fake.enqueue({ status: 429, headers: { 'retry-after': '0' } }, { text: ['after the limit'] });
    const res = await send(`${P}/messages`, { from: uniq('rl'), text: 'x' });
    assert.equal(res.status, 200);
    assert.equal(res.json.reply, 'after the limit');
    assert.equal(fake.requests.length, from + 2);
  });

  test('429 asking to wait beyond the retry budget fails at once as rate_limited', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '3600' } });
    const events = await streamMessage(tg, { from: uniq('rl2'), text: 'x' });
    const err = events.find((e) => e.event === 'run.error')!;
    assert.equal(err.data.error.type, 'rate_limited');
    assert.match(err.data.error.message, /429/);
  });

  test('a malformed stream → run.error stream_error (and 500 on /messages); the session still runs the next message', async () => {
    const session = uniq('mal');
    fake.enqueue({ text: ['half '], malformed: true });
    const events = await streamMessage(tg, { from: session, text: 'one' });
    const err = events.find((e) => e.event === 'run.error')!;
    assert.equal(err.data.error.type, 'stream_error');
    assert.equal(events.at(-1)!.event, 'run.error');
    fake.enqueue({ malformed: '{"oops"' });
    const failed = await send(`${P}/messages`, { from: session, text: 'two' });
    assert.equal(failed.status, 500);
    assert.match(failed.json.error.message, /malformed/);
    fake.enqueue({ text: ['still ', 'here'] });
    const ok = await send(`${P}/messages`, { from: session, text: 'three' });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.reply, 'still here');
  });

  test('401 → unauthorized, 503 → upstream_error', async () => {
    fake.enqueue({ status: 401 }, { status: 503 });
    const a = (await streamMessage(tg, { from: uniq('e401'), text: 'x' })).find((e) => e.event === 'run.error')!;
    assert.equal(a.data.error.type, 'unauthorized');
    assert.match(a.data.error.message, /OPENAI_API_KEY/);
    const b = (await streamMessage(tg, { from: uniq('e503'), text: 'x' })).find((e) => e.event === 'run.error')!;
    assert.equal(b.data.error.type, 'upstream_error');
    assert.match(b.data.error.message, /503/);
  });
});

describe('--model openai with --enable-parallel-tools', () => {
  let fake: FakeOpenAI;
  let tg: TestGateway;
  const trace: string[] = [];
  before(async () => {
    fake = await startFakeOpenAI();
    tg = await startTestGateway({ model: 'openai', openaiBaseUrl: fake.url, enableParallelTools: true }, { tools: tracedTools(trace) });
  });
  after(async () => {
    await tg?.close();
    await fake?.close();
  });

  test('the two calls of one turn overlap: both start before either ends; results still go back in model order', async () => {
    fake.enqueue(twoToolTurn, { text: ['parallel done'] });
    const events = await streamMessage(tg, { from: uniq('par'), text: 'probe twice' });
    assert.deepEqual(trace.slice(0, 2), ['start:probe.a', 'start:probe.b']);
    assert.deepEqual(trace.slice(2).sort(), ['end:probe.a', 'end:probe.b']);
    const statuses = events.filter((e) => e.event === 'run.progress' && e.data.tool_status).map((e) => e.data.tool_status);
    assert.deepEqual(statuses, ['running', 'running', 'completed', 'completed']);
    assert.equal(events.find((e) => e.event === 'message.completed')!.data.reply, 'parallel done');
    assert.deepEqual(fake.requests[1].body.messages.slice(-2).map((m: any) => m.tool_call_id), ['call_a', 'call_b']);
  });
});

describe('--model openai timeouts', () => {
  let fake: FakeOpenAI;
  let tg: TestGateway;
  before(async () => {
    fake = await startFakeOpenAI();
    tg = await startTestGateway({ model: 'openai', openaiBaseUrl: fake.url, openaiTimeoutMs: 200 });
  });
  after(async () => {
    await tg?.close();
    await fake?.close();
  });

  test('a stream that stalls → run error `timeout`, the request is dropped, the session still usable', async () => {
    const session = uniq('stall');
    fake.enqueue({ text: ['slow '], hang: true });
    const err = (await streamMessage(tg, { from: session, text: 'x' })).find((e) => e.event === 'run.error')!;
    assert.equal(err.data.error.type, 'timeout');
    await fake.waitForAbort(0);
    fake.enqueue({ text: ['back'] });
    const ok = await post(tg.url, `${P}/messages`, { from: session, text: 'y' });
    assert.equal(ok.json.reply, 'back');
  });
});

describe('--model openai with the built-in tools enabled', () => {
  let fake: FakeOpenAI;
  let tg: TestGateway;
  before(async () => {
    fake = await startFakeOpenAI();
    tg = await startTestGateway({ model: 'openai', openaiBaseUrl: fake.url, tools: ['time.now', 'nodes.invoke'] });
  });
  after(async () => {
    await tg?.close();
    await fake?.close();
  });

  test('time.now and nodes.invoke are offered; nodes.invoke reaches the live node registry (an unknown node → error result)', async () => {
    fake.enqueue({
      toolCalls: [
        { id: 'call_t', name: 'time_now', arguments: '{}' },
        { id: 'call_n', name: 'nodes_invoke', arguments: '{"nodeId":"no-such-node","command":"location.get"}' },
      ],
    }, { text: ['ok'] });
    const res = await post(tg.url, `${P}/messages`, { from: uniq('builtin'), text: 'where and when?' });
    assert.equal(res.json.reply, 'ok');
    assert.deepEqual(fake.requests[0].body.tools.map((t: any) => t.function.name), ['time_now', 'nodes_invoke']);
    const [time, node] = fake.requests[1].body.messages.slice(-2).map((m: any) => JSON.parse(m.content));
    assert.match(time.iso, /^\d{4}-\d{2}-\d{2}T/);
    // the registry's own answer for a node it never paired (not "nodes are not available yet")
    assert.equal(node.error, 'UNAVAILABLE: node pairing changed while invocation was active');
  });
});
