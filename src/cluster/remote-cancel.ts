import { NoRespondersError, type NatsConnection, RequestError, type Subscription } from '@nats-io/transport-node';
import { cancelSubject, instanceHeaders } from './subjects.js';

// Cancel from anywhere: only a run's owner can stop it (its session actor lives there), so a cancel received
// by any instance is a NATS request on `clawgate.cancel.<sessionToken>`, answered by the session's owner
// alone — it subscribes while it holds the session's lease. Nobody subscribed means nobody owns the session
// now: the run is not running anywhere (a new owner will settle it from the inbox and its status record).

/** The owner's answer: it cancelled the run, or the run is not queued or running there; or no owner answered. */
export type CancelAnswer = 'cancelled' | 'not-live' | 'no-owner';

/**
 * Answer cancel requests for `sessionKey` (as its owner, while holding its lease): `cancel(runId)` is the
 * session registry's cancel, true when the run was queued or running. Unsubscribe when the lease is released
 * or lost.
 */
export function serveCancels(nc: NatsConnection, opts: { instanceId: string; sessionKey: string; cancel: (runId: string) => boolean }): Subscription {
  return nc.subscribe(cancelSubject(opts.sessionKey), {
    callback: (err, msg) => {
      if (err) return; // the subscription closed
      let cancelled = false;
      try {
        const { runId } = msg.json<{ runId?: unknown }>();
        cancelled = typeof runId === 'string' && opts.cancel(runId);
      } catch {
        // a malformed request is answered "not live"
      }
      msg.respond(JSON.stringify({ cancelled }), { headers: instanceHeaders(opts.instanceId) });
    },
  });
}

/** Ask the owner of `sessionKey` to cancel `runId`; rejects (TimeoutError) when an owner exists but does not answer in time. */
export async function requestCancel(
  nc: NatsConnection, opts: { instanceId: string; sessionKey: string; runId: string; timeoutMs?: number },
): Promise<CancelAnswer> {
  try {
    const reply = await nc.request(cancelSubject(opts.sessionKey), JSON.stringify({ runId: opts.runId }), {
      timeout: opts.timeoutMs ?? 5000, headers: instanceHeaders(opts.instanceId),
    });
    return reply.json<{ cancelled: boolean }>().cancelled ? 'cancelled' : 'not-live';
  } catch (err) {
    if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) return 'no-owner';
    throw err;
  }
}
