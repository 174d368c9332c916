// The one shape of a WebSocket that the transport hands out and the connection hub drives (tests pass fakes).

/** A frame shared by many sockets whose bytes differ only in one number per socket (a broadcast's `seq`):
 *  rendered when it is written, not built as one string per socket (protocol/encode.ts's EncodedEvent). */
export interface NumberedFrame {
  /** Characters of the frame apart from the number (buffer accounting). */
  readonly length: number;
  /** The frame for `n` as text. */
  text(n: number): string;
  /** The frame for `n` as UTF-8 bytes, in a buffer a later call may overwrite: written out before that. */
  bytes(n: number): Uint8Array;
}

/** A WebSocket as an endpoint sees it. Calls after the socket closed are ignored. */
export interface WsSocket {
  send(text: string): void;
  /** Sends `frame` rendered for `n`, in order with the frames sent by `send`. */
  sendNumbered(frame: NumberedFrame, n: number): void;
  /** Bytes queued for the peer and not yet written. */
  bufferedAmount(): number;
  /** Close handshake with a code and reason. */
  end(code: number, reason: string): void;
  /** Drop the TCP connection at once. */
  terminate(): void;
  ping(): void;
}
