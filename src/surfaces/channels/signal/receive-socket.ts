import type WebSocket from 'ws';
import type { ChannelClock } from '../../../core/channel.js';
import type { SignalEnvelope } from './envelope.js';

// The json-rpc receiver of signal-cli-rest-api (spec channels.md SG1): one WebSocket on
// `/v1/receive/<account>` whose text frames are `{envelope, account}` or `{error}`. A ping every 30 s; no
// pong within 10 s, a failed connect or any close ends it with onClose (once); the caller reconnects.
// Timers read the injected clock, so tests drive the watchdog with a SimulatedClock.

/** What the receiver reports. */
export interface SignalReceiveHandlers {
  /** One received envelope. */
  onEnvelope(envelope: SignalEnvelope): void;
  /** An `{error}` frame (or a frame that is not JSON); the socket stays open. */
  onError(message: string): void;
  /** The socket ended (closed, failed to connect, no pong): called once, never after close(). */
  onClose(reason: string): void;
  /** The socket is open (messages flow from now on). */
  onOpen?(): void;
}

/** A running receiver. */
export interface SignalReceiveSocket {
  /** Ends the socket at once; onClose is not called. */
  close(): void;
}

/** The timers of a receiver, in ms. */
export interface SignalReceiveTimers {
  connectMs: number;
  pingMs: number;
  pongMs: number;
}

/** Opens the receiver WebSocket at `url` (`ws(s)://…/v1/receive/<account>`). */
export function openReceiveSocket(
  url: string,
  handlers: SignalReceiveHandlers,
  deps: { WebSocket: typeof WebSocket; clock: ChannelClock; timers: SignalReceiveTimers },
): SignalReceiveSocket {
  const { clock, timers } = deps;
  const ws = new deps.WebSocket(url);
  let ended = false;
  let lastError: string | undefined;
  let timer: unknown;

  const arm = (fn: () => void, ms: number): void => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(fn, ms);
  };
  const end = (reason: string, notify: boolean): void => {
    if (ended) return;
    ended = true;
    clock.clearTimeout(timer);
    ws.terminate();
    if (notify) handlers.onClose(reason);
  };
  const schedulePing = (): void =>
    arm(() => {
      try {
        ws.ping();
      } catch {
        // not open any more: the close event ends the receiver
      }
      arm(() => end(`no pong within ${timers.pongMs / 1000} s`, true), timers.pongMs);
    }, timers.pingMs);

  arm(() => end(`connect timed out after ${timers.connectMs / 1000} s`, true), timers.connectMs);
  ws.on('open', () => {
    if (ended) return;
    schedulePing();
    handlers.onOpen?.();
  });
  ws.on('pong', () => {
    if (!ended) schedulePing();
  });
  ws.on('message', (data, isBinary) => {
    if (ended) return;
    if (isBinary) return handlers.onError('signal receive: unexpected binary frame');
    let frame: unknown;
    try {
      frame = JSON.parse(String(data));
    } catch {
      return handlers.onError(`signal receive: a frame that is not JSON: ${String(data).slice(0, 200)}`);
    }
    const f = (frame && typeof frame === 'object' ? frame : {}) as { envelope?: unknown; error?: unknown };
    if (f.envelope && typeof f.envelope === 'object') handlers.onEnvelope(f.envelope as SignalEnvelope);
    else if (f.error !== undefined) handlers.onError(String(f.error));
  });
  // an error is always followed by close; keep its text for the reason (and never leave it unhandled)
  ws.on('error', (err) => {
    lastError = err.message;
  });
  ws.on('close', (code, reason) => {
    const why = reason.length > 0 ? `: ${reason.toString('utf8')}` : '';
    end(lastError !== undefined ? `signal receive: ${lastError}` : `signal receive: socket closed (${code}${why})`, true);
  });
  return { close: () => end('closed', false) };
}
