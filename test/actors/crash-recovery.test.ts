import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBuilt, killAll, tempDir } from '../helpers/cli.js';
import { startCliGatewayOn } from '../helpers/cli-gateway.js';
import { adminClient, GUARD_MS, uniq, type TappedClient } from '../helpers/ws-client.js';
import { until } from '../helpers/wait.js';
import { startTestGateway } from '../helpers/gateway.js';
import { openDb } from '../../src/store/db.js';
import { SqliteTranscriptStore } from '../../src/store/transcripts-sqlite.js';
import { RunLedger } from '../../src/store/run-ledger.js';


// Issue acceptance 3 — no accepted message is lost or answered twice across a crash. The real CLI gateway
// (`dist/src/cli/main.js`, build first with `npx tsc -p tsconfig.json`) is SIGKILLed while a queue of five runs
// is being worked through, and restarted on the same --state-dir: every request id ends completed or failed
// with a reason, and the transcript holds each run's reply at most once.

const TOKEN = 'crash-recovery-test-secret-0123456789abcdef';
const auth = { Authorization: `Bearer ${TOKEN}` };

before(() => assertBuilt());
after(() => killAll());

/** The guard of this file's polls (every 20 ms): a CLI gateway restarting and replaying its queue takes a while. */
const SLOW_MS = GUARD_MS * 3;

const start = (stateDir: string, extra: string[] = []) => startCliGatewayOn(stateDir, TOKEN, ['--log-level', 'info', ...extra], SLOW_MS);

async function status(url: string, id: string): Promise<{ code: number; body: any }> {
  const res = await fetch(`${url}/v1/gateway/status?request_id=${encodeURIComponent(id)}`, { headers: auth });
  return { code: res.status, body: await res.json() };
}

async function history(url: string, sessionKey: string): Promise<any[]> {
  let c: TappedClient | undefined;
  try {
    c = await adminClient(url, 'operator', TOKEN);
    const h = await c.request('chat.history', { sessionKey, limit: 1000 });
    return h.messages;
  } finally {
    c?.stop();
  }
}

/** Assistant and user messages per run id (the transcript's idempotency keys are `<runId>` and `<runId>:user`). */
function countByRun(messages: any[]): Map<string, { user: number; assistant: number }> {
  const out = new Map<string, { user: number; assistant: number }>();
  for (const m of messages) {
    const key: string = m.__openclaw.idempotencyKey;
    const runId = key.endsWith(':user') ? key.slice(0, -':user'.length) : key;
    const c = out.get(runId) ?? { user: 0, assistant: 0 };
    c[m.role as 'user' | 'assistant']++;
    out.set(runId, c);
  }
  return out;
}

describe('crash recovery (real CLI gateway, SIGKILL mid-run)', () => {
  test('5 queued messages, SIGKILL during the second run, restart: every id completes or fails with a reason, no reply twice', async () => {
    const stateDir = tempDir();
    const session = uniq('crash');
    const ids = [1, 2, 3, 4, 5].map((i) => uniq(`req${i}`));
    let gw = await start(stateDir, ['--mock-delay-ms', '300']);
    // queued in order, replies not awaited (the connections die with the gateway)
    for (const [i, id] of ids.entries()) {
      void fetch(`${gw.url}/v1/gateway/messages`, {
        method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ session_id: session, request_id: id, user_id: 'u1', text: `m${i + 1}` }),
      }).then((r) => r.text()).catch(() => undefined);
      await until(async () => (await status(gw.url, id)).code === 200, `${id} is accepted`, SLOW_MS, 20);
    }
    await until(async () => (await status(gw.url, ids[1])).body.state === 'running', 'the second run is running', SLOW_MS, 20);
    assert.equal((await status(gw.url, ids[0])).body.state, 'completed');
    assert.equal((await status(gw.url, ids[4])).body.state, 'queued');

    gw.proc.kill('SIGKILL');
    assert.equal((await gw.proc.exit(GUARD_MS)).signal, 'SIGKILL');

    gw = await start(stateDir, ['--mock-delay-ms', '300']);
    const final = new Map<string, any>();
    await until(async () => {
      for (const id of ids) {
        const s = await status(gw.url, id);
        assert.equal(s.code, 200, `${id} is known after the restart: ${JSON.stringify(s.body)}`);
        if (s.body.state === 'completed' || s.body.state === 'failed') final.set(id, s.body);
      }
      return final.size === ids.length;
    }, 'every request id is finished', SLOW_MS, 20);
    for (const [i, id] of ids.entries()) {
      const body = final.get(id);
      if (body.state === 'completed') assert.equal(body.reply, `Echo: m${i + 1}`);
      else assert.ok(typeof body.error?.message === 'string' && body.error.message !== '', `${id} failed with a reason`);
    }
    // default policy (rerun): the interrupted and the queued runs all ran once more
    assert.deepEqual(ids.map((id) => final.get(id).state), ['completed', 'completed', 'completed', 'completed', 'completed']);

    const messages = await history(gw.url, session);
    const counts = countByRun(messages);
    for (const id of ids) assert.deepEqual(counts.get(id), { user: 1, assistant: 1 }, `${id}: one user message and one reply`);
    assert.equal(messages.length, 10);
    // in the original order, each reply right after its message
    assert.deepEqual(messages.map((m) => m.__openclaw.idempotencyKey), ids.flatMap((id) => [`${id}:user`, id]));
    gw.proc.kill('SIGTERM');
    await gw.proc.exit(GUARD_MS);
  });

  test('--recovery fail: the run that was running fails "interrupted by restart", the queued ones still run', async () => {
    const stateDir = tempDir();
    const session = uniq('crash-fail');
    const ids = [1, 2, 3].map((i) => uniq(`req${i}`));
    let gw = await start(stateDir, ['--mock-delay-ms', '300', '--recovery', 'fail']);
    for (const [i, id] of ids.entries()) {
      void fetch(`${gw.url}/v1/gateway/messages`, {
        method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ session_id: session, request_id: id, user_id: 'u1', text: `m${i + 1} long enough to be running still` }), // ~2 s of mock words: the kill lands mid-run even on a busy machine
      }).then((r) => r.text()).catch(() => undefined);
      await until(async () => (await status(gw.url, id)).code === 200, `${id} is accepted`, SLOW_MS, 20);
    }
    await until(async () => (await status(gw.url, ids[0])).body.state === 'running', 'the first run is running', SLOW_MS, 20);
    gw.proc.kill('SIGKILL');
    await gw.proc.exit(GUARD_MS);

    gw = await start(stateDir, ['--mock-delay-ms', '300', '--recovery', 'fail']);
    const first = await status(gw.url, ids[0]);
    assert.equal(first.body.state, 'failed');
    assert.equal(first.body.error.message, 'interrupted by restart');
    await until(async () => {
      const states = await Promise.all(ids.slice(1).map(async (id) => (await status(gw.url, id)).body.state));
      return states.every((s) => s === 'completed');
    }, 'the queued runs completed', SLOW_MS, 20);
    const counts = countByRun(await history(gw.url, session));
    assert.equal(counts.get(ids[0])?.assistant ?? 0, 0);
    for (const id of ids.slice(1)) assert.deepEqual(counts.get(id), { user: 1, assistant: 1 });
    gw.proc.kill('SIGTERM');
    await gw.proc.exit(GUARD_MS);
  });
});

