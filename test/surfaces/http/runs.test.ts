import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createMockRunner } from '../../../src/agent/mock.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import {
  assertErrorBody, countingRunner, inState, ISO_MS, P, pollStatus, post, recordBus, status, uniq, until,
} from '../../helpers/http-plane.js';

// http-gateway.md §7 and §13 items 38–53: status, cancel, idempotency, retention, client disconnect.
// Every test talks to a real gateway on an ephemeral port; assertions are on order and state, never durations.

let gA: TestGateway; // Setup A: the mock without delay, every model call counted
let callsA: string[];
let gD: TestGateway; // Setup D: the mock with --mock-delay-ms 200 (each word of `Echo: <text>` takes 200 ms)
let callsD: string[];

before(async () => {
  const a = countingRunner(createMockRunner());
  callsA = a.calls;
  gA = await startTestGateway({}, { runner: a.runner });
  const d = countingRunner(createMockRunner({ delayMs: 200 }));
  callsD = d.calls;
  gD = await startTestGateway({ mockDelayMs: 200 }, { runner: d.runner });
});

after(async () => {
  await gA?.close();
  await gD?.close();
});

const STATUS_KEYS = {
  queued: ['queued_at', 'request_id', 'session_id', 'state'],
  running: ['queued_at', 'request_id', 'session_id', 'started_at', 'state'],
  completed: ['finished_at', 'queued_at', 'reply', 'request_id', 'session_id', 'started_at', 'state'],
};

function assertIsoTimes(body: Record<string, unknown>, ...keys: string[]): void {
  for (const k of keys) {
    assert.equal(typeof body[k], 'string', `${k} present`);
    assert.match(body[k] as string, ISO_MS, `${k} is ISO-8601 UTC with ms`);
    assert.equal(new Date(body[k] as string).toISOString(), body[k], `${k} round-trips`);
  }
}

test('38. status without request_id, or a blank one → 400 missing request_id', async () => {
  for (const q of ['', '?request_id=%20', '?request_id=', '?other=x']) {
    const res = await fetch(`${gA.url}${P}/status${q}`);
    const a = { status: res.status, headers: res.headers, json: await res.json() };
    assertErrorBody(a, 400, 'invalid_request', 'missing request_id');
    assert.deepEqual(a.json, { error: { type: 'invalid_request', message: 'missing request_id' } });
  }
});

test('39. status of an unknown request_id → 404 JSON not_found', async () => {
  assertErrorBody(await status(gA.url, 'unknown'), 404, 'not_found');
  assertErrorBody(await status(gA.url, uniq('never-sent')), 404, 'not_found');
});

test('40. after /messages returned: status → completed with the same reply and ordered ISO times', async () => {
  const id = uniq('r1');
  const from = uniq('alice');
  const m = await post(gA.url, `${P}/messages`, { from, text: 'Hello', request_id: id });
  assert.equal(m.status, 200);
  assert.equal(m.json.reply, 'Echo: Hello');

  const s = await status(gA.url, id);
  assert.equal(s.status, 200);
  assert.equal(s.headers.get('content-type'), 'application/json');
  assert.deepEqual(Object.keys(s.json).sort(), STATUS_KEYS.completed);
  assert.equal(s.json.state, 'completed');
  assert.equal(s.json.request_id, id);
  assert.equal(s.json.session_id, `http:dm:${from}`);
  assert.equal(s.json.reply, m.json.reply);
  assertIsoTimes(s.json, 'queued_at', 'started_at', 'finished_at');
  assert.ok(s.json.queued_at <= s.json.started_at, 'queued_at ≤ started_at');
  assert.ok(s.json.started_at <= s.json.finished_at, 'started_at ≤ finished_at');
});

