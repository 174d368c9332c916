import type { Route } from './http-types.js';
import { staticFiles, type StaticFilesOptions } from './static-files.js';
import type { WsEndpoint } from './ws-endpoint.js';

// The routing table every surface registers into, once, before the server listens: HTTP routes by exact
// path or by prefix (a prefix route gets the rest of the path), static directories under a prefix, and
// WebSocket endpoints on any path or prefix. Exact paths win; among prefixes the longest wins. HTTP routes
// and WebSocket endpoints are separate tables: an upgrade is routed only among endpoints.

/** What a path leads to, and the part of the path after the matched prefix ('' for exact matches). */
export interface PathMatch<T> {
  target: T;
  rest: string;
}

/** A WebSocket endpoint whose accept and connection types the router does not need to know. */
type StoredEndpoint = WsEndpoint<unknown, unknown>;

/** Exact paths in a Map, prefixes longest first. */
class PathTable<T> {
  private readonly exact = new Map<string, T>();
  private prefixes: { prefix: string; target: T }[] = [];

  constructor(private readonly what: string) {}

  addExact(path: string, target: T): void {
    checkPath(path);
    if (this.exact.has(path)) throw new Error(`${this.what} already registered for ${path}`);
    this.exact.set(path, target);
  }

  addPrefix(prefix: string, target: T): void {
    checkPath(prefix);
    const p = prefix.replace(/\/+$/, ''); // '/app/' and '/app' are one prefix; '/' is ''
    if (this.prefixes.some((e) => e.prefix === p)) throw new Error(`${this.what} already registered for prefix ${prefix}`);
    this.prefixes = [...this.prefixes, { prefix: p, target }].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  match(path: string): PathMatch<T> | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return { target: exact, rest: '' };
    for (const { prefix, target } of this.prefixes) {
      // a prefix owns itself and what is below it: '/app' matches '/app' and '/app/x', never '/apple'
      if (path.length === prefix.length ? path === prefix : path.startsWith(prefix) && path[prefix.length] === '/') {
        return { target, rest: path.slice(prefix.length) };
      }
    }
    return undefined;
  }

  targets(): T[] {
    return [...this.exact.values(), ...this.prefixes.map((e) => e.target)];
  }
}

function checkPath(path: string): void {
  if (!path.startsWith('/')) throw new Error(`route path must start with "/": ${JSON.stringify(path)}`);
  if (/[?#]/.test(path)) throw new Error(`route path has a query or fragment: ${JSON.stringify(path)}`);
}

/** The HTTP routes and WebSocket endpoints of one server; closed to changes once it listens. */
export class Router {
  private readonly http = new PathTable<Route>('an HTTP route is');
  private readonly upgrades = new PathTable<StoredEndpoint>('a WebSocket endpoint is');
  private sealed = false;

  /** An HTTP route on exactly this path. */
  route(path: string, route: Route): this {
    this.open();
    this.http.addExact(path, route);
    return this;
  }

  /** An HTTP route on a prefix and everything below it; the handler reads the rest in `req.rest`. */
  prefix(prefix: string, route: Route): this {
    this.open();
    this.http.addPrefix(prefix, route);
    return this;
  }

  /** The files of directory `root` under `prefix` (GET and HEAD; see static-files.ts). */
  static(prefix: string, root: string, options?: StaticFilesOptions): this {
    return this.prefix(prefix, staticFiles(root, options));
  }

  /** A WebSocket endpoint on this path, or on it and everything below it with `{ prefix: true }`. */
  ws<A, C>(path: string, endpoint: WsEndpoint<A, C>, options: { prefix?: boolean } = {}): this {
    this.open();
    const stored = endpoint as unknown as StoredEndpoint; // the transport hands `open`'s result back untouched
    if (options.prefix) this.upgrades.addPrefix(path, stored);
    else this.upgrades.addExact(path, stored);
    return this;
  }

  /** The HTTP route for a request path. */
  matchRoute(path: string): PathMatch<Route> | undefined {
    return this.http.match(path);
  }

  /** The WebSocket endpoint for an upgrade's path. */
  matchUpgrade(path: string): PathMatch<StoredEndpoint> | undefined {
    return this.upgrades.match(path);
  }

  /** Every registered WebSocket endpoint (the server sizes its frame ceiling from them). */
  endpoints(): readonly StoredEndpoint[] {
    return this.upgrades.targets();
  }

  /** Called by the server when it starts: later registrations throw (they would never be served as asked). */
  seal(): void {
    this.sealed = true;
  }

  private open(): void {
    if (this.sealed) throw new Error('routes are registered before the server listens');
  }
}
