import type { CHAT_ERROR_KINDS } from '../../../protocol/chat.js';

// The one place a run's error type (RunError.type, the HTTP plane's `error.type`) becomes the `errorKind`
// of a WS `chat` event in state `error`. OpenClaw's kinds are refusal, timeout, rate_limit, context_length
// and unknown (ChatEventErrorKindSchema); every other failure (provider down, bad credentials, a broken
// stream, a full disk) is `unknown` there too, and its message says which.

/** A `chat` error event's `errorKind`. */
export type ChatErrorKind = (typeof CHAT_ERROR_KINDS)[number];

const KIND_OF_TYPE: Readonly<Record<string, ChatErrorKind>> = {
  rate_limited: 'rate_limit',
  timeout: 'timeout',
  context_length_exceeded: 'context_length',
  refusal: 'refusal',
};

/** The `errorKind` for a run that failed with error type `type`. */
export function chatErrorKind(type: string): ChatErrorKind {
  return Object.hasOwn(KIND_OF_TYPE, type) ? KIND_OF_TYPE[type] : 'unknown';
}