test('41. (D) status of a running run → running with queued_at and started_at, snake_case keys only', async () => {
  const id = uniq('r1');
  const from = uniq('alice');
  const pending = post(gD.url, `${P}/messages`, { from, text: 'a b c d e f', request_id: id });
  const s = await pollStatus(gD.url, id, inState('running'), 'running');
  assert.deepEqual(Object.keys(s.json).sort(), STATUS_KEYS.running);
  for (const k of Object.keys(s.json)) assert.match(k, /^[a-z]+(_[a-z]+)*$/, `snake_case key ${k}`);
  assert.equal(s.json.request_id, id);
  assert.equal(s.json.session_id, `http:dm:${from}`);
  assertIsoTimes(s.json, 'queued_at', 'started_at');
  assert.ok(s.json.queued_at <= s.json.started_at);

  // finish quickly: cancelling is not what this item is about, but it must not disturb the answer
  assert.deepEqual((await post(gD.url, `${P}/cancel`, { request_id: id })).json, { canceled: true });
  assert.equal((await pending).status, 200);
});

test('42. (D) r2 sent while r1 runs in the same session → r2 queued (no started_at), starts after r1 ends; both 200', async () => {
  const bus = recordBus(gD.gw);
  try {
    const session = uniq('s42');
    const [r1, r2] = [uniq('r1'), uniq('r2')];
    const p1 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'a b c d', request_id: r1 });
    await pollStatus(gD.url, r1, inState('running'), 'running');
    const p2 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'x', request_id: r2 });
    const q = await pollStatus(gD.url, r2, (a) => a.status === 200, 'known');
    assert.equal(q.json.state, 'queued');
    assert.deepEqual(Object.keys(q.json).sort(), STATUS_KEYS.queued);
    assertIsoTimes(q.json, 'queued_at');
    assert.equal(q.json.session_id, session);
    // r1 is still the one running at this point
    assert.equal((await status(gD.url, r1)).json.state, 'running');

    const [a1, a2] = await Promise.all([p1, p2]);
    assert.equal(a1.status, 200);
    assert.equal(a1.json.reply, 'Echo: a b c d');
    assert.equal(a2.status, 200);
    assert.equal(a2.json.reply, 'Echo: x');

    assert.ok(bus.indexOf('run.completed', r1) >= 0 && bus.indexOf('run.started', r2) >= 0);
    assert.ok(bus.indexOf('run.completed', r1) < bus.indexOf('run.started', r2), 'r2 starts only after r1 completed');
    const [s1, s2] = [(await status(gD.url, r1)).json, (await status(gD.url, r2)).json];
    assert.ok(s1.finished_at <= s2.started_at, 'status times: r1 finished before r2 started');
    assert.ok(s2.queued_at < s2.started_at, 'r2 waited in the queue');
  } finally {
    bus.stop();
  }
});

test('43. (D) r1, r2, r3 sent in order to one session start and finish in exactly that order', async () => {
  const bus = recordBus(gD.gw);
  try {
    const session = uniq('s43');
    const ids = [uniq('r1'), uniq('r2'), uniq('r3')];
    const pending = [];
    for (const [i, id] of ids.entries()) {
      pending.push(post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: `${i + 1}`, request_id: id }));
      // the next one is sent only once this one is admitted (visible in status), so the send order is known
      await pollStatus(gD.url, id, (a) => a.status === 200, 'known');
    }
    const answers = await Promise.all(pending);
    answers.forEach((a, i) => {
      assert.equal(a.status, 200);
      assert.equal(a.json.reply, `Echo: ${i + 1}`);
    });

    const starts = bus.events.filter((e) => e.name === 'run.started' && e.sessionKey === session).map((e) => e.runId);
    const ends = bus.events.filter((e) => e.name === 'run.completed' && e.sessionKey === session).map((e) => e.runId);
    assert.deepEqual(starts, ids, 'start order');
    assert.deepEqual(ends, ids, 'finish order');
    for (let i = 1; i < ids.length; i++) {
      assert.ok(bus.indexOf('run.completed', ids[i - 1]) < bus.indexOf('run.started', ids[i]), `${i}: one at a time`);
    }
    const st = await Promise.all(ids.map(async (id) => (await status(gD.url, id)).json));
    for (let i = 1; i < st.length; i++) {
      assert.ok(st[i - 1].started_at < st[i].started_at, 'started_at increases');
      assert.ok(st[i - 1].finished_at <= st[i].started_at, 'previous finished before the next started');
    }
  } finally {
    bus.stop();
  }
});

