import Database from 'better-sqlite3';

/**
 * Runs `copy` (a backup-API restore of `source` into the file `dest`) so that it can work across page
 * sizes. SQLite refuses to restore into a WAL database whose page size differs from the backup's
 * (SQLITE_READONLY, "attempt to write a readonly database": a WAL cannot change the page size), which
 * made a backup unrestorable once the application had changed its page size (`PRAGMA page_size` and
 * VACUUM) and gone on in WAL mode. In rollback-journal mode the backup API takes the source's page size,
 * so the tenant leaves WAL mode for the copy and goes back to it afterwards — also when the copy fails.
 * Switching needs the file to itself; where another connection has it open the switch does not happen and
 * the copy fails as it would have.
 */
export async function acrossPageSizes<T>(
  source: Database.Database,
  dest: string,
  copy: () => Promise<T>,
): Promise<T> {
  if (!leftWalForPageSize(source, dest)) return copy();
  try {
    return await copy();
  } finally {
    backToWal(dest);
  }
}

/** True when `dest` was in WAL mode with another page size than `source`, and is in rollback mode now. */
function leftWalForPageSize(source: Database.Database, dest: string): boolean {
  const sourcePageSize = source.pragma('page_size', { simple: true });
  const db = new Database(dest, { fileMustExist: true });
  try {
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') return false;
    if (db.pragma('page_size', { simple: true }) === sourcePageSize) return false;
    return db.pragma('journal_mode = DELETE', { simple: true }) === 'delete';
  } catch {
    return false; // locked or unreadable: the copy reports it
  } finally {
    db.close();
  }
}

/**
 * Best effort: an application that opened the file meanwhile keeps it in rollback mode (its data is the
 * restored data either way; most applications set WAL again when they open the file).
 */
function backToWal(dest: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(dest, { fileMustExist: true });
    db.pragma('busy_timeout = 1000');
    db.pragma('journal_mode = WAL');
  } catch {
    // left in rollback-journal mode
  } finally {
    db?.close();
  }
}
