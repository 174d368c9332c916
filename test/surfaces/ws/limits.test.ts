import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../../src/actors/connection-hub.js';
import { encodeEvent } from '../../../protocol/encode.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import {
  bounded, connectParams, connectRaw, openRaw, operator, refusedUpgrade, TOKEN, until, WAIT_MS, wsUrl,
  type Frame, type RawClient,
} from '../../helpers/ws-raw.js';

// openclaw-protocol.md §1, §16, §17 and issue acceptance 5: connection limit, pre-auth budget, Origin
// allowlist before the upgrade, the reserved worker path, and per-socket backpressure. Each test starts its
// own gateway so the limits it counts are not shared with another test.

async function withGateway(overrides: Parameters<typeof startTestGateway>[0], body: (g: TestGateway, clients: RawClient[]) => Promise<void>): Promise<void> {
  const g = await startTestGateway({ token: TOKEN, ...overrides });
  const clients: RawClient[] = [];
  try {
    await body(g, clients);
  } finally {
    for (const c of clients) {
      (c.ws as any)._socket?.resume?.();
      await c.close();
    }
    await g.close();
  }
}

const events = (c: RawClient, name: string, from = 0): Frame[] => c.frames.slice(from).filter((f) => f.type === 'event' && f.event === name);
const seqs = (c: RawClient): number[] => c.frames.filter((f) => f.type === 'event' && typeof f.seq === 'number').map((f) => f.seq);

function assertGapFree(c: RawClient, what: string): void {
  const s = seqs(c);
  assert.deepEqual(s, Array.from({ length: s.length }, (_, i) => i + 1), `${what}: seq 1..n without gaps`);
}

test('issue 5: past maxConnections upgrades get HTTP 503; connected sockets keep their ticks and answers; HTTP keeps serving; closing frees slots', async () => {
  await withGateway({ maxConnections: 5, tickIntervalMs: 50 }, async (g, clients) => {
    for (let i = 0; i < 5; i++) clients.push(await operator(g.port, ['operator.read']));
    assert.equal(g.gw.ws.hub.size, 5);

    const marks = clients.map((c) => c.frames.length);
    for (let i = 0; i < 3; i++) {
      const refused = await refusedUpgrade(wsUrl(g.port));
      assert.equal(refused.status, 503);
      assert.deepEqual(JSON.parse(refused.body), { error: { type: 'unavailable', message: 'connection limit reached' } });
    }
    assert.equal(g.gw.ws.hub.size, 5, 'no connection actor for a refused upgrade');

    // every admitted socket still gets ticks and answers
    for (const [i, c] of clients.entries()) {
      await until(() => events(c, 'tick', marks[i]).length >= 2, `socket ${i}: ticks after the refusals`);
      const res = await c.call('status', {});
      assert.equal(res.ok, true, `socket ${i}: status answered`);
      assertGapFree(c, `socket ${i}`);
    }
    const health = await fetch(`${g.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { ok: true, status: 'live' });

    // free two slots: two new sockets are admitted, the next one is refused again
    await clients[0].close();
    await clients[1].close();
    await until(() => g.gw.ws.hub.size === 3, 'the server to release the closed sockets');
    clients.push(await operator(g.port, ['operator.read']));
    clients.push(await operator(g.port, ['operator.read']));
    assert.equal((await refusedUpgrade(wsUrl(g.port))).status, 503);
    const newest = clients[clients.length - 1];
    await until(() => events(newest, 'tick').length >= 1, 'a tick on a re-admitted socket');
  });
});

test('unauthenticated sockets count against maxConnections too', async () => {
  await withGateway({ maxConnections: 3 }, async (g, clients) => {
    clients.push(await operator(g.port, ['operator.read']));
    clients.push(await openRaw(wsUrl(g.port)));
    clients.push(await openRaw(wsUrl(g.port)));
    assert.equal((await refusedUpgrade(wsUrl(g.port))).status, 503);
  });
});

test('more than 32 unauthenticated sockets from one address → HTTP 503 "Too many unauthenticated sockets"; a hello frees a slot', async () => {
  await withGateway({ maxConnections: 100 }, async (g, clients) => {
    for (let i = 0; i < 32; i++) {
      const c = await openRaw(wsUrl(g.port));
      clients.push(c);
      await c.next((f) => f.event === 'connect.challenge', WAIT_MS, 'challenge');
    }
    assert.equal(g.gw.ws.hub.preauthCount('127.0.0.1'), 32);
    const refused = await refusedUpgrade(wsUrl(g.port));
    assert.equal(refused.status, 503);
    assert.deepEqual(JSON.parse(refused.body), { error: { type: 'unavailable', message: 'Too many unauthenticated sockets' } });

    // an authenticated socket from the same address is not limited by the pre-auth budget…
    // …and authenticating one of the 32 frees its pre-auth slot
    clients[0].send({ type: 'req', id: 'c1', method: 'connect', params: connectParams({ scopes: ['operator.read'], auth: { token: TOKEN } }) });
    assert.equal((await clients[0].res('c1')).ok, true);
    assert.equal(g.gw.ws.hub.preauthCount('127.0.0.1'), 31);
    const admitted = await openRaw(wsUrl(g.port));
    clients.push(admitted);
    assert.equal((await refusedUpgrade(wsUrl(g.port))).status, 503, 'the budget is full again');

    // closing an unauthenticated socket frees its slot as well
    await clients[1].close();
    await until(() => g.gw.ws.hub.preauthCount('127.0.0.1') === 31, 'the closed socket to release its slot');
    clients.push(await openRaw(wsUrl(g.port)));
  });
});

test('an upgrade with a foreign Origin → HTTP 403 before 101 (no connection actor), whatever the Host header', async () => {
  await withGateway({ allowedOrigins: ['https://app.example.com'] }, async (g) => {
    const foreign = [
      'http://evil.example', 'https://app.example.com:8443', 'http://app.example.com', `http://127.0.0.1:${g.port + 1 === 65536 ? 1 : g.port + 1}`,
      'null', `https://127.0.0.1:${g.port}`,
    ];
    for (const origin of foreign) {
      const refused = await refusedUpgrade(wsUrl(g.port), { origin });
      assert.equal(refused.status, 403, origin);
      assert.deepEqual(JSON.parse(refused.body), {
        error: { type: 'forbidden', message: `origin not allowed: ${JSON.stringify(origin)} (add it to --allowed-origins)` },
      }, origin);
    }
    // the Host header never grants trust
    const spoofed = await refusedUpgrade(wsUrl(g.port), { origin: 'http://evil.example', headers: { Host: 'evil.example' } });
    assert.equal(spoofed.status, 403);
    assert.equal(g.gw.ws.hub.size, 0, 'no socket was ever opened');
  });
});