test('44. (D) two requests in different sessions run at the same time', async () => {
  const [r1, r2] = [uniq('r1'), uniq('r2')];
  const p1 = post(gD.url, `${P}/messages`, { from: uniq('u'), text: 'a b c d e f', request_id: r1 });
  const p2 = post(gD.url, `${P}/messages`, { from: uniq('u'), text: 'a b c d e f', request_id: r2 });
  let overlap = false;
  for (let i = 0; i < 2000 && !overlap; i++) {
    // r1 running, then r2 running, then r1 still running: both were running at the moment r2 was read
    const a = await status(gD.url, r1);
    const b = await status(gD.url, r2);
    const c = await status(gD.url, r1);
    if ([a, b, c].every((x) => x.json?.state === 'running')) overlap = true;
    else if ([a, b].some((x) => x.json?.state === 'completed')) break;
    else await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(overlap, 'both sessions were observed running at once');
  for (const id of [r1, r2]) await post(gD.url, `${P}/cancel`, { request_id: id });
  assert.equal((await p1).status, 200);
  assert.equal((await p2).status, 200);
});

test('45. (D) cancel running r1 → {canceled:true}; /messages 200 with a prefix reply and canceled; status cancelled; next run starts', async () => {
  const bus = recordBus(gD.gw);
  try {
    const session = uniq('s45');
    const [r1, r2] = [uniq('r1'), uniq('r2')];
    const full = 'Echo: a b c d e f';
    const p1 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'a b c d e f', request_id: r1 });
    await until(() => bus.indexOf('run.delta', r1) >= 0, 'the first chunk of r1');
    const p2 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'z', request_id: r2 });
    await pollStatus(gD.url, r2, inState('queued'), 'queued');

    const c = await post(gD.url, `${P}/cancel`, { request_id: r1 });
    assert.equal(c.status, 200);
    assert.equal(c.headers.get('content-type'), 'application/json');
    assert.deepEqual(c.json, { canceled: true });

    const a1 = await p1;
    assert.equal(a1.status, 200);
    assert.deepEqual(Object.keys(a1.json).sort(), ['canceled', 'reply', 'request_id', 'session_id']);
    assert.equal(a1.json.canceled, true);
    assert.equal(a1.json.request_id, r1);
    assert.equal(a1.json.session_id, session);
    assert.ok(a1.json.reply.startsWith('Echo: '), `reply ${JSON.stringify(a1.json.reply)} has the first chunk`);
    assert.ok(full.startsWith(a1.json.reply) && a1.json.reply !== full, `reply ${JSON.stringify(a1.json.reply)} is a proper prefix`);

    const s1 = await status(gD.url, r1);
    assert.equal(s1.json.state, 'cancelled');
    assert.equal(s1.json.reply, a1.json.reply);
    assertIsoTimes(s1.json, 'queued_at', 'started_at', 'finished_at');

    // the lane moves on to r2, which runs to completion
    const a2 = await p2;
    assert.equal(a2.status, 200);
    assert.deepEqual(a2.json, { session_id: session, request_id: r2, reply: 'Echo: z' });
    assert.ok(bus.indexOf('run.cancelled', r1) < bus.indexOf('run.started', r2));
    assert.equal(bus.indexOf('run.completed', r1), -1, 'r1 never completes after the cancel');
  } finally {
    bus.stop();
  }
});

test('46. (D) cancel queued r2 → {canceled:true}; its /messages answers at once with reply "" and canceled; r2 never runs', async () => {
  const session = uniq('s46');
  const [r1, r2] = [uniq('r1'), uniq('r2')];
  const p1 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'a b c d e f', request_id: r1 });
  await pollStatus(gD.url, r1, inState('running'), 'running');
  const p2 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'q', request_id: r2 });
  await pollStatus(gD.url, r2, inState('queued'), 'queued');

  assert.deepEqual((await post(gD.url, `${P}/cancel`, { request_id: r2 })).json, { canceled: true });
  const a2 = await p2;
  assert.equal(a2.status, 200);
  assert.deepEqual(a2.json, { session_id: session, request_id: r2, reply: '', canceled: true });
  // "at once": answered while r1 is still running, not after the lane reached r2
  assert.equal((await status(gD.url, r1)).json.state, 'running');

  const s2 = await status(gD.url, r2);
  assert.equal(s2.status, 200);
  assert.deepEqual(Object.keys(s2.json).sort(), ['finished_at', 'queued_at', 'request_id', 'session_id', 'state']);
  assert.equal(s2.json.state, 'cancelled');

  // let r1 finish (cancel it to be quick), then the lane is empty and r2 was never handed to the model
  await post(gD.url, `${P}/cancel`, { request_id: r1 });
  assert.equal((await p1).json.canceled, true);
  const after = await post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'n', request_id: uniq('r3') });
  assert.equal(after.json.reply, 'Echo: n');
  assert.ok(!callsD.includes(r2), 'the model was never called for r2');
  assert.equal((await status(gD.url, r2)).json.state, 'cancelled');
  assert.equal((await status(gD.url, r2)).json.started_at, undefined);
});

