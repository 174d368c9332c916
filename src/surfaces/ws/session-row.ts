import type { SessionRow } from '../../core/transcript.js';

// A session as `sessions.list` and `sessions.changed` describe it (openclaw-protocol.md §7.3 SessionRow).

/** The wire SessionRow of a stored session. */
export function sessionRow(row: SessionRow): Record<string, unknown> {
  const group = /:(thread|group):/.test(row.key);
  const channel = row.key.startsWith('agent:') ? 'webchat' : row.key.split(':')[0];
  return {
    key: row.key,
    kind: group ? 'group' : 'direct',
    sessionId: row.key,
    displayName: row.key,
    channel,
    chatType: group ? 'group' : 'direct',
    agentId: 'main',
    updatedAt: row.updatedAt,
    lastActivityAt: row.updatedAt,
    ...(row.status ? { status: row.status } : {}),
    ...(row.lastRunId ? { lastRunId: row.lastRunId } : {}),
  };
}
