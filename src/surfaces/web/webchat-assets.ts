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

/** Reads every file of `dir` (not below it); `missing` names the absent entry page or directory. */
export function loadWebAssets(dir: string): WebAssets {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return { ok: false, missing: dir };
  }
  if (!names.includes(ENTRY)) return { ok: false, missing: join(dir, ENTRY) };
  const files = new Map<string, WebAsset>();
  for (const name of names) {
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(name, { body, contentType: contentTypeOf(name), etag });
  }
  return { ok: true, files };
}
