import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../core/startup-error.js';

// The state dir at start: made usable, or a StartupError that names the path and says what to do. A database
// SQLite cannot read is never touched: the message says how to move it aside for a fresh one.

/** Creates the state dir (mode 0700) if needed and checks it is a writable directory. */
export function ensureStateDir(dir: string): void {
  let isDir: boolean | undefined;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw notADirectory(dir, 'a part of its path is a regular file');
    if (code !== 'ENOENT') throw unusable(dir, code);
  }
  if (isDir === false) throw notADirectory(dir, 'it is a regular file');
  if (isDir === undefined) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST') throw notADirectory(dir, 'a part of its path is a regular file');
      throw new StartupError(`cannot create the state dir ${dir} (${code}): create it yourself with write access for this user, or pass a different --state-dir`);
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw unusable(dir, (err as NodeJS.ErrnoException).code);
  }
}

const notADirectory = (dir: string, why: string) =>
  new StartupError(`the state dir ${dir} is not a directory (${why}): move the file away, or pass a different --state-dir`);

const unusable = (dir: string, code: string | undefined) =>
  new StartupError(`the state dir ${dir} is not writable (${code}): give this user write access (chown/chmod), or pass a different --state-dir`);

/** SQLite's codes for a file that is not (or no longer) a readable database. */
const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/**
 * Turns an error from opening the database into a StartupError a person can act on: a corrupt file (left as it
 * is) names the command that moves it aside; a read-only or unopenable one names the path. Others pass through.
 */
export function explainDbOpenError(stateDir: string, err: unknown, now: Date = new Date()): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  const db = join(stateDir, 'clawgate.db');
  const base = code.split('_').slice(0, 2).join('_'); // SQLITE_CORRUPT_VTAB → SQLITE_CORRUPT
  if (CORRUPT_CODES.has(base)) {
    const aside = `${db}.corrupt-${now.toISOString().slice(0, 10)}`;
    return new StartupError(`the database ${db} is damaged (${code}) and was left untouched: `
      + `move it aside with \`mv ${db} ${aside}\` (its -wal and -shm files too, if any) and start again for a fresh one`);
  }
  if (base === 'SQLITE_READONLY' || base === 'SQLITE_CANTOPEN' || base === 'SQLITE_PERM') {
    return new StartupError(`cannot open the database ${db} for writing (${code}): give this user write access to it and to ${stateDir}`);
  }
  return err;
}
