import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type FailoverPolicy, type Redelivery, redelivery } from './failover.js';
import type { Inbox, InboxDelivery, InboxReader } from './inbox.js';
import { type LeaseLoss, Leases } from './lease.js';
import { serveCancels } from './remote-cancel.js';
import { type LiveSession, type SessionResetAnswer, serveSessionRequests } from './session-requests.js';
import type { RunStatus, RunStatuses } from './run-status.js';

// Session ownership, put together: the lease (lease.ts), the session's journal (inbox.ts), its cancel
// requests (remote-cancel.ts) and its other requests (session-requests.ts) come and go together. While this instance holds a session's lease it reads the
// session's inbox subject — each message with its failover decision (failover.ts, from the run's status) —
// and answers its cancels; when the lease is released or lost, both stop. A periodic sweep claims sessions
// that have unfinished messages and no owner (their owner died and no new message came to claim them).
// What "run it", "ack it", "cancel it" mean is the handler's business: the session registry's, in the gateway.

/** What the owner does with its sessions (the gateway's session registry behind it). */
export interface OwnerHandler {
  /**
   * A journaled message of an owned session, one at a time in acceptance order, with what the failover rules
   * say to do with it and its status (for `rerun`, already written back `queued` with the new recoveries
   * count: carry it in the run's next status writes). Call `d.ack()` once its run has finished (at once for
   * `settled`, after recording the failure for `fail`).
   */
  deliver(d: InboxDelivery, decision: Redelivery, status: RunStatus | undefined): void | Promise<void>;
  /** Whether a run is under way here already (delivered before, not yet finished): delivered again, it is not
   *  a lost owner's run, and no failover rule applies. */
  live(runId: string): boolean;
  /** Cancel a queued or running run of an owned session; false if it is not live here. */
  cancel(runId: string): boolean;
  /** Abort the running run of an owned session (chat.abort without a runId): the run ids aborted, none if nothing runs. */
  abortRunning(sessionKey: string): string[];
  /** Cancel an owned session's running turn and waiting messages (a channel's /stop): the run ids cancelled. */
  stopSession(sessionKey: string): string[];
  /** An owned session's live state (its running run and waiting messages), asked from another instance. */
  inspect(sessionKey: string): LiveSession;
  /**
   * Reset an owned session's context, asked from another instance (`key` names the marker); undefined when
   * there is no such session.
   */
  reset(sessionKey: string, key?: string): Promise<SessionResetAnswer | undefined>;
  /** This instance no longer owns `sessionKey` (lease lost): stop its runs; nothing more of it is delivered. */
  lost(sessionKey: string, why: LeaseLoss): void;
  /** `deliver` threw for `d` (reading goes on). */
  failed(err: unknown, d: InboxDelivery): void;
}

/** How an Ownership is set up. */
export interface OwnershipOptions {
  instanceId: string;
  /** Lease TTL (`--lease-ttl-ms`). */
  ttlMs: number;
  /** What happens to a run its lost owner was running (recover.ts's policy). */
  policy: FailoverPolicy;
  inbox: Inbox;
  statuses: RunStatuses;
  handler: OwnerHandler;
  /** How often to look for unowned sessions with unfinished messages (default: the TTL). */
  sweepMs?: number;
  /** The lease bucket (default clawgate-sessions). */
  bucket?: string;
}

interface Owned {
  reader: InboxReader;
  /** Its cancel requests and its other requests. */
  requests: Subscription[];
}

/** The sessions this instance owns; see the file comment. */
export class Ownership {
  private readonly owned = new Map<string, Owned>();
  private readonly claiming = new Map<string, Promise<boolean>>();
  private readonly sweeper: NodeJS.Timeout;
  private sweeping = false;
  private closed = false;
  private leases!: Leases;

  private constructor(private readonly nc: NatsConnection, private readonly opts: OwnershipOptions) {
    this.sweeper = setInterval(() => void this.sweep().catch(() => {}), opts.sweepMs ?? opts.ttlMs);
    this.sweeper.unref();
  }

  /** Open the lease bucket and start sweeping. */
  static async open(nc: NatsConnection, opts: OwnershipOptions): Promise<Ownership> {
    const self = new Ownership(nc, opts);
    try {
      self.leases = await Leases.open(nc, {
        instanceId: opts.instanceId, ttlMs: opts.ttlMs, bucket: opts.bucket, onLost: (key, why) => self.lost(key, why),
      });
    } catch (err) {
      clearInterval(self.sweeper);
      throw err;
    }
    return self;
  }

  /**
   * Own `sessionKey` if nobody does: take its lease, answer its cancels, read its inbox. True if this instance
   * owns it now (also when it already did); false when another instance does.
   */
  claim(sessionKey: string): Promise<boolean> {
    if (this.owned.has(sessionKey)) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    let claim = this.claiming.get(sessionKey);
    if (!claim) {
      claim = this.take(sessionKey).finally(() => this.claiming.delete(sessionKey));
      this.claiming.set(sessionKey, claim);
    }
    return claim;
  }