test('47. cancel of an unknown or already finished id → 200 {canceled:false}', async () => {
  const unknown = await post(gA.url, `${P}/cancel`, { request_id: uniq('unknown') });
  assert.equal(unknown.status, 200);
  assert.deepEqual(unknown.json, { canceled: false });

  const done = uniq('done');
  assert.equal((await post(gA.url, `${P}/messages`, { from: 'alice', text: 'x', request_id: done })).status, 200);
  assert.deepEqual((await post(gA.url, `${P}/cancel`, { request_id: done })).json, { canceled: false });
  assert.equal((await status(gA.url, done)).json.state, 'completed', 'a completed run stays completed');

  // already cancelled (a queued run, D): the second cancel is false
  const session = uniq('s47');
  const [r1, r2] = [uniq('r1'), uniq('r2')];
  const p1 = post(gD.url, `${P}/messages`, { from: 'a', session_id: session, text: 'a b c d e f', request_id: r1 });
  await pollStatus(gD.url, r1, inState('running'), 'running');
  const p2 = post(gD.url, `${P}/messages`, { from: 'a', session_id: session, text: 'q', request_id: r2 });
  await pollStatus(gD.url, r2, inState('queued'), 'queued');
  assert.deepEqual((await post(gD.url, `${P}/cancel`, { request_id: r2 })).json, { canceled: true });
  assert.deepEqual((await post(gD.url, `${P}/cancel`, { request_id: r2 })).json, { canceled: false });
  assert.deepEqual((await post(gD.url, `${P}/cancel`, { request_id: r1 })).json, { canceled: true });
  assert.deepEqual((await post(gD.url, `${P}/cancel`, { request_id: r1 })).json, { canceled: false });
  await Promise.all([p1, p2]);
});

test('48. cancel validation: {} and blank → missing request_id; {bad → decode json; empty → decode json: EOF', async () => {
  assert.deepEqual((await post(gA.url, `${P}/cancel`, {})).json, { error: { type: 'invalid_request', message: 'missing request_id' } });
  assertErrorBody(await post(gA.url, `${P}/cancel`, {}), 400, 'invalid_request', 'missing request_id');
  assertErrorBody(await post(gA.url, `${P}/cancel`, { request_id: '  ' }), 400, 'invalid_request', 'missing request_id');
  assertErrorBody(await post(gA.url, `${P}/cancel`, '{bad'), 400, 'invalid_request', /^decode json: /);
  assertErrorBody(await post(gA.url, `${P}/cancel`, ''), 400, 'invalid_request', 'decode json: EOF');
});

test('49. (D) a request_id already queued or running (same or another session) → 409 conflict; the originals are unaffected', async () => {
  const session = uniq('s49');
  const [r1, r2] = [uniq('r1'), uniq('r2')];
  const p1 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'a b c d', request_id: r1 });
  await pollStatus(gD.url, r1, inState('running'), 'running');
  const p2 = post(gD.url, `${P}/messages`, { from: 'alice', session_id: session, text: 'q', request_id: r2 });
  await pollStatus(gD.url, r2, inState('queued'), 'queued');

  for (const id of [r1, r2]) {
    for (const body of [
      { from: 'alice', session_id: session, text: 'dup', request_id: id }, // same session
      { from: 'bob', text: 'dup', request_id: id }, // another session
      { from: 'alice', session_id: session, text: 'dup', request_id: `  ${id} ` }, // trimmed
    ]) {
      const dup = await post(gD.url, `${P}/messages`, body);
      assertErrorBody(dup, 409, 'conflict');
    }
  }
  assert.equal((await status(gD.url, r1)).json.state, 'running');
  assert.equal((await status(gD.url, r2)).json.state, 'queued');

  const [a1, a2] = await Promise.all([p1, p2]);
  assert.deepEqual(a1.json, { session_id: session, request_id: r1, reply: 'Echo: a b c d' });
  assert.deepEqual(a2.json, { session_id: session, request_id: r2, reply: 'Echo: q' });
  assert.equal(callsD.filter((c) => c === r1).length, 1);
  assert.equal(callsD.filter((c) => c === r2).length, 1);
});

