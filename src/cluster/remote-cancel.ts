import { NoRespondersError, type NatsConnection, RequestError, type Subscription } from '@nats-io/transport-node';
import { cancelSubject, instanceHeaders } from './subjects.js';

// Cancel from anywhere: only a run's owner can stop it (its session actor lives there), so a cancel received
// by any instance is a NATS request on `clawgate.cancel.<sessionToken>`, answered by the session's owner
// alone — it subscribes while it holds the session's lease. Nobody subscribed means nobody owns the session
// now: the run is not running anywhere (a new owner will settle it from the inbox and its status record).
// A request names a run (`{runId}`: /cancel, chat.abort with a runId), the session's running one
// (`{running: true}`: chat.abort without a runId), or all of the session's live runs (`{stop: true}`: a
// channel's /stop, which also drops the waiting messages) — which only the owner knows.

/** The owner's answer: it cancelled the run, or the run is not queued or running there; or no owner answered. */
export type CancelAnswer = 'cancelled' | 'not-live' | 'no-owner';

/** What the owner does for a session's cancel requests. */
export interface CancelHandler {
  /** The session registry's cancel: true when the run was queued or running. */
  cancel(runId: string): boolean;
  /** Abort the session's running run, if one runs: the run ids it aborted (none when nothing runs). */
  abortRunning(): string[];
  /** Cancel the session's running turn and its waiting messages: the run ids cancelled (none: nothing to stop). */
  stop(): string[];
}

/**
 * Answer cancel requests for `sessionKey` (as its owner, while holding its lease). Unsubscribe when the lease
 * is released or lost.
 */
export function serveCancels(nc: NatsConnection, opts: { instanceId: string; sessionKey: string } & CancelHandler): Subscription {
  return nc.subscribe(cancelSubject(opts.sessionKey), {
    callback: (err, msg) => {
      if (err) return; // the subscription closed
      let runIds: string[] = [];
      try {
        const req = msg.json<{ runId?: unknown; running?: unknown; stop?: unknown }>();
        if (typeof req.runId === 'string') runIds = opts.cancel(req.runId) ? [req.runId] : [];
        else if (req.running === true) runIds = opts.abortRunning();
        else if (req.stop === true) runIds = opts.stop();
      } catch {
        // a malformed request is answered "not live"
      }
      msg.respond(JSON.stringify({ cancelled: runIds.length > 0, runIds }), { headers: instanceHeaders(opts.instanceId) });
    },
  });
}

/** Ask the owner of `sessionKey` to cancel `runId`; rejects (TimeoutError) when an owner exists but does not answer in time. */
export async function requestCancel(
  nc: NatsConnection, opts: { instanceId: string; sessionKey: string; runId: string; timeoutMs?: number },
): Promise<CancelAnswer> {
  const answer = await ask(nc, opts, { runId: opts.runId });
  return answer === 'no-owner' ? answer : answer.length > 0 ? 'cancelled' : 'not-live';
}

/**
 * Ask the owner of `sessionKey` to abort the session's running run: the run ids it aborted (empty when nothing
 * runs there), or `no-owner` (then nothing runs anywhere). Rejects (TimeoutError) when an owner exists but
 * does not answer in time.
 */
export function requestAbortRunning(
  nc: NatsConnection, opts: { instanceId: string; sessionKey: string; timeoutMs?: number },
): Promise<string[] | 'no-owner'> {
  return ask(nc, opts, { running: true });
}

/**
 * Ask the owner of `sessionKey` to stop the session (a channel's /stop): the run ids it cancelled, running or
 * waiting (empty when nothing was live there), or `no-owner` (then nothing runs anywhere). Rejects
 * (TimeoutError) when an owner exists but does not answer in time.
 */
export function requestStopSession(
  nc: NatsConnection, opts: { instanceId: string; sessionKey: string; timeoutMs?: number },
): Promise<string[] | 'no-owner'> {
  return ask(nc, opts, { stop: true });
}

async function ask(
  nc: NatsConnection, opts: { instanceId: string; sessionKey: string; timeoutMs?: number }, request: { runId: string } | { running: true } | { stop: true },
): Promise<string[] | 'no-owner'> {
  try {
    const reply = await nc.request(cancelSubject(opts.sessionKey), JSON.stringify(request), {
      timeout: opts.timeoutMs ?? 5000, headers: instanceHeaders(opts.instanceId),
    });
    return reply.json<{ runIds: string[] }>().runIds;
  } catch (err) {
    if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) return 'no-owner';
    throw err;
  }
}
