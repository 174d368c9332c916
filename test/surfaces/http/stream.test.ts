import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/config.js';
import { createMockRunner } from '../../../src/agent/mock.js';
import { RunError, type Runner } from '../../../src/core/run.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import {
  assertErrorBody, countingRunner, inState, openStream, P, pollStatus, post, RawExchange, recordBus, status, uniq,
  UUID_V4, type JsonAnswer,
} from '../../helpers/http-plane.js';

// http-gateway.md §8 and §13 items 54–66: the SSE stream of `POST P/messages:stream`, read byte for byte from
// a real gateway on an ephemeral port. Order and state only, never durations.

const FALLBACK = "I didn't produce a visible reply. Please try again.";
const STREAM = `${P}/messages:stream`;

let gA: TestGateway; // A: mock without delay, model calls counted
let callsA: string[];
let gD: TestGateway; // D: mock with --mock-delay-ms 200
let gE: TestGateway; // E: a scripted model (fails mid-stream, replies nothing, …)
let gK: TestGateway; // keepalive: --sse-keepalive-ms 100 with a long mock delay

/** Setup E: the reply depends on the text. */
const scripted: Runner = {
  async *run(input, signal) {
    switch (input.text) {
      case 'boom':
        yield { type: 'delta', text: 'partial ' };
        throw new RunError('upstream broke', 'stream_error');
      case 'plain':
        yield { type: 'delta', text: 'partial ' };
        throw new Error('plain failure');
      case 'empty':
        return;
      case 'blank':
        yield { type: 'delta', text: '  \n ' };
        return;
      case 'padded':
        yield { type: 'delta', text: '  padded ' };
        yield { type: 'delta', text: 'reply \n' };
        return;
      default:
        yield* createMockRunner().run(input, signal);
    }
  },
};

before(async () => {
  const a = countingRunner(createMockRunner());
  callsA = a.calls;
  gA = await startTestGateway({}, { runner: a.runner });
  gD = await startTestGateway({ mockDelayMs: 200 });
  gE = await startTestGateway({}, { runner: scripted });
  gK = await startTestGateway({ mockDelayMs: 5_000, sseKeepaliveMs: 100 });
});

after(async () => {
  for (const g of [gA, gD, gE, gK]) await g?.close();
});

/** Every event of an admitted run carries the run's ids. */
function assertIds(x: RawExchange, session: string, id: string): void {
  for (const e of x.events) {
    assert.equal(e.data.type, e.event, `data.type of ${e.event}`);
    assert.equal(e.data.request_id, id, `request_id on ${e.event}`);
    assert.equal(e.data.session_id, session, `session_id on ${e.event}`);
  }
}

/** The whole body is SSE blocks (events and comments), nothing else. */
function assertWireFormat(x: RawExchange): void {
  assert.deepEqual(x.items.filter((i) => i.kind === 'bad'), [], 'every block is `event: <type>\\ndata: <json>` or a comment');
  assert.equal(x.items.map((i) => i.raw).join(''), x.raw, 'the body is exactly the blocks, each ending in a blank line');
  assert.doesNotMatch(x.raw, /^(id|retry):/m, 'no id: or retry: lines');
}

