import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { VERSION } from '../core/version.js';

// A small operator client of the WS control plane: one WebSocket to the gateway, `connect.challenge` →
// `connect` → hello-ok, then request/response by id and event listeners. `connect()` resolves only after
// hello-ok, so no request can go out before the handshake. Device-less `cli`/`cli` with the shared secret, so
// on a direct loopback socket the gateway keeps the requested operator scopes. Every wait is bounded. The
// token is only ever put in the `connect` frame: it is never logged, printed or put in an error. The owner
// CLI uses it, and it is published as `clawgate/client` (runs on Node 20).

/** The gateway answered with an error (exit 1). */
export class GatewayError extends Error {
  constructor(message: string, readonly code: string, readonly details?: unknown) {
    super(message);
  }
}

/** No gateway to talk to: nothing listening, refused upgrade, restarting, connection lost, no answer (exit 69). */
export class GatewayUnavailableError extends Error {}


/** How long the socket open and the connect handshake may take. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long the CLI waits for the answer to one request. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How long `nodes invoke` waits by default: the gateway's 30 s invoke deadline plus 5 s. */
export const INVOKE_TIMEOUT_MS = 35_000;
const CLOSE_WAIT_MS = 1_000;

/** The scopes the CLI asks for (kept on a direct loopback connection with the shared secret). */
export const OPERATOR_SCOPES = ['operator.admin', 'operator.read', 'operator.write', 'operator.pairing'];

/** Where the CLI connects, and the shared secret it presents. */
export interface GatewayTarget {
  url: string;
  token?: string;
}


/** A server-pushed event frame (`{type:"event", event, payload, seq?}`). */
export interface GatewayEvent {
  event: string;
  payload: unknown;
  seq?: number;
}