test('50. re-sending a completed request_id with the same session → the identical stored body; nothing runs again', async () => {
  const id = uniq('r1');
  const body = { from: uniq('alice'), text: 'Hello', request_id: id };
  const res1 = await fetch(`${gA.url}${P}/messages`, { method: 'POST', body: JSON.stringify(body) });
  const raw1 = await res1.text();
  assert.equal(res1.status, 200);
  const before = await status(gA.url, id);
  const callsBefore = callsA.filter((c) => c === id).length;
  assert.equal(callsBefore, 1);

  const res2 = await fetch(`${gA.url}${P}/messages`, { method: 'POST', body: JSON.stringify(body) });
  const raw2 = await res2.text();
  assert.equal(res2.status, 200);
  assert.deepEqual(JSON.parse(raw2), JSON.parse(raw1));
  assert.deepEqual(JSON.parse(raw2), { session_id: `http:dm:${body.from}`, request_id: id, reply: 'Echo: Hello' });
  assert.equal(callsA.filter((c) => c === id).length, 1, 'the mock was not called again');
  assert.deepEqual((await status(gA.url, id)).json, before.json, 'status still shows the first run');
});

test('51. re-sending a completed request_id with a different session → 409 conflict', async () => {
  const id = uniq('r1');
  const from = uniq('alice');
  assert.equal((await post(gA.url, `${P}/messages`, { from, text: 'Hello', request_id: id })).status, 200);
  const before = await status(gA.url, id);
  assertErrorBody(await post(gA.url, `${P}/messages`, { from: uniq('bob'), text: 'Hello', request_id: id }), 409, 'conflict');
  assertErrorBody(await post(gA.url, `${P}/messages`, { from, session_id: 'other', text: 'Hello', request_id: id }), 409, 'conflict');
  assert.deepEqual((await status(gA.url, id)).json, before.json);
  assert.equal(callsA.filter((c) => c === id).length, 1);
});

test('52. (D) a /messages client that disconnects does not cancel its run (running or queued)', async () => {
  const bus = recordBus(gD.gw);
  try {
    const session = uniq('s52');
    const [r1, r2] = [uniq('r1'), uniq('r2')];
    // r1's client leaves while r1 runs, r2's while r2 is queued behind it
    await requestThenDisconnect(gD.url, { from: 'alice', session_id: session, text: 'a b c d', request_id: r1 }, r1, 'running');
    await requestThenDisconnect(gD.url, { from: 'alice', session_id: session, text: 'q', request_id: r2 }, r2, 'queued');
    assert.equal((await status(gD.url, r1)).json.state, 'running', 'r1 still runs after its client left');

    const s1 = await pollStatus(gD.url, r1, inState('completed', 'cancelled', 'failed'), 'finished');
    assert.equal(s1.json.state, 'completed');
    assert.equal(s1.json.reply, 'Echo: a b c d');
    const s2 = await pollStatus(gD.url, r2, inState('completed', 'cancelled', 'failed'), 'finished');
    assert.equal(s2.json.state, 'completed', 'a queued request whose client left still runs');
    assert.equal(s2.json.reply, 'Echo: q');
    assert.equal(bus.indexOf('run.cancelled', r1), -1);
    assert.equal(bus.indexOf('run.cancelled', r2), -1);
  } finally {
    bus.stop();
  }
});

/**
 * Sends `/messages` over a fresh connection and destroys the connection once status shows the run in
 * `state`, i.e. before the gateway has answered.
 */
