// What the actor inspector may show of a snapshot, an event or an actor's input (web-surfaces.md I3): no
// secret, no raw frame text, nothing unbounded. Everything a viewer receives goes through sanitize() first.
//
// A connection's first frame holds the `connect` secret, so raw frame text never leaves the process: a FRAME
// event keeps its size, frame type and method; the frames waiting for admission keep only their count and
// size; connect params keep only client, role and scopes.

/** Keys whose value is replaced by `"[redacted]"` at any depth. */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  'auth', 'token', 'deviceToken', 'password', 'secret', 'apiKey', 'authorization', 'signature', 'privateKey',
  'ticket', 'cap', 'oc_cap',
]);

/** The limits of a sanitized value. */
export const SANITIZE_LIMITS = { maxString: 200, maxDepth: 10, maxArray: 50 } as const;

const REDACTED = '[redacted]';

/** A string over the limit: its first 200 characters plus `…(+N)`. */
export function cutString(s: string, max: number = SANITIZE_LIMITS.maxString): string {
  return s.length > max ? `${s.slice(0, max)}…(+${s.length - max})` : s;
}

/** A JSON-safe copy of `value` that a viewer may see (see the file comment). */
export function sanitize(value: unknown): unknown {
  return clean(value, 0, new Set());
}

function clean(value: unknown, depth: number, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string': return cutString(value);
    case 'number': return Number.isFinite(value) ? value : String(value);
    case 'boolean': return value;
    case 'bigint': return value.toString();
    case 'undefined': return undefined;
    case 'symbol': return `[symbol ${cutString(value.description ?? '')}]`;
    case 'function': return `[function ${cutString(value.name || 'anonymous')}]`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[cycle]';
  if (depth >= SANITIZE_LIMITS.maxDepth) return '[depth]';
  seen.add(obj);
  try {
    return cleanObject(obj, depth, seen);
  } finally {
    seen.delete(obj);
  }
}

function cleanObject(obj: object, depth: number, seen: Set<object>): unknown {
  if (Array.isArray(obj)) {
    const items = obj.slice(0, SANITIZE_LIMITS.maxArray).map((v) => clean(v, depth + 1, seen) ?? null);
    if (obj.length > SANITIZE_LIMITS.maxArray) items.push(`…(+${obj.length - SANITIZE_LIMITS.maxArray})`);
    return items;
  }
  if (obj instanceof Map) return `[Map ${obj.size}]`;
  if (obj instanceof Set) return `[Set ${obj.size}]`;
  if (obj instanceof Error) return { name: cutString(obj.name), message: cutString(obj.message) };
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[${obj.constructor.name} ${obj.byteLength}]`;
  // what JSON.stringify would write (actor refs, snapshots, dates), then cleaned like anything else
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return clean(toJSON.call(obj), depth, seen);
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) return `[${cutString(obj.constructor?.name || 'object')}]`;
  const record = obj as Record<string, unknown>;
  if (isRawFrame(record)) return frameSummary(record);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    if (REDACTED_KEYS.has(key)) out[key] = REDACTED;
    else if (key === 'pending' && isFrameList(v)) out[key] = { count: v.length, bytes: v.reduce((n, f) => n + f.bytes, 0) };
    else if (key === 'params' && isConnectParams(v)) out[key] = clean(pick(v, ['client', 'role', 'scopes']), depth + 1, seen);
    else {
      const c = clean(v, depth + 1, seen);
      if (c !== undefined) out[key] = c;
    }
  }
  return out;
}

/** A socket frame as the connection machine receives it: `{type:"FRAME", text, bytes}`. */
function isRawFrame(o: Record<string, unknown>): boolean {
  return o.type === 'FRAME' && typeof o.text === 'string';
}

function frameSummary(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: 'FRAME', bytes: typeof o.bytes === 'number' ? o.bytes : (o.text as string).length };
  const head = peek(o.text as string);
  if (typeof head.type === 'string') out.frame = cutString(head.type, 40);
  if (typeof head.method === 'string') out.method = cutString(head.method, 80);
  return out;
}

/** The frame's `type` and `method`, nothing else of it. */
function peek(text: string): { type?: unknown; method?: unknown } {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as { type?: unknown; method?: unknown } : {};
  } catch {
    return {};
  }
}

function isFrameList(v: unknown): v is { text: string; bytes: number }[] {
  return Array.isArray(v) && v.every((f) => typeof f === 'object' && f !== null && typeof (f as { text?: unknown }).text === 'string');
}

/** `connect` params (they carry the auth block, the device signature and the nonce). */
function isConnectParams(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && ('minProtocol' in v || 'maxProtocol' in v);
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
