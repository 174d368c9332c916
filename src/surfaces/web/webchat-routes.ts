import { join } from 'node:path';
import { ApiError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { type ApiRequest, type BodyResponse, errorResponse, type Route } from '../../transport/http-types.js';
import type { Router } from '../../transport/router.js';
import { safeSegments } from '../../transport/static-files.js';
import { findPackageRoot } from './package-root.js';
import { PAGE_HEADERS } from './page-headers.js';
import { loadWebAssets, type WebAsset, type WebAssets, type WebAuthMode } from './webchat-assets.js';

// WebChat on the one port (web-surfaces.md §2.1, S3, S4): GET/HEAD `/` is the page and `/webchat/<file>` its
// built assets, from memory, with the §2.3 headers and a strong ETag (304 on If-None-Match). Missing assets
// are loud: a 503 page saying how to build them, and one error log line naming the file; never a blank page.

/** Where WebChat's files come from. */
export interface WebChatRouteDeps {
  log: Logger;
  /** The built files' directory; default `<package root>/dist/web/webchat`. */
  dir?: string;
  /** The configured auth mode, written into the page's `clawgate-auth` meta (W1). */
  authMode?: WebAuthMode;
}

/** The message of the 503 page when the built files are missing (S4). */
export const WEBCHAT_MISSING_TEXT = 'WebChat assets not found: run `npm run build`';

/** Registers `/` and `/webchat/` on `router`. Reads the files now, once. */
export function registerWebChatRoutes(router: Router, deps: WebChatRouteDeps): void {
  const root = findPackageRoot();
  const dir = deps.dir ?? (root ? join(root, 'dist/web/webchat') : undefined);
  const assets: WebAssets = dir ? loadWebAssets(dir, deps.authMode ? { authMode: deps.authMode } : {}) : { ok: false, missing: 'dist/web/webchat (no clawgate package root)' };
  if (!assets.ok) deps.log.error({ missing: assets.missing, fix: 'npm run build' }, 'WebChat assets not found');
  router.route('/', webRoute((req) => (assets.ok ? serve(req, assets.files.get('index.html')) : missingPage())));
  router.prefix('/webchat', webRoute((req) => {
    if (!assets.ok) return missingPage();
    const segments = safeSegments(req.rest);
    // only the flat files of the build; the pages (index.html, the inspector's) are reached at their own paths
    const name = segments?.length === 1 ? segments[0] : undefined;
    return serve(req, name && !name.endsWith('.html') ? assets.files.get(name) : undefined);
  }));
}

/** A GET/HEAD route of a page or asset (reads If-None-Match). */
export function webRoute(handle: (req: ApiRequest) => BodyResponse): Route {
  // public files without a secret (W1): any Origin may load them (the page under an unlisted origin explains the fix)
  return { method: 'GET', head: true, readsBody: false, anyOrigin: true, headers: ['if-none-match'], handle };
}

/** Answers with `asset` (§2.3 headers, ETag, 304, HEAD), or a 404 when there is none. */
export function serve(req: ApiRequest, asset: WebAsset | undefined): BodyResponse {
  if (!asset) {
    const notFound = errorResponse(new ApiError(404, 'not_found', 'not found'));
    return { ...notFound, headers: { ...notFound.headers, 'X-Content-Type-Options': 'nosniff' } };
  }
  const headers = { ...PAGE_HEADERS, 'Content-Type': asset.contentType, ETag: asset.etag };
  if (matches(req.header('if-none-match'), asset.etag)) return { status: 304, body: '', headers };
  // uWS writes Content-Length only for a body it sends: a HEAD answer states the GET's size itself
  if (req.method === 'HEAD') return { status: 200, body: '', headers: { ...headers, 'Content-Length': String(asset.body.length) } };
  return { status: 200, body: asset.body, headers };
}

/** RFC 9110 §13.1.2: weak comparison, so a proxy's W/ prefix still matches. */
function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function missingPage(): BodyResponse {
  const body = `<!doctype html><meta charset="utf-8"><title>WebChat</title><p>${WEBCHAT_MISSING_TEXT}</p>\n`;
  return { status: 503, body, headers: { ...PAGE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } };
}
