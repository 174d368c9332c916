import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { assertBuilt, killAll, tempDir } from '../helpers/cli.js';
import { startCliGatewayOn } from '../helpers/cli-gateway.js';
import { GUARD_MS, uniq } from '../helpers/ws-client.js';
import { until } from '../helpers/wait.js';

// Issue 16, acceptance 2 — group commit loses nothing it acknowledged. The built CLI gateway (build first:
// `npm run build`) gets a burst of 1 000 messages on POST /v1/gateway/messages:stream (its 200 is sent once
// the accept is durable: the acknowledgement), every tenth sent twice at once with the same request_id; it is
// SIGKILLed in the middle of the burst and restarted on the same --state-dir. Every acknowledged request_id
// must end completed with its reply, and no request_id may have two runs (journal rows are one per id) or two
// replies or user messages in its transcript. Bounded in count (1 000 messages, 48 in flight) and by the
// guards of the polls; nothing waits for a fixed time.

const TOKEN = 'group-commit-crash-test-secret-0123456789abcdef';
const auth = { Authorization: `Bearer ${TOKEN}` };
const N = 1_000;
const SESSIONS = 250;
const IN_FLIGHT = 48;
/** The gateway is killed once this many messages were acknowledged (the burst is then in full swing). */
const KILL_AFTER = 300;
const SLOW_MS = GUARD_MS * 6;

before(() => assertBuilt());
after(() => killAll());

const start = (stateDir: string) => startCliGatewayOn(stateDir, TOKEN, ['--log-level', 'info', '--mock-delay-ms', '1'], SLOW_MS);

async function status(url: string, id: string): Promise<{ code: number; body: any }> {
  const res = await fetch(`${url}/v1/gateway/status?request_id=${encodeURIComponent(id)}`, { headers: auth });
  return { code: res.status, body: await res.json() };
}

test('SIGKILL during a burst of 1 000 accepted messages: every acknowledged message is recovered, none twice', { timeout: SLOW_MS * 4 }, async () => {
  const stateDir = tempDir('clawgate-group-crash-');
  const prefix = uniq('gc');
  const ids = Array.from({ length: N }, (_, i) => `${prefix}-${i}`);
  const sessionOf = (i: number) => `${prefix}-s${i % SESSIONS}`;
  let gw = await start(stateDir);
  const url = gw.url;

  const acked = new Set<string>();
  const statuses = new Map<number, number>();
  let killed = false;
  const send = async (i: number): Promise<void> => {
    const res = await fetch(`${url}/v1/gateway/messages:stream`, {
      method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ session_id: sessionOf(i), request_id: ids[i], user_id: 'u1', text: `m${i}` }),
    }).catch(() => undefined);
    if (!res) return; // the gateway died first: not acknowledged
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 200 && res.status < 300) acked.add(ids[i]);
    await res.body?.cancel().catch(() => undefined);
    if (!killed && acked.size >= KILL_AFTER) {
      killed = true;
      gw.proc.kill('SIGKILL');
    }
  };
  let next = 0;
  const worker = async () => {
    while (!killed && next < N) {
      const i = next++;
      // every tenth message twice at once: one run at most, whatever each copy is answered
      await (i % 10 === 0 ? Promise.all([send(i), send(i)]) : send(i));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  assert.equal(killed, true, `the burst reached ${KILL_AFTER} acknowledgements (statuses: ${JSON.stringify([...statuses])})`);
  assert.equal((await gw.proc.exit(GUARD_MS)).signal, 'SIGKILL');
  assert.ok(next < N, 'killed in the middle of the burst');
  const sent = next;

  gw = await start(stateDir);
  const finished = new Map<string, any>();
  await until(async () => {
    for (const id of acked) {
      if (finished.has(id)) continue;
      const s = await status(gw.url, id);
      assert.equal(s.code, 200, `acknowledged ${id} is known after the restart: ${JSON.stringify(s.body)}`);
      if (s.body.state === 'completed' || s.body.state === 'failed' || s.body.state === 'cancelled') finished.set(id, s.body);
    }
    return finished.size === acked.size;
  }, 'every acknowledged message finished after the restart', SLOW_MS, 20);
  for (const id of acked) {
    const body = finished.get(id);
    assert.equal(body.state, 'completed', `${id}: ${JSON.stringify(body)}`);
    assert.equal(body.reply, `Echo: m${ids.indexOf(id)}`);
  }
  gw.proc.kill('SIGTERM');
  await gw.proc.exit(SLOW_MS);

  const db = new Database(join(stateDir, 'clawgate.db'), { readonly: true });
  try {
    const journal = db.prepare('SELECT run_id, state FROM journal').all() as Array<{ run_id: string; state: string }>;
    const journaled = new Set(journal.map((r) => r.run_id));
    for (const id of acked) assert.ok(journaled.has(id), `${id} is journaled`);
    for (const r of journal) assert.ok(ids.indexOf(r.run_id) < sent, `${r.run_id} was sent`);
    const twice = db.prepare(`SELECT session_key, idempotency_key, count(*) AS n FROM messages
      WHERE idempotency_key LIKE ? GROUP BY session_key, idempotency_key HAVING n > 1`).all(`${prefix}-%`);
    assert.deepEqual(twice, [], 'no reply or user message twice');
    const replies = db.prepare(`SELECT idempotency_key AS id, session_key AS s, text FROM messages WHERE role = 'assistant' AND idempotency_key LIKE ?`)
      .all(`${prefix}-%`) as Array<{ id: string; s: string; text: string }>;
    const replied = new Map(replies.map((r) => [r.id, r]));
    for (const id of acked) {
      const i = ids.indexOf(id);
      assert.deepEqual(replied.get(id), { id, s: sessionOf(i), text: `Echo: m${i}` }, `${id}: its one reply, in its session`);
    }
  } finally {
    db.close();
  }
});
