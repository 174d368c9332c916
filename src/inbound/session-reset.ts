import { randomUUID } from 'node:crypto';
import type { SessionRegistry } from '../actors/session-registry.js';
import { RESET_MARKER_PREFIX, RESET_MARKER_TEXT, type TranscriptMessage, type TranscriptStore } from '../core/transcript.js';

// Emptying a session's model context (WS sessions.reset, HTTP POST /v1/gateway/sessions/reset, a channel's
// /reset). Nothing is deleted: a marker is appended to the transcript, chat.history still shows every message
// and the marker, and the history given to the model (agent/with-history.ts) starts after the newest marker.
// A run in flight is not cancelled: it finishes with the context it started with, and its reply is not
// given to later runs; the reset applies from the next run on (queued runs included).

/** What a reset did. */
export interface ContextReset {
  sessionKey: string;
  /** The marker appended to the transcript. */
  marker: TranscriptMessage;
  /** The run that was running at the reset (it finishes unchanged), if any. */
  runInFlight?: string;
}

/** Resets the model context of `sessionKey`; undefined when the gateway has no such session. */
export function resetSessionContext(
  deps: { transcripts: TranscriptStore; sessions: Pick<SessionRegistry, 'inspect'> }, sessionKey: string, now = Date.now(),
): ContextReset | undefined {
  const live = deps.sessions.inspect(sessionKey);
  if (!deps.transcripts.session(sessionKey) && !live) return undefined;
  const marker = deps.transcripts.append(sessionKey, {
    role: 'system', text: RESET_MARKER_TEXT, timestamp: now, runId: '', idempotencyKey: `${RESET_MARKER_PREFIX}${randomUUID()}`,
  });
  return { sessionKey, marker, ...(live?.running ? { runInFlight: live.running } : {}) };
}
