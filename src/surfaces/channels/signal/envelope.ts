// The envelope signal-cli emits (through signal-cli-rest-api's receive, REST or WebSocket), as far as
// Clawgate reads it. Every field is optional: signal-cli omits what a message lacks and sends `null` for
// hidden values (e.g. `sourceNumber` under phone-number privacy).

/** A group reference inside a message. */
export interface SignalGroupInfo {
  /** The group id (case-sensitive base64). */
  groupId?: string;
  groupName?: string | null;
  type?: string;
}

/** A mention: the U+FFFC placeholder at `start` (length `length`) of the message text. */
export interface SignalMention {
  uuid?: string | null;
  number?: string | null;
  name?: string | null;
  start?: number;
  length?: number;
}

/** The message a message quotes. */
export interface SignalQuote {
  /** The quoted message's timestamp. */
  id?: number;
  author?: string | null;
  authorNumber?: string | null;
  authorUuid?: string | null;
  text?: string | null;
}

/** An attachment reference (fetched with `GET /v1/attachments/<id>`). */
export interface SignalAttachment {
  id?: string;
  contentType?: string;
  filename?: string | null;
  size?: number | null;
}

/** The content of an ordinary message. */
export interface SignalDataMessage {
  message?: string | null;
  timestamp?: number;
  groupInfo?: SignalGroupInfo | null;
  mentions?: SignalMention[] | null;
  quote?: SignalQuote | null;
  attachments?: SignalAttachment[] | null;
  expiresInSeconds?: number;
}

/** A message the account itself sent from another device (Note to Self when `destination` is the account). */
export interface SignalSentMessage {
  destination?: string | null;
  destinationNumber?: string | null;
  destinationUuid?: string | null;
  message?: string | null;
  timestamp?: number;
  groupInfo?: SignalGroupInfo | null;
  mentions?: SignalMention[] | null;
  attachments?: SignalAttachment[] | null;
}

/** A sync message from another device of the account. */
export interface SignalSyncMessage {
  sentMessage?: SignalSentMessage | null;
  readMessages?: { sender?: string | null; senderNumber?: string | null; senderUuid?: string | null; timestamp?: number }[] | null;
}

/** One received envelope (`{envelope, account}` items of the receive endpoints). */
export interface SignalEnvelope {
  source?: string | null;
  sourceNumber?: string | null;
  sourceUuid?: string | null;
  sourceName?: string | null;
  sourceDevice?: number;
  /** Epoch ms. */
  timestamp?: number;
  dataMessage?: SignalDataMessage | null;
  syncMessage?: SignalSyncMessage | null;
  receiptMessage?: { when?: number; isDelivery?: boolean; isRead?: boolean; isViewed?: boolean; timestamps?: number[] } | null;
  typingMessage?: { action?: string; timestamp?: number; groupId?: string | null } | null;
}
