import type { InspectHub } from '../../actors/inspect-hub.js';
import type { UpgradeDecision, UpgradeRequest, WsEndpoint, WsSocket } from '../../transport/ws-endpoint.js';
import type { InspectTickets } from './inspect-tickets.js';

// The inspector's stream, `WS /__clawgate__/inspect/ws?ticket=<t>` (web-surfaces.md I4), and the 404 that
// every other `/__clawgate__/inspect*` upgrade gets (all of them without --inspect: the control plane, which
// answers upgrades on every other path, never sees these).
//
// Before the 101: the ticket must be valid and unused (401), at most 4 viewers (503); the transport's Origin
// rule then refuses a foreign page (403). The ticket is only looked at there, and spent when the socket opens,
// so a refused Origin does not burn it; of two racing upgrades with one ticket, the second is closed at once.
// Inbound frames are ignored (over 1 KiB: 1009 from the transport); the stream closes 4001 when the
// connection that asked for its ticket closes.

/** The inspector's path prefix (page, bridge, stream). */
export const INSPECT_PREFIX = '/__clawgate__/inspect';
/** The stream's path. */
export const INSPECT_STREAM_PATH = `${INSPECT_PREFIX}/ws`;

/** What the stream needs: the hub and the tickets, absent without --inspect. */
export interface InspectEndpointOptions {
  inspect?: { hub: InspectHub; tickets: InspectTickets };
  /** Viewers at once; more get 503. */
  maxViewers?: number;
}

interface Accepted {
  ticket: string;
}

interface Stream {
  detach(): void;
}

const refuse = (status: number, type: string, message: string): UpgradeDecision<Accepted> => ({ refuse: { status, type, message } });

/** The ticket in the query (`ticket=<t>`, once), or ''. */
function ticketOf(query: string): string {
  const values = new URLSearchParams(query).getAll('ticket');
  return values.length === 1 ? values[0] : '';
}

/** The endpoint on the `/__clawgate__/inspect` prefix; see the file comment. */
export function inspectEndpoint(o: InspectEndpointOptions): WsEndpoint<Accepted, Stream> {
  const maxViewers = o.maxViewers ?? 4;
  return {
    maxPayload: 1024,
    upgrade(req: UpgradeRequest) {
      if (!o.inspect || req.path !== INSPECT_STREAM_PATH) return refuse(404, 'not_found', `no WebSocket endpoint at ${req.path}`);
      const ticket = ticketOf(req.query);
      if (!o.inspect.tickets.check(ticket)) return refuse(401, 'unauthorized', 'inspector ticket missing, used or expired');
      if (o.inspect.hub.viewerCount >= maxViewers) return refuse(503, 'unavailable', 'too many inspector viewers');
      return { accept: { ticket } };
    },
    open(socket: WsSocket, accepted: Accepted): Stream {
      const inspect = o.inspect!;
      const owner = inspect.tickets.consume(accepted.ticket);
      if (owner === undefined) {
        socket.end(4001, 'inspector ticket already used');
        return { detach() {} };
      }
      const stopWatching = inspect.tickets.watchOwner(owner, () => socket.end(4001, 'inspector owner closed'));
      const detachViewer = inspect.hub.attach({ send: (text) => socket.send(text), bufferedAmount: () => socket.bufferedAmount() });
      return {
        detach() {
          stopWatching();
          detachViewer();
        },
      };
    },
    message() { /* a viewer only reads */ },
    close(stream: Stream) {
      stream.detach();
    },
  };
}
