import WebSocket from 'ws';
import {
  ConnectError, ConnectionClosedError, createGatewayClient, GatewayRequestError, RequestTimeoutError,
  type GatewayClient, type GatewaySession,
} from '../client/index.js';
import { VERSION } from '../core/version.js';

// The owner CLI's connection: `clawgate/client` (the one client) with `ws`, as device-less `cli`/`cli` with the
// shared secret, so on a direct loopback socket the gateway keeps the requested operator scopes. No reconnect:
// one command, one connection, every wait bounded. Errors become the two kinds the CLI maps to exit codes.
// The token is only ever put in the `connect` frame: never logged, printed or put in an error.

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

/** `ws` with the CLI's socket options: no compression, the connect timeout on the upgrade, the gateway's frame cap. */
class CliWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS, maxPayload: 26_214_400 });
  }

  /** Closes, and cuts the socket if the close handshake takes over CLOSE_WAIT_MS (the command must exit). */
  override close(code?: number, reason?: string): void {
    super.close(code, reason);
    const timer = setTimeout(() => this.terminate(), CLOSE_WAIT_MS).unref();
    this.once('close', () => clearTimeout(timer));
  }
}

/** One authenticated operator connection. */
export class GatewayConnection {
  private constructor(private readonly client: GatewayClient, private readonly session: GatewaySession, private readonly url: string) {}

  /** The gateway's hello-ok. */
  get hello(): Record<string, unknown> {
    return this.session.hello as unknown as Record<string, unknown>;
  }

  /** Opens the socket and completes the handshake within `timeoutMs`; resolves only once hello-ok has arrived. */
  static async connect(target: GatewayTarget, timeoutMs = CONNECT_TIMEOUT_MS): Promise<GatewayConnection> {
    const client = createGatewayClient({
      url: target.url, WebSocket: CliWebSocket, token: target.token,
      client: { id: 'cli', mode: 'cli', version: VERSION, platform: process.platform },
      role: 'operator', scopes: OPERATOR_SCOPES, challengeTimeoutMs: timeoutMs, helloTimeoutMs: timeoutMs,
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayUnavailableError(`no answer from the gateway at ${target.url} within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    client.start();
    try {
      return new GatewayConnection(client, await Promise.race([client.ready(), deadline]), target.url);
    } catch (err) {
      client.stop();
      throw err instanceof ConnectError ? connectError(err, target) : err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The method's payload, or a GatewayError with the gateway's code and message. */
  async request<T = unknown>(method: string, params: unknown = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    try {
      return (await this.session.request(method as 'health', params as never, { timeoutMs })) as T;
    } catch (err) {
      if (err instanceof GatewayRequestError) throw methodError(method, err, this.grantedScopes, this.url);
      if (err instanceof RequestTimeoutError) throw new GatewayUnavailableError(err.message);
      if (err instanceof ConnectionClosedError) throw new GatewayUnavailableError(err.message);
      throw err;
    }
  }

  /** Calls `listener` with every event frame from now on (chat, agent, tick…); returns the unsubscribe. */
  onEvent(listener: (e: GatewayEvent) => void): () => void {
    return this.client.onEvent('*', (payload, meta) => listener({ event: meta.event, payload, ...(meta.seq !== undefined ? { seq: meta.seq } : {}) }));
  }

  /** The scopes the gateway granted this socket (hello-ok `auth.scopes`). */
  get grantedScopes(): string[] {
    const scopes = this.session.hello.auth?.scopes;
    return Array.isArray(scopes) ? scopes : [];
  }

  /** Close 1000; pending requests are cancelled. */
  async close(): Promise<void> {
    this.client.stop();
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

/** `message [DETAIL_CODE or CODE]`. */
function describe(e: { message: string; code: string; detailCode?: string }): string {
  return `${e.message} [${e.detailCode ?? e.code}]`;
}

function connectError(e: ConnectError, target: GatewayTarget): Error {
  if (e.failure === 'socket-error') return socketError(e.cause, target.url);
  if (e.failure === 'challenge-timeout' || e.failure === 'connect-timeout') return new GatewayUnavailableError(e.message);
  if (e.failure === 'closed') {
    // 1012/1013: restarting or starting; anything else is a refusal this client cannot fix by waiting
    const code = e.close?.code;
    return code === 1012 || code === 1013 || code === 1006 ? new GatewayUnavailableError(e.message) : new GatewayError(e.message, 'CLOSED');
  }
  const text = describe(e);
  if (e.code === 'UNAVAILABLE') return new GatewayUnavailableError(`gateway at ${target.url} is not accepting connections: ${text}`);
  let hint = '';
  if (e.detailCode === 'DEVICE_IDENTITY_REQUIRED' && target.token === undefined) {
    hint = ' (no token given: pass --token, set OPENCLAW_GATEWAY_TOKEN or use --config)';
  }
  return new GatewayError(`gateway refused the connection: ${text}${hint}`, e.code, e.details);
}

function methodError(method: string, e: GatewayRequestError, granted: string[], url: string): GatewayError {
  let hint = '';
  if (e.detailCode === 'MISSING_SCOPE' && granted.length === 0) {
    hint = ` (the gateway granted this CLI no scopes: a device-less CLI keeps its scopes only on a direct loopback connection, not via ${url})`;
  }
  return new GatewayError(`${method}: ${describe(e)}${hint}`, e.code, e.details);
}

function socketError(cause: unknown, url: string): Error {
  const err = (cause ?? {}) as NodeJS.ErrnoException;
  const message = typeof err.message === 'string' ? err.message : String(cause);
  const status = /Unexpected server response: (\d+)/.exec(message)?.[1];
  if (status === '429') return new GatewayError(`gateway at ${url} refused the upgrade: HTTP 429 (too many failed authentication attempts; retry later)`, 'HTTP_429');
  if (status) return new GatewayUnavailableError(`gateway at ${url} refused the WebSocket upgrade: HTTP ${status}`);
  const code = err.code ?? (err as { cause?: NodeJS.ErrnoException }).cause?.code;
  if (code === 'ECONNREFUSED') return new GatewayUnavailableError(`gateway not reachable at ${url} (connection refused: is \`clawgate gateway\` running?)`);
  if (/handshake has timed out/i.test(message)) return new GatewayUnavailableError(`no answer from the gateway at ${url} within ${CONNECT_TIMEOUT_MS / 1000} s`);
  return new GatewayUnavailableError(`gateway not reachable at ${url} (${code ?? message})`);
}