  /** Whether this instance owns `sessionKey`. */
  owns(sessionKey: string): boolean {
    return this.owned.has(sessionKey);
  }

  /** The instance owning `sessionKey` (from the lease bucket), undefined when none does. */
  owner(sessionKey: string): Promise<string | undefined> {
    return this.leases.owner(sessionKey);
  }

  /** Every owned session in the cluster and its owner (for `clawgate status`). */
  owners(): Promise<Map<string, string>> {
    return this.leases.owners();
  }

  /** Give a session up (its actor went idle): stop reading, remove its consumer, release the lease. */
  async release(sessionKey: string): Promise<void> {
    const owned = this.owned.get(sessionKey);
    if (!owned) return;
    this.owned.delete(sessionKey);
    for (const sub of owned.requests) sub.unsubscribe();
    await owned.reader.close();
    await this.leases.release(sessionKey);
  }

  /**
   * Give a session up if `idle()` (no run of it queued, running or being acked here): stop reading, ask again,
   * and release it as release() does; resolves true. False when it is busy (it stays owned; ask again at its
   * next end) — or when a message was delivered while the reader stopped: then the session is kept and read on
   * (the reader is replaced: what was delivered and not acked comes again, and `live` keeps it from being
   * taken for a lost owner's run). A message journaled after the reader stopped waits for the next claim or
   * sweep.
   */
  async releaseIdle(sessionKey: string, idle: () => boolean): Promise<boolean> {
    const owned = this.owned.get(sessionKey);
    if (!owned || !idle()) return false;
    await owned.reader.stop();
    if (this.owned.get(sessionKey) !== owned) return false; // lost or released meanwhile
    if (idle()) {
      await this.release(sessionKey);
      return true;
    }
    owned.reader = await this.read(sessionKey);
    return false;
  }

  /** Claim every session with unfinished messages and no owner; resolves with the sessions claimed. */
  async sweep(): Promise<string[]> {
    if (this.sweeping || this.closed) return [];
    this.sweeping = true;
    try {
      const claimed: string[] = [];
      for (const key of (await this.opts.inbox.sessionsWithMessages()).keys()) {
        if (!this.owned.has(key) && await this.claim(key)) claimed.push(key);
      }
      return claimed;
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * The gateway is stopping: claim nothing more (no sweep, claim() resolves false); the sessions owned now
   * are read on until close(), so their runs can end and be acked.
   */
  stopClaiming(): void {
    this.closed = true;
    clearInterval(this.sweeper);
  }

  /** A graceful stop: release every session (successors take them at once, no TTL to wait). */
  async close(): Promise<void> {
    this.stopClaiming();
    await Promise.allSettled([...this.claiming.values()]);
    await Promise.allSettled([...this.owned.keys()].map((k) => this.release(k)));
    await this.leases.close();
  }

  private async take(sessionKey: string): Promise<boolean> {
    if (this.closed || !(await this.leases.acquire(sessionKey))) return false;
    const { instanceId, handler } = this.opts;
    const requests = [
      serveCancels(this.nc, {
        instanceId, sessionKey, cancel: (runId) => handler.cancel(runId), abortRunning: () => handler.abortRunning(sessionKey),
        stop: () => handler.stopSession(sessionKey),
      }),
      serveSessionRequests(this.nc, { instanceId, sessionKey, live: () => handler.inspect(sessionKey), reset: (key) => handler.reset(sessionKey, key) }),
    ];
    const unsubscribe = () => {
      for (const sub of requests) sub.unsubscribe();
    };
    try {
      const reader = await this.read(sessionKey);
      if (!this.leases.holds(sessionKey)) {
        // lost while the reader was being set up: the successor's consumer may have the name now
        unsubscribe();
        await reader.stop();
        return false;
      }
      this.owned.set(sessionKey, { reader, requests });
      return true;
    } catch (err) {
      unsubscribe();
      await this.leases.release(sessionKey);
      throw err;
    }
  }

  /** Read the session's inbox, each message with its failover decision. */
  private read(sessionKey: string): Promise<InboxReader> {
    const { inbox, statuses, handler, policy } = this.opts;
    return inbox.read(sessionKey, {
      deliver: async (d) => {
        let status = await statuses.get(d.entry.runId);
        const decision: Redelivery = handler.live(d.entry.runId) ? { action: 'run' } : redelivery(status, policy);
        // the count that stops a third run is written before the run is handed on
        if (decision.action === 'rerun') status = await statuses.write({ ...status!, state: 'queued', recoveries: decision.recoveries });
        await handler.deliver(d, decision, status);
      },
      onError: (err, d) => handler.failed(err, d),
    });
  }

  private lost(sessionKey: string, why: LeaseLoss): void {
    const owned = this.owned.get(sessionKey);
    if (!owned) return;
    this.owned.delete(sessionKey);
    for (const sub of owned.requests) sub.unsubscribe();
    void owned.reader.stop().catch(() => {});
    this.opts.handler.lost(sessionKey, why);
  }
}
