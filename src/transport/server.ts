import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '../log.js';
import type { Route } from '../http/types.js';
import { createHttpHandler } from './http-adapter.js';
import { uws } from './uws.js';

// One uWS app on one port: the HTTP routes now, the WS control plane on the same port later.

export interface ServerOptions {
  bind: string;
  port: number;
  routes: Map<string, Route>;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  log: Logger;
  /** Adds other handlers (the WS plane) to the app before it listens. */
  configure?: (app: TemplatedApp) => void;
}

export interface ListeningServer {
  app: TemplatedApp;
  port: number;
  /** Stops accepting, then closes every open socket. */
  close(): void;
}

export class ListenError extends Error {}

export function startServer(opts: ServerOptions): Promise<ListeningServer> {
  const app = uws.App();
  opts.configure?.(app);
  app.any('/*', createHttpHandler(opts.routes, opts));
  return new Promise((resolve, reject) => {
    app.listen(opts.bind, opts.port, (socket: us_listen_socket | false) => {
      if (!socket) {
        reject(new ListenError(`cannot listen on ${opts.bind}:${opts.port} (address in use or not available)`));
        return;
      }
      let open = true;
      resolve({
        app,
        port: uws.us_socket_local_port(socket),
        close() {
          if (!open) return;
          open = false;
          uws.us_listen_socket_close(socket);
          (app as TemplatedApp & { close(): void }).close(); // present at runtime, missing from the typings
        },
      });
    });
  });
}
