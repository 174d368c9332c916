import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Logger } from '../core/log.js';
import { ApiError } from '../core/errors.js';
import {
  errorResponse, type ApiResponse, type AuthRefusal, type BodyResponse, type EventStreamSink,
} from './http-types.js';
import type { RequestGuard } from './guard.js';
import { readPeer, type PeerClassifier } from './peer.js';
import type { Router } from './router.js';
import { statusLine } from './status-text.js';

// Serves the router's HTTP routes on uWS: the Host / Origin rules (403), routing (404/405), the body
// size limit (413, also for chunked bodies), the deadline for slow bodies (--body-timeout-ms, not uWS's
// idle timeout), and writing JSON, byte or SSE answers. A client that goes away only stops the writes;
// whatever it started keeps running.

/** The limits and the owner's rules the HTTP side of the transport applies. */
export interface HttpAdapterOptions {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  log: Logger;
  /** Host / Origin / Sec-Fetch-Site rules, shared with the WS upgrade. */
  guard?: RequestGuard;
  /** The client behind the socket, for routes that authorize. */
  classify?: PeerClassifier;
}

const EMPTY = new Uint8Array(0);
/** The headers every route may read; a route names any other it needs (Route.headers). */
const BASE_HEADERS = ['authorization', 'content-length', 'origin'];

interface Exchange {
  res: HttpResponse;
  aborted: boolean;
  done: boolean;
  /** A HEAD request: its answer carries the headers of the body but never the body. */
  head: boolean;
  onAbort?: () => void;
}

/** The uWS handler of every HTTP request (upgrades excepted), routed by `router`. */
export function createHttpHandler(router: Router, opts: HttpAdapterOptions) {
  const tooLarge = () => new ApiError(413, 'invalid_request', `request body exceeds max_body_bytes (${opts.maxBodyBytes} bytes)`);

  return (res: HttpResponse, req: HttpRequest): void => {
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const x: Exchange = { res, aborted: false, done: false, head: method === 'HEAD' };
    res.onAborted(() => {
      x.aborted = true;
      x.onAbort?.();
    });
    const path = req.getUrl();
    const match = router.matchRoute(path);
    const route = match?.target;
    const origin = req.getHeader('origin');
    // public page files answer any Origin (anyOrigin); a sandboxed canvas page loads its own sub-resources from
    // origin null, cross-site (web-surfaces.md C2)
    const sandboxed = route?.allowSandboxedPages === true;
    const refusal = opts.guard?.({
      origin: route?.anyOrigin || (sandboxed && origin === 'null') ? '' : origin, host: req.getHeader('host'),
      secFetchSite: route?.anyOrigin || sandboxed ? '' : req.getHeader('sec-fetch-site'), skipHostCheck: route?.anyHost,
    });
    if (refusal) {
      opts.log.debug({ path, reason: refusal.reason }, 'http request refused: host or origin not allowed');
      return sendAnswer(x, errorResponse(new ApiError(403, 'forbidden', refusal.message)));
    }
    if (!route) return sendAnswer(x, errorResponse(new ApiError(404, 'not_found', `no route for ${path}`)));
    if (method !== route.method && !(x.head && route.head)) {
      const allow = route.head ? `${route.method}, HEAD` : route.method;
      return sendAnswer(x, errorResponse(new ApiError(405, 'method_not_allowed', 'method not allowed', { Allow: allow })));
    }
    const headers = new Map<string, string>();
    for (const name of BASE_HEADERS) headers.set(name, req.getHeader(name));
    if (route.headers) for (const name of route.headers) headers.set(name, req.getHeader(name));
    const header = (name: string) => headers.get(name) ?? '';
    const query = new URLSearchParams(req.getQuery() ?? '');
    if (route.authorize) {
      const refused = route.authorize({ header, client: () => classifyClient(res, req, opts.classify) });
      if (refused) return sendRefusal(x, refused);
    }

    const dispatch = (body: Uint8Array) => {
      let out: ApiResponse | Promise<ApiResponse>;
      try {
        out = route.handle({ method: x.head ? 'HEAD' : route.method, path, rest: match?.rest ?? '', query, header, body });
      } catch (err) {
        return sendAnswer(x, toErrorResponse(err, opts.log));
      }
      if (out instanceof Promise) out.then((r) => respond(x, r), (err) => sendAnswer(x, toErrorResponse(err, opts.log)));
      else respond(x, out);
    };
    if (!route.readsBody) return dispatch(EMPTY);

    const declared = header('content-length');
    if (declared !== '' && Number(declared) > opts.maxBodyBytes) return sendAnswer(x, errorResponse(tooLarge()), true);
    readBody(x, opts.maxBodyBytes, opts.bodyTimeoutMs, (err, body) => {
      if (err) return sendAnswer(x, errorResponse(err), true);
      dispatch(body!);
    }, tooLarge);
  };
}

