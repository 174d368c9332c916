// The one shape of a WebSocket that the transport hands out and the connection hub drives (tests pass fakes).

/** A WebSocket as an endpoint sees it. Calls after the socket closed are ignored. */
export interface WsSocket {
  send(text: string): void;
  /** Bytes queued for the peer and not yet written. */
  bufferedAmount(): number;
  /** Close handshake with a code and reason. */
  end(code: number, reason: string): void;
  /** Drop the TCP connection at once. */
  terminate(): void;
  ping(): void;
}
