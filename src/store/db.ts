import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { guardWrites, type WriteFaults } from './write-faults.js';

// The one SQLite database under --state-dir (WAL: readers never block the writer, a crash loses nothing
// committed). Schema changes are numbered migrations applied once, in order.

/** The gateway's better-sqlite3 database handle. */
export type Db = Database.Database;

const MIGRATIONS: string[] = [
  `CREATE TABLE devices (
     device_id TEXT PRIMARY KEY,
     public_key TEXT NOT NULL,
     display_name TEXT, platform TEXT, device_family TEXT, client_id TEXT, client_mode TEXT,
     browser_origin TEXT, remote_ip TEXT,
     roles TEXT NOT NULL, scopes TEXT NOT NULL,
     approved_via TEXT NOT NULL,
     created_at INTEGER NOT NULL, approved_at INTEGER NOT NULL,
     last_seen_at INTEGER, last_seen_reason TEXT
   );
   CREATE TABLE device_tokens (
     device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
     role TEXT NOT NULL,
     token_hash TEXT NOT NULL,
     generation INTEGER NOT NULL,
     scopes TEXT NOT NULL,
     created_at INTEGER NOT NULL, rotated_at INTEGER, last_used_at INTEGER, revoked_at INTEGER,
     PRIMARY KEY (device_id, role)
   );
   CREATE TABLE pairing_requests (
     request_id TEXT PRIMARY KEY,
     device_id TEXT NOT NULL,
     public_key TEXT NOT NULL,
     role TEXT NOT NULL,
     scopes TEXT NOT NULL,
     reason TEXT NOT NULL,
     client TEXT NOT NULL,
     remote_ip TEXT,
     is_repair INTEGER NOT NULL,
     ts INTEGER NOT NULL
   );
   CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);`,
  // node capability approval (nodeId = deviceId): approved surfaces and pending node pairing requests
  `CREATE TABLE node_surfaces (
     node_id TEXT PRIMARY KEY REFERENCES devices(device_id) ON DELETE CASCADE,
     caps TEXT NOT NULL, commands TEXT NOT NULL, permissions TEXT NOT NULL,
     client TEXT NOT NULL,
     approved_at INTEGER NOT NULL,
     last_connected_at INTEGER, last_seen_at INTEGER, last_seen_reason TEXT
   );
   CREATE TABLE node_pairing_requests (
     request_id TEXT PRIMARY KEY,
     node_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
     caps TEXT NOT NULL, commands TEXT NOT NULL, permissions TEXT NOT NULL,
     client TEXT NOT NULL,
     silent INTEGER NOT NULL,
     ts INTEGER NOT NULL
   );
   CREATE INDEX node_pairing_requests_node ON node_pairing_requests(node_id);`,
  // transcripts (append-only; one message per idempotency key and session), the session index, and the
  // inbound journal of accepted runs (seq = acceptance order, for recovery after a crash)
  `CREATE TABLE sessions (
     key TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     last_run_id TEXT, status TEXT,
     message_count INTEGER NOT NULL DEFAULT 0,
     next_seq INTEGER NOT NULL DEFAULT 1
   );
   CREATE INDEX sessions_updated ON sessions(updated_at DESC);
   CREATE TABLE messages (
     session_key TEXT NOT NULL,
     seq INTEGER NOT NULL,
     id TEXT NOT NULL,
     role TEXT NOT NULL,
     text TEXT NOT NULL,
     ts INTEGER NOT NULL,
     run_id TEXT NOT NULL,
     idempotency_key TEXT NOT NULL,
     PRIMARY KEY (session_key, seq)
   ) WITHOUT ROWID;
   CREATE UNIQUE INDEX messages_idempotency ON messages(session_key, idempotency_key);
   CREATE TABLE journal (
     run_id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     session_key TEXT NOT NULL,
     surface TEXT NOT NULL,
     text TEXT NOT NULL,
     queued_at INTEGER NOT NULL,
     state TEXT NOT NULL,
     started_at INTEGER, finished_at INTEGER,
     error_type TEXT, error_message TEXT,
     recoveries INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX journal_seq ON journal(seq);
   CREATE INDEX journal_finished ON journal(finished_at) WHERE finished_at IS NOT NULL;`,
  // the run ledger: each run's reply address (origin, JSON) and the checkpointed reply of an unfinished run
  `ALTER TABLE journal ADD COLUMN origin TEXT;
   ALTER TABLE journal ADD COLUMN partial TEXT;`,
  // the channel layer (channels.md §1.7): inbound dedupe records, the Telegram update watermark, small
  // per-account values, pairing requests and approvals, group activation, the outbox, WhatsApp credentials.
  // The outbox's seq is its insertion order: a chat's rows are sent by seq (AUTOINCREMENT: never reused).
  `CREATE TABLE channel_inbound (
     inbound_id TEXT PRIMARY KEY,
     channel TEXT NOT NULL, account_id TEXT NOT NULL,
     kind TEXT NOT NULL, payload TEXT,
     at INTEGER NOT NULL
   );
   CREATE INDEX channel_inbound_at ON channel_inbound(at);
   CREATE TABLE channel_offsets (
     channel TEXT NOT NULL, account_id TEXT NOT NULL,
     bot_id TEXT NOT NULL, completed_update_id INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (channel, account_id)
   );
   CREATE TABLE channel_meta (
     channel TEXT NOT NULL, account_id TEXT NOT NULL, name TEXT NOT NULL,
     value TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (channel, account_id, name)
   );
   CREATE TABLE channel_pairing (
     channel TEXT NOT NULL, account_id TEXT NOT NULL, sender_id TEXT NOT NULL,
     code TEXT NOT NULL, state TEXT NOT NULL,
     sender_label TEXT NOT NULL, reply_to TEXT NOT NULL,
     created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
     PRIMARY KEY (channel, account_id, sender_id)
   );
   CREATE UNIQUE INDEX channel_pairing_code ON channel_pairing(channel, account_id, code);
   CREATE TABLE channel_allow (
     channel TEXT NOT NULL, account_id TEXT NOT NULL, sender_id TEXT NOT NULL,
     approved_at INTEGER NOT NULL, is_owner INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (channel, account_id, sender_id)
   );
   CREATE TABLE channel_activation (
     session_key TEXT PRIMARY KEY,
     mode TEXT NOT NULL, updated_at INTEGER NOT NULL
   );
   CREATE TABLE channel_outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     run_id TEXT NOT NULL,
     channel TEXT NOT NULL, account_id TEXT NOT NULL, chat_key TEXT NOT NULL,
     target TEXT NOT NULL, payload TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     remote_id TEXT, last_error TEXT,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
   );
   CREATE INDEX channel_outbox_open ON channel_outbox(channel, account_id, chat_key, seq) WHERE state IN ('pending', 'sending');
   CREATE INDEX channel_outbox_run ON channel_outbox(run_id);
   CREATE INDEX channel_outbox_state ON channel_outbox(state, updated_at);
   CREATE TABLE wa_creds (
     account_id TEXT PRIMARY KEY,
     creds TEXT NOT NULL, updated_at INTEGER NOT NULL
   );
   CREATE TABLE wa_keys (
     account_id TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (account_id, type, id)
   ) WITHOUT ROWID;`,
];

/**
 * Runs `fn` in one transaction and returns its result; inside an outer transaction it is a savepoint, so an
 * error rolls back only this part (and still reaches the caller).
 */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn)();
}

/** `fsyncCommits`: every commit reaches the disk (synchronous=FULL) and survives power loss. The default
 *  (NORMAL, with WAL) loses nothing committed when the process dies, only on power loss or an OS crash.
 *  `faults` (tests only): writes after the migrations go through it, so a test can make the disk "fail". */
export function openDb(stateDir: string, opts: { fsyncCommits?: boolean; faults?: WriteFaults } = {}): Db {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(stateDir, 'clawgate.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(opts.fsyncCommits ? 'synchronous = FULL' : 'synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 2000');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return opts.faults ? guardWrites(db, opts.faults) : db;
}
