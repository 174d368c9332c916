import { Inbox } from '../cluster/inbox.js';
import { Ownership } from '../cluster/ownership.js';
import { requestAbortRunning, requestCancel, requestStopSession } from '../cluster/remote-cancel.js';
import { type LiveSession, requestLive, requestReset, type SessionResetAnswer } from '../cluster/session-requests.js';
import { RunStatuses } from '../cluster/run-status.js';
import type { Cluster } from '../cluster/start-cluster.js';
import { type ClusterMembers, OWNED_LISTED } from '../core/cluster-status.js';
import type { Logger } from '../core/log.js';
import type { TranscriptMessage } from '../core/transcript.js';
import type { QueueMode } from '../core/queue-mode.js';
import { ClusterAcceptor } from './cluster-accept.js';
import { liveSession, mirrorTranscripts, resetInCluster } from './cluster-history.js';
import { ClusterRunFollower, recordOfStatus } from './cluster-follow.js';
import { abortRunning, ClusterRunOwner, stopSession } from './cluster-owner.js';
import type { RunLifecycle } from './run-lifecycle.js';
import { TERMINAL, type RunRecord, type RunRegistry } from './run-registry.js';
import type { SessionRegistry, SubmitRequest, SubmitResult } from './session-registry.js';

// Cluster mode's session ownership on a running gateway, put together once the actors exist (the composition
// root imports this file lazily, with --nats-url only): the inbox, the run status records, the owner of this
// instance's sessions (ClusterRunOwner, the session registry's side), the acceptor every surface's accept goes
// through, the follower that lets a surface here wait for a run that runs on another instance, and the
// sessions' history in the cluster (cluster-history.ts) with what only a session's owner can say about it.

/** What the surfaces and the shutdown use of cluster ownership. */
export interface ClusterNode {
  /**
   * Inbound's grouped accept in cluster mode: journal the message in the inbox and follow its run wherever it
   * runs; an accepted or replayed one has `settled`, its record once it has ended.
   */
  accept(req: SubmitRequest): Promise<SubmitResult & { settled?: Promise<RunRecord> }>;
  follower: ClusterRunFollower;
  ownership: Ownership;
  owner: ClusterRunOwner;
  /** A run's record: this instance's when it runs here, else the cluster's status record. */
  record(runId: string): Promise<RunRecord | undefined>;
  /** Cancel a run wherever it runs (asks its session's owner); true when it was queued or running. */
  cancel(runId: string): Promise<boolean>;
  /**
   * Abort the running run of `sessionKey` wherever it runs (chat.abort without a runId): here when its actor
   * runs here, else on its owner. The run ids aborted; none when nothing runs or nobody owns the session.
   */
  abortRunning(sessionKey: string): Promise<string[]>;
  /**
   * A channel's /stop from any instance: cancel the session's running turn and its waiting messages where
   * they are (here when its actor is here, else on its owner). The run ids cancelled; none when nothing was
   * live or nobody owns the session. Rejects when NATS or the owner cannot answer.
   */
  stopSession(sessionKey: string): Promise<string[]>;
  /**
   * The session's live state (running run, waiting messages) as its owner sees it (a channel's /status):
   * here when this instance owns it or has its actor, else asked of its owner; nobody owns it: nothing runs.
   */
  live(sessionKey: string): Promise<LiveSession>;
  /**
   * chat.history from any instance: a page of the session's transcript in the cluster, and its live state
   * (running run, waiting messages) from its owner — asked in parallel; nobody owns it: nothing runs.
   */
  history(sessionKey: string, page: { limit?: number; offset?: number }): Promise<{ messages: TranscriptMessage[]; total: number; live: LiveSession }>;
  /**
   * sessions.reset (and a channel's /new) from any instance: on the session's owner, or here when nobody owns
   * it; `key` names the marker, so a reset asked again with it resets once (resetInCluster). Undefined when
   * the session exists nowhere.
   */
  resetSession(sessionKey: string, key?: string): Promise<SessionResetAnswer | undefined>;
  /** For `status`: the sessions this instance owns and the other instances seen, from the lease bucket. */
  members(): Promise<ClusterMembers>;
  /** Claim nothing more, and leave queued messages in the inbox for the next owner (before the drain). */
  beginShutdown(): void;
  /** Give every owned session up and stop following (after the drain). */
  close(): Promise<void>;
}

