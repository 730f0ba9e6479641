import type Database from 'better-sqlite3';
import { isBusy, retryWhileBusy } from './busy-retry.js';

/** How long a statement of a session may wait for the tenant's file: its lock timeout (setTimeouts changes it). */
export interface BusyWait {
  lockTimeoutMs: number;
}

/** A session's lock timeout as a wait: whole milliseconds, never negative. */
export const lockTimeoutMsOf = (t: { lockTimeoutMs: number }) => Math.max(0, Math.floor(t.lockTimeoutMs));

interface ConnectionState {
  wait: BusyWait;
  /** In a transaction its BEGIN (deferred) opened, where no statement has run yet: it holds no lock. */
  freshTransaction: boolean;
}

const connections = new WeakMap<Database.Database, ConnectionState>();

/**
 * From now on `db` never sleeps on the thread for a lock: its busy_timeout is 0, and the statements run
 * through `runStatement` (knex's, see busy-knex.ts, and dbfleet's own) wait for the file asynchronously.
 */
export function waitForFileAsynchronously(db: Database.Database, wait: BusyWait): void {
  db.pragma('busy_timeout = 0');
  connections.set(db, { wait, freshTransaction: false });
}

export function waitsAsynchronously(db: unknown): boolean {
  return connections.has(db as Database.Database);
}

/** The lock timeout of the session `db` belongs to (0 for a connection not registered). */
export function lockTimeoutOf(db: Database.Database): number {
  return connections.get(db)?.wait.lockTimeoutMs ?? 0;
}

/** Statements ran on `db` without `runStatement` (a script's): a transaction open now may hold a lock. */
export function ranUntracked(db: Database.Database): void {
  const state = connections.get(db);
  if (state) state.freshTransaction = false;
}

const OPENS_DEFERRED = /^\s*(begin(\s+deferred)?(\s+transaction)?\s*;?\s*$|savepoint\s)/i;
const COMMITS = /^\s*(commit|end)(\s+transaction)?\s*;?\s*$/i;

/**
 * Runs one statement (`sql`; undefined for several, or unknown ones) on `db`, trying it again while it gets
 * SQLITE_BUSY — but only where SQLite says a statement that got SQLITE_BUSY may be tried again, which are
 * also the only places its own busy handler waits:
 * - outside a transaction: the statement's implicit transaction was rolled back whole;
 * - a COMMIT: the transaction stays open and the COMMIT can be repeated;
 * - the first statement after a deferred BEGIN: it failed taking the transaction's first lock, so there is
 *   no snapshot or lock yet (SQLite's busy handler runs only when the connection holds none).
 * Anywhere else in a transaction — a deferred transaction's first write after it has read, WAL's
 * SQLITE_BUSY_SNAPSHOT — trying again cannot succeed until the transaction is rolled back: the error is
 * thrown at once, as SQLite returned it at once before.
 * `keepsNoLock`: `run` only prepares (a prepared statement holds no lock once it is made), so a transaction
 * that held none still holds none.
 */
export async function runStatement<T>(
  db: Database.Database,
  sql: string | undefined,
  run: () => T | Promise<T>,
  keepsNoLock = false,
): Promise<T> {
  const state = connections.get(db);
  if (!state) return run();
  const inTransaction = db.inTransaction;
  const retryable = !inTransaction || state.freshTransaction || (sql !== undefined && COMMITS.test(sql));
  let stillFresh = keepsNoLock && state.freshTransaction;
  try {
    return await retryWhileBusy(run, state.wait.lockTimeoutMs, () => retryable);
  } catch (err) {
    // Gave up waiting for the transaction's first lock: the transaction still holds none.
    stillFresh ||= state.freshTransaction && isBusy(err);
    throw err;
  } finally {
    const opened = !inTransaction && sql !== undefined && OPENS_DEFERRED.test(sql);
    state.freshTransaction = db.inTransaction && (opened || stillFresh);
  }
}
