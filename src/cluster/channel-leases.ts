import type { NatsConnection } from '@nats-io/transport-node';
import type { ChannelLeases } from '../core/channel.js';
import { Leases } from './lease.js';
import { CHANNELS_BUCKET, channelRowsSubject, instanceHeaders } from './subjects.js';

// Cluster mode's channel account leases: the session leases' machinery (lease.ts) on a bucket of its own, so an
// account key never meets a session key and `clawgate status`'s owners view stays about sessions. A lost lease
// is told to the one account that holds it (the channel layer stops its transport at once). And the relay of
// reply rows: a run may end on an instance that does not hold its chat's account (it owns the session), whose
// outbox rows are then a NATS request on `clawgate.channel-rows.<token>`, answered by the holder alone (it
// subscribes while it holds the lease) once it has committed them; no answer means the sender keeps them and
// tries again.

/** How long a forward waits for the holder's answer. */
const FORWARD_TIMEOUT_MS = 5000;

/** The channel leases of this instance, and their close (releases whatever is still held). */
export interface ClusterChannelLeases extends ChannelLeases {
  close(): Promise<void>;
}

/** Opens (creates if needed) the channel lease bucket with the cluster's lease TTL. */
export async function openChannelLeases(nc: NatsConnection, opts: { instanceId: string; ttlMs: number; bucket?: string }): Promise<ClusterChannelLeases> {
  const listeners = new Map<string, () => void>();
  const leases = await Leases.open(nc, {
    instanceId: opts.instanceId, ttlMs: opts.ttlMs, bucket: opts.bucket ?? CHANNELS_BUCKET,
    onLost: (key) => listeners.get(key)?.(),
  });
  return {
    instanceId: opts.instanceId,
    retryMs: Math.max(50, Math.floor(opts.ttlMs / 2)),
    acquire: (key) => leases.acquire(key),
    release: (key) => leases.release(key),
    holds: (key) => leases.holds(key),
    owner: (key) => leases.owner(key),
    onLost(key, fn) {
      if (listeners.has(key)) throw new Error(`channel lease ${key} already has a listener: two accounts with one lease key`);
      listeners.set(key, fn);
      return () => { if (listeners.get(key) === fn) listeners.delete(key); };
    },
    async forward(key, rows) {
      try {
        const reply = await nc.request(channelRowsSubject(key), JSON.stringify({ rows }), {
          timeout: FORWARD_TIMEOUT_MS, headers: instanceHeaders(opts.instanceId),
        });
        const answer = reply.json<{ holder?: unknown }>();
        return typeof answer.holder === 'string' ? answer.holder : undefined;
      } catch {
        return undefined; // no responders, a timeout, a closed connection: kept, sent again later
      }
    },
    serve(key, take) {
      const sub = nc.subscribe(channelRowsSubject(key), {
        callback: (err, msg) => {
          if (err) return; // the subscription closed
          let answer: { holder: string } | { error: string };
          try {
            if (!leases.holds(key)) throw new Error('not the holder of this account any more');
            const { rows } = msg.json<{ rows?: unknown }>();
            if (!Array.isArray(rows)) throw new Error('no rows');
            take(rows);
            answer = { holder: opts.instanceId };
          } catch (e) {
            answer = { error: (e as Error).message };
          }
          msg.respond(JSON.stringify(answer), { headers: instanceHeaders(opts.instanceId) });
        },
      });
      return () => sub.unsubscribe();
    },
    close: () => leases.close(),
  };
}
