import { timingSafeEqual } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { contentTypeOf } from '../../../transport/mime.js';
import { safeSegments } from '../../../transport/static-files.js';
import type { ApiRequest, ApiResponse, BodyResponse, Route } from '../../../transport/http-types.js';
import { withSnippet } from './snippet.js';

// The canvas host's files (web-surfaces.md C1, C2, C5): `GET|HEAD /__openclaw__/canvas/<path>`, and the same
// behind the capability prefix `/__openclaw__/cap/<cap>/__openclaw__/canvas/<path>`; the A2UI host's files
// (a2ui-files.ts) are reached the same ways under `/__openclaw__/a2ui/`. Access needs the bearer
// secret (when one is configured) or a live capability (prefix or `?oc_cap=`); anything else gets 401, never
// another page. Paths are decoded once and refused (404) for malformed escapes, NUL, backslashes, dot segments
// and real paths outside the root. Every answer, whatever its status, carries the sandbox CSP.

/** The canvas path prefix. */
export const CANVAS_PREFIX = '/__openclaw__/canvas';
/** The A2UI host's path prefix (C4). */
export const A2UI_PREFIX = '/__openclaw__/a2ui';
/** The capability prefix. */
export const CAP_PATH_PREFIX = '/__openclaw__/cap';
/** Larger canvas files get 404 (and a log line). */
export const MAX_CANVAS_FILE_BYTES = 32 * 1024 * 1024;

/** What the canvas routes need. */
export interface CanvasFilesOptions {
  /** The canvas root (real path resolved per request). */
  root: string;
  /** The shared secret; without one a capability is always required. */
  token?: string;
  /** Whether a capability is live (a success extends it). */
  useCap(cap: string): boolean;
  /** One log line (a file over the size limit). */
  warn(msg: string, fields: Record<string, unknown>): void;
  /** Whether served HTML gets the live-reload socket (off with --no-canvas-live-reload). */
  liveReload?: boolean;
  /** The A2UI host's answer for `rest` (raw, after `/__openclaw__/a2ui`), once access is granted. */
  a2ui(req: ApiRequest, rest: string): BodyResponse;
}

