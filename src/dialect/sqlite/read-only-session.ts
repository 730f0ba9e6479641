import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import type { Tenant } from '../../core/tenant.js';
import type { HistoryRow, SessionOptions, TenantSession } from '../types.js';
import {
  type BusyWait,
  lockTimeoutMsOf,
  runStatement,
  waitForFileAsynchronously,
} from './busy-connections.js';
import { describeFileLockHolder } from './file-lock.js';
import { readSqliteShape } from './schema-shape.js';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * A read-only command's SQLite session (`status`, `plan`, `drift`): the history read, the schema shape
 * and the version go straight to a read-only better-sqlite3 handle, and knex is built only when something
 * asks for it. A knex instance per tenant (its client, its pool, ~170 bound methods) was most
 * of the garbage of a 10,000-tenant status pass. Anything else — and a history in another schema — goes
 * to an ordinary session (`open`), opened on first use: nothing in a read-only run writes, so its second
 * handle on the file is harmless. The rows are those of history-generic.ts (same driver, same SQL shape;
 * test/integration/sqlite-read-only-session.test.ts compares them).
 */
export function readOnlySqliteSession(
  tenant: Tenant,
  options: SessionOptions,
  make: { open: () => Promise<TenantSession>; knex: (wait: BusyWait) => Knex },
): TenantSession {
  const db = new Database(tenant.database, { readonly: true, fileMustExist: true });
  // Its reads wait for a locked file without holding the event loop (busy-connections.ts), its knex's too.
  const wait: BusyWait = { lockTimeoutMs: lockTimeoutMsOf(options.timeouts) };
  try {
    waitForFileAsynchronously(db, wait);
  } catch (err) {
    db.close();
    throw err;
  }
  const reading = <T>(read: () => T) => runStatement(db, undefined, read);
  let full: Promise<TenantSession> | undefined;
  const ordinary = () => {
    full ??= make.open();
    return full;
  };
  let knex: Knex | undefined;
  const existing = (names: readonly string[]) => {
    const rows = db
      .prepare(
        `select name from sqlite_master where type = 'table' and name in (${names.map(() => '?').join(', ')})`,
      )
      .all(...names) as { name: string }[];
    return new Set(rows.map((r) => r.name));
  };
  const historyRows = (tables: { history: string; checksums: string }) =>
    db
      .prepare(
        `select 'a' as kind, id, name, batch, null as checksum from ${quote(tables.history)} union all ` +
          `select 'c', null, name, null, checksum from ${quote(tables.checksums)} order by kind, id`,
      )
      .all() as HistoryRow[];

  return {
    tenant,
    // Its own connection (knex connects on first query): nothing in a read-only run writes.
    get knex(): Knex {
      knex ??= make.knex(wait);
      return knex;
    },
    tryLock: async (waitMs, signal) => (await ordinary()).tryLock(waitMs, signal),
    describeLockHolder: async () => describeFileLockHolder(tenant.database),
    unlock: async () => (await ordinary()).unlock(),
    async setTimeouts(t, on) {
      wait.lockTimeoutMs = lockTimeoutMsOf(t);
      if (full || on) await (await ordinary()).setTimeouts(t, on);
    },
    runScript: async (sql, on) => (await ordinary()).runScript(sql, on),
    async serverVersion() {
      return String((db.prepare('select sqlite_version() as v').get() as { v: string }).v);
    },
    invalidIndexes: async () => [],
    // A SQLite tenant has no schema of its own.
    schemaExists: async () => true,
    ensureSchema: async () => {},
    schemaShape: () => reading(() => readSqliteShape(db)),
    async existingTables(names, schema) {
      return schema ? (await ordinary()).existingTables(names, schema) : reading(() => existing(names));
    },
    recordMigration: async (on, record) => (await ordinary()).recordMigration(on, record),
    async readHistoryRows(tables, schema) {
      return schema ? (await ordinary()).readHistoryRows(tables, schema) : reading(() => historyRows(tables));
    },
    async readCompleteHistory(tables, schema) {
      if (schema) return (await ordinary()).readCompleteHistory(tables, schema);
      const names = [tables.history, tables.lock, tables.checksums];
      const found = await reading(() => existing(names));
      return names.every((n) => found.has(n)) ? reading(() => historyRows(tables)) : undefined;
    },
    transaction: async (fn, opts) => (await ordinary()).transaction(fn, opts),
    shortTransaction: async (fn) => (await ordinary()).shortTransaction(fn),
    // The read-only commands run no user code that could write.
    readOnly: (fn) => fn(),
    async close() {
      db.close();
      await knex?.destroy();
      if (full) await (await full.catch(() => undefined))?.close();
    },
  };
}
