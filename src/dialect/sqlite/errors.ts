import type { ErrorInfo } from '../../core/errors.js';

export function classifySqliteError(err: unknown): ErrorInfo | undefined {
  const e = err as { code?: string; message?: string };
  const message = e?.message ?? String(err);
  if (e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_LOCKED') {
    return { code: 'LOCK_TIMEOUT', message: `the database file is locked by another connection: ${message}` };
  }
  if (
    e?.code === 'SQLITE_CANTOPEN' ||
    /unable to open database file|directory does not exist/i.test(message)
  ) {
    return { code: 'UNREACHABLE', message: `cannot open the database file: ${message}` };
  }
  if (e?.code === 'SQLITE_CORRUPT' || e?.code === 'SQLITE_NOTADB') return { code: 'CORRUPT', message };
  // SQLite's own words ("attempt to write a readonly database") say neither what is read-only nor what to do.
  const readOnly = READ_ONLY_CAUSES[e?.code ?? ''];
  if (readOnly) return { code: 'FAILED', message: `${message}: ${readOnly}` };
  return undefined;
}

const READ_ONLY_CAUSES: Record<string, string> = {
  // A read-only connection (status, plan, drift, upgrade's pre-flight) met a hot journal.
  SQLITE_READONLY_ROLLBACK:
    "the file has a hot journal (its -journal file): a writer crashed in the middle of a transaction, and only a read-write open rolls that back. A read-only pass cannot: open the file read-write once (the application, `dbfleet backup`, or `sqlite3 <file> 'pragma quick_check'`), then run again",
  SQLITE_READONLY_DIRECTORY:
    "the database file's folder is not writable for this user: SQLite writes its journal (in WAL mode its -wal and -shm files) beside the file",
  SQLITE_READONLY_CANTINIT:
    "the file is in WAL mode and its -shm file cannot be written by this user (the folder's or the -shm file's permissions)",
};
