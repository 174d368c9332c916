import type { ApiRequest, BodyResponse } from '../../../transport/http-types.js';
import { safeSegments } from '../../../transport/static-files.js';
import { SANDBOX_HEADERS } from './canvas-files.js';

// The A2UI host's files (web-surfaces.md C4, S4): `/__openclaw__/a2ui/` is the page, next to it its bundle and
// licence file, all read once at start (the gateway never reads the disk per request for them). Access is
// checked by the canvas routes before this runs. Every answer is sandboxed like a canvas file; non-HTML files
// carry `Access-Control-Allow-Origin: *`, since the sandboxed page loads its module script from origin null.
// Without the built page or bundle every path answers 503 "A2UI assets not found": never a blank page.

/** The page and the bundle the A2UI host cannot work without. */
export const A2UI_REQUIRED_FILES = ['index.html', 'a2ui.bundle.js'] as const;

/** The message of the 503 answer when the built files are missing (S4). */
export const A2UI_MISSING_TEXT = 'A2UI assets not found';

/** One built file, in memory. */
export interface A2uiFile {
  body: Uint8Array;
  contentType: string;
}

/** The answer for `rest` (raw, after `/__openclaw__/a2ui`); `files` undefined = the build is missing. */
export function a2uiFiles(files: ReadonlyMap<string, A2uiFile> | undefined): (req: ApiRequest, rest: string) => BodyResponse {
  return (req, rest) => {
    if (!files) return missing();
    // relative to its own directory: the page loads ./a2ui.bundle.js, which a cap prefix then carries over
    if (rest === '') return { status: 308, body: '', headers: { ...SANDBOX_HEADERS, Location: 'a2ui/' } };
    const segments = safeSegments(rest);
    const name = segments?.length === 0 ? 'index.html' : segments?.length === 1 ? segments[0] : undefined;
    const file = name === undefined ? undefined : files.get(name);
    if (!file) {
      const body = JSON.stringify({ error: { message: 'not found', type: 'not_found' } });
      return { status: 404, body, headers: { ...SANDBOX_HEADERS, 'Content-Type': 'application/json; charset=utf-8' } };
    }
    const html = file.contentType.startsWith('text/html');
    const headers = { ...SANDBOX_HEADERS, 'Content-Type': file.contentType, ...(html ? {} : { 'Access-Control-Allow-Origin': '*' }) };
    // uWS writes Content-Length only for a body it sends: a HEAD answer states the GET's size itself
    if (req.method === 'HEAD') return { status: 200, body: '', headers: { ...headers, 'Content-Length': String(file.body.length) } };
    return { status: 200, body: file.body, headers };
  };
}

function missing(): BodyResponse {
  const body = `<!doctype html><meta charset="utf-8"><title>A2UI</title><p>${A2UI_MISSING_TEXT}: run \`npm run build\`</p>\n`;
  return { status: 503, body, headers: { ...SANDBOX_HEADERS, 'Content-Type': 'text/html; charset=utf-8' } };
}
