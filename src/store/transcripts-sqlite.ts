import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';
import type { SessionIndexPatch, SessionRow, SessionStatus, TranscriptMessage, TranscriptStore } from '../core/transcript.js';

// The TranscriptStore on SQLite (migration 3). Messages are append-only rows keyed by (session, seq); the
// session index is one row per session updated in the same transaction as each change, so a change costs
// O(1) and the index can never disagree with the transcript it describes. Every write is committed
// before the call returns (WAL), so an acknowledged message survives a crash.

interface MessageRow {
  seq: number;
  id: string;
  role: TranscriptMessage['role'];
  text: string;
  ts: number;
  run_id: string;
  idempotency_key: string;
}

interface IndexRow {
  key: string;
  created_at: number;
  updated_at: number;
  last_run_id: string | null;
  status: string | null;
  message_count: number;
  next_seq: number;
}

const DEFAULT_PAGE = 100;

type NewMessage = Omit<TranscriptMessage, 'id' | 'seq'>;

/** The TranscriptStore on the gateway's SQLite database. */
export class SqliteTranscriptStore implements TranscriptStore {
  private readonly q;
  private readonly appendTx;

  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {
    this.q = {
      session: db.prepare<[string], IndexRow>('SELECT * FROM sessions WHERE key = ?'),
      byKey: db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE session_key = ? AND idempotency_key = ?'),
      insert: db.prepare('INSERT INTO messages (session_key, seq, id, role, text, ts, run_id, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      // one statement per index change (a single autocommit: half the cost of select-then-update); a run's step
      // that appends sets its run and status in the same statement
      counted: db.prepare<[{ key: string; now: number; ts: number; run: string | null; status: string | null }], { seq: number }>(`INSERT INTO sessions (key, created_at, updated_at, last_run_id, status, message_count, next_seq)
        VALUES (@key, @now, @ts, @run, @status, 1, 2) ON CONFLICT(key) DO UPDATE SET message_count = message_count + 1, next_seq = next_seq + 1, updated_at = @ts,
        last_run_id = coalesce(@run, last_run_id), status = coalesce(@status, status)
        RETURNING next_seq - 1 AS seq`),
      touch: db.prepare<[{ key: string; now: number; run: string | null; status: string | null }]>(`INSERT INTO sessions (key, created_at, updated_at, last_run_id, status)
        VALUES (@key, @now, @now, @run, @status) ON CONFLICT(key) DO UPDATE SET updated_at = @now,
        last_run_id = coalesce(@run, last_run_id), status = coalesce(@status, status)`),
      // newest `limit` after skipping `offset` newest, returned oldest first
      page: db.prepare<[string, number, number], MessageRow>(
        'SELECT * FROM (SELECT * FROM messages WHERE session_key = ? ORDER BY seq DESC LIMIT ? OFFSET ?) ORDER BY seq ASC'),
      list: db.prepare<[number, number], IndexRow>('SELECT * FROM sessions ORDER BY updated_at DESC, key LIMIT ? OFFSET ?'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sessions'),
    };
    // inside a transaction (a run ledger's step, itself in a savepoint) the caller's transaction holds the two
    // writes together, and an error reaches it: no savepoint of our own
    this.appendTx = db.transaction((sessionKey: string, m: NewMessage, index: SessionIndexPatch | undefined) => this.write(sessionKey, m, index));
  }

  append(sessionKey: string, m: NewMessage): TranscriptMessage {
    const existing = this.q.byKey.get(sessionKey, m.idempotencyKey);
    if (existing) return toMessage(existing); // the same turn recorded twice (a replay or a recovered run)
    return this.db.inTransaction ? this.write(sessionKey, m, undefined) : this.appendTx(sessionKey, m, undefined);
  }

  appendOnce(sessionKey: string, m: NewMessage, index?: SessionIndexPatch): TranscriptMessage | undefined {
    if (this.q.byKey.get(sessionKey, m.idempotencyKey)) {
      if (index) this.touch(sessionKey, index);
      return undefined;
    }
    return this.db.inTransaction ? this.write(sessionKey, m, index) : this.appendTx(sessionKey, m, index);
  }

  /** The message's row and its count in the session index (with `index`); the caller checked the key. */
  private write(sessionKey: string, m: NewMessage, index: SessionIndexPatch | undefined): TranscriptMessage {
    const { seq } = this.q.counted.get({ key: sessionKey, now: this.now(), ts: m.timestamp, run: index?.lastRunId ?? null, status: index?.status ?? null })!;
    const message: TranscriptMessage = { ...m, id: randomUUID(), seq };
    this.q.insert.run(sessionKey, seq, message.id, m.role, m.text, m.timestamp, m.runId, m.idempotencyKey);
    return message;
  }

  messages(sessionKey: string, opts: { limit?: number; offset?: number } = {}) {
    const row = this.q.session.get(sessionKey);
    if (!row) return { messages: [], total: 0 };
    const limit = opts.limit === undefined ? -1 : Math.max(0, opts.limit); // -1: no limit in SQLite
    const rows = this.q.page.all(sessionKey, limit, Math.max(0, opts.offset ?? 0));
    return { messages: rows.map(toMessage), total: row.message_count };
  }

  byIdempotencyKey(sessionKey: string, idempotencyKey: string): TranscriptMessage | undefined {
    const row = this.q.byKey.get(sessionKey, idempotencyKey);
    return row ? toMessage(row) : undefined;
  }

  touch(sessionKey: string, patch: SessionIndexPatch): void {
    this.q.touch.run({ key: sessionKey, now: this.now(), run: patch.lastRunId ?? null, status: patch.status ?? null });
  }

  session(sessionKey: string): SessionRow | undefined {
    const row = this.q.session.get(sessionKey);
    return row ? toRow(row) : undefined;
  }

  sessions(opts: { limit?: number; offset?: number } = {}): SessionRow[] {
    return this.q.list.all(Math.max(0, opts.limit ?? DEFAULT_PAGE), Math.max(0, opts.offset ?? 0)).map(toRow);
  }

  sessionCount(): number {
    return this.q.count.get()!.n;
  }
}

function toMessage(r: MessageRow): TranscriptMessage {
  return { id: r.id, seq: r.seq, role: r.role, text: r.text, timestamp: r.ts, runId: r.run_id, idempotencyKey: r.idempotency_key };
}

function toRow(r: IndexRow): SessionRow {
  return {
    key: r.key, createdAt: r.created_at, updatedAt: r.updated_at, messageCount: r.message_count,
    ...(r.last_run_id ? { lastRunId: r.last_run_id } : {}),
    ...(r.status ? { status: r.status as SessionStatus } : {}),
  };
}
