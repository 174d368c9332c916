import { fields, printJson, text } from './format.js';
import {
  CONNECTION_OPTIONS, CONNECTION_USAGE, UsageError, parseCommandArgs, resolveTarget, runOwnerCommand, withGateway,
} from './gateway-client.js';

// `clawgate status`: asks the running gateway over its WebSocket (methods `status` and `health`) and its
// HTTP plane (`/readyz`), and prints version, uptime, planes, sessions, runs and connections.

/** The `clawgate status --help` text. */
export const STATUS_USAGE = `usage: clawgate status [options]

Asks the running gateway: version, uptime, planes (HTTP /readyz, WebSocket), sessions, runs, connections,
and in cluster mode the NATS state and, for operator.admin, the instance id, the sessions it owns and the
other instances seen (from the session leases).

${CONNECTION_USAGE}`;

const READYZ_TIMEOUT_MS = 3_000;

/** Runs `clawgate status` against the running gateway; resolves with the process exit code. */
export function status(args: string[]): Promise<number> {
  return runOwnerCommand(async () => {
    const { values, positionals } = parseCommandArgs(args, CONNECTION_OPTIONS);
    if (values.help || positionals[0] === 'help') {
      process.stdout.write(STATUS_USAGE);
      return;
    }
    if (positionals.length > 0) throw new UsageError(`status: unexpected argument "${positionals[0]}"`);
    const target = resolveTarget(values);
    await withGateway(target, async (gw) => {
      const st = fields(await gw.request('status', {}));
      const health = fields(await gw.request('health', {}));
      const http = await readyz(target.url);
      const report = {
        url: target.url,
        version: st.runtimeVersion,
        uptimeMs: st.uptimeMs,
        planes: { http, ws: 'ready' },
        sessions: st.sessions,
        connections: st.connections,
        eventLoop: st.eventLoop,
        ...(st.pid !== undefined ? { pid: st.pid } : {}),
        ...(st.stateDir !== undefined ? { stateDir: st.stateDir } : {}),
        ...(st.cluster !== undefined ? { cluster: st.cluster } : {}),
        health,
      };
      if (values.json) return printJson(report);
      process.stdout.write(render(report));
    });
  });
}

/** The HTTP plane's readiness: `ready` (200), `not ready (503)`, or why it could not be asked. */
async function readyz(wsUrl: string): Promise<string> {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/readyz';
  try {
    const res = await fetch(u, { signal: AbortSignal.timeout(READYZ_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.status === 200 ? 'ready' : `not ready (${res.status})`;
  } catch (err) {
    return `unreachable (${(err as Error).message})`;
  }
}

/** `3d 4h`, `5m 2s`, `12s`. */
export function duration(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  const s = Math.floor(ms / 1000);
  const parts: [number, string][] = [[Math.floor(s / 86_400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return '0s';
  return parts.slice(first, first + 2).map(([n, u]) => `${n}${u}`).join(' ');
}

function render(r: {
  url: string; version: unknown; uptimeMs: unknown; planes: { http: string; ws: string }; sessions: unknown; connections: unknown;
  pid?: unknown; stateDir?: unknown; cluster?: unknown;
}): string {
  const s = fields(r.sessions);
  const runs = fields(s.runs);
  const lines = [
    `gateway    ${r.url}`,
    `version    ${text(r.version)}`,
    `uptime     ${duration(r.uptimeMs)}`,
    `planes     http ${r.planes.http}, ws ${r.planes.ws}`,
    `sessions   ${text(s.count)} stored, ${text(s.active)} active`,
    `runs       ${text(runs.live)} running, ${text(runs.finished)} finished (retained)`,
    `clients    ${text(r.connections)} WebSocket connections`,
  ];
  if (r.pid !== undefined) lines.push(`pid        ${text(r.pid)}`);
  if (r.stateDir !== undefined) lines.push(`state dir  ${text(r.stateDir)}`);
  if (r.cluster !== undefined) {
    const c = fields(r.cluster);
    if (c.instanceId !== undefined) lines.push(`instance   ${text(c.instanceId)}`);
    lines.push(`nats       ${text(c.nats)}`);
    lines.push(...membersLines(c));
  }
  return `${lines.join('\n')}\n`;
}

/** Cluster mode, operator.admin: `owns` (count, then the listed keys) and `peers` (id and sessions held). */
function membersLines(c: Record<string, unknown>): string[] {
  if (typeof c.members === 'string') return [`owners     ${c.members}`];
  if (typeof c.ownedCount !== 'number' || !Array.isArray(c.owned) || !Array.isArray(c.instances)) return [];
  const more = c.ownedCount > c.owned.length ? `, first ${c.owned.length}` : '';
  const owns = `owns       ${c.ownedCount} session${c.ownedCount === 1 ? '' : 's'}${c.ownedCount ? `${more}: ${c.owned.map(text).join(', ')}` : ''}`;
  const peers = c.instances.map((i) => fields(i)).map((i) => `${text(i.id)} (${text(i.sessions)} session${i.sessions === 1 ? '' : 's'})`);
  return [owns, `peers      ${peers.length ? peers.join(', ') : 'none seen (no other instance holds a session lease)'}`];
}
