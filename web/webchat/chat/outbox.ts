// Messages the user sent (web-surfaces W6 "Send", W7 "Offline sends"): each gets a fresh 128-bit hex idempotency
// key once and keeps it for every attempt, so the gateway's dedupe turns a repeat into `in_flight` or `ok`, never
// a second run. A message typed while offline waits in memory and goes out once the next hello-ok arrives.
import { type ChatSendAck, ConnectionClosedError, type GatewaySession, GatewayRequestError } from '../../../src/client/index.js';

/** One message on its way. */
export interface OutgoingMessage {
  /** The idempotency key (= the run id): its bubbles are `<key>:user` and `<key>`. */
  key: string;
  sessionKey: string;
  text: string;
}

/** What the outbox tells the view. */
export interface OutboxView {
  /** The user bubble's mark changed ("waiting", "sending", "sent", "not sent: …"); `retry` offers "Retry". */
  marked(message: OutgoingMessage, mark: string, retry?: () => void): void;
  /** The gateway took the message. */
  acked(message: OutgoingMessage, ack: ChatSendAck): void;
}

/** A fresh 128-bit idempotency key as 32 hex digits (getRandomValues: randomUUID is missing on plain HTTP). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Messages waiting for, or being sent over, a connection. */
export class Outbox {
  private readonly waiting = new Map<string, OutgoingMessage>();
  private readonly sending = new Set<string>();

  /** `live()` is the current session, if the page is connected. */
  constructor(private readonly view: OutboxView, private readonly live: () => GatewaySession | undefined) {}

  /** Queues `text` for `sessionKey` and sends it at once if the page is connected. */
  add(sessionKey: string, text: string): OutgoingMessage {
    const message = { key: newIdempotencyKey(), sessionKey, text };
    this.waiting.set(message.key, message);
    this.view.marked(message, 'waiting');
    this.sendIfLive(message);
    return message;
  }

  private sendIfLive(message: OutgoingMessage): void {
    const session = this.live();
    if (session && !session.closed) this.send(message, session);
  }

  /** Sends every waiting message (after a hello-ok), each once, in the order typed. */
  flush(session: GatewaySession): void {
    for (const message of this.waiting.values()) {
      if (!this.sending.has(message.key)) this.send(message, session);
    }
  }

  private send(message: OutgoingMessage, session: GatewaySession): void {
    this.sending.add(message.key);
    this.view.marked(message, 'sending');
    session.request('chat.send', { sessionKey: message.sessionKey, message: message.text, idempotencyKey: message.key }).then((ack) => {
      this.sending.delete(message.key);
      this.waiting.delete(message.key);
      this.view.marked(message, 'sent');
      this.view.acked(message, ack);
    }, (err: unknown) => {
      this.sending.delete(message.key);
      // the socket went away: the message waits for the next hello-ok, with the same key
      if (err instanceof ConnectionClosedError) return this.view.marked(message, 'waiting');
      this.waiting.delete(message.key);
      const details = err instanceof GatewayRequestError ? (err.details as { reason?: unknown } | undefined) : undefined;
      const why = details?.reason === 'queue_full' ? 'queue full' : (err as Error).message;
      this.view.marked(message, `not sent: ${why}`, () => {
        this.waiting.set(message.key, message);
        this.view.marked(message, 'waiting');
        this.sendIfLive(message);
      });
    });
  }
}
