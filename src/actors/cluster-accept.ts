import type { Inbox } from '../cluster/inbox.js';
import type { Ownership } from '../cluster/ownership.js';
import type { RunStatus, RunStatuses } from '../cluster/run-status.js';
import type { QueueMode } from '../core/queue-mode.js';
import type { ClusterRunOwner } from './cluster-owner.js';
import { DEFAULT_MAX_QUEUE, type SubmitRequest } from './session-registry.js';

// Cluster mode, the accepting side: what SessionRegistry.acceptGrouped is in one process, for a message that
// may run on another instance. The run id decides first, from the cluster's run status: a completed id in the
// same session is replayed, a queued or running one refused. Then the message is journaled in the inbox
// (durable once the PubAck is back: only then may the surface acknowledge) and recorded `queued` — a new id
// journaled first, a failed / cancelled one sent again recorded first (see accept) — so that two instances
// accepting the same id at once cannot both win, and its session claimed if nobody owns it. A surface's listener is attached when the message is delivered
// here; `here: false` says another instance owns the session, so its events come from there (the cluster bus).
//
// The session's queue bound (429 queue_full in one process) is checked here, before anything is journaled,
// since the owner submits what its inbox delivers unbounded: the session's unfinished messages in the inbox,
// less the one that may be running, are what waits. They are counted in parallel with the status read, so the
// bound costs no extra round trip in sequence. Two accepts at the same moment on two instances may both pass
// it (each counted before the other's append): the bound is exact within one instance, and overshoots by at
// most the accepts racing it across instances.
// Only types are imported from src/cluster, so loading this file loads no NATS client.

/** The outcome of accepting a message in cluster mode. */
export type ClusterAcceptResult =
  /** Journaled; `here`: this instance owns the session (the listener will see the run). */
  | { kind: 'accepted'; status: RunStatus; here: boolean }
  /** A completed run with this id in the same session: answer from its status, run nothing. */
  | { kind: 'replay'; status: RunStatus }
  | { kind: 'conflict'; message: string }
  /** The session already has `queued` messages waiting (the bound is `max`): refused, nothing journaled. */
  | { kind: 'full'; message: string; queued: number; max: number };

/** Accepts messages into the cluster's inbox; see the file comment. */
export class ClusterAcceptor {
  constructor(private readonly deps: {
    inbox: Pick<Inbox, 'append' | 'unfinished'>; statuses: RunStatuses; ownership: Pick<Ownership, 'claim'>; owner: ClusterRunOwner; now?: () => number;
    /** Messages that may wait behind a session's running run (the session registry's bound; default 100). */
    maxQueue?: number;
    /** The default queue mode (an `interrupt` message is never refused by the bound). */
    queueMode?: QueueMode;
  }) {}

  /**
   * Check the id, record and journal the message, claim its session if free. Resolves once the message is
   * durable; rejects (NATS unreachable) with nothing journaled.
   */
  async accept(req: SubmitRequest): Promise<ClusterAcceptResult> {
    const { statuses, inbox, ownership, owner } = this.deps;
    const { runId, input } = req;
    const sessionKey = input.sessionKey;
    const bounded = !req.unbounded && (req.mode ?? this.deps.queueMode ?? 'followup') !== 'interrupt';
    const [{ status: prior, revision }, unfinished] = await Promise.all([
      statuses.getWithRevision(runId), bounded ? inbox.unfinished(sessionKey) : 0,
    ]);
    if (prior?.state === 'queued' || prior?.state === 'running') return { kind: 'conflict', message: `request_id "${runId}" is already queued or running` };
    // a platform's delivery id that failed or was cancelled: delivered again, never run again
    if (prior && prior.state !== 'completed' && req.noRetry) return { kind: 'conflict', message: `message "${runId}" was accepted before (${prior.state})` };
    if (prior?.state === 'completed') {
      return prior.sessionKey === sessionKey
        ? { kind: 'replay', status: prior }
        : { kind: 'conflict', message: `request_id "${runId}" was already used by another session` };
    }
    // the id checks come first, as in one process; then the bound (one of the unfinished may be running)
    const max = this.deps.maxQueue ?? DEFAULT_MAX_QUEUE;
    const queued = Math.max(0, unfinished - 1);
    if (queued >= max) return { kind: 'full', queued, max, message: `session ${sessionKey} has ${queued} queued runs (max ${max})` };
    const queuedAt = req.queuedAt ?? (this.deps.now ?? Date.now)();
    const entry = { runId, origin: req.origin, input, queuedAt, ...(req.mode ? { mode: req.mode } : {}) };
    if (req.listener) owner.expect(runId, req.listener);
    let status: RunStatus;
    let claiming: Promise<boolean> | undefined;
    if (prior === undefined) {
      // a new id: journaled first, then recorded. An instance dying between the two leaves a message without
      // a record, which its next owner runs (never started); the other order would leave a `queued` record of
      // a message nobody has, and the id refused as live when the caller, cut off, sends it again elsewhere.
      // Two instances accepting the id at once: the inbox takes it once (the other append is a duplicate).
      const appended = await inbox.append(entry).catch((err: Error) => {
        owner.unexpect(runId);
        throw err;
      });
      if (appended.duplicate) return this.sentMomentsAgo(runId);
      // the claim need not wait for the record: an owner may have the message delivered before it anyway
      // (another instance owning the session already), which is why the record is written by revision
      claiming = ownership.claim(sessionKey).catch(() => false);
      // by revision: never over a step its owner (which may have had it delivered already) wrote meanwhile
      const written = await statuses.writeAccepted({ runId, sessionKey, state: 'queued', queuedAt }, 0).catch(() => undefined);
      // (the owner wrote first: this acceptance is still answered as what it was, a queued run)
      status = written?.status ?? { runId, sessionKey, state: 'queued', queuedAt, recoveries: 0, owner: (await statuses.get(runId).catch(() => undefined))?.owner ?? '', updatedAt: queuedAt };
    } else {
      // a failed or cancelled id sent again: recorded `queued` first (by revision, so of two instances doing
      // it at once only one wins), since an owner delivered the message over the old record would take it
      // as settled and run nothing
      const written = await statuses.writeAccepted({ runId, sessionKey, state: 'queued', queuedAt }, revision);
      if (written === undefined) {
        owner.unexpect(runId);
        return { kind: 'conflict', message: `request_id "${runId}" is already queued or running` };
      }
      const undo = async (): Promise<void> => {
        owner.unexpect(runId);
        await statuses.undoAccepted(runId, written.revision, prior).catch(() => {});
      };
      let appended: { duplicate: boolean };
      try {
        appended = await inbox.append(entry);
      } catch (err) {
        await undo();
        throw err;
      }
      if (appended.duplicate) {
        // the inbox still remembers this id from its dedupe window: the earlier message is the one that
        // counts, and its record is put back
        await undo();
        return this.sentMomentsAgo(runId);
      }
      status = written.status;
    }
    // journaled: accepted whatever happens next; a claim that fails (NATS gone at this moment) leaves the
    // session to whoever claims it next (a sweep finds it)
    const here = await (claiming ?? ownership.claim(sessionKey).catch(() => false));
    if (!here) owner.unexpect(runId);
    return { kind: 'accepted', status, here };
  }

  private sentMomentsAgo(runId: string): ClusterAcceptResult {
    this.deps.owner.unexpect(runId);
    return { kind: 'conflict', message: `request_id "${runId}" was sent moments ago; send it again later or with a new id` };
  }
}
