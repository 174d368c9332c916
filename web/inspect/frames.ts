// The inspector stream's frames as the page reads them (web-surfaces.md I2): `@xstate.*` frames in the format of
// @statelyai/inspect 0.7.2, and Clawgate's own `@clawgate.*` frames. Everything in them is sanitized by the
// gateway (I3) and untrusted here: the page only ever shows it as text.

/** The four kinds of root actor the inspector has a tab for. */
export const KINDS = ['session', 'connection', 'node', 'channel'] as const;
/** One of {@link KINDS}. */
export type Kind = (typeof KINDS)[number];

/** Any frame of the stream, loosely typed (its fields are checked where they are read). */
export interface StreamFrame {
  type: string;
  createdAt?: string;
  sessionId?: string;
  rootId?: string;
  parentId?: string;
  name?: string;
  definition?: string;
  snapshot?: unknown;
  event?: unknown;
  sourceId?: string;
  kind?: string;
  view?: unknown;
  eventType?: string;
  transitions?: unknown;
  actors?: Partial<Record<Kind, number>>;
  eventsPerSec?: number;
  dropped?: number;
  heapUsedBytes?: number;
  eventLoopDelayP99Ms?: number;
  version?: string;
  replayed?: number;
}

/** A parsed frame, or undefined for text that is not a JSON object with a string `type`. */
export function parseFrame(text: string): StreamFrame | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    return typeof (v as { type?: unknown }).type === 'string' ? (v as StreamFrame) : undefined;
  } catch {
    return undefined;
  }
}

/** A plain object's field, or undefined. */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** A string field, or ''. */
export function text(value: unknown, key: string): string {
  const v = field(value, key);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** The kind of a root actor from its readable id (`session:<key>`, `conn:<id>`, `node:<id>`, `channel:<c>:<a>`). */
export function kindOfName(name: string): Kind | undefined {
  if (name.startsWith('session:')) return 'session';
  if (name.startsWith('conn:')) return 'connection';
  if (name.startsWith('node:')) return 'node';
  if (name.startsWith('channel:')) return 'channel';
  return undefined;
}

/** A state value (`"idle"`, `{running: "timed"}`) as one dotted path per active leaf, joined by `, `. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => {
      const inner = stateText(v);
      return inner ? `${k}.${inner}` : k;
    })
    .join(', ');
}
