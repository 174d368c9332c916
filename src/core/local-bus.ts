import mittModule, { type Emitter, type EventType } from 'mitt';
import type { Bus, BusEventName, BusEvents, ClusterBusHandler } from './bus.js';

// The in-process Bus: mitt, behind the interface, so nothing else depends on it. Delivery is synchronous;
// this process's subscribers (`subscribe`) hear an event before the cluster subscribers (`subscribeCluster`),
// each group in subscription order. The cluster bus (src/cluster/nats-bus.ts) delivers through the same
// fan-out, handing other instances' events to the cluster subscribers only.

// mitt's types are CommonJS-shaped while Node loads its ESM build: the default export is the factory.
const mitt = mittModule as unknown as <E extends Record<EventType, unknown>>() => Emitter<E>;

/** What a cluster subscriber is handed: the event and whether another instance published it. */
type ClusterDelivery = { [K in BusEventName]: { event: BusEvents[K]; remote: boolean } };

/** The subscribers of one process, by event kind: two mitt emitters, this process's and the cluster's. */
export class LocalFanout {
  private readonly local = mitt<BusEvents>();
  private readonly cluster = mitt<ClusterDelivery>();

  /** Adds a subscriber (`cluster`: it also hears other instances' events); returns the function that removes it. */
  add<K extends BusEventName>(type: K, handler: ClusterBusHandler<K>, cluster: boolean): () => void {
    if (!cluster) {
      const local = (event: BusEvents[K]) => handler(event, false);
      this.local.on(type, local);
      return () => this.local.off(type, local);
    }
    const unwrap = (d: ClusterDelivery[K]) => handler(d.event, d.remote);
    this.cluster.on(type, unwrap);
    return () => this.cluster.off(type, unwrap);
  }

  /** Hands an event to its kind's subscribers; a remote one (another instance's) to cluster subscribers only. */
  deliver<K extends BusEventName>(type: K, event: BusEvents[K], remote: boolean): void {
    if (!remote) this.local.emit(type, event);
    this.cluster.emit(type, { event, remote } as ClusterDelivery[K]);
  }
}

/** A bus for one process: every event is local, so both kinds of subscriber hear all of them. */
export function createLocalBus(): Bus {
  const fanout = new LocalFanout();
  return {
    publish: (type, event) => fanout.deliver(type, event, false),
    subscribe: (type, handler) => fanout.add(type, handler, false),
    subscribeCluster: (type, handler) => fanout.add(type, handler, true),
  };
}
