import assert from 'node:assert/strict';
import http from 'node:http';
import type { BusEvents } from '../../src/core/bus.js';
import type { Gateway } from '../../src/main.js';
import { createMockRunner } from '../../src/agent/mock.js';
import type { Runner } from '../../src/core/run.js';
import { getJson, postJson, type JsonAnswer } from './json-http.js';
import { uniq } from './ids.js';
import { sleep, until } from './wait.js';

// Helpers for the black-box HTTP data plane tests (http-runs, http-stream, http-concurrency): raw SSE
// reading over node:http (so a test can see every byte and disconnect mid-request), bounded status polling,
// and a runner wrapper that counts model calls. Every wait has a generous guard that only turns a hang into
// a failure; no test asserts a duration.

/** The HTTP data plane prefix. */
export const P = '/v1/gateway';
/** Hang guard of the HTTP waits (never a timing assertion). */
export const GUARD_MS = 20_000;
/** A version-4 UUID. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** An ISO 8601 UTC timestamp with milliseconds. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Re-exported for the HTTP tests that import them from here (they live in ./ids.ts, ./wait.ts, ./json-http.ts). */
export { sleep, uniq, until, type JsonAnswer };

/** POST `body` (JSON, or a string as is) to `base + path`. */
export const post = (base: string, path: string, body: unknown): Promise<JsonAnswer> => postJson(base + path, body);

/** GET `/status` of one request id. */
export const status = (base: string, id: string): Promise<JsonAnswer> => getJson(`${base}${P}/status?request_id=${encodeURIComponent(id)}`);

/** A `/messages` body from alice (`extra` adds or overrides fields such as queue_mode). */
export const messageBody = (session: string, text: string, request_id: string, extra: Record<string, unknown> = {}) =>
  ({ from: 'alice', session_id: session, text, request_id, ...extra });

/** Polls `/status` (bounded: at most `tries` polls) until `pred` holds; returns that answer. */
export async function pollStatus(base: string, id: string, pred: (a: JsonAnswer) => boolean, what: string,
  tries = 2000): Promise<JsonAnswer> {
  let last: JsonAnswer | undefined;
  for (let i = 0; i < tries; i++) {
    last = await status(base, id);
    if (pred(last)) return last;
    await sleep(10);
  }
  assert.fail(`status of ${id} never became ${what}; last: ${last?.status} ${JSON.stringify(last?.json)}`);
}

/** A pollStatus() predicate: answered 200 in one of `states`. */
export const inState = (...states: string[]) => (a: JsonAnswer) => a.status === 200 && states.includes(a.json.state);

/** Asserts the exact error body shape of http-gateway.md §2.3 (status, `{error:{type,message}}`), JSON content type included. */
export function assertErrorBody(a: JsonAnswer, statusCode: number, type: string, message?: string | RegExp): void {
  assert.equal(a.status, statusCode, `status; body ${JSON.stringify(a.json)}`);
  assert.equal(a.headers.get('content-type'), 'application/json');
  assertErrorShape(a, statusCode, type, message);
}

/** The status and the `{error:{type,message}}` body of http-gateway.md §2.3, for answers read without headers too. */
export function assertErrorShape(r: { status: number; json: any; text?: string }, statusCode: number, type: string, message?: string | RegExp): void {
  assert.equal(r.status, statusCode, `status; body ${r.text ?? JSON.stringify(r.json)}`);
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['message', 'type']);
  assert.equal(r.json.error.type, type);
  assert.equal(typeof r.json.error.message, 'string');
  if (typeof message === 'string') assert.equal(r.json.error.message, message);
  else if (message) assert.match(r.json.error.message, message);
}

// ---------------------------------------------------------------------------------------------------------
// Raw HTTP exchanges over node:http (one fresh connection each, so destroying it is a real disconnect).

/** One block of an SSE body as read. */
export type SseItem =
  | { kind: 'event'; event: string; data: any; raw: string }
  | { kind: 'comment'; text: string; raw: string }
  /** Anything that is not exactly `event: <type>\ndata: <json>` or comment lines. */
  | { kind: 'bad'; raw: string };

const EVENT_BLOCK = /^event: ([^\n]+)\ndata: ([^\n]*)$/;

/** One raw HTTP exchange on its own connection: status, headers and the body (SSE parsed) as they arrive. */
export class RawExchange {
  statusCode = 0;
  headers: http.IncomingHttpHeaders = {};
  /** The response body as received so far. */
  raw = '';
  items: SseItem[] = [];
  ended = false;
  /** The socket went away before the response ended (we destroyed it, or the server did). */
  closedEarly = false;
  private pending = '';
  private req!: http.ClientRequest;
  private res?: http.IncomingMessage;
  private readonly listeners = new Set<() => void>();