describe('recovery when the crash hit between the reply and the journal update', () => {
  test('a journaled "running" run whose reply is in the transcript is completed from it, not run again', async () => {
    const stateDir = tempDir();
    // the state a crash leaves: the journal says running, the transcript already has the reply
    const db = openDb(stateDir);
    const store = new SqliteTranscriptStore(db);
    const ledger = new RunLedger(db, store, { retentionMs: 600_000 });
    const now = Date.now();
    const http = { surface: 'http', origin: { surface: 'http' } } as const;
    ledger.accepted({ runId: 'r-done', sessionKey: 's', ...http, at: now, text: 'hello' });
    ledger.started({ runId: 'r-done', sessionKey: 's' }, now, 'hello');
    store.append('s', { role: 'assistant', text: 'the one reply', timestamp: now, runId: 'r-done', idempotencyKey: 'r-done' });
    ledger.accepted({ runId: 'r-next', sessionKey: 's', ...http, at: now, text: 'next' });
    db.close();

    const tg = await startTestGateway({ stateDir });
    try {
      const done = tg.gw.runs.get('r-done');
      assert.equal(done?.state, 'completed');
      assert.equal(done?.reply, 'the one reply');
      const next = await tg.gw.runs.settled('r-next');
      assert.equal(next.state, 'completed');
      assert.equal(next.reply, 'Echo: next');
      assert.deepEqual(tg.gw.transcripts.messages('s').messages.map((m) => m.idempotencyKey),
        ['r-done:user', 'r-done', 'r-next:user', 'r-next']);
    } finally {
      await tg.close();
    }
  });
});

describe('graceful shutdown keeps the queue', () => {
  test('close() (grace 0): the running run is recorded cancelled (shutdown) and not re-run; the queued one runs after the next start', async () => {
    const stateDir = tempDir();
    let tg = await startTestGateway({ stateDir, mockDelayMs: 200 });
    const input = (runId: string, text: string) => ({ runId, origin: { surface: 'http' } as const, input: { runId, sessionKey: 's', text, parts: [] } });
    assert.equal(tg.gw.sessions.submit(input('g1', 'one two')).kind, 'accepted');
    assert.equal(tg.gw.sessions.submit(input('g2', 'three')).kind, 'accepted');
    await tg.close();
    tg = await startTestGateway({ stateDir, mockDelayMs: 0 });
    try {
      const [g1, g2] = await Promise.all([tg.gw.runs.settled('g1'), tg.gw.runs.settled('g2')]);
      assert.deepEqual([g1.state, g1.error?.type, g2.state, g2.reply], ['cancelled', 'shutdown', 'completed', 'Echo: three']);
      assert.deepEqual(tg.gw.transcripts.messages('s').messages.map((m) => m.idempotencyKey), ['g1:user', 'g2:user', 'g2']);
    } finally {
      await tg.close();
    }
  });
});
