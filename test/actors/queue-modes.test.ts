import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMockRunner } from '../../src/agent/mock.js';
import type { Runner } from '../../src/core/run.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gatedRunner, type GatedRunner } from '../helpers/gated-runner.js';
import { assertErrorBody, inState, messageBody as msg, P, pollStatus, post, recordBus, RawExchange, status, until } from '../helpers/http-plane.js';
import { RawSocket, uniq, within } from '../helpers/ws-client.js';

// Issue acceptance 4: queue modes (followup, collect, interrupt) over both planes — HTTP /messages (and
// :stream) with `queue_mode`, WS chat.send with `queueMode` — the bounded queue refused with the specified
// error on both planes, and the run deadline freeing the lane. A message whose text starts with "hold" is held
// by the runner until the test releases it (or its run is stopped), so "the session is busy" never depends on
// timing; every other message goes to the mock model with a per-word delay. Waits are bounded; nothing
// asserts a duration.

describe('queue modes over HTTP and WS', () => {
  let tg: TestGateway;
  let gate: GatedRunner;
  let ws: RawSocket;

  before(async () => {
    gate = gatedRunner(5);
    tg = await startTestGateway({}, { runner: gate.runner });
    ws = await RawSocket.connect(tg.url, {}, 'ws');
  });
  after(async () => {
    await ws?.close();
    await tg?.close();
  });

  /** Starts a held run (HTTP) in `session` and waits until it is running; returns its pending answer. */
  async function busy(session: string, id = uniq('hold')) {
    const answer = post(tg.url, `${P}/messages`, msg(session, 'hold on', id));
    await pollStatus(tg.url, id, inState('running'), 'running');
    return { id, answer };
  }

  test('HTTP followup (default and explicit): strict FIFO behind the running run', async () => {
    const s = uniq('s-http-fu');
    const bus = recordBus(tg.gw);
    const a = await busy(s);
    const ids = [uniq('b'), uniq('c'), uniq('d')];
    const answers = [
      post(tg.url, `${P}/messages`, msg(s, 'second one', ids[0])),
      post(tg.url, `${P}/messages`, msg(s, 'third one', ids[1], { queue_mode: 'followup' })),
      post(tg.url, `${P}/messages`, msg(s, 'fourth one', ids[2], { queue_mode: 'steer' })),
    ];
    await until(() => tg.gw.sessions.inspect(s)?.queued.length === 3, 'three queued');
    assert.deepEqual(tg.gw.sessions.inspect(s)?.queued, ids);
    gate.release(a.id);
    const done = await Promise.all(answers);
    assert.deepEqual(done.map((d) => [d.status, d.json.request_id, d.json.reply]), [
      [200, ids[0], 'Echo: second one'], [200, ids[1], 'Echo: third one'], [200, ids[2], 'Echo: fourth one'],
    ]);
    assert.equal((await a.answer).json.reply, 'Echo: hold on');
    const starts = bus.events.filter((e) => e.name === 'run.started' && e.sessionKey === s).map((e) => e.runId);
    assert.deepEqual(starts, [a.id, ...ids]);
    bus.stop();
  });

  test('HTTP collect: messages sent during a run get ONE merged next turn; each caller gets the merged reply with its own request_id', async () => {
    const s = uniq('s-http-co');
    const before = gate.inputs.length;
    const a = await busy(s);
    const [b, c] = [uniq('b'), uniq('c')];
    const pb = post(tg.url, `${P}/messages`, msg(s, 'apples', b, { queue_mode: 'collect' }));
    await until(() => tg.gw.sessions.inspect(s)?.queued.length === 1, 'b queued');
    // the stream surface too: its events carry its own request_id
    const xc = await RawExchange.open(tg.url, `${P}/messages:stream`, msg(s, 'pears', c, { queue_mode: 'collect' }));
    assert.equal(xc.statusCode, 200);
    await until(() => tg.gw.sessions.inspect(s)?.queued.length === 2, 'c queued');
    assert.deepEqual(tg.gw.sessions.inspect(s)?.queued, [b, c]);
    gate.release(a.id);

    const rb = await pb;
    await within(new Promise<void>((resolve) => { const t = setInterval(() => { if (xc.ended) { clearInterval(t); resolve(); } }, 5); }), 'stream end', 20_000);
    const merged = 'Echo: apples\n\npears';
    assert.deepEqual([rb.status, rb.json.request_id, rb.json.reply], [200, b, merged]);
    const completed = xc.items.find((i: any) => i.event === 'message.completed') as any;
    assert.ok(completed, `stream: ${xc.raw}`);
    assert.equal(completed.data.request_id, c);
    assert.equal(completed.data.reply, merged);
    for (const id of [b, c]) {
      const st = await status(tg.url, id);
      assert.deepEqual([st.json.state, st.json.reply], ['completed', merged], id);
    }
    // the model ran twice in this session: the held run and the one merged turn
    const calls = gate.inputs.slice(before).filter((i) => i.sessionKey === s);
    assert.deepEqual(calls.map((i) => [i.runId, i.text]), [[a.id, 'hold on'], [b, 'apples\n\npears']]);
  });

  test('HTTP interrupt: the running run ends cancelled and the new message runs next, ahead of the queue', async () => {
    const s = uniq('s-http-int');
    const a = await busy(s);
    const q = uniq('q');
    const pq = post(tg.url, `${P}/messages`, msg(s, 'queued before', q));
    await until(() => tg.gw.sessions.inspect(s)?.queued.length === 1, 'q queued');
    const x = uniq('x');
    const px = post(tg.url, `${P}/messages`, msg(s, 'stop that', x, { queue_mode: 'interrupt' }));
    const ra = await a.answer;
    assert.deepEqual([ra.status, ra.json.request_id, ra.json.canceled], [200, a.id, true]);
    const rx = await px;
    assert.deepEqual([rx.status, rx.json.reply], [200, 'Echo: stop that']);
    const rq = await pq;
    assert.equal(rq.json.reply, 'Echo: queued before');
    const [sx, sq] = [await status(tg.url, x), await status(tg.url, q)];
    assert.ok(sx.json.started_at <= sq.json.started_at, 'the interrupting message ran before the queued one');
    assert.equal((await status(tg.url, a.id)).json.state, 'cancelled');
  });

  test('HTTP unknown queue_mode → 400 invalid_request; wrong type → decode error', async () => {
    const bad = await post(tg.url, `${P}/messages`, msg(uniq('s'), 'hi', uniq('r'), { queue_mode: 'later' }));
    assertErrorBody(bad, 400, 'invalid_request', 'unknown queue_mode "later" (want followup, collect, interrupt, steer)');
    const badStream = await post(tg.url, `${P}/messages:stream`, msg(uniq('s'), 'hi', uniq('r'), { queue_mode: 'later' }));
    assertErrorBody(badStream, 400, 'invalid_request', /unknown queue_mode/);
    const wrong = await post(tg.url, `${P}/messages`, msg(uniq('s'), 'hi', uniq('r'), { queue_mode: 3 }));
    assertErrorBody(wrong, 400, 'invalid_request', /queue_mode/);
  });

  /** chat.send over the raw socket; returns the ack frame. */
  const chatSend = (sessionKey: string, message: string, idempotencyKey: string, queueMode?: string) =>
    ws.request('chat.send', { sessionKey, message, idempotencyKey, ...(queueMode ? { queueMode } : {}) });
  const finalOf = (runId: string) => ws.log.waitForEvent('chat', (p) => p.runId === runId && ['final', 'aborted', 'error'].includes(p.state));
  const wsBusy = async (sessionKey: string) => {
    const id = uniq('whold');
    const ack = await chatSend(sessionKey, 'hold it', id);
    assert.equal(ack.payload.status, 'started');
    await pollStatus(tg.url, id, inState('running'), 'running');
    return id;
  };

  test('WS chat.send followup: acked "started" each, runs in order', async () => {
    const s = `agent:main:${uniq('fu')}`;
    const a = await wsBusy(s);
    const ids = [uniq('b'), uniq('c')];
    for (const [i, id] of ids.entries()) {
      const ack = await chatSend(s, `msg ${i}`, id, i === 0 ? undefined : 'followup');
      assert.deepEqual([ack.ok, ack.payload.status, ack.payload.runId], [true, 'started', id]);
    }
    assert.deepEqual(tg.gw.sessions.inspect(s)?.queued, ids);
    gate.release(a);
    const finals = await Promise.all(ids.map(finalOf));
    assert.deepEqual(finals.map((f) => [f.payload.state, f.payload.message.content[0].text]), [['final', 'Echo: msg 0'], ['final', 'Echo: msg 1']]);
    assert.ok(ws.log.frames.indexOf(finals[0]) < ws.log.frames.indexOf(finals[1]));
  });

  test('WS chat.send collect: each acked, one merged turn, a final with the merged reply for each runId', async () => {
    const s = `agent:main:${uniq('co')}`;
    const a = await wsBusy(s);
    const ids = [uniq('b'), uniq('c'), uniq('d')];
    for (const [i, id] of ids.entries()) {
      const ack = await chatSend(s, `part ${i}`, id, 'collect');
      assert.deepEqual([ack.ok, ack.payload.status], [true, 'started']);
    }
    assert.deepEqual(tg.gw.sessions.inspect(s)?.queued, ids);
    gate.release(a);
    const finals = await Promise.all(ids.map(finalOf));
    const merged = 'Echo: part 0\n\npart 1\n\npart 2';
    assert.deepEqual(finals.map((f) => [f.payload.state, f.payload.message.content[0].text]), ids.map(() => ['final', merged]));
    assert.equal(gate.inputs.filter((i) => i.sessionKey === s).length, 2, 'the held run, then one merged turn');
    // the transcript has every user message once and the merged reply once
    const hist = await ws.request('chat.history', { sessionKey: s });
    const texts = hist.payload.messages.map((m: any) => `${m.role}:${typeof m.content === 'string' ? m.content : m.content?.[0]?.text}`);
    assert.deepEqual(texts.slice(-4), ['user:part 0', 'user:part 1', 'user:part 2', `assistant:${merged}`]);
  });

  test('WS chat.send interrupt: the running run is aborted, the new message runs next', async () => {
    const s = `agent:main:${uniq('int')}`;
    const a = await wsBusy(s);
    const x = uniq('x');
    const ack = await chatSend(s, 'now this', x, 'interrupt');
    assert.equal(ack.payload.status, 'started');
    const fa = await finalOf(a);
    assert.equal(fa.payload.state, 'aborted');
    const fx = await finalOf(x);
    assert.deepEqual([fx.payload.state, fx.payload.message.content[0].text], ['final', 'Echo: now this']);
    assert.ok(ws.log.frames.indexOf(fa) < ws.log.frames.indexOf(fx));
  });

  test('WS chat.send unknown queueMode → INVALID_REQUEST, nothing recorded', async () => {
    const id = uniq('bad');
    const res = await chatSend(`agent:main:${uniq('bad')}`, 'hi', id, 'later');
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'INVALID_REQUEST');
    assert.equal((await status(tg.url, id)).status, 404);
  });
});

