import { createServer, type Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { ClientClock, WebSocketConstructor } from '../../src/client/index.js';

// Test kit for clawgate/client: a manual clock, a WebSocket that records every frame it sends, a TCP proxy that
// can drop every connection (the "server drops the socket" case), and a scriptable fake gateway for the
// timeouts and seq gaps a real gateway will not produce on demand.

/** A clock whose timers fire only when the test advances it. */
export class ManualClock implements ClientClock {
  private t = 1_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time on by `ms`, firing due timers in order (timers they set are fired too when due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  /** How many timers are armed. */
  get pending(): number {
    return this.timers.size;
  }
}

/** A `ws` constructor that records the text of every frame sent through any socket it made. */
export function frameSpy(): { WebSocket: WebSocketConstructor; sent: string[]; sockets: WebSocket[] } {
  const sent: string[] = [];
  const sockets: WebSocket[] = [];
  class SpyWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
    override send(data: unknown, ...rest: unknown[]): void {
      sent.push(String(data));
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  }
  return { WebSocket: SpyWebSocket, sent, sockets };
}

/** The `method`s of the `req` frames in `sent`. */
export const sentMethods = (sent: string[]): string[] => sent.map((s) => JSON.parse(s)).filter((f) => f.type === 'req').map((f) => f.method);

/** A TCP proxy to `targetPort`; `dropAll()` destroys every live connection (an abnormal close, 1006). */
export async function tcpProxy(targetPort: number): Promise<{ port: number; dropAll(): void; close(): Promise<void> }> {
  const live = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket().connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      live.add(s);
      s.on('close', () => live.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    dropAll: () => { for (const s of live) s.destroy(); },
    close: () => new Promise<void>((resolve) => { for (const s of live) s.destroy(); server.close(() => resolve()); }),
  };
}

/** What the fake gateway does; every hook optional. */
export interface FakeGatewayScript {
  /** Send `connect.challenge` on open (default true). */
  challenge?: boolean;
  /** Answer `connect` with hello-ok (default true). */
  hello?: boolean;
  tickIntervalMs?: number;
  /** Answer any other request (default: never answer). */
  onRequest?(frame: { id: string; method: string; params: unknown }, ws: WebSocket): void;
}

/** A fake gateway on 127.0.0.1: the handshake as scripted, then whatever the test pushes. */
export async function fakeGateway(script: FakeGatewayScript = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const sockets: WebSocket[] = [];
  const closes: { code: number; reason: string }[] = [];
  const received: { method: string; params: unknown }[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
    if (script.challenge !== false) {
      ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'nonce-1', ts: 1_000_000, capabilities: [] } }));
    }
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      received.push({ method: frame.method, params: frame.params });
      if (frame.method === 'connect') {
        if (script.hello === false) return;
        ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: fakeHello(script.tickIntervalMs ?? 30_000) }));
      } else {
        script.onRequest?.(frame, ws);
      }
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`, sockets, closes, received,
    /** Sends `frame` to the latest connection. */
    push(frame: unknown) { sockets[sockets.length - 1].send(JSON.stringify(frame)); },
    close: () => new Promise<void>((resolve) => { for (const s of wss.clients) s.terminate(); wss.close(() => resolve()); }),
  };
}

function fakeHello(tickIntervalMs: number) {
  return {
    type: 'hello-ok', protocol: 4,
    server: { version: 'fake', connId: 'c1' },
    features: { methods: [], events: [] },
    snapshot: { presence: [], health: {}, stateVersion: { presence: 1, health: 1 }, uptimeMs: 1 },
    auth: { role: 'operator', scopes: ['operator.read'] },
    policy: { maxPayload: 26_214_400, maxBufferedBytes: 52_428_800, tickIntervalMs },
  };
}
