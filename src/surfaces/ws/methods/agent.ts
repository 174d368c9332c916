import type { RunRecord } from '../../../actors/run-registry.js';
import { deviceIdOf, queueFull } from './chat.js';
import type { ErrorShape } from '../../../policy/authorize.js';
import { AGENT_ID, DEFAULT_SESSION_KEY, RESPONDED, storageUnavailable, type Handler, type WsServices } from './types.js';

// `agent`: an ack `res`, then the final `res` on the same id when the run ends (§12.1); runId is the
// idempotencyKey; accept → ack → start as in chat.send (a full session queue is refused UNAVAILABLE,
// retryable, before any ack). `agent.wait`: the outcome of a run, or `timeout` when it does not end in time (§12.3).

/** `agent`: ack, then the run's outcome on the same request id. */
export const agent: Handler<'agent'> = async (params, call, ctx) => {
  const runId = params.idempotencyKey;
  const sessionKey = params.sessionKey?.trim() || DEFAULT_SESSION_KEY;
  const key = `agent:${runId}`;
  const seen = ctx.dedupe.get(key);
  if (seen) {
    if (seen.inFlight) return { runId, status: 'in_flight', sessionKey, agentId: AGENT_ID };
    call.respond(seen.ok ?? true, seen.payload, seen.error as never);
    return RESPONDED;
  }
  const existing = ctx.runs.get(runId);
  if (existing && (existing.state === 'queued' || existing.state === 'running')) {
    return { runId, status: 'in_flight', sessionKey: existing.sessionKey, agentId: AGENT_ID };
  }
  // in flight from here: a repeat while the accept waits for its group commit answers in_flight
  ctx.dedupe.start(key, params.message);
  let accepted: Awaited<ReturnType<typeof ctx.inbound.acceptGrouped>>;
  try {
    accepted = await ctx.inbound.acceptGrouped({
      surface: 'ws', origin: { surface: 'ws', connId: call.conn.id }, sessionKey, text: params.message.trim(),
      sender: { id: deviceIdOf(call.conn) }, idempotencyKey: runId,
    });
  } catch (err) {
    ctx.dedupe.forget(key); // nothing recorded: the same key may be retried
    throw err;
  }
  if (accepted.kind === 'full') {
    ctx.dedupe.forget(key);
    throw queueFull(accepted);
  }
  call.respond(true, { runId, sessionKey, agentId: AGENT_ID, status: 'accepted', acceptedAt: Date.now() });
  if (accepted.kind === 'conflict') {
    const error = { code: 'INVALID_REQUEST', message: accepted.message };
    ctx.dedupe.finish(key, { ok: false, error });
    call.respond(false, { runId, status: 'error', summary: 'failed' }, error);
    return RESPONDED;
  }
  if (accepted.kind === 'accepted') ctx.inbound.start(runId);
  // cluster mode: the run may run on another instance; `settled` follows it there
  (accepted.settled ?? ctx.runs.settled(runId)).then((record) => {
    const final = agentFinal(record, ctx);
    if (record.error?.type === 'insufficient_storage') ctx.dedupe.forget(key); // the same key may be sent again and run
    else ctx.dedupe.finish(key, final);
    call.respond(final.ok, final.payload, final.error);
  });
  return RESPONDED;
};

/** The final `agent` answer for a settled run. */
export function agentFinal(r: RunRecord, ctx: WsServices): { ok: boolean; payload: unknown; error?: ErrorShape } {
  if (r.state === 'failed') {
    const message = r.error?.message ?? 'run failed';
    // a run that failed because its writes found the disk full may be sent again (same key) once there is space
    const error = r.error?.type === 'insufficient_storage' ? storageUnavailable(message) : { code: 'UNAVAILABLE', message };
    return { ok: false, payload: { runId: r.runId, status: 'error', summary: 'failed' }, error };
  }
  if (r.state === 'cancelled') {
    return { ok: true, payload: { runId: r.runId, status: 'timeout', summary: 'aborted', stopReason: 'rpc', endedAt: r.finishedAt } };
  }
  const u = r.usage;
  return {
    ok: true,
    payload: {
      runId: r.runId, status: 'ok', summary: 'completed',
      result: {
        payloads: [{ text: r.reply, mediaUrl: null }],
        meta: {
          durationMs: (r.finishedAt ?? Date.now()) - (r.startedAt ?? r.queuedAt),
          agentMeta: {
            sessionId: r.sessionKey, provider: ctx.info.provider, model: ctx.info.model,
            usage: { input: u?.prompt_tokens ?? 0, output: u?.completion_tokens ?? 0, cacheRead: 0, cacheWrite: 0, total: u?.total_tokens ?? 0, cost: 0 },
          },
        },
      },
    },
  };
}

/** `agent.wait`: the outcome of a run, or `timeout` when it does not end within `timeoutMs` (default 30 s). */
export const agentWait: Handler<'agent.wait'> = (params, _call, ctx) => {
  const { runId } = params;
  const timeoutMs = params.timeoutMs ?? 30_000;
  const outcome = (r: RunRecord) => {
    if (r.state === 'completed') return { runId, status: 'ok', endedAt: r.finishedAt, stopReason: 'stop', terminalReply: { disposition: 'visible', text: r.reply } };
    if (r.state === 'failed') return { runId, status: 'error', endedAt: r.finishedAt };
    return { runId, status: 'timeout', endedAt: r.finishedAt, stopReason: 'rpc' };
  };
  const record = ctx.runs.get(runId);
  if (record && record.finishedAt !== undefined) return outcome(record);
  // cluster mode: a run this instance does not know may run (or have run) on its session's owner
  if (!record && ctx.clusterRuns) return waitInCluster(runId, timeoutMs, ctx.clusterRuns, outcome);
  return new Promise((resolve) => {
    let done = false;
    let unsubscribe = () => {};
    const finish = (value: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    };
    const timer = setTimeout(() => finish({ runId, status: 'timeout' }), timeoutMs);
    const follow = () => ctx.runs.settled(runId).then((r) => finish(outcome(r)), () => {});
    const onQueued = (e: { runId: string }) => {
      if (e.runId === runId) follow();
    };
    if (record) follow();
    else unsubscribe = ctx.bus.subscribe('run.queued', onQueued); // not known yet: it may still be submitted
  });
};

/** agent.wait of a run known to the cluster only: its status record, else its events wherever it runs. */
async function waitInCluster(runId: string, timeoutMs: number, cluster: NonNullable<WsServices['clusterRuns']>, outcome: (r: RunRecord) => unknown): Promise<unknown> {
  // followed before the status is read: its end cannot slip in between
  const follow = cluster.follower.follow(runId, '');
  let timer: NodeJS.Timeout | undefined;
  try {
    const known = await cluster.record(runId);
    if (known?.finishedAt !== undefined) return outcome(known);
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve({ runId, status: 'timeout' }), timeoutMs); });
    return await Promise.race([follow.settled.then(outcome), timeout]);
  } finally {
    clearTimeout(timer);
    follow.stop();
  }
}
