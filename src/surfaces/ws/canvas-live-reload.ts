import { watch, type FSWatcher } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { UpgradeDecision, UpgradeRequest, WsEndpoint, WsSocket } from '../../transport/ws-endpoint.js';

// The canvas live reload (web-surfaces.md C3): `WS /__openclaw__/ws`, also behind the capability prefix
// `/__openclaw__/cap/<cap>/__openclaw__/ws`. The upgrade needs the bearer secret or a live capability (prefix
// or `?oc_cap=`). A recursive fs.watch runs on the canvas root only while a socket is open; it ignores
// dotfiles and node_modules, and 75 ms after the last change sends the text frame `reload` to every socket.
// Inbound frames are ignored (over 1 KiB: 1009 from the transport).

/** The live-reload path. */
export const LIVE_RELOAD_PATH = '/__openclaw__/ws';

/** What the endpoint needs. */
export interface LiveReloadOptions {
  root: string;
  token?: string;
  useCap(cap: string): boolean;
  /** Sockets at once; more get 503. */
  maxSockets?: number;
  debounceMs?: number;
}

/** The live-reload sockets and their watcher. */
export interface LiveReload {
  /** On `/__openclaw__/ws`. */
  endpoint: WsEndpoint<true, WsSocket>;
  /** On the `/__openclaw__/cap` prefix (upgrades only). */
  capEndpoint: WsEndpoint<true, WsSocket>;
  /** Open sockets. */
  readonly size: number;
  stop(): void;
}

const refuse = (status: number, type: string, message: string): UpgradeDecision<true> => ({ refuse: { status, type, message } });

/** Builds the live-reload endpoints; see the file comment. */
export function canvasLiveReload(o: LiveReloadOptions): LiveReload {
  const sockets = new Set<WsSocket>();
  const maxSockets = o.maxSockets ?? 64;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  const changed = (_event: string, name: string | Buffer | null) => {
    const parts = String(name ?? '').split(/[\\/]/);
    if (parts.some((p) => p.startsWith('.') || p === 'node_modules')) return;
    clearTimeout(timer);
    timer = setTimeout(() => { for (const s of sockets) s.send('reload'); }, o.debounceMs ?? 75);
  };
  const bearer = (header: string) => {
    if (!o.token || !header.startsWith('Bearer ')) return false;
    const a = Buffer.from(header.slice(7));
    const b = Buffer.from(o.token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const admit = (authorized: boolean): UpgradeDecision<true> => {
    if (!authorized) return refuse(401, 'unauthorized', 'Unauthorized');
    if (sockets.size >= maxSockets) return refuse(503, 'unavailable', 'too many live-reload sockets');
    return { accept: true };
  };
  const common = {
    maxPayload: 1024,
    open(socket: WsSocket): WsSocket {
      sockets.add(socket);
      if (!watcher) {
        try {
          watcher = watch(o.root, { recursive: true }, changed);
          watcher.on('error', () => { watcher?.close(); watcher = undefined; });
        } catch { /* no root: nothing to watch, pages simply never reload */ }
      }
      return socket;
    },
    message() { /* a page only listens */ },
    close(socket: WsSocket) {
      sockets.delete(socket);
      if (sockets.size === 0) {
        watcher?.close();
        watcher = undefined;
        clearTimeout(timer);
      }
    },
  };
  const queryCap = (query: string) => new URLSearchParams(query).get('oc_cap') ?? '';
  return {
    endpoint: { ...common, upgrade: (req: UpgradeRequest) => admit(bearer(req.header('authorization')) || o.useCap(queryCap(req.query))) },
    capEndpoint: {
      ...common,
      upgrade(req: UpgradeRequest) {
        const m = /^\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(req.rest);
        if (!m || m[2] !== LIVE_RELOAD_PATH) return refuse(404, 'not_found', `no WebSocket endpoint at ${req.path}`);
        return admit(o.useCap(m[1]));
      },
    },
    get size() { return sockets.size; },
    stop() {
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
