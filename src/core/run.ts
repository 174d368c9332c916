// The seam between the gateway and whatever produces replies (the mock, a model provider, an agent loop).
// A runner streams events for one run and stops promptly when its AbortSignal fires.

/** The surfaces a message can come in through. */
export type Surface = 'http' | 'ws' | 'channel';

/**
 * Where a run's reply must go, recorded with the run in the journal so that a reply after a restart still
 * finds its way: the HTTP caller (who waits on the response or reads /status), a WS connection, or a chat of
 * a channel account.
 */
export type RunOrigin =
  | { surface: 'http' }
  | { surface: 'ws'; connId: string }
  | {
    surface: 'channel'; channel: string; accountId: string; chatId: string; threadId?: string; replyTo?: string;
    /** Direct or group chat, and who wrote (channel origins carry them; never parsed back from a session key). */
    chatType?: 'direct' | 'group'; senderId?: string;
  };

/** Token counts of a run, as OpenAI-compatible providers report them. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** A normalized content part handed to the runner (see src/inbound/content-parts.ts). */
export type InputPart =
  | { type: 'text'; text: string }
  | { type: 'image'; url?: string; data?: Uint8Array; format?: string; detail: string }
  | { type: 'audio'; data: Uint8Array; format: string; url?: string }
  | { type: 'file'; filename?: string; data?: Uint8Array; fileId?: string; mime?: string; url?: string };

/** What a runner gets for one run: the user's message, its parts, and the context to send with it. */
export interface RunInput {
  runId: string;
  sessionKey: string;
  /** Trimmed user text (may be empty when parts carry the message). */
  text: string;
  parts: InputPart[];
  userId?: string;
  model?: string;
  /** Injected as a system message for this run only. */
  systemPrompt?: string;
  /** Injected as a user-role "late context" message next to the latest turn. */
  lateContext?: string;
  /** Earlier turns of this session, oldest first (filled from the transcript store). */
  history?: { role: 'user' | 'assistant'; content: string }[];
}

/** What a runner streams during a run. */
export type RunEvent =
  /** A streamed chunk of assistant text. */
  | { type: 'delta'; text: string }
  /** A complete (non-chunk) response: replaces the text so far; later chunks are ignored. */
  | { type: 'message'; text: string }
  | { type: 'usage'; usage: Usage }
  /** A tool call began (`start`) or settled (`result`); `detail` is a short human-readable note. */
  | { type: 'tool'; phase: 'start' | 'result'; name: string; callId: string; detail?: string; isError?: boolean };

/** Produces the reply of a run (the mock, a model provider, an agent loop). */
export interface Runner {
  run(input: RunInput, signal: AbortSignal): AsyncIterable<RunEvent>;
}

/** A run failure with a wire error type (`stream_error`, `unauthorized`, …); blank type means `internal_error`. */
export class RunError extends Error {
  constructor(message: string, readonly type = 'internal_error') {
    super(message);
    this.name = 'RunError';
  }
}
