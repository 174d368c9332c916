// Wire frames of the WS plane. An event going to many sockets is serialized once: everything but the
// per-connection `seq` is a shared prefix, and each socket gets `prefix + seq + "}"`. The transport writes
// it as bytes spliced at write time (`bytes`): the prefix's UTF-8 is encoded once per event, each socket's
// frame is the seq's digits written into a buffer that is reused for the next socket (uWS copies what it is
// sent), so a broadcast builds no string and converts no text per socket.

export interface StateVersion {
  presence: number;
  health: number;
}

const CLOSE_BRACE = 0x7d;
const DIGIT_0 = 0x30;

function digitCount(n: number): number {
  let d = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) d++;
  return d;
}

/** An event encoded once for every socket it goes to; `seq` is spliced in per socket (withSeq, bytes). */
export class EncodedEvent {
  /** The prefix's UTF-8 bytes, then per digit count of seq a buffer `prefix digits }` (see bytes). */
  private head: Buffer | undefined;
  private readonly byDigits: Buffer[] = [];
  /** The seq last written and its buffer: sockets that share a seq share the bytes as they are. */
  private bytesSeq = -1;
  private lastBytes: Buffer | undefined;
  /** The last frame built by withSeq and its seq: sockets that share a seq share one string. */
  lastSeq = -1;
  lastFrame = '';

  constructor(
    readonly event: string,
    /** `{"type":"event","event":…,"payload":…[,"stateVersion":…],"seq":` */
    readonly prefix: string,
    /** Lossy events may be skipped for a slow socket (its seq still advances). */
    readonly lossy: boolean,
  ) {}

  /** Characters of the frame apart from the seq digits (for buffer accounting). */
  get length(): number {
    return this.prefix.length + 1;
  }

  /** The frame for one socket as text. */
  text(seq: number): string {
    return withSeq(this, seq);
  }

  /** The frame for one socket as UTF-8 bytes, in a buffer the next call with a seq of as many digits
   *  overwrites: the caller writes it out before that. */
  bytes(seq: number): Uint8Array {
    if (seq === this.bytesSeq && this.lastBytes !== undefined) return this.lastBytes;
    const head = (this.head ??= Buffer.from(this.prefix));
    const digits = digitCount(seq);
    let frame = this.byDigits[digits];
    if (frame === undefined) {
      frame = Buffer.allocUnsafe(head.length + digits + 1);
      head.copy(frame);
      frame[frame.length - 1] = CLOSE_BRACE;
      this.byDigits[digits] = frame;
    }
    for (let i = head.length + digits - 1, x = seq; i >= head.length; i--, x = Math.floor(x / 10)) frame[i] = DIGIT_0 + (x % 10);
    this.bytesSeq = seq;
    this.lastBytes = frame;
    return frame;
  }
}

export function encodeEvent(event: string, payload: unknown, opts: { lossy?: boolean; stateVersion?: StateVersion } = {}): EncodedEvent {
  const sv = opts.stateVersion ? `,"stateVersion":${JSON.stringify(opts.stateVersion)}` : '';
  const body = payload === undefined ? '' : `,"payload":${JSON.stringify(payload)}`;
  return new EncodedEvent(event, `{"type":"event","event":${JSON.stringify(event)}${body}${sv},"seq":`, opts.lossy ?? false);
}

/** The event's frame for one socket: the shared prefix, that socket's seq, and the closing brace. */
export function withSeq(e: EncodedEvent, seq: number): string {
  if (e.lastSeq === seq) return e.lastFrame;
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
