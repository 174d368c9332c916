import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import {
  RawSocket, TOKEN, assertCaptured, assertOwnEventPayload, assertPublishedDefinition, runTrace, startClient, uniq, type Frame,
} from '../../helpers/ws-client.js';

// The server-pushed events of openclaw-protocol.md §15 and their delivery gating (§15.2, §15.3, §16.1):
// tick, health after hello, presence, sessions.changed / session.message subscriptions, the
// session-scoped-events cap, the operator.read guard, and shutdown → close 1012. Every frame each socket
// receives is validated against the published schema and its seq checked (gap-free from 1).

const newSession = () => `agent:main:${uniq('wse')}`;
const RUN_EVENTS = new Set(['agent', 'chat']);

/** Sends a chat.send from `s` and waits (on `s`) for its final. */
async function chatRun(s: RawSocket, sessionKey: string, message = 'hi there'): Promise<string> {
  const runId = uniq('run');
  const ack = await s.request('chat.send', { sessionKey, message, idempotencyKey: runId });
  assert.equal(ack.ok, true, JSON.stringify(ack.error));
  await s.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
  return runId;
}

describe('tick', () => {
  let tg: TestGateway;
  let s: RawSocket;
  before(async () => {
    tg = await startTestGateway({ tickIntervalMs: 40 });
    s = await RawSocket.connect(tg.url, {}, 'ticker');
  });
  after(async () => {
    await s?.close();
    await tg?.close();
  });

  test('tick {ts} flows on the configured interval, to every socket, each with the next seq', async () => {
    assert.equal(s.hello.policy.tickIntervalMs, 40, 'hello policy reports the tick interval');
    const from = s.log.frames.length;
    await s.log.waitFor(() => s.log.events('tick', from).length >= 3, 'three ticks'); // re-checked on every frame
    const ticks = s.log.events('tick', from).slice(0, 3);
    for (const t of ticks) assert.deepEqual(Object.keys(t.payload), ['ts']);
    assert.ok(ticks[0].payload.ts <= ticks[1].payload.ts && ticks[1].payload.ts <= ticks[2].payload.ts);
    assert.ok(ticks[0].seq < ticks[1].seq && ticks[1].seq < ticks[2].seq);
    // a socket without any scope still gets ticks (guard [])
    const bare = await RawSocket.connect(tg.url, { clientId: 'test', mode: 'test', scopes: [] }, 'bare');
    await bare.log.waitForEvent('tick');
    await bare.close();
    assertCaptured(s.log, bare.log);
  });
});