interface Pending {
  method: string;
  resolve(payload: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** One authenticated operator connection. */
export class GatewayConnection {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(e: GatewayEvent) => void>();
  private nextId = 0;
  private closeInfo?: { code: number; reason: string };

  private constructor(private readonly ws: WebSocket, private readonly url: string, readonly hello: Record<string, unknown>) {
    ws.on('message', (data, isBinary) => this.onMessage(isBinary ? undefined : data.toString()));
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      const why = `connection to the gateway closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new GatewayUnavailableError(`${p.method}: ${why} before it answered`));
      }
    });
  }

  /**
   * Opens the socket and completes the handshake within CONNECT_TIMEOUT_MS. It resolves only once hello-ok
   * has arrived, so no request can be sent before the handshake is complete.
   */
  static connect(target: GatewayTarget, timeoutMs = CONNECT_TIMEOUT_MS): Promise<GatewayConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(target.url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, maxPayload: 26_214_400 });
      const connectId = 'cli-connect';
      let answered = false;
      let settled = false;
      const finish = (err: Error | undefined, conn?: GatewayConnection) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.removeListener('message', onMessage);
        if (err) {
          ws.removeAllListeners('close');
          ws.on('error', () => { /* already reported */ });
          if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
          reject(err);
        } else {
          resolve(conn!);
        }
      };
      const timer = setTimeout(() => finish(new GatewayUnavailableError(
        `no answer from the gateway at ${target.url} within ${timeoutMs / 1000} s`)), timeoutMs);
      const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
        const frame = isBinary ? undefined : parseFrame(data.toString());
        if (!frame) return;
        if (frame.type === 'event' && frame.event === 'connect.challenge') {
          ws.send(JSON.stringify({
            type: 'req', id: connectId, method: 'connect',
            params: {
              minProtocol: 4, maxProtocol: 4,
              client: { id: 'cli', version: VERSION, platform: process.platform, mode: 'cli' },
              role: 'operator',
              scopes: OPERATOR_SCOPES,
              ...(target.token !== undefined ? { auth: { token: target.token } } : {}),
            },
          }));
          return;
        }
        if (frame.type !== 'res' || frame.id !== connectId) return;
        answered = true;
        if (frame.ok) return finish(undefined, new GatewayConnection(ws, target.url, (frame.payload ?? {}) as Record<string, unknown>));
        finish(connectError(frame.error as ErrorShape | undefined, target));
      };
      ws.on('message', onMessage);
      ws.on('error', (err: NodeJS.ErrnoException) => finish(socketError(err, target.url)));
      ws.on('close', (code, reason) => {
        if (answered) return;
        const text = reason.toString();
        const msg = `the gateway at ${target.url} closed the connection during the handshake (${code}${text ? ` ${text}` : ''})`;
        // 1012/1013: restarting or starting; anything else is a refusal this client cannot fix by waiting
        finish(code === 1012 || code === 1013 || code === 1006 ? new GatewayUnavailableError(msg) : new GatewayError(msg, 'CLOSED'));
      });
    });
  }

  /** The method's payload, or a GatewayError with the gateway's code and message. */
  request<T = unknown>(method: string, params: unknown = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    if (this.closeInfo || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new GatewayUnavailableError(`${method}: the connection to the gateway is closed`));
    }
    const id = `cli-${++this.nextId}-${randomUUID().slice(0, 8)}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayUnavailableError(`${method}: no answer from the gateway within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (p: unknown) => void, reject, timer });
      this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  /** Calls `listener` with every event frame from now on (chat, agent, tick…); returns the unsubscribe. */
  onEvent(listener: (e: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The scopes the gateway granted this socket (hello-ok `auth.scopes`). */
  get grantedScopes(): string[] {
    const scopes = (this.hello.auth as { scopes?: unknown } | null | undefined)?.scopes;
    return Array.isArray(scopes) ? scopes : [];
  }

  /** Close 1000 and wait (bounded) for the close handshake; then the process can exit on its own. */
  close(): Promise<void> {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new GatewayUnavailableError(`${p.method}: cancelled`));
    }
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.ws.terminate(); resolve(); }, CLOSE_WAIT_MS);
      this.ws.once('close', () => { clearTimeout(timer); resolve(); });
      this.ws.on('error', () => { /* closing anyway */ });
      if (this.ws.readyState !== WebSocket.CLOSING) this.ws.close(1000, 'cli done');
    });
  }

  private onMessage(text: string | undefined): void {
    const frame = text === undefined ? undefined : parseFrame(text);
    if (frame?.type === 'event' && typeof frame.event === 'string') {
      const e: GatewayEvent = { event: frame.event, payload: frame.payload, ...(typeof frame.seq === 'number' ? { seq: frame.seq } : {}) };
      for (const l of this.listeners) l(e);
      return;
    }
    if (frame?.type !== 'res' || typeof frame.id !== 'string') return;
    const p = this.pending.get(frame.id);
    if (!p) return;
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.ok) p.resolve(frame.payload);
    else p.reject(methodError(p.method, frame.error as ErrorShape | undefined, this.grantedScopes, this.url));
  }
}

/** Connect, run `fn`, always close. */
export async function withGateway<T>(target: GatewayTarget, fn: (gw: GatewayConnection) => Promise<T>): Promise<T> {
  const gw = await GatewayConnection.connect(target);
  try {
    return await fn(gw);
  } finally {
    await gw.close();
  }
}


function parseFrame(text: string): Record<string, unknown> | undefined {
  try {
    const f = JSON.parse(text);
    return f && typeof f === 'object' && !Array.isArray(f) ? f : undefined;
  } catch {
    return undefined;
  }
}

interface ErrorShape {
  code?: string;
  message?: string;
  details?: { code?: unknown };
}

/** `message [DETAIL_CODE or CODE]`, from the gateway's error shape. */
function describe(e: ErrorShape | undefined): { text: string; code: string } {
  const code = typeof e?.code === 'string' ? e.code : 'ERROR';
  const detail = typeof e?.details?.code === 'string' ? e.details.code : undefined;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : 'request failed';
  return { text: `${message} [${detail ?? code}]`, code };
}

function connectError(e: ErrorShape | undefined, target: GatewayTarget): Error {
  const { text, code } = describe(e);
  if (code === 'UNAVAILABLE') return new GatewayUnavailableError(`gateway at ${target.url} is not accepting connections: ${text}`);
  let hint = '';
  if (e?.details?.code === 'DEVICE_IDENTITY_REQUIRED' && target.token === undefined) {
    hint = ' (no token given: pass --token, set OPENCLAW_GATEWAY_TOKEN or use --config)';
  }
  return new GatewayError(`gateway refused the connection: ${text}${hint}`, code, e?.details);
}

function methodError(method: string, e: ErrorShape | undefined, granted: string[], url: string): GatewayError {
  const { text, code } = describe(e);
  let hint = '';
  if (e?.details?.code === 'MISSING_SCOPE' && granted.length === 0) {
    hint = ` (the gateway granted this CLI no scopes: a device-less CLI keeps its scopes only on a direct loopback connection, not via ${url})`;
  }
  return new GatewayError(`${method}: ${text}${hint}`, code, e?.details);
}

function socketError(err: NodeJS.ErrnoException, url: string): Error {
  const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
  if (status === '429') return new GatewayError(`gateway at ${url} refused the upgrade: HTTP 429 (too many failed authentication attempts; retry later)`, 'HTTP_429');
  if (status) return new GatewayUnavailableError(`gateway at ${url} refused the WebSocket upgrade: HTTP ${status}`);
  const code = err.code ?? (err as { cause?: NodeJS.ErrnoException }).cause?.code;
  if (code === 'ECONNREFUSED') return new GatewayUnavailableError(`gateway not reachable at ${url} (connection refused: is \`clawgate gateway\` running?)`);
  return new GatewayUnavailableError(`gateway not reachable at ${url} (${code ?? err.message})`);
}
