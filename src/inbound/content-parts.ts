// Validation and normalization of `content_parts` (spec http-gateway.md §9): inline data is
// decoded, URL audio/file/video parts are downloaded under a strict URL policy (SSRF guard).
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../policy/addresses.js';
import type { InputPart } from '../core/run.js';

/** Size, time and redirect limits and the URL allowlist for content parts; `fetch` and `lookup` are injectable. */
export interface ContentPartPolicy {
  maxPartBytes: number;
  downloadTimeoutMs: number;
  maxRedirects: number;
  /** `host[/path-prefix]`; a host also matches its subdomains. Blank entries are ignored. */
  allowedUrlPatterns?: string[];
  allowPrivateHosts?: boolean;
  fetch?: typeof fetch;
  lookup?: (host: string) => Promise<string[]>;
}

/** 8 MiB per part, 15 s per download, 5 redirects, no URL allowlist. */
export const DEFAULT_PART_POLICY: ContentPartPolicy = Object.freeze({
  maxPartBytes: 8388608,
  downloadTimeoutMs: 15000,
  maxRedirects: 5,
});

/** A content part was refused; the message names the part and why (answered as a 400). */
export class PartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartError';
  }
}

type Obj = Record<string, unknown>;
interface Fetched { data: Uint8Array; contentType: string; filename: string }

const USER_AGENT = 'clawgate-gateway';
const TOO_LARGE = 'content part too large';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const OOXML = 'application/vnd.openxmlformats-officedocument.';
/** Extension → MIME for downloads/inline files that carry no usable type. */
const MIME_BY_EXT: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', html: 'text/html', htm: 'text/html', css: 'text/css',
  js: 'text/javascript', json: 'application/json', xml: 'application/xml', pdf: 'application/pdf',
  zip: 'application/zip', gz: 'application/gzip', doc: 'application/msword', xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint', docx: `${OOXML}wordprocessingml.document`,
  xlsx: `${OOXML}spreadsheetml.sheet`, pptx: `${OOXML}presentationml.presentation`,
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  svg: 'image/svg+xml', avif: 'image/avif', mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg',
  m4a: 'audio/mp4', mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime',
};

/** Validate and normalize (downloading URL audio/file/video parts). Throws PartError on the first bad part. */
export async function normalizeContentParts(
  raw: unknown,
  policy: ContentPartPolicy,
): Promise<{ parts: InputPart[]; mentionTexts: string[] }> {
  const parts: InputPart[] = [];
  const mentionTexts: string[] = [];
  if (raw === undefined || raw === null) return { parts, mentionTexts };
  if (!Array.isArray(raw)) throw new PartError('content_parts: must be an array');
  for (let i = 0; i < raw.length; i++) {
    let part: InputPart;
    try {
      part = await normalizePart(raw[i], policy);
    } catch (err) {
      throw new PartError(`content_parts[${i}]: ${err instanceof Error ? err.message : String(err)}`);
    }
    parts.push(part);
    // Only text-like parts take part in mention gating (§5); link/location became text parts.
    if (part.type === 'text') mentionTexts.push(part.text);
  }
  return { parts, mentionTexts };
}

async function normalizePart(raw: unknown, policy: ContentPartPolicy): Promise<InputPart> {
  if (!isObj(raw)) throw new Error('invalid content part');
  switch (str(raw, 'type')) {
    case 'text': return textPart(raw);
    case 'image': return imagePart(sub(raw, 'image'), policy);
    case 'audio': case 'voice': return audioPart(sub(raw, 'audio'), policy);
    case 'file': case 'video': return filePart(sub(raw, 'file'), policy);
    case 'link': return linkPart(sub(raw, 'link'));
    case 'location': return locationPart(sub(raw, 'location'));
    default: throw new Error('unsupported content part type');
  }
}

function textPart(raw: Obj): InputPart {
  const text = str(raw, 'text');
  if (text === undefined) throw new Error('missing text');
  if (text.trim() === '') throw new Error('empty text');
  return { type: 'text', text: text.trim() };
}

function imagePart(img: Obj | undefined, policy: ContentPartPolicy): InputPart {
  if (!img) throw new Error('missing image');
  const data = inlineData(img, policy); // size is checked even when a url wins, as the reference does
  const detail = trimmed(img, 'detail') || 'auto';
  const url = trimmed(img, 'url');
  // Image URLs go to the model as is: the provider fetches them, we never do.
  if (url) return { type: 'image', url, detail };
  if (!data) throw new Error('missing image url or data');
  const format = trimmed(img, 'format');
  if (!format) throw new Error('missing image format');
  return { type: 'image', data, format, detail };
}

