import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentLoop } from '../../src/agent/agent-loop.js';
import type { ChatMessage, ChatModel, TurnResult } from '../../src/agent/chat-model.js';
import { buildMessages } from '../../src/agent/messages.js';
import { retryAfterMs } from '../../src/agent/openai.js';
import type { RunEvent, RunInput } from '../../src/core/run.js';
import { createNodesInvokeTool } from '../../src/agent/tools/nodes-invoke.js';
import { ToolRegistry, selectTools, wireName, type Tool } from '../../src/agent/tools/registry.js';
import { createTimeNowTool } from '../../src/agent/tools/time-now.js';
import { tracedTool } from '../helpers/traced-tool.js';

// The agent loop against a scripted model (no HTTP): tool calls executed and fed back, parallel vs in
// order, failures reported to the model, the step limit, cancellation; the registry and built-in tools.

interface ScriptedTurn {
  text?: string;
  calls?: { id: string; name: string; arguments: string }[];
}

/** A model that plays `turns` in order and records the messages and tool names of every request. */
function scriptedModel(turns: ScriptedTurn[]) {
  const requests: { messages: ChatMessage[]; tools: string[] }[] = [];
  const model: ChatModel = {
    async *turn(req, signal): AsyncGenerator<RunEvent, TurnResult, void> {
      signal.throwIfAborted();
      requests.push({ messages: structuredClone(req.messages), tools: req.tools.map((t) => t.function.name) });
      const t = turns[requests.length - 1] ?? { text: 'done' };
      if (t.text) yield { type: 'delta', text: t.text };
      return { text: t.text ?? '', toolCalls: t.calls ?? [] };
    },
  };
  return { model, requests };
}

const input = (text = 'hi'): RunInput => ({ runId: 'r1', sessionKey: 's1', text, parts: [] });

