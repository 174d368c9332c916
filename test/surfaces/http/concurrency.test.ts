import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { P, post, recordBus, status, uniq, until, type JsonAnswer } from '../../helpers/http-plane.js';

// Issue acceptance: 50 concurrent `/messages` requests over 5 sessions with the slow mock. Per session the runs
// start and finish strictly in submission order and never two at once; different sessions overlap in time.
// Observed on the gateway's bus (the global order of run events) and cross-checked with /status timestamps.

const SESSIONS = 5;
const PER_SESSION = 10;

let g: TestGateway;

before(async () => {
  g = await startTestGateway({ mockDelayMs: 20 });
});

after(async () => {
  await g?.close();
});

interface LaneEvent {
  name: string;
  runId: string;
  sessionKey: string;
}

/**
 * Checks one session's lane against the order its runs were submitted in: the session's run.started /
 * run.completed events must be exactly started(r0), completed(r0), started(r1), completed(r1), … — which is
 * FIFO (start order = submission order) and one-at-a-time (no start before the previous completion) at once.
 */
function checkLane(events: LaneEvent[], session: string, submitted: string[]): void {
  const lane = events
    .filter((e) => e.sessionKey === session && (e.name === 'run.started' || e.name === 'run.completed'))
    .map((e) => `${e.name === 'run.started' ? 'start' : 'end'} ${e.runId}`);
  const expected = submitted.flatMap((id) => [`start ${id}`, `end ${id}`]);
  assert.deepEqual(lane, expected, `session ${session}: strict FIFO, one run at a time`);
}

/** The largest number of sessions that had a run in progress at the same point of the global event order. */
function maxParallelSessions(events: LaneEvent[]): number {
  const running = new Map<string, number>();
  let max = 0;
  for (const e of events) {
    if (e.name === 'run.started') running.set(e.sessionKey, (running.get(e.sessionKey) ?? 0) + 1);
    else if (e.name === 'run.completed' || e.name === 'run.failed' || e.name === 'run.cancelled') {
      const n = (running.get(e.sessionKey) ?? 0) - 1;
      if (n <= 0) running.delete(e.sessionKey);
      else running.set(e.sessionKey, n);
    }
    max = Math.max(max, running.size);
  }
  return max;
}

/** Every session's busy span (first start → last completion, in event order) intersects another session's. */
function assertEverySessionOverlaps(events: LaneEvent[], sessions: string[]): void {
  const span = (s: string) => {
    const idx = events.flatMap((e, i) => (e.sessionKey === s && (e.name === 'run.started' || e.name === 'run.completed') ? [i] : []));
    return [Math.min(...idx), Math.max(...idx)] as const;
  };
  const spans = sessions.map(span);
  spans.forEach(([a0, a1], i) => {
    const overlaps = spans.some(([b0, b1], j) => j !== i && a0 < b1 && b0 < a1);
    assert.ok(overlaps, `session ${sessions[i]} ran at the same time as another session`);
  });
}

async function assertAnswersAndStatus(answers: Map<string, Promise<JsonAnswer>>, texts: Map<string, string>,
  sessionOf: Map<string, string>): Promise<void> {
  for (const [id, p] of answers) {
    const a = await p;
    assert.equal(a.status, 200, `${id}: ${JSON.stringify(a.json)}`);
    assert.deepEqual(a.json, { session_id: sessionOf.get(id), request_id: id, reply: `Echo: ${texts.get(id)}` });
  }
}

/** /status timestamps agree with the bus: within a session, each run finished before the next one started. */
async function assertStatusTimes(submitted: string[]): Promise<void> {
  const st = await Promise.all(submitted.map(async (id) => (await status(g.url, id)).json));
  for (let i = 0; i < st.length; i++) {
    assert.equal(st[i].state, 'completed');
    if (i > 0) assert.ok(st[i - 1].finished_at <= st[i].started_at, `${submitted[i]} started after ${submitted[i - 1]} finished`);
  }
}

test('concurrency checker self-test: it rejects a LIFO lane, two runs at once, and serialized sessions', () => {
  const ev = (name: string, runId: string, sessionKey = 's') => ({ name, runId, sessionKey });
  const fifo = [ev('run.started', 'a'), ev('run.completed', 'a'), ev('run.started', 'b'), ev('run.completed', 'b'),
    ev('run.started', 'c'), ev('run.completed', 'c')];
  checkLane(fifo, 's', ['a', 'b', 'c']);
  const lifo = [ev('run.started', 'a'), ev('run.completed', 'a'), ev('run.started', 'c'), ev('run.completed', 'c'),
    ev('run.started', 'b'), ev('run.completed', 'b')];
  assert.throws(() => checkLane(lifo, 's', ['a', 'b', 'c']));
  const together = [ev('run.started', 'a'), ev('run.started', 'b'), ev('run.completed', 'a'), ev('run.completed', 'b')];
  assert.throws(() => checkLane(together, 's', ['a', 'b']));
  const serial = [ev('run.started', 'a', 's1'), ev('run.completed', 'a', 's1'), ev('run.started', 'b', 's2'), ev('run.completed', 'b', 's2')];
  assert.equal(maxParallelSessions(serial), 1);
  assert.throws(() => assertEverySessionOverlaps(serial, ['s1', 's2']));
  const parallel = [ev('run.started', 'a', 's1'), ev('run.started', 'b', 's2'), ev('run.completed', 'a', 's1'), ev('run.completed', 'b', 's2')];
  assert.equal(maxParallelSessions(parallel), 2);
  assertEverySessionOverlaps(parallel, ['s1', 's2']);
});

