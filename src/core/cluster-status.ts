// Cluster mode as the rest of the gateway sees it (src/cluster owns the NATS connection itself): its settings,
// and this instance's name and whether NATS is reachable now, which /readyz, `status` and the metrics read.

/** Cluster mode's settings (`--nats-url`, `--instance-id`, `--lease-ttl-ms`), checked. */
export interface ClusterConfig {
  /** `nats://host:port` (or `tls://…`), as given. */
  natsUrl: string;
  /** Carried in the `Clawgate-Instance` header of every message this gateway sends; default `<hostname>:<pid>`. */
  instanceId: string;
  /** A session lease expires this long after its owner's last renewal (renewed every third of it). */
  leaseTtlMs: number;
}

/** The NATS connection's state: up, lost and being retried (forever), or closed by shutdown. */
export type NatsState = 'connected' | 'reconnecting' | 'closed';

/** This instance's place in the cluster, read at the moment it is needed. */
export interface ClusterStatus {
  readonly instanceId: string;
  readonly nats: NatsState;
}

/** Who owns what, from the lease bucket, as `status` shows it to operator.admin (instance ids name hosts). */
export interface ClusterMembers {
  /** How many sessions this instance holds a lease on. */
  ownedCount: number;
  /** The first of them, sorted (at most OWNED_LISTED: a status answer stays small). */
  owned: string[];
  /** The other instances seen as lease owners, and how many sessions each holds. */
  instances: { id: string; sessions: number }[];
}

/** How many owned session keys `status` lists. */
export const OWNED_LISTED = 50;
