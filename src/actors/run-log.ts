import type { Bus, RunErrorInfo } from '../core/bus.js';
import type { Logger } from '../core/log.js';

// One log line per run end, from the bus: `info` for completed and cancelled runs, `warn` for failed ones (a
// provider refusing the key, rate limiting, a stream error, the run deadline) so an operator sees them at the
// default level. Only ids, the outcome and times: never the message or reply text (that is a user's data).

/** How a run ended, as the run-end line says it. */
export type RunOutcome = 'completed' | 'failed' | 'cancelled';

/** The fields of a run-end line. */
export interface RunEndFields {
  sessionKey: string;
  runId: string;
  outcome: RunOutcome;
  /** From the start of the run (or its acceptance, if it never started) to its end. */
  durationMs: number;
  /** Whether it ran at all (a cancelled run may have been still queued). */
  started: boolean;
  /** For a failed or shutdown-cancelled run: its error type and the message for people (no user text). */
  errorType?: string;
  error?: string;
}

/** The message of the run-end line. */
export const RUN_END_MSG = 'run ended';

/**
 * Logs one line per run end (see the file comment); returns the function that stops it. A run whose start
 * was not seen (accepted before this subscribed) counts from its end: duration 0.
 */
export function logRunEnds(bus: Bus, log: Logger): () => void {
  // when each live run was accepted and started; dropped at its end
  const since = new Map<string, { queuedAt: number; startedAt?: number }>();
  const end = (e: { runId: string; sessionKey: string; at: number }, outcome: RunOutcome, started?: boolean, error?: RunErrorInfo) => {
    const t = since.get(e.runId);
    since.delete(e.runId);
    const from = t?.startedAt ?? t?.queuedAt ?? e.at;
    const fields: RunEndFields = {
      sessionKey: e.sessionKey, runId: e.runId, outcome, durationMs: Math.max(0, e.at - from), started: started ?? t?.startedAt !== undefined,
      ...(error ? { errorType: error.type, error: error.message } : {}),
    };
    if (outcome === 'failed') log.warn(fields, RUN_END_MSG);
    else log.info(fields, RUN_END_MSG);
  };
  const stops = [
    bus.subscribe('run.queued', (e) => { since.set(e.runId, { queuedAt: e.at }); }),
    bus.subscribe('run.started', (e) => {
      const t = since.get(e.runId);
      if (t) t.startedAt = e.at;
      else since.set(e.runId, { queuedAt: e.at, startedAt: e.at });
    }),
    bus.subscribe('run.completed', (e) => end(e, 'completed', true)),
    bus.subscribe('run.failed', (e) => end(e, 'failed', undefined, e.error)),
    bus.subscribe('run.cancelled', (e) => end(e, 'cancelled', e.started)),
  ];
  return () => { for (const s of stops) s(); };
}