test('the gateway\'s own origin and configured origins are allowed; a cli client connects through them', async () => {
  await withGateway({ allowedOrigins: ['https://app.example.com'] }, async (g, clients) => {
    for (const origin of [`http://127.0.0.1:${g.port}`, `http://localhost:${g.port}`, 'https://app.example.com', 'HTTPS://APP.EXAMPLE.COM']) {
      const { c, res } = await connectRaw(wsUrl(g.port), connectParams({ client: { id: 'cli', mode: 'cli' }, scopes: ['operator.read'], auth: { token: TOKEN } }), { origin });
      clients.push(c);
      assert.equal(res.ok, true, `${origin}: ${JSON.stringify(res.error)}`);
      await c.close();
    }
  });
});

test('/__openclaw__/worker upgrade is refused; any other path reaches the gateway WS', async () => {
  await withGateway({}, async (g, clients) => {
    const refused = await refusedUpgrade(wsUrl(g.port, '/__openclaw__/worker'));
    assert.equal(refused.status, 404);
    assert.equal((await refusedUpgrade(wsUrl(g.port, '/__openclaw__/worker?x=1'))).status, 404);
    assert.equal(g.gw.ws.hub.size, 0);
    for (const path of ['/', '/ws', '/some/other/path?x=1']) {
      const { c, res } = await connectRaw(wsUrl(g.port, path), connectParams({ scopes: ['operator.read'], auth: { token: TOKEN } }));
      clients.push(c);
      assert.equal(res.ok, true, path);
    }
  });
});

test('framing: permessage-deflate is not negotiated and no subprotocol is selected, even when the client offers them', async () => {
  await withGateway({}, async (g, clients) => {
    const c = await openRaw(wsUrl(g.port), { perMessageDeflate: true });
    clients.push(c);
    assert.equal(c.ws.extensions, '', 'no extension accepted');
    assert.equal(c.ws.protocol, '', 'no subprotocol');
    const challenge = await c.next((f) => f.event === 'connect.challenge', WAIT_MS, 'challenge');
    assert.equal(challenge.type, 'event');
  });
});

// --- backpressure (§16.2) ---------------------------------------------------------------------------------

const BUDGET = 64 * 1024;
const CHUNK = 'x'.repeat(16 * 1024);
let runCounter = 0;

/** Two operator.read sockets: `reader` keeps reading, `slow` stops reading at the TCP level. */
async function twoReaders(g: TestGateway, clients: RawClient[]) {
  const open = async () => {
    const { c, res } = await connectRaw(wsUrl(g.port), connectParams({ scopes: ['operator.read'], auth: { token: TOKEN } }));
    clients.push(c);
    assert.equal(res.ok, true);
    await c.next((f) => f.event === 'health', WAIT_MS, 'health after hello');
    const conn = [...g.gw.ws.hub.connections()].find((x) => x.id === res.payload.server.connId);
    assert.ok(conn, 'server-side connection');
    return { c, conn: conn as Connection };
  };
  const reader = await open();
  const slow = await open();
  (slow.c.ws as any)._socket.pause();
  return { reader, slow };
}

