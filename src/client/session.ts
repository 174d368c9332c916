import type { HelloOk } from '../../protocol/hello.js';
import type { ClientClock } from './clock.js';
import { ConnectionClosedError, GatewayRequestError, RequestTimeoutError } from './errors.js';
import type { GatewayMethod, ParamsOf, ResultOf } from './methods.js';

// One authenticated connection (K3): it exists only after hello-ok, so nothing can be requested before the
// handshake. When its socket closes, pending requests reject with ConnectionClosedError and later calls reject
// at once without sending anything; the next hello-ok brings a new session.

/** Per-request options. */
export interface RequestOptions {
  /** Reject with RequestTimeoutError after this long (default: the client's `requestTimeoutMs`, 30 s). */
  timeoutMs?: number;
  /** Two-phase methods (`agent`): skip the `status:"accepted"` ack and resolve with the final answer. */
  expectFinal?: boolean;
}

/** A connection that completed the handshake: the only place `request` exists. */
export interface GatewaySession {
  /** The gateway's hello-ok. */
  readonly hello: HelloOk;
  /** True once this session's socket has closed (then every request rejects at once). */
  readonly closed: boolean;
  /** Sends `method` and resolves with the gateway's payload; rejects with GatewayRequestError, RequestTimeoutError or ConnectionClosedError. */
  request<M extends GatewayMethod>(method: M, params: ParamsOf<M>, options?: RequestOptions): Promise<ResultOf<M>>;
}

/** What a session needs from its connection. */
export interface SessionIo {
  send(text: string): void;
  newId(): string;
  clock: ClientClock;
  requestTimeoutMs: number;
  /** Told of every successful request (the client remembers subscriptions with it). */
  onSuccess?(method: string, params: unknown): void;
}

interface Pending {
  method: string;
  params: unknown;
  expectFinal: boolean;
  timer: unknown;
  resolve(payload: unknown): void;
  reject(err: Error): void;
}

/** A session and the hooks its connection drives: responses in, the close. */
export interface SessionHandle {
  session: GatewaySession;
  /** A `res` frame for this socket. */
  onResponse(frame: { id?: unknown; ok?: unknown; payload?: unknown; error?: unknown }): void;
  /** The socket closed (or is being closed): fail everything pending. */
  end(close: { code: number; reason: string } | undefined): void;
  /** Whether a request is waiting for its answer. */
  hasPending(): boolean;
}

/** Makes the session of one hello-ok. */
export function createSession(hello: HelloOk, io: SessionIo): SessionHandle {
  const pending = new Map<string, Pending>();
  let ended: { close: { code: number; reason: string } | undefined } | undefined;

  const settle = (id: string, p: Pending) => {
    pending.delete(id);
    io.clock.clearTimeout(p.timer);
  };

  const session: GatewaySession = {
    hello,
    get closed() { return ended !== undefined; },
    request<M extends GatewayMethod>(method: M, params: ParamsOf<M>, options: RequestOptions = {}): Promise<ResultOf<M>> {
      if (ended) return Promise.reject(new ConnectionClosedError(method, ended.close));
      const id = io.newId();
      const timeoutMs = options.timeoutMs ?? io.requestTimeoutMs;
      return new Promise<ResultOf<M>>((resolve, reject) => {
        const p: Pending = {
          method, params, expectFinal: options.expectFinal === true, resolve: resolve as (v: unknown) => void, reject,
          timer: io.clock.setTimeout(() => {
            settle(id, p);
            reject(new RequestTimeoutError(method, timeoutMs));
          }, timeoutMs),
        };
        pending.set(id, p);
        try {
          io.send(JSON.stringify({ type: 'req', id, method, params: params ?? {} }));
        } catch (err) {
          settle(id, p);
          reject(err as Error);
        }
      });
    },
  };

  return {
    session,
    hasPending: () => pending.size > 0,
    onResponse(frame) {
      const id = typeof frame.id === 'string' ? frame.id : undefined;
      const p = id === undefined ? undefined : pending.get(id);
      if (!p || id === undefined) return;
      const payload = frame.payload as { status?: unknown } | undefined;
      if (frame.ok === true && p.expectFinal && payload?.status === 'accepted') return; // the ack of a two-phase method
      settle(id, p);
      if (frame.ok === true) {
        io.onSuccess?.(p.method, p.params);
        p.resolve(frame.payload);
      } else {
        p.reject(new GatewayRequestError(p.method, frame.error as ConstructorParameters<typeof GatewayRequestError>[1]));
      }
    },
    end(close) {
      if (ended) return;
      ended = { close };
      for (const [id, p] of pending) {
        settle(id, p);
        p.reject(new ConnectionClosedError(p.method, close));
      }
    },
  };
}
