// The envelope signal-cli-rest-api delivers (`GET /v1/receive` items and json-rpc WebSocket frames are
// `{envelope, account}`): the fields the inbound side reads. signal-cli writes absent values as null or omits them.

/** A mention in a data message: the U+FFFC at `start` (UTF-16 units, `length` long) stands for it. */
export interface SignalMentionJson {
  name?: string | null;
  number?: string | null;
  uuid?: string | null;
  start?: number;
  length?: number;
}

/** An attachment reference (fetched with `GET /v1/attachments/<id>`). */
export interface SignalAttachmentJson {
  id?: string | null;
  contentType?: string | null;
  filename?: string | null;
  size?: number | null;
  voiceNote?: boolean;
}

/** The message body shared by `dataMessage` and `syncMessage.sentMessage`. */
export interface SignalMessageBody {
  timestamp?: number;
  message?: string | null;
  expiresInSeconds?: number;
  groupInfo?: { groupId: string; groupName?: string | null; type?: string } | null;
  mentions?: SignalMentionJson[] | null;
  quote?: { id?: number | null; author?: string | null; authorNumber?: string | null; authorUuid?: string | null; text?: string | null } | null;
  attachments?: SignalAttachmentJson[] | null;
}

/** One envelope (the `envelope` member of a receive item). */
export interface SignalEnvelope {
  source?: string | null;
  sourceNumber?: string | null;
  sourceUuid?: string | null;
  sourceName?: string | null;
  sourceDevice?: number;
  timestamp: number;
  dataMessage?: SignalMessageBody | null;
  syncMessage?: {
    sentMessage?: (SignalMessageBody & { destination?: string | null; destinationNumber?: string | null; destinationUuid?: string | null }) | null;
    readMessages?: unknown;
  } | null;
  receiptMessage?: unknown;
  typingMessage?: unknown;
}
