// Wire frames of the WS plane. An event going to many sockets is serialized once: everything but the
// per-connection `seq` is a shared prefix, and each socket gets `prefix + seq + "}"`.

export interface StateVersion {
  presence: number;
  health: number;
}

export interface EncodedEvent {
  event: string;
  /** `{"type":"event","event":…,"payload":…[,"stateVersion":…],"seq":` */
  prefix: string;
  /** Lossy events may be skipped for a slow socket (its seq still advances). */
  lossy: boolean;
  /** The last frame built by withSeq and its seq: sockets that share a seq (most readers connected before a
   *  run started) share one frame string instead of one concatenation each. */
  lastSeq?: number;
  lastFrame?: string;
}

export function encodeEvent(event: string, payload: unknown, opts: { lossy?: boolean; stateVersion?: StateVersion } = {}): EncodedEvent {
  const sv = opts.stateVersion ? `,"stateVersion":${JSON.stringify(opts.stateVersion)}` : '';
  const body = payload === undefined ? '' : `,"payload":${JSON.stringify(payload)}`;
  return { event, prefix: `{"type":"event","event":${JSON.stringify(event)}${body}${sv},"seq":`, lossy: opts.lossy ?? false, lastSeq: -1, lastFrame: '' };
}

/** The event's frame for one socket: the shared prefix, that socket's seq, and the closing brace. */
export function withSeq(e: EncodedEvent, seq: number): string {
  if (e.lastSeq === seq) return e.lastFrame!;
  const frame = `${e.prefix}${seq}}`;
  e.lastSeq = seq;
  e.lastFrame = frame;
  return frame;
}

/** A direct event without `seq` (connect.challenge, node.invoke.request). */
export function directEvent(event: string, payload: unknown): string {
  return JSON.stringify({ type: 'event', event, payload });
}

export function resFrame(id: string, ok: boolean, payload?: unknown, error?: unknown): string {
  const frame: Record<string, unknown> = { type: 'res', id, ok };
  if (payload !== undefined) frame.payload = payload;
  if (error !== undefined) frame.error = error;
  return JSON.stringify(frame);
}

/** A value serialized once: frame encoders splice its text instead of stringifying it again (hello-ok, built
 *  from a cached template). Anything else that serializes it (the inspector, a test) gets the parsed value. */
export class PreEncoded {
  constructor(readonly json: string) {}
  toJSON(): unknown {
    return JSON.parse(this.json);
  }
}

/** A frame object as JSON text, a {@link PreEncoded} value at its top level spliced in as it is; the same
 *  text as JSON.stringify of the frame with that value parsed. */
export function encodeFrame(frame: Record<string, unknown>): string {
  let raw = false;
  for (const k in frame) if (frame[k] instanceof PreEncoded) raw = true;
  if (!raw) return JSON.stringify(frame);
  let out = '';
  for (const k in frame) {
    const v = frame[k];
    const text = v instanceof PreEncoded ? v.json : JSON.stringify(v);
    if (text === undefined) continue; // undefined, a function: left out, as JSON.stringify does
    out += `${out === '' ? '{' : ','}${JSON.stringify(k)}:${text}`;
  }
  return out === '' ? '{}' : `${out}}`;
}
