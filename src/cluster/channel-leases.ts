import type { NatsConnection } from '@nats-io/transport-node';
import type { ChannelLeases } from '../core/channel.js';
import { Leases } from './lease.js';
import { CHANNELS_BUCKET } from './subjects.js';

// Cluster mode's channel account leases: the session leases' machinery (lease.ts) on a bucket of its own, so an
// account key never meets a session key and `clawgate status`'s owners view stays about sessions. A lost lease
// is told to the one account that holds it (the channel layer stops its transport at once).

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
    close: () => leases.close(),
  };
}
