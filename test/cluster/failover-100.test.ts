import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunStatus } from '../../src/cluster/run-status.js';
import { RUNS_BUCKET, sessionToken } from '../../src/cluster/subjects.js';
import { assertBuilt, killAll } from '../helpers/cli.js';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { completedRuns, runStatus, sendMessage, startClusterGateways, words } from '../helpers/cluster-gateways.js';
import { uniq } from '../helpers/ids.js';
import type { JsonAnswer } from '../helpers/json-http.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { sleep, until, within } from '../helpers/wait.js';

// Issue 17, acceptance 4, on real processes: 100 messages for six sessions, sent through three gateways, and
// the instance owning most of the sessions SIGKILLed in the middle. Every message that was answered, and every
// one whose call the kill cut off and that was sent again (same request id) to another instance, ends
// completed or failed with a reason, exactly once: the test listens to every instance's run events on NATS
// and counts each run's starts and ends, and reads each run's status record (its recovery count). The runs in
// flight on the dead instance end within the lease TTL + 5 s, and its sessions take new messages afterwards.

/** Lease TTL (and sweep period) of the three gateways. */
const TTL_MS = 2_000;
/** The mock streams one word per DELAY_MS; a message is WORDS words (so it runs about 160 ms). */
const DELAY_MS = 20;
const WORDS = 8;
const SESSIONS = 6;
const MESSAGES = 100;

interface Sent {
  id: string;
  session: string;
  text: string;
  /** Its first call's answer, or the error that cut it off. */
  first?: JsonAnswer | Error;
  /** The answer to the same id sent again to a surviving instance, for a cut-off call. */
  retry?: JsonAnswer;
}

