import { realpathSync, statSync, type Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ApiError } from '../core/errors.js';
import { errorResponse, type ApiRequest, type BodyResponse, type Route } from './http-types.js';
import { contentTypeOf } from './mime.js';

// The files of one directory, served under a prefix route (GET and HEAD): Content-Type by extension,
// a weak ETag and Last-Modified for revalidation (304), index.html for a directory.
//
// Nothing outside the directory is ever read. The request path is percent-decoded once, then refused
// (404) when a segment is `.` or `..` or starts with a dot (dotfiles stay private), or when it holds a
// NUL or a backslash; the joined path must stay under the root, and so must its real path (a symlink
// inside the root that points outside it is not followed out). Files are read whole: this serves the
// assets of a web UI, not downloads.

/** How a static directory is served. */
export interface StaticFilesOptions {
  /** Cache-Control of every file answer; default `no-cache` (the browser revalidates with the ETag). */
  cacheControl?: string;
  /** The file served for a directory; default `index.html`. */
  index?: string;
  /** Checked before any file is looked at (e.g. a bearer token); none by default. */
  authorize?: Route['authorize'];
}

/** Lookup failures that mean "no such file here". */
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'EINVAL']);

const notFound = () => new ApiError(404, 'not_found', 'not found');

/**
 * A GET route (HEAD too) serving the files under `root` at the rest of the path after its prefix.
 * Throws at once when `root` is not a directory.
 */
export function staticFiles(root: string, options: StaticFilesOptions = {}): Route {
  const base = realRoot(root);
  const index = options.index ?? 'index.html';
  const cacheControl = options.cacheControl ?? 'no-cache';
  return {
    method: 'GET', head: true, readsBody: false,
    headers: ['if-none-match', 'if-modified-since'],
    ...(options.authorize ? { authorize: options.authorize } : {}),
    handle: async (req) => {
      const segments = safeSegments(req.rest);
      if (!segments) return errorResponse(notFound());
      try {
        let file = await realInside(base, join(base, ...segments));
        let st = await stat(file);
        if (st.isDirectory()) {
          // relative links in the index resolve against the directory only with its trailing slash
          if (!req.rest.endsWith('/')) return redirectToDirectory(req);
          file = await realInside(base, join(file, index));
          st = await stat(file);
        }
        if (!st.isFile()) return errorResponse(notFound());
        return await answerFile(req, file, st, cacheControl);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (err instanceof ApiError) return errorResponse(err);
        if (NOT_FOUND_CODES.has(code)) return errorResponse(notFound());
        if (code === 'EACCES' || code === 'EPERM') return errorResponse(new ApiError(403, 'forbidden', 'forbidden'));
        throw err;
      }
    },
  };
}

function realRoot(root: string): string {
  let base: string;
  try {
    base = realpathSync(resolve(root));
  } catch (err) {
    throw new Error(`static files: cannot open directory ${root}: ${(err as Error).message}`);
  }
  if (!statSync(base).isDirectory()) throw new Error(`static files: ${root} is not a directory`);
  return base;
}

/** The decoded path segments of `rest`, or undefined when it is not a plain path below the root. */
export function safeSegments(rest: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return undefined; // malformed escape
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return undefined; // '.', '..', dotfiles
  return segments;
}

/** The real path of `path`, which must resolve inside `base` (symlinks included). */
async function realInside(base: string, path: string): Promise<string> {
  if (!isInside(base, path)) throw notFound();
  const real = await realpath(path);
  if (!isInside(base, real)) throw notFound();
  return real;
}

function isInside(base: string, path: string): boolean {
  return path === base || path.startsWith(base.endsWith(sep) ? base : base + sep);
}

function redirectToDirectory(req: ApiRequest): BodyResponse {
  const query = req.query.toString();
  return { status: 301, body: '', headers: { Location: `${req.path}/${query ? `?${query}` : ''}` } };
}

async function answerFile(req: ApiRequest, file: string, st: Stats, cacheControl: string): Promise<BodyResponse> {
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    'Content-Type': contentTypeOf(file),
    'Cache-Control': cacheControl,
    ETag: etag,
    'Last-Modified': st.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
  };
  if (notModified(req, etag, st.mtimeMs)) return { status: 304, body: '', headers };
  // uWS writes Content-Length only for a body it sends: a HEAD answer states the GET's size itself
  if (req.method === 'HEAD') return { status: 200, body: '', headers: { ...headers, 'Content-Length': String(st.size) } };
  return { status: 200, body: await readFile(file), headers };
}

/** RFC 9110 §13.1: If-None-Match (weak comparison) decides when present, else If-Modified-Since. */
function notModified(req: ApiRequest, etag: string, mtimeMs: number): boolean {
  const inm = req.header('if-none-match');
  if (inm !== '') {
    const tag = (t: string) => t.trim().replace(/^W\//, '');
    return inm.trim() === '*' || inm.split(',').some((t) => tag(t) === tag(etag));
  }
  const ims = Date.parse(req.header('if-modified-since'));
  return Number.isFinite(ims) && Math.floor(mtimeMs / 1000) * 1000 <= ims;
}
