import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentTypeOf } from '../../transport/mime.js';

// The built WebChat files (dist/web/webchat/), read once at start into memory (web-surfaces.md S3): the gateway
// never builds anything and never touches the disk per request. Each file gets a strong ETag of its bytes.

/** One built file, ready to serve. */
export interface WebAsset {
  body: Uint8Array;
  contentType: string;
  /** Strong ETag: a hash of the bytes, so a rebuilt file is never mistaken for the old one. */
  etag: string;
}

/** The loaded files by name, or why they could not be loaded. */
export type WebAssets =
  | { ok: true; files: ReadonlyMap<string, WebAsset> }
  | { ok: false; missing: string };

/** The page every WebChat URL needs first; without it there is no WebChat. */
const ENTRY = 'index.html';

/** How the gateway authenticates, as the page's `<meta name="clawgate-auth">` says (W1): never a secret. */
export type WebAuthMode = 'none' | 'token' | 'password';

// the built page carries a placeholder value; the gateway writes its mode once, at load, so the ETag stays a
// hash of the bytes actually served
const AUTH_META = /(<meta name="clawgate-auth" content=")[^"]*(">)/;

/**
 * Reads every file of `dir` (not below it); `missing` names the absent entry page or directory. With
 * `authMode`, index.html's `clawgate-auth` meta is set to it.
 */
export function loadWebAssets(dir: string, options: { authMode?: WebAuthMode } = {}): WebAssets {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return { ok: false, missing: dir };
  }
  if (!names.includes(ENTRY)) return { ok: false, missing: join(dir, ENTRY) };
  const files = new Map<string, WebAsset>();
  for (const name of names) {
    let body: Uint8Array = readFileSync(join(dir, name));
    if (name === ENTRY && options.authMode) body = withAuthMeta(body, options.authMode);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(name, { body, contentType: contentTypeOf(name), etag });
  }
  return { ok: true, files };
}

/** The page with its `clawgate-auth` meta set to `mode` (unchanged when the page has none). */
export function withAuthMeta(page: Uint8Array, mode: WebAuthMode): Uint8Array {
  const text = new TextDecoder().decode(page);
  return new TextEncoder().encode(text.replace(AUTH_META, `$1${mode}$2`));
}