async function collect(it: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const twoCalls: ScriptedTurn = {
  text: 'let me check',
  calls: [{ id: 'c1', name: 'a_one', arguments: '{"x":1}' }, { id: 'c2', name: 'b_two', arguments: '{"y":2}' }],
};

describe('agent loop', () => {
  test('tool calls are executed and fed back, in the model order, until the model answers', async () => {
    const trace: string[] = [];
    const { model, requests } = scriptedModel([twoCalls, { text: 'the answer' }]);
    const tools = new ToolRegistry([tracedTool('a.one', trace), tracedTool('b.two', trace)]);
    const events = await collect(createAgentLoop({ model, tools }).run({ ...input(), systemPrompt: 'be brief', history: [{ role: 'user', content: 'earlier' }, { role: 'assistant', content: 'reply' }] }, new AbortController().signal));
    assert.equal(requests.length, 2);
    assert.deepEqual(requests[0].tools, ['a_one', 'b_two'], 'dotted names go out as wire names');
    assert.deepEqual(requests[0].messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
    const fedBack = requests[1].messages.slice(4);
    assert.equal(fedBack[0].role, 'assistant');
    assert.deepEqual((fedBack[0] as any).tool_calls.map((c: any) => c.id), ['c1', 'c2']);
    assert.deepEqual(fedBack.slice(1).map((m: any) => [m.role, m.tool_call_id, JSON.parse(m.content).name]), [['tool', 'c1', 'a.one'], ['tool', 'c2', 'b.two']]);
    assert.deepEqual(JSON.parse((fedBack[1] as any).content).args, { x: 1 });
    assert.deepEqual(events.map((e) => (e.type === 'tool' ? `${e.phase}:${e.name}` : e.type === 'delta' ? `delta:${e.text}` : e.type)),
      ['delta:let me check', 'start:a.one', 'result:a.one', 'start:b.two', 'result:b.two', 'delta:the answer']);
    assert.deepEqual(trace, ['start:a.one', 'end:a.one', 'start:b.two', 'end:b.two'], 'in order without parallel tools');
  });

  test('parallel tools: every call of the turn starts before any ends', async () => {
    const trace: string[] = [];
    const { model } = scriptedModel([twoCalls, { text: 'ok' }]);
    const tools = new ToolRegistry([tracedTool('a.one', trace), tracedTool('b.two', trace)]);
    const events = await collect(createAgentLoop({ model, tools, parallelTools: true }).run(input(), new AbortController().signal));
    assert.deepEqual(trace.slice(0, 2).sort(), ['start:a.one', 'start:b.two']);
    assert.deepEqual(trace.slice(2).sort(), ['end:a.one', 'end:b.two']);
    const toolEvents = events.filter((e) => e.type === 'tool').map((e) => (e as any).phase);
    assert.deepEqual(toolEvents, ['start', 'start', 'result', 'result']);
  });

  test('unknown tools, bad arguments and throwing tools are reported to the model, not fatal', async () => {
    const { model, requests } = scriptedModel([{
      calls: [
        { id: 'u', name: 'nope', arguments: '{}' },
        { id: 'j', name: 'boom', arguments: '{not json' },
        { id: 'b', name: 'boom', arguments: '{}' },
      ],
    }, { text: 'recovered' }]);
    const boom: Tool = { name: 'boom', description: 'fails', parameters: { type: 'object' }, run: async () => { throw new Error('kaboom'); } };
    const events = await collect(createAgentLoop({ model, tools: new ToolRegistry([boom]) }).run(input(), new AbortController().signal));
    const results = requests[1].messages.filter((m) => m.role === 'tool').map((m: any) => JSON.parse(m.content).error);
    assert.deepEqual(results, ['unknown tool "nope"', 'arguments are not valid JSON', 'kaboom']);
    assert.ok(events.filter((e) => e.type === 'tool' && e.phase === 'result').every((e) => (e as any).isError === true));
    assert.deepEqual(events.at(-1), { type: 'delta', text: 'recovered' });
  });

  test('after maxToolSteps rounds the model is asked once more with no tools, and the loop ends', async () => {
    const always = { calls: [{ id: 'c', name: 'a_one', arguments: '{}' }] };
    const { model, requests } = scriptedModel([always, always, always, always]);
    const trace: string[] = [];
    await collect(createAgentLoop({ model, tools: new ToolRegistry([tracedTool('a.one', trace)]), maxToolSteps: 2 }).run(input(), new AbortController().signal));
    assert.equal(requests.length, 3);
    assert.deepEqual(requests.map((r) => r.tools.length), [1, 1, 0]);
    assert.equal(trace.filter((t) => t.startsWith('end')).length, 2);
  });

  test('cancel mid-tool: the tool sees its signal abort and the model is not called again', async () => {
    const { model, requests } = scriptedModel([{ calls: [{ id: 'w', name: 'wait', arguments: '{}' }] }]);
    const ac = new AbortController();
    let toolSawAbort = false;
    const wait: Tool = {
      name: 'wait', description: 'waits for its signal', parameters: { type: 'object' },
      run: (_args, { signal }) => new Promise((_, reject) => {
        signal.addEventListener('abort', () => { toolSawAbort = true; reject(signal.reason); }, { once: true });
        ac.abort(); // cancelled while the tool runs
      }),
    };
    await assert.rejects(collect(createAgentLoop({ model, tools: new ToolRegistry([wait]) }).run(input(), ac.signal)), { name: 'AbortError' });
    assert.equal(toolSawAbort, true);
    assert.equal(requests.length, 1);
  });

  test('a tool that ignores its signal is abandoned on cancel (the loop does not wait for it)', async () => {
    const { model, requests } = scriptedModel([{ calls: [{ id: 'd', name: 'deaf', arguments: '{}' }] }]);
    const ac = new AbortController();
    const deaf: Tool = { name: 'deaf', description: 'never settles', parameters: { type: 'object' }, run: () => { queueMicrotask(() => ac.abort()); return new Promise(() => {}); } };
    await assert.rejects(collect(createAgentLoop({ model, tools: new ToolRegistry([deaf]), parallelTools: true }).run(input(), ac.signal)), { name: 'AbortError' });
    assert.equal(requests.length, 1);
  });
});

describe('messages of the first request', () => {
  test('system, history, late context next to the latest turn, then text with image parts', () => {
    const messages = buildMessages({
      runId: 'r', sessionKey: 's', text: 'what is this?', systemPrompt: 'sys', lateContext: 'late',
      history: [{ role: 'user', content: 'u1' }, { role: 'assistant', content: 'a1' }],
      parts: [
        { type: 'image', url: 'https://example.com/cat.png', detail: 'low' },
        { type: 'image', data: new Uint8Array([1, 2, 3]), format: 'jpeg', detail: 'whatever' },
      ],
    });
    assert.deepEqual(messages.slice(0, 4), [
      { role: 'system', content: 'sys' }, { role: 'user', content: 'u1' }, { role: 'assistant', content: 'a1' }, { role: 'user', content: 'late' },
    ]);
    assert.deepEqual(messages[4], {
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AQID' } },
      ],
    });
    assert.deepEqual(buildMessages({ runId: 'r', sessionKey: 's', text: 'plain', parts: [] }), [{ role: 'user', content: 'plain' }]);
  });
});

describe('tool registry and built-in tools', () => {
  test('wire names, clashes, unknown enabled names', () => {
    assert.equal(wireName('nodes.invoke'), 'nodes_invoke');
    const t = (name: string): Tool => ({ name, description: '', parameters: {}, run: async () => null });
    assert.throws(() => new ToolRegistry([t('a.b'), t('a_b')]), /clashes/);
    assert.throws(() => new ToolRegistry([t('has space')]), /invalid tool name/);
    const reg = new ToolRegistry([t('time.now')]);
    assert.equal(reg.resolve('time_now')?.name, 'time.now');
    assert.equal(reg.resolve('time.now'), undefined, 'only wire names resolve');
    assert.throws(() => selectTools(['time.now', 'rm.rf'], [t('time.now')]), /unknown tool "rm.rf"/);
    assert.deepEqual(selectTools([], [t('time.now')]), []);
  });

  test('time.now answers the injected clock, in a time zone; an unknown zone fails', async () => {
    const tool = createTimeNowTool(() => Date.UTC(2026, 0, 2, 3, 4, 5));
    const ctx = { signal: new AbortController().signal, sessionKey: 's', runId: 'r' };
    const out = await tool.run({ timezone: 'Asia/Tokyo' }, ctx) as any;
    assert.equal(out.iso, '2026-01-02T03:04:05.000Z');
    assert.equal(out.timezone, 'Asia/Tokyo');
    assert.match(out.local, /12:04:05/);
    await assert.rejects(tool.run({ timezone: 'Mars/Olympus' }, ctx), /unknown time zone/);
  });

  test('nodes.invoke passes node, command, params and a bounded timeout to the injected function', async () => {
    const calls: unknown[][] = [];
    const tool = createNodesInvokeTool(async (...args) => { calls.push(args); return { ok: 1 }; });
    const ctx = { signal: new AbortController().signal, sessionKey: 's', runId: 'r' };
    assert.deepEqual(await tool.run({ nodeId: ' n1 ', command: 'location.get' }, ctx), { ok: 1 });
    await tool.run({ nodeId: 'n1', command: 'camera.snap', params: { q: 1 }, timeoutMs: 10_000_000 }, ctx);
    assert.deepEqual(calls, [['n1', 'location.get', {}, 30_000], ['n1', 'camera.snap', { q: 1 }, 120_000]]);
    await assert.rejects(tool.run({ nodeId: '', command: 'x' }, ctx), /required/);
  });

  test('retry-after: milliseconds header, seconds, HTTP date, garbage', () => {
    assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '250' })), 250);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '2' })), 2000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000), 6_000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' })), undefined);
    assert.equal(retryAfterMs(new Headers()), undefined);
  });
});
