import type { HelloOk } from '../../protocol/hello.js';
import { type ClientClock, systemClock } from './clock.js';
import { buildConnectParams, type ConnectInputs } from './connect-params.js';
import { toHex } from './device-auth.js';
import { ConnectError, ConnectionClosedError } from './errors.js';
import type { EventMeta, GatewayEventName, GatewayEvents } from './events.js';
import { defaultRandom, type RandomSource } from './key-store.js';
import { pausesReconnect, type ReconnectPolicy, reconnectDelayMs } from './reconnect-policy.js';
import { createSession, type GatewaySession, type SessionHandle } from './session.js';
import { Subscriptions } from './subscriptions.js';
import type { CloseEventLike, ErrorEventLike, MessageEventLike, WebSocketConstructor, WebSocketLike } from './websocket.js';

// The control-plane client (web-surfaces K3–K6, openclaw-protocol.md §3, §19): challenge → connect → hello-ok,
// then a GatewaySession per handshake; per-connection `seq` gap detection, the tick watchdog, and opt-in
// reconnect with backoff that re-sends the server-side subscriptions. Isomorphic: the WebSocket constructor,
// clock and random source are injected; nothing here touches a Node built-in or the DOM.

/** How to reach and authenticate to the gateway, and how to behave. */
export interface GatewayClientOptions extends ConnectInputs {
  /** `ws://` or `wss://` URL of the gateway. */
  url: string;
  /** The WebSocket constructor (default `globalThis.WebSocket`; on Node 20 pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after a lost or failed connection (off by default): `true` for the W7 policy, or a policy. */
  reconnect?: boolean | ReconnectPolicy;
  /** Default request timeout (30 000 ms). */
  requestTimeoutMs?: number;
  /** How long to wait for `connect.challenge` after creating the socket (5 000 ms). */
  challengeTimeoutMs?: number;
  /** How long to wait for hello-ok after sending `connect` (15 000 ms). */
  helloTimeoutMs?: number;
  random?: RandomSource;
  clock?: ClientClock;
}

/** Where the client is; `onStatus` reports every change. */
export type GatewayStatus =
  | { state: 'idle' }
  | { state: 'connecting'; attempt: number }
  | { state: 'ready'; session: GatewaySession }
  | { state: 'reconnecting'; attempt: number; delayMs: number; error: Error }
  | { state: 'paused'; error: Error }
  | { state: 'stopped'; error?: Error };

/** A seq gap on one connection (an event was missed: reload state). */
export interface SeqGap {
  expected: number;
  received: number;
}

/** The client: no `request` here (K3): requests go through the GatewaySession of a hello-ok. */
export interface GatewayClient {
  /** Opens the connection (again, after stop or a pause). */
  start(): void;
  /** Closes (1000) and stops reconnecting; pending requests reject with ConnectionClosedError. */
  stop(): void;
  /** The current session, or the next one; rejects when the client stops, pauses or (without reconnect) fails. */
  ready(): Promise<GatewaySession>;
  /** Called with each new session (every successful handshake). Returns the unsubscribe. */
  onHelloOk(cb: (session: GatewaySession) => void): () => void;
  /** Called with the payload of every `name` event (`*`: every event). Returns the unsubscribe. */
  onEvent<E extends GatewayEventName>(name: E, cb: (payload: GatewayEvents[E], meta: EventMeta) => void): () => void;
  onEvent(name: string, cb: (payload: unknown, meta: EventMeta) => void): () => void;
  /** Called on every status change. Returns the unsubscribe. */
  onStatus(cb: (status: GatewayStatus) => void): () => void;
  /** Called when the frame `seq` skips. Returns the unsubscribe. */
  onGap(cb: (gap: SeqGap) => void): () => void;
  /** Called when reconnecting stops for an error a retry cannot fix (pairing, auth, protocol). Returns the unsubscribe. */
  onReconnectPaused(cb: (error: Error) => void): () => void;
  /** The latest status. */
  readonly status: GatewayStatus;
}

