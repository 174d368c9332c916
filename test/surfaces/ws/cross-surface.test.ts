import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { ISO_MS, P, inState, pollStatus, post, status } from '../../helpers/http-plane.js';
import { RawSocket, runTrace, startClient, uniq, within, words, type TappedClient } from '../../helpers/ws-client.js';

// One session actor per key across surfaces (http-gateway.md D9, checklist 72–74): HTTP `/messages` runs
// and WS `chat.send` share the lane and the run namespace; `chat.abort` cancels HTTP runs, `/status` and
// `/cancel` see WS runs, and HTTP runs stream to WS clients as `agent`/`chat` events with
// runId = request_id. Ordering is asserted from frame order and recorded timestamps, never durations.

const DEMO = 'agent:main:demo1';
const newSession = () => `agent:main:${uniq('xs')}`;

describe('cross-surface runs (mock delay 150 ms)', () => {
  let tg: TestGateway;
  let c: TappedClient;
  let scoped: RawSocket;

  before(async () => {
    tg = await startTestGateway({ mockDelayMs: 150 });
    c = await startClient(tg.url, {}, 'client');
    // a session-scoped subscriber of demo1 (cap session-scoped-events + sessions.messages.subscribe)
    scoped = await RawSocket.connect(tg.url, { caps: ['session-scoped-events'] }, 'scoped');
    const sub = await scoped.request('sessions.messages.subscribe', { key: DEMO });
    assert.equal(sub.ok, true);
  });
  after(async () => {
    c?.stop();
    await scoped?.close();
    await tg?.close();
  });

  test('72: WS chat.send to a session busy with an HTTP run is acked "started" and runs only after it', async () => {
    const httpId = uniq('http72');
    const wsId = uniq('ws72');
    const httpP = post(tg.url, `${P}/messages`, { from: 'alice', session_id: DEMO, text: 'one two', request_id: httpId });
    await pollStatus(tg.url, httpId, inState('running'), 'running');

    const ack = await c.request('chat.send', { sessionKey: DEMO, message: 'after http', idempotencyKey: wsId });
    assert.deepEqual(ack, { runId: wsId, status: 'started' });
    const queued = await status(tg.url, wsId);
    assert.equal(queued.status, 200);
    assert.equal(queued.json.state, 'queued', 'the WS run waits behind the HTTP run');
    assert.equal(queued.json.session_id, DEMO);
    assert.equal(queued.json.started_at, undefined);

    const http = await within(httpP, 'the HTTP /messages answer');
    assert.equal(http.status, 200);
    assert.deepEqual(http.json, { session_id: DEMO, request_id: httpId, reply: 'Echo: one two' });
    await c.log.waitForEvent('chat', (p) => p.runId === wsId && p.state === 'final');

    // on the WS: the HTTP run ended (chat final) before the WS run started
    const at = (pred: (f: any) => boolean) => c.log.frames.findIndex(pred);
    const httpFinal = at((f) => f.event === 'chat' && f.payload.runId === httpId && f.payload.state === 'final');
    const wsStart = at((f) => f.event === 'agent' && f.payload.runId === wsId && f.payload.data?.phase === 'start');
    assert.ok(httpFinal >= 0 && wsStart > httpFinal, 'the WS run starts after the HTTP run finished');
    // and in the run registry
    const h = (await status(tg.url, httpId)).json;
    const w = (await status(tg.url, wsId)).json;
    assert.equal(h.state, 'completed');
    assert.equal(w.state, 'completed');
    assert.equal(w.reply, 'Echo: after http');
    for (const t of [h.finished_at, w.queued_at, w.started_at, w.finished_at]) assert.match(t, ISO_MS);
    assert.ok(w.started_at >= h.finished_at, `WS started ${w.started_at}, HTTP finished ${h.finished_at}`);
    assert.ok(w.queued_at < h.finished_at, 'the WS run was queued while the HTTP run ran');
  });

  test('HTTP runs stream to WS clients as agent/chat events with runId = request_id', async () => {
    const httpId = uniq('http-stream');
    const http = await post(tg.url, `${P}/messages`, { from: 'bob', session_id: DEMO, text: 'hello ws', request_id: httpId });
    assert.equal(http.status, 200);
    await c.log.waitForEvent('chat', (p) => p.runId === httpId && p.state === 'final');
    const trace = runTrace(c.log, httpId);
    const deltas = trace.filter((t) => t === 'agent:assistant').length;
    assert.equal(deltas, 3, 'Echo: / hello / ws');
    assert.deepEqual(trace, [
      'agent:lifecycle:start', 'agent:lifecycle:model',
      ...Array.from({ length: deltas }, () => ['agent:assistant', 'chat:delta']).flat(),
      'agent:lifecycle:finishing', 'agent:lifecycle:model', 'agent:lifecycle:end', 'chat:final',
    ]);
    const final = c.log.events('chat').find((f) => f.payload.runId === httpId && f.payload.state === 'final')!;
    assert.equal(final.payload.sessionKey, DEMO);
    assert.deepEqual(final.payload.message.content, [{ type: 'text', text: 'Echo: hello ws' }]);
    for (const f of c.log.events('agent').filter((e) => e.payload.runId === httpId)) assert.equal(f.payload.sessionKey, DEMO);
    // the session-scoped subscriber of demo1 sees it too, plus the transcript messages
    await scoped.log.waitForEvent('chat', (p) => p.runId === httpId && p.state === 'final');
    assert.deepEqual(runTrace(scoped.log, httpId), trace);
    const msgs = scoped.log.events('session.message').filter((f) => f.payload.message.__openclaw?.idempotencyKey?.startsWith(httpId));
    assert.deepEqual(msgs.map((f) => [f.payload.message.role, f.payload.message.content[0].text]), [['user', 'hello ws'], ['assistant', 'Echo: hello ws']]);
    // and chat.history of the session holds the HTTP turn
    const history = await c.request('chat.history', { sessionKey: DEMO });
    const texts = history.messages.map((m: any) => m.content[0].text);
    assert.ok(texts.includes('hello ws') && texts.includes('Echo: hello ws'));
  });

  test('73: WS chat.abort {sessionKey, runId:<request_id>} on a running HTTP run → /messages 200 canceled:true, status cancelled', async () => {
    const sessionKey = newSession();
    const httpId = uniq('http73');
    const httpP = post(tg.url, `${P}/messages`, { from: 'carol', session_id: sessionKey, text: words(10), request_id: httpId });
    await pollStatus(tg.url, httpId, inState('running'), 'running');
    await c.log.waitForEvent('chat', (p) => p.runId === httpId && p.state === 'delta');

    // the run id is scoped to its session: another session's abort does not touch it
    assert.deepEqual(await c.request('chat.abort', { sessionKey: newSession(), runId: httpId }), { ok: true, aborted: false, runIds: [] });
    assert.deepEqual(await c.request('chat.abort', { sessionKey, runId: httpId }), { ok: true, aborted: true, runIds: [httpId] });

    const http = await within(httpP, 'the HTTP /messages answer');
    assert.equal(http.status, 200);
    assert.equal(http.json.canceled, true);
    assert.equal(http.json.session_id, sessionKey);
    assert.equal(http.json.request_id, httpId);
    assert.ok(`Echo: ${words(10)}`.startsWith(http.json.reply), `reply ${JSON.stringify(http.json.reply)} is a prefix`);
    const st = await status(tg.url, httpId);
    assert.equal(st.json.state, 'cancelled');
    assert.match(st.json.finished_at, ISO_MS);
    const aborted = await c.log.waitForEvent('chat', (p) => p.runId === httpId && p.state === 'aborted');
    assert.equal(aborted.payload.stopReason, 'rpc');
    assert.equal(aborted.payload.sessionKey, sessionKey);
  });

  test('chat.abort with the runId of a queued HTTP run removes it from the queue', async () => {
    const sessionKey = newSession();
    const first = uniq('http-first');
    const second = uniq('http-second');
    const firstP = post(tg.url, `${P}/messages`, { from: 'dan', session_id: sessionKey, text: 'a b', request_id: first });
    await pollStatus(tg.url, first, inState('running'), 'running');
    const secondP = post(tg.url, `${P}/messages`, { from: 'dan', session_id: sessionKey, text: 'c d', request_id: second });
    await pollStatus(tg.url, second, inState('queued'), 'queued');
    assert.deepEqual(await c.request('chat.abort', { sessionKey, runId: second }), { ok: true, aborted: true, runIds: [second] });
    const s = await within(secondP, 'the queued /messages answer');
    assert.deepEqual(s.json, { session_id: sessionKey, request_id: second, reply: '', canceled: true });
    const st = (await status(tg.url, second)).json;
    assert.equal(st.state, 'cancelled');
    assert.equal(st.started_at, undefined);
    const f = await within(firstP, 'the running /messages answer');
    assert.deepEqual(f.json, { session_id: sessionKey, request_id: first, reply: 'Echo: a b' });
    const aborted = await c.log.waitForEvent('chat', (p) => p.runId === second && p.state === 'aborted');
    assert.equal(aborted.payload.stopReason, 'rpc');
    assert.ok(!runTrace(c.log, second).some((t) => t.startsWith('agent:')), 'a queued run that never started has no agent events');
  });

  test('74: /status?request_id=<chat.send idempotencyKey> shows the WS run; /cancel → {"canceled":true} and chat "aborted"', async () => {
    const sessionKey = newSession();
    const wsId = uniq('ws74');
    const ack = await c.request('chat.send', { sessionKey, message: words(10), idempotencyKey: wsId });
    assert.deepEqual(ack, { runId: wsId, status: 'started' });
    await c.log.waitForEvent('chat', (p) => p.runId === wsId && p.state === 'delta');

    const running = await status(tg.url, wsId);
    assert.equal(running.status, 200);
    assert.deepEqual(Object.keys(running.json).sort(), ['queued_at', 'request_id', 'session_id', 'started_at', 'state']);
    assert.equal(running.json.request_id, wsId);
    assert.equal(running.json.session_id, sessionKey);
    assert.equal(running.json.state, 'running');
    assert.match(running.json.queued_at, ISO_MS);
    assert.match(running.json.started_at, ISO_MS);

    const cancel = await post(tg.url, `${P}/cancel`, { request_id: wsId });
    assert.equal(cancel.status, 200);
    assert.deepEqual(cancel.json, { canceled: true });
    const aborted = await c.log.waitForEvent('chat', (p) => p.runId === wsId && p.state === 'aborted');
    assert.equal(aborted.payload.sessionKey, sessionKey);
    assert.equal(aborted.payload.stopReason, 'rpc');
    const st = await status(tg.url, wsId);
    assert.equal(st.json.state, 'cancelled');
    // a second cancel finds nothing to cancel
    assert.deepEqual((await post(tg.url, `${P}/cancel`, { request_id: wsId })).json, { canceled: false });
  });

  test('every frame Clawgate sent the WS clients validates; seq is gap-free from 1', async () => {
    await scoped.sync();
    await c.request('health');
    for (const log of [c.log, scoped.log]) {
      log.assertPublished();
      log.assertSeq();
    }
    // the session-scoped socket saw only demo1's runs
    assert.ok(scoped.log.events().filter((f) => f.event === 'agent' || f.event === 'chat').every((f) => f.payload.sessionKey === DEMO));
  });
});
