// The Stately bridge's forwarding rule (web-surfaces.md I6): only `@xstate.*` frames go to Stately's inspector;
// until its window posts `@statelyai.connected` they wait, the last 200 only; then the buffer goes out in
// order and every later frame at once. Messages go to the configured origin, never `*`.

/** Frames kept while the inspector has not said it is connected. */
export const BRIDGE_BUFFER = 200;

/** Where frames go: the iframe's window, and the only origin it may have. */
export type PostTarget = (frame: object) => void;

/** The bridge state: buffering, then forwarding. */
export class StatelyBridge {
  private buffer: object[] = [];
  private connected = false;
  /** Frames forwarded so far. */
  forwarded = 0;
  /** Frames dropped from the full buffer. */
  overflowed = 0;

  constructor(private readonly post: PostTarget) {}

  /** Buffered frames waiting for `@statelyai.connected`. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Whether the inspector said it is connected. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** One frame of the stream (parsed); only `@xstate.*` frames are kept or forwarded. */
  frame(frame: { type: string }): void {
    if (!frame.type.startsWith('@xstate.')) return;
    if (this.connected) {
      this.send(frame);
      return;
    }
    this.buffer.push(frame);
    if (this.buffer.length > BRIDGE_BUFFER) {
      this.buffer.shift();
      this.overflowed++;
    }
  }

  /** The inspector posted `@statelyai.connected`: the buffer goes out, then frames flow. */
  connect(): void {
    if (this.connected) return;
    this.connected = true;
    const waiting = this.buffer;
    this.buffer = [];
    for (const f of waiting) this.send(f);
  }

  private send(frame: object): void {
    this.post(frame);
    this.forwarded++;
  }
}
