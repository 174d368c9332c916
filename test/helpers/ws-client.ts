import assert from 'node:assert/strict';
import { GatewayClient, type GatewayClientOptions } from '@openclaw/gateway-client';
import AjvModule, { type ValidateFunction } from 'ajv';
import WebSocket from 'ws';
import { validateEventPayload } from '../../protocol/validators.js';
import { uniq } from './ids.js';
import { assertPublishedFrame, publishedSchemaAt } from './published-schema.js';
import { within } from './wait.js';

// Helpers for the black-box WS tests (ws-client, ws-events, ws-cross-surface). Everything Clawgate sends
// is captured raw, per socket, so each test can check it against the published schema and check `seq`:
//   - startClient(): the reference client `@openclaw/gateway-client`, with a tap on the socket it creates
//     (inbound frames are recorded before the client sees them; outbound `req` frames map ids to methods);
//   - RawSocket: a plain `ws` socket that does its own challenge → connect, for clients the reference
//     client does not model (custom client ids, modes, caps, scopes).
// Every wait is bounded by a guard that only turns a hang into a failure; nothing asserts a duration.

/** Hang guard of the WS waits (never a timing assertion). */
export const GUARD_MS = 10_000;
/** A shared secret for test gateways. */
export const TOKEN = 'clawgate-test-token-0123456789abcdef-xyz';

/** A frame as received (parsed JSON). */
export type Frame = Record<string, any>;

/** Re-exported for the WS tests that import them from here (they live in ./ids.ts and ./wait.ts). */
export { uniq, within };

/** The ws:// URL of a gateway given by its http:// URL. */
export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/** Every frame one socket received from Clawgate, in order, plus what its own requests were. */
export class FrameLog {
  readonly frames: Frame[] = [];
  /** request id → method (from the socket's outbound `req` frames), so `res` payloads can be checked. */
  readonly methods = new Map<string, string>();
  close?: { code: number; reason: string };
  private readonly waiters = new Set<() => void>();

  constructor(readonly label: string) {}

  push(raw: string): void {
    this.frames.push(JSON.parse(raw) as Frame);
    this.wake();
  }

  sent(raw: string): void {
    try {
      const f = JSON.parse(raw) as Frame;
      if (f.type === 'req' && typeof f.id === 'string') this.methods.set(f.id, f.method);
    } catch { /* not ours to judge */ }
  }

  closed(code: number, reason: string): void {
    this.close ??= { code, reason };
    this.wake();
  }

  /** The frames from index `from` on that satisfy `pred`. */
  all(pred: (f: Frame) => boolean = () => true, from = 0): Frame[] {
    return this.frames.slice(from).filter(pred);
  }

  events(name?: string, from = 0): Frame[] {
    return this.all((f) => f.type === 'event' && (name === undefined || f.event === name), from);
  }

  /** Resolves with the first frame (from index `from` on) satisfying `pred`; bounded. */
  waitFor(pred: (f: Frame) => boolean, what: string, opts: { from?: number; ms?: number } = {}): Promise<Frame> {
    return this.until(() => this.frames.slice(opts.from ?? 0).find(pred), `${this.label}: ${what}`, opts.ms);
  }

  waitForEvent(name: string, pred: (payload: any, f: Frame) => boolean = () => true, opts: { from?: number; ms?: number } = {}): Promise<Frame> {
    return this.waitFor((f) => f.type === 'event' && f.event === name && pred(f.payload, f), `event ${name}`, opts);
  }

  waitForClose(ms = GUARD_MS): Promise<{ code: number; reason: string }> {
    return this.until(() => this.close, `${this.label}: close`, ms);
  }

  /** Every captured frame validates against the published schema (+ the allowed 2026.9.6 additions). */
  assertPublished(): void {
    assert.ok(this.frames.length > 0, `${this.label}: no frames captured`);
    for (const f of this.frames) {
      const method = f.type === 'res' ? this.methods.get(f.id) : undefined;
      assertPublishedFrame(f, method ? { method } : {});
    }
  }

