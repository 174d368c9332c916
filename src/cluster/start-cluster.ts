import type { ClusterConfig } from '../core/cluster-status.js';
import type { Logger } from '../core/log.js';
import { createNatsBus, type NatsBus } from './nats-bus.js';
import { connectNats, type NatsLink } from './nats-connection.js';

// What `--nats-url` adds to a gateway, started by the composition root (which imports this file lazily, so a
// gateway without it never loads @nats-io): the NATS connection and the cluster bus on it.

/** A gateway's cluster membership. */
export interface Cluster {
  link: NatsLink;
  bus: NatsBus;
  /** Stops hearing other instances, flushes what was published and closes the connection (bounded). */
  close(): Promise<void>;
}

/** Connects to NATS (a StartupError when it cannot) and puts the cluster bus on the connection. */
export async function startCluster(config: ClusterConfig, log: Logger): Promise<Cluster> {
  const clusterLog = log.child({ component: 'cluster', instanceId: config.instanceId });
  const link = await connectNats({ url: config.natsUrl, instanceId: config.instanceId, log: clusterLog });
  const bus = createNatsBus(link, clusterLog);
  clusterLog.info({ nats: config.natsUrl }, 'cluster mode: connected to NATS');
  return {
    link, bus,
    async close() {
      bus.stop();
      await link.close();
    },
  };
}
