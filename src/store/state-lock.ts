import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { StartupError } from '../core/startup-error.js';

// One gateway per state dir: `<state-dir>/gateway.lock` holds {pid, startedAt, hostname} of the gateway using it.
// The file is created complete and atomically (written to a private temp file, then hard-linked into place: link
// fails if the lock exists), so a reader never sees it half-written. A lock whose process is gone is stale and
// is taken over; the takeover itself is serialised by a second O_EXCL file, so two gateways racing for the same
// stale lock cannot both win.

/** What the lock file records about its holder. */
export interface LockHolder {
  pid: number;
  startedAt: string;
  hostname: string;
}

/** A held lock: `release()` removes the file if it is still ours (idempotent). */
export interface StateLock {
  readonly path: string;
  /** The stale holder this lock was taken over from (the caller logs it), if any. */
  readonly takenOverFrom?: LockHolder;
  release(): void;
}

/** Seams for tests: whose lock this is and how liveness is checked. */
export interface StateLockOptions {
  pid?: number;
  hostname?: string;
  now?: () => Date;
  /** Whether a process of this host is alive (default: `process.kill(pid, 0)`; EPERM counts as alive). */
  isAlive?: (pid: number) => boolean;
}

/** Another live gateway holds the state dir (the CLI exits 78). */
export class StateLockHeldError extends StartupError {
  constructor(readonly stateDir: string, readonly holder: LockHolder) {
    super(`another gateway (pid ${holder.pid}, started ${holder.startedAt}) is using the state dir ${stateDir}: `
      + 'stop it first, or pass a different --state-dir');
  }
}

/** The lock file's name under the state dir. */
export const LOCK_FILE = 'gateway.lock';

/** Paths locked by this process: the same pid in a lock file is stale unless it is one of these (a container's pid 1). */
const heldHere = new Set<string>();

/** `process.kill(pid, 0)`: true when the process exists (EPERM: it exists but is not ours). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder recorded in a lock file; undefined when the file is gone or not a lock we understand. */
function readHolder(path: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(h.pid) && typeof h.startedAt === 'string' && typeof h.hostname === 'string') return h as LockHolder;
  } catch { /* garbage: treated as stale below */ }
  return { pid: 0, startedAt: 'unknown', hostname: 'unknown' };
}

/** Creates `path` with `content`, complete, only if it does not exist (false when it does). */
function createExclusive(path: string, content: string, pid: number): boolean {
  const temp = `${path}.${pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, content, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  finally {
    unlinkSync(temp);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** A short synchronous pause between attempts (the lock is taken before anything asynchronous starts). */
const pause = (ms: number) => Atomics.wait(sleepCell, 0, 0, ms);

/** A takeover marker older than this belongs to a process that died mid-takeover. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Takes `<stateDir>/gateway.lock` or throws {@link StateLockHeldError} naming the live holder. A lock left by a
 * dead process (or by a process of another host, which cannot share a SQLite WAL database anyway) is taken over
 * and reported in `takenOverFrom`. The state dir must exist.
 */
export function acquireStateLock(stateDir: string, options: StateLockOptions = {}): StateLock {
  const pid = options.pid ?? process.pid;
  const host = options.hostname ?? osHostname();
  const isAlive = options.isAlive ?? processIsAlive;
  const path = join(stateDir, LOCK_FILE);
  const me: LockHolder = { pid, startedAt: (options.now?.() ?? new Date()).toISOString(), hostname: host };
  const content = `${JSON.stringify(me)}\n`;
  const live = (h: LockHolder) => h.hostname === host && h.pid > 0
    && (h.pid === pid ? heldHere.has(path) : isAlive(h.pid));
  let takenOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (createExclusive(path, content, pid)) return held(path, me, takenOverFrom);
    const holder = readHolder(path);
    if (!holder) continue; // released in between: try again
    if (live(holder)) throw new StateLockHeldError(stateDir, holder);
    // stale: whoever creates the takeover marker replaces the lock; the others wait and look again
    const marker = `${path}.takeover`;
    let fd: number;
    try {
      fd = openSync(marker, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      clearDeadMarker(marker);
      pause(20);
      continue;
    }
    try {
      const again = readHolder(path);
      if (again && JSON.stringify(again) === JSON.stringify(holder)) {
        unlinkSync(path);
        takenOverFrom = holder;
      }
    } finally {
      closeSync(fd);
      unlinkSync(marker);
    }
  }
  throw new StartupError(`could not take the lock ${path} (other gateways keep racing for it): try again`);
}

/** Removes a takeover marker left by a process that died in the middle of a takeover. */
function clearDeadMarker(marker: string): void {
  try {
    if (Date.now() - statSync(marker).mtimeMs > TAKEOVER_STALE_MS) unlinkSync(marker);
  } catch { /* gone already */ }
}

function held(path: string, me: LockHolder, takenOverFrom: LockHolder | undefined): StateLock {
  heldHere.add(path);
  // a process that exits without closing the gateway (a fatal error) still frees the lock
  const onExit = () => release();
  process.once('exit', onExit);
  let released = false;
  function release(): void {
    if (released) return;
    released = true;
    process.removeListener('exit', onExit);
    heldHere.delete(path);
    const now = readHolder(path);
    // only our own lock: after a takeover by someone else the file is theirs
    if (now && now.pid === me.pid && now.startedAt === me.startedAt && now.hostname === me.hostname) {
      try {
        unlinkSync(path);
      } catch { /* gone already */ }
    }
  }
  return { path, takenOverFrom, release };
}
