import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import {
  RawSocket, TOKEN, assertCaptured, runTrace, startClient, uniq, within, words, type TappedClient,
} from '../../helpers/ws-client.js';

// Issue acceptance: OpenClaw's published reference client (`@openclaw/gateway-client`) works against a
// Clawgate started here, unchanged — connect (without and with a token), health/status/system-presence,
// the two-phase `agent`, chat.send/history/abort, and idempotency (openclaw-protocol.md §§3–7, 12–14, 19).
// Every frame Clawgate sends the client (hello-ok, every res, every event) is captured at the client's
// socket and validated against the published schema; frame `seq` must be gap-free from 1 per connection.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CORE_METHODS = [
  'health', 'status', 'system-presence', 'last-heartbeat', 'send', 'agent', 'agent.wait', 'chat.send', 'chat.history',
  'chat.abort', 'sessions.list', 'sessions.subscribe', 'sessions.messages.subscribe', 'channels.status',
];
const CONFLICT = 'This message ID was already used for different input. Check the conversation history and use a new message ID to send again.';
const newSession = () => `agent:main:${uniq('wsc')}`;

for (const mode of ['none', 'token'] as const) {
  describe(`reference client connects (auth ${mode})`, () => {
    let tg: TestGateway;
    let c: TappedClient;

    before(async () => {
      tg = await startTestGateway(mode === 'token' ? { token: TOKEN } : {});
      c = await startClient(tg.url, mode === 'token' ? { token: TOKEN } : {}, `client(${mode})`);
    });
    after(async () => {
      c?.stop();
      await tg?.close();
    });

    test('hello-ok: protocol 4, the requested operator.admin granted device-less on loopback, core features', () => {
      const h = c.hello;
      assert.equal(h.type, 'hello-ok');
      assert.equal(h.protocol, 4);
      assert.match(h.server.connId, UUID);
      assert.equal(typeof h.server.version, 'string');
      assert.deepEqual(h.auth, { method: mode, role: 'operator', scopes: ['operator.admin'] });
      assert.equal(h.policy.maxPayload, 26_214_400);
      assert.equal(h.policy.maxBufferedBytes, 52_428_800);
      assert.equal(h.policy.tickIntervalMs, 30_000);
      for (const m of CORE_METHODS) assert.ok(h.features.methods.includes(m), `features.methods lists ${m}`);
      assert.ok(!h.features.methods.includes('connect'), 'connect is not advertised');
      for (const e of ['connect.challenge', 'tick', 'health', 'shutdown', 'presence', 'agent', 'chat']) {
        assert.ok(h.features.events.includes(e), `features.events lists ${e}`);
      }
      assert.deepEqual(h.snapshot.sessionDefaults, { defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main' });
      assert.equal(h.snapshot.authMode, mode);
      assert.equal(typeof h.snapshot.uptimeMs, 'number');
      // the challenge came first and without seq; hello-ok answers the client's connect request
      const [challenge, helloRes] = c.log.frames;
      assert.equal(challenge.event, 'connect.challenge');
      assert.match(challenge.payload.nonce, UUID);
      assert.ok(Number.isSafeInteger(challenge.payload.ts));
      assert.deepEqual(challenge.payload.capabilities, []);
      assert.equal(helloRes.type, 'res');
      assert.equal(c.log.methods.get(helloRes.id), 'connect');
      assert.deepEqual(helloRes.payload, h);
    });

    test('health, status and system-presence answer', async () => {
      const health = await c.request('health');
      assert.equal(health.ok, true);
      assert.equal(health.defaultAgentId, 'main');
      assert.equal(typeof health.ts, 'number');

      const status = await c.request('status', {});
      assert.equal(typeof status.runtimeVersion, 'string');
      assert.deepEqual(status.heartbeat, { defaultAgentId: 'main', agents: [] });
      assert.ok(Array.isArray(status.channelSummary));
      assert.ok(Array.isArray(status.queuedSystemEvents));
      assert.equal(typeof status.eventLoop, 'object');
      assert.equal(status.pid, process.pid, 'operator.admin sees pid');

      const presence = await c.request<any[]>('system-presence', {});
      assert.ok(Array.isArray(presence));
      const self = presence.filter((p) => p.mode === 'gateway');
      assert.equal(self.length, 1, 'exactly one gateway entry');
      assert.equal(self[0].reason, 'self');
      assert.match(self[0].text, /^Gateway: .+ · mode gateway · reason self$/);
      assert.equal(presence.length, 1, 'a gateway-client/backend socket is ephemeral: not in presence');
    });

    test('every frame Clawgate sent validates against the published schema; seq is gap-free from 1', () => {
      assert.ok(c.log.events('health').length >= 1, 'health pushed after hello');
      assert.equal(c.log.events()[1].event, 'health');
      assert.equal(c.log.events()[1].seq, 1);
      assertCaptured(c.log);
    });
  });
}

describe('reference client runs agent and chat', () => {
  let tg: TestGateway;
  let c: TappedClient;
  let observer: RawSocket;

  before(async () => {
    tg = await startTestGateway({ token: TOKEN, mockDelayMs: 20 });
    c = await startClient(tg.url, { token: TOKEN }, 'client');
    // a second socket (its own connect) that sees the same run events from outside
    observer = await RawSocket.connect(tg.url, { token: TOKEN }, 'observer');
  });
  after(async () => {
    c?.stop();
    await observer?.close();
    await tg?.close();
  });

  test('agent with expectFinal: ack first (accepted hook), streamed agent/chat events in order, then the final', async () => {
    const runId = uniq('agent');
    const sessionKey = newSession();
    const order: string[] = [];
    let accepted: any;
    const final = await c.request('agent', { message: 'Say hi', idempotencyKey: runId, sessionKey }, {
      expectFinal: true,
      onAccepted: (p) => { accepted = p; order.push('accepted'); },
    });
    order.push('final');
    assert.deepEqual(order, ['accepted', 'final']);
    assert.equal(typeof accepted.acceptedAt, 'number');
    assert.deepEqual(accepted, { runId, sessionKey, agentId: 'main', status: 'accepted', acceptedAt: accepted.acceptedAt });

    // the final
    assert.equal(final.runId, runId);
    assert.equal(final.status, 'ok');
    assert.equal(final.summary, 'completed');
    assert.deepEqual(final.result.payloads, [{ text: 'Echo: Say hi', mediaUrl: null }]);
    assert.equal(typeof final.result.meta.durationMs, 'number');
    assert.equal(final.result.meta.agentMeta.sessionId, sessionKey);

    // on the wire: ack res → events → final res, both res on the same id
    const log = c.log;
    const resIdx = log.frames.map((f, i) => [f, i] as const).filter(([f]) => f.type === 'res' && f.payload?.runId === runId).map(([, i]) => i);
    assert.equal(resIdx.length, 2, 'two res frames for one agent request');
    const [ackAt, finalAt] = resIdx;
    assert.equal(log.frames[ackAt].id, log.frames[finalAt].id);
    assert.equal(log.methods.get(log.frames[ackAt].id), 'agent');
    assert.equal(log.frames[ackAt].payload.status, 'accepted');
    const runEvents = log.frames.map((f, i) => [f, i] as const).filter(([f]) => f.type === 'event' && f.payload?.runId === runId);
    assert.ok(runEvents.length > 0);
    for (const [, i] of runEvents) assert.ok(ackAt < i && i < finalAt, 'every run event between the ack and the final');

    // documented order (§12.2), chat deltas coalesced (at most one per 150 ms): start, model,
    // (assistant+, chat delta)+, [usage], finishing, model(null), end, chat final
    const trace = runTrace(log, runId);
    assert.match(trace.join(' '), new RegExp('^agent:lifecycle:start agent:lifecycle:model (?:(?:agent:assistant )+chat:delta )+'
      + '(?:agent:usage )?agent:lifecycle:finishing agent:lifecycle:model agent:lifecycle:end chat:final$'));
    const events = runEvents.map(([f]) => f);
    const agentEvents = events.filter((f) => f.event === 'agent');
    assert.deepEqual(agentEvents.map((f) => f.payload.seq), agentEvents.map((_, i) => i + 1), 'per-run agent seq from 1');
    for (const f of agentEvents) {
      assert.equal(f.payload.sessionKey, sessionKey);
      assert.equal(typeof f.payload.ts, 'number');
    }
    assert.equal(agentEvents[0].payload.data.phase, 'start');
    assert.equal(typeof agentEvents[0].payload.data.startedAt, 'number');
    const modelNull = agentEvents.filter((f) => f.payload.data.phase === 'model')[1];
    assert.deepEqual(modelNull.payload.data, { phase: 'model', provider: null, model: null });
    // assistant events carry the increment only; each chat delta carries the seq of the assistant event
    // just before it, the increments since the previous chat delta, and the cumulative text
    let text = '';
    let since = '';
    for (let i = 0; i < events.length; i++) {
      const f = events[i];
      if (f.event === 'agent' && f.payload.stream === 'assistant') {
        assert.deepEqual(Object.keys(f.payload.data).sort(), ['delta', 'itemId']);
        text += f.payload.data.delta;
        since += f.payload.data.delta;
      } else if (f.event === 'chat' && f.payload.state === 'delta') {
        assert.equal(events[i - 1].payload.stream, 'assistant');
        assert.equal(f.payload.seq, events[i - 1].payload.seq);
        assert.equal(f.payload.deltaText, since);
        assert.deepEqual(f.payload.message.content, [{ type: 'text', text }]);
        since = '';
      }
    }
    assert.equal(since, '', 'no text is left unsent before the final');
    assert.equal(text, 'Echo: Say hi');
    const end = agentEvents.at(-1)!;
    assert.equal(end.payload.data.phase, 'end');
    assert.equal(end.payload.data.executionSettled, true);
    assert.deepEqual(end.payload.data.terminalReply, { disposition: 'visible', text: 'Echo: Say hi' });
    const chatFinal = events.at(-1)!;
    assert.equal(chatFinal.payload.state, 'final');
    assert.equal(chatFinal.payload.seq, end.payload.seq);
    assert.equal(chatFinal.payload.sessionKey, sessionKey);
    assert.deepEqual(chatFinal.payload.message.content, [{ type: 'text', text: 'Echo: Say hi' }]);

    // the observer saw the same run events
    await observer.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
    assert.deepEqual(runTrace(observer.log, runId), trace);
  });

  test('chat.send: acked "started", streamed to a final; chat.history has the user then the assistant message', async () => {
    const runId = uniq('chat');
    const sessionKey = newSession();
    const ack = await c.request('chat.send', { sessionKey, message: 'Hello there', idempotencyKey: runId });
    assert.equal(ack.runId, runId);
    assert.equal(ack.status, 'started');
    const final = await c.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
    assert.equal(final.payload.sessionKey, sessionKey);
    assert.deepEqual(final.payload.message.content, [{ type: 'text', text: 'Echo: Hello there' }]);
    const trace = runTrace(c.log, runId);
    assert.equal(trace[0], 'agent:lifecycle:start');
    assert.equal(trace.at(-1), 'chat:final');

    const history = await c.request('chat.history', { sessionKey });
    assert.equal(history.sessionKey, sessionKey);
    assert.deepEqual(history.messages.map((m: any) => [m.role, m.content]), [
      ['user', [{ type: 'text', text: 'Hello there' }]],
      ['assistant', [{ type: 'text', text: 'Echo: Hello there' }]],
    ]);
    assert.equal(history.messages[0].__openclaw.idempotencyKey, `${runId}:user`);
    assert.ok(history.messages[0].timestamp <= history.messages[1].timestamp);
    assert.equal(history.totalMessages, 2);
    assert.equal(history.hasMore, false);
    assert.equal(history.inFlightRun, undefined);
  });

  test('chat.abort on a running chat.send: chat "aborted" with stopReason "rpc", result {ok, aborted, runIds}', async () => {
    const runId = uniq('abort');
    const sessionKey = newSession();
    const ack = await c.request('chat.send', { sessionKey, message: words(40), idempotencyKey: runId });
    assert.equal(ack.status, 'started');
    await c.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'delta');
    const result = await c.request('chat.abort', { sessionKey, runId });
    assert.deepEqual(result, { ok: true, aborted: true, runIds: [runId] });
    const aborted = await c.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'aborted');
    assert.equal(aborted.payload.stopReason, 'rpc');
    assert.equal(aborted.payload.sessionKey, sessionKey);
    // the agent stream ends as an aborted run (§12.2)
    const lifecycle = c.log.events('agent').filter((f) => f.payload.runId === runId && f.payload.stream === 'lifecycle').map((f) => f.payload.data);
    assert.deepEqual(lifecycle.slice(-2).map((d) => [d.phase, d.aborted, d.stopReason]), [['end', true, 'rpc'], ['error', true, 'aborted']]);
    assert.equal(lifecycle.at(-2).status, 'cancelled');
    assert.equal(lifecycle.at(-1).error, 'This operation was aborted');
    // nothing more for that run, and a second abort finds nothing to abort
    const again = await c.request('chat.abort', { sessionKey, runId });
    assert.deepEqual(again, { ok: true, aborted: false, runIds: [] });
    assert.equal(runTrace(c.log, runId).filter((t) => t === 'chat:final').length, 0);
    assert.equal(runTrace(c.log, runId).at(-1), 'chat:aborted');
  });

  test('chat.abort without runId aborts the running run of the session', async () => {
    const runId = uniq('abort2');
    const sessionKey = newSession();
    await c.request('chat.send', { sessionKey, message: words(40), idempotencyKey: runId });
    await c.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'delta');
    assert.deepEqual(await c.request('chat.abort', { sessionKey }), { ok: true, aborted: true, runIds: [runId] });
    const aborted = await c.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'aborted');
    assert.equal(aborted.payload.stopReason, 'rpc');
  });

  test('agent aborted by chat.abort: the final is {status:"timeout", summary:"aborted", stopReason:"rpc"}', async () => {
    const runId = uniq('agent-abort');
    const sessionKey = newSession();
    let onAccepted!: () => void;
    const acceptedP = new Promise<void>((r) => { onAccepted = r; });
    const finalP = c.request('agent', { message: words(40), idempotencyKey: runId, sessionKey }, { expectFinal: true, onAccepted: () => onAccepted() });
    await within(acceptedP, 'agent ack');
    await c.log.waitForEvent('agent', (p) => p.runId === runId && p.stream === 'assistant');
    assert.deepEqual(await c.request('chat.abort', { sessionKey, runId }), { ok: true, aborted: true, runIds: [runId] });
    const final = await finalP;
    assert.equal(final.runId, runId);
    assert.equal(final.status, 'timeout');
    assert.equal(final.summary, 'aborted');
    assert.equal(final.stopReason, 'rpc');
    const aborted = await c.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'aborted');
    assert.equal(aborted.payload.stopReason, 'rpc');
    // the chat event precedes the agent final on the wire
    const finalAt = c.log.frames.findIndex((f) => f.type === 'res' && f.payload?.runId === runId && f.payload.status === 'timeout');
    assert.ok(c.log.frames.indexOf(aborted) < finalAt);
  });

  test('agent.wait: the outcome of a finished run; {runId, status:"timeout"} when nothing ends in time', async () => {
    const runId = uniq('wait');
    const sessionKey = newSession();
    const final = await c.request('agent', { message: 'wait for me', idempotencyKey: runId, sessionKey }, { expectFinal: true });
    assert.equal(final.status, 'ok');
    const waited = await c.request('agent.wait', { runId });
    assert.equal(waited.runId, runId);
    assert.equal(waited.status, 'ok');
    assert.deepEqual(waited.terminalReply, { disposition: 'visible', text: 'Echo: wait for me' });
    const never = uniq('never');
    assert.deepEqual(await c.request('agent.wait', { runId: never, timeoutMs: 50 }), { runId: never, status: 'timeout' });
  });

  test('agent dedupe: same idempotencyKey while running → in_flight; after completion → the identical cached final', async () => {
    const runId = uniq('dedupe-agent');
    const sessionKey = newSession();
    const params = { message: words(12), idempotencyKey: runId, sessionKey };
    let onAccepted!: () => void;
    const acceptedP = new Promise<void>((r) => { onAccepted = r; });
    const firstP = c.request('agent', params, { expectFinal: true, onAccepted: () => onAccepted() });
    await within(acceptedP, 'agent ack');
    await c.log.waitForEvent('agent', (p) => p.runId === runId && p.stream === 'assistant');
    const dup = await c.request('agent', params);
    assert.deepEqual(dup, { runId, status: 'in_flight', sessionKey, agentId: 'main' });
    const first = await firstP;
    assert.equal(first.status, 'ok');
    assert.equal(first.result.payloads[0].text, `Echo: ${words(12)}`);

    const before = c.log.frames.length;
    const replay = await c.request('agent', params, { expectFinal: true });
    assert.deepEqual(replay, first, 'identical cached final');
    const replayRes = c.log.all((f) => f.type === 'res' && f.payload?.runId === runId, before);
    assert.equal(replayRes.length, 1, 'a completed duplicate is answered with one res (no new ack)');
    await c.request('health'); // barrier: anything the duplicate caused has arrived by now
    assert.equal(c.log.events('agent').filter((f) => f.payload.runId === runId && f.payload.data?.phase === 'start').length, 1, 'ran once');
  });

  test('chat.send dedupe: duplicate → in_flight / {runId,status:"ok"}; same key, different message → the conflict error', async () => {
    const runId = uniq('dedupe-chat');
    const sessionKey = newSession();
    const message = words(12);
    const ack = await c.request('chat.send', { sessionKey, message, idempotencyKey: runId });
    assert.deepEqual(ack, { runId, status: 'started' });
    await c.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'delta');
    assert.deepEqual(await c.request('chat.send', { sessionKey, message, idempotencyKey: runId }), { runId, status: 'in_flight' });
    await assert.rejects(c.request('chat.send', { sessionKey, message: 'something else', idempotencyKey: runId }), (err: any) => {
      assert.equal(err.gatewayCode, 'INVALID_REQUEST');
      assert.equal(err.message, CONFLICT);
      assert.deepEqual(err.details, { reason: 'chat-request-conflict' });
      return true;
    });
    await c.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
    assert.deepEqual(await c.request('chat.send', { sessionKey, message, idempotencyKey: runId }), { runId, status: 'ok' });
    await c.request('health');
    assert.equal(c.log.events('agent').filter((f) => f.payload.runId === runId && f.payload.data?.phase === 'start').length, 1, 'ran once');
    const history = await c.request('chat.history', { sessionKey });
    assert.equal(history.messages.length, 2, 'one user and one assistant message');
  });

  test('every frame Clawgate sent (client and observer) validates against the published schema; seq is gap-free from 1', async () => {
    // a health probe now lists the sessions these runs touched (HealthSnapshot.sessions.recent)
    const health = await c.request('health', { probe: true });
    assert.ok(health.sessions.recent.length > 0);
    for (const r of health.sessions.recent) assert.deepEqual(Object.keys(r).sort(), ['age', 'key', 'updatedAt']);
    await observer.sync();
    assert.ok(c.log.all((f) => f.type === 'res').length > 10);
    assert.ok(c.log.events('agent').length > 10 && c.log.events('chat').length > 5);
    assertCaptured(c.log, observer.log);
  });
});
