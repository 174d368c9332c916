import WebSocket from 'ws';
import type { ChannelClock } from '../../../core/channel.js';
import type { SignalEnvelope } from './envelope.js';
import { fromHttpStatus, fromNetworkError, SignalError } from './errors.js';
import { openReceiveSocket, type SignalReceiveHandlers, type SignalReceiveSocket } from './receive-socket.js';

// A typed client of bbernhard/signal-cli-rest-api (spec channels.md SG1, SG3–SG5) on global fetch and `ws`
// (no npm client exists). Every call has a timeout read from the injected clock and fails with a typed
// SignalError (errors.ts) whose class tells the outbox whether the request may have arrived.

export type { SignalEnvelope } from './envelope.js';
export { SignalAmbiguous, SignalError, SignalRateLimited, SignalRejected, SignalUnreachable } from './errors.js';
export type { SignalReceiveHandlers, SignalReceiveSocket } from './receive-socket.js';

/** The receive modes signal-cli-rest-api reports (its `json-rpc-native` setting reports `json-rpc`). */
export type SignalMode = 'normal' | 'native' | 'json-rpc';

/** `GET /v1/about`, as Clawgate reads it. */
export interface SignalAbout {
  mode: SignalMode;
  versions: string[];
  build?: number;
}

/** The client's timeouts and receiver timers, in ms (SG1). */
export interface SignalTimeouts {
  /** Every call but send and receive (10 s). */
  requestMs: number;
  /** `POST /v2/send` (60 s: normal mode can take about 25 s per send on small machines). */
  sendMs: number;
  /** Added to a receive poll's own `timeout` (10 s). */
  pollExtraMs: number;
  /** The WebSocket receiver: connect timeout (10 s), ping interval (30 s), pong deadline (10 s). */
  connectMs: number;
  pingMs: number;
  pongMs: number;
}

/** The defaults of SignalTimeouts. */
export const SIGNAL_TIMEOUTS: Readonly<SignalTimeouts> = { requestMs: 10_000, sendMs: 60_000, pollExtraMs: 10_000, connectMs: 10_000, pingMs: 30_000, pongMs: 10_000 };

/** What a SignalClient needs. */
export interface SignalClientOptions {
  /** The server's base URL (`http://127.0.0.1:8080`, no trailing slash needed). */
  apiUrl: string;
  /** The account's own number (E.164). */
  account: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** What every timeout reads (default: real timers). */
  clock?: ChannelClock;
  timeouts?: Partial<SignalTimeouts>;
}

const MODES: ReadonlySet<string> = new Set(['normal', 'native', 'json-rpc']);

/** Real timers, for callers without an injected clock. */
const systemClock: ChannelClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A recipient as the server wants it: a `uuid:` prefix (allow-from style) is stripped. */
export function signalRecipient(chatId: string): string {
  return chatId.startsWith('uuid:') ? chatId.slice('uuid:'.length) : chatId;
}

interface CallOptions {
  what: string;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One account's view of a signal-cli-rest-api server. */
export class SignalClient {
  /** The base URL without a trailing slash. */
  readonly apiUrl: string;
  readonly account: string;
  readonly #fetch: typeof fetch;
  readonly #WebSocket: typeof WebSocket;
  readonly #clock: ChannelClock;
  readonly #timeouts: SignalTimeouts;
  readonly #inFlight = new Set<AbortController>();

  constructor(options: SignalClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.account = options.account;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#WebSocket = options.WebSocket ?? WebSocket;
    this.#clock = options.clock ?? systemClock;
    this.#timeouts = { ...SIGNAL_TIMEOUTS, ...options.timeouts };
  }

  /** `GET /v1/about`: the receive mode picks the receiver (SG1). */
  async about(): Promise<SignalAbout> {
    const answer = await this.#json('GET', '/v1/about', { what: 'about', timeoutMs: this.#timeouts.requestMs });
    if (!answer || typeof answer !== 'object') throw new SignalError('about: the answer is not an object');
    const body = answer as Record<string, unknown>;
    const mode = body.mode ?? 'normal'; // servers before the json-rpc mode had no `mode`
    if (typeof mode !== 'string' || !MODES.has(mode)) throw new SignalError(`about: unknown receive mode ${JSON.stringify(mode)}`);
    const versions = Array.isArray(body.versions) ? body.versions.map(String) : [];
    return { mode: mode as SignalMode, versions, ...(typeof body.build === 'number' ? { build: body.build } : {}) };
  }

  /** `GET /v1/accounts`: the numbers registered or linked on the server. */
  async accounts(): Promise<string[]> {
    const body = await this.#json('GET', '/v1/accounts', { what: 'accounts', timeoutMs: this.#timeouts.requestMs });
    if (!Array.isArray(body)) throw new SignalError('accounts: the answer is not a list');
    return body.map(String);
  }