/** Creates a client; nothing happens until `start()`. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketImpl) throw new TypeError('no WebSocket here: pass options.WebSocket (on Node 20: the `ws` package)');
  const WS: WebSocketConstructor = WebSocketImpl;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? defaultRandom;
  const policy = options.reconnect === true ? {} : options.reconnect || undefined;
  const listeners = {
    hello: new Set<(s: GatewaySession) => void>(), status: new Set<(s: GatewayStatus) => void>(),
    gap: new Set<(g: SeqGap) => void>(), paused: new Set<(e: Error) => void>(),
    events: new Map<string, Set<(payload: unknown, meta: EventMeta) => void>>(),
  };
  const waiters = new Set<{ resolve(s: GatewaySession): void; reject(e: Error): void }>();
  const subscriptions = new Subscriptions();
  let status: GatewayStatus = { state: 'idle' };
  let conn: Connection | undefined;
  let attempt = 0;
  let retryTimer: unknown;
  let nextId = 0;
  const idPrefix = toHex(random(4));

  const emit = <T>(set: Set<(v: T) => void>, value: T) => {
    for (const cb of [...set]) cb(value);
  };
  const setStatus = (s: GatewayStatus) => {
    status = s;
    emit(listeners.status, s);
  };
  const rejectWaiters = (err: Error) => {
    for (const w of [...waiters]) w.reject(err);
    waiters.clear();
  };

  /** One socket, from creation to close. */
  class Connection {
    readonly ws: WebSocketLike;
    handle: SessionHandle | undefined;
    private finished = false;
    private socketError: unknown;
    private connectId = '';
    private usedDeviceToken = false;
    private timer: unknown;
    private lastSeq = 0;
    private lastInbound = clock.now();

    constructor() {
      this.ws = new WS(options.url);
      this.timer = clock.setTimeout(() => this.fail(new ConnectError('challenge-timeout',
        `no connect.challenge from ${options.url} within ${(options.challengeTimeoutMs ?? 5_000) / 1000} s`), 4000, 'connect challenge timeout'),
        options.challengeTimeoutMs ?? 5_000);
      this.ws.onmessage = (ev: MessageEventLike) => this.onMessage(ev.data);
      this.ws.onerror = (ev: ErrorEventLike) => { this.socketError = ev.error ?? ev.message ?? ev; };
      this.ws.onclose = (ev: CloseEventLike) => this.onClose({ code: ev.code, reason: ev.reason });
    }

    private onMessage(data: unknown): void {
      if (this.finished || typeof data !== 'string') return;
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }
      if (frame === null || typeof frame !== 'object') return;
      this.lastInbound = clock.now();
      if (frame.type === 'event' && frame.event === 'connect.challenge' && this.connectId === '') {
        void this.sendConnect(frame.payload as { nonce?: unknown; ts?: unknown } | undefined);
      } else if (frame.type === 'res' && this.connectId !== '' && frame.id === this.connectId && !this.handle) {
        if (frame.ok === true) this.onHello(frame.payload as HelloOk);
        else this.fail(new ConnectError('rejected', messageOf(frame.error), { error: frame.error as never }), 1000, 'connect failed');
      } else if (frame.type === 'res') {
        this.handle?.onResponse(frame);
      } else if (frame.type === 'event' && typeof frame.event === 'string' && this.handle) {
        this.onEvent(frame.event, frame.payload, typeof frame.seq === 'number' ? frame.seq : undefined);
      }
    }

    private async sendConnect(challenge: { nonce?: unknown; ts?: unknown } | undefined): Promise<void> {
      clock.clearTimeout(this.timer);
      const nonce = challenge?.nonce;
      const ts = challenge?.ts;
      if (typeof nonce !== 'string' || (options.identity && !Number.isInteger(ts))) {
        return this.fail(new ConnectError('rejected', 'the gateway sent an invalid connect.challenge'), 4000, 'invalid challenge');
      }
      this.connectId = this.newId();
      let built: Awaited<ReturnType<typeof buildConnectParams>>;
      try {
        built = await buildConnectParams(options, { nonce, ts: ts as number });
      } catch (err) {
        return this.fail(new ConnectError('rejected', `could not sign the connect request: ${(err as Error).message}`, { cause: err }), 4000, 'connect failed');
      }
      if (this.finished) return;
      this.usedDeviceToken = built.usedDeviceToken;
      this.timer = clock.setTimeout(() => this.fail(new ConnectError('connect-timeout',
        `no answer to connect from ${options.url} within ${(options.helloTimeoutMs ?? 15_000) / 1000} s`), 4000, 'connect timeout'),
        options.helloTimeoutMs ?? 15_000);
      this.send(JSON.stringify({ type: 'req', id: this.connectId, method: 'connect', params: built.params }));
    }

    private onHello(hello: HelloOk): void {
      clock.clearTimeout(this.timer);
      attempt = 0;
      const { identity, tokenStore } = options;
      const issued = hello.auth?.deviceToken;
      if (identity && tokenStore && issued) {
        const role = options.role ?? 'operator';
        void Promise.resolve(tokenStore.get(identity.deviceId, role)).then((old) =>
          tokenStore.set(identity.deviceId, role, { token: issued, scopes: old?.token === issued ? old.scopes : hello.auth.scopes }));
      }
      this.handle = createSession(hello, {
        send: (text) => this.send(text), newId: () => this.newId(), clock,
        requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
        onSuccess: (method, params) => subscriptions.record(method, params),
      });
      this.watch(hello.policy?.tickIntervalMs ?? 30_000);
      const session = this.handle.session;
      // the subscriptions are back before anyone gets the session, so a resync it starts misses nothing
      const again = subscriptions.all().map(([method, params]) => session.request(method as 'health', params as never));
      if (again.length === 0) return this.deliver(session);
      void Promise.allSettled(again).then(() => this.deliver(session));
    }

    private deliver(session: GatewaySession): void {
      if (this.finished) return;
      setStatus({ state: 'ready', session });
      emit(listeners.hello, session);
      for (const w of [...waiters]) w.resolve(session);
      waiters.clear();
    }

    private onEvent(event: string, payload: unknown, seq: number | undefined): void {
      if (seq !== undefined) {
        if (seq > this.lastSeq + 1) emit(listeners.gap, { expected: this.lastSeq + 1, received: seq });
        if (seq > this.lastSeq) this.lastSeq = seq;
      }
      const meta: EventMeta = seq !== undefined ? { event, seq } : { event };
      for (const name of [event, '*']) {
        for (const cb of [...(listeners.events.get(name) ?? [])]) cb(payload, meta);
      }
    }

    /** The tick watchdog: no inbound frame for 2 × tickIntervalMs → close 4000 `tick timeout`. */
    private watch(tickMs: number): void {
      // wakes when the silence would pass 2 × tickMs (not every tickMs, which closed up to one interval late)
      const arm = () => {
        this.timer = clock.setTimeout(check, Math.max(1, this.lastInbound + 2 * tickMs + 1 - clock.now()));
      };
      const check = () => {
        if (this.finished) return;
        if (clock.now() - this.lastInbound > 2 * tickMs) return this.lost({ code: 4000, reason: 'tick timeout' }, true);
        arm();
      };
      arm();
    }

    private newId(): string {
      return `${++nextId}:${idPrefix}`;
    }

    private send(text: string): void {
      this.ws.send(text);
    }

    private onClose(close: { code: number; reason: string }): void {
      if (this.finished) return;
      if (this.handle) return this.lost(close, false);
      const why = `${close.code}${close.reason ? ` ${close.reason}` : ''}`;
      if (this.socketError !== undefined) {
        this.fail(new ConnectError('socket-error', `could not connect to ${options.url}: ${describeCause(this.socketError)}`, { close, cause: this.socketError }));
      } else {
        this.fail(new ConnectError('closed', `the gateway at ${options.url} closed the connection during the handshake (${why})`, { close }));
      }
    }

    /** Ends this socket for good: handlers detached, the socket closed with `code` if still open. */
    detach(code?: number, reason?: string): void {
      if (this.finished) return;
      this.finished = true;
      clock.clearTimeout(this.timer);
      const noop = () => undefined;
      this.ws.onmessage = noop;
      this.ws.onclose = noop;
      this.ws.onerror = noop; // `ws` throws an error event that has no listener
      if (code !== undefined) {
        try {
          this.ws.close(code, reason);
        } catch {
          // already closing
        }
      }
    }

    /** The handshake failed. */
    fail(err: ConnectError, code?: number, reason?: string): void {
      if (this.finished) return;
      this.detach(code, reason);
      const detail = err.detailCode;
      const { identity, tokenStore } = options;
      // a stale device token is dropped and the next attempt goes without it (no pause for that one)
      const staleToken = detail === 'AUTH_DEVICE_TOKEN_MISMATCH' && this.usedDeviceToken;
      if (staleToken && identity && tokenStore) void tokenStore.delete(identity.deviceId, options.role ?? 'operator');
      afterConnection(this, err, pausesReconnect(err) && !staleToken);
    }

    /** The session's socket closed (or the watchdog gave up on it). */
    lost(close: { code: number; reason: string }, closeSocket: boolean): void {
      if (this.finished) return;
      this.detach(closeSocket ? close.code : undefined, closeSocket ? close.reason : undefined);
      this.handle?.end(close);
      afterConnection(this, new ConnectionClosedError('connection', close), close.code === 1008 && close.reason !== 'slow consumer');
    }
  }

  /** After a connection ended: reconnect, pause or stop. */
  function afterConnection(ended: Connection, error: Error, pause: boolean): void {
    if (conn !== ended) return;
    conn = undefined;
    if (!policy) {
      setStatus({ state: 'stopped', error });
      rejectWaiters(error);
      return;
    }
    if (pause) {
      setStatus({ state: 'paused', error });
      emit(listeners.paused, error);
      rejectWaiters(error);
      return;
    }
    const retryAfter = error instanceof ConnectError ? error.retryAfterMs : undefined;
    const delayMs = reconnectDelayMs(attempt, policy, random(1)[0] / 256, retryAfter);
    setStatus({ state: 'reconnecting', attempt: ++attempt, delayMs, error });
    retryTimer = clock.setTimeout(() => {
      retryTimer = undefined;
      connect();
    }, delayMs);
  }

  function connect(): void {
    setStatus({ state: 'connecting', attempt });
    try {
      conn = new Connection();
    } catch (err) {
      conn = undefined;
      const error = new ConnectError('socket-error', `could not open a WebSocket to ${options.url}: ${(err as Error).message}`, { cause: err });
      setStatus({ state: 'stopped', error });
      rejectWaiters(error);
    }
  }

  const on = <T>(set: Set<T>, cb: T) => {
    set.add(cb);
    return () => void set.delete(cb);
  };

  return {
    get status() { return status; },
    start() {
      if (conn || retryTimer !== undefined) return;
      attempt = 0;
      connect();
    },
    stop() {
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      retryTimer = undefined;
      const c = conn;
      conn = undefined;
      c?.detach(1000, 'client stopped');
      c?.handle?.end({ code: 1000, reason: 'client stopped' });
      const error = new ConnectionClosedError('ready', { code: 1000, reason: 'client stopped' });
      if (status.state !== 'stopped') setStatus({ state: 'stopped', error });
      rejectWaiters(error);
    },
    ready() {
      if (status.state === 'ready' && !status.session.closed) return Promise.resolve(status.session);
      if ((status.state === 'stopped' || status.state === 'paused') && !conn && retryTimer === undefined && status.error) {
        return Promise.reject(status.error);
      }
      return new Promise((resolve, reject) => void waiters.add({ resolve, reject }));
    },
    onHelloOk: (cb) => on(listeners.hello, cb),
    onEvent(name: string, cb: (payload: never, meta: EventMeta) => void) {
      let set = listeners.events.get(name);
      if (!set) listeners.events.set(name, (set = new Set()));
      return on(set, cb as (payload: unknown, meta: EventMeta) => void);
    },
    onStatus: (cb) => on(listeners.status, cb),
    onGap: (cb) => on(listeners.gap, cb),
    onReconnectPaused: (cb) => on(listeners.paused, cb),
  };
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message !== '' ? message : 'connect refused';
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return typeof cause === 'string' ? cause : 'socket error';
}
