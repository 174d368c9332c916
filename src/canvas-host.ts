import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './core/log.js';
import type { GatewayConfig } from './config.js';
import { CANVAS_PREFIX, CAP_PATH_PREFIX, canvasRoutes } from './surfaces/http/canvas/canvas-files.js';
import { CanvasCaps } from './surfaces/ws/canvas-caps.js';
import { LIVE_RELOAD_PATH, canvasLiveReload, type LiveReload } from './surfaces/ws/canvas-live-reload.js';
import type { Router } from './transport/router.js';

// The canvas host's wiring (web-surfaces.md §4 C1–C3, C5): its root (created on first start), the capability
// store shared by hello-ok and the routes, the file routes and the live-reload endpoints.

/** The running canvas host. */
export interface CanvasHost {
  caps: CanvasCaps;
  liveReload: LiveReload;
  root: string;
}

const DEFAULT_INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>Canvas</title></head>
<body>
<p id="status">Canvas ready: write files into the canvas root.</p>
<button type="button" onclick="openclawSendUserAction({name:'one'})">One</button>
<button type="button" onclick="openclawSendUserAction({name:'two'})">Two</button>
<button type="button" onclick="openclawSendUserAction({name:'three'})">Three</button>
<button type="button" onclick="openclawSendUserAction({name:'four'})">Four</button>
</body></html>
`;

/** The clock of capability expiry, and the control plane's sockets for the shared --max-connections. */
export interface CanvasHostSeams {
  now?: () => number;
  otherSockets: () => number;
  maxConnections: number;
}

/** Creates a missing root (0700, with a starter index.html) and registers the canvas routes on `router`. */
export function startCanvasHost(config: GatewayConfig, router: Router, log: Logger, seams: CanvasHostSeams): CanvasHost {
  const root = config.canvasRoot ?? join(config.stateDir, 'canvas');
  if (!existsSync(root)) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    writeFileSync(join(root, 'index.html'), DEFAULT_INDEX, { mode: 0o600 });
  }
  const caps = new CanvasCaps({ now: seams.now });
  const useCap = (cap: string) => caps.use(cap);
  const routes = canvasRoutes({ root, token: config.token, useCap, warn: (msg, fields) => log.warn(fields, msg) });
  router.prefix(CANVAS_PREFIX, routes.canvas).prefix(CAP_PATH_PREFIX, routes.cap);
  const liveReload: LiveReload = canvasLiveReload({
    root, token: config.token, useCap, pinCap: (cap) => caps.pin(cap),
    atLimit: () => seams.otherSockets() + liveReload.size >= seams.maxConnections,
  });
  router.ws(LIVE_RELOAD_PATH, liveReload.endpoint).ws(CAP_PATH_PREFIX, liveReload.capEndpoint, { prefix: true });
  router.route(LIVE_RELOAD_PATH, routes.upgradeRequired);
  return { caps, liveReload, root };
}
