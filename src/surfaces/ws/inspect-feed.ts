import WebSocket from 'ws';
import type { InspectHub } from '../../actors/inspect-hub.js';
import type { Logger } from '../../core/log.js';

// The developer feed (web-surfaces.md I6): with --inspect and env CLAWGATE_INSPECT_WS, the gateway connects
// to a loopback `createInspectorServer()` of @statelyai/inspect and sends it the `@xstate.*` frames (never the
// `@clawgate.*` ones). While connected it is one viewer of the hub (so inspection costs what a viewer costs);
// when the server is gone it retries every 5 s. The URL was checked at start (config/inspect-feed-url.ts).

/** Where the feed goes and what it reads. */
export interface InspectFeedOptions {
  url: string;
  hub: InspectHub;
  log: Logger;
  retryMs?: number;
}

const STATELY_PREFIX = '{"type":"@xstate.';

/** Starts the feed; returns the function that stops it for good. */
export function startInspectFeed(o: InspectFeedOptions): () => void {
  const retryMs = o.retryMs ?? 5000;
  let stopped = false;
  let socket: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let warned = false;

  const connect = () => {
    if (stopped) return;
    const ws = new WebSocket(o.url, { perMessageDeflate: false });
    socket = ws;
    let detach: (() => void) | undefined;
    ws.on('open', () => {
      warned = false;
      o.log.info({ url: o.url }, 'inspector feed connected');
      // frames are JSON objects written with `type` first: a prefix test picks the Stately ones
      detach = o.hub.attach({
        send: (text) => { if (text.startsWith(STATELY_PREFIX)) ws.send(text); },
        bufferedAmount: () => ws.bufferedAmount,
      });
    });
    ws.on('message', () => { /* the inspector server's own traffic is not for us */ });
    ws.on('error', (err) => {
      if (!warned) o.log.warn({ url: o.url, err: err.message }, 'inspector feed unavailable; retrying every 5 s');
      warned = true;
    });
    ws.on('close', () => {
      detach?.();
      detach = undefined;
      if (socket === ws) socket = undefined;
      if (!stopped) retry = setTimeout(connect, retryMs).unref();
    });
  };
  connect();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    socket?.terminate();
  };
}
