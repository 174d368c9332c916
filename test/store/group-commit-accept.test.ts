import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLocalBus } from '../../src/core/local-bus.js';
import type { RunInput, Runner } from '../../src/core/run.js';
import { RunLifecycle } from '../../src/actors/run-lifecycle.js';
import { RunRegistry } from '../../src/actors/run-registry.js';
import { SessionRegistry } from '../../src/actors/session-registry.js';
import { createRunExecutor } from '../../src/actors/run-executor.js';
import { createMockRunner } from '../../src/agent/mock.js';
import { openDb } from '../../src/store/db.js';
import { RunLedger } from '../../src/store/run-ledger.js';
import { SqliteTranscriptStore } from '../../src/store/transcripts-sqlite.js';

// Accepts through the group commit queue, on the real ledger and registries: the accepts of one tick share one
// transaction and each caller hears back only once it committed; an id whose accept is still queued is not
// accepted twice; the queue bound counts queued accepts; a session's messages keep their order; a synchronous
// ledger step never overtakes a queued accept.

const dirs: string[] = [];
const registries: SessionRegistry[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
afterEach(() => { for (const s of registries.splice(0)) s.stopAll(); });

function setup(opts: { maxQueue?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-accept-grouped-'));
  dirs.push(dir);
  const db = openDb(dir);
  const reader = new Database(join(dir, 'clawgate.db'), { readonly: true });
  const transcripts = new SqliteTranscriptStore(db);
  const ledger = new RunLedger(db, transcripts, { retentionMs: 60_000 });
  const bus = createLocalBus();
  const runs = new RunRegistry(bus, { retentionMs: 60_000, retentionMax: 1_000 });
  const lifecycle = new RunLifecycle({ bus, ledger });
  const inner = createMockRunner();
  const ran: string[] = [];
  const runner: Runner = { run(input, signal) { ran.push(input.runId); return inner.run(input, signal); } };
  const sessions: SessionRegistry = new SessionRegistry({
    lifecycle, runs, idleMs: 60_000, maxQueue: opts.maxQueue,
    executeRun: createRunExecutor({ runner, lifecycle, abortReason: (id) => sessions.abortReason(id) }),
  });
  registries.push(sessions);
  const req = (runId: string, sessionKey: string) => ({ runId, origin: { surface: 'http' as const }, input: { runId, sessionKey, text: `m ${runId}`, parts: [] } satisfies RunInput });
  const journal = () => (reader.prepare('SELECT run_id FROM journal ORDER BY seq').all() as Array<{ run_id: string }>).map((r) => r.run_id);
  return { ledger, lifecycle, bus, reader, runs, sessions, ran, req, journal };
}

test('accepts of one tick: nothing is journaled before their shared commit, each resolves after it, and a session keeps their order', async () => {
  const h = setup();
  const a = h.sessions.submitGrouped(h.req('a', 's1'));
  const b = h.sessions.submitGrouped(h.req('b', 's1'));
  const c = h.sessions.submitGrouped(h.req('c', 's2'));
  assert.deepEqual(h.journal(), [], 'not yet committed');
  assert.equal(h.runs.get('a'), undefined, 'not known before it is durable');
  const results = await Promise.all([a, b, c]);
  assert.deepEqual(results.map((r) => r.kind), ['accepted', 'accepted', 'accepted']);
  assert.deepEqual(h.journal(), ['a', 'b', 'c'], 'durable, in acceptance order, when the callers hear back');
  const done = await Promise.all(['a', 'b', 'c'].map((id) => h.runs.settled(id)));
  assert.deepEqual(done.map((r) => r.state), ['completed', 'completed', 'completed']);
  assert.deepEqual(h.ran.filter((id) => id !== 'c'), ['a', 'b'], 'one session: in the order accepted');
  assert.ok(done[0].finishedAt! <= done[1].startedAt!, 'b ran after a');
});

test('an id whose accept is still queued is a conflict: one journal entry, one run', async () => {
  const h = setup();
  const first = h.sessions.submitGrouped(h.req('dup', 's1'));
  const again = h.sessions.submitGrouped(h.req('dup', 's1'));
  const sync = h.sessions.accept(h.req('dup', 's1'));
  assert.equal(sync.kind, 'conflict');
  assert.equal((await again).kind, 'conflict');
  assert.equal((await first).kind, 'accepted');
  assert.equal((await h.runs.settled('dup')).state, 'completed');
  assert.deepEqual(h.journal(), ['dup']);
  assert.deepEqual(h.ran, ['dup']);
  // afterwards the completed id is replayed, as before
  assert.equal((await h.sessions.submitGrouped(h.req('dup', 's1'))).kind, 'replay');
});

test('the queue bound counts accepts still waiting for their commit', async () => {
  const h = setup({ maxQueue: 1 });
  const a = h.sessions.acceptGrouped(h.req('a', 's1'));
  const b = h.sessions.acceptGrouped(h.req('b', 's1'));
  assert.equal((await b).kind, 'full', 'a is queued (not started): the session has no room');
  assert.equal((await a).kind, 'accepted');
  assert.deepEqual(h.journal(), ['a']);
});

test('a synchronous ledger step commits the queued accepts first (journal order = call order)', async () => {
  const h = setup();
  const queued = h.ledger.acceptedGrouped({ runId: 'q', sessionKey: 's', surface: 'http', origin: { surface: 'http' }, text: 'q', at: 1 });
  h.ledger.accepted({ runId: 'now', sessionKey: 's', surface: 'http', origin: { surface: 'http' }, text: 'now', at: 2 });
  assert.deepEqual(h.journal(), ['q', 'now']);
  await queued;
});

test('completions of one tick share one commit; run.completed is published only once the reply is durable', async () => {
  const h = setup();
  const reader = h.reader;
  const durableAtPublish: boolean[] = [];
  h.bus.subscribe('run.completed', (e) => {
    const row = reader.prepare('SELECT state FROM journal WHERE run_id = ?').get(e.runId) as { state: string } | undefined;
    const reply = reader.prepare("SELECT 1 FROM messages WHERE idempotency_key = ? AND role = 'assistant'").get(e.runId);
    durableAtPublish.push(row?.state === 'completed' && reply !== undefined);
  });
  for (const [id, key] of [['x', 's1'], ['y', 's2']]) {
    h.ledger.accepted({ runId: id, sessionKey: key, surface: 'http', origin: { surface: 'http' }, text: id, at: 1 });
    h.ledger.started({ runId: id, sessionKey: key }, 2, id);
  }
  const x = h.lifecycle.completedGrouped({ runId: 'x', sessionKey: 's1', at: 3, reply: 'rx' });
  const y = h.lifecycle.completedGrouped({ runId: 'y', sessionKey: 's2', at: 3, reply: 'ry' });
  const state = () => (reader.prepare("SELECT run_id FROM journal WHERE state = 'completed' ORDER BY run_id").all() as Array<{ run_id: string }>).map((r) => r.run_id);
  assert.deepEqual(state(), [], 'queued, not yet committed');
  await Promise.all([x, y]);
  assert.deepEqual(state(), ['x', 'y']);
  assert.deepEqual(durableAtPublish, [true, true]);
});

test('starts of one tick share one commit; run.started and the user message are published only once durable, and before any output', async () => {
  const h = setup();
  const reader = h.reader;
  const events: string[] = [];
  const durableAtPublish: boolean[] = [];
  h.bus.subscribe('run.started', (e) => {
    events.push(`started ${e.runId}`);
    const row = reader.prepare('SELECT state FROM journal WHERE run_id = ?').get(e.runId) as { state: string } | undefined;
    const user = reader.prepare("SELECT 1 FROM messages WHERE idempotency_key = ? AND role = 'user'").get(`${e.runId}:user`);
    durableAtPublish.push(row?.state === 'running' && user !== undefined);
  });
  h.bus.subscribe('session.message', (e) => { events.push(`message ${e.message.runId} ${e.message.role}`); });
  h.bus.subscribe('run.delta', (e) => { events.push(`delta ${e.runId}`); });
  for (const [id, key] of [['x', 's1'], ['y', 's2']]) assert.equal(h.sessions.accept(h.req(id, key)).kind, 'accepted');
  for (const id of ['x', 'y']) assert.equal(h.sessions.start(id), true);
  const running = () => (reader.prepare("SELECT run_id FROM journal WHERE state = 'running' ORDER BY run_id").all() as Array<{ run_id: string }>).map((r) => r.run_id);
  assert.deepEqual(running(), [], 'handed to their sessions, the starts are queued, not yet committed');
  assert.equal(h.runs.get('x')?.state, 'queued', 'not running in memory before the record is durable');
  assert.deepEqual(h.ran, [], 'the runner waits for the start to be durable');
  const done = await Promise.all(['x', 'y'].map((id) => h.runs.settled(id)));
  assert.deepEqual(done.map((r) => r.state), ['completed', 'completed']);
  assert.deepEqual(durableAtPublish, [true, true]);
  for (const id of ['x', 'y']) {
    const mine = events.filter((e) => e.split(' ')[1] === id);
    assert.deepEqual(mine.slice(0, 3), [`started ${id}`, `message ${id} user`, `delta ${id}`], `${id}: told of the start first`);
  }
});

test('a cancel between a queued start and its commit: recorded and published after the start, and the runner never runs', async () => {
  const h = setup();
  const events: string[] = [];
  for (const name of ['run.queued', 'run.started', 'run.cancelled', 'run.completed'] as const) {
    h.bus.subscribe(name, (e) => { events.push(`${name} ${e.runId}`); });
  }
  assert.equal(h.sessions.submit(h.req('c', 's1')).kind, 'accepted');
  assert.equal(h.sessions.cancel('c'), true, 'its start is queued: the run is cancelled');
  // the cancel is a synchronous step: it committed the queued start first, and told of it first
  assert.deepEqual(events, ['run.queued c', 'run.started c', 'run.cancelled c']);
  const row = h.reader.prepare('SELECT state, started_at, finished_at FROM journal WHERE run_id = ?').get('c') as { state: string; started_at: number | null; finished_at: number | null };
  assert.equal(row.state, 'cancelled');
  assert.ok(row.started_at !== null && row.finished_at !== null && row.started_at <= row.finished_at);
  assert.equal((await h.runs.settled('c')).state, 'cancelled');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(h.ran, [], 'the runner was never called');
  assert.deepEqual(events, ['run.queued c', 'run.started c', 'run.cancelled c'], 'nothing after the cancel');
});