/** Broadcast lossy `chat` deltas in small batches, letting the reader drain between batches, until the
 *  paused socket's outbound buffer is over budget (kernel buffers absorb the first megabytes). */
async function floodUntilOverBudget(g: TestGateway, reader: { c: RawClient; conn: Connection }, slow: Connection): Promise<number> {
  const hub = g.gw.ws.hub;
  const runId = `flood-${++runCounter}`;
  let sent = 0;
  while (slow.socket.bufferedAmount() <= BUDGET) {
    assert.ok(sent < 4000, 'the paused socket never went over budget');
    for (let k = 0; k < 4; k++) {
      sent++;
      hub.broadcast(encodeEvent('chat', {
        runId, sessionKey: 'agent:main:flood', agentId: 'main', seq: sent, state: 'delta', deltaText: CHUNK,
        message: { role: 'assistant', content: [{ type: 'text', text: CHUNK }], timestamp: Date.now() },
      }, { lossy: true }), (c) => c.reader);
    }
    const target = reader.conn.seq;
    await until(() => seqs(reader.c).at(-1) === target, 'the reading socket to keep up');
  }
  return sent;
}

test('backpressure: lossy events are skipped for a socket over maxBufferedBytes (seq gap), a non-lossy one closes it 1008 "slow consumer"; the reading socket gets everything gap-free', async () => {
  await withGateway({ maxBufferedBytes: BUDGET }, async (g, clients) => {
    const { reader, slow } = await twoReaders(g, clients);
    const hub = g.gw.ws.hub;
    await floodUntilOverBudget(g, reader, slow.conn);

    // over budget: more lossy events are skipped for the slow socket but still take a seq
    const seqBefore = slow.conn.seq;
    for (let i = 0; i < 10; i++) hub.broadcast(encodeEvent('chat', { runId: 'lossy', sessionKey: 'agent:main:flood', seq: i, state: 'delta', deltaText: 'skip' }, { lossy: true }), (c) => c.reader);
    assert.equal(slow.conn.seq, seqBefore + 10, 'dropped lossy events consumed their seq');
    assert.equal(slow.conn.open, true, 'lossy events never close');

    // a non-lossy event over budget closes the slow socket; the reader receives it
    const MARK = 1; // a tick payload no real tick carries
    hub.broadcast(encodeEvent('tick', { ts: MARK }), () => true);
    await until(() => !slow.conn.open, 'the server to close the slow consumer');
    // the slow client reads again at once: its close handshake must not wait on the checks below (under load a
    // close left unanswered for long ends without its frame, 1006)
    (slow.c.ws as any)._socket.resume();
    const lastSeq = reader.conn.seq;
    await until(() => seqs(reader.c).at(-1) === lastSeq, 'the reader to receive the tick');
    assert.equal(events(reader.c, 'tick').filter((f) => f.payload.ts === MARK).length, 1);
    assertGapFree(reader.c, 'reader');
    assert.equal(reader.c.isClosed(), false);
    assert.equal((await reader.c.call('status', {})).ok, true, 'the reader is still served');

    // the slow client, once it reads again: events up to the budget, a gap, then close 1008 "slow consumer"
    const info = await bounded(slow.c.closed, 10_000, 'the slow socket close');
    assert.deepEqual({ code: info.code, reason: info.reason }, { code: 1008, reason: 'slow consumer' });
    const got = seqs(slow.c);
    assert.ok(got.length > 0);
    assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i + 1), 'delivered events are in order from 1');
    assert.ok(got.at(-1)! < seqBefore + 10, 'the skipped events never arrived (the client sees a gap)');
    assert.equal(events(slow.c, 'tick').some((f) => f.payload.ts === MARK), false, 'the non-lossy event was not delivered');
  });
});

test('backpressure: a direct res to a socket over maxBufferedBytes closes it 1008 "slow consumer"; the other socket is unaffected', async () => {
  await withGateway({ maxBufferedBytes: BUDGET }, async (g, clients) => {
    const { reader, slow } = await twoReaders(g, clients);
    await floodUntilOverBudget(g, reader, slow.conn);
    slow.c.send({ type: 'req', id: 'h1', method: 'health', params: {} }); // the paused socket still writes
    await until(() => !slow.conn.open, 'the server to close the slow consumer');
    (slow.c.ws as any)._socket.resume(); // at once, as above
    assert.equal((await reader.c.call('health', {})).ok, true);
    assertGapFree(reader.c, 'reader');
    const info = await bounded(slow.c.closed, 10_000, 'the slow socket close');
    assert.deepEqual({ code: info.code, reason: info.reason }, { code: 1008, reason: 'slow consumer' });
    assert.equal(slow.c.frames.some((f) => f.type === 'res' && f.id === 'h1'), false, 'the res was not sent');
  });
});

