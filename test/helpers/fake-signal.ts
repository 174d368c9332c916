import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { sleep } from './wait.js';

// A fake bbernhard/signal-cli-rest-api for tests (spec channels.md §6.1). Loopback only, ephemeral port.
//
//   const sig = await startFakeSignal({ mode: 'json-rpc' });   // account +15550001
//   t.after(() => sig.close());                                // register before any assertion
//   … new SignalClient({ apiUrl: sig.apiUrl, account: sig.account }) …
//   sig.push({ sourceUuid: 'u-1', timestamp: 1, dataMessage: { message: 'hi' } });
//   sig.failNextSend('Failed to send message');               // next /v2/send → 400 {error}
//   sig.rateLimitNextSend();                                   // next /v2/send → 429 {challenge_tokens:['t']}
//   sig.hangNextSend();                                        // next /v2/send never answers (ambiguous)
//   sig.addAttachment('att-1', bytes);
//   await sig.waitForCalls((c) => c.path.startsWith('/v2/send'), 1);
//
// Endpoints: GET /v1/about {versions, build, mode, version}; GET /v1/accounts → [account]; POST /v2/send →
// 201 {timestamp: String(++ts)}; PUT|DELETE /v1/typing-indicator/<n> and POST /v1/receipts/<n> → 204;
// GET /v1/attachments/<id> → bytes (404 {error} when unknown); GET /v1/receive/<n>?timeout=<s> (normal and
// native modes) drains the queue, parking up to `timeout` s while it is empty; in json-rpc mode the same
// path upgrades to a WebSocket whose text frames are `{envelope, account}` (or `{error}` via pushError).
// A path whose number is not the account answers 400 {error}, as the real server does. Every request is
// recorded in `calls` (an upgrade as method `WS`), its path raw (still `%2B`-encoded).

/** The receive modes the server reports in `/v1/about`. */
export type FakeSignalMode = 'normal' | 'native' | 'json-rpc';

/** One request the fake received. */
export interface FakeSignalCall {
  /** HTTP method, or `WS` for a WebSocket upgrade. */
  method: string;
  /** The raw path without the query (`/v1/receive/%2B15550001`). */
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when none). */
  body: any;
}

/** Options of the fake. */
export interface FakeSignalOptions {
  /** What `/v1/about` reports (default `json-rpc`). */
  mode?: FakeSignalMode;
  /** The registered number (default `+15550001`). */
  account?: string;
}

/** The running fake signal-cli-rest-api. */
export interface FakeSignal {
  /** `http://127.0.0.1:<port>` — the account's `apiUrl`. */
  apiUrl: string;
  account: string;
  calls: FakeSignalCall[];
  /** The mode `/v1/about` reports (changeable while running). */
  mode: FakeSignalMode;
  /** The accounts `/v1/accounts` lists (default `[account]`; empty = not registered). */
  accounts: string[];
  /** The bodies of every `/v2/send`, in order (also the answered-with-error ones). */
  sends(): any[];
  /** json-rpc: sends `{envelope, account}` to every connected WebSocket (lost when none, as upstream #537); else queues it for GET /v1/receive. */
  push(envelope: object): void;
  /** json-rpc: sends an `{error}` frame to every connected WebSocket. */
  pushError(error: string): void;
  /** Terminates every connected WebSocket (no close handshake). */
  dropClients(): void;
  /** Connected WebSockets. */
  clientCount(): number;
  /** While on, the WebSockets answer no ping (the client's pong watchdog then fires). */
  mutePongs(on: boolean): void;
  /** The next /v2/send answers 400 {error}. */
  failNextSend(error?: string): void;
  /** The next /v2/send answers 429 {error, challenge_tokens: ['t']}. */
  rateLimitNextSend(): void;
  /** The next /v2/send is recorded but never answered (until close()). */
  hangNextSend(): void;
  /** The next /v2/send answers 500 {error} (signal-cli crashed mid-send). */
  crashNextSend(): void;
  /** Serves `bytes` at GET /v1/attachments/<id>. */
  addAttachment(id: string, bytes: Uint8Array): void;
  /** Resolves once `count` calls match (polls every 5 ms, at most `timeoutMs`, default 5000). */
  waitForCalls(match: (call: FakeSignalCall) => boolean, count: number, timeoutMs?: number): Promise<FakeSignalCall[]>;
  /** Terminates the WebSockets, releases parked requests, closes open connections and the server. */
  close(): Promise<void>;
}

type SendSwitch = { kind: 'fail'; error: string } | { kind: 'rateLimit' } | { kind: 'hang' } | { kind: 'crash' };

