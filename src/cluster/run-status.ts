import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunErrorInfo } from '../core/bus.js';
import type { Usage } from '../core/run.js';
import { RUNS_BUCKET, sessionToken } from './subjects.js';

// Run status records, readable from every instance: KV bucket `clawgate-runs`, one key per run id, written by
// the session's owner at each lifecycle step (queued, started, checkpoints of the reply, completed / failed /
// cancelled) — not at every streamed delta. `/v1/gateway/status`, request-id replay and `agent.wait` on any
// instance read them; a new owner reads them to apply the recovery rules to runs a dead owner left behind
// (failover.ts). The bucket's max age is the run retention: a record lives that long after its last write.
// Run ids are free text (a client's request_id), so keys are their token (subjects.ts's sessionToken).

/** Where a run is in its life. */
export type RunStatusState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One run's status as the cluster knows it. */
export interface RunStatus {
  runId: string;
  sessionKey: string;
  state: RunStatusState;
  /** The instance that wrote it: the session's owner at the time. */
  owner: string;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** The reply so far at the last checkpoint while running; the final reply once completed. */
  reply?: string;
  error?: RunErrorInfo;
  usage?: Usage;
  /** How many times a new owner ran it again after its owner was lost (failover.ts: at most once). */
  recoveries: number;
  /** When it was written (epoch ms, the writer's clock). */
  updatedAt: number;
}

/** What the owner writes: the record without the fields the table fills in. */
export type RunStatusUpdate = Omit<RunStatus, 'owner' | 'updatedAt' | 'recoveries'> & { recoveries?: number };

/** The run status bucket; see the file comment. */
export class RunStatuses {
  private constructor(private readonly kv: KV, private readonly instanceId: string, private readonly now: () => number) {}

  /** Open (create if needed) the bucket with max age `retentionMs`. */
  static async open(nc: NatsConnection, opts: { instanceId: string; retentionMs: number; bucket?: string; now?: () => number }): Promise<RunStatuses> {
    if (!Number.isInteger(opts.retentionMs) || opts.retentionMs <= 0) throw new Error(`run retention must be a positive integer of ms, got ${opts.retentionMs}`);
    const bucket = opts.bucket ?? RUNS_BUCKET;
    let kv: KV;
    try {
      kv = await new Kvm(nc).create(bucket, { ttl: opts.retentionMs, history: 1 });
    } catch (err) {
      throw new Error(`cannot open the run status bucket ${bucket} with a retention of ${opts.retentionMs} ms (a bucket made with another retention must be deleted, or every instance given the same --run-retention-ms): ${(err as Error).message}`, { cause: err });
    }
    const maxAgeMs = (await kv.status()).ttl;
    if (maxAgeMs !== opts.retentionMs) {
      throw new Error(`the run status bucket ${bucket} keeps records ${maxAgeMs} ms, this instance was given ${opts.retentionMs} ms: every instance must use the same --run-retention-ms`);
    }
    return new RunStatuses(kv, opts.instanceId, opts.now ?? Date.now);
  }

  /** Record a step of a run as this instance (its owner); resolves once the server stored it. */
  async write(update: RunStatusUpdate): Promise<RunStatus> {
    const status: RunStatus = { ...update, recoveries: update.recoveries ?? 0, owner: this.instanceId, updatedAt: this.now() };
    await this.kv.put(sessionToken(update.runId), JSON.stringify(status));
    return status;
  }

  /**
   * Record a newly accepted run as `queued`, as the accepting instance — only if the record is still what the
   * caller read (`revision` from getWithRevision, 0 for none). Resolves with it and its revision, or undefined when
   * someone wrote it meanwhile (the same id accepted elsewhere at the same moment): never overwrites a later step.
   */
  async writeAccepted(update: RunStatusUpdate & { state: 'queued' }, revision: number): Promise<{ status: RunStatus; revision: number } | undefined> {
    const status: RunStatus = { ...update, recoveries: 0, owner: this.instanceId, updatedAt: this.now() };
    try {
      const key = sessionToken(update.runId);
      const written = revision === 0 ? await this.kv.create(key, JSON.stringify(status)) : await this.kv.update(key, JSON.stringify(status), revision);
      return { status, revision: written };
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) return undefined;
      throw err;
    }
  }

  /**
   * Undo writeAccepted (an accept that was not journaled after all) if the record is still at `revision`: put
   * back `prior`, or delete the record when there was none.
   */
  async undoAccepted(runId: string, revision: number, prior: RunStatus | undefined): Promise<void> {
    try {
      if (prior) await this.kv.update(sessionToken(runId), JSON.stringify(prior), revision);
      else await this.kv.delete(sessionToken(runId), { previousSeq: revision });
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence)) throw err;
    }
  }

  /** A run's status and its revision (0 and undefined when there is none), for writeAccepted. */
  async getWithRevision(runId: string): Promise<{ status: RunStatus | undefined; revision: number }> {
    const entry = await this.kv.get(sessionToken(runId));
    if (!entry) return { status: undefined, revision: 0 };
    return { status: entry.operation === 'PUT' ? entry.json<RunStatus>() : undefined, revision: entry.revision };
  }

  /** The status of a run, or undefined if unknown (never accepted, or older than the retention). */
  async get(runId: string): Promise<RunStatus | undefined> {
    const entry = await this.kv.get(sessionToken(runId));
    if (entry?.operation !== 'PUT') return undefined;
    return entry.json<RunStatus>();
  }
}