  /** Sends the request; resolves once the status line and headers have arrived. */
  static open(base: string, path: string, body: unknown, method = 'POST'): Promise<RawExchange> {
    const x = new RawExchange();
    const url = new URL(base + path);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent: false,
        headers: payload === undefined ? {} : { 'Content-Length': Buffer.byteLength(payload) },
      }, (res) => {
        x.res = res;
        x.statusCode = res.statusCode ?? 0;
        x.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => x.onData(chunk));
        res.on('end', () => { x.ended = true; x.notify(); });
        res.on('close', () => {
          if (!x.ended) x.closedEarly = true;
          x.notify();
        });
        res.on('error', () => {});
        resolve(x);
      });
      x.req = req;
      req.on('error', (err) => {
        x.closedEarly = true;
        x.notify();
        reject(err);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get events(): Array<{ event: string; data: any }> {
    return this.items.flatMap((i) => (i.kind === 'event' ? [{ event: i.event, data: i.data }] : []));
  }

  get eventNames(): string[] {
    return this.events.map((e) => e.event);
  }

  get comments(): string[] {
    return this.items.flatMap((i) => (i.kind === 'comment' ? [i.text] : []));
  }

  /** Resolves when `cond` holds; fails if the response ends (or the guard expires) first. */
  async waitFor(cond: (x: RawExchange) => boolean, what: string, guardMs = GUARD_MS): Promise<void> {
    if (cond(this)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; received so far: ${JSON.stringify(this.raw)}`));
      }, guardMs);
      const check = () => {
        if (cond(this)) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve();
        } else if (this.ended || this.closedEarly) {
          clearTimeout(timer);
          this.listeners.delete(check);
          reject(new Error(`response ended before ${what}; received: ${JSON.stringify(this.raw)}`));
        }
      };
      this.listeners.add(check);
    });
  }

  waitEvent(type: string, guardMs = GUARD_MS): Promise<void> {
    return this.waitFor((x) => x.eventNames.includes(type), `SSE event ${type}`, guardMs);
  }

  /** Resolves when the response has ended normally. */
  async waitEnd(guardMs = GUARD_MS): Promise<void> {
    if (this.ended) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for the response to end; received: ${JSON.stringify(this.raw)}`));
      }, guardMs);
      const check = () => {
        if (!this.ended && !this.closedEarly) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        if (this.ended) resolve();
        else reject(new Error(`connection closed before the response ended; received: ${JSON.stringify(this.raw)}`));
      };
      this.listeners.add(check);
    });
  }

  /** The body parsed as JSON once it has ended (for non-SSE answers). */
  async json(): Promise<any> {
    await this.waitEnd();
    return JSON.parse(this.raw);
  }

  /** Disconnects: the client goes away mid-request. */
  destroy(): void {
    this.res?.destroy();
    this.req.destroy();
  }

  private onData(chunk: string): void {
    this.raw += chunk;
    this.pending += chunk;
    let cut: number;
    while ((cut = this.pending.indexOf('\n\n')) >= 0) {
      const block = this.pending.slice(0, cut);
      this.pending = this.pending.slice(cut + 2);
      this.items.push(parseBlock(block));
    }
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

function parseBlock(block: string): SseItem {
  const raw = `${block}\n\n`;
  const lines = block.split('\n');
  if (lines.every((l) => l.startsWith(':'))) return { kind: 'comment', text: block, raw };
  const m = EVENT_BLOCK.exec(block);
  if (!m) return { kind: 'bad', raw };
  try {
    return { kind: 'event', event: m[1], data: JSON.parse(m[2]), raw };
  } catch {
    return { kind: 'bad', raw };
  }
}

/** Opens `POST P/messages:stream` and checks the SSE headers. */
export async function openStream(base: string, body: unknown): Promise<RawExchange> {
  const x = await RawExchange.open(base, `${P}/messages:stream`, body);
  assert.equal(x.statusCode, 200, `stream status; body so far ${JSON.stringify(x.raw)}`);
  assert.equal(x.headers['content-type'], 'text/event-stream');
  return x;
}

// ---------------------------------------------------------------------------------------------------------
// Runners and bus observation.

/** Wraps a runner and records every run id it is asked to run (i.e. every model call). */
export function countingRunner(inner: Runner = createMockRunner()): { runner: Runner; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    runner: {
      run(input, signal) {
        calls.push(input.runId);
        return inner.run(input, signal);
      },
    },
  };
}

type RunEventName = keyof BusEvents & `run.${string}`;
const RUN_EVENTS: RunEventName[] = [
  'run.queued', 'run.started', 'run.delta', 'run.message', 'run.usage', 'run.completed', 'run.failed', 'run.cancelled',
];

/** Records every run event on the gateway's bus, in order; `stop()` detaches. */
export function recordBus(gw: Gateway) {
  const events: Array<{ name: RunEventName; runId: string; sessionKey: string; e: any }> = [];
  const unsubscribes = RUN_EVENTS.map((name) =>
    gw.bus.subscribe(name, (e: BusEvents[RunEventName]) => { events.push({ name, runId: e.runId, sessionKey: e.sessionKey, e }); }));
  return {
    events,
    /** Event names of one run, in order. */
    names: (runId: string) => events.filter((x) => x.runId === runId).map((x) => x.name),
    /** Index in the global order of the first `name` event of `runId` (-1 if none). */
    indexOf: (name: RunEventName, runId: string) => events.findIndex((x) => x.name === name && x.runId === runId),
    stop: () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    },
  };
}