/** Opens the inbox and the run status bucket and starts owning sessions; see the file comment. */
export async function startClusterNode(deps: {
  cluster: Cluster; sessions: SessionRegistry; runs: RunRegistry; lifecycle: RunLifecycle; log: Logger;
  leaseTtlMs: number; runRetentionMs: number; policy: 'rerun' | 'fail';
  /** The session queue bound and default queue mode (the session registry's), enforced cluster-wide at accept. */
  maxQueue: number; queueMode?: QueueMode;
}): Promise<ClusterNode> {
  const { cluster, sessions, runs, lifecycle, log } = deps;
  const { nc, instanceId } = cluster.link;
  const bus = cluster.bus;
  const inbox = await Inbox.open(nc, { instanceId });
  const statuses = await RunStatuses.open(nc, { instanceId, retentionMs: deps.runRetentionMs });
  const history = cluster.transcripts;
  const stopMirror = mirrorTranscripts(bus, history, log.child({ component: 'cluster-history' }));
  const owner = new ClusterRunOwner({ bus, sessions, runs, lifecycle, statuses, history, log: log.child({ component: 'cluster-owner' }) });
  const ownership = await Ownership.open(nc, { instanceId, ttlMs: deps.leaseTtlMs, policy: deps.policy, inbox, statuses, handler: owner });
  const acceptor = new ClusterAcceptor({ inbox, statuses, ownership, owner, maxQueue: deps.maxQueue, queueMode: deps.queueMode });
  const follower = new ClusterRunFollower({ bus, statuses });
  const live = async (sessionKey: string): Promise<LiveSession> => {
    if (ownership.owns(sessionKey) || sessions.inspect(sessionKey) !== undefined) return liveSession(sessions, runs, sessionKey);
    const there = await requestLive(nc, { instanceId, sessionKey });
    return there === 'no-owner' ? { running: null, queued: [] } : there;
  };
  return {
    follower, ownership, owner,
    async accept(req) {
      const { runId } = req;
      if (req.detached) {
        const result = await acceptor.accept({ ...req, listener: undefined });
        if (result.kind === 'conflict' || result.kind === 'full') return result;
        return { kind: result.kind, record: recordOfStatus(result.status) };
      }
      // followed before it is journaled: its first event may come from another instance at any moment after;
      // the listener is the follower's (the owner's expect() would only see it when the run is here)
      const follow = follower.follow(runId, req.input.sessionKey, req.listener);
      let result: Awaited<ReturnType<typeof acceptor.accept>>;
      try {
        result = await acceptor.accept({ ...req, listener: undefined });
      } catch (err) {
        follow.stop();
        throw err;
      }
      if (result.kind === 'accepted') return { kind: 'accepted', record: recordOfStatus(result.status), settled: follow.settled };
      follow.stop();
      if (result.kind === 'conflict' || result.kind === 'full') return result;
      const record = recordOfStatus(result.status);
      return { kind: 'replay', record, settled: Promise.resolve(record) };
    },
    async record(runId) {
      const local = runs.get(runId);
      if (local) return local;
      const status = await statuses.get(runId);
      return status ? recordOfStatus(status) : undefined;
    },
    async cancel(runId) {
      if (sessions.cancel(runId)) return true;
      const status = await statuses.get(runId);
      if (!status || TERMINAL.has(status.state)) return false;
      return (await requestCancel(nc, { instanceId, sessionKey: status.sessionKey, runId })) === 'cancelled';
    },
    async abortRunning(sessionKey) {
      const here = abortRunning(sessions, sessionKey);
      if (here.length > 0 || ownership.owns(sessionKey)) return here;
      const there = await requestAbortRunning(nc, { instanceId, sessionKey });
      return there === 'no-owner' ? [] : there;
    },
    async stopSession(sessionKey) {
      const here = stopSession(sessions, sessionKey);
      if (here.length > 0 || ownership.owns(sessionKey)) return here;
      const there = await requestStopSession(nc, { instanceId, sessionKey });
      return there === 'no-owner' ? [] : there;
    },
    live,
    async history(sessionKey, page) {
      const [messages, state] = await Promise.all([history.messages(sessionKey, page), live(sessionKey)]);
      return { ...messages, live: state };
    },
    async resetSession(sessionKey, key) {
      const resetHere = () => resetInCluster({ sessions, history }, sessionKey, key);
      if (ownership.owns(sessionKey)) return resetHere();
      const there = await requestReset(nc, { instanceId, sessionKey, ...(key ? { key } : {}) });
      if (there === 'no-owner') return resetHere();
      return there === 'not-found' ? undefined : there;
    },
    async members() {
      const owned: string[] = [];
      const others = new Map<string, number>();
      for (const [key, owner] of await ownership.owners()) {
        if (owner === instanceId) owned.push(key);
        else others.set(owner, (others.get(owner) ?? 0) + 1);
      }
      owned.sort();
      const instances = [...others].map(([id, n]) => ({ id, sessions: n })).sort((x, y) => x.id.localeCompare(y.id));
      return { ownedCount: owned.length, owned: owned.slice(0, OWNED_LISTED), instances };
    },
    beginShutdown() {
      ownership.stopClaiming();
      owner.beginShutdown();
    },
    async close() {
      follower.close();
      await owner.endsWritten();
      stopMirror();
      await ownership.close();
      owner.close();
    },
  };
}
