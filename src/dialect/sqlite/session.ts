import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Knex } from 'knex';
import type { Tenant } from '../../core/tenant.js';
import {
  existingTablesVia,
  readCompleteHistoryVia,
  readHistoryRowsVia,
  recordMigrationVia,
} from '../history-generic.js';
import { runPinnedTransaction } from '../pinned-transaction.js';
import type { SessionOptions, TenantSession, Timeouts } from '../types.js';
import { type BusyWait, lockTimeoutMsOf, runStatement } from './busy-connections.js';
import { execScript } from './busy-script.js';
import { describeFileLockHolder, takeExclusiveLock } from './file-lock.js';
import { readOnlySqliteSession } from './read-only-session.js';
import { readSqliteShape } from './schema-shape.js';
import { sqliteSessionKnex } from './session-knex.js';

/** Runs `fn` on the better-sqlite3 handle behind a knex instance or transaction (the one pinned connection). */
async function onConnection<T>(
  on: Knex | Knex.Transaction,
  fn: (db: Database.Database) => Promise<T>,
): Promise<T> {
  const client = on.client as {
    acquireConnection(): Promise<Database.Database>;
    releaseConnection(c: unknown): Promise<void>;
  };
  const db = await client.acquireConnection();
  try {
    return await fn(db);
  } finally {
    await client.releaseConnection(db);
  }
}

/**
 * `onConnection`, tried again while the file is locked where that is safe (`runStatement`): `fn` must be
 * one statement, or reads and settings that may be repeated.
 */
const withRawConnection = <T>(on: Knex | Knex.Transaction, fn: (db: Database.Database) => T) =>
  onConnection(on, (db) => runStatement(db, undefined, () => fn(db)));