describe('bounded queue (--max-queue 2)', () => {
  let tg: TestGateway;
  let gate: GatedRunner;
  let ws: RawSocket;
  before(async () => {
    gate = gatedRunner(5);
    tg = await startTestGateway({ maxQueue: 2 }, { runner: gate.runner });
    ws = await RawSocket.connect(tg.url, {}, 'ws-max');
  });
  after(async () => {
    await ws?.close();
    await tg?.close();
  });

  test('overflow is refused: HTTP 429 queue_full (both routes), WS UNAVAILABLE retryable; nothing queued is dropped', async () => {
    const s = `agent:main:${uniq('full')}`;
    const a = uniq('a');
    const pa = post(tg.url, `${P}/messages`, msg(s, 'hold please', a));
    await pollStatus(tg.url, a, inState('running'), 'running');
    const [b, c] = [uniq('b'), uniq('c')];
    const pb = post(tg.url, `${P}/messages`, msg(s, 'bee', b));
    await until(() => tg.gw.sessions.inspect(s)?.queued.length === 1, 'b queued');
    const ackC = await ws.request('chat.send', { sessionKey: s, message: 'sea', idempotencyKey: c, queueMode: 'collect' });
    assert.equal(ackC.ok, true);
    await until(() => tg.gw.sessions.inspect(s)?.queued.length === 2, 'two queued');

    const expected = `session ${s} has 2 queued runs (max 2)`;
    const d = uniq('d');
    assertErrorBody(await post(tg.url, `${P}/messages`, msg(s, 'dee', d)), 429, 'queue_full', expected);
    assertErrorBody(await post(tg.url, `${P}/messages:stream`, msg(s, 'dee', d, { queue_mode: 'collect' })), 429, 'queue_full', expected);
    const e = uniq('e');
    const res = await ws.request('chat.send', { sessionKey: s, message: 'eee', idempotencyKey: e });
    assert.equal(res.ok, false);
    assert.deepEqual({ code: res.error.code, message: res.error.message, retryable: res.error.retryable },
      { code: 'UNAVAILABLE', message: expected, retryable: true });
    assert.equal((await status(tg.url, d)).status, 404, 'a refused message leaves no record');
    assert.equal((await status(tg.url, e)).status, 404);
    assert.deepEqual(tg.gw.sessions.inspect(s)?.queued, [b, c], 'nothing evicted');

    gate.release(a);
    assert.equal((await pa).json.reply, 'Echo: hold please');
    assert.equal((await pb).json.reply, 'Echo: bee');
    await pollStatus(tg.url, c, inState('completed'), 'completed');
    // room again: the refused WS key is accepted on retry
    const retry = await ws.request('chat.send', { sessionKey: s, message: 'eee', idempotencyKey: e });
    assert.deepEqual([retry.ok, retry.payload.status], [true, 'started']);
    assert.equal((await pollStatus(tg.url, e, inState('completed'), 'completed')).json.reply, 'Echo: eee');
    ws.log.assertPublished(); // the refusal (and everything else this socket got) fits the published schema
  });
});