describe('events on one gateway', () => {
  let tg: TestGateway;
  const sockets: RawSocket[] = [];
  const open = async (o: Parameters<typeof RawSocket.connect>[1], label: string) => {
    const s = await RawSocket.connect(tg.url, { token: TOKEN, ...o }, label);
    sockets.push(s);
    return s;
  };
  let admin: RawSocket;

  before(async () => {
    tg = await startTestGateway({ token: TOKEN, mockDelayMs: 5 });
    admin = await open({}, 'admin');
  });
  after(async () => {
    for (const s of sockets) await s.close();
    await tg?.close();
  });

  test('health is pushed right after hello-ok with seq 1 and the snapshot stateVersion', async () => {
    const s = await open({}, 'fresh');
    const [challenge, hello, health] = s.log.frames;
    assert.equal(challenge.event, 'connect.challenge');
    assert.equal(hello.type, 'res');
    assert.equal(hello.payload.type, 'hello-ok');
    assert.equal(health.type, 'event');
    assert.equal(health.event, 'health');
    assert.equal(health.seq, 1);
    // a backend socket is ephemeral: nothing changed presence between hello and the push
    assert.deepEqual(health.stateVersion, hello.payload.snapshot.stateVersion);
    assert.equal(health.payload.ok, true);
    assert.ok(Number.isInteger(health.stateVersion.presence) && health.stateVersion.presence >= 1);
    assert.ok(Number.isInteger(health.stateVersion.health) && health.stateVersion.health >= 1);
  });

  test('presence: a non-ephemeral client is added on connect and removed on disconnect; ephemeral ones are not', async () => {
    const watcher = await open({}, 'presence-watcher');
    const base = watcher.hello.snapshot.stateVersion.presence;
    const from = watcher.log.frames.length;
    const hasUi = (p: any) => p.presence.some((e: any) => e.clientId === 'webchat' && e.mode === 'webchat');

    // the reference client as a webchat UI (device-less with the token: no scopes, but it is present)
    let addedAt = -1;
    const ui = await startClient(tg.url, { token: TOKEN, clientName: 'webchat', mode: 'webchat', scopes: [] }, 'webchat-ui');
    try {
      assert.deepEqual(ui.hello.auth.scopes, []);
      const added = await watcher.log.waitForEvent('presence', hasUi, { from });
      addedAt = watcher.log.frames.indexOf(added);
      assert.equal(added.stateVersion.presence, base + 1);
      const entry = added.payload.presence.find((e: any) => e.clientId === 'webchat');
      assert.equal(entry.reason, 'connect');
      assert.equal(typeof entry.ts, 'number');
      assert.ok(added.payload.presence.some((e: any) => e.mode === 'gateway' && e.reason === 'self'));
      const listed = await watcher.request('system-presence');
      assert.ok(listed.payload.some((e: any) => e.clientId === 'webchat'));
    } finally {
      ui.stop();
    }
    const removed = await watcher.log.waitForEvent('presence', (p) => !hasUi(p), { from: addedAt + 1 });
    assert.equal(removed.stateVersion.presence, base + 2);
    const gone = await watcher.request('system-presence');
    assert.ok(!gone.payload.some((e: any) => e.clientId === 'webchat'));
    assert.equal(ui.log.close !== undefined, true);
    ui.log.assertPublished();
    ui.log.assertSeq();

    // cli / backend / probe are ephemeral: connecting one broadcasts nothing
    const mark = watcher.log.frames.length;
    const cli = await open({ clientId: 'cli', mode: 'cli', scopes: ['operator.read'] }, 'cli');
    await cli.close();
    await watcher.sync();
    assert.equal(watcher.log.events('presence', mark).length, 0);
  });

  test('sessions.changed only after sessions.subscribe', async () => {
    const subscribed = await open({}, 'sessions-sub');
    const other = await open({}, 'sessions-nosub');
    const before = await chatRun(subscribed, newSession());
    await subscribed.sync();
    assert.equal(subscribed.log.events('sessions.changed').length, 0, 'nothing before subscribing');

    const res = await subscribed.request('sessions.subscribe', {});
    assert.deepEqual(res.payload, { subscribed: true });
    const sessionKey = newSession();
    const runId = await chatRun(subscribed, sessionKey);
    const end = await subscribed.log.waitForEvent('sessions.changed', (p) => p.runId === runId && p.phase === 'end');
    const changes = subscribed.log.events('sessions.changed').filter((f) => f.payload.runId === runId);
    assert.deepEqual(changes.map((f) => f.payload.phase), ['start', 'end']);
    for (const f of changes) {
      assert.equal(f.payload.sessionKey, sessionKey);
      assert.equal(f.payload.agentId, 'main');
      assert.equal(typeof f.payload.ts, 'number');
      assert.equal(f.payload.session.key, sessionKey);
      assertPublishedDefinition('SessionRow', f.payload.session);
      assertOwnEventPayload(f);
    }
    assert.equal(end.payload.session.status, 'done');
    assert.equal(end.payload.session.lastRunId, runId);
    assert.ok(!subscribed.log.events('sessions.changed').some((f) => f.payload.runId === before));

    // the other reader saw the run's agent/chat events, but no sessions.changed
    await other.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
    await other.sync();
    assert.equal(other.log.events('sessions.changed').length, 0);

    // sessions.subscribe with list params also answers the list; unsubscribe stops the events
    const withList = await subscribed.request('sessions.subscribe', { limit: 5 });
    assert.equal(withList.payload.subscribed, true);
    assert.ok(withList.payload.list.sessions.some((r: any) => r.key === sessionKey));
    for (const row of withList.payload.list.sessions) assertPublishedDefinition('SessionRow', row);
  });

  // sessions.unsubscribe is not an OpenClaw method (the published schema has none): not advertised, unknown
  test('sessions.unsubscribe is neither advertised nor served', async () => {
    const s = await open({}, 'sessions-unsub');
    assert.ok(!(s.hello.features.methods as string[]).includes('sessions.unsubscribe'));
    const res = await s.request('sessions.unsubscribe', {});
    assert.equal(res.ok, false);
    assert.equal(res.error.message, 'unknown method: sessions.unsubscribe');
  });

  test('session.message only after sessions.messages.subscribe {key}, for that key', async () => {
    const a = await open({}, 'messages-a');
    const b = await open({}, 'messages-b');
    const key = newSession();
    const otherKey = newSession();
    await chatRun(a, key, 'before subscribing');
    await a.sync();
    assert.equal(a.log.events('session.message').length, 0, 'nothing before subscribing');

    const sub = await a.request('sessions.messages.subscribe', { key });
    assert.deepEqual(sub.payload, { subscribed: true, key });
    assert.deepEqual((await b.request('sessions.messages.subscribe', { key: otherKey })).payload, { subscribed: true, key: otherKey });

    const runId = await chatRun(a, key, 'after subscribing');
    await a.log.waitForEvent('session.message', (p) => p.message.role === 'assistant' && p.message.__openclaw?.idempotencyKey === runId);
    const messages = a.log.events('session.message');
    assert.deepEqual(messages.map((f) => [f.payload.sessionKey, f.payload.message.role, f.payload.message.content[0].text]), [
      [key, 'user', 'after subscribing'],
      [key, 'assistant', 'Echo: after subscribing'],
    ]);
    assert.equal(messages[0].payload.message.__openclaw.idempotencyKey, `${runId}:user`);
    assert.ok(messages[0].payload.messageSeq < messages[1].payload.messageSeq);
    for (const f of messages) {
      assert.equal(f.payload.agentId, 'main');
      assert.equal(typeof f.payload.messageId, 'string');
      assert.equal(f.payload.message.__openclaw.id, f.payload.messageId);
      assertPublishedDefinition('SessionRow', f.payload.session);
      assertOwnEventPayload(f);
    }
    // b subscribed another key: it saw the run (agent/chat) but no session.message for it
    await b.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final');
    await b.sync();
    assert.equal(b.log.events('session.message').length, 0);

    // unsubscribing stops them
    assert.deepEqual((await a.request('sessions.messages.unsubscribe', { key })).payload, { subscribed: false, key });
    const mark = a.log.frames.length;
    await chatRun(a, key, 'after unsubscribing');
    await a.sync();
    assert.equal(a.log.events('session.message', mark).length, 0);
  });

  test('cap session-scoped-events: agent/chat only for the sessions the socket subscribed to', async () => {
    const scoped = await open({ caps: ['session-scoped-events'] }, 'scoped');
    const plain = await open({}, 'plain');
    const mine = newSession();
    const notMine = newSession();
    await scoped.request('sessions.messages.subscribe', { key: mine });
    const runMine = await chatRun(admin, mine);
    const runNotMine = await chatRun(admin, notMine);
    await plain.log.waitForEvent('chat', (p) => p.runId === runNotMine && p.state === 'final');
    await scoped.log.waitForEvent('chat', (p) => p.runId === runMine && p.state === 'final');
    await scoped.sync();
    assert.ok(runTrace(scoped.log, runMine).length > 3, 'the subscribed session streams');
    assert.deepEqual(runTrace(scoped.log, runNotMine), [], 'other sessions do not');
    assert.ok(scoped.log.events().filter((f) => RUN_EVENTS.has(f.event)).every((f) => f.payload.sessionKey === mine));
    // without the cap every operator.read socket gets every session's agent/chat events
    assert.ok(runTrace(plain.log, runMine).length > 3);
    assert.deepEqual(runTrace(plain.log, runNotMine), runTrace(admin.log, runNotMine));
  });

  test('no operator.read: no agent, chat or presence events (tick/health still flow)', async () => {
    const bare = await open({ clientId: 'test', mode: 'test' }, 'no-scopes');
    assert.deepEqual(bare.hello.auth.scopes, [], 'device-less token connect as a non-local-backend client has no scopes');
    assert.equal(bare.log.events('health').length, 1);
    const runId = await chatRun(admin, newSession());
    // a presence change (a UI connects and leaves) while the bare socket watches
    const mark = admin.log.frames.length;
    const ui = await open({ clientId: 'webchat-ui', mode: 'webchat' }, 'ui');
    await admin.log.waitForEvent('presence', (p) => p.presence.some((e: any) => e.clientId === 'webchat-ui'), { from: mark });
    await ui.close();
    await admin.log.waitForEvent('presence', (p) => !p.presence.some((e: any) => e.clientId === 'webchat-ui'), { from: mark + 1 });
    await bare.sync();
    const seen = bare.log.events().map((f: Frame) => f.event);
    for (const name of ['agent', 'chat', 'presence', 'sessions.changed', 'session.message']) {
      assert.ok(!seen.includes(name), `no ${name} event for a socket without operator.read (saw ${seen.join(', ')})`);
    }
    assert.ok(runTrace(admin.log, runId).length > 3);
    // and it cannot opt in
    const denied = await bare.request('sessions.subscribe', {});
    assert.equal(denied.ok, false);
    assert.equal(denied.error.code, 'FORBIDDEN');
    assert.equal(denied.error.message, 'missing scope: operator.read');
  });

  test('operator.read without admin: status and hello-ok leave out host-revealing fields', async () => {
    const reader = await open({ clientId: 'cli', mode: 'cli', scopes: ['operator.read'] }, 'reader');
    assert.deepEqual(reader.hello.auth.scopes, ['operator.read']);
    assert.equal(reader.hello.snapshot.stateDir, undefined);
    const st = await reader.request('status', {});
    assert.equal(st.ok, true);
    assert.equal(st.payload.pid, undefined);
    assert.equal(st.payload.stateDir, undefined);
    assert.equal(typeof st.payload.runtimeVersion, 'string');
    // operator.read does not allow writes
    const denied = await reader.request('chat.send', { sessionKey: newSession(), message: 'x', idempotencyKey: uniq('ro') });
    assert.equal(denied.ok, false);
    assert.equal(denied.error.code, 'FORBIDDEN');
    assert.equal(denied.error.message, 'missing scope: operator.write');
  });

  test('every frame every socket received validates; seq is gap-free from 1 per connection', async () => {
    for (const s of sockets) if (s.ws.readyState === s.ws.OPEN) await s.sync();
    assertCaptured(...sockets.map((s) => s.log));
  });
});

describe('shutdown', () => {
  test('closing the gateway sends `shutdown` to every socket, then closes 1012 "service restart"', async () => {
    const tg = await startTestGateway({ token: TOKEN });
    const client = await startClient(tg.url, { token: TOKEN }, 'client');
    const raw = await RawSocket.connect(tg.url, { token: TOKEN }, 'raw');
    const bare = await RawSocket.connect(tg.url, { token: TOKEN, clientId: 'test', mode: 'test' }, 'bare');
    try {
      await tg.close();
      for (const log of [client.log, raw.log, bare.log]) {
        const close = await log.waitForClose();
        assert.deepEqual(close, { code: 1012, reason: 'service restart' }, log.label);
        const last = log.frames.at(-1)!;
        assert.equal(last.event, 'shutdown', `${log.label}: shutdown is the last frame before the close`);
        assert.deepEqual(last.payload, { reason: 'gateway stopping' });
        assertCaptured(log);
      }
    } finally {
      client.stop();
      await raw.close();
      await bare.close();
      await tg.close();
    }
  });
});
