import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ClusterStatus, NatsState } from '../core/cluster-status.js';
import type { Logger } from '../core/log.js';
import { StartupError } from '../core/startup-error.js';

// The gateway's one NATS connection. At start it must connect within a bounded time, or the start fails with
// a message saying where NATS was looked for; after that, a lost connection is retried forever (the gateway
// stays up, /readyz says 503 meanwhile) and what was published in between is buffered by the client. On
// shutdown the connection is drained: what was published is flushed before it closes.

/** How long the first connect may take before the start fails. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long shutdown waits for the drain before it closes the connection anyway (NATS may be gone). */
const DRAIN_TIMEOUT_MS = 3_000;

/** Options of {@link connectNats}. */
export interface NatsConnectOptions {
  url: string;
  instanceId: string;
  log: Logger;
  connectTimeoutMs?: number;
  /** Between reconnect attempts (default 1 s; the client adds up to 100 ms of jitter). */
  reconnectWaitMs?: number;
}

/** The NATS connection and its state, which others read (`nats`) and follow (`onState`). */
export interface NatsLink extends ClusterStatus {
  readonly nc: NatsConnection;
  /** True while connected. */
  readonly connected: boolean;
  /** Calls `listener` on every change of state; returns the function that stops it. */
  onState(listener: (state: NatsState) => void): () => void;
  /** Drains and closes the connection (bounded); resolves once it is closed. */
  close(): Promise<void>;
}

/** Connects to NATS (see the file comment); rejects with a StartupError when it cannot within the timeout. */
export async function connectNats(o: NatsConnectOptions): Promise<NatsLink> {
  const timeoutMs = o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  let nc: NatsConnection;
  const connecting = connect({
    servers: o.url, name: o.instanceId, timeout: timeoutMs,
    maxReconnectAttempts: -1, reconnectTimeWait: o.reconnectWaitMs ?? 1_000, waitOnFirstConnect: false,
    // a server that vanished without a TCP reset is noticed within ~3 pings, not the client's default 4 minutes
    pingInterval: 5_000, maxPingOut: 2,
    // the client otherwise builds a RequestError and a TimeoutError (stack traces) for every request, to
    // give a failed one its caller's stack: ~6 % of a cluster instance's CPU in bench:cluster's profile
    noAsyncTraces: true,
  });
  try {
    nc = await withDeadline(connecting, timeoutMs);
  } catch (err) {
    connecting.then((late) => late.close(), () => {}); // a connection that comes after the deadline is not kept
    throw new StartupError(`cannot reach NATS at ${o.url} (--nats-url): ${(err as Error).message} (waited at most ${timeoutMs} ms); `
      + 'start nats-server with JetStream (nats-server -js) or fix the URL');
  }
  let state: NatsState = 'connected';
  const listeners = new Set<(s: NatsState) => void>();
  const enter = (next: NatsState): void => {
    if (next === state || state === 'closed') return;
    state = next;
    if (next === 'reconnecting') o.log.warn({ nats: o.url }, 'NATS connection lost: reconnecting (not ready until it is back)');
    else if (next === 'connected') o.log.info({ nats: o.url }, 'NATS connection back');
    for (const l of [...listeners]) l(next);
  };
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnecting' || s.type === 'staleConnection') enter('reconnecting');
      else if (s.type === 'reconnect') enter('connected');
      else if (s.type === 'error') o.log.warn({ nats: o.url, err: s.error.message }, 'NATS error');
    }
  })().catch(() => {});
  void nc.closed().then(() => enter('closed'));
  let closing: Promise<void> | undefined;
  return {
    nc,
    instanceId: o.instanceId,
    get nats() {
      return state;
    },
    get connected() {
      return state === 'connected';
    },
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closing ??= (async () => {
        if (!nc.isClosed()) {
          // a connection that is down cannot drain: close it after a bounded wait
          await withDeadline(state === 'connected' ? nc.drain() : Promise.reject(new Error('not connected')), DRAIN_TIMEOUT_MS).catch(() => nc.close());
        }
        await nc.closed();
        enter('closed');
      })();
      return closing;
    },
  };
}

/** `p`, or a rejection after `ms` (the timer never holds the process open). */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
