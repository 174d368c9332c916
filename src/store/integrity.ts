import Database from 'better-sqlite3';

// `clawgate doctor`'s database checks, on a database file opened read-only so that it is never changed (not even
// a WAL checkpoint): SQLite's own integrity check, and which WhatsApp accounts are linked.

/** `PRAGMA integrity_check` of `file` (which must exist): `['ok']` when sound; throws when it is not SQLite. */
export function databaseIntegrity(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}

/** The WhatsApp accounts with stored credentials in `file` (opened read-only; none when the table is not there yet). */
export function linkedWhatsAppAccounts(file: string): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'wa_creds'").get();
    if (!table) return new Set();
    return new Set((db.prepare('SELECT account_id FROM wa_creds').all() as { account_id: string }[]).map((r) => r.account_id));
  } finally {
    db.close();
  }
}
