import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { ClusterAcceptor } from '../../src/actors/cluster-accept.js';
import { ClusterRunOwner } from '../../src/actors/cluster-owner.js';
import { createRunExecutor } from '../../src/actors/run-executor.js';
import { RunRegistry } from '../../src/actors/run-registry.js';
import { SessionRegistry } from '../../src/actors/session-registry.js';
import { Inbox, type InboxEntry } from '../../src/cluster/inbox.js';
import { Ownership } from '../../src/cluster/ownership.js';
import { ClusterTranscripts } from '../../src/cluster/transcripts.js';
import { RunStatuses } from '../../src/cluster/run-status.js';
import type { BusEvents } from '../../src/core/bus.js';
import { createLocalBus } from '../../src/core/local-bus.js';
import { gatedRunner } from './gated-runner.js';
import { unrecordedLifecycle } from './no-ledger.js';

// One gateway "instance" of cluster mode without its surfaces, for the actors' cluster tests: a NATS
// connection, a local bus, the real run and session registries with a gated mock runner, the inbox, run status,
// ownership (lease TTL `ttlMs`, sweeping every 100 ms) and the owner and acceptor on top.

/** One instance; stop() after the test (they share the inbox stream: a live one would sweep up others' sessions). */
export type ClusterInstance = Awaited<ReturnType<typeof clusterInstance>>;

/** Builds an instance named `id` on the NATS server at `url`; `bucket` names its lease bucket (and `<bucket>-runs`); `idleMs` is the session idle time. */
export async function clusterInstance(url: string, id: string, bucket: string, ttlMs: number, opts: { idleMs?: number } = {}) {
  const nc: NatsConnection = await connect({ servers: url });
  const bus = createLocalBus();
  const events: [keyof BusEvents, string][] = [];
  for (const name of ['run.queued', 'run.started', 'run.completed', 'run.failed', 'run.cancelled'] as const) {
    bus.subscribe(name, (e) => events.push([name, e.runId]));
  }
  const runs = new RunRegistry(bus, { retentionMs: 60_000, retentionMax: 1000 });
  const gated = gatedRunner();
  const lifecycle = unrecordedLifecycle(bus);
  const sessions: SessionRegistry = new SessionRegistry({
    lifecycle, runs, idleMs: opts.idleMs ?? 60_000,
    // as the composition root wires it: a session that went idle is given up, unless a message came meanwhile
    onSessionEnd: (key) => void ownership.releaseIdle(key, () => !owner.busy(key) && !sessions.inspect(key)).catch(() => {}),
    executeRun: createRunExecutor({ runner: gated.runner, lifecycle, abortReason: (runId) => sessions.abortReason(runId) }),
  });
  const inbox = await Inbox.open(nc, { instanceId: id });
  const statuses = await RunStatuses.open(nc, { instanceId: id, retentionMs: 60_000, bucket: `${bucket}-runs` });
  const history = await ClusterTranscripts.open(nc, { instanceId: id });
  const owner = new ClusterRunOwner({ bus, sessions, runs, lifecycle, statuses, history, log: pino({ level: 'silent' }) });
  const ownership = await Ownership.open(nc, { instanceId: id, ttlMs, policy: 'rerun', inbox, statuses, handler: owner, bucket, sweepMs: 100 });
  const acceptor = new ClusterAcceptor({ inbox, statuses, ownership, owner });
  let dead = false;
  return {
    id, nc, inbox, statuses, history, ownership, owner, acceptor, sessions, runs, events, gated,
    async stop(): Promise<void> {
      if (dead) return;
      dead = true;
      await ownership.close();
      owner.close();
      sessions.stopAll();
      await nc.close();
    },
    /** Accept a message here: journal it, then own its session if nobody does. */
    async accept(sessionKey: string, runId: string, text: string): Promise<void> {
      const entry: InboxEntry = { runId, origin: { surface: 'http' }, input: { runId, sessionKey, text, parts: [] }, queuedAt: Date.now() };
      assert.equal((await inbox.append(entry)).duplicate, false);
      await ownership.claim(sessionKey);
    },
    /** What a SIGKILL looks like to the others: no goodbye, no lease released, no ack. */
    async die(): Promise<void> {
      dead = true;
      owner.close();
      await nc.close();
      sessions.stopAll();
      await ownership.close(); // stops its sweeper; nothing can be released over the closed connection
    },
  };
}