describe('failover over 100 messages: the owner of most sessions SIGKILLed in the middle', () => {
  let nats: NatsServer;
  let gw: Record<'a' | 'b' | 'c', CliGateway>;
  let nc: NatsConnection;
  /** Per run id: how many run.started and how many run ends (completed / failed / cancelled) the cluster published. */
  const starts = new Map<string, number>();
  const ends = new Map<string, string[]>();

  before(async () => {
    assertBuilt();
    nats = await startNatsServer();
    gw = await startClusterGateways(nats.url, TTL_MS, DELAY_MS);
    nc = await connect({ servers: nats.url });
    const count = (subject: string, on: (runId: string, kind: string) => void) => {
      const sub = nc.subscribe(subject);
      void (async () => {
        for await (const m of sub) on((m.json() as { runId: string }).runId, m.subject.split('.')[3]);
      })();
    };
    count('clawgate.events.run.started.*', (id) => starts.set(id, (starts.get(id) ?? 0) + 1));
    for (const end of ['completed', 'failed', 'cancelled']) {
      count(`clawgate.events.run.${end}.*`, (id, kind) => ends.set(id, [...(ends.get(id) ?? []), kind]));
    }
    await nc.flush();
  });
  after(async () => {
    await killAll();
    await nc?.close();
    await nats?.stop();
  });

  test('every accepted message ends once, none lost, the in-flight ones within TTL + 5 s; the sessions go on', { timeout: 60_000 }, async () => {
    const kv = await new Kvm(nc).open(RUNS_BUCKET);
    const record = async (id: string): Promise<RunStatus | undefined> => {
      const e = await kv.get(sessionToken(id));
      return e && e.operation === 'PUT' ? (e.json() as RunStatus) : undefined;
    };
    const sessions = Array.from({ length: SESSIONS }, () => uniq('fo'));
    // A owns four sessions, B and C one each: the first message of a session is accepted by its first owner
    const firstOwner = [gw.a, gw.a, gw.a, gw.a, gw.b, gw.c];
    const msgs: Sent[] = Array.from({ length: MESSAGES }, (_, i) => ({
      id: uniq(`m${i}`), session: sessions[i % SESSIONS], text: `${i} ${words(WORDS)}`,
    }));
    const first = await Promise.all(msgs.slice(0, SESSIONS).map((m, i) => sendMessage(firstOwner[i], m.session, m.id, m.text)));
    first.forEach((r, i) => { msgs[i].first = r; assert.equal(r.status, 200, JSON.stringify(r.json)); });

    // the next 90, spread over the three instances, a few ms apart, all in flight together; a call the kill cuts
    // off (no answer) is sent again at once, same id, to B or C. The last 4 are sent to A once it is dead.
    const deliver = async (m: Sent, g: CliGateway, k: number): Promise<void> => {
      m.first = await sendMessage(g, m.session, m.id, m.text).catch((err: Error) => err);
      if (m.first instanceof Error) m.retry = await sendMessage(k % 2 ? gw.b : gw.c, m.session, m.id, m.text);
    };
    const via = (i: number) => [gw.a, gw.b, gw.c][Math.floor(i / SESSIONS) % 3];
    const late = msgs.slice(MESSAGES - 4);
    const calls = msgs.slice(SESSIONS, MESSAGES - 4).map(async (m, k) => {
      await sleep(k * 10);
      await deliver(m, via(SESSIONS + k), k);
    });
    const answered = () => msgs.filter((m) => m.first && !(m.first instanceof Error)).length;
    await until(() => answered() >= 35, '35 messages to be answered', 30_000, 10);

    // a snapshot of the run records just before the kill: what A had completed stays its answer
    const beforeKill = new Map(await Promise.all(msgs.map(async (m) => [m.id, await record(m.id)] as const)));
    const doneOnA = msgs.filter((m) => beforeKill.get(m.id)?.state === 'completed' && beforeKill.get(m.id)?.owner === 'gw-a');
    gw.a.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await gw.a.proc.exit(10_000).catch(() => {});
    // the runs in flight are those still running on A once it is dead: one running in the snapshot may have
    // completed in the few ms before the kill (a flake once). Nobody takes A's sessions before its leases
    // expire (TTL), so what A wrote last is what the records say now
    await sleep(100);
    const atKill = new Map(await Promise.all(msgs.map(async (m) => [m.id, await record(m.id)] as const)));
    const inFlight = msgs.filter((m) => atKill.get(m.id)?.state === 'running' && atKill.get(m.id)?.owner === 'gw-a');
    assert.ok(inFlight.length > 0, 'A was running something when it died');
    calls.push(...late.map((m, k) => deliver(m, gw.a, k)));

    // the runs in flight on A end within the TTL + 5 s (a sweep takes their sessions once A's leases expire)
    const endsBy = killedAt + TTL_MS + 5_000;
    await until(async () => {
      const states = await Promise.all(inFlight.map(async (m) => (await record(m.id))?.state));
      return states.every((s) => s === 'completed' || s === 'failed');
    }, 'the runs in flight on A to end on another instance', TTL_MS + 15_000, 50);
    assert.ok(Date.now() <= endsBy + 200, `the in-flight runs ended ${Date.now() - killedAt} ms after the kill (TTL ${TTL_MS} ms + 5 s)`);

    // every call returns (bounded)
    await within(Promise.all(calls), 'every call to return', 30_000);
    const cut = msgs.filter((m) => m.first instanceof Error);
    assert.ok(cut.length > late.length, 'some calls to A were cut off by the kill');
    for (const m of cut) {
      // run now (it never reached the inbox), replayed (it had completed), or refused while it is still queued
      // or running, or while the inbox remembers it (it did reach the inbox: it runs, once, as checked below)
      const refused = m.retry!.status === 409 && /already queued or running|sent moments ago/.test(m.retry!.json?.error?.message);
      assert.ok(m.retry!.status === 200 || refused, `${m.id}: retry answered ${m.retry!.status} ${JSON.stringify(m.retry!.json)}`);
    }
    for (const m of msgs) {
      if (!(m.first instanceof Error)) assert.equal(m.first!.status, 200, `${m.id}: ${JSON.stringify(m.first!.json)}`);
    }

    // none lost: every message ends, on every surviving instance's view
    await until(async () => {
      const states = await Promise.all(msgs.map(async (m) => (await record(m.id))?.state));
      return states.every((s) => s === 'completed' || s === 'failed');
    }, 'every message to end', 30_000, 100);
    for (const m of msgs) {
      for (const g of [gw.b, gw.c]) {
        const s = (await runStatus(g, m.id)).json;
        if (s.state === 'completed') assert.equal(s.reply, `Echo: ${m.text}`, m.id);
        else assert.ok(s.state === 'failed' && s.error?.message, `${m.id} on ${g.url}: ${JSON.stringify(s)}`);
      }
      const answer = m.retry ?? (m.first as JsonAnswer);
      if (answer.status === 200) assert.equal(answer.json.reply, `Echo: ${m.text}`, `${m.id} answered the reply`);
    }

    // exactly once: one end per run; started once, or twice when a new owner reran it (the rerun-once rule)
    await sleep(200); // the last events are on their way from the server
    const executions = async () => {
      for (const m of msgs) {
        const r = (await record(m.id))!;
        assert.ok(r.recoveries <= 1, `${m.id} recovered ${r.recoveries} times`);
        assert.deepEqual(ends.get(m.id)?.length, 1, `${m.id} ended ${JSON.stringify(ends.get(m.id))}`);
        const started = starts.get(m.id) ?? 0;
        assert.ok(started >= 1 && started <= 1 + r.recoveries, `${m.id} started ${started} times with ${r.recoveries} recoveries`);
        if (r.recoveries > 0) assert.ok(inFlight.some((f) => f.id === m.id) || beforeKill.get(m.id)?.state !== 'completed', `${m.id} rerun`);
      }
    };
    await executions();
    // the runs A was in the middle of were run once more by their new owner (`--recovery rerun`, the default)
    for (const m of inFlight) assert.deepEqual([(await record(m.id))?.recoveries, starts.get(m.id)], [1, 2], `${m.id} rerun once`);
    // what A had completed stays A's answer: never run again elsewhere
    for (const m of doneOnA) assert.deepEqual(await record(m.id), beforeKill.get(m.id), `${m.id} completed on A`);

    // replays from the survivors run nothing again
    const runsBefore = await Promise.all([gw.b, gw.c].map(completedRuns));
    await Promise.all(msgs.map(async (m, k) => {
      const r = await sendMessage(k % 2 ? gw.b : gw.c, m.session, m.id, m.text);
      const rec = (await record(m.id))!;
      if (rec.state === 'completed') assert.deepEqual([r.status, r.json.reply], [200, `Echo: ${m.text}`], `${m.id} replayed`);
    }));
    await executions();
    assert.deepEqual(await Promise.all([gw.b, gw.c].map(completedRuns)), runsBefore, 'no replay ran anything');

    // A's sessions take new messages, through B and C
    for (const [k, session] of sessions.slice(0, 4).entries()) {
      const next = await within(sendMessage(k % 2 ? gw.b : gw.c, session, uniq('next'), 'after the failover'), 'the next reply', 15_000);
      assert.deepEqual([next.status, next.json.reply], [200, 'Echo: after the failover']);
    }
  });
});