async function requestThenDisconnect(base: string, body: unknown, id: string, state: string): Promise<void> {
  const payload = JSON.stringify(body);
  const url = new URL(`${base}${P}/messages`);
  const req = http.request({
    host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false,
    headers: { 'Content-Length': Buffer.byteLength(payload) },
  });
  let answered = false;
  req.on('response', () => { answered = true; });
  req.on('error', () => {});
  req.end(payload);
  await pollStatus(base, id, inState(state), state);
  assert.equal(answered, false, 'the client leaves before the answer');
  req.destroy();
}

test('53. status of a finished run is 404 once pushed out by the count limit or older than the retention time', async (t) => {
  await t.test('count limit (run-retention-max 2): oldest finished evicted first', async () => {
    const g = await startTestGateway({ runRetentionMax: 2 });
    try {
      const ids = [uniq('c1'), uniq('c2'), uniq('c3')];
      for (const id of ids) {
        assert.equal((await post(g.url, `${P}/messages`, { from: 'alice', text: 'x', request_id: id })).status, 200);
      }
      assertErrorBody(await status(g.url, ids[0]), 404, 'not_found');
      assert.equal((await status(g.url, ids[1])).json.state, 'completed');
      assert.equal((await status(g.url, ids[2])).json.state, 'completed');
      // an evicted id is unknown: cancel says false, and re-sending it runs again
      assert.deepEqual((await post(g.url, `${P}/cancel`, { request_id: ids[0] })).json, { canceled: false });
    } finally {
      await g.close();
    }
  });

  await t.test('count limit never evicts a running run (run-retention-max 1, D)', async () => {
    const g = await startTestGateway({ runRetentionMax: 1, mockDelayMs: 200 });
    try {
      const live = uniq('live');
      const p = post(g.url, `${P}/messages`, { from: 'alice', text: 'a b c d e f g h', request_id: live });
      await pollStatus(g.url, live, inState('running'), 'running');
      const [f1, f2] = [uniq('f1'), uniq('f2')];
      for (const id of [f1, f2]) {
        assert.equal((await post(g.url, `${P}/messages`, { from: uniq('bob'), text: 'x', request_id: id })).status, 200);
      }
      assertErrorBody(await status(g.url, f1), 404, 'not_found');
      assert.equal((await status(g.url, f2)).json.state, 'completed');
      assert.equal((await status(g.url, live)).json.state, 'running');
      await post(g.url, `${P}/cancel`, { request_id: live });
      await p;
    } finally {
      await g.close();
    }
  });

  await t.test('retention time (run-retention-ms 1000)', async () => {
    const g = await startTestGateway({ runRetentionMs: 1000 });
    try {
      const id = uniq('t1');
      assert.equal((await post(g.url, `${P}/messages`, { from: 'alice', text: 'x', request_id: id })).status, 200);
      assert.equal((await status(g.url, id)).json.state, 'completed', 'kept right after it finished');
      const gone = await pollStatus(g.url, id, (a) => a.status === 404, '404 after the retention time');
      assertErrorBody(gone, 404, 'not_found');
    } finally {
      await g.close();
    }
  });
});

test('D4. a cancelled request_id may be re-sent: it starts a new run and replaces the record', async () => {
  const session = uniq('sD4');
  const [r1, r2] = [uniq('r1'), uniq('r2')];
  const p1 = post(gD.url, `${P}/messages`, { from: 'a', session_id: session, text: 'a b c d e f', request_id: r1 });
  await pollStatus(gD.url, r1, inState('running'), 'running');
  const p2 = post(gD.url, `${P}/messages`, { from: 'a', session_id: session, text: 'q', request_id: r2 });
  await pollStatus(gD.url, r2, inState('queued'), 'queued');
  await post(gD.url, `${P}/cancel`, { request_id: r2 });
  await post(gD.url, `${P}/cancel`, { request_id: r1 });
  await Promise.all([p1, p2]);
  const again = await post(gD.url, `${P}/messages`, { from: 'a', session_id: session, text: 'q', request_id: r2 });
  assert.deepEqual(again.json, { session_id: session, request_id: r2, reply: 'Echo: q' });
  const s = await status(gD.url, r2);
  assert.equal(s.json.state, 'completed');
  assert.equal(s.json.reply, 'Echo: q');
});
