import { transcriptEntry } from '../run-events.js';
import { invalidRequest, RESPONDED, type Handler } from './types.js';

// chat.send (ack only; progress arrives as events), chat.history, chat.abort (§13).

interface ChatSendParams {
  sessionKey?: string;
  message: string;
  idempotencyKey: string;
}

const CONFLICT = 'This message ID was already used for different input. Check the conversation history and use a new message ID to send again.';

export const chatSend: Handler = (params: ChatSendParams, call, ctx) => {
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
  ctx.dedupe.start(key, params.message);
  call.respond(true, { runId, status: 'started' });
  const submitted = ctx.sessions.submit({ runId, surface: 'ws', input: { runId, sessionKey, text: params.message.trim(), parts: [] } });
  if (submitted.kind === 'conflict') {
    ctx.dedupe.finish(key, { ok: false });
  } else {
    ctx.runs.settled(runId).then(() => ctx.dedupe.finish(key, { ok: true, payload: { runId, status: 'ok' } }));
  }
  return RESPONDED;
};

export const chatHistory: Handler = (params: { sessionKey: string; limit?: number; offset?: number }, _call, ctx) => {
  const limit = params.limit ?? 200;
  const { messages, total } = ctx.transcripts.messages(params.sessionKey, { limit, offset: params.offset ?? 0 });
  const live = ctx.sessions.inspect(params.sessionKey);
  const pending = (live?.queued ?? []).map((runId) => {
    const r = ctx.runs.get(runId);
    return { runId, text: r?.text ?? '', queuedAt: r?.queuedAt };
  });
  return {
    sessionKey: params.sessionKey,
    sessionId: params.sessionKey,
    messages: messages.map(transcriptEntry),
    pendingInputs: { items: pending, total: pending.length },
    hasMore: total > messages.length + (params.offset ?? 0),
    totalMessages: total,
    ...(live?.running ? { inFlightRun: { runId: live.running } } : {}),
  };
};

export const chatAbort: Handler = (params: { sessionKey: string; runId?: string }, _call, ctx) => {
  const targets: string[] = [];
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
