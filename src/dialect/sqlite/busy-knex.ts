import type Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { runStatement, waitsAsynchronously } from './busy-connections.js';

interface QueryingClient {
  _query(connection: unknown, query: { sql?: string }): Promise<unknown>;
}

const patched = new WeakSet<object>();

/**
 * Makes the statements knex runs on a tenant's connection wait for a locked file asynchronously
 * (`runStatement`), instead of in SQLite's busy handler, which sleeps on the thread.
 *
 * knex's better-sqlite3 client runs each statement in `_query(connection, query)`: prepare (which reads the
 * schema, so may meet the lock too) and run exactly one statement, setting `query.response` only once it
 * succeeded — so calling it again is trying the statement again. It is knex's per-dialect query hook (the
 * mssql client's repair wraps it the same way); knex is pinned at 3.3.0, and
 * test/integration/sqlite-busy-wait.test.ts fails if knex's statements stop going through it. Only
 * connections registered with `waitForFileAsynchronously` are affected, on the prototype (knex builds its
 * transaction clients from it), once. Idempotent.
 */
export function waitForFileInKnex(knex: Knex): void {
  const prototype = Object.getPrototypeOf(knex.client) as object;
  if (patched.has(prototype)) return;
  const client = prototype as QueryingClient;
  const query = client._query;
  client._query = function (this: QueryingClient, connection, q) {
    if (!waitsAsynchronously(connection)) return query.call(this, connection, q);
    return runStatement(connection as Database.Database, q?.sql, () => query.call(this, connection, q));
  };
  patched.add(prototype);
}