  /**
   * Frame `seq` is per connection, gap-free from 1 over every event but `connect.challenge`; `res` frames
   * and the challenge carry none.
   */
  assertSeq(): void {
    const seqs: number[] = [];
    for (const f of this.frames) {
      if (f.type === 'res' || (f.type === 'event' && f.event === 'connect.challenge')) {
        assert.equal(f.seq, undefined, `${this.label}: ${f.type} ${f.event ?? f.id} must not carry seq`);
        continue;
      }
      assert.equal(typeof f.seq, 'number', `${this.label}: event ${f.event} without seq`);
      seqs.push(f.seq);
    }
    assert.ok(seqs.length > 0, `${this.label}: no sequenced events`);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `${this.label}: seq must run 1,2,3,… without gaps`);
  }

  private until<T>(probe: () => T | undefined, what: string, ms = GUARD_MS): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; last frames: ${JSON.stringify(this.frames.slice(-5))}`));
      }, ms);
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** A reference client started by startClient(), with its frame log. */
export interface TappedClient {
  client: GatewayClient;
  log: FrameLog;
  hello: Record<string, any>;
  /** Request with a bounded client-side timeout (the client's own default for expectFinal is unbounded). */
  request<T = any>(method: string, params?: unknown, opts?: { expectFinal?: boolean; onAccepted?: (p: unknown) => void }): Promise<T>;
  stop(): void;
}

interface SocketHandlers {
  open(): void;
  message(data: string): void;
  close(code: number, reason: string): void;
  error(err: Error): void;
}
interface SocketLike {
  isOpen(): boolean;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * Starts the reference client against `httpUrl` and resolves on hello-ok. The tap wraps the client's
 * socket factory (GatewayClient#createSocket): an implementation detail of 2026.9.1, checked here so a
 * client upgrade fails loudly instead of silently capturing nothing.
 */
export async function startClient(httpUrl: string, options: Partial<GatewayClientOptions> = {}, label = 'client'): Promise<TappedClient> {
  const log = new FrameLog(label);
  let helloResolve!: (h: Record<string, any>) => void;
  let helloReject!: (e: Error) => void;
  const helloP = new Promise<Record<string, any>>((resolve, reject) => { helloResolve = resolve; helloReject = reject; });
  const client = new GatewayClient({
    url: wsUrl(httpUrl),
    requestTimeoutMs: GUARD_MS,
    ...options,
    onHelloOk: (h) => { helloResolve(h as unknown as Record<string, any>); options.onHelloOk?.(h); },
    onConnectError: (e) => { helloReject(e); options.onConnectError?.(e); },
    onClose: (code, reason, info) => { log.closed(code, reason); options.onClose?.(code, reason, info); },
  });
  const tapped = client as unknown as { createSocket: (h: SocketHandlers) => SocketLike };
  assert.equal(typeof tapped.createSocket, 'function', 'GatewayClient#createSocket is gone: update the frame tap');
  const create = tapped.createSocket.bind(client);
  tapped.createSocket = (handlers) => {
    const socket = create({ ...handlers, message: (data) => { log.push(data); handlers.message(data); } });
    return {
      isOpen: () => socket.isOpen(),
      send: (data) => { log.sent(data); socket.send(data); },
      close: (code, reason) => socket.close(code, reason),
    };
  };
  client.start();
  let hello: Record<string, any>;
  try {
    hello = await within(helloP, `${label}: hello-ok`);
  } catch (err) {
    client.stop();
    throw err;
  }
  return {
    client, log, hello,
    request: (method, params, opts = {}) => client.request(method, params, { timeoutMs: GUARD_MS, ...opts }),
    stop: () => client.stop(),
  };
}

/** Stops a reference client and waits for its socket to go (bounded; a plain stop if that fails). */
export async function stopClient(t: TappedClient | undefined): Promise<void> {
  if (t) await t.client.stopAndWait({ timeoutMs: GUARD_MS }).catch(() => t.client.stop());
}

/** A device-less local `gateway-client`/`backend` operator with `operator.admin` (scopes kept on direct_local). */
export function adminClient(httpUrl: string, label = 'operator', token = TOKEN): Promise<TappedClient> {
  return startClient(httpUrl, { token, scopes: ['operator.admin'], deviceIdentity: null }, label);
}

/** How RawSocket.connect() fills the `connect` params. */
export interface RawConnectOptions {
  clientId?: string;
  mode?: string;
  token?: string;
  scopes?: string[];
  caps?: string[];
  role?: string;
  displayName?: string;
}

/** A plain WebSocket that does its own handshake and records every frame it receives. */
export class RawSocket {
  readonly log: FrameLog;
  hello!: Record<string, any>;
  private nextId = 0;

  private constructor(readonly ws: WebSocket, label: string) {
    this.log = new FrameLog(label);
    ws.on('message', (data) => this.log.push(data.toString()));
    ws.on('close', (code, reason) => this.log.closed(code, reason.toString()));
    ws.on('error', () => { /* surfaced as a close; an unhandled 'error' would crash the test process */ });
  }

  static async connect(httpUrl: string, o: RawConnectOptions = {}, label = 'raw'): Promise<RawSocket> {
    const ws = new WebSocket(wsUrl(httpUrl));
    const raw = new RawSocket(ws, label);
    const opened = new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    await within(opened, `${label}: open`);
    await raw.log.waitForEvent('connect.challenge');
    const res = await raw.request('connect', {
      minProtocol: 4, maxProtocol: 4,
      client: { id: o.clientId ?? 'gateway-client', version: '1.0.0', platform: process.platform, mode: o.mode ?? 'backend', ...(o.displayName ? { displayName: o.displayName } : {}) },
      role: o.role ?? 'operator',
      scopes: o.scopes ?? ['operator.admin'],
      caps: o.caps ?? [],
      ...(o.token ? { auth: { token: o.token } } : {}),
    });
    assert.equal(res.ok, true, `${label}: connect refused: ${JSON.stringify(res.error)}`);
    raw.hello = res.payload;
    return raw;
  }

  /** Sends a request; resolves with the first `res` frame for it (the ack, for `agent`). */
  async request(method: string, params: unknown = {}): Promise<Frame> {
    const id = `${this.log.label}-${++this.nextId}`;
    const from = this.log.frames.length;
    const text = JSON.stringify({ type: 'req', id, method, params });
    this.log.sent(text);
    this.ws.send(text);
    return this.log.waitFor((f) => f.type === 'res' && f.id === id, `res to ${method}`, { from });
  }

  /**
   * A barrier: once the answer to this round trip arrives, every frame the gateway sent this socket
   * before handling it has arrived too (one ordered TCP stream, events are written synchronously).
   */
  async sync(): Promise<void> {
    const res = await this.request('health');
    assert.equal(res.ok, true);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.ws.close(1000, 'test done');
    return within(done, `${this.log.label}: close`).catch(() => { this.ws.terminate(); });
  }
}

/** The captured frames of each log validate against the published schema, with gap-free `seq` (a suite's last test). */
export function assertCaptured(...logs: FrameLog[]): void {
  for (const log of logs) {
    log.assertPublished();
    log.assertSeq();
  }
}

/** A message of `n` words (`w0 w1 …`): a mock model with a delay echoes it one word per chunk, so a run lasts a while. */
export const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

/** The agent/chat events of one run, in arrival order, as compact tags (`agent:lifecycle:start`, `chat:delta`…). */
export function runTrace(log: FrameLog, runId: string): string[] {
  return log.events().filter((f) => (f.event === 'agent' || f.event === 'chat') && f.payload?.runId === runId).map((f) =>
    f.event === 'agent'
      ? `agent:${f.payload.stream}${f.payload.data?.phase ? `:${f.payload.data.phase}` : ''}`
      : `chat:${f.payload.state}`);
}

const compiledDefinitions = new Map<string, ValidateFunction>();

/**
 * Asserts `value` against one self-contained definition of the published schema (one without `$ref`s,
 * e.g. `SessionRow`), for payload parts the frame-level check does not reach.
 */
export function assertPublishedDefinition(name: string, value: unknown): void {
  let validate = compiledDefinitions.get(name);
  if (!validate) {
    const ajv = new AjvModule.default({ strict: false, allErrors: true });
    ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    validate = ajv.compile(publishedSchemaAt(`#/definitions/${name}`));
    compiledDefinitions.set(name, validate);
  }
  assert.ok(validate(value), `${name} does not match the published schema: ${JSON.stringify(validate.errors)}\nvalue: ${JSON.stringify(value)}`);
}

/** Payloads without a published schema are checked against Clawgate's own closed schemas (protocol/). */
export function assertOwnEventPayload(frame: Frame): void {
  const r = validateEventPayload(frame.event, frame.payload);
  assert.ok(r.ok, `event ${frame.event}: ${r.ok ? '' : r.message}`);
}
