import type { GatewayClient, GatewaySession } from '../../src/client/index.ts';
import { streamUrl } from './gateway-location.ts';

// The inspector stream (web-surfaces.md I4): for every hello-ok, a ticket from `clawgate.inspect.ticket`, then
// `WS <base>__clawgate__/inspect/ws?ticket=<t>`. The stream dies with its issuing connection (4001); the next
// hello-ok opens a new one. A stream that closes while its connection lives is opened again after a pause.

/** What the stream tells the page. */
export interface StreamHandlers {
  /** One text frame, as received. */
  onText(text: string): void;
  /** A line for the status strip: open, closed, or why it failed. */
  onState(state: string): void;
}

/** How long to wait before a new ticket when the stream closed but the connection did not. */
const RETRY_MS = 2000;

/** Starts following the client's sessions; returns the function that stops. */
export function followInspectStream(client: GatewayClient, baseHref: string, handlers: StreamHandlers): () => void {
  let socket: WebSocket | undefined;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = async (session: GatewaySession) => {
    if (stopped || session.closed) return;
    let ticket: string;
    try {
      ticket = (await session.request('clawgate.inspect.ticket', {})).ticket;
    } catch (err) {
      handlers.onState(`Stream unavailable: ${(err as Error).message}`);
      return;
    }
    if (stopped || session.closed) return;
    socket?.close();
    const ws = new WebSocket(streamUrl(baseHref, ticket));
    socket = ws;
    ws.onopen = () => handlers.onState('Stream open');
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') handlers.onText(m.data);
    };
    ws.onclose = (e) => {
      if (socket !== ws) return;
      socket = undefined;
      handlers.onState(`Stream closed${e.reason ? `: ${e.reason}` : ''}`);
      if (!stopped && !session.closed) retry = setTimeout(() => void open(session), RETRY_MS);
    };
  };
  const off = client.onHelloOk((session) => void open(session));
  return () => {
    stopped = true;
    off();
    if (retry !== undefined) clearTimeout(retry);
    socket?.close();
  };
}