export async function openSqliteSession(tenant: Tenant, options: SessionOptions): Promise<TenantSession> {
  if (!options.create && !existsSync(tenant.database)) {
    throw Object.assign(new Error(`database file ${tenant.database} does not exist`), {
      code: 'SQLITE_CANTOPEN',
    });
  }
  if (options.readOnly)
    return readOnlySqliteSession(tenant, options, {
      open: () => openSqliteSession(tenant, { ...options, readOnly: false }),
      knex: (wait) => sqliteSessionKnex(tenant, options, wait),
    });
  // SQLite has no statement timeout; the lock timeout bounds how long a statement waits for the file.
  const wait: BusyWait = { lockTimeoutMs: lockTimeoutMsOf(options.timeouts) };
  const knex = sqliteSessionKnex(tenant, options, wait);
  let locked = false;
  // One connection, whichever of its knex or transaction `on` is: the setting is the session's.
  const setTimeouts = async (t: Timeouts) => {
    wait.lockTimeoutMs = lockTimeoutMsOf(t);
  };
  // The session's one connection, kept to read its transaction state without acquiring it (inside a
  // migration's knex transaction, which holds it, an acquire would wait for ever).
  let raw: Database.Database | undefined;
  try {
    // Opened now, as before: a file that cannot be opened fails the open.
    await withRawConnection(knex, (db) => {
      raw = db;
    });
  } catch (err) {
    await knex.destroy().catch(() => {});
    throw err;
  }
  // Closed: the session's own statements fail at once rather than wait for a pool being destroyed.
  let closed = false;
  const onRaw: typeof withRawConnection = (on, fn) =>
    closed ? Promise.reject(new Error('the session is closed')) : withRawConnection(on, fn);
  return {
    tenant,
    knex,
    async tryLock(waitMs, signal) {
      locked = await takeExclusiveLock((fn) => onRaw(knex, fn), {
        path: tenant.database,
        waitMs,
        ...(signal ? { signal } : {}),
      });
      return locked;
    },
    // A file lock has no owner SQLite could name; only WAL mode says more than the generic LOCKED message.
    describeLockHolder: async () => describeFileLockHolder(tenant.database),
    async unlock() {
      if (!locked) return;
      await onRaw(knex, (db) => {
        db.pragma('locking_mode = NORMAL');
        // The lock is dropped at the next access of the database file after leaving exclusive mode;
        // `select 1` reads no file, so read the schema table (a constant smoke check left it held).
        db.prepare('select count(*) from sqlite_master').get();
      });
      locked = false;
    },
    setTimeouts,
    async transaction(fn, opts) {
      // knex alters a SQLite table by rebuilding it (copy, drop, rename). With foreign keys enforced the
      // drop fails, and PRAGMA foreign_keys is a no-op inside a transaction — so, as SQLite's own
      // ALTER TABLE procedure says, switch them off around the transaction and run foreign_key_check
      // before COMMIT: a real violation still rolls the migration back.
      const enforced = await onRaw(knex, (db) => db.pragma('foreign_keys', { simple: true }) === 1);
      if (enforced) await onRaw(knex, (db) => db.pragma('foreign_keys = OFF'));
      try {
        const checked = async (trx: Knex.Transaction) => {
          const result = await fn(trx);
          const violations = await onRaw(
            trx,
            (db) => db.pragma('foreign_key_check') as { table: string; parent: string }[],
          );
          if (enforced && violations.length > 0) {
            const first = violations[0]!;
            throw new Error(
              `foreign key check failed: ${violations.length} row(s), e.g. in ${first.table} referencing ${first.parent} — foreign keys are off during a migration's transaction (so a table rebuild cannot cascade), so ON DELETE/ON UPDATE actions of the migration's own statements do not fire either: delete or update the referencing rows in the migration itself`,
            );
          }
          return result;
        };
        // knex's own transaction for a migration's `trx`; dbfleet's cheaper one where no user code sees it.
        return await (opts?.internal ? runPinnedTransaction(knex, checked) : knex.transaction(checked));
      } finally {
        if (enforced) await onRaw(knex, (db) => db.pragma('foreign_keys = ON'));
      }
    },
    shortTransaction: (fn) => runPinnedTransaction(knex, fn),
    async readOnly(fn) {
      // query_only refuses every change to the file ("attempt to write a readonly database").
      await onRaw(knex, (db) => db.pragma('query_only = ON'));
      try {
        return await fn();
      } finally {
        await onRaw(knex, (db) => db.pragma('query_only = OFF'));
      }
    },
    // Unknown (undefined) once that connection is closed: never taken for "outside".
    outsideTransaction: () => (raw?.open ? !raw.inTransaction : undefined),
    endStrayTransaction: () =>
      onRaw(knex, (db) => {
        if (!db.inTransaction) return false;
        db.exec('rollback');
        return true;
      }),
    existingTables: (names, schema) => existingTablesVia(knex, names, schema),
    recordMigration: recordMigrationVia,
    readHistoryRows: (tables, schema) => readHistoryRowsVia(knex, tables, schema),
    readCompleteHistory: (tables, schema) => readCompleteHistoryVia(knex, tables, schema),
    async runScript(sql, on = knex) {
      if (sql.trim() === '') return;
      // Not withRawConnection: a script of several statements may not simply be run again.
      await onConnection(on, (db) => execScript(db, sql));
    },
    // Index builds here are all-or-nothing: a failed one leaves no index behind.
    invalidIndexes: async () => [],
    // A SQLite tenant has no schema of its own.
    schemaExists: async () => true,
    ensureSchema: async () => {},
    schemaShape: () => onRaw(knex, readSqliteShape),
    async serverVersion() {
      return onRaw(knex, (db) =>
        String((db.prepare('select sqlite_version() as v').get() as { v: string }).v),
      );
    },
    async close() {
      closed = true;
      // A transaction holding the one connection (a migration stuck in it: src/migration/idle-bound.ts)
      // would keep knex's pool from ever being destroyed. Closing the handle under it rolls that transaction
      // back and drops the file lock; the pool is then destroyed once the transaction lets go, if ever.
      if (raw?.open && raw.inTransaction) {
        raw.close();
        void knex.destroy().catch(() => {});
        return;
      }
      await knex.destroy();
    },
  };
}
