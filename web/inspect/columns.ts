import type { ActorRecord } from './actor-store.js';
import { field, type Kind, text } from './frames.js';

// The columns of each tab (web-surfaces.md I5). A cell is text, or a number (those columns sort numerically).
// Values come from the sanitized snapshot's context, from what the page counted, and from the actor's
// `@clawgate.vitals` view where only the gateway knows them (client, device, buffered bytes, last seq …): "—" until
// the first one (at most a second after the actor appears).

/** One column: its header and how a record's cell is found. */
export interface Column {
  label: string;
  numeric?: boolean;
  cell(rec: ActorRecord, now: number): string | number;
}

const ctx = (rec: ActorRecord) => field(rec.snapshot, 'context');
/** A connection's input (connId, peer…): one shared object in its context (`context.input`). */
const connInput = (rec: ActorRecord) => field(ctx(rec), 'input') ?? ctx(rec);
const short = (id: string) => (id.length > 8 ? id.slice(0, 8) : id);
const NONE = '—';

/** A view field (from `@clawgate.vitals`) as a number, else '—'. */
function viewNumber(rec: ActorRecord, key: string): number | string {
  const v = field(rec.view, key);
  return typeof v === 'number' ? v : NONE;
}

function viewText(rec: ActorRecord, key: string): string {
  const v = field(rec.view, key);
  return typeof v === 'string' && v !== '' ? v : NONE;
}

/** Seconds since `since`, one decimal. */
function age(since: number, now: number): number {
  return Math.max(0, Math.round((now - since) / 100) / 10);
}

/** Messages in a sanitized queue: each turn and its merged messages; a cut array's `…(+N)` counts N. */
export function queueDepth(queue: unknown): number {
  if (!Array.isArray(queue)) return 0;
  let n = 0;
  for (const item of queue) {
    if (typeof item === 'string') {
      const more = /^…\(\+(\d+)\)$/.exec(item);
      n += more ? Number(more[1]) : 0;
      continue;
    }
    const merged = field(item, 'merged');
    n += 1 + (Array.isArray(merged) ? merged.length : 0);
  }
  return n;
}

function list(value: unknown): string {
  return Array.isArray(value) ? value.filter((v) => typeof v === 'string').join(', ') : '';
}

const session: Column[] = [
  { label: 'key', cell: (r) => text(ctx(r), 'sessionKey') || r.name },
  { label: 'state', cell: (r) => r.state },
  { label: 'queue depth', numeric: true, cell: (r) => queueDepth(field(ctx(r), 'queue')) },
  { label: 'running run', cell: (r) => text(field(ctx(r), 'current'), 'runId') || NONE },
  { label: 'run age (s)', numeric: true, cell: (r, now) => (field(ctx(r), 'current') ? age(r.stateSince, now) : 0) },
  { label: 'last event', cell: (r) => r.lastEvent || NONE },
  { label: 'runs done', numeric: true, cell: (r) => r.runsDone },
  { label: 'runs failed', numeric: true, cell: (r) => r.runsFailed },
];

const connection: Column[] = [
  { label: 'conn id', cell: (r) => short(text(connInput(r), 'connId') || r.name.replace(/^conn:/, '')) },
  { label: 'state', cell: (r) => r.state },
  // an idle connection's actor is stopped and rebuilt for its next frame (passivation): same row, same state
  { label: 'actor', cell: (r) => (field(r.view, 'passivated') === true ? 'passivated' : 'live') },
  {
    label: 'client · mode',
    cell: (r) => {
      const id = viewText(r, 'clientId');
      return id === NONE ? NONE : `${id} · ${viewText(r, 'clientMode')}`;
    },
  },
  { label: 'role', cell: (r) => text(field(ctx(r), 'admitted'), 'role') || viewText(r, 'role') },
  {
    label: 'scopes',
    cell: (r) => list(field(field(ctx(r), 'admitted'), 'scopes') ?? field(r.view, 'scopes')) || NONE,
  },
  { label: 'device', cell: (r) => short(viewText(r, 'deviceId')) },
  {
    label: 'peer',
    cell: (r) => {
      const peer = field(connInput(r), 'peer');
      const where = field(peer, 'local') === true ? 'local' : 'remote';
      const origin = text(peer, 'origin');
      return origin ? `${where} ${origin}` : where;
    },
  },
  { label: 'buffered bytes', numeric: true, cell: (r) => viewNumber(r, 'bufferedBytes') },
  { label: 'last seq', numeric: true, cell: (r) => viewNumber(r, 'lastSeq') },
  { label: 'subscriptions', numeric: true, cell: (r) => viewNumber(r, 'subscriptions') },
  { label: 'age (s)', numeric: true, cell: (r, now) => age(r.firstSeen, now) },
];

const node: Column[] = [
  { label: 'node id', cell: (r) => short(text(ctx(r), 'nodeId') || r.name.replace(/^node:/, '')) },
  { label: 'state', cell: (r) => r.state },
  { label: 'caps', cell: (r) => list(field(field(ctx(r), 'approved') ?? field(ctx(r), 'declared'), 'caps')) || NONE },
  {
    label: 'commands', numeric: true,
    cell: (r) => {
      const commands = field(field(ctx(r), 'approved') ?? field(ctx(r), 'declared'), 'commands');
      return Array.isArray(commands) ? commands.length : 0;
    },
  },
  {
    label: 'pending invokes', numeric: true,
    cell: (r) => {
      const pending = field(ctx(r), 'pending');
      return typeof pending === 'object' && pending !== null ? Object.keys(pending).length : 0;
    },
  },
  {
    label: 'last seen (s)', numeric: true,
    cell: (r, now) => {
      const seen = field(r.view, 'lastSeenAtMs');
      return age(typeof seen === 'number' ? seen : r.firstSeen, now);
    },
  },
];

const channel: Column[] = [
  { label: 'channel · account', cell: (r) => `${text(ctx(r), 'channel')} · ${text(ctx(r), 'accountId')}` },
  { label: 'state', cell: (r) => r.state },
  { label: 'retries', numeric: true, cell: (r) => Number(field(ctx(r), 'reconnectAttempts') ?? 0) || 0 },
  { label: 'last error', cell: (r) => text(ctx(r), 'lastError') || NONE },
  { label: 'messages in', numeric: true, cell: (r) => viewNumber(r, 'messagesIn') },
  { label: 'messages out', numeric: true, cell: (r) => viewNumber(r, 'messagesOut') },
];

/** The columns of each tab. */
export const COLUMNS: Record<Kind, Column[]> = { session, connection, node, channel };

/** The tab titles. */
export const KIND_TITLES: Record<Kind, string> = { session: 'Sessions', connection: 'Connections', node: 'Nodes', channel: 'Channels' };
