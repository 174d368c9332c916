import { randomUUID } from 'node:crypto';
import type { ClusterTranscripts } from '../cluster/transcripts.js';
import type { LiveSession, SessionResetAnswer } from '../cluster/session-requests.js';
import type { Bus } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import { RESET_MARKER_PREFIX, RESET_MARKER_TEXT } from '../core/transcript.js';
import type { RunRegistry } from './run-registry.js';
import type { SessionRegistry } from './session-registry.js';

// Cluster mode's session history, the instance's side: every message a run records in this instance's
// transcript (its user message at start, its reply at completion: `session.message` on the local bus) is
// appended to the session's transcript in the cluster (src/cluster/transcripts.ts), which chat.history and
// the model's history read on every instance. Runs execute on their session's owner only, so the history is
// written by one instance at a time. And what the owner answers for a session from elsewhere: its live
// state, and a context reset (the marker goes into the cluster's transcript). Only types are imported from
// src/cluster, so loading this file loads no NATS client.

/** What the history needs of the cluster's transcripts. */
export type SessionHistory = Pick<ClusterTranscripts, 'append' | 'flushed' | 'count' | 'messages'>;

/** Mirror this instance's transcript messages into the cluster's; returns the function that stops it. */
export function mirrorTranscripts(bus: Bus, history: SessionHistory, log: Logger): () => void {
  return bus.subscribe('session.message', ({ sessionKey, message }) => {
    history.append(sessionKey, message).catch((err: unknown) => {
      log.error({ err, sessionKey, idempotencyKey: message.idempotencyKey }, 'a transcript message could not be written to the cluster: other instances will not show it');
    });
  });
}

/** The live state of a session whose actor runs here (empty when it has none). */
export function liveSession(sessions: Pick<SessionRegistry, 'inspect'>, runs: Pick<RunRegistry, 'get'>, sessionKey: string): LiveSession {
  const live = sessions.inspect(sessionKey);
  return {
    running: live?.running ?? null,
    queued: (live?.queued ?? []).map((runId) => {
      const r = runs.get(runId);
      return { runId, text: r?.text ?? '', ...(r?.queuedAt !== undefined ? { queuedAt: r.queuedAt } : {}) };
    }),
  };
}

/**
 * Reset the context of a session this instance owns (or that nobody owns): a marker appended to its
 * transcript in the cluster, after what this instance has written of it. Undefined when the session exists
 * nowhere: no actor here and nothing in its history. `key` names the marker (idempotency key
 * `reset:<key>`; a new one when absent): a reset asked again with the same key — a channel's `/new`
 * delivered again because its acknowledgement was lost — is refused by the stream or skipped by its readers,
 * so it resets once.
 */
export async function resetInCluster(
  deps: { sessions: Pick<SessionRegistry, 'inspect'>; history: SessionHistory; now?: () => number }, sessionKey: string, key?: string,
): Promise<SessionResetAnswer | undefined> {
  const live = deps.sessions.inspect(sessionKey);
  if (!live && (await deps.history.count(sessionKey)) === 0) return undefined;
  const resetAt = (deps.now ?? Date.now)();
  await deps.history.append(sessionKey, {
    id: randomUUID(), role: 'system', text: RESET_MARKER_TEXT, timestamp: resetAt, runId: '', idempotencyKey: `${RESET_MARKER_PREFIX}${key ?? randomUUID()}`,
  });
  return { resetAt, ...(live?.running ? { runInFlight: live.running } : {}) };
}
