import Database from 'better-sqlite3';

// `clawgate doctor`'s database check: SQLite's own integrity check on a database file opened read-only, so a
// damaged file is reported and never changed (not even a WAL checkpoint).

/** `PRAGMA integrity_check` of `file` (which must exist): `['ok']` when sound; throws when it is not SQLite. */
export function databaseIntegrity(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}
