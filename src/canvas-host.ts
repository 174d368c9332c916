import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './core/log.js';
import type { GatewayConfig } from './config.js';
import { A2UI_REQUIRED_FILES, a2uiFiles } from './surfaces/http/canvas/a2ui-files.js';
import { A2UI_PREFIX, CANVAS_PREFIX, CAP_PATH_PREFIX, canvasRoutes } from './surfaces/http/canvas/canvas-files.js';
import { findPackageRoot } from './surfaces/web/package-root.js';
import { loadWebAssets } from './surfaces/web/webchat-assets.js';
import { CanvasCaps } from './surfaces/ws/canvas-caps.js';
import { LIVE_RELOAD_PATH, canvasLiveReload, type LiveReload } from './surfaces/ws/canvas-live-reload.js';
import type { Router } from './transport/router.js';
import type { WsEndpoint } from './transport/ws-endpoint.js';

// The canvas host's wiring (web-surfaces.md §4 C1–C5): its root (created on first start), the capability
// store shared by hello-ok and the routes, the file routes, the A2UI host (its built files read once, here)
// and the live-reload endpoints. --no-canvas-host registers none of it (no capability is ever issued);
// --no-canvas-live-reload leaves out the live reload: its path answers 404, as an upgrade too.

/** The running canvas host. */
export interface CanvasHost {
  caps: CanvasCaps;
  /** Absent with --no-canvas-live-reload. */
  liveReload?: LiveReload;
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
  /** Where the A2UI host's built files are read from (tests of missing assets); default `<package root>/dist/web/a2ui`. */
  a2uiDir?: string;
}

/** The upgrade answer on canvas paths whose endpoint is off: 404, never the control plane. */
const noEndpoint: WsEndpoint<never, never> = {
  maxPayload: 1024,
  upgrade: (req) => ({ refuse: { status: 404, type: 'not_found', message: `no WebSocket endpoint at ${req.path}` } }),
  open: () => { throw new Error('never accepted'); },
  message() {},
  close() {},
};

/** The A2UI host's built files, read now, once; undefined (and one error line) when the page or bundle is missing. */
function loadA2ui(dir: string | undefined, log: Logger) {
  const assets = dir ? loadWebAssets(dir) : undefined;
  const missing = !assets ? 'dist/web/a2ui (no clawgate package root)'
    : !assets.ok ? assets.missing
    : A2UI_REQUIRED_FILES.filter((f) => !assets.files.has(f)).map((f) => join(dir!, f))[0];
  if (missing !== undefined || !assets?.ok) {
    log.error({ missing, fix: 'npm run build' }, 'A2UI assets not found');
    return undefined;
  }
  return assets.files;
}

/**
 * Creates a missing root (0700, with a starter index.html) and registers the canvas and A2UI routes on `router`;
 * nothing at all with --no-canvas-host (undefined).
 */
export function startCanvasHost(config: GatewayConfig, router: Router, log: Logger, seams: CanvasHostSeams): CanvasHost | undefined {
  if (config.canvasHost === false) return undefined;
  const root = config.canvasRoot ?? join(config.stateDir, 'canvas');
  if (!existsSync(root)) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    writeFileSync(join(root, 'index.html'), DEFAULT_INDEX, { mode: 0o600 });
  }
  const caps = new CanvasCaps({ now: seams.now });
  const useCap = (cap: string) => caps.use(cap);
  const packageRoot = seams.a2uiDir === undefined ? findPackageRoot() : undefined;
  const a2ui = a2uiFiles(loadA2ui(seams.a2uiDir ?? (packageRoot && join(packageRoot, 'dist/web/a2ui')), log));
  const liveReloadOn = config.canvasLiveReload !== false;
  const routes = canvasRoutes({ root, token: config.token, useCap, warn: (msg, fields) => log.warn(fields, msg), liveReload: liveReloadOn, a2ui });
  router.prefix(CANVAS_PREFIX, routes.canvas).prefix(A2UI_PREFIX, routes.a2ui).prefix(CAP_PATH_PREFIX, routes.cap);
  if (!liveReloadOn) {
    router.ws(LIVE_RELOAD_PATH, noEndpoint).ws(CAP_PATH_PREFIX, noEndpoint, { prefix: true });
    return { caps, root };
  }
  const liveReload: LiveReload = canvasLiveReload({
    root, token: config.token, useCap, pinCap: (cap) => caps.pin(cap),
    atLimit: () => seams.otherSockets() + liveReload.size >= seams.maxConnections,
  });
  router.ws(LIVE_RELOAD_PATH, liveReload.endpoint).ws(CAP_PATH_PREFIX, liveReload.capEndpoint, { prefix: true });
  router.route(LIVE_RELOAD_PATH, routes.upgradeRequired);
  return { caps, liveReload, root };
}
