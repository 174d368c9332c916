import type { ClusterConfig } from '../core/cluster-status.js';
import type { Logger } from '../core/log.js';
import { createNatsBus, type NatsBus } from './nats-bus.js';
import { connectNats, type NatsLink } from './nats-connection.js';
import { ClusterTranscripts } from './transcripts.js';

// What `--nats-url` adds to a gateway, started by the composition root (which imports this file lazily, so a
// gateway without it never loads @nats-io): the NATS connection, the cluster bus on it, and the sessions'
// transcripts in the cluster (the runner's history reads them, so they exist before the actors).

/** A gateway's cluster membership. */
export interface Cluster {
  link: NatsLink;
  bus: NatsBus;
  /** The sessions' transcripts, shared by every instance. */
  transcripts: ClusterTranscripts;
  /** Stops hearing other instances, flushes what was published and closes the connection (bounded). */
  close(): Promise<void>;
}

/** Connects to NATS (a StartupError when it cannot) and puts the cluster bus on the connection. */
export async function startCluster(config: ClusterConfig, log: Logger): Promise<Cluster> {
  const clusterLog = log.child({ component: 'cluster', instanceId: config.instanceId });
  const link = await connectNats({ url: config.natsUrl, instanceId: config.instanceId, log: clusterLog });
  let transcripts: ClusterTranscripts;
  try {
    transcripts = await ClusterTranscripts.open(link.nc, { instanceId: config.instanceId });
  } catch (err) {
    await link.close();
    throw err;
  }
  const bus = createNatsBus(link, clusterLog);
  clusterLog.info({ nats: config.natsUrl }, 'cluster mode: connected to NATS');
  return {
    link, bus, transcripts,
    async close() {
      bus.stop();
      await link.close();
    },
  };
}