  /** `POST /v2/send` (SG3); `timestamp` is the sent message's id. */
  async send(message: { recipients: string[]; message: string }): Promise<{ timestamp: string }> {
    const body = { number: this.account, recipients: message.recipients.map(signalRecipient), message: message.message, text_mode: 'styled' };
    const answer = (await this.#json('POST', '/v2/send', { what: 'send', body, timeoutMs: this.#timeouts.sendMs })) as { timestamp?: unknown };
    if (typeof answer?.timestamp !== 'string' && typeof answer?.timestamp !== 'number') {
      throw new SignalError('send: the answer has no timestamp'); // sent, but unconfirmed
    }
    return { timestamp: String(answer.timestamp) };
  }

  /** `PUT` (on) or `DELETE` (off) `/v1/typing-indicator/<account>` (SG4). */
  async typing(recipient: string, on: boolean): Promise<void> {
    const body = { recipient: signalRecipient(recipient) };
    await this.#call(on ? 'PUT' : 'DELETE', `/v1/typing-indicator/${this.#number()}`, { what: 'typing', body, timeoutMs: this.#timeouts.requestMs });
  }

  /** `POST /v1/receipts/<account>`: a read receipt for the message sent at `timestamp` (SG4). */
  async receipt(recipient: string, timestamp: number): Promise<void> {
    const body = { recipient: signalRecipient(recipient), receipt_type: 'read', timestamp };
    await this.#call('POST', `/v1/receipts/${this.#number()}`, { what: 'receipt', body, timeoutMs: this.#timeouts.requestMs });
  }

  /** `GET /v1/attachments/<id>` (SG5): the bytes, or undefined when they exceed `maxBytes` (the download is cut off). */
  async attachment(id: string, maxBytes: number): Promise<Uint8Array | undefined> {
    return this.#call('GET', `/v1/attachments/${encodeURIComponent(id)}`, { what: 'attachment', timeoutMs: this.#timeouts.requestMs }, async (res, abort) => {
      if (Number(res.headers.get('content-length') ?? '0') > maxBytes || !res.body) {
        abort();
        return undefined;
      }
      const parts: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          abort();
          return undefined;
        }
        parts.push(chunk);
      }
      return new Uint8Array(Buffer.concat(parts));
    });
  }

  /** One long poll `GET /v1/receive/<account>` (normal and native modes, SG1); `signal` aborts it (rejects with its reason). */
  async receivePoll(timeoutS: number, signal?: AbortSignal): Promise<SignalEnvelope[]> {
    const path = `/v1/receive/${this.#number()}?timeout=${timeoutS}&ignore_stories=true&ignore_avatars=true`;
    const timeoutMs = timeoutS * 1000 + this.#timeouts.pollExtraMs;
    const items = await this.#json('GET', path, { what: 'receive', timeoutMs, ...(signal ? { signal } : {}) });
    if (!Array.isArray(items)) throw new SignalError('receive: the answer is not a list');
    return items.flatMap((item: { envelope?: unknown }) => (item?.envelope && typeof item.envelope === 'object' ? [item.envelope as SignalEnvelope] : []));
  }

  /** The json-rpc receiver: one WebSocket on `/v1/receive/<account>` (SG1); see receive-socket.ts. */
  receiveWs(handlers: SignalReceiveHandlers): SignalReceiveSocket {
    const url = `${this.apiUrl.replace(/^http/, 'ws')}/v1/receive/${this.#number()}`;
    const { connectMs, pingMs, pongMs } = this.#timeouts;
    return openReceiveSocket(url, handlers, { WebSocket: this.#WebSocket, clock: this.#clock, timers: { connectMs, pingMs, pongMs } });
  }

  /** Aborts every call in flight (the account stops); each rejects. */
  close(): void {
    for (const c of this.#inFlight) c.abort();
  }

  #number(): string {
    return encodeURIComponent(this.account);
  }

  async #json(method: string, path: string, options: CallOptions): Promise<unknown> {
    return this.#call(method, path, options, async (res) => {
      const text = await res.text();
      try {
        return text === '' ? undefined : JSON.parse(text);
      } catch {
        throw new SignalError(`${options.what}: the answer is not JSON: ${text.slice(0, 200)}`, res.status);
      }
    });
  }

  /** One request within its timeout; `read` consumes a 2xx answer (default: discards it). */
  async #call<T>(method: string, path: string, options: CallOptions, read?: (res: Response, abort: () => void) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.#clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    const abort = (): void => controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    this.#inFlight.add(controller);
    try {
      if (options.signal?.aborted) throw options.signal.reason;
      const res = await this.#fetch(`${this.apiUrl}${path}`, {
        method,
        signal: controller.signal,
        ...(options.body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.body) } : {}),
      });
      if (res.status < 200 || res.status > 299) {
        const text = await res.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = { error: text.slice(0, 200) };
        }
        throw fromHttpStatus(res.status, body, options.what, this.account);
      }
      if (!read) {
        await res.arrayBuffer();
        return undefined as T;
      }
      return await read(res, abort);
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw fromNetworkError(err, options.what, timedOut);
    } finally {
      this.#clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      this.#inFlight.delete(controller);
    }
  }
}
