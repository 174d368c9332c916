import type { SubmitResult } from '../../../actors/session-registry.js';
import { toQueueMode, WIRE_QUEUE_MODES } from '../../../core/queue-mode.js';
import type { TranscriptMessage } from '../../../core/transcript.js';
import { transcriptEntry } from '../run-events.js';
import { invalidRequest, MethodError, RESPONDED, type Handler, type WsServices } from './types.js';

// chat.send (ack only; progress arrives as events), chat.history, chat.abort (§13).
// chat.send is accept → ack → start: the run is recorded (and journaled on `run.queued`) before the ack,
// and the ack goes out before the run's first event. `queueMode` picks how it queues behind a running run
// (steer = followup); a full session queue is refused UNAVAILABLE, retryable.

/** The refusal of a full session queue, for chat.send and agent. */
export function queueFull(r: Extract<SubmitResult, { kind: 'full' }>): MethodError {
  return new MethodError({
    code: 'UNAVAILABLE', message: r.message, retryable: true,
    details: { reason: 'queue_full', queued: r.queued, maxQueue: r.max },
  });
}

/** The sender of a WS message: the connection's device, if it presented one. */
export function deviceIdOf(conn: { client?: Record<string, unknown> }): string {
  return typeof conn.client?.deviceId === 'string' ? conn.client.deviceId : '';
}

const CONFLICT = 'This message ID was already used for different input. Check the conversation history and use a new message ID to send again.';

/** `chat.send`: accept, ack `started`, then start the run (deduped by idempotencyKey). */
export const chatSend: Handler<'chat.send'> = async (params, call, ctx) => {
  const runId = params.idempotencyKey;
  const key = `chat:${runId}`;
  const seen = ctx.dedupe.get(key);
  if (seen) {
    if (seen.fingerprint !== params.message) throw invalidRequest(CONFLICT, { reason: 'chat-request-conflict' });
    return seen.inFlight ? { runId, status: 'in_flight' } : { runId, status: 'ok' };
  }
  const sessionKey = params.sessionKey?.trim();
  if (!sessionKey) throw invalidRequest('session mutation target is unavailable', { code: 'SESSION_MUTATION_TARGET_REQUIRED', method: 'chat.send' });
  const existing = ctx.runs.get(runId);
  if (existing && (existing.state === 'queued' || existing.state === 'running')) return { runId, status: 'in_flight' };
  const mode = params.queueMode === undefined ? undefined : toQueueMode(params.queueMode);
  if (params.queueMode !== undefined && !mode) throw invalidRequest(`unknown queueMode "${params.queueMode}" (want ${WIRE_QUEUE_MODES.join(', ')})`);
  // in flight from here: a repeat while the accept waits for its group commit answers in_flight
  ctx.dedupe.start(key, params.message);
  let accepted: Awaited<ReturnType<typeof ctx.inbound.acceptGrouped>>;
  try {
    accepted = await ctx.inbound.acceptGrouped({
      surface: 'ws', origin: { surface: 'ws', connId: call.conn.id }, sessionKey, text: params.message.trim(),
      sender: { id: deviceIdOf(call.conn) }, idempotencyKey: runId, queueMode: mode,
    });
  } catch (err) {
    ctx.dedupe.forget(key); // nothing recorded: the same key may be retried
    throw err;
  }
  if (accepted.kind === 'full') {
    ctx.dedupe.forget(key);
    throw queueFull(accepted); // nothing recorded: the same key may be retried
  }
  call.respond(true, { runId, status: 'started' });
  if (accepted.kind === 'conflict') {
    ctx.dedupe.finish(key, { ok: false });
    return RESPONDED;
  }
  if (accepted.kind === 'accepted') ctx.inbound.start(runId);
  // cluster mode: the run may run on another instance; `settled` follows it there
  (accepted.settled ?? ctx.runs.settled(runId)).then((record) => {
    // a run its full disk failed may be sent again with the same key, once there is space
    if (record.error?.type === 'insufficient_storage') ctx.dedupe.forget(key);
    else ctx.dedupe.finish(key, { ok: true, payload: { runId, status: 'ok' } });
  });
  return RESPONDED;
};

/** `chat.history`: a page of the session transcript, its pending inputs and the run in flight. */
export const chatHistory: Handler<'chat.history'> = (params, _call, ctx) => {
  const page = { limit: params.limit ?? 200, offset: params.offset ?? 0 };
  // cluster mode: the session's history in the cluster, its live state from its owner
  if (ctx.clusterRuns) {
    return ctx.clusterRuns.history(params.sessionKey, page).then(({ messages, total, live }) => historyPage(params.sessionKey, page.offset, messages, total, live));
  }
  const { messages, total } = ctx.transcripts.messages(params.sessionKey, page);
  const live = ctx.sessions.inspect(params.sessionKey);
  const queued = (live?.queued ?? []).map((runId) => {
    const r = ctx.runs.get(runId);
    return { runId, text: r?.text ?? '', queuedAt: r?.queuedAt };
  });
  return historyPage(params.sessionKey, page.offset, messages, total, { running: live?.running ?? null, queued });
};

/** chat.history's answer: a page of the transcript, the messages waiting and the run in flight. */
function historyPage(
  sessionKey: string, offset: number, messages: TranscriptMessage[], total: number,
  live: { running: string | null; queued: { runId: string; text: string; queuedAt?: number }[] },
) {
  return {
    sessionKey,
    sessionId: sessionKey,
    messages: messages.map(transcriptEntry),
    pendingInputs: { items: live.queued, total: live.queued.length },
    hasMore: total > messages.length + offset,
    totalMessages: total,
    ...(live.running ? { inFlightRun: { runId: live.running } } : {}),
  };
}

/** `chat.abort`: cancel the named run of the session, or its running one. */
export const chatAbort: Handler<'chat.abort'> = (params, _call, ctx) => {
  const targets: string[] = [];
  // cluster mode: a run this instance does not know may run on its session's owner, and so may the session's running one
  if (params.runId && ctx.clusterRuns && !ctx.runs.get(params.runId)) return abortInCluster(params.runId, params.sessionKey, ctx.clusterRuns);
  if (!params.runId && ctx.clusterRuns) return ctx.clusterRuns.abortRunning(params.sessionKey).then((runIds) => ({ ok: true, aborted: runIds.length > 0, runIds }));
  if (params.runId) {
    const r = ctx.runs.get(params.runId);
    if (r && r.sessionKey === params.sessionKey && (r.state === 'queued' || r.state === 'running')) targets.push(r.runId);
  } else {
    const running = ctx.sessions.inspect(params.sessionKey)?.running;
    if (running) targets.push(running);
  }
  const runIds = targets.filter((id) => ctx.sessions.cancel(id));
  return { ok: true, aborted: runIds.length > 0, runIds };
};

/** chat.abort of a named run through the cluster: its status says its session and whether it is live. */
async function abortInCluster(runId: string, sessionKey: string, cluster: NonNullable<WsServices['clusterRuns']>) {
  const r = await cluster.record(runId);
  const live = r?.sessionKey === sessionKey && (r.state === 'queued' || r.state === 'running');
  const aborted = live && await cluster.cancel(runId);
  return { ok: true, aborted, runIds: aborted ? [runId] : [] };
}
