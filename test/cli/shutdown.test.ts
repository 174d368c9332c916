import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBuilt, killAll, tempDir } from '../helpers/cli.js';
import { startCliGatewayOn, type CliGateway } from '../helpers/cli-gateway.js';
import { GUARD_MS, uniq } from '../helpers/ws-client.js';
import { until } from '../helpers/wait.js';
import { openDb } from '../../src/store/db.js';
import { SqliteTranscriptStore } from '../../src/store/transcripts-sqlite.js';
import { RunLedger, type JournalEntry } from '../../src/store/run-ledger.js';

// Issue 8 acceptance 3 — a shutdown keeps its word. The real CLI gateway gets SIGINT while a slow run is in
// flight and another message waits behind it: the running run either finishes within --shutdown-grace-ms or
// is recorded `cancelled` (reason shutdown); either way a restart does not run it again, while the queued
// message (journaled `queued`, its queued_at kept) runs once after the restart. Build first (npm run build).

const TOKEN = 'shutdown-test-secret-0123456789abcdefghij';
const auth = { Authorization: `Bearer ${TOKEN}` };
const SLOW_MS = GUARD_MS * 3;

before(() => assertBuilt());
after(() => killAll());

const start = (stateDir: string, extra: string[]) => startCliGatewayOn(stateDir, TOKEN, ['--log-level', 'info', ...extra], SLOW_MS);

function send(url: string, session: string, id: string, text: string): Promise<Response> {
  return fetch(`${url}/v1/gateway/messages`, {
    method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ session_id: session, request_id: id, user_id: 'u1', text }),
  });
}

async function state(url: string, id: string): Promise<string | undefined> {
  const res = await fetch(`${url}/v1/gateway/status?request_id=${encodeURIComponent(id)}`, { headers: auth });
  return res.status === 200 ? ((await res.json()) as { state: string }).state : undefined;
}

/** The journal and transcript of a stopped gateway's state dir. */
function readState(stateDir: string, ids: string[], session: string) {
  const db = openDb(stateDir, {});
  try {
    const transcripts = new SqliteTranscriptStore(db);
    const ledger = new RunLedger(db, transcripts, { retentionMs: 3_600_000 });
    const journal = new Map<string, JournalEntry | undefined>(ids.map((id) => [id, ledger.get(id)]));
    const replies = (id: string) => (transcripts.byIdempotencyKey(session, id) ? 1 : 0);
    return { journal, replies: new Map(ids.map((id) => [id, replies(id)])) };
  } finally {
    db.close();
  }
}

/** Two messages to one session: the first running (slow mock), the second queued behind it. */
async function runningAndQueued(gw: CliGateway, session: string, running: string, queued: string): Promise<void> {
  void send(gw.url, session, running, 'first message').then((r) => r.text()).catch(() => undefined);
  await until(async () => (await state(gw.url, running)) === 'running', `${running} is running`, SLOW_MS, 20);
  void send(gw.url, session, queued, 'second message').then((r) => r.text()).catch(() => undefined);
  await until(async () => (await state(gw.url, queued)) === 'queued', `${queued} is queued`, SLOW_MS, 20);
}

/** Restart on the same state dir, wait for the queued message to complete, stop; returns what was journaled. */
async function restartAndSettle(stateDir: string, session: string, ids: string[], queued: string) {
  const gw = await start(stateDir, ['--mock-delay-ms', '0']);
  await until(async () => (await state(gw.url, queued)) === 'completed', `${queued} runs after the restart`, SLOW_MS, 20);
  gw.proc.kill('SIGTERM');
  assert.equal((await gw.proc.exit(SLOW_MS)).code, 0);
  return readState(stateDir, ids, session);
}

describe('SIGINT drains (real CLI gateway)', () => {
  test('a run still going after the grace period is recorded cancelled (shutdown) and not re-run; the queued one runs once after restart', async () => {
    const stateDir = tempDir();
    const session = uniq('drain-cancel');
    const [slow, waiting] = [uniq('slow'), uniq('waiting')];
    // one word per 60 s: the run cannot finish within the 50 ms grace period
    const gw = await start(stateDir, ['--mock-delay-ms', '60000', '--shutdown-grace-ms', '50']);
    await runningAndQueued(gw, session, slow, waiting);
    gw.proc.kill('SIGINT');
    const out = await gw.proc.exit(SLOW_MS);
    assert.equal(out.code, 0, out.stderr);

    const before = readState(stateDir, [slow, waiting], session);
    assert.equal(before.journal.get(slow)?.state, 'cancelled');
    assert.equal(before.journal.get(slow)?.error?.type, 'shutdown');
    assert.equal(before.journal.get(waiting)?.state, 'queued', 'the never-started message stays journaled');
    const queuedAt = before.journal.get(waiting)!.queuedAt;

    const afterRestart = await restartAndSettle(stateDir, session, [slow, waiting], waiting);
    assert.equal(afterRestart.journal.get(slow)?.state, 'cancelled', 'not run again');
    assert.equal(afterRestart.replies.get(slow), 0);
    assert.equal(afterRestart.journal.get(waiting)?.state, 'completed');
    assert.equal(afterRestart.journal.get(waiting)?.queuedAt, queuedAt, 'recovery keeps queued_at');
    assert.equal(afterRestart.journal.get(waiting)?.recoveries, 1, 'run once after the restart');
    assert.equal(afterRestart.replies.get(waiting), 1);
  });

  test('a run that ends within the grace period completes; new messages meanwhile get 503 "gateway shutting down"', async () => {
    const stateDir = tempDir();
    const session = uniq('drain-complete');
    const [slow, waiting, late] = [uniq('slow'), uniq('waiting'), uniq('late')];
    // the grace period is a bound, not a wait: the run (3 words, 1.5 s each) ends well within it
    const gw = await start(stateDir, ['--mock-delay-ms', '1500', '--shutdown-grace-ms', String(SLOW_MS)]);
    await runningAndQueued(gw, session, slow, waiting);
    gw.proc.kill('SIGINT');
    await until(async () => (await fetch(`${gw.url}/readyz`).catch(() => undefined))?.status !== 200, '/readyz says draining', SLOW_MS, 5);
    const refused = await send(gw.url, session, late, 'too late');
    assert.equal(refused.status, 503);
    assert.deepEqual(((await refused.json()) as { error: unknown }).error, { type: 'unavailable', message: 'gateway shutting down' });
    const out = await gw.proc.exit(SLOW_MS);
    assert.equal(out.code, 0, out.stderr);

    const before = readState(stateDir, [slow, waiting, late], session);
    assert.equal(before.journal.get(slow)?.state, 'completed', 'finished within the grace period');
    assert.equal(before.replies.get(slow), 1);
    assert.equal(before.journal.get(waiting)?.state, 'queued');
    assert.equal(before.journal.get(late), undefined, 'the refused message was not recorded');

    const afterRestart = await restartAndSettle(stateDir, session, [slow, waiting], waiting);
    assert.equal(afterRestart.replies.get(slow), 1, 'not answered twice');
    assert.equal(afterRestart.replies.get(waiting), 1);
  });
});
