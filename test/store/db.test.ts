import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/store/db.js';
import { parseGatewayArgs } from '../../src/config.js';

// The database opens in WAL mode; --fsync-commits switches commits to synchronous=FULL (fsync each).

test('openDb: WAL, NORMAL sync by default, FULL with fsyncCommits; migrations applied once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-db-'));
  try {
    const a = openDb(dir);
    assert.equal(a.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(a.pragma('synchronous', { simple: true }), 1, 'NORMAL');
    const version = a.pragma('user_version', { simple: true }) as number;
    assert.ok(version >= 3, `migrations applied (user_version ${version})`);
    a.close();
    const b = openDb(dir, { fsyncCommits: true });
    assert.equal(b.pragma('synchronous', { simple: true }), 2, 'FULL');
    assert.equal(b.pragma('user_version', { simple: true }), version, 'reopening applies nothing twice');
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--fsync-commits flag and config key', () => {
  assert.equal(parseGatewayArgs([], {}).fsyncCommits, false);
  assert.equal(parseGatewayArgs(['--fsync-commits'], {}).fsyncCommits, true);
});

test('the channel migration: every table of channels.md §1.7; wa_keys WITHOUT ROWID; one pairing code per account', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-db-'));
  try {
    const db = openDb(dir);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    for (const t of ['channel_inbound', 'channel_offsets', 'channel_meta', 'channel_pairing', 'channel_allow', 'channel_activation', 'channel_outbox', 'wa_creds', 'wa_keys']) {
      assert.ok(tables.includes(t), `table ${t}`);
    }
    const waKeys = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'wa_keys'").get() as { sql: string };
    assert.match(waKeys.sql, /WITHOUT ROWID/);
    const pairing = db.prepare(`INSERT INTO channel_pairing (channel, account_id, sender_id, code, state, sender_label, reply_to, created_at, last_seen_at, expires_at)
      VALUES ('telegram', ?, ?, 'ABCDEFGH', 'pending', '', '{}', 0, 0, 0)`);
    pairing.run('default', '1');
    pairing.run('other', '1');
    assert.throws(() => pairing.run('default', '2'), /UNIQUE constraint failed/);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
