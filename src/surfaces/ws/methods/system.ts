import type { Handler } from './types.js';

// health, status, system-presence, last-heartbeat, channels.status.

export const health: Handler = (params: { probe?: boolean } | undefined, _call, ctx) =>
  params?.probe ? ctx.health.refresh() : ctx.health.current();

export const status: Handler = (_params, call, ctx) => {
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
    // host-revealing fields only to operator.admin (a Clawgate rule)
    ...(admin ? { pid: process.pid, stateDir: ctx.info.stateDir } : {}),
  };
};

export const systemPresence: Handler = (_params, _call, ctx) => ctx.presence.list();

export const lastHeartbeat: Handler = () => null;

export const channelsStatus: Handler = () => ({
  ts: Date.now(), channelOrder: [], channelLabels: {}, channels: {}, channelAccounts: {}, channelDefaultAccountId: {},
});
