import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { SESSIONS_BUCKET, sessionKeyOf, sessionToken } from './subjects.js';

// Leases: which instance owns a session (or any other key, such as a channel account) in the cluster.
// One JetStream KV bucket whose max age is the lease TTL (nats-server 2.9 has no per-key TTL): a lease is a
// key whose last write is younger than the TTL.
//   acquire  kv.create: succeeds only if the key is absent, expired or deleted — exactly one contender wins;
//   renew    kv.update with the revision we wrote last, every TTL/3 while held: a mismatch means somebody
//            else took the key (ours had expired), so the lease is lost;
//   release  kv.delete with our revision, so we never delete a successor's lease.
// A renewal that fails for another reason (NATS unreachable) is retried at the next tick; once TTL has passed
// since the last renewal we sent, the server has expired it too, and the lease is reported lost.

/** What a lease key holds. */
export interface LeaseValue {
  /** The owning instance's id. */
  owner: string;
  /** When it acquired the lease (epoch ms, its own clock). */
  since: number;
}

/** Why a held lease was lost: taken (someone else holds it now) or expired (renewals failed for a TTL). */
export type LeaseLoss = 'taken' | 'expired';

/** How a lease table is opened. */
export interface LeasesOptions {
  /** This instance's id, written as the owner. */
  instanceId: string;
  /** Lease TTL: the bucket's max age (every instance must use the same). */
  ttlMs: number;
  /** Told when a held lease is lost, once per loss; the key is no longer held when it is called. */
  onLost: (key: string, why: LeaseLoss) => void;
  /** The bucket (default SESSIONS_BUCKET; channel accounts use their own). */
  bucket?: string;
  now?: () => number;
}

interface Held {
  revision: number;
  /** When the server expires it at the latest: TTL after the last successful write was sent. */
  validUntil: number;
  value: Uint8Array;
  renewing: boolean;
}

/** The leases this instance holds in one bucket, renewed while held; see the file comment. */
export class Leases {
  private readonly held = new Map<string, Held>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private closed = false;

  private constructor(private readonly kv: KV, private readonly opts: LeasesOptions) {
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.renewAll(), Math.max(1, Math.floor(opts.ttlMs / 3)));
    this.timer.unref();
  }

  /**
   * Open (create if needed) the bucket with max age = `ttlMs`. Throws if it exists with another TTL: every
   * instance of a cluster must agree on it.
   */
  static async open(nc: NatsConnection, opts: LeasesOptions): Promise<Leases> {
    if (!Number.isInteger(opts.ttlMs) || opts.ttlMs < 100) throw new Error(`lease TTL must be an integer of at least 100 ms, got ${opts.ttlMs}`);
    const bucket = opts.bucket ?? SESSIONS_BUCKET;
    let kv: KV;
    try {
      kv = await new Kvm(nc).create(bucket, { ttl: opts.ttlMs, history: 1 });
    } catch (err) {
      throw new Error(`cannot open the lease bucket ${bucket} with a TTL of ${opts.ttlMs} ms (a bucket made with another TTL must be deleted, or every instance given the same --lease-ttl-ms): ${(err as Error).message}`, { cause: err });
    }
    const maxAgeMs = (await kv.status()).ttl;
    if (maxAgeMs !== opts.ttlMs) {
      throw new Error(`the lease bucket ${bucket} has a TTL of ${maxAgeMs} ms, this instance was given ${opts.ttlMs} ms: every instance must use the same --lease-ttl-ms`);
    }
    return new Leases(kv, opts);
  }

  /** Take the lease on `key` if nobody holds it; true if this instance holds it now (also when it already did). */
  async acquire(key: string): Promise<boolean> {
    this.open();
    if (this.held.has(key)) return true;
    const value = new TextEncoder().encode(JSON.stringify({ owner: this.opts.instanceId, since: this.now() } satisfies LeaseValue));
    const sentAt = this.now();
    try {
      const revision = await this.kv.create(sessionToken(key), value);
      if (this.closed) return false;
      this.held.set(key, { revision, validUntil: sentAt + this.opts.ttlMs, value, renewing: false });
      return true;
    } catch (err) {
      if (isWrongRevision(err)) return false;
      throw err;
    }
  }

  /** Give up the lease on `key` (a no-op if not held); a successor may acquire it at once. */
  async release(key: string): Promise<void> {
    const lease = this.held.get(key);
    if (!lease) return;
    this.held.delete(key);
    try {
      await this.kv.delete(sessionToken(key), { previousSeq: lease.revision });
    } catch (err) {
      // someone took it after ours expired: it is theirs, nothing to delete
      if (!isWrongRevision(err)) throw err;
    }
  }

  /** Whether this instance holds the lease on `key` (as far as it knows: until a renewal says otherwise). */
  holds(key: string): boolean {
    return this.held.has(key);
  }

  /** The keys this instance holds. */
  keys(): string[] {
    return [...this.held.keys()];
  }

  /** The instance that holds the lease on `key`, read from the bucket; undefined when nobody does. */
  async owner(key: string): Promise<string | undefined> {
    const entry = await this.kv.get(sessionToken(key));
    if (entry?.operation !== 'PUT') return undefined;
    return entry.json<LeaseValue>().owner;
  }

  /** Every held lease in the bucket and its owner (for `clawgate status`). */
  async owners(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const token of await this.kv.keys()) {
      const entry = await this.kv.get(token);
      if (entry?.operation === 'PUT') out.set(sessionKeyOf(token), entry.json<LeaseValue>().owner);
    }
    return out;
  }

  /** Stop renewing and release every held lease (a graceful stop: successors need not wait for the TTL). */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await Promise.allSettled(this.keys().map((k) => this.release(k)));
    this.closed = true;
  }

  /** Stop renewing without releasing anything (what a crash looks like to the others; tests use it). */
  abandon(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.held.clear();
  }

  private open(): void {
    if (this.closed) throw new Error('the lease table is closed');
  }

  /** One tick: renew every held lease not already being renewed. */
  private renewAll(): void {
    for (const [key, lease] of this.held) {
      if (!lease.renewing) void this.renew(key, lease);
    }
  }

  private async renew(key: string, lease: Held): Promise<void> {
    lease.renewing = true;
    const sentAt = this.now();
    try {
      const revision = await this.kv.update(sessionToken(key), lease.value, lease.revision);
      lease.revision = revision;
      lease.validUntil = sentAt + this.opts.ttlMs;
    } catch (err) {
      if (isWrongRevision(err)) this.lost(key, lease, 'taken');
      else if (this.now() >= lease.validUntil) this.lost(key, lease, 'expired');
      // otherwise: retried at the next tick, while the server still keeps it
    } finally {
      lease.renewing = false;
    }
  }

  private lost(key: string, lease: Held, why: LeaseLoss): void {
    if (this.held.get(key) !== lease) return; // released meanwhile
    this.held.delete(key);
    this.opts.onLost(key, why);
  }
}

/** The server refused a write because the key's revision is not the expected one. */
function isWrongRevision(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}