test('acceptance: 50 /messages over 5 sessions, sent in a known order per session → per-session strict FIFO, one at a time; sessions overlap', async () => {
  const bus = recordBus(g.gw);
  try {
    const sessions = Array.from({ length: SESSIONS }, (_, i) => uniq(`lane${i}`));
    const submitted = new Map<string, string[]>(sessions.map((s) => [s, []]));
    const answers = new Map<string, Promise<JsonAnswer>>();
    const texts = new Map<string, string>();
    const sessionOf = new Map<string, string>();

    // Each session sends its requests one after another without awaiting the replies; the next one leaves only
    // once the previous one is admitted (its run.queued is on the bus), so the submission order is known.
    // The five sessions send in parallel.
    await Promise.all(sessions.map(async (session, si) => {
      for (let k = 0; k < PER_SESSION; k++) {
        const id = `${session}-m${k}`;
        const text = `s${si} m${k}`;
        texts.set(id, text);
        sessionOf.set(id, session);
        answers.set(id, post(g.url, `${P}/messages`, { from: `user${si}`, session_id: session, text, request_id: id }));
        submitted.get(session)!.push(id);
        await until(() => bus.indexOf('run.queued', id) >= 0, `${id} admitted`);
      }
    }));
    assert.equal(answers.size, SESSIONS * PER_SESSION);
    await assertAnswersAndStatus(answers, texts, sessionOf);

    for (const s of sessions) {
      // the gateway saw them in the order they were sent
      const queued = bus.events.filter((e) => e.name === 'run.queued' && e.sessionKey === s).map((e) => e.runId);
      assert.deepEqual(queued, submitted.get(s));
      checkLane(bus.events, s, submitted.get(s)!);
      await assertStatusTimes(submitted.get(s)!);
    }
    const maxParallel = maxParallelSessions(bus.events);
    assert.ok(maxParallel >= 2, `sessions ran in parallel (max ${maxParallel} at once)`);
    assertEverySessionOverlaps(bus.events, sessions);
    // 50 runs, nothing else: no failure, no cancellation, each run started and completed exactly once
    const ours = bus.events.filter((e) => sessionOf.has(e.runId));
    assert.equal(ours.filter((e) => e.name === 'run.started').length, 50);
    assert.equal(ours.filter((e) => e.name === 'run.completed').length, 50);
    assert.equal(ours.filter((e) => e.name === 'run.failed' || e.name === 'run.cancelled').length, 0);
  } finally {
    bus.stop();
  }
});

test('acceptance: 50 /messages fired all at once over 5 sessions → each lane runs in its admission order, one at a time', async () => {
  const bus = recordBus(g.gw);
  try {
    const sessions = Array.from({ length: SESSIONS }, (_, i) => uniq(`burst${i}`));
    const answers = new Map<string, Promise<JsonAnswer>>();
    const texts = new Map<string, string>();
    const sessionOf = new Map<string, string>();
    // interleaved: m0 of every session, then m1 of every session, …
    for (let k = 0; k < PER_SESSION; k++) {
      sessions.forEach((session, si) => {
        const id = `${session}-m${k}`;
        const text = `b${si} m${k}`;
        texts.set(id, text);
        sessionOf.set(id, session);
        answers.set(id, post(g.url, `${P}/messages`, { from: `user${si}`, session_id: session, text, request_id: id }));
      });
    }
    await assertAnswersAndStatus(answers, texts, sessionOf);

    for (const s of sessions) {
      // concurrent connections may arrive in any order: the admission order (run.queued) is the submission order
      const admitted = bus.events.filter((e) => e.name === 'run.queued' && e.sessionKey === s).map((e) => e.runId);
      assert.equal(admitted.length, PER_SESSION);
      checkLane(bus.events, s, admitted);
      await assertStatusTimes(admitted);
    }
    assert.ok(maxParallelSessions(bus.events) >= 2, 'sessions ran in parallel');
    assertEverySessionOverlaps(bus.events, sessions);
  } finally {
    bus.stop();
  }
});
