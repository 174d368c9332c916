import Database from 'better-sqlite3';
type Db = Database.Database;

// The seam for a failing disk in tests. guardWrites() makes every statement that writes (and every exec) ask
// its WriteFaults first; while a fault is set, the write throws a genuine better-sqlite3 SqliteError with the
// fault's code, as SQLite does when the disk is full (SQLITE_FULL) or failing (SQLITE_IOERR_*). Reads are never
// affected. Only a gateway started with `storage.faults` (tests) installs it.

interface Fault {
  code: string;
  message: string;
  /** Only writes whose SQL matches fail (e.g. /INTO messages/: only transcript appends). */
  match?: RegExp;
}

const DEFAULT_MESSAGES: Record<string, string> = { SQLITE_FULL: 'database or disk is full' };

/** A switch tests flip: fail(code) makes the guarded database's writes throw, heal() makes them work again. */
export class WriteFaults {
  private fault?: Fault;

  /** From now on every write (or every write whose SQL matches `match`) throws SqliteError(`code`). */
  fail(code = 'SQLITE_FULL', opts: { message?: string; match?: RegExp } = {}): void {
    this.fault = { code, message: opts.message ?? DEFAULT_MESSAGES[code] ?? 'disk I/O error', match: opts.match };
  }

  heal(): void {
    this.fault = undefined;
  }

  /** Throws the fault for a write of `sql`, if one is set and matches. */
  check(sql: string): void {
    const f = this.fault;
    if (f && (!f.match || f.match.test(sql))) throw new Database.SqliteError(f.message, f.code);
  }
}

const RUNS = ['run', 'get', 'all', 'iterate'] as const;

/** Route every write of `db` through `faults` (on this handle only: statements prepared from now on, and exec). */
export function guardWrites(db: Db, faults: WriteFaults): Db {
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    if (stmt.readonly) return stmt;
    for (const name of RUNS) {
      const original = stmt[name] as (...args: unknown[]) => unknown;
      (stmt as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        faults.check(sql);
        return original.apply(stmt, args);
      };
    }
    return stmt;
  }) as Db['prepare'];
  const exec = db.exec.bind(db);
  db.exec = (sql: string) => {
    faults.check(sql);
    return exec(sql);
  };
  return db;
}
