import type Database from 'better-sqlite3';
import type { Knex } from 'knex';

/** Runs one statement with `?` placeholders on the journal's connection; resolves the rows it changed. */
export type RunStatement = (sql: string, params: readonly (string | number | null)[]) => Promise<number>;

/**
 * The journal's hot writes (a few per tenant) as fixed SQL instead of knex query builders: building and
 * compiling a builder, its runner and a pool round for every write cost more CPU than a no-op tenant's
 * own work. On the SQLite file (the default) each statement is prepared once and reused; on a PostgreSQL
 * control database it goes through `knex.raw`.
 */
export function statementRunner(knex: Knex): RunStatement {
  if ((knex.client as { config: { client?: unknown } }).config.client !== 'better-sqlite3') {
    return async (sql, params) => {
      const res = (await knex.raw(sql, params as Knex.RawBinding[])) as { rowCount?: number };
      return res.rowCount ?? 0;
    };
  }
  const client = knex.client as {
    acquireConnection(): Promise<Database.Database>;
    releaseConnection(connection: Database.Database): Promise<void>;
  };
  // Per connection: prepared statements belong to the handle that prepared them.
  const prepared = new WeakMap<Database.Database, Map<string, Database.Statement>>();
  return async (sql, params) => {
    const db = await client.acquireConnection();
    try {
      let statements = prepared.get(db);
      if (!statements) {
        statements = new Map();
        prepared.set(db, statements);
      }
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement.run(...params).changes;
    } finally {
      await client.releaseConnection(db);
    }
  };
}