describe('run deadline (--run-timeout-ms 150)', () => {
  let tg: TestGateway;
  before(async () => {
    // "stuck…" messages never yield and ignore their abort signal; others echo
    const mock = createMockRunner();
    const runner: Runner = {
      async *run(input, signal) {
        if (input.text.startsWith('stuck')) await new Promise<void>(() => {});
        yield* mock.run(input, signal);
      },
    };
    tg = await startTestGateway({ runTimeoutMs: 150 }, { runner });
  });
  after(async () => {
    await tg?.close();
  });

  test('a run that never yields fails with error type timeout; the lane frees and the next message runs', async () => {
    const s = uniq('s-deadline');
    const [a, b] = [uniq('a'), uniq('b')];
    const pa = post(tg.url, `${P}/messages`, msg(s, 'stuck forever', a));
    await pollStatus(tg.url, a, inState('running'), 'running');
    const pb = post(tg.url, `${P}/messages`, msg(s, 'after the stuck one', b));
    const ra = await pa;
    assert.equal(ra.status, 500);
    assert.match(ra.json.error.message, /run deadline of 150 ms/);
    const st = await status(tg.url, a);
    assert.equal(st.json.state, 'failed');
    assert.equal(st.json.error.type, 'timeout');
    const rb = await pb;
    assert.deepEqual([rb.status, rb.json.reply], [200, 'Echo: after the stuck one']);
    // the stream surface reports the timeout type
    const c = uniq('c');
    const x = await RawExchange.open(tg.url, `${P}/messages:stream`, msg(s, 'stuck again', c));
    await until(() => x.ended, 'stream end');
    const err = x.items.find((i: any) => i.event === 'run.error') as any;
    assert.equal(err?.data.error.type, 'timeout', x.raw);
  });
});

test('config: --queue-mode, --max-queue, --run-timeout-ms (defaults, steer alias, refusals)', async () => {
  const { resolveConfig, parseGatewayArgs, ConfigError } = await import('../../src/config.js');
  const d = resolveConfig({});
  assert.deepEqual([d.queueMode, d.maxQueue, d.runTimeoutMs], ['followup', 100, 600_000]);
  const c = parseGatewayArgs(['--queue-mode', 'collect', '--max-queue', '5', '--run-timeout-ms', '0'], {});
  assert.deepEqual([c.queueMode, c.maxQueue, c.runTimeoutMs], ['collect', 5, 0]);
  assert.equal(resolveConfig({ 'queue-mode': 'steer' }).queueMode, 'followup');
  assert.throws(() => resolveConfig({ 'queue-mode': 'later' }), (e: Error) => e instanceof ConfigError && /--queue-mode must be one of followup, collect, interrupt, steer/.test(e.message));
  assert.throws(() => resolveConfig({ 'max-queue': 0 }), /--max-queue must be at least 1/);
});