async function audioPart(audio: Obj | undefined, policy: ContentPartPolicy): Promise<InputPart> {
  if (!audio) throw new Error('missing audio');
  const data = inlineData(audio, policy);
  const url = trimmed(audio, 'url');
  let format = trimmed(audio, 'format');
  if (format) checkAudioFormat(format); // reject before spending a download on it
  if (url) {
    const got = await download(url, policy);
    format ||= audioFormatOf(got);
    if (!format) throw new Error('missing audio format');
    checkAudioFormat(format);
    return { type: 'audio', data: got.data, format, url };
  }
  if (!data) throw new Error('missing audio url or data');
  if (!format) throw new Error('missing audio format');
  return { type: 'audio', data, format };
}

function checkAudioFormat(format: string): void {
  if (format !== 'wav' && format !== 'mp3') throw new Error('unsupported audio format');
}

function audioFormatOf(got: Fetched): string {
  const ext = extOf(got.filename);
  if (ext === 'wav' || ext === 'mp3') return ext;
  if (['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'].includes(got.contentType)) return 'wav';
  if (got.contentType === 'audio/mpeg' || got.contentType === 'audio/mp3') return 'mp3';
  return '';
}

async function filePart(file: Obj | undefined, policy: ContentPartPolicy): Promise<InputPart> {
  if (!file) throw new Error('missing file');
  const data = inlineData(file, policy);
  const fileId = trimmed(file, 'file_id');
  const url = trimmed(file, 'url');
  const name = trimmed(file, 'filename');
  const format = mimeOf(trimmed(file, 'format'));
  if (fileId) {
    return { type: 'file', fileId, ...(name && { filename: name }), ...(format && { mime: format }) };
  }
  if (url) {
    const got = await download(url, policy);
    const filename = name || got.filename || 'attachment';
    const mime = format || got.contentType || mimeByExt(filename) || 'application/octet-stream';
    return { type: 'file', filename, data: got.data, mime, url };
  }
  if (!data) throw new Error('missing file url, data, or file_id');
  if (!name) throw new Error('missing filename');
  return { type: 'file', filename: name, data, mime: format || mimeByExt(name) || 'application/octet-stream' };
}

function linkPart(link: Obj | undefined): InputPart {
  if (!link) throw new Error('missing link');
  const url = trimmed(link, 'url');
  if (!url) throw new Error('missing link url');
  const title = trimmed(link, 'title');
  return { type: 'text', text: title ? `${title}\n${url}` : url };
}

function locationPart(loc: Obj | undefined): InputPart {
  if (!loc) throw new Error('missing location');
  const text = `${trimmed(loc, 'name')}\nlatitude=${goFloat(num(loc, 'latitude'))}\nlongitude=${goFloat(num(loc, 'longitude'))}`;
  return { type: 'text', text: text.trim() };
}

/** Formats like Go's `%v` for float64, so location text matches the reference byte for byte. */
function goFloat(v: number): string {
  if (Object.is(v, -0)) return '-0';
  if (v !== 0 && Math.abs(v) < 1e-4) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(v); // JS switches to exponent at 1e21, like Go's %v
}

// ---- field access: JSON null counts as absent (§2.1); wrong types are reported, never crash ----

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function field<T>(o: Obj, key: string, ok: (v: unknown) => boolean): T | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!ok(v)) throw new Error(`invalid ${key}`);
  return v as T;
}
const str = (o: Obj, key: string) => field<string>(o, key, (v) => typeof v === 'string');
const trimmed = (o: Obj, key: string) => str(o, key)?.trim() ?? '';
const num = (o: Obj, key: string) => field<number>(o, key, (v) => typeof v === 'number') ?? 0;
const sub = (o: Obj, key: string) => field<Obj>(o, key, isObj);

/** Decodes `data` (standard base64, padded; CR/LF ignored as Go does). Empty means absent. */
function inlineData(o: Obj, policy: ContentPartPolicy): Uint8Array | undefined {
  const b64 = str(o, 'data')?.replace(/[\r\n]/g, '');
  if (!b64) return undefined;
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new Error('invalid base64 data');
  const size = (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
  if (size > policy.maxPartBytes) throw new Error(TOO_LARGE); // checked before allocating
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function mimeOf(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}
function extOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}
function mimeByExt(name: string): string {
  const ext = extOf(name); // from the client's file name: `x.constructor` must not find Object.prototype's
  return Object.hasOwn(MIME_BY_EXT, ext) ? MIME_BY_EXT[ext] : '';
}

// ---- downloads ----

async function download(rawUrl: string, policy: ContentPartPolicy): Promise<Fetched> {
  const signal = AbortSignal.timeout(policy.downloadTimeoutMs);
  // One deadline for the whole chain (DNS, redirects, body), like an http.Client timeout.
  const timedOut = new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(new Error(`download timed out after ${policy.downloadTimeoutMs} ms`)), { once: true }));
  timedOut.catch(() => {}); // the race below may settle first
  return Promise.race([fetchChain(rawUrl, policy, signal), timedOut]);
}

