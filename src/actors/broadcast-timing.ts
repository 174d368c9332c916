import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { EncodedEvent } from '../../protocol/encode.js';
import type { ConnectionHub } from './connection-hub.js';

// The wall time of every hub broadcast, for a profiler in the same process (bench:ws preloads one). Node's
// diagnostics_channel connects them by name, so it works whatever copy of this module the gateway runs (the
// bundle in dist/gateway, or the tsc output): patching ConnectionHub.prototype from outside reached only the
// latter. A hub is timed only if someone subscribed before it was built: otherwise nothing changes.

/** The channel's name; each message is a {@link BroadcastTiming}. */
export const BROADCAST_TIMING_CHANNEL = 'clawgate:hub:broadcast';

/** One timed broadcast. */
export interface BroadcastTiming {
  /** The event's name, or a note that no socket took it (its builder never ran). */
  event: string;
  /** Wall time of the broadcast call, ms. */
  ms: number;
  /** Authenticated connections at the time. */
  sockets: number;
}

/** Times `hub`'s broadcasts onto the channel, if it has a subscriber now. */
export function timeBroadcasts(hub: ConnectionHub): void {
  const timings = channel(BROADCAST_TIMING_CHANNEL);
  if (!timings.hasSubscribers) return;
  const untimed = hub.broadcast.bind(hub);
  hub.broadcast = (event, accepts) => {
    let name = typeof event === 'function' ? 'not built: no socket took it' : event.event;
    const built = typeof event === 'function' ? (): EncodedEvent => { const e = event(); name = e.event; return e; } : event;
    const t0 = performance.now();
    untimed(built, accepts);
    timings.publish({ event: name, ms: performance.now() - t0, sockets: hub.authenticatedCount } satisfies BroadcastTiming);
  };
}
