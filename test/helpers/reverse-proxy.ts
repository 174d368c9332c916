import { createServer, type IncomingMessage, request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

// A reverse proxy for tests (web-surfaces WT6), as nginx would be set up: each mount (`/claw/`) forwards HTTP
// and WebSocket upgrades to a gateway with the prefix stripped, adding X-Forwarded-For, -Proto, -Host and -Prefix
// (the mount without its trailing slash, as Traefik's StripPrefix sends it).

/** A running proxy on 127.0.0.1. */
export interface ReverseProxy {
  url: string;
  /** Forwards `prefix` (`/claw/`) and everything under it to `target` (`http://127.0.0.1:<port>`). */
  mount(prefix: string, target: string): void;
  close(): Promise<void>;
}

/** Starts a proxy with no mounts yet (a gateway's --allowed-origins needs the proxy's port first). */
export async function startReverseProxy(): Promise<ReverseProxy> {
  const mounts = new Map<string, URL>();
  const route = (req: IncomingMessage) => {
    // `/claw` itself too, as Traefik's PathPrefix + StripPrefix does (the page then fixes its URL, W2)
    const prefix = [...mounts.keys()].find((p) => req.url?.startsWith(p) || req.url === p.slice(0, -1));
    if (!prefix) return undefined;
    const target = mounts.get(prefix)!;
    const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-forwarded-proto': 'http', 'x-forwarded-host': req.headers.host ?? '', 'x-forwarded-prefix': prefix.slice(0, -1) };
    return { target, path: `/${req.url!.slice(prefix.length)}`, headers };
  };
  const server = createServer((req, res) => {
    const r = route(req);
    if (!r) return void res.writeHead(404).end('no mount');
    const upstream = request({ host: r.target.hostname, port: r.target.port, method: req.method, path: r.path, headers: r.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const tunnels = new Set<{ destroy(): void }>(); // upgraded sockets leave the server's own bookkeeping
  server.on('upgrade', (req, socket, head) => {
    const r = route(req);
    if (!r) return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    const upstream = connect(Number(r.target.port), r.target.hostname, () => {
      const lines = Object.entries(r.headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`));
      upstream.write(`${req.method} ${r.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    tunnels.add(socket).add(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mount: (prefix, target) => void mounts.set(prefix, new URL(target)),
    close: () => new Promise((resolve) => {
      for (const s of tunnels) s.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
