import { randomUUID } from 'node:crypto';

// Conversation history per session and the session index. In memory and bounded for now (the oldest
// sessions and messages go first); the SQLite store of issue 4/4 replaces it behind the same interface.

export interface TranscriptMessage {
  id: string;
  seq: number;
  role: 'user' | 'assistant';
  text: string;
  timestamp: number;
  runId: string;
  /** `<runId>:user` for the user message of a run, `<runId>` for its reply. */
  idempotencyKey: string;
}

export type SessionStatus = 'queued' | 'running' | 'done' | 'failed' | 'killed' | 'timeout';

export interface SessionRow {
  key: string;
  createdAt: number;
  updatedAt: number;
  lastRunId?: string;
  status?: SessionStatus;
  messageCount: number;
}

export interface TranscriptStore {
  append(sessionKey: string, m: Omit<TranscriptMessage, 'id' | 'seq'>): TranscriptMessage;
  /** Messages oldest first; `limit` takes the newest ones. */
  messages(sessionKey: string, opts?: { limit?: number; offset?: number }): { messages: TranscriptMessage[]; total: number };
  touch(sessionKey: string, patch: Partial<Pick<SessionRow, 'lastRunId' | 'status'>>): SessionRow;
  session(sessionKey: string): SessionRow | undefined;
  /** Most recently updated first. */
  sessions(): SessionRow[];
}

interface Entry {
  row: SessionRow;
  messages: TranscriptMessage[];
  nextSeq: number;
}

export class MemoryTranscriptStore implements TranscriptStore {
  private readonly entries = new Map<string, Entry>();
  private order: string[] = [];
  private head = 0;

  constructor(private readonly maxSessions = 10_000, private readonly maxMessagesPerSession = 1_000) {}

  append(sessionKey: string, m: Omit<TranscriptMessage, 'id' | 'seq'>): TranscriptMessage {
    const e = this.entry(sessionKey);
    const message: TranscriptMessage = { ...m, id: randomUUID(), seq: e.nextSeq++ };
    e.messages.push(message);
    if (e.messages.length > this.maxMessagesPerSession) e.messages.shift();
    e.row.messageCount++;
    e.row.updatedAt = m.timestamp;
    return message;
  }

  messages(sessionKey: string, opts: { limit?: number; offset?: number } = {}) {
    const all = this.entries.get(sessionKey)?.messages ?? [];
    const offset = opts.offset ?? 0;
    const end = all.length - offset;
    const start = opts.limit === undefined ? 0 : Math.max(0, end - opts.limit);
    return { messages: all.slice(start, Math.max(start, end)), total: all.length };
  }

  touch(sessionKey: string, patch: Partial<Pick<SessionRow, 'lastRunId' | 'status'>>): SessionRow {
    const e = this.entry(sessionKey);
    Object.assign(e.row, patch, { updatedAt: Date.now() });
    return e.row;
  }

  session(sessionKey: string): SessionRow | undefined {
    return this.entries.get(sessionKey)?.row;
  }

  sessions(): SessionRow[] {
    return [...this.entries.values()].map((e) => e.row).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  private entry(sessionKey: string): Entry {
    let e = this.entries.get(sessionKey);
    if (e) return e; // Map order = creation order: the oldest session goes first when over the cap
    const now = Date.now();
    e = { row: { key: sessionKey, createdAt: now, updatedAt: now, messageCount: 0 }, messages: [], nextSeq: 1 };
    this.entries.set(sessionKey, e);
    // evict by creation order from our own list: Map.keys().next() would step over every tombstone
    this.order.push(sessionKey);
    while (this.entries.size > this.maxSessions && this.head < this.order.length) this.entries.delete(this.order[this.head++]);
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    return e;
  }
}