/** uWS closes a connection whose request body stalls (under 16 KB/s) for its HTTP idle timeout: 10 s, fired
 *  8–12 s after it is armed (4 s granularity), silently. res.pause() then res.resume() re-arms that timer, so
 *  the reader does this every few seconds while it waits: the deadline that applies is --body-timeout-ms. */
const UWS_IDLE_REARM_MS = 4_000;

/** The client of this request; only valid while the uWS handler runs (it reads the request's headers). */
function classifyClient(res: HttpResponse, req: HttpRequest, classify: PeerClassifier | undefined): { address: string; local: boolean } {
  const { remoteAddress, forwarded } = readPeer(res, req);
  if (!classify) return { address: remoteAddress, local: false };
  const c = classify(remoteAddress, forwarded);
  return { address: c.clientAddress, local: c.local };
}

/** A refused authorization, held for `holdMs` first when the limiter asks (the client may leave meanwhile). */
function sendRefusal(x: Exchange, refused: AuthRefusal): void {
  const holdMs = refused.holdMs ?? 0;
  if (holdMs <= 0) return sendAnswer(x, errorResponse(refused.error));
  setTimeout(() => sendAnswer(x, errorResponse(refused.error)), holdMs);
}

function readBody(x: Exchange, max: number, timeoutMs: number, cb: (err: ApiError | null, body?: Uint8Array) => void,
  tooLarge: () => ApiError): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const stop = () => {
    finished = true;
    clearTimeout(deadline);
    clearInterval(rearm);
  };
  const deadline = setTimeout(() => {
    if (finished) return;
    stop();
    cb(new ApiError(400, 'invalid_request', `read request body: no complete body within ${timeoutMs} ms`));
  }, timeoutMs);
  // only while the body is pending: once it is complete uWS sets no timeout (a run may take minutes)
  const rearm = timeoutMs > UWS_IDLE_REARM_MS ? setInterval(() => {
    if (finished || x.aborted) return;
    x.res.pause();
    x.res.resume();
  }, UWS_IDLE_REARM_MS) : undefined;
  x.onAbort = stop;
  x.res.onData((chunk, isLast) => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > max) {
      stop();
      return cb(tooLarge());
    }
    if (chunk.byteLength > 0) chunks.push(Buffer.from(new Uint8Array(chunk))); // copy: uWS neuters the chunk
    if (!isLast) return;
    stop();
    x.onAbort = undefined;
    cb(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  });
}

function toErrorResponse(err: unknown, log: Logger): BodyResponse {
  if (err instanceof ApiError) return errorResponse(err);
  log.error({ err }, 'http handler failed');
  return errorResponse(new ApiError(500, 'internal_error', 'internal error'));
}

function respond(x: Exchange, out: ApiResponse): void {
  if ('stream' in out) return openEventStream(x, out.stream);
  sendAnswer(x, out);
}

/** Statuses whose answer never has a body (RFC 9110 §15.3.5, §15.4.5). */
const NO_BODY = new Set([204, 304]);

/** Writes a complete answer (JSON or bytes). */
function sendAnswer(x: Exchange, r: BodyResponse, closeConnection = false): void {
  if (x.aborted || x.done) return;
  x.done = true;
  const bodiless = x.head || NO_BODY.has(r.status);
  x.res.cork(() => {
    x.res.writeStatus(statusLine(r.status));
    if (r.headers) for (const k in r.headers) x.res.writeHeader(k, r.headers[k]);
    // (this uWS build drops the connection when endWithoutBody gets any argument)
    if (bodiless && !closeConnection) x.res.endWithoutBody();
    else if (bodiless) x.res.end(undefined, true);
    else x.res.end(r.body, closeConnection);
  });
}

function openEventStream(x: Exchange, start: (sink: EventStreamSink) => void): void {
  if (x.aborted || x.done) return;
  const closers: (() => void)[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const cb of closers) cb();
  };
  x.onAbort = close;
  x.res.cork(() => {
    x.res.writeStatus('200 OK')
      .writeHeader('Content-Type', 'text/event-stream')
      .writeHeader('Cache-Control', 'no-cache')
      .writeHeader('Connection', 'keep-alive');
    // uWS terminates the header block only with the first non-empty write: the stream writes at once
  });
  const sink: EventStreamSink = {
    get closed() {
      return closed || x.aborted;
    },
    write(text) {
      if (closed || x.aborted) return;
      x.res.cork(() => x.res.write(text));
    },
    end() {
      if (closed || x.aborted) return;
      x.done = true;
      x.res.cork(() => x.res.end());
      close();
    },
    onClose(cb) {
      closers.push(cb);
    },
  };
  start(sink);
}
