import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertBuilt, killAll } from '../helpers/cli.js';
import type { CliGateway } from '../helpers/cli-gateway.js';
import { completedRuns, runStatus as status, sendMessage as send, startClusterGateways, words } from '../helpers/cluster-gateways.js';
import { uniq } from '../helpers/ids.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until, within } from '../helpers/wait.js';

// Issue 17, acceptance 4 with `--recovery fail` (runners whose side effects must not repeat), on real
// processes: when the owner dies in the middle of a run, another instance takes the session and FAILS that
// run with a reason instead of running it again; a message still queued behind it (never started) runs; the
// session takes new messages. ownership-gateways.test.ts covers the default policy (`rerun`).

const TTL_MS = 2_000;

// bounded: a hang (a promise that never settles) fails this file instead of stalling the suite
describe('failover with --recovery fail', { timeout: 300_000 }, () => {
  let nats: NatsServer;
  let gw: Record<'a' | 'b' | 'c', CliGateway>;

  before(async () => {
    assertBuilt();
    nats = await startNatsServer();
    gw = await startClusterGateways(nats.url, TTL_MS, 50, ['--recovery', 'fail']);
  });
  after(async () => {
    await killAll();
    await nats?.stop();
  });

  test('A dies mid-run: another instance fails the run with a reason (not run again), runs the queued one, and the session goes on', async () => {
    const session = uniq('owned');
    const running = uniq('req');
    const queued = uniq('req');
    const first = send(gw.a, session, running, words(60)).catch((err: Error) => err);
    await until(async () => (await status(gw.c, running)).json?.state === 'running', 'C to see the run running', 15_000, 20);
    // a second message for the same session, through B: it waits behind the running one on A
    const second = send(gw.b, session, queued, 'queued behind').catch((err: Error) => err);
    await until(async () => (await status(gw.c, queued)).json?.state === 'queued', 'the second message queued', 15_000, 20);
    const completedBefore = await Promise.all([gw.b, gw.c].map(completedRuns));

    gw.a.proc.kill('SIGKILL');
    await gw.a.proc.exit(10_000).catch(() => {});
    assert.ok((await first) instanceof Error, 'A\'s caller was cut off');

    // within the TTL A's lease expires; the new owner fails the interrupted run, with a reason
    await until(async () => (await status(gw.c, running)).json?.state === 'failed', 'the interrupted run to be failed', TTL_MS + 5_000 + 10_000, 50);
    const failed = (await status(gw.b, running)).json;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.reply, undefined, 'no reply: it was not run again');
    assert.match(String(failed.error?.message), /interrupted: the instance running it was lost/);

    // the queued message, never started, runs once on the new owner and B's caller gets its reply
    const queuedReply = await within(second, 'the queued message\'s reply', 20_000);
    assert.ok(!(queuedReply instanceof Error), `B's caller answered: ${String(queuedReply)}`);
    assert.deepEqual([queuedReply.status, queuedReply.json.reply], [200, 'Echo: queued behind']);
    const completedAfter = await Promise.all([gw.b, gw.c].map(completedRuns));
    assert.equal(completedAfter[0] - completedBefore[0] + completedAfter[1] - completedBefore[1], 1, 'only the queued message completed: the interrupted one was not rerun');

    // the session takes new messages; the failed run's id stays failed
    const next = await within(send(gw.c, session, uniq('req'), 'after the failover'), 'the next reply', 15_000);
    assert.deepEqual([next.status, next.json.reply], [200, 'Echo: after the failover']);
    assert.equal((await status(gw.c, running)).json.state, 'failed');
  });
});
