import type { Logger } from '../core/log.js';
import type { RunErrorInfo } from '../core/bus.js';
import type { RunOrigin } from '../core/run.js';
import type { JournalEntry, RunLedger } from '../store/run-ledger.js';
import type { TranscriptStore } from '../core/transcript.js';
import type { RunRecord, RunRegistry } from './run-registry.js';
import type { SessionRegistry } from './session-registry.js';

// Startup recovery from the inbound journal (call it once, after the registries and the journal exist and
// before any new message is admitted). Finished runs within retention go back into the run registry, so
// /status and request_id replay answer as before the crash. Every run still `queued` or `running`:
//   - its reply is already in the transcript (the crash hit between the reply and the journal update):
//     marked completed from the transcript — never answered twice;
//   - it was re-submitted by an earlier recovery already, or it was running and the policy is `fail`:
//     marked failed with a reason;
//   - otherwise re-submitted, once, in its original order (the session queue keeps that order per session).
// Policy `rerun` (the default) re-runs interrupted runs too: the user gets an answer rather than an error.
// A re-run repeats whatever the interrupted attempt did before the crash; `fail` is for runners with side
// effects that must not repeat. A re-submitted run carries its text only (parts, model and prompts are not
// journaled).

/** What recovery does with a run that was running at the crash: run it again, or fail it. */
export type RecoveryPolicy = 'rerun' | 'fail';

/** The error of a run that was running when the gateway stopped and is not re-run. */
export const INTERRUPTED: RunErrorInfo = { type: 'interrupted', message: 'interrupted by restart' };
const INTERRUPTED_AGAIN: RunErrorInfo = { type: 'interrupted', message: 'interrupted by restart again after it was recovered once' };

/** What startup recovery did, by run id (`restored` counts the finished runs put back in the registry). */
export interface RecoveryReport {
  restored: number;
  resubmitted: string[];
  completedFromTranscript: string[];
  failed: string[];
}

/** Restores finished runs and settles or re-submits the unfinished ones of the journal; see the comment above. */
export function recoverRuns(deps: {
  ledger: RunLedger;
  transcripts: TranscriptStore;
  runs: RunRegistry;
  sessions: SessionRegistry;
  policy: RecoveryPolicy;
  log: Logger;
  now?: () => number;
}): RecoveryReport {
  const { ledger, transcripts, runs, sessions } = deps;
  const now = deps.now ?? Date.now;
  const report: RecoveryReport = { restored: 0, resubmitted: [], completedFromTranscript: [], failed: [] };
  ledger.prune();
  const reply = (e: JournalEntry) => transcripts.byIdempotencyKey(e.sessionKey, e.runId);

  for (const e of ledger.finishedEntries()) {
    runs.restore(record(e, e.state === 'completed' ? reply(e)?.text ?? '' : ''));
    report.restored++;
  }
  for (const e of ledger.pending()) {
    const done = reply(e);
    if (done) {
      ledger.completedFromTranscript(e, done.timestamp);
      runs.restore(record({ ...e, state: 'completed', finishedAt: done.timestamp }, done.text));
      report.completedFromTranscript.push(e.runId);
      continue;
    }
    const error = e.recoveries > 0 ? INTERRUPTED_AGAIN : e.state === 'running' && deps.policy === 'fail' ? INTERRUPTED : undefined;
    if (error) {
      const at = now();
      ledger.failed(e, at, error);
      runs.restore(record({ ...e, state: 'failed', finishedAt: at, error }, ''));
      report.failed.push(e.runId);
      continue;
    }
    // in their original order, behind each other: no collect/interrupt, and no queue bound (they were
    // all accepted before the restart)
    const result = sessions.submit({
      runId: e.runId, origin: e.origin ?? originOf(e.surface), mode: 'followup', unbounded: true, queuedAt: e.queuedAt,
      input: { runId: e.runId, sessionKey: e.sessionKey, text: e.text, parts: [] },
    });
    if (result.kind === 'accepted') {
      ledger.setRecoveries(e.runId, e.recoveries + 1); // after submit: its run.queued write resets the count
      report.resubmitted.push(e.runId);
    } else {
      deps.log.warn({ runId: e.runId, result: result.kind }, 'recovery: journaled run was not re-submitted');
    }
  }
  if (report.restored + report.resubmitted.length + report.completedFromTranscript.length + report.failed.length > 0) {
    deps.log.info({ restored: report.restored, resubmitted: report.resubmitted.length,
      completedFromTranscript: report.completedFromTranscript.length, failed: report.failed.length, policy: deps.policy }, 'recovered runs from the journal');
  }
  return report;
}

/** The reply address of a run journaled before origins were recorded. */
function originOf(surface: JournalEntry['surface']): RunOrigin {
  return surface === 'ws' ? { surface: 'ws', connId: '' } : { surface: 'http' };
}

function record(e: JournalEntry, reply: string): RunRecord {
  return {
    runId: e.runId, sessionKey: e.sessionKey, surface: e.surface, origin: e.origin ?? originOf(e.surface), state: e.state, queuedAt: e.queuedAt,
    ...(e.startedAt !== undefined ? { startedAt: e.startedAt } : {}),
    finishedAt: e.finishedAt, reply, text: e.text,
    ...(e.error ? { error: e.error } : {}),
  };
}
