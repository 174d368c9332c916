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