test('backpressure: live chat deltas from HTTP runs keep flowing gap-free to a reading socket while another socket is paused', async () => {
  await withGateway({ maxBufferedBytes: BUDGET, mockDelayMs: 1 }, async (g, clients) => {
    const { reader, slow } = await twoReaders(g, clients);
    const http = await fetch(`${g.url}/v1/gateway/messages`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ from: 'alice', text: 'one two three four five six seven eight' }),
    });
    assert.equal(http.status, 200, await http.clone().text());
    assert.equal((await http.json()).reply, 'Echo: one two three four five six seven eight');
    await until(() => reader.c.frames.some((f) => f.event === 'chat' && f.payload?.state === 'final'), 'the final chat event on the reader');
    assertGapFree(reader.c, 'reader');
    assert.ok(events(reader.c, 'chat').filter((f) => f.payload.state === 'delta').length >= 2, 'deltas delivered');
    assert.equal(slow.conn.open, true, 'a few small events do not exceed the budget');
  });
});

// --- frame size after hello, keepalive, shutdown (§16.1, §17, §3.4) ---------------------------------------

test('after hello, a frame over 64 KiB is accepted (the limit is now maxPayload, 25 MiB)', async () => {
  await withGateway({}, async (g, clients) => {
    const c = await operator(g.port, ['operator.read']);
    clients.push(c);
    c.sendRaw(JSON.stringify({ type: 'req', id: 'big', method: 'health', params: {} }) + ' '.repeat(200_000));
    assert.equal((await c.res('big')).ok, true, 'a 200 KB frame after hello is handled');
    assert.equal(c.isClosed(), false);
  });
});

test('after hello, a frame over 25 MiB → WS-level close 1009', async () => {
  await withGateway({}, async (g, clients) => {
    const c = await operator(g.port, ['operator.read']);
    clients.push(c);
    c.sendRaw(' '.repeat(26_214_401));
    const info = await bounded(c.closed, 20_000, 'the close after an oversized frame');
    assert.equal(info.code, 1009);
  });
});

test('keepalive: a socket that does not answer a ping is terminated at the next round; one that answers stays', async () => {
  await withGateway({}, async (g, clients) => {
    const live = await operator(g.port, ['operator.read']);
    const mute = await openRaw(wsUrl(g.port), { autoPong: false });
    clients.push(live, mute);
    await mute.next((f) => f.event === 'connect.challenge', WAIT_MS, 'challenge');
    const hub = g.gw.ws.hub;
    hub.keepalive(); // what the 25 s ping interval calls
    const liveConn = [...hub.connections()][0];
    await until(() => !liveConn.awaitingPong, 'the pong from the answering socket');
    hub.keepalive();
    const info = await bounded(mute.closed, WAIT_MS, 'the mute socket to be terminated');
    assert.equal(info.code, 1006, 'terminated without a close handshake');
    assert.equal((await live.call('status', {})).ok, true);
  });
});

test('shutdown: every authenticated socket gets `shutdown` {reason:"gateway stopping"} with its next seq, then close 1012 "service restart"', async () => {
  const g = await startTestGateway({ token: TOKEN });
  const a = await operator(g.port, ['operator.read']);
  const b = await operator(g.port, ['operator.admin']);
  const pre = await openRaw(wsUrl(g.port));
  try {
    await pre.next((f) => f.event === 'connect.challenge', WAIT_MS, 'challenge');
    await g.close();
    for (const c of [a, b]) {
      const info = await bounded(c.closed, WAIT_MS, 'the shutdown close');
      assert.deepEqual({ code: info.code, reason: info.reason }, { code: 1012, reason: 'service restart' });
      const shutdown = c.frames.find((f) => f.event === 'shutdown');
      assert.ok(shutdown, 'shutdown event before the close');
      assert.deepEqual(shutdown.payload, { reason: 'gateway stopping' });
      assertGapFree(c, 'shutdown seq');
    }
    const info = await bounded(pre.closed, WAIT_MS, 'the pre-auth close');
    assert.deepEqual({ code: info.code, reason: info.reason }, { code: 1012, reason: 'service restart' });
    assert.equal(pre.frames.some((f) => f.event === 'shutdown'), false, 'no broadcast before hello');
  } finally {
    for (const c of [a, b, pre]) await c.close();
    await g.close();
  }
});