/** Starts the fake on 127.0.0.1:0. */
export async function startFakeSignal(options: FakeSignalOptions = {}): Promise<FakeSignal> {
  const account = options.account ?? '+15550001';
  const calls: FakeSignalCall[] = [];
  const queue: object[] = [];
  const attachments = new Map<string, Uint8Array>();
  const parked = new Set<() => void>();
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true, autoPong: false });
  let pongsMuted = false;
  let sendSwitch: SendSwitch | undefined;
  let ts = 1_700_000_000_000;
  let closed = false;

  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const release = (): void => {
    for (const wake of [...parked]) wake();
  };

  /** The number in `/v1/<what>/<number>` decoded, checked against the account. */
  const numberOk = (raw: string | undefined): boolean => raw !== undefined && decodeURIComponent(raw) === account;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, call: FakeSignalCall): Promise<void> {
    const m = req.method ?? 'GET';
    const parts = call.path.split('/').filter(Boolean); // ['v1', 'receive', '%2B15550001']
    const route = `${m} /${parts.slice(0, 2).join('/')}`;
    const unregistered = (): void => json(res, 400, { error: `User ${decodeURIComponent(parts[2] ?? '')} is not registered.` });
    switch (route) {
      case 'GET /v1/about':
        return json(res, 200, { versions: ['v1', 'v2'], build: 2, mode: fake.mode, version: '0.92', capabilities: { 'v2/send': ['quotes', 'mentions'] } });
      case 'GET /v1/accounts':
        return json(res, 200, fake.accounts);
      case 'POST /v2/send': {
        if (call.body?.number !== account) return json(res, 400, { error: `User ${String(call.body?.number)} is not registered.` });
        const s = sendSwitch;
        sendSwitch = undefined;
        if (s?.kind === 'fail') return json(res, 400, { error: s.error });
        if (s?.kind === 'rateLimit') return json(res, 429, { error: 'Failed to send message due to rate limiting', challenge_tokens: ['t'] });
        if (s?.kind === 'crash') return json(res, 500, { error: 'signal-cli exited' });
        if (s?.kind === 'hang') return void (await new Promise<void>((resolve) => parked.add(resolve)));
        return json(res, 201, { timestamp: String(++ts) });
      }
      case 'PUT /v1/typing-indicator':
      case 'DELETE /v1/typing-indicator':
      case 'POST /v1/receipts':
        if (!numberOk(parts[2])) return unregistered();
        return void res.writeHead(204).end();
      case 'GET /v1/attachments': {
        const bytes = attachments.get(decodeURIComponent(parts[2] ?? ''));
        if (!bytes) return json(res, 404, { error: 'attachment not found' });
        return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength }).end(bytes);
      }
      case 'GET /v1/receive': {
        if (!numberOk(parts[2])) return unregistered();
        if (fake.mode === 'json-rpc') return json(res, 400, { error: 'Only WebSocket receive is supported in json-rpc mode' });
        const timeoutS = Number(call.query.get('timeout') ?? '1');
        if (queue.length === 0 && !closed) {
          // park until something is pushed, the timeout passes, the client goes away or close()
          await new Promise<void>((resolve) => {
            const wake = (): void => {
              parked.delete(wake);
              clearTimeout(timer);
              resolve();
            };
            const timer = setTimeout(wake, Math.max(0, timeoutS) * 1000);
            parked.add(wake);
            res.once('close', wake);
          });
        }
        if (res.destroyed) return; // the client aborted: keep the queue for the next receive
        return json(res, 200, queue.splice(0).map((envelope) => ({ envelope, account })));
      }
      default:
        return json(res, 404, { error: `no route ${route}` });
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return json(res, 400, { error: 'invalid JSON body' });
      }
      const call: FakeSignalCall = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body };
      calls.push(call);
      handle(req, res, call).catch((err: unknown) => {
        if (!res.headersSent) json(res, 500, { error: String(err) });
      });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    calls.push({ method: 'WS', path: url.pathname, query: url.searchParams, body: undefined });
    const parts = url.pathname.split('/').filter(Boolean);
    if (fake.mode !== 'json-rpc' || parts[0] !== 'v1' || parts[1] !== 'receive' || !numberOk(parts[2])) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('ping', (data) => {
        if (!pongsMuted) ws.pong(data);
      });
      wss.emit('connection', ws, req);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const broadcast = (frame: unknown): void => {
    const text = JSON.stringify(frame);
    for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  };

  const fake: FakeSignal = {
    apiUrl: `http://127.0.0.1:${port}`,
    account,
    calls,
    mode: options.mode ?? 'json-rpc',
    accounts: [account],
    sends: () => calls.filter((c) => c.method === 'POST' && c.path === '/v2/send').map((c) => c.body),
    push(envelope) {
      if (fake.mode === 'json-rpc') broadcast({ envelope, account });
      else {
        queue.push(envelope);
        release();
      }
    },
    pushError: (error) => broadcast({ error }),
    dropClients() {
      for (const ws of wss.clients) ws.terminate();
    },
    clientCount: () => wss.clients.size,
    mutePongs(on) {
      pongsMuted = on;
    },
    failNextSend(error = 'Failed to send message: Unregistered user') {
      sendSwitch = { kind: 'fail', error };
    },
    rateLimitNextSend() {
      sendSwitch = { kind: 'rateLimit' };
    },
    hangNextSend() {
      sendSwitch = { kind: 'hang' };
    },
    crashNextSend() {
      sendSwitch = { kind: 'crash' };
    },
    addAttachment(id, bytes) {
      attachments.set(id, bytes);
    },
    async waitForCalls(match, count, timeoutMs = 5000) {
      for (let waited = 0; ; waited += 5) {
        const found = calls.filter(match);
        if (found.length >= count) return found;
        if (waited >= timeoutMs) throw new Error(`fake signal: ${found.length} of ${count} matching calls after ${timeoutMs} ms`);
        await sleep(5);
      }
    },
    async close() {
      closed = true;
      for (const ws of wss.clients) ws.terminate();
      release();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
    },
  };
  return fake;
}