test('54. stream {"from":"alice","text":"Hello"} → SSE headers, the five events in order, exact wire format, then the end', async () => {
  const x = await openStream(gA.url, { from: 'alice', text: 'Hello' });
  assert.equal(x.headers['cache-control'], 'no-cache');
  assert.equal(x.headers.connection, 'keep-alive');
  assert.equal(x.headers['access-control-allow-origin'], undefined);
  await x.waitEnd();

  assert.deepEqual(x.eventNames, ['run.started', 'run.progress', 'message.delta', 'message.completed', 'run.completed']);
  assert.deepEqual(x.comments, []);
  assertWireFormat(x);
  const [started, progress, delta, completed, done] = x.events.map((e) => e.data);
  const id = started.request_id;
  assert.match(id, UUID_V4);
  const ids = { session_id: 'http:dm:alice', request_id: id };
  assert.deepEqual(started, { type: 'run.started', ...ids });
  const { elapsed_ms, ...progressRest } = progress;
  assert.deepEqual(progressRest, { type: 'run.progress', ...ids, stage: 'preparing', summary: 'Preparing request' });
  assert.ok(elapsed_ms === undefined || (Number.isInteger(elapsed_ms) && elapsed_ms > 0), 'elapsed_ms omitted if 0');
  assert.deepEqual(delta, { type: 'message.delta', ...ids, delta: 'Echo: Hello' });
  assert.deepEqual(completed, { type: 'message.completed', ...ids, reply: 'Echo: Hello' });
  assert.deepEqual(done, { type: 'run.completed', ...ids });
  // compact JSON on the wire, `type` first
  assert.ok(x.raw.startsWith(`event: run.started\ndata: {"type":"run.started",`), x.raw);
  assert.ok(x.raw.endsWith(`event: run.completed\ndata: ${JSON.stringify(done)}\n\n`));
  assert.doesNotMatch(x.raw, /data: .*": /, 'compact JSON');

  // the run is known to status with the same ids
  const s = await status(gA.url, id);
  assert.equal(s.json.state, 'completed');
  assert.equal(s.json.session_id, 'http:dm:alice');
});

test('54b. message.completed.reply is the trimmed final text while /messages keeps it untrimmed (§8.1, §10)', async () => {
  const from = uniq('alice');
  const m = await post(gE.url, `${P}/messages`, { from, text: 'padded' });
  assert.equal(m.json.reply, '  padded reply \n');
  const x = await openStream(gE.url, { from, text: 'padded' });
  await x.waitEnd();
  assert.deepEqual(x.events.filter((e) => e.event === 'message.delta').map((e) => e.data.delta), ['  padded ', 'reply \n']);
  assert.equal(x.events.find((e) => e.event === 'message.completed')!.data.reply, 'padded reply');

  // the mock with only a content part: delta "Echo: ", completed "Echo:"
  const y = await openStream(gA.url, { from, content_parts: [{ type: 'image', image: { url: 'https://example.com/a.png' } }] });
  await y.waitEnd();
  assert.deepEqual(y.events.filter((e) => e.event === 'message.delta').map((e) => e.data.delta), ['Echo: ']);
  assert.equal(y.events.find((e) => e.event === 'message.completed')!.data.reply, 'Echo:');
});

test('55. stream with request_id "s1" → every event carries request_id "s1" (and the session id)', async () => {
  const id = uniq('s1');
  const from = uniq('alice');
  const x = await openStream(gA.url, { from, text: 'Hi', request_id: id });
  await x.waitEnd();
  assert.deepEqual(x.eventNames, ['run.started', 'run.progress', 'message.delta', 'message.completed', 'run.completed']);
  assertIds(x, `http:dm:${from}`, id);

  // the literal id of the checklist, on a fresh gateway so it cannot collide with another test
  const g = await startTestGateway();
  try {
    const y = await openStream(g.url, { from: 'alice', text: 'Hi', request_id: 's1' });
    await y.waitEnd();
    assert.equal(y.events.length, 5);
    assertIds(y, 'http:dm:alice', 's1');
  } finally {
    await g.close();
  }
});

async function rawJson(x: RawExchange): Promise<JsonAnswer> {
  const json = await x.json();
  return { status: x.statusCode, headers: new Headers({ 'content-type': String(x.headers['content-type']) }), json };
}

test('56. stream validation failures → plain JSON errors with the same status as /messages, not SSE', async () => {
  const g = await startTestGateway({ maxBodyBytes: 64 });
  try {
    const cases: Array<{ body: unknown; status: number; type: string; message: string | RegExp }> = [
      { body: { text: 'x' }, status: 400, type: 'invalid_request', message: 'missing user_id or from' },
      { body: '{bad', status: 400, type: 'invalid_request', message: /^decode json: / },
      { body: '', status: 400, type: 'invalid_request', message: 'decode json: EOF' },
      { body: { from: 'alice' }, status: 400, type: 'invalid_request', message: 'missing text' },
      { body: { from: 'alice', text: '   ' }, status: 400, type: 'invalid_request', message: 'missing text' },
      { body: { user_id: 'u1', text: 'x' }, status: 400, type: 'invalid_request', message: 'gateway: missing from for dm session id' },
      { body: { from: 'alice', text: 'x'.repeat(80) }, status: 413, type: 'invalid_request', message: 'request body exceeds max_body_bytes (64 bytes)' },
    ];
    for (const c of cases) {
      const viaStream = await RawExchange.open(g.url, STREAM, c.body);
      const a = await rawJson(viaStream);
      assert.notEqual(viaStream.headers['content-type'], 'text/event-stream', JSON.stringify(c.body));
      assertErrorBody(a, c.status, c.type, c.message);
      const viaMessages = await post(g.url, `${P}/messages`, c.body);
      assert.equal(viaMessages.status, a.status, `same status as /messages for ${JSON.stringify(c.body)}`);
      assert.deepEqual(viaMessages.json, a.json);
    }
  } finally {
    await g.close();
  }

  // a request_id conflict (step 10) is also plain JSON: 409
  const id = uniq('busy');
  const x = await openStream(gD.url, { from: uniq('u'), text: 'a b c d e f', request_id: id });
  await x.waitEvent('run.started');
  const dup = await RawExchange.open(gD.url, STREAM, { from: uniq('u'), text: 'x', request_id: id });
  assertErrorBody(await rawJson(dup), 409, 'conflict');
  await post(gD.url, `${P}/cancel`, { request_id: id });
  await x.waitEnd();
});

test('57. (B) stream from a non-allowlisted user → 403 JSON unauthorized', async () => {
  const g = await startTestGateway({ allowUsers: ['u1'] });
  try {
    const x = await RawExchange.open(g.url, STREAM, { from: 'u2', text: 'x' });
    const a = await rawJson(x);
    assert.deepEqual(a.json, { error: { type: 'unauthorized', message: 'user is not allowed' } });
    assertErrorBody(a, 403, 'unauthorized', 'user is not allowed');
    const ok = await openStream(g.url, { from: 'u1', text: 'x' });
    await ok.waitEnd();
    assert.equal(ok.events.at(-1)?.event, 'run.completed');
  } finally {
    await g.close();
  }
});

test('58. (C) stream in a thread without a mention → SSE run.ignored then run.completed, no ids', async () => {
  const g = await startTestGateway({ requireMention: true, mentionPatterns: ['@bot', '/agent'] });
  try {
    const x = await openStream(g.url, { from: 'a', thread: 'g', text: 'hello' });
    await x.waitEnd();
    assertWireFormat(x);
    assert.deepEqual(x.events, [
      { event: 'run.ignored', data: { type: 'run.ignored', ignored: true } },
      { event: 'run.completed', data: { type: 'run.completed' } },
    ]);
    const y = await openStream(g.url, { from: 'a', thread: 'g', text: 'hi @bot' });
    await y.waitEnd();
    assert.equal(y.events[0].event, 'run.started');
  } finally {
    await g.close();
  }
});

test('59. (D) a stream queued behind another run: headers at once, nothing but keepalive comments until run.started, which comes after the previous run ends', async () => {
  const bus = recordBus(gD.gw);
  try {
    const session = uniq('s59');
    const [r1, s2] = [uniq('r1'), uniq('s2')];
    const p1 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'a b c', request_id: r1 });
    await pollStatus(gD.url, r1, inState('running'), 'running');

    const x = await openStream(gD.url, { from: 'alice', session_id: session, text: 'x', request_id: s2 });
    // the 200 and the SSE headers arrived while the run is still waiting for the lane
    assert.equal((await status(gD.url, s2)).json.state, 'queued');
    assert.equal(x.headers['cache-control'], 'no-cache');

    await x.waitEvent('run.started');
    const before = x.items.slice(0, x.items.findIndex((i) => i.kind === 'event'));
    assert.ok(before.every((i) => i.kind === 'comment' && i.text === ': keepalive'), 'only keepalives before run.started');
    assert.equal((await status(gD.url, r1)).json.state, 'completed', 'r1 had finished when s2 started');
    assert.ok(bus.indexOf('run.completed', r1) < bus.indexOf('run.started', s2));

    await x.waitEnd();
    assert.deepEqual(x.eventNames, ['run.started', 'run.progress', 'message.delta', 'message.delta', 'message.completed', 'run.completed']);
    assertIds(x, session, s2);
    assert.equal((await p1).json.reply, 'Echo: a b c');
  } finally {
    bus.stop();
  }
});

