import { headers, type Msg, type Subscription } from '@nats-io/transport-node';
import { BUS_EVENT_KINDS, type Bus, type BusEventName, type BusEvents } from '../core/bus.js';
import { LocalFanout } from '../core/local-bus.js';
import type { Logger } from '../core/log.js';
import type { NatsLink } from './nats-connection.js';
import { EVENTS_PREFIX, eventSubject, INSTANCE_HEADER, kindOfSubject } from './subjects.js';

// The Bus of cluster mode. publish() first delivers to this process's subscribers, synchronously and exactly
// as the local bus does (the surfaces of the instance that runs a run see it without a network hop), then
// sends the event once — one JSON serialization, whatever the number of instances — on
// `clawgate.events.<kind>.<sessionToken>` with this instance's id in the `Clawgate-Instance` header. One
// subscription on `clawgate.events.>` hands other instances' events to the subscribers that asked for
// them (subscribeCluster); this instance's own, echoed back by the server, are skipped by that header.
//
// While NATS is unreachable the client keeps what is published in memory and sends it on reconnect; that
// backlog is bounded here: past `maxBacklogBytes` since the connection was lost, events are not sent to the
// other instances (counted in `dropped`; this instance's subscribers still have them), so an outage under load
// cannot grow the heap without limit. Events are views of runs; what must survive lives in the ledger.

const KINDS: ReadonlySet<string> = new Set(BUS_EVENT_KINDS);

/** Bytes of events kept for the other instances while NATS is unreachable (default). */
export const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

/** The cluster bus, with the end of its NATS subscription. */
export interface NatsBus extends Bus {
  /** Stops hearing other instances (publish still delivers locally). */
  stop(): void;
  /** Events not sent to the other instances (backlog full during an outage, or refused by the client). */
  readonly dropped: number;
}

/** A {@link Bus} over the NATS connection `link` (see the file comment). */
export function createNatsBus(link: NatsLink, log: Logger, opts: { maxBacklogBytes?: number } = {}): NatsBus {
  const maxBacklog = opts.maxBacklogBytes ?? MAX_BACKLOG_BYTES;
  const fanout = new LocalFanout();
  const own = link.instanceId;
  // the header is encoded when a message is published, so one object serves every publish
  const hdrs = headers();
  hdrs.set(INSTANCE_HEADER, own);
  let dropped = 0;
  /** Size of what was published since the connection was lost (JSON characters; 0 while connected). */
  let backlog = 0;
  const stopFollowing = link.onState((s) => {
    if (s !== 'connected') return;
    if (dropped > 0) log.warn({ dropped }, 'events were not sent to the other instances while NATS was unreachable');
    backlog = 0;
  });
  const drop = (kind: string, why: string): void => {
    if (dropped++ % 1000 === 0) log.warn({ kind, why, dropped }, 'an event could not be sent to the other instances');
  };

  const receive = (err: Error | null, msg: Msg): void => {
    if (err) {
      log.warn({ err: err.message }, 'cluster event subscription failed');
      return;
    }
    if (msg.headers?.get(INSTANCE_HEADER) === own) return;
    const kind = kindOfSubject(msg.subject);
    if (!KINDS.has(kind)) return;
    try {
      fanout.deliver(kind as BusEventName, msg.json(), true);
    } catch (e) {
      log.warn({ err: (e as Error).message, subject: msg.subject }, 'a cluster event could not be delivered');
    }
  };
  const sub: Subscription = link.nc.subscribe(`${EVENTS_PREFIX}.>`, { callback: receive });

  return {
    publish<K extends BusEventName>(type: K, event: BusEvents[K]): void {
      fanout.deliver(type, event, false);
      const sessionKey = (event as { sessionKey?: string }).sessionKey;
      const body = JSON.stringify(event);
      if (!link.connected) {
        if (backlog + body.length > maxBacklog) return drop(type, 'NATS unreachable and the backlog is full');
        backlog += body.length;
      }
      try {
        link.nc.publish(eventSubject(type, sessionKey), body, { headers: hdrs });
      } catch (e) {
        // closed (shutdown) or over the server's max payload: other instances miss this event, this one has it
        drop(type, (e as Error).message);
      }
    },
    subscribe: (type, handler) => fanout.add(type, handler, false),
    subscribeCluster: (type, handler) => fanout.add(type, handler, true),
    stop: () => {
      stopFollowing();
      if (!link.nc.isClosed()) sub.unsubscribe();
    },
    get dropped() {
      return dropped;
    },
  };
}
