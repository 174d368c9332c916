import type { Handler } from './types.js';

// health, status, system-presence, last-heartbeat (channels.status is in channels.ts).

/** `health`: the current snapshot, or a fresh one with `probe`. */
export const health: Handler<'health'> = (params, _call, ctx) =>
  params.probe ? ctx.health.refresh() : ctx.health.current();

/** `status`: runtime, sessions, event loop and memory; host-revealing fields for operator.admin only. */
export const status: Handler<'status'> = async (_params, call, ctx) => {
  const mem = process.memoryUsage();
  const admin = call.conn.scopes.includes('operator.admin');
  return {
    runtimeVersion: ctx.info.version,
    heartbeat: { defaultAgentId: 'main', agents: [] },
    channelSummary: [],
    queuedSystemEvents: [],
    sessions: { count: ctx.transcripts.sessionCount(), active: ctx.sessions.size, runs: { live: ctx.runs.liveCount, finished: ctx.runs.finishedCount } },
    eventLoop: ctx.health.current().eventLoop,
    processMemory: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external },
    connections: ctx.hub.size,
    uptimeMs: Date.now() - ctx.info.startedAt,
    // cluster mode: the NATS state for every reader; the instance id names the host, so only for operator.admin
    ...(ctx.info.cluster ? { cluster: { nats: ctx.info.cluster.nats, ...(admin ? await adminClusterView(ctx) : {}) } } : {}),
    // host-revealing fields only to operator.admin (a Clawgate rule)
    ...(admin ? { pid: process.pid, stateDir: ctx.info.stateDir } : {}),
  };
};

/** The instance id, and who owns what (the lease bucket; unreadable while NATS is away: then why). */
async function adminClusterView(ctx: Parameters<Handler<'status'>>[2]) {
  const instanceId = ctx.info.cluster!.instanceId;
  if (!ctx.clusterRuns) return { instanceId };
  try {
    return { instanceId, ...(await withTimeout(ctx.clusterRuns.members(), MEMBERS_TIMEOUT_MS)) };
  } catch (err) {
    return { instanceId, members: `unavailable (${(err as Error).message})` };
  }
}

// reading every lease takes one KV get per session: a status answer does not wait on it for ever
const MEMBERS_TIMEOUT_MS = 3_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the lease bucket within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** `system-presence`: who is connected, the gateway itself first. */
export const systemPresence: Handler<'system-presence'> = (_params, _call, ctx) => ctx.presence.list();

/** `last-heartbeat`: always null (Clawgate runs no heartbeats). */
export const lastHeartbeat: Handler<'last-heartbeat'> = () => null;
