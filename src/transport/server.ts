import { closeSync, openSync } from 'node:fs';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '../core/log.js';
import type { Route } from './http-types.js';
import { createHttpHandler, type HttpAdapterOptions } from './http-adapter.js';
import { ListenError } from '../core/errors.js';
import { uws } from './uws.js';
import { resumeHeadroom } from './open-files.js';

// One uWS app on one port: the HTTP routes and the WS control plane.
//
// At the open-files limit uSockets' accept loop spins: accept() fails with EMFILE, the listen socket stays
// readable. So the server watches for that (one probe open per second) and stops listening while the
// process has no file descriptors left, then listens again once there is headroom.

export interface ServerOptions {
  bind: string;
  port: number;
  routes: Map<string, Route>;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  log: Logger;
  guard?: HttpAdapterOptions['guard'];
  classify?: HttpAdapterOptions['classify'];
  /** Adds other handlers (the WS plane) to the app before it listens. */
  configure?: (app: TemplatedApp) => void;
}

export interface ListeningServer {
  app: TemplatedApp;
  port: number;
  /** Stops accepting, then closes every open socket. */
  close(): void;
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

export async function startServer(opts: ServerOptions): Promise<ListeningServer> {
  const app = uws.App();
  opts.configure?.(app);
  app.any('/*', createHttpHandler(opts.routes, opts));
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

  return {
    app, port,
    close() {
      if (!open) return;
      open = false;
      clearTimeout(timer);
      if (!paused) uws.us_listen_socket_close(socket as us_listen_socket);
      (app as TemplatedApp & { close(): void }).close(); // present at runtime, missing from the typings
    },
  };
}
