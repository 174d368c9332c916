import type { RunErrorInfo } from '../core/bus.js';
import type { RunStatus } from './run-status.js';

// What the owner does with a message its inbox delivers (inbox.ts), given the run's status record
// (run-status.ts). The rules are those of the single-process crash recovery (src/actors/recover.ts), with
// "the process restarted" read as "the session's owner was lost"; the run id — the idempotency key — decides:
//   - no record, or `queued` and never started: an accepted message nobody ran — run it (this is also every
//     first delivery to the first owner);
//   - finished (completed, failed, cancelled): it was answered and only its ack was lost — run nothing, ack;
//   - started and already run once more by an earlier failover (recoveries > 0): fail with a reason, never a
//     third time;
//   - it was running and the policy is `fail` (runners with side effects that must not repeat): fail;
//   - otherwise (it was running on a lost owner): run it once more, counting the recovery.
// One difference from recover.ts: a run that never started is not counted as recovered (running it once is
// not running it twice); a message that kills every owner it starts on is still stopped, after one re-run.
// Pure: the caller writes the status and acks.

/** What to do with a run whose owner was lost: run it again, or fail it (recover.ts's RecoveryPolicy). */
export type FailoverPolicy = 'rerun' | 'fail';

/** The error of a run that was running on a lost owner and is not run again. */
export const OWNER_LOST: RunErrorInfo = { type: 'interrupted', message: 'interrupted: the instance running it was lost' };
/** The error of a run whose owner was lost a second time while it ran again. */
export const OWNER_LOST_AGAIN: RunErrorInfo = {
  type: 'interrupted', message: 'interrupted: the instance running it was lost again after it was recovered once',
};

/** What to do with a delivered message (see the file comment). */
export type Redelivery =
  /** Queue it as an ordinary accepted message. */
  | { action: 'run' }
  /** Queue it again; write its status with this `recoveries` count. */
  | { action: 'rerun'; recoveries: number }
  /** Already answered: ack it, run nothing. */
  | { action: 'settled' }
  /** Record it failed with `error`, then ack it. */
  | { action: 'fail'; error: RunErrorInfo };

/** Decide for one delivered message; `status` is its run's record (undefined when there is none). */
export function redelivery(status: RunStatus | undefined, policy: FailoverPolicy): Redelivery {
  if (!status) return { action: 'run' };
  if (status.state === 'completed' || status.state === 'failed' || status.state === 'cancelled') return { action: 'settled' };
  if (status.state === 'queued' && status.startedAt === undefined) return { action: 'run' };
  if (status.recoveries > 0) return { action: 'fail', error: OWNER_LOST_AGAIN };
  if (policy === 'fail') return { action: 'fail', error: OWNER_LOST };
  return { action: 'rerun', recoveries: status.recoveries + 1 };
}
