import type Database from 'better-sqlite3';
import { lockTimeoutOf, ranUntracked, runStatement, waitsAsynchronously } from './busy-connections.js';
import { isBusy } from './busy-retry.js';

/** better-sqlite3's prepare() refuses a string of several statements with this message. */
const SEVERAL = /more than one statement/;

/**
 * Whether `exec(sql)` would stop at its first statement if that one failed: a single statement, or one that
 * does not even prepare (a syntax error, an unknown table: exec fails there too, before running anything).
 * Preparing reads the schema where it is not loaded yet, so it may get SQLITE_BUSY: thrown, to be retried.
 */
function atMostOneStatement(db: Database.Database, sql: string): boolean {
  try {
    db.prepare(sql);
    return true;
  } catch (err) {
    if (isBusy(err)) throw err;
    return !(err instanceof RangeError && SEVERAL.test(err.message));
  }
}

/**
 * `db.exec(sql)` for a script of the tenant's (a hook's SQL, a .sql migration), waiting for a locked file
 * without holding the event loop where that is safe.
 *
 * A single statement is tried again like any other (`runStatement`). A script of several is not: exec runs
 * them one by one, each committing on its own outside a transaction, so an SQLITE_BUSY from the third means
 * the first two are done, and running the script again would run them twice. For such a script the wait
 * happens first, asynchronously (outside a transaction: until the file can be read — no other connection
 * commits or holds it exclusively); should another connection take the file between that and the script,
 * what is left of the lock timeout is waited out by SQLite's busy handler, on the thread, as before.
 */
export async function execScript(db: Database.Database, sql: string): Promise<void> {
  if (!waitsAsynchronously(db)) {
    db.exec(sql);
    return;
  }
  const started = Date.now();
  if (await runStatement(db, undefined, () => atMostOneStatement(db, sql), true)) {
    await runStatement(db, sql, () => db.exec(sql));
    return;
  }
  if (!db.inTransaction)
    await runStatement(db, undefined, () => db.prepare('select count(*) from sqlite_master').get());
  const left = Math.max(0, Math.floor(lockTimeoutOf(db) - (Date.now() - started)));
  db.pragma(`busy_timeout = ${left}`);
  try {
    db.exec(sql);
  } finally {
    db.pragma('busy_timeout = 0');
    ranUntracked(db);
  }
}
