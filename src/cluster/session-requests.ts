import { NoRespondersError, type NatsConnection, RequestError, type Subscription } from '@nats-io/transport-node';
import { instanceHeaders, sessionRequestSubject } from './subjects.js';

// What only a session's owner knows, asked from any instance: its live state (the running run and the
// messages waiting in its session actor, for chat.history) and a context reset (sessions.reset: the marker
// goes into the history after what the owner has recorded, and the owner says which run was in flight).
// A NATS request on `clawgate.session.<sessionToken>`, answered by the owner alone while it holds the
// session's lease (like cancels, remote-cancel.ts); no responder means nobody owns the session: nothing runs.

/** A session's live state on its owner. */
export interface LiveSession {
  /** The running turn's first run id. */
  running: string | null;
  /** The messages waiting, in order. */
  queued: { runId: string; text: string; queuedAt?: number }[];
}

/** What a reset did on the owner; undefined there when the session does not exist. */
export interface SessionResetAnswer {
  /** When the marker was recorded (epoch ms, the owner's clock). */
  resetAt: number;
  /** The run running at the reset (it finishes unchanged), if any. */
  runInFlight?: string;
}

/** What the owner does for a session's requests. */
export interface SessionRequestHandler {
  live(): LiveSession;
  /** `key` names the marker (a reset asked again with it records no second one). */
  reset(key?: string): Promise<SessionResetAnswer | undefined>;
}

type Request = { op: 'live' } | { op: 'reset'; key?: string };

/** Answer `sessionKey`'s requests (as its owner, while holding its lease). Unsubscribe when the lease goes. */
export function serveSessionRequests(nc: NatsConnection, opts: { instanceId: string; sessionKey: string } & SessionRequestHandler): Subscription {
  return nc.subscribe(sessionRequestSubject(opts.sessionKey), {
    callback: (err, msg) => {
      if (err) return; // the subscription closed
      const respond = (answer: unknown) => msg.respond(JSON.stringify(answer), { headers: instanceHeaders(opts.instanceId) });
      let req: Request;
      try {
        req = msg.json<Request>();
      } catch {
        respond({ error: 'malformed request' });
        return;
      }
      if (req.op === 'live') respond({ live: opts.live() });
      else if (req.op === 'reset') {
        opts.reset(typeof req.key === 'string' ? req.key : undefined).then((reset) => respond(reset ? { reset } : { notFound: true }), (e: Error) => respond({ error: e.message }));
      } else respond({ error: 'unknown request' });
    },
  });
}

/** The session's live state on its owner, or `no-owner`. Rejects when the owner does not answer in time. */
export async function requestLive(nc: NatsConnection, opts: { instanceId: string; sessionKey: string; timeoutMs?: number }): Promise<LiveSession | 'no-owner'> {
  const answer = await ask<{ live: LiveSession }>(nc, opts, { op: 'live' });
  return answer === 'no-owner' ? answer : answer.live;
}

/**
 * Reset the session's context on its owner: what it did, `not-found` when the owner has no such session, or
 * `no-owner`. `key` names the marker (see resetInCluster). Rejects when the owner does not answer in time or
 * could not record the marker.
 */
export async function requestReset(
  nc: NatsConnection, opts: { instanceId: string; sessionKey: string; key?: string; timeoutMs?: number },
): Promise<SessionResetAnswer | 'not-found' | 'no-owner'> {
  const answer = await ask<{ reset?: SessionResetAnswer; notFound?: true }>(nc, opts, { op: 'reset', ...(opts.key ? { key: opts.key } : {}) });
  if (answer === 'no-owner') return answer;
  return answer.reset ?? 'not-found';
}

async function ask<T>(nc: NatsConnection, opts: { instanceId: string; sessionKey: string; timeoutMs?: number }, req: Request): Promise<T | 'no-owner'> {
  let answer: T & { error?: string };
  try {
    const reply = await nc.request(sessionRequestSubject(opts.sessionKey), JSON.stringify(req), {
      timeout: opts.timeoutMs ?? 5000, headers: instanceHeaders(opts.instanceId),
    });
    answer = reply.json<T & { error?: string }>();
  } catch (err) {
    if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) return 'no-owner';
    throw err;
  }
  if (answer.error) throw new Error(`the session's owner could not answer ${req.op}: ${answer.error}`);
  return answer;
}
