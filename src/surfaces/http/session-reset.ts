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
}

/** The reset route (authorized like the rest of the data plane). */
export function sessionResetRoute(deps: SessionResetDeps, authorize: Route['authorize']): Route {
  return {
    method: 'POST', readsBody: true, authorize,
    handle: (req) => {
      const sessionId = parseResetRequest(decodeJsonBody(req.body));
      const reset = resetSessionContext(deps, sessionId);
      if (!reset) throw new ApiError(404, 'not_found', `session_id "${sessionId}" not found`);
      return json(200, {
        session_id: sessionId, reset: true, reset_at: new Date(reset.marker.timestamp).toISOString(),
        ...(reset.runInFlight ? { run_in_flight: reset.runInFlight } : {}),
      });
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
