import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schedule } from '../../src/store/storage-health.js';
import { WriteFaults } from '../../src/store/write-faults.js';
import { getJson, readSse, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gatedRunner } from '../helpers/gated-runner.js';
import { assertErrorBody, inState, messageBody as msg, P, pollStatus, post, status } from '../helpers/http-plane.js';
import { RawSocket, uniq, within, type Frame } from '../helpers/ws-client.js';

// Issue 6, item 2: a full disk. Writes fail through the store's seam (WriteFaults: every write throws a
// better-sqlite3 SqliteError with code SQLITE_FULL or SQLITE_IOERR_WRITE, as SQLite does on a full or failing
// disk). A refused message leaves no trace (507 insufficient_storage / WS UNAVAILABLE retryable, /status 404);
// a run whose later writes fail ends `failed` and its client gets an answer; /readyz says `storage` until a
// write commits or the probe (fired by hand here) succeeds; the same request_id / idempotencyKey then runs.
// Messages starting with "hold" wait for release(runId), so "the session is busy" never depends on timing.

/** The storage probe's timer, fired by the test. */
function manualProbes() {
  const due = new Set<() => void>();
  const schedule: Schedule = (fn) => {
    due.add(fn);
    return () => due.delete(fn);
  };
  return {
    schedule,
    get pending() { return due.size; },
    fire() {
      const fns = [...due];
      due.clear();
      for (const fn of fns) fn();
    },
  };
}

