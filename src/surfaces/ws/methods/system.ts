import type { Handler } from './types.js';

// health, status, system-presence, last-heartbeat (channels.status is in channels.ts).

/** `health`: the current snapshot, or a fresh one with `probe`. */
export const health: Handler<'health'> = (params, _call, ctx) =>
  params.probe ? ctx.health.refresh() : ctx.health.current();

/** `status`: runtime, sessions, event loop and memory; host-revealing fields for operator.admin only. */
export const status: Handler<'status'> = (_params, call, ctx) => {
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
    ...(ctx.info.cluster ? { cluster: { nats: ctx.info.cluster.nats, ...(admin ? { instanceId: ctx.info.cluster.instanceId } : {}) } } : {}),
    // host-revealing fields only to operator.admin (a Clawgate rule)
    ...(admin ? { pid: process.pid, stateDir: ctx.info.stateDir } : {}),
  };
};

/** `system-presence`: who is connected, the gateway itself first. */
export const systemPresence: Handler<'system-presence'> = (_params, _call, ctx) => ctx.presence.list();

/** `last-heartbeat`: always null (Clawgate runs no heartbeats). */
export const lastHeartbeat: Handler<'last-heartbeat'> = () => null;
