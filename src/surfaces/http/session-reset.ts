import type { ClusterNode } from '../../actors/cluster-node.js';
import type { SessionRegistry } from '../../actors/session-registry.js';
import { ApiError, badRequest } from '../../core/errors.js';
import type { TranscriptStore } from '../../core/transcript.js';
import { resetSessionContext } from '../../inbound/session-reset.js';
import { json, type Route } from '../../transport/http-types.js';
import { decodeJsonBody } from './json-body.js';

// POST /v1/gateway/sessions/reset {"session_id"}: empty a session's model context (inbound/session-reset.ts).
// 200 {"session_id", "reset": true, "reset_at", "run_in_flight"?}; 404 not_found for a session the gateway
// does not have; 400 for a missing or non-string session_id. A running run is not cancelled.

/** What the reset route needs. */
export interface SessionResetDeps {
  transcripts: TranscriptStore;
  sessions: Pick<SessionRegistry, 'inspect'>;
  /** Cluster mode: the reset goes to the session's owner. */
  cluster?: Pick<ClusterNode, 'resetSession'>;
}

/** The reset route (authorized like the rest of the data plane). */
export function sessionResetRoute(deps: SessionResetDeps, authorize: Route['authorize']): Route {
  return {
    method: 'POST', readsBody: true, authorize,
    handle: (req) => {
      const sessionId = parseResetRequest(decodeJsonBody(req.body));
      const answer = (reset: { resetAt: number; runInFlight?: string } | undefined) => {
        if (!reset) throw new ApiError(404, 'not_found', `session_id "${sessionId}" not found`);
        return json(200, {
          session_id: sessionId, reset: true, reset_at: new Date(reset.resetAt).toISOString(),
          ...(reset.runInFlight ? { run_in_flight: reset.runInFlight } : {}),
        });
      };
      // cluster mode: reset on the session's owner, in the session's history in the cluster
      if (deps.cluster) return deps.cluster.resetSession(sessionId).then(answer);
      const reset = resetSessionContext(deps, sessionId);
      return answer(reset && { resetAt: reset.marker.timestamp, ...(reset.runInFlight ? { runInFlight: reset.runInFlight } : {}) });
    },
  };
}

function parseResetRequest(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('decode json: the request must be an object with "session_id"');
  const v = (value as Record<string, unknown>).session_id;
  if (v !== undefined && v !== null && typeof v !== 'string') throw badRequest('decode json: field "session_id" must be a string');
  const id = typeof v === 'string' ? v.trim() : '';
  if (id === '') throw badRequest('missing session_id');
  return id;
}