async function fetchChain(rawUrl: string, policy: ContentPartPolicy, signal: AbortSignal): Promise<Fetched> {
  const doFetch = policy.fetch ?? globalThis.fetch;
  let url = parseUrl(rawUrl);
  for (let hops = 0; ; hops++) {
    await checkUrl(url, policy); // every hop, so a redirect cannot reach a private host
    const res = await doFetch(url, { redirect: 'manual', signal, headers: { 'User-Agent': USER_AGENT } })
      .catch((err: unknown) => { throw signal.aborted ? err : new Error(`fetch: ${causeOf(err)}`); });
    const location = res.headers.get('location');
    if (REDIRECTS.has(res.status) && location) {
      await discard(res);
      if (hops >= policy.maxRedirects) throw new Error('too many redirects');
      url = parseUrl(location, url);
      continue;
    }
    if (res.status < 200 || res.status > 299) {
      await discard(res);
      throw new Error(`unexpected status: ${res.status}`);
    }
    const data = await readCapped(res, policy.maxPartBytes);
    // The final URL names the resource that actually answered (as browsers do after redirects).
    const filename = dispositionName(res.headers.get('content-disposition')) || baseName(url);
    return { data, contentType: mimeOf(res.headers.get('content-type')), filename };
  }
}

/** Releases the connection of a response whose body we will not read. */
const discard = (res: Response) => res.body?.cancel().catch(() => {});

/** Reads at most max bytes; stops (and drops the connection) as soon as the cap is passed. */
async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await discard(res);
    throw new Error(TOO_LARGE);
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new Error(TOO_LARGE);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** undici reports "fetch failed" and hides the useful reason (ECONNREFUSED, …) in `cause`. */
function causeOf(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

function parseUrl(raw: string, base?: URL): URL {
  if (!URL.canParse(raw, base)) throw new Error('invalid url');
  return new URL(raw, base);
}

function dispositionName(header: string | null): string {
  if (!header) return '';
  let name = '';
  const ext = /filename\*\s*=\s*[^']*'[^']*'([^;\s]+)/i.exec(header); // RFC 5987 form wins
  if (ext) {
    try { name = decodeURIComponent(ext[1]!); } catch { /* fall back to plain filename= */ }
  }
  if (!name) {
    const m = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(header);
    name = m ? (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!) : '';
  }
  // A server-chosen name must not carry a path.
  return name.split(/[/\\]/).pop()!.trim();
}

function baseName(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).pop() ?? '';
  try { return decodeURIComponent(last).trim(); } catch { return last; }
}

// ---- URL policy ----

async function checkUrl(url: URL, policy: ContentPartPolicy): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('unsupported url scheme');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error('missing url host');
  const patterns = (policy.allowedUrlPatterns ?? []).map((p) => p.trim()).filter(Boolean);
  if (patterns.length > 0 && !patterns.some((p) => matchesPattern(url, p))) {
    throw new Error('url does not match any allowed pattern');
  }
  if (policy.allowPrivateHosts) return;
  const blocked = new Error(`url host resolves to private address: ${host}`);
  const bare = host.toLowerCase().replace(/\.$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) throw blocked;
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw blocked;
    return;
  }
  const addrs = await (policy.lookup ?? defaultLookup)(host).catch((err: unknown) => {
    throw new Error(`resolve host: ${causeOf(err)}`);
  });
  if (addrs.length === 0) throw new Error('resolve host: no addresses');
  if (addrs.some(isPrivateAddress)) throw blocked;
}

async function defaultLookup(host: string): Promise<string[]> {
  return (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

/** `host[/prefix]`: host equal or a subdomain; prefix matched at a path-segment boundary. */
function matchesPattern(url: URL, pattern: string): boolean {
  const slash = pattern.indexOf('/');
  const host = (slash < 0 ? pattern : pattern.slice(0, slash)).toLowerCase();
  const prefix = slash < 0 ? '' : pattern.slice(slash);
  const h = url.hostname.toLowerCase();
  if (h !== host && !h.endsWith(`.${host}`)) return false;
  const path = url.pathname || '/';
  if (!prefix || path === prefix) return true;
  return path.startsWith(prefix) && (prefix.endsWith('/') || path[prefix.length] === '/');
}

