import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import type { ApiRequest, BodyResponse } from '../../transport/http-types.js';
import type { Router } from '../../transport/router.js';
import { findPackageRoot } from './package-root.js';
import { PAGE_CSP, PAGE_HEADERS } from './page-headers.js';
import { loadWebAssets, type WebAsset } from './webchat-assets.js';
import { serve, webRoute } from './webchat-routes.js';

// The actor inspector's pages (web-surfaces.md I5, I6, §2.1, §2.3): GET/HEAD `/__clawgate__/inspect` (only with
// --inspect) and the Stately bridge `/__clawgate__/inspect/stately` (only with --inspect-stately-url, which
// needs --inspect). Without them the paths are not registered: the router's 404 `not_found` answers. The
// pages are built into dist/web/webchat/ (inspect.html, stately.html) and load their scripts relatively
// (`../webchat/…`), so they work at `/` and under a proxy prefix alike. Meta elements filled in here, once, tell
// the pages the auth mode (as WebChat's page is told), whether the bridge exists, and the bridge its target;
// the bridge's CSP admits that origin, and only it, as a frame.

/** The inspector page's path. */
export const INSPECT_PAGE_PATH = '/__clawgate__/inspect';
/** The Stately bridge page's path. */
export const STATELY_PAGE_PATH = '/__clawgate__/inspect/stately';
/** The message of the 503 page when the built inspector files are missing (S4). */
export const INSPECT_MISSING_TEXT = 'Inspector assets not found: run `npm run build`';

/** What the inspector's pages need. */
export interface InspectRouteDeps {
  log: Logger;
  /** --inspect: without it nothing is registered. */
  inspect: boolean;
  /** --inspect-stately-url: the bridge's target; without it the bridge is not registered. */
  statelyUrl?: string;
  /** How the gateway authenticates, for the pages' `clawgate-auth` meta (as WebChat's, W1): never a secret. */
  authMode?: 'none' | 'token';
  /** The built files' directory; default `<package root>/dist/web/webchat`. */
  dir?: string;
}

/** The bridge page's CSP: the pages' own, plus its target's origin as the one frame source. */
export function statelyCsp(statelyUrl: string): string {
  return `${PAGE_CSP}; frame-src ${new URL(statelyUrl).origin}`;
}

/** Registers the inspector page (and the bridge) on `router` when enabled; reads the files now, once. */
export function registerInspectRoutes(router: Router, deps: InspectRouteDeps): void {
  if (!deps.inspect) return;
  const root = findPackageRoot();
  const dir = deps.dir ?? (root ? join(root, 'dist/web/webchat') : undefined);
  const assets = dir ? loadWebAssets(dir) : undefined;
  const files = assets?.ok ? assets.files : new Map<string, WebAsset>();
  // the page shows "Open in Stately" only when the bridge exists
  const auth = deps.authMode ?? '';
  const page = withMeta(withMeta(files.get('inspect.html'), 'clawgate-auth', auth), 'clawgate-stately', deps.statelyUrl ? 'on' : '');
  if (!page) deps.log.error({ missing: join(dir ?? 'dist/web/webchat', 'inspect.html'), fix: 'npm run build' }, 'inspector assets not found');
  router.route(INSPECT_PAGE_PATH, webRoute((req) => (page ? serve(req, page) : missingPage())));
  if (deps.statelyUrl === undefined) return;
  const bridge = withMeta(withMeta(files.get('stately.html'), 'clawgate-auth', auth), 'clawgate-stately-url', deps.statelyUrl);
  const csp = statelyCsp(deps.statelyUrl);
  router.route(STATELY_PAGE_PATH, webRoute((req: ApiRequest) => {
    const res = bridge ? serve(req, bridge) : missingPage();
    return { ...res, headers: { ...res.headers, 'Content-Security-Policy': csp } };
  }));
}

/** A page with `value` (attribute-escaped) in its empty `<meta name="…" content="">`, and its own ETag. */
function withMeta(asset: WebAsset | undefined, name: string, value: string): WebAsset | undefined {
  if (!asset || value === '') return asset;
  const html = Buffer.from(asset.body).toString('utf8');
  const escaped = value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = Buffer.from(html.replace(`<meta name="${name}" content="">`, `<meta name="${name}" content="${escaped}">`));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { ...asset, body, etag };
}

function missingPage(): BodyResponse {
  const body = `<!doctype html><meta charset="utf-8"><title>Inspector</title><p>${INSPECT_MISSING_TEXT}</p>\n`;
  return { status: 503, body, headers: { ...PAGE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } };
}
