// The slice of the WHATWG WebSocket API the client uses, so that it type-checks without the DOM library and
// accepts both the browser's `WebSocket` and the `ws` package's (which implements the same event-target API).

/** A `message` event: text frames carry a string. */
export interface MessageEventLike {
  data: unknown;
}

/** A `close` event. */
export interface CloseEventLike {
  code: number;
  reason: string;
}

/** An `error` event; `ws` adds the underlying `error` (ECONNREFUSED, "Unexpected server response: 404"…). */
export interface ErrorEventLike {
  error?: unknown;
  message?: string;
}

/**
 * One socket, as `new WebSocket(url)` returns it. The handler slots take `never` so that every implementation's
 * own event types fit; the client assigns handlers that read the *Like shapes above.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s default export in Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` value of an open socket (the same in every implementation). */
export const WS_OPEN = 1;
