import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { errorMessage, TenantError } from '../../core/errors.js';

/** How often a refused lock is tried again while waiting (SQLite's own busy handler sleeps alike). */
const LOCK_RETRY_MS = 50;

/**
 * One attempt at the tenant's migration lock: exclusive locking mode keeps the file lock from the first
 * write until the connection closes or leaves that mode, so a crashed runner's lock dies with its process.
 * Never waits: `busy_timeout` is 0 for the attempt (better-sqlite3 is synchronous, and SQLite's busy
 * handler would sleep on the event loop — every other tenant of the run, the live view and Ctrl-C with it).
 */
function attemptExclusive(db: Database.Database): boolean {
  const busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    // Read the file in normal locking mode first. A WAL database first opened in exclusive mode builds its
    // WAL index in private memory, and then stays exclusively locked for the connection's life: `PRAGMA
    // locking_mode = NORMAL` is a no-op there, so unlock() would not let the application back in.
    db.prepare('select count(*) from sqlite_master').get();
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') throw err;
    if (db.inTransaction) db.exec('ROLLBACK');
    db.pragma('locking_mode = NORMAL');
    // The refused attempt may have left a shared lock, which exclusive mode keeps until the next access
    // of the file: it would keep the holder from committing, and so the lock we wait for from coming free.
    try {
      db.prepare('select count(*) from sqlite_master').get();
    } catch {
      // locked out entirely (another connection is committing): no lock of ours to drop either
    }
    return false;
  } finally {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  }
}

/**
 * SQLite opens a file it may not write read-only, silently, and even grants it the exclusive lock; the
 * first write then fails "attempt to write a readonly database". Every command that takes the lock is about
 * to write: say what is read-only, before anything starts.
 */
function refuseReadOnlyFile(path: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (err) {
    throw new TenantError(
      'FAILED',
      `the database file ${path} is read-only for this user (its permissions, an immutable flag, or a read-only mount), and dbfleet needs to write it: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/**
 * Takes the exclusive file lock, trying again every LOCK_RETRY_MS until `waitMs` has passed or `signal`
 * aborts, sleeping between attempts without holding the event loop. `onConnection` runs its callback on the
 * session's one connection.
 */
export async function takeExclusiveLock(
  onConnection: <T>(fn: (db: Database.Database) => T) => Promise<T>,
  options: { path: string; waitMs: number; signal?: AbortSignal },
): Promise<boolean> {
  refuseReadOnlyFile(options.path);
  const deadline = Date.now() + Math.max(0, options.waitMs);
  for (;;) {
    if (await onConnection(attemptExclusive)) return true;
    const left = deadline - Date.now();
    if (left <= 0 || options.signal?.aborted) return false;
    // An abort ends the sleep early; the caller tells an interrupted wait from a held lock by the signal.
    await sleep(Math.min(LOCK_RETRY_MS, left), undefined, { signal: options.signal }).catch(() => {});
    if (options.signal?.aborted) return false;
  }
}

/**
 * Who may hold a refused lock, from the file's header (read without a lock): in WAL mode every open
 * connection keeps a shared lock on the file for its whole life, so an application's idle connection keeps
 * dbfleet out as surely as a writer — the generic "an application connection writing" would mislead.
 */
export function describeFileLockHolder(path: string): string | undefined {
  const header = Buffer.alloc(20);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  // Bytes 18 and 19, the file format write/read versions: 1 is a rollback journal, 2 WAL.
  if (header[18] === 1)
    return 'held by another connection to the file: another dbfleet runner, or an application connection in a transaction (in rollback-journal mode a reading one is enough)';
  if (header[18] !== 2) return undefined;
  return "held by another connection to the file, which is in WAL mode: there every open connection keeps the lock out, an application's idle one too (another dbfleet runner, or the application's open connections: close them, or wait with --lock-wait)";
}
