import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireStateLock, LOCK_FILE, StateLockHeldError } from '../../src/store/state-lock.js';

// One gateway per state dir: the lock file's life, with injected pids and liveness (no real second process here;
// test/cli/state-lock.test.ts runs two real gateways).

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'clawgate-lock-'));
  dirs.push(d);
  return d;
};
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const HOST = 'host-a';
const at = (iso: string) => () => new Date(iso);

test('the first gateway takes the lock and records its pid, start time and host', () => {
  const dir = freshDir();
  const lock = acquireStateLock(dir, { pid: 4242, hostname: HOST, now: at('2026-12-06T10:00:00Z'), isAlive: () => true });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')), { pid: 4242, startedAt: '2026-12-06T10:00:00.000Z', hostname: HOST });
  assert.equal(lock.takenOverFrom, undefined);
  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
});

test('a second gateway is refused while the holder lives, with its pid and the state dir in the message', () => {
  const dir = freshDir();
  const first = acquireStateLock(dir, { pid: 4242, hostname: HOST, isAlive: () => true });
  assert.throws(() => acquireStateLock(dir, { pid: 5353, hostname: HOST, isAlive: (pid) => pid === 4242 }), (err: unknown) => {
    assert.ok(err instanceof StateLockHeldError);
    assert.equal(err.holder.pid, 4242);
    assert.match(err.message, /pid 4242/);
    assert.ok(err.message.includes(dir), err.message);
    return true;
  });
  // the refused one did not disturb the holder's file
  assert.equal(JSON.parse(readFileSync(first.path, 'utf8')).pid, 4242);
  first.release();
});

test('a lock whose process is gone is taken over and reported', () => {
  const dir = freshDir();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 999_999, startedAt: '2026-01-01T00:00:00.000Z', hostname: HOST }));
  const lock = acquireStateLock(dir, { pid: 5353, hostname: HOST, isAlive: () => false });
  assert.deepEqual(lock.takenOverFrom, { pid: 999_999, startedAt: '2026-01-01T00:00:00.000Z', hostname: HOST });
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, 5353);
  lock.release();
});

test('a garbage lock file is stale, not a reason to refuse', () => {
  const dir = freshDir();
  writeFileSync(join(dir, LOCK_FILE), 'not json');
  const lock = acquireStateLock(dir, { pid: 5353, hostname: HOST, isAlive: () => true });
  assert.ok(lock.takenOverFrom);
  lock.release();
});

test('our own pid in a lock we do not hold is stale (a container restarted as pid 1)', () => {
  const dir = freshDir();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, startedAt: '2026-01-01T00:00:00.000Z', hostname: HOST }));
  const lock = acquireStateLock(dir, { hostname: HOST, isAlive: () => true });
  assert.equal(lock.takenOverFrom?.pid, process.pid);
  // but a second gateway of this same process on the same dir is refused
  assert.throws(() => acquireStateLock(dir, { hostname: HOST, isAlive: () => true }), StateLockHeldError);
  lock.release();
});

test('release removes only our own lock: one taken over by another gateway stays', () => {
  const dir = freshDir();
  const lock = acquireStateLock(dir, { pid: 4242, hostname: HOST, isAlive: () => true });
  // 4242 looked dead to a newer gateway, which took over
  const newer = acquireStateLock(dir, { pid: 5353, hostname: HOST, isAlive: () => false });
  lock.release();
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, 5353);
  newer.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  lock.release(); // idempotent
});

test('a takeover in progress elsewhere: a bounded wait, then a clear error', () => {
  const dir = freshDir();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 999_999, startedAt: 'x', hostname: HOST }));
  writeFileSync(join(dir, `${LOCK_FILE}.takeover`), '');
  assert.throws(() => acquireStateLock(dir, { pid: 5353, hostname: HOST, isAlive: () => false }), /try again/);
});

test('a takeover marker left by a process that died mid-takeover is cleared', () => {
  const dir = freshDir();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 999_999, startedAt: 'x', hostname: HOST }));
  const marker = join(dir, `${LOCK_FILE}.takeover`);
  writeFileSync(marker, '');
  utimesSync(marker, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const lock = acquireStateLock(dir, { pid: 5353, hostname: HOST, isAlive: () => false });
  assert.equal(lock.takenOverFrom?.pid, 999_999);
  assert.equal(existsSync(marker), false);
  lock.release();
});
