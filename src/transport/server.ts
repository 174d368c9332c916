import { closeSync, openSync } from 'node:fs';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { RepeatedWarnings } from '../core/repeated-warnings.js';
import { createHttpHandler, type HttpAdapterOptions } from './http-adapter.js';
import { ListenError } from '../core/errors.js';
import { Lifecycle } from './lifecycle.js';
import type { Router } from './router.js';
import { attachWebSocket, type WsTransportOptions } from './ws.js';
import { uws } from './uws.js';
import { resumeHeadroom } from './open-files.js';
import { inspectTlsFiles, type TlsCertificateInfo, type TlsFiles } from '../core/tls-files.js';

// One uWS app on one port, serving one router: HTTP routes and WebSocket endpoints, with the lifecycle
// hooks run around it.
//
// At the open-files limit uSockets' accept loop spins: accept() fails with EMFILE, the listen socket stays
// readable. So the server watches for that (one probe open per second) and stops listening while the
// process has no file descriptors left, then listens again once there is headroom.

/** Where to listen, what to serve, and the owner's rules. */
export interface ServerOptions extends HttpAdapterOptions, Pick<WsTransportOptions, 'writesPending'> {
  bind: string;
  port: number;
  /** Every route and WebSocket endpoint; sealed when the server starts. */
  router: Router;
  /** Hooks run once listening and once closed. */
  lifecycle?: Lifecycle;
  /** Where refused WebSocket upgrades are counted (aggregated warnings). */
  warnings: Pick<RepeatedWarnings, 'warn'>;
  /** Serve HTTPS and WSS (uWS SSLApp) with these PEM files; plain HTTP and WS without. */
  tls?: TlsFiles;
}

/** A server that listens. */
export interface ListeningServer {
  port: number;
  /** The served certificate (with TLS). */
  tls?: TlsCertificateInfo;
  /** Stops accepting, closes every open socket, then runs the close hooks. */
  close(): Promise<void>;
}

const PROBE_MS = 1000;
const PAUSED_PROBE_MS = 100;

/** Listens with LIBUS_LISTEN_EXCLUSIVE_PORT: uSockets otherwise sets SO_REUSEPORT, and a second gateway on
 *  the same port would silently share it, splitting sessions and run records between two processes. */
function listen(app: TemplatedApp, bind: string, port: number): Promise<us_listen_socket | false> {
  type Listen4 = (host: string, port: number, options: number, cb: (s: us_listen_socket | false) => void) => void;
  return new Promise((resolve) => (app.listen as unknown as Listen4).call(app, bind, port, 1, (socket) => resolve(socket)));
}

/** Can this process open `n` more files right now? */
function haveFreeFiles(n: number): boolean {
  const fds: number[] = [];
  try {
    for (let i = 0; i < n; i++) fds.push(openSync('/dev/null', 'r'));
    return true;
  } catch {
    return false;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** Serves `opts.router` on `bind:port`; resolves once listening and the listen hooks have run. */
export async function startServer(opts: ServerOptions): Promise<ListeningServer> {
  const lifecycle = opts.lifecycle ?? new Lifecycle();
  opts.router.seal();
  // checked before uWS sees them: SSLApp does not say which file is wrong
  const tls = opts.tls ? inspectTlsFiles(opts.tls) : undefined;
  const app = opts.tls ? uws.SSLApp({ cert_file_name: opts.tls.certFile, key_file_name: opts.tls.keyFile }) : uws.App();
  const detachWebSocket = attachWebSocket(app, opts.router, opts);
  app.any('/*', createHttpHandler(opts.router, opts));
  let socket = await listen(app, opts.bind, opts.port);
  if (!socket) throw new ListenError(`cannot listen on ${opts.bind}:${opts.port} (address in use or not available)`);
  const port = uws.us_socket_local_port(socket);
  let open = true;
  let paused = false;
  const headroom = resumeHeadroom();

  const probe = async () => {
    if (!open) return;
    if (!paused && !haveFreeFiles(1)) {
      paused = true;
      uws.us_listen_socket_close(socket as us_listen_socket);
      opts.log.error({ port }, 'open-files limit reached: not accepting connections until descriptors are free');
    } else if (paused && haveFreeFiles(headroom)) {
      const again = await listen(app, opts.bind, port);
      if (again && open) {
        socket = again;
        paused = false;
        opts.log.warn({ port }, 'descriptors free again: accepting connections');
      } else if (again) uws.us_listen_socket_close(again);
    }
    timer = setTimeout(probe, paused ? PAUSED_PROBE_MS : PROBE_MS);
    timer.unref();
  };
  let timer = setTimeout(probe, PROBE_MS);
  timer.unref();

  const server: ListeningServer = {
    port,
    ...(tls ? { tls } : {}),
    async close() {
      if (open) {
        open = false;
        clearTimeout(timer);
        detachWebSocket();
        if (!paused) uws.us_listen_socket_close(socket as us_listen_socket);
        (app as TemplatedApp & { close(): void }).close(); // present at runtime, missing from the typings
      }
      await lifecycle.closed(opts.log);
    },
  };
  try {
    await lifecycle.listened(port);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
