import type { RunRecord, RunRegistry } from '../../actors/run-registry.js';
import type { SessionRegistry } from '../../actors/session-registry.js';
import type { ClusterNode } from '../../actors/cluster-node.js';
import { admitMessage, type AdmitPolicy } from './admit.js';
import type { Inbound } from '../../inbound/submit.js';
import { ApiError, badRequest, insufficientStorage } from '../../core/errors.js';
import { errorResponse, json } from '../../transport/http-types.js';
import { bearerAuth, type AuthLimiter } from './bearer-auth.js';
import { decodeJsonBody } from './json-body.js';
import { parseCancelRequest, parseMessageRequest } from './message-request.js';
import { RunEventStream } from './run-stream.js';
import { sessionResetRoute } from './session-reset.js';
import type { TranscriptStore } from '../../core/transcript.js';
import type { ApiRequest, ApiResponse, JsonResponse, Route } from '../../transport/http-types.js';
import type { Router } from '../../transport/router.js';

// The HTTP data plane (http-gateway.md) plus the liveness/readiness routes, registered as exact paths.

/** What the HTTP data plane needs from the gateway. */
export interface HttpPlaneDeps {
  sessions: SessionRegistry;
  runs: RunRegistry;
  inbound: Inbound;
  admit: Omit<AdmitPolicy, 'inbound'>;
  /** When set, data-plane calls need `Authorization: Bearer <token>`. */
  token?: string;
  /** Auth-failure limiter shared with the WS handshake. */
  authLimiter?: AuthLimiter;
  sseKeepaliveMs: number;
  /** The transcripts (POST /sessions/reset appends its marker there). */
  transcripts: TranscriptStore;
  startedAt: number;
  isReady: () => { ready: boolean; failing: string[] };
  /** Cluster mode: a run not known here is looked up (status) and cancelled through the cluster; a reset goes to the session's owner. */
  cluster?: Pick<ClusterNode, 'record' | 'cancel' | 'resetSession'>;
}

const P = '/v1/gateway';
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Registers the data plane and the health routes on `router`. */
export function registerHttpRoutes(router: Router, deps: HttpPlaneDeps): void {
  const policy: AdmitPolicy = { ...deps.admit, inbound: deps.inbound };
  const authorize = bearerAuth(deps.token, deps.authLimiter);

  // the health routes answer whatever the Host (probes use the pod IP); the data plane checks it
  router.route('/healthz', { method: 'GET', readsBody: false, anyHost: true, handle: () => json(200, { status: 'ok' }) });
  router.route('/health', {
    method: 'GET', readsBody: false, anyHost: true,
    handle: () => json(200, { ok: true, status: 'live' }, { 'Content-Type': 'application/json; charset=utf-8' }),
  });
  const ready: Route = {
    method: 'GET', readsBody: false, anyHost: true,
    handle: () => {
      const { ready, failing } = deps.isReady();
      return json(ready ? 200 : 503, { ready, failing, uptimeMs: Date.now() - deps.startedAt },
        { 'Content-Type': 'application/json; charset=utf-8' });
    },
  };
  router.route('/ready', ready);
  router.route('/readyz', ready);

  router.route(`${P}/messages`, {
    method: 'POST', readsBody: true, authorize,
    handle: async (req) => {
      const admission = await admitMessage(parseMessageRequest(decodeJsonBody(req.body)), policy);
      if (admission.kind === 'ignored') return json(200, { ignored: true });
      const record = admission.kind === 'replay' ? admission.record : await (admission.settled ?? deps.runs.settled(admission.record.runId));
      return messageResponse(record);
    },
  });

  router.route(`${P}/messages:stream`, {
    method: 'POST', readsBody: true, authorize,
    handle: async (req) => {
      const stream = new RunEventStream(deps.sseKeepaliveMs);
      const admission = await admitMessage(parseMessageRequest(decodeJsonBody(req.body)), policy, stream.listener);
      if (admission.kind === 'ignored') stream.ignored();
      else if (admission.kind === 'replay') stream.replay(admission.record);
      return { stream: (sink) => stream.attach(sink) };
    },
  });

  router.route(`${P}/status`, {
    method: 'GET', readsBody: false, authorize,
    handle: (req) => {
      const id = req.query.get('request_id')?.trim() ?? '';
      if (id === '') throw badRequest('missing request_id');
      const record = deps.runs.get(id);
      // cluster mode: a run this instance does not run is read from the cluster's run status
      if (!record && deps.cluster) return deps.cluster.record(id).then((r) => statusResponse(id, r));
      return statusResponse(id, record);
    },
  });

  router.route(`${P}/cancel`, {
    method: 'POST', readsBody: true, authorize,
    handle: (req) => {
      const id = parseCancelRequest(decodeJsonBody(req.body)).request_id?.trim() ?? '';
      if (id === '') throw badRequest('missing request_id');
      // cluster mode: only the session's owner can stop the run, wherever it is
      if (deps.cluster) return deps.cluster.cancel(id).then((canceled) => json(200, { canceled }));
      return json(200, { canceled: deps.sessions.cancel(id) });
    },
  });

  router.route(`${P}/sessions/reset`, sessionResetRoute(deps, authorize));

}

/** The `/messages` answer for a finished run (§3 "Result"); also the idempotent replay of a completed one. */
function messageResponse(record: RunRecord): JsonResponse {
  const ids = { session_id: record.sessionKey, request_id: record.runId };
  switch (record.state) {
    case 'completed':
      return json(200, { ...ids, reply: record.reply, ...(record.usage ? { usage: record.usage } : {}) });
    case 'cancelled':
      return json(200, { ...ids, reply: record.reply, canceled: true });
    default:
      // its run.started or run.completed could not be written: the disk is full (a retry may work later)
      if (record.error?.type === 'insufficient_storage') return errorResponse(insufficientStorage(record.error.message));
      return errorResponse(new ApiError(500, 'internal_error', record.error?.message || 'run failed'));
  }
}

function statusResponse(id: string, record: RunRecord | undefined): JsonResponse {
  if (!record) throw new ApiError(404, 'not_found', `request_id "${id}" not found`);
  return json(200, statusBody(record));
}

function statusBody(r: RunRecord): Record<string, unknown> {
  const body: Record<string, unknown> = {
    request_id: r.runId, session_id: r.sessionKey, state: r.state, queued_at: iso(r.queuedAt),
  };
  if (r.startedAt !== undefined) body.started_at = iso(r.startedAt);
  if (r.finishedAt !== undefined) body.finished_at = iso(r.finishedAt);
  if (r.state === 'completed' || (r.state === 'cancelled' && r.startedAt !== undefined)) body.reply = r.reply;
  if (r.state === 'failed' && r.error) body.error = r.error;
  return body;
}

export type { ApiRequest, ApiResponse };