/** The headers of every canvas and A2UI answer, whatever its status (C2). */
export const SANDBOX_HEADERS: Record<string, string> = {
  'Content-Security-Policy': 'sandbox allow-scripts allow-forms',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

function jsonError(status: number, type: string, message: string): BodyResponse {
  return { status, body: JSON.stringify({ error: { message, type } }), headers: { ...SANDBOX_HEADERS, ...JSON_TYPE } };
}

const notFound = () => jsonError(404, 'not_found', 'not found');
const unauthorized = () => jsonError(401, 'unauthorized', 'Unauthorized');

function bearerMatches(header: string, token: string | undefined): boolean {
  if (!token || !header.startsWith('Bearer ')) return false;
  const a = Buffer.from(header.slice(7));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The canvas routes: the canvas path, the A2UI path, the capability prefix, and the plain GET on the live-reload path. */
export function canvasRoutes(o: CanvasFilesOptions): { canvas: Route; a2ui: Route; cap: Route; upgradeRequired: Route } {
  const route = (handle: Route['handle']): Route => ({ method: 'GET', head: true, readsBody: false, allowSandboxedPages: true, handle });
  const byBearer = (req: ApiRequest) => bearerMatches(req.header('authorization'), o.token);
  const byQuery = (req: ApiRequest) => o.useCap(req.query.get('oc_cap') ?? '');
  /** A page opened with `?oc_cap=` moves to the capability prefix, which its relative sub-resources then keep. */
  const page = (req: ApiRequest, surface: string, serveIt: () => ApiResponse | Promise<ApiResponse>) => {
    if (byBearer(req)) return serveIt();
    if (!byQuery(req)) return unauthorized();
    return isPagePath(req.rest) ? toCapPrefix(req, surface) : serveIt();
  };
  return {
    upgradeRequired: route(() => jsonError(426, 'upgrade_required', 'upgrade required')),
    canvas: route((req) => page(req, CANVAS_PREFIX, () => serve(o, req, req.rest))),
    a2ui: route((req) => page(req, A2UI_PREFIX, () => o.a2ui(req, req.rest))),
    cap: route((req) => {
      // rest = '/<cap>/<path>': the capability must be live before anything else is looked at
      const m = /^\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(req.rest);
      if (!m || !o.useCap(m[1])) return unauthorized();
      const inner = m[2] ?? '';
      if (inner === CANVAS_PREFIX || inner.startsWith(`${CANVAS_PREFIX}/`)) return serve(o, req, inner.slice(CANVAS_PREFIX.length));
      if (inner === A2UI_PREFIX || inner.startsWith(`${A2UI_PREFIX}/`)) return o.a2ui(req, inner.slice(A2UI_PREFIX.length));
      return notFound();
    }),
  };
}

/** Whether `rest` names an HTML page (a directory or `.html`), whose relative URLs would lose a `?oc_cap=`. */
function isPagePath(rest: string): boolean {
  return rest === '' || rest.endsWith('/') || /\.html?$/i.test(rest);
}

/**
 * 307 to the same path under `/__openclaw__/cap/<cap>/`, the other query parameters kept. The Location is
 * relative to the request's directory, so it stays right behind a proxy prefix.
 */
function toCapPrefix(req: ApiRequest, surface: string): BodyResponse {
  const query = new URLSearchParams(req.query);
  const cap = query.get('oc_cap') ?? '';
  query.delete('oc_cap');
  const path = `${surface}${req.rest}`; // e.g. /__openclaw__/canvas/a/index.html
  const up = '../'.repeat(path.split('/').length - 2);
  const search = query.size > 0 ? `?${query}` : '';
  return { status: 307, body: '', headers: { ...SANDBOX_HEADERS, Location: `${up}__openclaw__/cap/${encodeURIComponent(cap)}${path}${search}` } };
}

/** The file at `rest` (raw, after `/__openclaw__/canvas`). */
async function serve(o: CanvasFilesOptions, req: ApiRequest, rest: string): Promise<BodyResponse> {
  if (rest === '') return { status: 308, body: '', headers: { ...SANDBOX_HEADERS, Location: 'canvas/' } };
  const segments = safeSegments(rest);
  if (!segments) return notFound();
  try {
    const base = await realpath(o.root);
    let file = await realInside(base, join(base, ...segments));
    let st = await stat(file);
    if (st.isDirectory()) {
      const index = join(file, 'index.html');
      const found = await realInside(base, index).catch(() => undefined);
      if (!found) return missingIndex(relative(base, file));
      file = found;
      st = await stat(file);
    }
    if (!st.isFile()) return notFound();
    if (st.size > MAX_CANVAS_FILE_BYTES) {
      o.warn('canvas file over the size limit: not served', { path: relative(base, file), bytes: st.size, limit: MAX_CANVAS_FILE_BYTES });
      return notFound();
    }
    const type = contentTypeOf(file);
    const html = type.startsWith('text/html');
    const headers = { ...SANDBOX_HEADERS, 'Content-Type': type, ...(html ? {} : { 'Access-Control-Allow-Origin': '*' }) };
    const bytes = await readFile(file);
    const body = html ? Buffer.from(withSnippet(bytes.toString('utf8'), o.liveReload !== false)) : bytes;
    // uWS writes Content-Length only for a body it sends: a HEAD answer states the GET's size itself
    if (req.method === 'HEAD') return { status: 200, body: '', headers: { ...headers, 'Content-Length': String(body.length) } };
    return { status: 200, body, headers };
  } catch {
    return notFound(); // missing, unreadable, a loop: nothing about the file system leaks
  }
}

function missingIndex(dir: string): BodyResponse {
  const shown = (dir === '' ? '' : `${dir.split(sep).join('/')}/`) + 'index.html';
  const escaped = shown.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    status: 404,
    body: `<!doctype html><meta charset="utf-8"><title>Missing file</title><p>Missing file: create index.html in the canvas root (${escaped})</p>`,
    headers: { ...SANDBOX_HEADERS, 'Content-Type': 'text/html; charset=utf-8' },
  };
}

/** The real path of `path`, which must resolve inside `base` (symlinks included). */
async function realInside(base: string, path: string): Promise<string> {
  const inside = (p: string) => p === base || p.startsWith(base.endsWith(sep) ? base : base + sep);
  if (!inside(path)) throw new Error('outside');
  const real = await realpath(path);
  if (!inside(real)) throw new Error('outside');
  return real;
}