describe('a full disk (writes failing through the store seam)', () => {
  let tg: TestGateway;
  let ws: RawSocket;
  const faults = new WriteFaults();
  const probes = manualProbes();
  const gate = gatedRunner();

  before(async () => {
    tg = await startTestGateway({}, { runner: gate.runner, storage: { faults, schedule: probes.schedule } });
    ws = await RawSocket.connect(tg.url, {}, 'ws');
  });
  after(async () => {
    faults.heal();
    await ws?.close();
    await tg?.close();
  });

  const readyz = () => getJson(`${tg.url}/readyz`);
  /** POST a message; bounded, so a request that never answers fails the test instead of hanging it. */
  const send = (path: string, body: unknown) => within(post(tg.url, path, body), `the answer to POST ${path}`);
  const assertFull = (message: string, code = 'SQLITE_FULL') => {
    assert.match(message, /^disk full or failing: cannot write to the state dir /);
    assert.ok(message.includes(tg.config.stateDir), `names the state dir: ${message}`);
    assert.ok(message.includes(code), `names the code: ${message}`);
  };
  const assertUnavailable = (f: Frame, code = 'SQLITE_FULL') => {
    assert.equal(f.ok, false, JSON.stringify(f));
    assert.equal(f.error.code, 'UNAVAILABLE');
    assert.equal(f.error.retryable, true);
    assert.deepEqual(f.error.details, { reason: 'insufficient_storage' });
    assertFull(f.error.message, code);
  };
  /** The final `res` of an `agent` call (the one after its ack). */
  const agentFinal = (ack: Frame) =>
    ws.log.waitFor((f) => f.type === 'res' && f.id === ack.id && f.payload?.status !== 'accepted', `final res of ${ack.id}`);

  test('HTTP /messages and /messages:stream: 507 and no trace while writes fail; /readyz 503 until the probe; the same request_id then runs', async () => {
    const s = uniq('s-http');
    const [id, streamId] = [uniq('m'), uniq('st')];
    faults.fail('SQLITE_FULL');
    const refused = await send(`${P}/messages`, msg(s, 'hello disk', id));
    assertErrorBody(refused, 507, 'insufficient_storage');
    assertFull(refused.json.error.message);
    const refusedStream = await send(`${P}/messages:stream`, msg(s, 'hello stream', streamId));
    assertErrorBody(refusedStream, 507, 'insufficient_storage');
    // nothing was recorded: no ghost run, so no 409 on a retry later
    assert.equal((await status(tg.url, id)).status, 404);
    assert.equal((await status(tg.url, streamId)).status, 404);
    assert.equal(tg.gw.transcripts.session(s), undefined);

    let ready = await readyz();
    assert.equal(ready.status, 503);
    assert.deepEqual([ready.json.ready, ready.json.failing], [false, ['storage']]);
    // a probe while the disk is still full: still failing, and exactly one probe waits for its turn
    assert.equal(probes.pending, 1);
    probes.fire();
    assert.equal(probes.pending, 1);
    assert.equal((await readyz()).status, 503);
    // space is back: the next probe finds out by itself (no message needed)
    faults.heal();
    probes.fire();
    assert.equal(probes.pending, 0);
    ready = await readyz();
    assert.equal(ready.status, 200);
    assert.deepEqual([ready.json.ready, ready.json.failing], [true, []]);

    const again = await send(`${P}/messages`, msg(s, 'hello disk', id));
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(again.json.reply, 'Echo: hello disk');
    assert.equal((await status(tg.url, id)).json.state, 'completed');
    const { events } = await within(fetch(`${tg.url}${P}/messages:stream`, { method: 'POST', body: JSON.stringify(msg(s, 'hello stream', streamId)) })
      .then((res) => readSse(res)), 'the retried stream');
    assert.deepEqual(events.map((e) => e.event).slice(-2), ['message.completed', 'run.completed']);
    assert.equal(events.at(-2)!.data.reply, 'Echo: hello stream');
  });

  test('WS chat.send and agent: UNAVAILABLE retryable while writes fail (SQLITE_IOERR_WRITE); a write that commits clears /readyz; the same keys then run', async () => {
    const sessionKey = `agent:main:${uniq('disk')}`;
    const [chatKey, agentKey] = [uniq('chat'), uniq('agent')];
    faults.fail('SQLITE_IOERR_WRITE');
    assertUnavailable(await ws.request('chat.send', { sessionKey, message: 'hi chat', idempotencyKey: chatKey }), 'SQLITE_IOERR_WRITE');
    assertUnavailable(await ws.request('agent', { sessionKey, message: 'hi agent', idempotencyKey: agentKey }), 'SQLITE_IOERR_WRITE');
    assert.equal((await status(tg.url, chatKey)).status, 404);
    assert.equal((await status(tg.url, agentKey)).status, 404);
    assert.deepEqual((await readyz()).json.failing, ['storage']);

    faults.heal();
    const ack = await ws.request('chat.send', { sessionKey, message: 'hi chat', idempotencyKey: chatKey });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal(ack.payload.status, 'started');
    // that message's journal write committed: ready again without a probe, and the probe is cancelled
    assert.equal((await readyz()).status, 200);
    assert.equal(probes.pending, 0);
    assert.equal((await within(tg.gw.runs.settled(chatKey), 'the chat run')).reply, 'Echo: hi chat');
    const agentAck = await ws.request('agent', { sessionKey, message: 'hi agent', idempotencyKey: agentKey });
    assert.equal(agentAck.payload.status, 'accepted');
    const final = await agentFinal(agentAck);
    assert.equal(final.ok, true, JSON.stringify(final));
    assert.equal(final.payload.result.payloads[0].text, 'Echo: hi agent');
  });

  test('writes failing after acceptance: the running and the queued runs end failed, every client gets its answer, retries run', async () => {
    const s = uniq('s-after');
    const [idA, idB, keyC, keyD] = [uniq('a'), uniq('b'), uniq('c'), uniq('d')];
    const answerA = post(tg.url, `${P}/messages`, msg(s, 'hold A', idA));
    await pollStatus(tg.url, idA, inState('running'), 'running');
    const streamB = fetch(`${tg.url}${P}/messages:stream`, { method: 'POST', body: JSON.stringify(msg(s, 'queued B', idB)) })
      .then((res) => readSse(res));
    await pollStatus(tg.url, idB, inState('queued'), 'queued');
    const ackC = await ws.request('agent', { sessionKey: s, message: 'queued C', idempotencyKey: keyC });
    assert.equal(ackC.payload.status, 'accepted');
    const ackD = await ws.request('chat.send', { sessionKey: s, message: 'queued D', idempotencyKey: keyD });
    assert.equal(ackD.payload.status, 'started');

    faults.fail('SQLITE_FULL');
    gate.release(idA); // A's reply cannot be written; B, C and D cannot even start
    const a = await within(answerA, 'the answer to A');
    assertErrorBody(a, 507, 'insufficient_storage');
    assertFull(a.json.error.message);
    const b = await within(streamB, 'the end of stream B');
    assert.deepEqual(b.events.map((e) => e.event), ['run.error']);
    assert.equal(b.events[0].data.error.type, 'insufficient_storage');
    assertUnavailable(await within(agentFinal(ackC), 'the final res of C'));
    const chatError = await ws.log.waitForEvent('chat', (p) => p.runId === keyD && p.state === 'error');
    assertFull(chatError.payload.errorMessage);
    for (const id of [idA, idB, keyC, keyD]) {
      const st = await status(tg.url, id);
      assert.equal(st.json.state, 'failed', `${id}: ${JSON.stringify(st.json)}`);
      assert.equal(st.json.error.type, 'insufficient_storage');
    }
    assert.deepEqual((await readyz()).json.failing, ['storage']);

    faults.heal();
    const retryA = await send(`${P}/messages`, msg(s, 'again A', idA));
    assert.equal(retryA.status, 200, JSON.stringify(retryA.json));
    assert.equal(retryA.json.reply, 'Echo: again A');
    assert.equal((await readyz()).status, 200);
    const retryC = await ws.request('agent', { sessionKey: s, message: 'queued C', idempotencyKey: keyC });
    assert.equal(retryC.payload.status, 'accepted', JSON.stringify(retryC));
    assert.equal((await agentFinal(retryC)).payload.result.payloads[0].text, 'Echo: queued C');
    const retryD = await ws.request('chat.send', { sessionKey: s, message: 'queued D', idempotencyKey: keyD });
    assert.equal(retryD.payload.status, 'started', JSON.stringify(retryD));
    assert.equal((await within(tg.gw.runs.settled(keyD), 'the retried D')).reply, 'Echo: queued D');
  });

  test('only the transcript append fails: the accepted run ends failed with the storage error, and a retry runs', async () => {
    const s = uniq('s-transcript');
    const id = uniq('t');
    faults.fail('SQLITE_FULL', { match: /INTO messages/ });
    const a = await send(`${P}/messages`, msg(s, 'no room for me', id));
    assertErrorBody(a, 507, 'insufficient_storage');
    const st = await status(tg.url, id);
    assert.deepEqual([st.json.state, st.json.error.type], ['failed', 'insufficient_storage']);
    assert.equal(tg.gw.transcripts.byIdempotencyKey(s, `${id}:user`), undefined);
    faults.heal();
    const again = await send(`${P}/messages`, msg(s, 'no room for me', id));
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.deepEqual(tg.gw.transcripts.messages(s).messages.map((m) => m.idempotencyKey), [`${id}:user`, id]);
    assert.equal((await readyz()).status, 200);
  });
});