test('60. keepalive: an idle stream (running without output, or queued) receives `: keepalive` comments; default period 15000 ms', async () => {
  assert.equal(resolveConfig({}).sseKeepaliveMs, 15_000);

  // gK: keepalive 100 ms, each mock chunk takes 5 s, so the run is idle after run.progress
  const session = uniq('s60');
  const [r1, r2] = [uniq('r1'), uniq('r2')];
  const running = await openStream(gK.url, { from: 'alice', session_id: session, text: 'k', request_id: r1 });
  await running.waitEvent('run.progress');
  const queued = await openStream(gK.url, { from: 'alice', session_id: session, text: 'q', request_id: r2 });

  const keepalivesAfterProgress = (x: RawExchange) =>
    x.items.slice(x.items.findIndex((i) => i.kind === 'event' && i.event === 'run.progress') + 1)
      .filter((i) => i.kind === 'comment').length;
  await running.waitFor((x) => keepalivesAfterProgress(x) >= 2, 'two keepalives on the idle running stream');
  await queued.waitFor((x) => x.comments.length >= 2, 'two keepalives on the queued stream');
  assert.deepEqual(queued.events, [], 'the queued stream has no event yet');
  assert.equal((await status(gK.url, r2)).json.state, 'queued');

  for (const x of [running, queued]) {
    assert.ok(x.comments.every((c) => c === ': keepalive'), `comments are exactly ": keepalive": ${JSON.stringify(x.comments)}`);
    assert.ok(x.raw.includes('\n\n: keepalive\n\n') || x.raw.startsWith(': keepalive\n\n'));
  }

  await post(gK.url, `${P}/cancel`, { request_id: r2 });
  await post(gK.url, `${P}/cancel`, { request_id: r1 });
  await Promise.all([running.waitEnd(), queued.waitEnd()]);
  assertWireFormat(running);
  assertWireFormat(queued);
  assert.deepEqual(queued.eventNames, ['run.canceled']);
  assert.deepEqual(running.eventNames, ['run.started', 'run.progress', 'run.canceled']);
});

