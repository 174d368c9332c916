import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AnyActorRef } from 'xstate';
import { actorDirectory } from '../../../src/actors/supervise.js';
import { createTestDevice } from '../../helpers/device.js';
import { connectDevice } from '../../helpers/device-connect.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { spyOnInspect } from '../../helpers/inspect.js';
import { openRaw, operator, refusedUpgrade, TOKEN, wsUrl, type RawClient } from '../../helpers/ws-raw.js';
import { until } from '../../helpers/wait.js';

// The inspector's stream on a real gateway (web-surfaces.md I4; IT1, IT4, IT7): `--inspect` turns on the
// ticket method and `WS /__clawgate__/inspect/ws`; tickets are single-use, expire after 60 s (injected clock),
// die with their connection; the Origin rule applies before the 101; the stream closes 4001 with its owner;
// nothing secret reaches a viewer.

const STREAM = '/__clawgate__/inspect/ws';
const gateways: TestGateway[] = [];
after(async () => {
  for (const g of gateways) await g.close();
});

async function gateway(overrides: Record<string, unknown> = {}, now?: () => number): Promise<TestGateway> {
  const g = await startTestGateway({ token: TOKEN, ...overrides }, now ? { inspectNow: now } : {});
  gateways.push(g);
  return g;
}

async function ticketFor(c: RawClient): Promise<string> {
  const res = await c.call('clawgate.inspect.ticket', {});
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assert.match(res.payload.ticket, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(typeof res.payload.expiresAtMs, 'number');
  return res.payload.ticket;
}

const streamUrl = (port: number, ticket?: string) => wsUrl(port, ticket === undefined ? STREAM : `${STREAM}?ticket=${encodeURIComponent(ticket)}`);

test('IT7: without --inspect every inspector path is 404 and the ticket method is unknown', async () => {
  const g = await gateway();
  assert.equal((await refusedUpgrade(streamUrl(g.port, 'x'))).status, 404);
  assert.equal((await refusedUpgrade(wsUrl(g.port, '/__clawgate__/inspect'))).status, 404);
  for (const path of ['/__clawgate__/inspect', '/__clawgate__/inspect/stately', STREAM]) {
    assert.equal((await fetch(`${g.url}${path}`)).status, 404, path);
  }
  const admin = await operator(g.port);
  const res = await admin.call('clawgate.inspect.ticket', {});
  assert.equal(res.ok, false);
  assert.equal(res.error.message, 'unknown method: clawgate.inspect.ticket');
  await admin.close();
});

test('IT7: tickets need operator.admin, are single-use, expire after 60 s, and die with their connection', async () => {
  let now = 1_000_000;
  const g = await gateway({ inspect: true }, () => now);
  const reader = await operator(g.port, ['operator.read', 'operator.write']);
  const denied = await reader.call('clawgate.inspect.ticket', {});
  assert.equal(denied.ok, false);
  assert.equal(denied.error.code, 'FORBIDDEN');
  assert.equal(denied.error.message, 'missing scope: operator.admin');
  await reader.close();

  const admin = await operator(g.port);
  // no ticket, an unknown one
  assert.equal((await refusedUpgrade(streamUrl(g.port))).status, 401);
  assert.equal((await refusedUpgrade(streamUrl(g.port, 'not-a-ticket'))).status, 401);
  // used twice
  const t1 = await ticketFor(admin);
  const viewer = await openRaw(streamUrl(g.port, t1));
  await viewer.next((f) => f.type === '@clawgate.live', 5_000, '@clawgate.live');
  const second = await refusedUpgrade(streamUrl(g.port, t1));
  assert.equal(second.status, 401);
  assert.equal(JSON.parse(second.body).error.type, 'unauthorized');
  await viewer.close();
  // older than 60 s
  const t2 = await ticketFor(admin);
  now += 60_000;
  assert.equal((await refusedUpgrade(streamUrl(g.port, t2))).status, 401);
  // a foreign Origin is refused before the 101, and does not spend the ticket
  const t3 = await ticketFor(admin);
  const foreign = await refusedUpgrade(streamUrl(g.port, t3), { origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  const ok = await openRaw(streamUrl(g.port, t3), { origin: `http://127.0.0.1:${g.port}` });
  await ok.next((f) => f.type === '@clawgate.hello', 5_000, '@clawgate.hello');
  // the stream closes 4001 when the connection that asked for its ticket closes; its unused tickets die
  const t4 = await ticketFor(admin);
  await admin.close();
  const closed = await ok.closed;
  assert.equal(closed.code, 4001);
  assert.equal(closed.reason, 'inspector owner closed');
  assert.equal((await refusedUpgrade(streamUrl(g.port, t4))).status, 401);
});

test('IT4: no frame a viewer gets holds the token, a device token, a signature, a ticket or raw frame text; long text is cut', async () => {
  const g = await gateway({ inspect: true, mockDelayMs: 1 });
  const admin = await operator(g.port);
  const ticket = await ticketFor(admin);
  const viewer = await openRaw(streamUrl(g.port, ticket));
  await viewer.next((f) => f.type === '@clawgate.live', 5_000, '@clawgate.live');

  const dev = createTestDevice();
  let signature = '';
  const c = await connectDevice(g.url, dev, {
    scopes: ['operator.read', 'operator.write'], auth: { token: TOKEN },
    signWith: (payload) => (signature = dev.sign(payload)),
  }, 'it4');
  assert.equal(c.res.ok, true, JSON.stringify(c.res.error));
  const deviceToken: string = c.res.payload.auth.deviceToken;
  assert.ok(deviceToken && signature);
  const message = 'm'.repeat(300);
  const sent = await c.request('chat.send', { sessionKey: 'agent:main:it4', message, idempotencyKey: 'it4-key-0001' });
  assert.equal(sent.ok, true, JSON.stringify(sent.error));
  await c.log.waitForEvent('chat', (p) => p.state === 'final');
  await until(() => viewer.frames.some((f) => f.type === '@clawgate.stopped' || (f.type === '@xstate.snapshot' && JSON.stringify(f.snapshot.value) === '"idle"')), 'the session back to idle');
  await c.close();
  await until(() => viewer.frames.some((f) => f.type === '@xstate.event' && f.event?.type === 'SOCKET_CLOSED'), 'the socket close');

  const all = JSON.stringify(viewer.frames);
  for (const [what, secret] of [['token', TOKEN], ['device token', deviceToken], ['signature', signature], ['ticket', ticket]] as const) {
    assert.equal(all.includes(secret), false, `a viewer saw the ${what}`);
  }
  assert.equal(all.includes('"method":"connect","params"'), false, 'raw frame text');
  assert.ok(viewer.frames.some((f) => f.type === '@xstate.event' && f.event?.type === 'FRAME' && f.event.method === 'connect' && typeof f.event.bytes === 'number'),
    'a FRAME event keeps its size and method');
  assert.ok(all.includes(`${'m'.repeat(200)}…(+100)`), 'a 300-character message shows as 200 characters plus …(+100)');
  assert.equal(all.includes('m'.repeat(201)), false);
  assert.ok(viewer.frames.some((f) => f.type === '@xstate.actor' && f.name === 'session:agent:main:it4'));
  await viewer.close();
  await admin.close();
});

test('IT1: with --inspect and no viewer, no observer is attached to any root the gateway creates', async () => {
  const g = await gateway({ inspect: true });
  const spies: { calls: number }[] = [];
  const add = actorDirectory.add.bind(actorDirectory);
  const roots: AnyActorRef[] = [];
  actorDirectory.add = (entry) => {
    roots.push(entry.actor);
    spies.push(spyOnInspect(entry.actor));
    add(entry);
  };
  try {
    for (let i = 0; i < 5; i++) {
      const c = await operator(g.port, ['operator.write']);
      const res = await c.call('chat.send', { sessionKey: `agent:main:it1-${i}`, message: 'hi', idempotencyKey: `it1-key-${i}-abcdef` });
      assert.equal(res.ok, true);
      await c.close();
    }
    assert.ok(roots.length >= 10, `${roots.length} roots created`);
    assert.equal(spies.reduce((n, s) => n + s.calls, 0), 0);
  } finally {
    actorDirectory.add = add;
  }
});

test('IT6: a viewer that stops reading during 2 000 runs loses live frames, counted; every run completes', async () => {
  const g = await gateway({ inspect: true, maxQueue: 10_000 });
  const admin = await operator(g.port);
  const viewer = await openRaw(streamUrl(g.port, await ticketFor(admin)));
  await viewer.next((f) => f.type === '@clawgate.live', 5_000, '@clawgate.live');
  viewer.ws.pause(); // stops reading: the kernel buffers fill, then the gateway's
  const runIds: string[] = [];
  for (let batch = 0; batch < 20; batch++) {
    // a hang guard generous enough for a loaded machine (never a timing assertion)
    const acks = await Promise.all(Array.from({ length: 100 }, (_, i) => {
      const id = `it6-${batch}-${i}`;
      admin.send({ type: 'req', id, method: 'chat.send', params: {
        sessionKey: `agent:main:it6-${i % 50}`, message: `message ${batch}-${i}`, idempotencyKey: `it6-${batch}-${i}-0123456789`,
      } });
      return admin.res(id, 60_000);
    }));
    for (const a of acks) {
      assert.equal(a.ok, true, JSON.stringify(a.error));
      runIds.push(a.payload.runId);
    }
  }
  assert.equal(runIds.length, 2000);
  await until(() => g.gw.runs.liveCount === 0, 'every run finished', 120_000);
  assert.equal(g.gw.runs.liveCount, 0);
  viewer.ws.resume();
  const stats = await viewer.next((f) => f.type === '@clawgate.stats' && f.dropped > 0, 30_000, '@clawgate.stats with dropped > 0');
  assert.ok(stats.dropped > 0);
  await viewer.close();
  await admin.close();
});

test('I4: a viewer\'s inbound frames are ignored; one over 1 KiB closes the stream 1009', async () => {
  const g = await gateway({ inspect: true });
  const admin = await operator(g.port);
  const viewer = await openRaw(streamUrl(g.port, await ticketFor(admin)));
  await viewer.next((f) => f.type === '@clawgate.live', 5_000, '@clawgate.live');
  viewer.sendRaw('{"type":"req","id":"1","method":"health"}');
  viewer.sendRaw('x'.repeat(2048));
  assert.equal((await viewer.closed).code, 1009);
  assert.equal(viewer.frames.some((f) => f.type === 'res'), false);
  await admin.close();
});
