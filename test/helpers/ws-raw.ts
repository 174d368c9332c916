import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { until, within } from './wait.js';

// Raw WebSocket client for protocol tests: every inbound text frame is parsed and queued from the moment
// the socket exists (so the `connect.challenge` sent on open is never missed); waits are always bounded.

/** A shared secret for test gateways. */
export const TOKEN = 'test-token-0123456789abcdef-0123456789';
/** Hang guard of the raw-socket waits (never a timing assertion). */
export const WAIT_MS = 5_000;

/** A frame as received (parsed JSON). */
export interface Frame {
  type: string;
  [k: string]: any;
}

/** How a socket closed. */
export interface CloseInfo {
  code: number;
  reason: string;
  /** The reason's raw bytes (close reasons are limited to 123 bytes by RFC 6455, 120 by the spec). */
  reasonBytes: number;
}

/** A raw WebSocket with every frame it received and bounded waits on them. */
export interface RawClient {
  ws: WebSocket;
  /** Every frame received so far, in order (non-JSON text is kept as `{type:"<raw>", text}`). */
  frames: Frame[];
  /** Resolves once the close handshake (or the TCP close) is seen. */
  closed: Promise<CloseInfo>;
  isClosed(): boolean;
  send(frame: unknown): void;
  sendRaw(text: string): void;
  /** The next frame (not yet consumed by `next`) matching `pred`; frames before it are skipped. */
  next(pred?: (f: Frame) => boolean, timeoutMs?: number, what?: string): Promise<Frame>;
  /** The `res` frame with this id (searched among all frames received, consumed or not). */
  res(id: string, timeoutMs?: number): Promise<Frame>;
  /** Request → its res. */
  call(method: string, params?: unknown, id?: string): Promise<Frame>;
  close(): Promise<void>;
}

let idCounter = 0;
/** A fresh request id (`<prefix><n>`). */
export const nextId = (prefix = 'r') => `${prefix}${++idCounter}`;

/** The ws:// URL of a gateway on this loopback port. */
export function wsUrl(port: number, path = '/'): string {
  return `ws://127.0.0.1:${port}${path}`;
}

/** {@link within} with the (promise, ms, what) argument order of the raw-socket tests. */
export const bounded = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => within(p, what, ms);

/** Open a socket and wait for the upgrade to succeed. */
export async function openRaw(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  const frames: Frame[] = [];
  let cursor = 0;
  let waiters: (() => void)[] = [];
  let closedInfo: CloseInfo | undefined;
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    try {
      frames.push(JSON.parse(text));
    } catch {
      frames.push({ type: '<raw>', text });
    }
    wake();
  });
  const closed = new Promise<CloseInfo>((resolve) => {
    ws.on('close', (code, reason) => {
      closedInfo = { code, reason: reason.toString('utf8'), reasonBytes: reason.length };
      resolve(closedInfo);
      wake();
    });
  });
  ws.on('error', () => { /* surfaced through close / the pending wait */ });
  await bounded(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  }), WAIT_MS, 'the upgrade');

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    bounded(new Promise<T>((resolve, reject) => {
      const attempt = () => {
        const v = check();
        if (v !== undefined) return resolve(v);
        if (closedInfo) return reject(new Error(`socket closed (${closedInfo.code} "${closedInfo.reason}") while waiting for ${what}`));
        waiters.push(attempt);
      };
      attempt();
    }), timeoutMs, what);

  const client: RawClient = {
    ws, frames, closed,
    isClosed: () => closedInfo !== undefined,
    send: (frame) => ws.send(JSON.stringify(frame)),
    sendRaw: (text) => ws.send(text),
    next(pred = () => true, timeoutMs = WAIT_MS, what = 'a frame') {
      return waitFor(() => {
        while (cursor < frames.length) {
          const f = frames[cursor++];
          if (pred(f)) return f;
        }
        return undefined;
      }, timeoutMs, what);
    },
    res(id, timeoutMs = WAIT_MS) {
      return waitFor(() => frames.find((f) => f.type === 'res' && f.id === id), timeoutMs, `res ${id}`);
    },
    call(method, params, id = nextId(method)) {
      client.send(params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params });
      return client.res(id);
    },
    async close() {
      if (closedInfo) return;
      ws.close();
      await bounded(closed, WAIT_MS, 'close').catch(() => ws.terminate());
    },
  };
  return client;
}

/** Result of an upgrade that the server answered with a plain HTTP response instead of 101. */
export interface Refused {
  status: number;
  body: string;
}

/** Try an upgrade that should be refused: resolves with the HTTP status and body; throws if it was accepted. */
export async function refusedUpgrade(url: string, options: WebSocket.ClientOptions = {}, timeoutMs = WAIT_MS): Promise<Refused> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  return bounded(new Promise<Refused>((resolve, reject) => {
    ws.on('error', (err) => reject(err));
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade unexpectedly accepted (101)'));
    });
    ws.once('unexpected-response', (req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      };
      res.on('end', finish);
      res.on('close', finish);
    });
  }), timeoutMs, 'the refused upgrade');
}

/** ConnectParams with overrides (shallow; `client` merged). */
export function connectParams(over: Record<string, any> = {}): Record<string, any> {
  const { client, ...rest } = over;
  return {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: 'gateway-client', version: '0.0.1', platform: 'linux', mode: 'backend', ...client },
    role: 'operator',
    ...rest,
  };
}

/** Open, take the challenge, send `connect`, and return the socket with the connect `res`. */
export async function connectRaw(url: string, params: Record<string, any>, options: WebSocket.ClientOptions = {}):
  Promise<{ c: RawClient; challenge: Frame; res: Frame }> {
  const c = await openRaw(url, options);
  const challenge = await c.next((f) => f.type === 'event' && f.event === 'connect.challenge', WAIT_MS, 'connect.challenge');
  const id = nextId('connect');
  c.send({ type: 'req', id, method: 'connect', params });
  const res = await c.res(id);
  return { c, challenge, res };
}

/** A connected operator socket (token auth, gateway-client/backend, the given scopes). */
export async function operator(port: number, scopes: string[] = ['operator.admin'], over: Record<string, any> = {}): Promise<RawClient> {
  const { c, res } = await connectRaw(wsUrl(port), connectParams({ scopes, auth: { token: TOKEN }, ...over }));
  if (!res.ok) throw new Error(`connect refused: ${JSON.stringify(res.error)}`);
  return c;
}

/** Re-exported for the raw-socket tests that import it from here (it lives in ./wait.ts). */
export { until };