test('61. (D) cancel a running stream → ends with run.canceled, no message.completed; cancel a queued stream → only run.canceled', async () => {
  const session = uniq('s61');
  const [r1, r2] = [uniq('r1'), uniq('r2')];
  const running = await openStream(gD.url, { from: 'alice', session_id: session, text: 'a b c d e f', request_id: r1 });
  await running.waitEvent('message.delta');
  const queued = await openStream(gD.url, { from: 'alice', session_id: session, text: 'q', request_id: r2 });
  await pollStatus(gD.url, r2, inState('queued'), 'queued');

  assert.deepEqual((await post(gD.url, `${P}/cancel`, { request_id: r2 })).json, { canceled: true });
  await queued.waitEnd();
  assertWireFormat(queued);
  assert.deepEqual(queued.events, [{ event: 'run.canceled', data: { type: 'run.canceled', session_id: session, request_id: r2 } }]);
  assert.equal(running.ended, false, 'the running stream goes on');

  assert.deepEqual((await post(gD.url, `${P}/cancel`, { request_id: r1 })).json, { canceled: true });
  await running.waitEnd();
  assertWireFormat(running);
  assertIds(running, session, r1);
  const names = running.eventNames;
  assert.deepEqual(names.slice(0, 2), ['run.started', 'run.progress']);
  assert.equal(names.at(-1), 'run.canceled');
  assert.ok(names.slice(2, -1).every((n) => n === 'message.delta'), `only deltas in between: ${names}`);
  assert.ok(!names.includes('message.completed') && !names.includes('run.completed'));
  assert.deepEqual(running.events.at(-1)!.data, { type: 'run.canceled', session_id: session, request_id: r1 });

  const s = await status(gD.url, r1);
  assert.equal(s.json.state, 'cancelled');
  assert.equal(s.json.reply, running.events.filter((e) => e.event === 'message.delta').map((e) => e.data.delta).join(''));
});

test('62. (D) text "a b c" → message.delta "Echo: ", "a ", "b ", "c" in order; message.completed "Echo: a b c"', async () => {
  const x = await openStream(gD.url, { from: uniq('alice'), text: 'a b c' });
  await x.waitEnd();
  assertWireFormat(x);
  assert.deepEqual(x.events.filter((e) => e.event === 'message.delta').map((e) => e.data.delta), ['Echo: ', 'a ', 'b ', 'c']);
  assert.deepEqual(x.eventNames, [
    'run.started', 'run.progress', 'message.delta', 'message.delta', 'message.delta', 'message.delta', 'message.completed', 'run.completed',
  ]);
  assert.equal(x.events.find((e) => e.event === 'message.completed')!.data.reply, 'Echo: a b c');
});

