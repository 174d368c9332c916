import { watch, type FSWatcher } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { UpgradeDecision, UpgradeRequest, WsEndpoint, WsSocket } from '../../transport/ws-endpoint.js';

// The canvas live reload (web-surfaces.md C3): `WS /__openclaw__/ws`, also behind the capability prefix
// `/__openclaw__/cap/<cap>/__openclaw__/ws`. The upgrade needs the bearer secret or a live capability (prefix
// or `?oc_cap=`); sandboxed pages send `Origin: null`, which this path alone accepts. A recursive fs.watch runs
// on the canvas root only while a socket is open; it ignores dotfiles and node_modules, and 75 ms after the
// last change sends the text frame `reload` to every socket. Inbound frames are ignored (over 1 KiB: 1009 from
// the transport). An open socket keeps its capability in use.

/** The live-reload path. */
export const LIVE_RELOAD_PATH = '/__openclaw__/ws';

/** What the endpoint needs. */
export interface LiveReloadOptions {
  root: string;
  token?: string;
  useCap(cap: string): boolean;
  /** Keeps a capability in use while a socket is open; returns the release. */
  pinCap(cap: string): () => void;
  /** Whether the gateway is at --max-connections (every socket counts): more get 503. */
  atLimit?: () => boolean;
  debounceMs?: number;
}

/** The live-reload sockets and their watcher. */
export interface LiveReload {
  /** On `/__openclaw__/ws`. */
  endpoint: WsEndpoint<Accepted, Conn>;
  /** On the `/__openclaw__/cap` prefix (upgrades only). */
  capEndpoint: WsEndpoint<Accepted, Conn>;
  /** Open sockets. */
  readonly size: number;
  stop(): void;
}

/** An accepted upgrade: the capability it used ('' for the bearer). */
interface Accepted {
  cap: string;
}

interface Conn {
  socket: WsSocket;
  release(): void;
}

const refuse = (status: number, type: string, message: string): UpgradeDecision<Accepted> => ({ refuse: { status, type, message } });

/** Builds the live-reload endpoints; see the file comment. */
export function canvasLiveReload(o: LiveReloadOptions): LiveReload {
  const conns = new Set<Conn>();
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  const changed = (_event: string, name: string | Buffer | null) => {
    const parts = String(name ?? '').split(/[\\/]/);
    if (parts.some((p) => p.startsWith('.') || p === 'node_modules')) return;
    clearTimeout(timer);
    timer = setTimeout(() => { for (const c of conns) c.socket.send('reload'); }, o.debounceMs ?? 75);
  };
  const bearer = (header: string) => {
    if (!o.token || !header.startsWith('Bearer ')) return false;
    const a = Buffer.from(header.slice(7));
    const b = Buffer.from(o.token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const admit = (authorized: false | Accepted): UpgradeDecision<Accepted> => {
    if (!authorized) return refuse(401, 'unauthorized', 'Unauthorized');
    if (o.atLimit?.()) return refuse(503, 'unavailable', 'connection limit reached');
    return { accept: authorized };
  };
  const common = {
    maxPayload: 1024,
    allowNullOrigin: true,
    open(socket: WsSocket, accepted: Accepted): Conn {
      const conn = { socket, release: o.pinCap(accepted.cap) };
      conns.add(conn);
      if (!watcher) {
        try {
          watcher = watch(o.root, { recursive: true }, changed);
          watcher.on('error', () => { watcher?.close(); watcher = undefined; });
        } catch { /* no root: nothing to watch, pages simply never reload */ }
      }
      return conn;
    },
    message() { /* a page only listens */ },
    close(conn: Conn) {
      conn.release();
      conns.delete(conn);
      if (conns.size === 0) {
        watcher?.close();
        watcher = undefined;
        clearTimeout(timer);
      }
    },
  };
  const withCap = (cap: string) => (o.useCap(cap) ? { cap } : false);
  return {
    endpoint: {
      ...common,
      upgrade(req: UpgradeRequest) {
        if (bearer(req.header('authorization'))) return admit({ cap: '' });
        return admit(withCap(new URLSearchParams(req.query).get('oc_cap') ?? ''));
      },
    },
    capEndpoint: {
      ...common,
      upgrade(req: UpgradeRequest) {
        const m = /^\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(req.rest);
        if (!m || m[2] !== LIVE_RELOAD_PATH) return refuse(404, 'not_found', `no WebSocket endpoint at ${req.path}`);
        return admit(withCap(m[1]));
      },
    },
    get size() { return conns.size; },
    stop() {
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
