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