test('63. (E) model error mid-stream → run.error with the model error type, then the end; /messages → 500 internal_error', async () => {
  const id = uniq('e1');
  const from = uniq('alice');
  const x = await openStream(gE.url, { from, text: 'boom', request_id: id });
  await x.waitEnd();
  assertWireFormat(x);
  assert.deepEqual(x.eventNames, ['run.started', 'run.progress', 'message.delta', 'run.error']);
  assertIds(x, `http:dm:${from}`, id);
  assert.deepEqual(x.events.at(-1)!.data, {
    type: 'run.error', session_id: `http:dm:${from}`, request_id: id, error: { type: 'stream_error', message: 'upstream broke' },
  });
  const s = await status(gE.url, id);
  assert.equal(s.json.state, 'failed');
  assert.deepEqual(Object.keys(s.json).sort(), ['error', 'finished_at', 'queued_at', 'request_id', 'session_id', 'started_at', 'state']);
  assert.deepEqual(s.json.error, { type: 'stream_error', message: 'upstream broke' });
  assert.equal(typeof s.json.started_at, 'string');
  assert.equal(typeof s.json.finished_at, 'string');

  // an error without a type → internal_error
  const y = await openStream(gE.url, { from, text: 'plain' });
  await y.waitEnd();
  assert.equal(y.events.at(-1)!.event, 'run.error');
  assert.deepEqual(y.events.at(-1)!.data.error, { type: 'internal_error', message: 'plain failure' });

  // the same error on /messages
  assertErrorBody(await post(gE.url, `${P}/messages`, { from, text: 'boom' }), 500, 'internal_error', 'upstream broke');
  assertErrorBody(await post(gE.url, `${P}/messages`, { from, text: 'plain' }), 500, 'internal_error', 'plain failure');

  // D4: a failed request_id may be re-sent; it runs again and replaces the record
  const again = await post(gE.url, `${P}/messages`, { from, text: 'fine', request_id: id });
  assert.deepEqual(again.json, { session_id: `http:dm:${from}`, request_id: id, reply: 'Echo: fine' });
  assert.equal((await status(gE.url, id)).json.state, 'completed');
});

test('64. (E) a model that returns empty content → the fallback reply on /messages and in message.completed', async () => {
  for (const text of ['empty', 'blank']) {
    const from = uniq('alice');
    const m = await post(gE.url, `${P}/messages`, { from, text });
    assert.equal(m.status, 200);
    assert.deepEqual(Object.keys(m.json).sort(), ['reply', 'request_id', 'session_id']);
    assert.equal(m.json.reply, FALLBACK);
    assert.equal((await status(gE.url, m.json.request_id)).json.reply, FALLBACK);

    const x = await openStream(gE.url, { from, text });
    await x.waitEnd();
    assertWireFormat(x);
    assert.equal(x.eventNames.at(-2), 'message.completed');
    assert.equal(x.eventNames.at(-1), 'run.completed');
    assert.equal(x.events.at(-2)!.data.reply, FALLBACK);
  }
});

test('65. re-sending a completed request_id on the stream (same session) → run.started, message.completed, run.completed from the stored reply; nothing runs', async () => {
  const id = uniq('r1');
  const from = uniq('alice');
  const m = await post(gA.url, `${P}/messages`, { from, text: 'Hello', request_id: id });
  assert.equal(m.json.reply, 'Echo: Hello');
  const before = await status(gA.url, id);
  assert.equal(callsA.filter((c) => c === id).length, 1);

  const x = await openStream(gA.url, { from, text: 'Hello', request_id: id });
  await x.waitEnd();
  assertWireFormat(x);
  const ids = { session_id: `http:dm:${from}`, request_id: id };
  assert.deepEqual(x.events.map((e) => e.data), [
    { type: 'run.started', ...ids },
    { type: 'message.completed', ...ids, reply: 'Echo: Hello' },
    { type: 'run.completed', ...ids },
  ]);
  assert.equal(callsA.filter((c) => c === id).length, 1, 'the mock was not called again');
  assert.deepEqual((await status(gA.url, id)).json, before.json);

  // a run first made on the stream replays too, and a replay to another session is a 409
  const sid = uniq('s1');
  const first = await openStream(gA.url, { from, text: 'Again', request_id: sid });
  await first.waitEnd();
  const again = await openStream(gA.url, { from, text: 'Again', request_id: sid });
  await again.waitEnd();
  assert.deepEqual(again.eventNames, ['run.started', 'message.completed', 'run.completed']);
  assert.equal(again.events[1].data.reply, 'Echo: Again');
  assert.equal(callsA.filter((c) => c === sid).length, 1);
  const other = await RawExchange.open(gA.url, STREAM, { from: uniq('bob'), text: 'Again', request_id: sid });
  assertErrorBody(await rawJson(other), 409, 'conflict');
});

test('66. a stream client that disconnects mid-run does not cancel the run', async () => {
  const bus = recordBus(gD.gw);
  try {
    const id = uniq('r1');
    const x = await openStream(gD.url, { from: uniq('alice'), text: 'a b c', request_id: id });
    await x.waitEvent('message.delta');
    x.destroy();
    assert.equal((await status(gD.url, id)).json.state, 'running', 'still running after the client left');
    const s = await pollStatus(gD.url, id, inState('completed', 'cancelled', 'failed'), 'finished');
    assert.equal(s.json.state, 'completed');
    assert.equal(s.json.reply, 'Echo: a b c');
    assert.equal(bus.indexOf('run.cancelled', id), -1);
    assert.equal(x.ended, false, 'the client did go away before the end');
  } finally {
    bus.stop();
  }
});
