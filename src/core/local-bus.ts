import type { Bus, BusEventName, BusEvents, ClusterBusHandler } from './bus.js';

// The in-process Bus, and the fan-out the cluster bus (src/cluster/nats-bus.ts) delivers through. Delivery is
// synchronous, in subscription order; a subscriber added or removed during a delivery takes effect from the
// next one (each delivery walks a snapshot of the list).

interface Subscriber {
  handler: ClusterBusHandler<BusEventName>;
  /** Subscribed with subscribeCluster: also hears other instances' events. */
  cluster: boolean;
}

/** The subscribers of one process, by event kind; `deliver` hands them one event. */
export class LocalFanout {
  private readonly byKind = new Map<BusEventName, Subscriber[]>();

  /** Adds a subscriber; returns the function that removes it. */
  add<K extends BusEventName>(type: K, handler: ClusterBusHandler<K>, cluster: boolean): () => void {
    const entry: Subscriber = { handler: handler as ClusterBusHandler<BusEventName>, cluster };
    this.byKind.set(type, [...(this.byKind.get(type) ?? []), entry]);
    return () => {
      const list = this.byKind.get(type);
      if (list?.includes(entry)) this.byKind.set(type, list.filter((e) => e !== entry));
    };
  }

  /** Hands an event to its kind's subscribers; a remote one (another instance's) only to cluster subscribers. */
  deliver<K extends BusEventName>(type: K, event: BusEvents[K], remote: boolean): void {
    const list = this.byKind.get(type);
    if (!list) return;
    for (const s of list) if (s.cluster || !remote) s.handler(event, remote);
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
