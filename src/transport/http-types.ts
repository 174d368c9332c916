import type { ApiError } from '../core/errors.js';
// The shapes the transport hands to HTTP handlers and takes back: plain data, no uWS types, so handlers
// are small pure functions that a test can call and the transport can serve.

/** A request as a route handler sees it. */
export interface ApiRequest {
  method: string; // upper case
  path: string;
  /** For a prefix route, the path after the prefix ('' for the prefix itself, else starting with '/');
   *  '' for an exact route. Raw: percent-escapes are not decoded. */
  rest: string;
  query: URLSearchParams;
  /** Lower-case header name → value ('' when absent). */
  header(name: string): string;
  body: Uint8Array;
}

/** A JSON answer. */
export interface JsonResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Any complete answer: a status, headers and a body (text or bytes; none for 204 and 304). */
export interface BodyResponse {
  status: number;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

/** Where an event-stream route writes. */
export interface EventStreamSink {
  /** Writes raw SSE text; ignored once closed. */
  write(text: string): void;
  end(): void;
  readonly closed: boolean;
  /** Called once when the client goes away or the stream ends. */
  onClose(cb: () => void): void;
}

/** A 200 text/event-stream response: the transport sends the headers, then hands over the sink. */
export interface EventStreamResponse {
  stream: (sink: EventStreamSink) => void;
}

/** What a route handler returns. */
export type ApiResponse = JsonResponse | BodyResponse | EventStreamResponse;

/** One HTTP route: its method, what the transport does before calling it, and the handler. */
export interface Route {
  method: 'GET' | 'POST';
  /** A GET route that also answers HEAD (the transport sends the headers of the answer, never its body).
   *  Without it HEAD gets 405 like any other method. */
  head?: boolean;
  /** Request headers the handler reads besides authorization, content-length and origin (lower case). */
  headers?: readonly string[];
  /** Whether the transport reads the body (with the size limit) before calling the handler. */
  readsBody: boolean;
  /** Checked before the body is read; returns the refusal, if any. */
  authorize?: (req: AuthRequest) => AuthRefusal | undefined;
  /** Answers whatever the Host header says (health probes address the pod IP); Origin rules still apply. */
  anyHost?: boolean;
  /**
   * Answers whatever the Origin says: public, read-only page files. A browser sends `Origin` with a module
   * script's request, so a page under an origin not listed must still load, to explain the fix (WebChat W5).
   */
  anyOrigin?: boolean;
  /** Requests of sandboxed pages pass the Origin rule: `Origin: null` and `Sec-Fetch-Site: cross-site` (an opaque
   *  origin is cross-site to everything). For routes whose own credential grants access (canvas capabilities). */
  allowSandboxedPages?: boolean;
  handle(req: ApiRequest): ApiResponse | Promise<ApiResponse>;
}

/** What an authorization check sees: the headers, and the client behind the socket. */
export interface AuthRequest {
  header(name: string): string;
  /** Client address after trusted-proxy resolution; `local` = direct loopback without forwarding headers. */
  client(): { address: string; local: boolean };
}

/** A refused authorization: the error to answer, perhaps after a delay. */
export interface AuthRefusal {
  error: ApiError;
  /** Hold the answer this long first (ms): failures over the global ceiling cost time. */
  holdMs?: number;
}

/** The Content-Type of every JSON answer. */
export const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** A JSON response with the given status. */
export function json(status: number, value: unknown, headers?: Record<string, string>): JsonResponse {
  return { status, body: JSON.stringify(value), headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS };
}

/** The `{"error":{"type","message"}}` answer of an ApiError (http-gateway.md §2.3). */
export function errorResponse(err: ApiError): JsonResponse {
  return json(err.status, { error: { type: err.type, message: err.message } }, err.headers);
}
