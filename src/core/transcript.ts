// Conversation history per session and the session index: the types and the store interface. The store
// itself is SQLite (transcripts-sqlite.ts), so history survives restarts and crashes.

/** One stored user message, assistant reply, or context-reset marker (`system`) of a session. */
export interface TranscriptMessage {
  id: string;
  seq: number;
  role: 'user' | 'assistant' | 'system';
  text: string;
  timestamp: number;
  runId: string;
  /** `<runId>:user` for the user message of a run, `<runId>` for its reply, `reset:<uuid>` for a reset marker. */
  idempotencyKey: string;
}

/** Prefix of a context-reset marker's idempotency key: the model's history starts after the newest marker. */
export const RESET_MARKER_PREFIX = 'reset:';

/** A reset marker's text, as chat.history shows it. */
export const RESET_MARKER_TEXT = 'Context reset: the model does not see the messages above this line.';

/** Whether `m` is a context-reset marker (sessions.reset, POST /v1/gateway/sessions/reset). */
export function isResetMarker(m: Pick<TranscriptMessage, 'role' | 'idempotencyKey'>): boolean {
  return m.role === 'system' && m.idempotencyKey.startsWith(RESET_MARKER_PREFIX);
}

/** A session's status in the index: that of its latest run. */
export type SessionStatus = 'queued' | 'running' | 'done' | 'failed' | 'killed' | 'timeout';

/** A session in the session index. */
export interface SessionRow {
  key: string;
  createdAt: number;
  updatedAt: number;
  lastRunId?: string;
  status?: SessionStatus;
  messageCount: number;
}

/** What a run's step sets in its session's index row. */
export type SessionIndexPatch = Partial<Pick<SessionRow, 'lastRunId' | 'status'>>;

/** The transcript and session index store (SQLite in the gateway). */
export interface TranscriptStore {
  /** Appends once per (session, idempotencyKey): a second append with the same key returns the first message. */
  append(sessionKey: string, m: Omit<TranscriptMessage, 'id' | 'seq'>): TranscriptMessage;
  /** Messages oldest first; `limit` takes the newest ones, `offset` skips that many of the newest. */
  messages(sessionKey: string, opts?: { limit?: number; offset?: number }): { messages: TranscriptMessage[]; total: number };
  /** The message with this idempotency key (`<runId>` is a run's reply), if the transcript holds it. */
  byIdempotencyKey(sessionKey: string, idempotencyKey: string): TranscriptMessage | undefined;
  /**
   * Appends unless a message with this idempotency key is there (then returns undefined), and sets `index`
   * (the run and status) in the session index in the same write: what a run's step records at once.
   */
  appendOnce(sessionKey: string, m: Omit<TranscriptMessage, 'id' | 'seq'>, index?: SessionIndexPatch): TranscriptMessage | undefined;
  /** Sets the session's run and status (creating its index row if need be). */
  touch(sessionKey: string, patch: SessionIndexPatch): void;
  session(sessionKey: string): SessionRow | undefined;
  /** Most recently updated first, one page (default: the first 100). */
  sessions(opts?: { limit?: number; offset?: number }): SessionRow[];
  sessionCount(): number;
}
